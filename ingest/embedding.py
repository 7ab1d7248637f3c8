"""Sentence-transformers embeddings: the shipped model loaded by path, checked, normalised, batched."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from ingest.errors import SettingsError, one_of
from ingest.models import BACKENDS, DEFAULT_MODEL, PRECISIONS, bundled_model_path, sentence_transformer

if TYPE_CHECKING:
    import numpy as np

DEFAULT_BATCH_SIZE = 8  # see benchmarks/results: embedding speed
RECENT = 64  # single texts whose vectors are kept for the next call with the same text
_BUNDLED_NAMES = frozenset({DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"})


class Embedder(Embeddings):
    """Unit-length float32 embeddings from a sentence-transformers model, loaded on first use.

    ``backend="onnx"`` runs the same model in ONNX Runtime (exported once into ``cache_dir``):
    the same vectors to within 1e-5, without importing torch. With it, ``passage_precision=
    "int8"`` embeds passages (:meth:`embed_passages`) with the model's int8 copy: an ingest's
    bulk, each text alone, about 1.15 times as fast; questions, keys and sentences stay in full precision.

    Example:
        >>> embedder = Embedder()
        >>> embedder.embed(["free GPU for experiments"]).shape
        (1, 384)
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        backend: str = "torch",
        cache_dir: Path | None = None,
        passage_precision: str = "int8",
    ) -> None:
        one_of("embed_backend", backend, BACKENDS)
        one_of("passage_precision", passage_precision, PRECISIONS)
        if backend == "onnx" and cache_dir is None:
            raise SettingsError("embed_backend 'onnx' needs a cache_dir for the exported model")
        self.model_name = DEFAULT_MODEL if model in _BUNDLED_NAMES else model
        self.batch_size = batch_size
        self.backend = backend
        self.cache_dir = cache_dir
        self.passage_precision = passage_precision if backend == "onnx" else "float32"  # torch has no int8 copy
        self.calls = 0  # texts embedded so far: lets tests and reports prove what was skipped
        self.tokens = 0  # word pieces the model read so far, and in how many seconds:
        self.seconds = 0.0  # ingest reports the encoder's tokens/s from them
        self._model = None
        self._int8 = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # single texts: a question
        self._recent_lock = threading.Lock()  # is embedded by search and again by the answer

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        model = self._loaded()
        return int(model.dimension if self.backend == "onnx" else model.get_embedding_dimension())

    def embed(self, texts: list[str], done: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed ``texts`` as an (n, dimension) array of unit-length rows; ``done`` is told how
        many texts are finished as batches complete."""
        import numpy as np

        model = self._loaded()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) == 1:
            with self._recent_lock:
                if texts[0] in self._recent:
                    self._recent.move_to_end(texts[0])
                    return self._recent[texts[0]][None, :].copy()
        vectors = self._encode(model, texts, done)
        if len(texts) == 1:
            with self._recent_lock:
                self._recent[texts[0]] = vectors[0].copy()
                if len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        return vectors

    def embed_passages(self, texts: list[str], done: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed passages for the store, as :meth:`embed` does, at ``passage_precision``."""
        if self.passage_precision == "float32" or not texts:
            return self.embed(texts, done)
        with self._lock:
            if self._int8 is None:
                self._int8 = _load(self.model_name, self.backend, self.cache_dir, int8=True)
        return self._encode(self._int8, texts, done)

    def _encode(self, model, texts: list[str], done: Callable[[int], None] | None) -> np.ndarray:
        """``texts`` embedded by ``model``, counted in :attr:`calls`, :attr:`tokens` and :attr:`seconds`."""
        import numpy as np

        started = time.perf_counter()
        if self.backend == "onnx":
            vectors, tokens = model.encode(texts, self.batch_size, done)
        else:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            tokens = sum(
                map(len, model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"])
            )
            if done:
                done(len(texts))
        self.calls += len(texts)
        self.tokens += tokens
        self.seconds += time.perf_counter() - started
        return vectors.astype(np.float32, copy=False)

    def forget_recent(self) -> None:
        """Drop the kept vectors of recent single texts (a benchmark times a question asked anew)."""
        with self._recent_lock:
            self._recent.clear()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain interface: embed passages."""
        return self.embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: embed one query."""
        return self.embed([text])[0].tolist()

    def _loaded(self):
        with self._lock:
            if self._model is None:
                self._model = _load(self.model_name, self.backend, self.cache_dir)
            return self._model


def _load(name: str, backend: str, cache_dir: Path | None, *, int8: bool = False):
    """Load the bundled model by path (checking its hash) or any other model by name (for
    ``onnx``: its int8 copy with ``int8``)."""
    location: str | Path = bundled_model_path() if name == DEFAULT_MODEL else name
    try:
        if backend == "onnx":
            from ingest import onnx_backend

            return onnx_backend.load(name, location, cache_dir, int8=int8)
        return sentence_transformer(location)
    except (OSError, ValueError) as exc:
        raise SettingsError(
            f"model {name!r} could not be loaded ({exc.__class__.__name__}); "
            "set MENTOR_MODEL to an installed sentence-transformers model"
        ) from None
