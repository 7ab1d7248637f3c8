"""The encoder's ceiling on this machine: how many tokens per second the configured backend
embeds when it does nothing else, on length-sorted batches at its best batch size (the int8
copy reads each text alone, so for it batch size does not apply).

An ingest cannot embed faster than this; its own tokens/s as a fraction of the ceiling shows
how much of a build is the encoder and how much is everything around it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest import Embedder
from ingest.chunking import chunk_document
from ingest.loading import load_file

BATCH_SIZES = (4, 8, 16, 32, 64)
MAX_BYTES = 10_000_000
MAX_TEXTS = 2_000  # a sample of the corpus is enough to time the encoder


def run(embedder: Embedder, texts: list[str]) -> dict[str, Any]:
    """Tokens/s of ``embedder`` on ``texts`` at each batch size, in full precision (how questions
    and keys are embedded) and at its passage precision (how passages are); each one's best is
    its ceiling, and the passages' is the build's (``ceiling_tokens_per_s``).

    The backend sorts texts by length and pads each batch to its longest (see
    ``ingest.onnx_backend``; sentence-transformers does the same); the int8 copy reads each text
    alone, so it is measured once, at batch size 1.
    """
    kept = embedder.batch_size
    speeds: dict[str, dict[str, float]] = {}
    tokens = 0
    try:
        # one entry when passages are float32 too: the same measurement is not taken twice
        measured = {"float32": embedder.embed, embedder.passage_precision: embedder.embed_passages}
        for precision, embed in measured.items():
            embed(texts[:16])  # warm up at this length
            speeds[precision] = {}
            for size in (1,) if precision == "int8" else BATCH_SIZES:
                embedder.batch_size = size
                read, started = embedder.tokens, time.perf_counter()
                embed(texts)
                tokens = embedder.tokens - read
                speeds[precision][str(size)] = tokens / (time.perf_counter() - started)
    finally:
        embedder.batch_size = kept
    best = {precision: max(row, key=row.__getitem__) for precision, row in speeds.items()}
    return {
        "backend": embedder.backend,
        "passage_precision": embedder.passage_precision,
        "texts": len(texts),
        "tokens": tokens,
        "tokens_per_s": speeds,
        "best_batch_size": int(best[embedder.passage_precision]),
        "ceiling_tokens_per_s": speeds[embedder.passage_precision][best[embedder.passage_precision]],
    }


def corpus_texts(root: Path, patterns: Sequence[str]) -> list[str]:
    """What a Mentor build of the files under ``root`` embeds: each passage under its headings."""
    paths = sorted({path for pattern in patterns for path in root.glob(pattern)})
    return [
        chunk.embed_text
        for path in paths
        for chunk in chunk_document(load_file(path, path.relative_to(root).as_posix(), max_bytes=MAX_BYTES))
    ]
