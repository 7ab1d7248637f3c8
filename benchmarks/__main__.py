"""Run the benchmarks: ``python -m benchmarks [--size small|full] [--out DIR] [--only NAMES]``.

Every benchmark writes ``<out>/<name>.json``; ``<out>/README.md`` shows them all as tables.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant import Mentor, Settings
from assistant.quality.evaluation import EVAL_DIR, UNCURATED, compare, default_splits, eval_store, read_cases
from benchmarks import (
    baseline,
    ceiling,
    cold_start,
    embedding_speed,
    first_run,
    ingest_speed,
    latency,
    load,
    report,
    retrieval,
    scale,
    synthetic,
)
from ingest import Embedder

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"
QUESTIONS = EVAL_DIR / "dev.jsonl"  # latency and load replay its questions
STAGES = ("retrieval", "embedding", "ceiling", "ingest", "latency", "scale", "load", "cold", "first")


@dataclass(frozen=True)
class Size:
    """How big a run is."""

    documents: int  # synthetic corpus, about ten Mentor chunks each
    ingest_rounds: int = 3  # full builds of each pipeline, alternating
    queries: int = latency.DEFAULT_QUERIES
    cold_runs: int = cold_start.RUNS


SIZES = {"small": Size(documents=200), "full": Size(documents=2000, ingest_rounds=2, queries=100)}


def run(size: str, out: Path, stages: tuple[str, ...] = STAGES) -> dict[str, dict[str, Any]]:
    """Run ``stages`` at ``size`` in a temporary folder; write results to ``out``."""
    config = SIZES[size]
    results: dict[str, dict[str, Any]] = {}

    def done(name: str, data: dict[str, Any]) -> None:
        results[name] = data
        print(f"  wrote {report.write(out, name, data, size)}", flush=True)

    with tempfile.TemporaryDirectory(prefix="mentor-bench-") as tmp:
        workdir = Path(tmp)
        model_cache = workdir / "models"
        if set(stages) - {"cold", "first"}:  # these stages run fresh processes, not these models
            embedder, embedding = _models(model_cache)
        cases = read_cases(QUESTIONS)
        questions = [case.question for case in cases]
        if {"retrieval", "embedding", "latency", "load"} & set(stages):
            kb_mentor, kb_store = _knowledge_stores(workdir, embedder, embedding)
        if "retrieval" in stages:
            _say("retrieval: dev and test sets; full knowledge base (with ablations), guide alone, and uncurated")
            splits = {path.stem: read_cases(path) for path in default_splits()}
            guide_store, _ = baseline.build(KNOWLEDGE, workdir / "kb-baseline-guide", embedding, patterns=("guide.md",))
            stores = {
                "full": (kb_mentor, kb_store),
                "guide": (eval_store(kb_mentor, "guide"), guide_store),
                UNCURATED: (eval_store(kb_mentor, UNCURATED), kb_store),  # the baseline reads plain files anyway
            }
            done(
                "retrieval",
                {
                    "columns": retrieval.compare_stores(stores, splits),
                    "answers": {name: r.metrics for name, r in compare(kb_mentor, splits).items()},
                },
            )
        if "embedding" in stages:
            _say("embedding backends and batch sizes")
            done("embedding_speed", embedding_speed.run(kb_mentor, model_cache, cases))
        if "ceiling" in stages:
            _say("the encoder's ceiling")
            corpus = synthetic.write_corpus(workdir / "ceiling", config.documents)
            texts = ceiling.corpus_texts(corpus, synthetic.PATTERNS)[: ceiling.MAX_TEXTS]
            results["ceiling"] = ceiling.run(embedder, texts)
            done("ceiling", results["ceiling"])
        if "ingest" in stages:
            _say(f"ingest speed: knowledge, {config.ingest_rounds} rounds")
            kb, _, _ = ingest_speed.knowledge(workdir, KNOWLEDGE, embedder, embedding, config.ingest_rounds)
            _say(f"ingest speed: {config.documents} synthetic documents, {config.ingest_rounds} rounds")
            syn, *_ = ingest_speed.synthetic_corpus(
                workdir, config.documents, embedder, embedding, config.ingest_rounds
            )
            if "ceiling" in results:
                for row in (kb, syn):
                    row["mentor"]["full"]["fraction_of_ceiling"] = (
                        row["mentor"]["full"]["embedded_tokens_per_s"] / results["ceiling"]["ceiling_tokens_per_s"]
                    )
            done("ingest_speed", {"knowledge": kb, "synthetic": syn})
        if "latency" in stages:
            _say("latency")
            done("latency", {"knowledge": latency.run(kb_mentor, kb_store, questions, config.queries)})
        if "scale" in stages:
            _say(f"scale: {', '.join(map(str, scale.SIZES[size]))} chunks")
            done("scale", scale.run(workdir, embedder, embedding, questions, size, config.queries, model_cache))
        if "load" in stages:
            _say("load: concurrent asks and MCP calls")
            done("load", load.run(kb_mentor, questions))
        if "cold" in stages:
            _say("cold start and memory (fresh processes)")
            cache = {"XDG_CACHE_HOME": str(workdir / "cold-cache")}  # empty: this ingest exports the model
            ingest = cold_start.ingest_processes(workdir, KNOWLEDGE, baseline.KNOWLEDGE_PATTERNS, cache)
            cold = cold_start.run(
                Path(ingest["mentor"]["store"]), Path(ingest["baseline"]["store"]), runs=config.cold_runs, env=cache
            )
            done("cold_start", cold)
            done("memory", cold_start.memory(ingest, cold))
        if "first" in stages:
            _say("first mentor ui: command to an answer in the browser, cold and warm model cache")
            done("first_run", first_run.run(workdir))
    print(f"  wrote {report.write_readme(out)}")
    return results


def _models(model_cache: Path):
    """Both embedding models, loaded and warmed up, so no timing includes a model load.

    Mentor's is its default, ONNX Runtime, exported into ``model_cache``.
    """
    embedder = Embedder(backend="onnx", cache_dir=model_cache)
    embedder.embed(["warm up"])
    embedding = baseline.embeddings()
    embedding.embed_query("warm up")
    return embedder, embedding


def _knowledge_stores(workdir: Path, embedder: Embedder, embedding):
    """Mentor's and the baseline's stores of the shipped knowledge base."""
    mentor = Mentor(Settings(data_dir=workdir / "kb-mentor", manifest=KNOWLEDGE / "sources.toml"), embedder=embedder)
    mentor.ingest()
    store, _ = baseline.build(KNOWLEDGE, workdir / "kb-baseline", embedding)
    return mentor, store


def _say(stage: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {stage}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--only", default=",".join(STAGES), help=f"comma-separated stages, of: {', '.join(STAGES)}")
    args = parser.parse_args(argv)
    stages = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        parser.error(f"--only: unknown stage {unknown[0]!r}; choose from {', '.join(STAGES)}")
    run(args.size, args.out, stages)


if __name__ == "__main__":
    main()
