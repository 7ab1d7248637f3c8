"""The embedding model on both backends: the same unit vectors, an ONNX export made once per user
(processes take turns), and passages embedded by its int8 copy close to full precision's."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ingest import Embedder
from ingest.errors import SettingsError

TEXTS = [
    "How can I get a free GPU?",
    "Career paths: data scientist, ML engineer, researcher.",
    "Kaggle " * 400,
]  # the last is longer than the model's 256 tokens
LIMIT = 600  # seconds: only ends a process that would never end (an export on a busy machine takes minutes)


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return Embedder(backend="torch").embed(TEXTS)


@pytest.mark.slow  # loads torch
def test_onnx_and_torch_give_the_same_unit_vectors(embedder, torch_vectors):
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.abs(vectors - torch_vectors).max() < 1e-5


def test_batches_sorted_by_length_come_back_in_input_order(embedder):
    one_by_one = np.vstack([embedder.embed([text]) for text in TEXTS])
    assert np.abs(embedder.embed(TEXTS[::-1])[::-1] - one_by_one).max() < 1e-5


def test_the_export_is_reused_by_a_new_process_without_importing_torch(embedder, model_cache):
    probe = (
        "import sys; from pathlib import Path; from ingest import Embedder; "
        f"e = Embedder(backend='onnx', cache_dir=Path({str(model_cache)!r})); "
        "print(e.embed(['free GPU']).shape, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(1, 384) False"


@pytest.mark.slow  # a whole export: half a minute of torch on 2 cores
def test_a_damaged_export_is_made_again(tmp_path, torch_vectors):
    first = Embedder(backend="onnx", cache_dir=tmp_path)
    first.embed(["warm up"])
    (model_file,) = tmp_path.glob("*/model.onnx")
    model_file.write_bytes(model_file.read_bytes()[:1000])  # truncated, as by a full disk
    again = Embedder(backend="onnx", cache_dir=tmp_path).embed(TEXTS)
    assert np.abs(again - torch_vectors).max() < 1e-5
    assert model_file.stat().st_size > 1_000_000


def test_an_unknown_backend_is_refused_with_the_choices():
    with pytest.raises(SettingsError, match="embed_backend: 'tpu' is not one of onnx, torch"):
        Embedder(backend="tpu")


def test_passages_are_embedded_by_the_int8_copy_close_to_full_precision(embedder):
    full = embedder.embed(TEXTS)  # float32: torch's vectors to 1e-5 (tested above), without loading torch
    assert embedder.passage_precision == "int8"
    passages = embedder.embed_passages(TEXTS)
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    cosines = (passages * full).sum(axis=1)
    assert cosines.min() > 0.98 and np.abs(passages - full).max() > 1e-4  # close, not the same model
    question = embedder.embed(["where can i train a model on a free gpu"])[0]
    assert np.argmax(passages @ question) == np.argmax(full @ question) == 0


def test_an_int8_passage_vector_does_not_depend_on_the_passages_embedded_with_it(embedder):
    alone = np.vstack([embedder.embed_passages([text]) for text in TEXTS])
    together = embedder.embed_passages([*TEXTS, "A short one.", "Another " * 60])[:3]
    assert np.abs(together - alone).max() < 1e-6  # a re-ingest and a fresh one store the same vectors


@pytest.mark.slow  # loads torch
def test_float32_passages_and_the_torch_backend_embed_passages_as_everything_else(model_cache, torch_vectors):
    full = Embedder(backend="onnx", cache_dir=model_cache, passage_precision="float32")
    assert np.abs(full.embed_passages(TEXTS) - torch_vectors).max() < 1e-5
    torch = Embedder(backend="torch")
    assert torch.passage_precision == "float32"
    assert np.abs(torch.embed_passages(TEXTS) - torch_vectors).max() < 1e-5


@pytest.mark.slow  # a whole export: half a minute of torch on 2 cores
def test_a_model_without_an_int8_copy_embeds_passages_in_float32(tmp_path, torch_vectors, monkeypatch):
    import onnxruntime.quantization

    def cannot(*args, **kwargs):
        raise RuntimeError("an operator the quantizer does not know")

    monkeypatch.setattr(onnxruntime.quantization, "quantize_dynamic", cannot)
    embedder = Embedder(backend="onnx", cache_dir=tmp_path)
    assert np.abs(embedder.embed_passages(TEXTS) - torch_vectors).max() < 1e-5
    assert not list(tmp_path.glob("*/model-int8.onnx")) and list(tmp_path.glob("*/model.onnx"))


def test_an_unknown_passage_precision_is_refused_with_the_choices():
    with pytest.raises(SettingsError, match="passage_precision: 'fp16' is not one of int8, float32"):
        Embedder(backend="onnx", cache_dir=None, passage_precision="fp16")


def test_a_single_text_asked_again_is_not_embedded_again(embedder):
    before = embedder.calls
    first = embedder.embed(["How do I start with Kaggle?"])
    again = embedder.embed(["How do I start with Kaggle?"])
    assert embedder.calls - before == 1 and np.array_equal(first, again)
    again[0, 0] = 5.0  # the caller's copy: the kept vector is not changed by it
    assert np.array_equal(embedder.embed(["How do I start with Kaggle?"]), first)
    embedder.embed(["How do I start with Kaggle?", "a second text"])
    assert embedder.calls - before == 3  # batches are embedded as they come


_EXPORT_PROBE = """
import json, sys
from pathlib import Path
from ingest import Embedder
vectors = Embedder(backend="onnx", cache_dir=Path(sys.argv[1])).embed(json.loads(sys.argv[2]))
print(json.dumps({"torch": "torch" in sys.modules, "vectors": vectors.tolist()}))
"""


@pytest.mark.slow
def test_processes_that_need_the_model_at_once_export_it_once_and_share_it(tmp_path, torch_vectors):
    command = [sys.executable, "-c", _EXPORT_PROBE, str(tmp_path), json.dumps(TEXTS)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    found = [json.loads(process.communicate(timeout=LIMIT)[0]) for process in processes]
    # One exported (that loads torch); the other waited for it, or came after, and opened its export.
    assert sorted(f["torch"] for f in found) == [False, True]
    for f in found:
        assert np.abs(np.array(f["vectors"]) - torch_vectors).max() < 1e-5
    assert sorted(p.name for p in tmp_path.iterdir()) == [".all-MiniLM-L6-v2.lock", "all-MiniLM-L6-v2"]


@pytest.mark.slow  # two fresh processes
def test_a_second_data_dir_uses_the_model_exported_for_the_first(embedder, small_kb, tmp_path):
    code = (
        "import sys; from assistant import Mentor, Settings; "
        "Mentor(Settings(data_dir=sys.argv[1], manifest=sys.argv[2])).ingest(); print('torch' in sys.modules)"
    )
    for name in ("first", "second"):
        command = [sys.executable, "-c", code, str(tmp_path / name), str(small_kb / "sources.toml")]
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=LIMIT)
        assert out.stdout.strip() == "False"  # no export: the user's cache folder has the model
        assert not (tmp_path / name / "models").exists()  # where each data dir kept its own export before
