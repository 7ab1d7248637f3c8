"""Warm, in-process query latency: Mentor.search, Mentor.ask and the baseline's search."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from itertools import cycle, islice
from typing import Any

from langchain_chroma import Chroma

from assistant import Mentor
from benchmarks.baseline import K
from benchmarks.report import ratio

DEFAULT_QUERIES = 50  # the fewest that give a p99 worth quoting
WARM_UP = 3  # first calls load the BM25 index and fill caches: not what a user waits for


def run(mentor: Mentor, store: Chroma, questions: Sequence[str], queries: int = DEFAULT_QUERIES) -> dict[str, Any]:
    """p50/p95/p99 in milliseconds over ``queries`` questions (``questions`` cycled), with the
    passages' sentence vectors filled first, as the chat does in the background as it starts."""
    asked = list(islice(cycle(questions), queries))
    mentor.sentences.fill(row.text for row in mentor.store.rows())
    result: dict[str, Any] = {
        "queries": queries,
        "chunks": mentor.store.count(),
        "mentor_search": _percentiles(mentor.search, asked, mentor.embedder.forget_recent),
        "mentor_ask": _percentiles(mentor.ask, asked, mentor.embedder.forget_recent),
        "baseline_search": _percentiles(lambda q: store.similarity_search(q, k=K), asked),
        "k": {"mentor": mentor.settings.top_k, "baseline": K},
    }
    result["ratios"] = {
        f"{name}_p95_over_baseline_search": ratio(result[name]["p95_ms"], result["baseline_search"]["p95_ms"])
        for name in ("mentor_search", "mentor_ask")
    }
    return result


def _percentiles(
    call: Callable[[str], Any], queries: list[str], forget: Callable[[], None] = lambda: None
) -> dict[str, float]:
    """Times of ``call`` on each query after a warm-up; ``forget`` runs before each timed call
    (Mentor keeps the vectors of recent questions, which would flatter a second pass)."""
    for query in queries[:WARM_UP]:
        call(query)
    times = []
    for query in queries:
        forget()
        start = time.perf_counter()
        call(query)
        times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"p50_ms": cuts[49], "p95_ms": cuts[94], "p99_ms": cuts[98], "mean_ms": statistics.fmean(times)}
