"""Query latency and serving memory as the store grows (1,000 to 100,000+ chunks).

Embedding 100,000 chunks takes hours on 2 cores, and how long a search takes does not depend
on how its vectors were made, so these stores are built from a pool of real embeddings: chunk
``i`` joins two synthetic paragraphs of the pool and its vector is the normalised sum of
theirs (every text and vector distinct). Mentor's store and the baseline's hold the same
texts and vectors; queries are the eval questions, embedded for real at query time. A chunk's
sentences are its two paragraphs' sentences, so Mentor's sentence vectors (which an ingest
would embed) come from those paragraphs' sentences, embedded for real once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant import Mentor, Settings
from benchmarks import cold_start, latency, synthetic
from benchmarks.baseline import chroma_settings
from benchmarks.report import ratio
from ingest import Embedder
from ingest.sentences import SentenceVectors, split

SIZES = {"small": (1_000,), "full": (1_000, 20_000, 100_000)}
POOL = 1_000
WRITE_BATCH = 5_000


def run(
    workdir: Path, embedder: Embedder, embedding, questions: Sequence[str], size: str, queries: int, model_cache: Path
) -> dict[str, Any]:
    """For each store size: build seconds, warm latency of both, cold ``ask`` and peak RSS."""
    texts = [_paragraph(i) for i in range(POOL)]
    vectors = embedder.embed(texts)
    results = {}
    for chunks in SIZES[size]:
        folder = workdir / f"scale-{chunks}"
        started = time.perf_counter()
        mentor = _mentor_store(folder / "mentor", embedder, texts, vectors, chunks)
        mentor_build = time.perf_counter() - started
        started = time.perf_counter()
        mentor.search("warm up the BM25 index", 1)
        bm25_build = time.perf_counter() - started
        baseline = _baseline_store(folder / "baseline", embedding, texts, vectors, chunks)
        warm = latency.run(mentor, baseline, questions, queries)
        cold = cold_start.run(
            folder / "mentor", folder / "baseline", runs=1, env={"MENTOR_MODEL_CACHE": str(model_cache)}
        )["commands"]
        results[str(chunks)] = {
            **warm,
            "store_write_s": mentor_build,
            "bm25_first_build_s": bm25_build,
            "cold": cold,
            "ratios": {
                **warm["ratios"],
                "cold_ask_over_baseline": ratio(cold["mentor ask"]["median_s"], cold["baseline ask"]["median_s"]),
            },
        }
    return {"pool": POOL, "sizes": results}


def _paragraph(i: int) -> str:
    return synthetic.document(i).split("\n\n")[1]


def _pair(i: int) -> tuple[int, int]:
    """Two distinct pool paragraphs for chunk ``i``; no pair repeats below POOL*(POOL-1)."""
    first = i % POOL
    return first, (first + 1 + i // POOL) % POOL


def _rows(texts: list[str], vectors: np.ndarray, start: int, end: int):
    pairs = [_pair(i) for i in range(start, end)]
    joined = vectors[[a for a, _ in pairs]] + vectors[[b for _, b in pairs]]
    joined /= np.linalg.norm(joined, axis=1, keepdims=True)
    return pairs, [f"{texts[a]} {texts[b]}" for a, b in pairs], joined.astype(np.float32)


def _mentor_store(data_dir: Path, embedder: Embedder, texts: list[str], vectors: np.ndarray, chunks: int) -> Mentor:
    mentor = Mentor(Settings(data_dir=data_dir), embedder=embedder)
    store = mentor.store
    for start in range(0, chunks, WRITE_BATCH):
        end = min(chunks, start + WRITE_BATCH)
        _, bodies, joined = _rows(texts, vectors, start, end)
        ids = [f"scale-{i:06d}" for i in range(start, end)]
        metadatas = [
            {
                "source": f"docs/doc-{i // 10:05d}.md",
                "title": f"Notes {i // 10}",
                "section": f"Part {i % 10}",
                "section_path": f"Notes {i // 10} > Part {i % 10}",
                "anchor": f"docs/doc-{i // 10:05d}.md#part-{i % 10}",
                "url": "",
                "position": i % 10,
            }
            for i in range(start, end)
        ]
        store.upsert(ids, joined, bodies, metadatas)
    store.set_info(ingest_id=f"scale-{chunks}", dimension=int(vectors.shape[1]))
    cache = SentenceVectors(mentor.settings.sentence_cache, _PoolSentences(embedder, texts))
    for start in range(0, chunks, WRITE_BATCH):
        cache.units(_rows(texts, vectors, start, min(chunks, start + WRITE_BATCH))[1])
    cache.close()
    return mentor


class _PoolSentences:
    """Embeds the pool paragraphs' sentences once, then answers for them by lookup."""

    def __init__(self, embedder: Embedder, paragraphs: list[str]) -> None:
        self.model_name = embedder.model_name
        self.dimension = embedder.dimension
        self._embedder = embedder
        units = sorted({u.text for paragraph in paragraphs for u in split(paragraph)})
        self._known = dict(zip(units, embedder.embed(units), strict=True))

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self._known]  # a sentence split across two
        self._known.update(zip(missing, self._embedder.embed(missing), strict=True))
        return np.stack([self._known[t] for t in texts])


def _baseline_store(persist_dir: Path, embedding, texts: list[str], vectors: np.ndarray, chunks: int):
    """The baseline's Chroma store (LangChain's default collection) with the same rows."""
    import chromadb
    from langchain_chroma import Chroma

    client = chromadb.PersistentClient(str(persist_dir), settings=chroma_settings())
    collection = client.get_or_create_collection("langchain", embedding_function=None)
    for start in range(0, chunks, WRITE_BATCH):
        end = min(chunks, start + WRITE_BATCH)
        _, bodies, joined = _rows(texts, vectors, start, end)
        collection.add(
            ids=[f"scale-{i:06d}" for i in range(start, end)],
            embeddings=joined,
            documents=bodies,
            metadatas=[{"source": f"docs/doc-{i // 10:05d}.md"} for i in range(start, end)],
        )
    return Chroma(client=client, collection_name="langchain", embedding_function=embedding)
