"""The benchmarks at their smallest: every result has its keys and positive measurements."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.quality.evaluation import Case, evaluate
from benchmarks import (
    baseline,
    ceiling,
    cold_start,
    embedding_speed,
    first_run,
    ingest_speed,
    latency,
    report,
    retrieval,
    scale,
    synthetic,
)

DOCUMENTS = 4
METRICS = ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embedder):
    """Both pipelines' stores of a tiny synthetic corpus, and the ingest measurements."""
    workdir = tmp_path_factory.mktemp("bench")
    result, mentor, store = ingest_speed.synthetic_corpus(workdir, DOCUMENTS, embedder, baseline.embeddings())
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
    assert set(found["metrics"]) == {
        "mentor",
        "baseline",
        retrieval.NO_HEADINGS,
        retrieval.NO_BOOST,
        *retrieval.ABLATIONS,
    }
    for row in found["metrics"].values():
        assert all(0.0 <= row[metric] <= 1.0 for metric in METRICS)
    assert found["metrics"]["mentor"]["hit@5"] > 0 and found["metrics"]["baseline"]["hit@5"] > 0

    timed = latency.run(mentor, store, [case.question for case in cases], queries=3)
    for operation in ("mentor_search", "mentor_ask", "baseline_search"):
        assert all(timed[operation][p] > 0 for p in ("p50_ms", "p95_ms", "p99_ms"))

    out = tmp_path / "results"
    answers = {"synthetic/full": evaluate(mentor, cases).metrics}
    report.write(out, "retrieval", {"columns": {"synthetic/full": found}, "answers": answers}, "test")
    report.write(out, "ingest_speed", {"synthetic": ingest}, "test")
    report.write(out, "latency", {"synthetic": timed}, "test")
    written = json.loads((out / "retrieval.json").read_text())
    assert written["machine"]["cores"] >= 1
    assert written["columns"]["synthetic/full"]["metrics"]["mentor"]["hit@5"] > 0
    readme = report.write_readme(out).read_text()
    assert "| mentor |" in readme and "| correct |" in readme and "| synthetic |" in readme and "p95 ms" in readme


def test_the_ceiling_times_every_float32_batch_size_and_int8_read_alone(built, embedder, tmp_path):
    workdir, ingest, _, _ = built
    texts = ceiling.corpus_texts(workdir / ingest_speed.synthetic_name(DOCUMENTS), synthetic.PATTERNS)
    assert len(texts) == ingest["mentor"]["full"]["chunks"]  # what a build embeds
    kept = embedder.batch_size
    found = ceiling.run(embedder, texts)
    assert embedder.batch_size == kept
    assert set(found["tokens_per_s"]) == {"float32", "int8"}  # questions and keys; passages
    assert set(found["tokens_per_s"]["float32"]) == {str(n) for n in ceiling.BATCH_SIZES}
    assert set(found["tokens_per_s"]["int8"]) == {"1"} and found["best_batch_size"] == 1
    assert found["ceiling_tokens_per_s"] == max(found["tokens_per_s"]["int8"].values()) > 0
    assert found["tokens"] >= ingest["mentor"]["full"]["embedded_tokens"] > 0  # no question keys here
    report.write(tmp_path, "ceiling", found, "test")
    assert "A build's ceiling:" in report.write_readme(tmp_path).read_text()


def test_fresh_processes_report_time_and_memory(built):
    workdir, _, _, _ = built
    mentor_dir, baseline_dir = ingest_speed.store_dirs(
        workdir, f"{ingest_speed.synthetic_name(DOCUMENTS)}-0"
    )  # the first (and only) round
    cold = cold_start.run(mentor_dir, baseline_dir, runs=1)
    assert set(cold["commands"]) == {"mentor --help", "mentor ask", "baseline ask"}
    for row in cold["commands"].values():
        assert row["median_s"] > 0 and row["peak_rss_mb"] > 0
    assert cold["ratios"]["ask_median_mentor_over_baseline"] > 0


@pytest.mark.browser
def test_the_first_chat_is_timed_to_an_answer_in_the_browser(small_kb, model_cache, tmp_path):
    if not Path(first_run.CHROMIUM).exists():
        pytest.skip(f"{first_run.CHROMIUM} is missing; install it with `apt-get install -y chromium`")
    shutil.copytree(model_cache, tmp_path / "first-run-cache" / "mentor" / "models")  # warm: no export here
    found = first_run.run(tmp_path, manifest=small_kb / "sources.toml", caches=("warm",))
    marks = found["runs"]["warm"]
    assert marks["ingested_s"] > 0
    assert 0 < marks["page_served_s"] <= marks["title_s"] <= marks["input_ready_s"] <= marks["answer_s"]
    report.write(tmp_path, "first_run", found, "test")
    assert "| warm |" in report.write_readme(tmp_path).read_text()


def test_backends_agree_and_every_batch_size_is_timed(built, model_cache, tmp_path):
    workdir, _, mentor, _ = built
    cases = _cases(workdir / ingest_speed.synthetic_name(DOCUMENTS))
    found = embedding_speed.run(mentor, model_cache, cases)
    assert set(found["chunks_per_s"]) == {"torch", "onnx"}
    assert all(speed > 0 for row in found["chunks_per_s"].values() for speed in row.values())
    assert found["metrics"]["torch"] == found["metrics"]["onnx"]  # the same vectors
    assert float(found["max_abs_difference"]) < 1e-5
    report.write(tmp_path, "embedding_speed", found, "test")
    assert "| onnx |" in report.write_readme(tmp_path).read_text()


def test_a_scaled_store_is_searched_warm_and_cold(embedder, model_cache, tmp_path, monkeypatch):
    monkeypatch.setitem(scale.SIZES, "test", (300,))
    monkeypatch.setattr(scale, "POOL", 50)
    found = scale.run(tmp_path, embedder, baseline.embeddings(), ["free GPU", "career paths"], "test", 3, model_cache)
    row = found["sizes"]["300"]
    assert row["chunks"] == 300 and row["mentor_search"]["p95_ms"] > 0
    assert row["cold"]["mentor ask"]["peak_rss_mb"] > 0 and row["ratios"]["cold_ask_over_baseline"] > 0
    report.write(tmp_path, "scale", found, "test")
    assert "| 300 |" in report.write_readme(tmp_path).read_text()
