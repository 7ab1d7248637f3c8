"""Embedding throughput by backend and batch size, and whether the backend changes retrieval."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant import Mentor
from assistant.quality.evaluation import Case, evaluate
from ingest import Embedder

BATCH_SIZES = (8, 16, 32, 64)
METRICS = ("hit@1", "hit@3", "mrr")


def run(mentor: Mentor, model_cache: Path, cases: list[Case]) -> dict[str, Any]:
    """Chunks per second of each backend at each batch size over the store's own texts.

    ``mentor``'s store supplies the texts (what an ingest embeds) and the eval; each backend's
    vectors are compared with torch's, and the eval is run with queries embedded by each.
    """
    texts = [row.text for row in mentor.store.rows()]
    models = {"torch": Embedder(backend="torch"), "onnx": Embedder(backend="onnx", cache_dir=model_cache)}
    result: dict[str, Any] = {"texts": len(texts), "chunks_per_s": {}, "metrics": {}}
    vectors = {}
    for backend, model in models.items():
        model.embed(["warm up"])
        speeds = {}
        for size in BATCH_SIZES:
            model.batch_size = size
            started = time.perf_counter()
            vectors[backend] = model.embed(texts)
            speeds[str(size)] = len(texts) / (time.perf_counter() - started)
        result["chunks_per_s"][backend] = speeds
        found = evaluate(Mentor(mentor.settings, embedder=model, client=mentor.client), cases, answers=False).metrics
        result["metrics"][backend] = {name: found[name] for name in METRICS}
    # as text: the results file rounds numbers to 4 decimals, which would show 0
    result["max_abs_difference"] = f"{np.abs(vectors['onnx'] - vectors['torch']).max():.1e}"
    return result
