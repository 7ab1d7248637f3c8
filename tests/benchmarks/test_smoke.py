"""The benchmarks at their smallest: every result has its keys and positive measurements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluation import Case
from benchmarks import baseline, cold_start, ingest_speed, latency, report, retrieval

DOCUMENTS = 4
METRICS = ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embedder):
    """Both pipelines' stores of a tiny synthetic corpus, and the ingest measurements."""
    workdir = tmp_path_factory.mktemp("bench")
    result, mentor, store = ingest_speed.synthetic_corpus(workdir, DOCUMENTS, embedder,
                                                          baseline.embeddings())
    return workdir, result, mentor, store


def _cases(root: Path) -> list[Case]:
    """One question per document: its first H2 heading, answered anywhere under its title."""
    cases = []
    for path in sorted((root / "docs").glob("*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()
        title = lines[0].removeprefix("# ")
        heading = next(line.removeprefix("## ") for line in lines if line.startswith("## "))
        cases.append(Case(f"{title}: {heading}", (title,)))
    return cases


def test_in_process_benchmarks_report_every_number(built, tmp_path):
    workdir, ingest, mentor, store = built
    for stage in ("full", "no_change", "changed"):
        assert ingest["mentor"][stage]["seconds"] > 0
    assert ingest["mentor"]["full"]["chunks"] >= DOCUMENTS
    assert ingest["mentor"]["no_change"]["embedded"] == 0
    assert ingest["mentor"]["changed"]["embedded"] > 0
    assert ingest["baseline"]["full"]["chunks_per_s"] > 0
    assert all(value > 0 for value in ingest["ratios"].values())

    cases = _cases(workdir / ingest_speed.synthetic_name(DOCUMENTS))
    found = retrieval.run(mentor, store, cases)
    assert set(found["metrics"]) == {"mentor", "baseline", *retrieval.ABLATIONS}
    for row in found["metrics"].values():
        assert all(0.0 <= row[metric] <= 1.0 for metric in METRICS)
    assert found["metrics"]["mentor"]["hit@5"] > 0 and found["metrics"]["baseline"]["hit@5"] > 0

    timed = latency.run(mentor, store, [case.question for case in cases], queries=3)
    for operation in ("mentor_search", "mentor_ask", "baseline_search"):
        assert all(timed[operation][p] > 0 for p in ("p50_ms", "p95_ms", "p99_ms"))

    out = tmp_path / "results"
    report.write(out, "retrieval", found, "test")
    report.write(out, "ingest_speed", {"synthetic": ingest}, "test")
    report.write(out, "latency", {"synthetic": timed}, "test")
    written = json.loads((out / "retrieval.json").read_text())
    assert written["machine"]["cores"] >= 1 and written["metrics"]["mentor"]["hit@5"] > 0
    readme = report.write_readme(out).read_text()
    assert "| mentor |" in readme and "| synthetic |" in readme and "p95 ms" in readme


def test_fresh_processes_report_time_and_memory(built):
    workdir, _, _, _ = built
    mentor_dir, baseline_dir = ingest_speed.store_dirs(
        workdir, ingest_speed.synthetic_name(DOCUMENTS))
    cold = cold_start.run(mentor_dir, baseline_dir, runs=1)
    assert set(cold["commands"]) == {"mentor --help", "mentor ask", "baseline ask"}
    for row in cold["commands"].values():
        assert row["median_s"] > 0 and row["peak_rss_mb"] > 0
    assert cold["ratios"]["ask_median_mentor_over_baseline"] > 0
