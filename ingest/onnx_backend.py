"""The embedding model run by ONNX Runtime: the same vectors as sentence-transformers, no torch.

The model is exported once per user (that step loads torch) into the user's cache folder,
shared by every data dir, one exporting process at a time; every later process loads only
``onnxruntime`` and ``tokenizers``, which makes a cold ``mentor ask`` several seconds faster
and a serving process hundreds of MB smaller. The export also writes an int8
copy (its matrix products' weights quantized per channel), which an ingest may use for passages:
read one text at a time, about 1.15 times as fast on 2 cores as full precision batched, vectors
within 0.02 of full precision's (cosine).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import SettingsError

if TYPE_CHECKING:
    import numpy as np

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_FILES = ("model.onnx", "tokenizer.json", "meta.json")
INT8 = "model-int8.onnx"
_FORMAT = 4  # 2: eager attention, faster in ONNX Runtime than SDPA's graph; 3: fused BERT ops; 4: int8
_FUSED_TYPES = {"bert"}  # architectures ONNX Runtime's transformer optimizer fuses
_FUSED_TOLERANCE = 1e-4  # a fused graph is kept only when its vectors match torch's this closely
_INT8_MIN_COSINE = 0.98  # ...and an int8 copy only when each of its vectors is this close to torch's
_SAMPLE = ("a sample", "another, longer sample", "How can I get a free GPU to train my first model?")


class OnnxModel:
    """A mean-pooled, normalised sentence encoder in ONNX Runtime."""

    def __init__(self, folder: Path, file: str = "model.onnx") -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        meta = json.loads((folder / "meta.json").read_text())
        self.dimension = int(meta["dimension"])
        self._inputs = list(meta["inputs"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._max_tokens = int(meta["max_seq_length"])
        self._tokenizer.enable_truncation(self._max_tokens)
        self._pad_id = int((self._tokenizer.padding or {}).get("pad_id", 0))
        self._tokenizer.no_padding()  # each batch is padded to its own longest text below
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        # Idle threads sleep instead of spinning: spinning kept both cores busy after each query
        # and slowed what search does next (store reads, scoring) two to four times; batch
        # throughput is the same either way (benchmarks/results: latency).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(folder / file), options, providers=["CPUExecutionProvider"])
        # The int8 copy quantizes activations with one scale per batch, so a text's vector would
        # depend on the texts batched with it: it reads each text alone, at some cost in speed on
        # long texts (benchmarks/results: ceiling).
        self._alone = file == INT8

    def encode(
        self, texts: list[str], batch_size: int, done: Callable[[int], None] | None = None
    ) -> tuple[np.ndarray, int]:
        """Unit-length vectors for ``texts`` and the tokens the model read, batched by length to
        waste little on padding; ``done`` is told how many texts are finished after each batch.

        A batch holds as many tokens as ``batch_size`` texts of the longest length the model
        reads: a few long texts or many short ones, which measured fastest on 2 cores.
        """
        import numpy as np

        encoded = self._tokenizer.encode_batch(texts)  # once: lengths, then the batches' inputs
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        finished = 0
        for batch in self._batches(encoded, batch_size):
            vectors[batch] = self._run([encoded[j] for j in batch])
            finished += len(batch)
            if done:
                done(finished)
        return vectors, sum(len(e.ids) for e in encoded)

    def _batches(self, encoded: list, batch_size: int) -> Iterator[list[int]]:
        """Indexes of ``encoded`` in batches, shortest texts first (each alone for the int8 copy)."""
        if self._alone:
            yield from ([i] for i in range(len(encoded)))
            return
        budget = batch_size * self._max_tokens
        batch: list[int] = []
        for i in sorted(range(len(encoded)), key=lambda j: len(encoded[j].ids)):
            if batch and (len(batch) + 1) * len(encoded[i].ids) > budget:  # ascending: i is longest
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def _run(self, encoded: list) -> np.ndarray:
        """One forward pass over tokenised texts, padded to the longest of them."""
        import numpy as np

        width = max(len(e.ids) for e in encoded)
        fields = {
            "input_ids": ("ids", self._pad_id),
            "attention_mask": ("attention_mask", 0),
            "token_type_ids": ("type_ids", 0),
        }
        feed = {}
        for name in self._inputs:
            field, pad = fields[name]
            feed[name] = np.array([getattr(e, field) + [pad] * (width - len(e.ids)) for e in encoded], dtype=np.int64)
        return self._session.run(None, feed)[0]


def load(name: str, location: str | Path, cache_dir: Path, *, int8: bool = False) -> OnnxModel:
    """The ONNX copy of model ``name`` (at ``location``) in ``cache_dir``, exported if missing;
    with ``int8``, its int8 copy where the export made one (else the full-precision one).

    A damaged copy is exported again once.

    Raises:
        SettingsError: the model is not a mean-pooling sentence-transformers model.
    """
    folder = cache_dir / name.replace("/", "--")

    def opened() -> OnnxModel:
        return OnnxModel(folder, INT8 if int8 and (folder / INT8).is_file() else "model.onnx")

    def whole() -> OnnxModel | None:
        """The export in ``folder``, opened; None when it is missing, outdated or damaged."""
        if not _complete(folder):
            return None
        try:
            return opened()
        except Exception:  # noqa: BLE001 - onnxruntime raises its own untyped errors
            return None

    model = whole()
    if model is None:
        with _exporting(folder):  # one export at a time: a second process waits, then opens the first's
            model = whole()
            if model is None:
                _export(name, location, folder)
                model = opened()
    return model


@contextlib.contextmanager
def _exporting(folder: Path) -> Iterator[None]:
    """Hold the export lock of ``folder``: one process of the user's exports a model at a time."""
    import fcntl

    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f".{folder.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # blocks; released when the handle closes, or the process dies
        yield


def _complete(folder: Path) -> bool:
    """Whether ``folder`` holds a whole export in the current format."""
    if not all((folder / name).is_file() for name in _FILES):
        return False
    try:
        return json.loads((folder / "meta.json").read_text()).get("format") == _FORMAT
    except ValueError:
        return False


def _export(name: str, location: str | Path, folder: Path) -> None:
    """Write model.onnx, tokenizer.json and meta.json for ``name`` into ``folder`` atomically
    (into a temporary folder beside it, renamed when whole); the caller holds the export lock."""
    import torch

    from ingest.models import sentence_transformer

    model = sentence_transformer(location)
    model[0].auto_model.set_attn_implementation("eager")  # ~13% faster here, same vectors
    poolings = [m.get_config_dict() for m in model if type(m).__name__ == "Pooling"]
    if [p.get("pooling_mode") for p in poolings] != ["mean"]:
        raise SettingsError(f"model {name!r}: embed_backend 'onnx' needs mean pooling; set MENTOR_EMBED_BACKEND=torch")
    sample = model.tokenizer(list(_SAMPLE), padding=True, return_tensors="pt")
    names = [k for k in _INPUTS if k in sample]
    for stale in folder.parent.glob(f"{folder.name}.tmp-*"):  # left by an export that died (the lock is ours)
        shutil.rmtree(stale, ignore_errors=True)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    tmp.mkdir(parents=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about shapes are expected and harmless
        torch.onnx.export(
            _mean_pooled(model[0].auto_model.eval(), names),
            tuple(sample[k] for k in names),
            str(tmp / "model.onnx"),
            input_names=names,
            output_names=["embedding"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={**{k: {0: "batch", 1: "tokens"} for k in names}, "embedding": {0: "batch"}},
        )
    with torch.no_grad():
        want = model.encode(list(_SAMPLE), normalize_embeddings=True)
    feed = {k: sample[k].numpy() for k in names}
    _fuse(tmp / "model.onnx", model, feed, want)
    _quantize(tmp / "model.onnx", tmp / INT8, feed, want)
    model.tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
    (tmp / "meta.json").write_text(
        json.dumps(
            {
                "format": _FORMAT,
                "model": name,
                "inputs": names,
                "max_seq_length": model.max_seq_length,
                "dimension": model.get_embedding_dimension(),
            }
        )
    )
    shutil.rmtree(folder, ignore_errors=True)  # an incomplete or outdated export (the lock is held)
    tmp.rename(folder)  # whole or not at all: readers that take no lock never see half of it


def _fuse(path: Path, model, feed: dict, want: np.ndarray) -> None:
    """Rewrite the graph at ``path`` with ONNX Runtime's fused attention, GELU and layer-norm
    operators (about a quarter faster on CPU), if the architecture is one it knows and the
    fused graph gives ``want`` for ``feed`` as ``model`` does; otherwise leave it as exported."""
    import numpy as np
    from onnxruntime.transformers import optimizer

    config = model[0].auto_model.config
    if config.model_type not in _FUSED_TYPES:
        return
    fused = path.with_name("fused.onnx")
    optimizer.optimize_model(
        str(path), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size, opt_level=1
    ).save_model_to_file(str(fused))
    if np.abs(_run(fused, feed) - want).max() <= _FUSED_TOLERANCE:
        fused.replace(path)
    else:
        fused.unlink()


def _quantize(path: Path, target: Path, feed: dict, want: np.ndarray) -> None:
    """Write an int8 copy of the graph at ``path`` to ``target``: the weights of its matrix
    products quantized per output channel (a fused attention operator stays in float32, which
    kept the vectors closest), if every vector it gives for ``feed`` is close to ``want``.
    A graph it cannot quantize gets no copy: passages are then embedded in float32."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # its advice to pre-process first is for static quantization
    try:
        quantize_dynamic(
            str(path),
            str(target),
            per_channel=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            extra_options={"DefaultTensorType": TensorProto.FLOAT},  # fused operators carry no type
        )
        close = ((_run(target, feed) * want).sum(axis=1) >= _INT8_MIN_COSINE).all()
    except Exception:  # noqa: BLE001 - the quantizer and onnxruntime raise their own untyped errors
        close = False
    finally:
        logging.disable(logging.NOTSET)
    if not close:
        target.unlink(missing_ok=True)


def _run(path: Path, feed: dict) -> np.ndarray:
    """The graph at ``path`` run once on ``feed``."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]).run(None, feed)[0]


def _mean_pooled(transformer, names: list[str]):
    """``transformer`` then mean pooling over real tokens and L2 normalisation, as one module."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs):
            named = dict(zip(names, inputs, strict=True))
            hidden = self.transformer(**named).last_hidden_state
            mask = named["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    return MeanPooled()
