"""Ingest speed: full builds side by side, a re-ingest with nothing changed and one after a
small edit.

Throughput is given as chunks/s (each pipeline's own chunks) and tokens/s (the corpus's tokens,
the same for both, so it compares the time to ingest the same content); Mentor's embedded
tokens/s (passages with their headings, and question keys) is what the ceiling compares with.

Full builds alternate (Mentor, baseline, then baseline, Mentor, …), each into a fresh folder,
and the medians are compared: the baseline has no incremental path, so re-running it is a full
rebuild. Both embedding models are loaded beforehand, so the numbers are chunk + embed + store.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_chroma import Chroma
from langchain_huggingface import HuggingFaceEmbeddings

from assistant import Mentor, Settings
from benchmarks import baseline, synthetic
from benchmarks.report import ratio
from ingest import Embedder
from ingest.models import bundled_model_path

KNOWLEDGE_EDIT = "guide.md"  # the one-paragraph change: the guide is the file people edit most


def knowledge(
    workdir: Path, knowledge_dir: Path, embedder: Embedder, embedding: HuggingFaceEmbeddings, rounds: int
) -> tuple[dict[str, Any], Mentor, Chroma]:
    """Time both pipelines on a copy of ``knowledge_dir``; one paragraph of the guide is edited."""
    root = workdir / "knowledge"
    shutil.copytree(knowledge_dir, root)

    def edit() -> int:
        synthetic.edit_paragraph(root / KNOWLEDGE_EDIT)
        return 1

    return measure("knowledge", workdir, root, baseline.KNOWLEDGE_PATTERNS, embedder, embedding, edit, rounds)


def synthetic_corpus(
    workdir: Path, documents: int, embedder: Embedder, embedding: HuggingFaceEmbeddings, rounds: int = 1
) -> tuple[dict[str, Any], Mentor, Chroma]:
    """Time both pipelines on ``documents`` synthetic documents; 1% of them are then edited."""
    name = synthetic_name(documents)
    root = synthetic.write_corpus(workdir / name, documents)
    changed = max(1, documents // 100)
    return measure(
        name,
        workdir,
        root,
        synthetic.PATTERNS,
        embedder,
        embedding,
        lambda: len(synthetic.change_documents(root, changed)),
        rounds,
    )


def measure(
    name: str,
    workdir: Path,
    root: Path,
    patterns: Sequence[str],
    embedder: Embedder,
    embedding: HuggingFaceEmbeddings,
    edit: Callable[[], int],
    rounds: int = 1,
) -> tuple[dict[str, Any], Mentor, Chroma]:
    """``rounds`` full builds of ``root`` by each pipeline, alternating which goes first, each
    into a fresh folder; then Mentor's no-change and after-``edit`` ingest of its last store.

    Returns the results and both last stores, for latency measurements on the same content.
    """
    tokens = corpus_tokens(root, patterns)
    runs: dict[str, list[float]] = {"mentor": [], "baseline": []}
    embedded = []
    for n in range(rounds):
        mentor_dir, baseline_dir = store_dirs(workdir, f"{name}-{n}")
        for which in ("mentor", "baseline") if n % 2 == 0 else ("baseline", "mentor"):
            if which == "mentor":
                mentor = Mentor(Settings(data_dir=mentor_dir, manifest=root / "sources.toml"), embedder=embedder)
                full, seconds = _timed(mentor.ingest)
                embedded.append(full.tokens)
            else:
                (store, chunks), seconds = _timed(
                    lambda out=baseline_dir: baseline.build(root, out, embedding, patterns)
                )
            runs[which].append(seconds)
    again, again_s = _timed(mentor.ingest)
    documents = edit()
    changed, changed_s = _timed(mentor.ingest)
    full_s, base_s = statistics.median(runs["mentor"]), statistics.median(runs["baseline"])
    result = {
        "documents": len({p for pattern in patterns for p in root.glob(pattern)}),
        "corpus_tokens": tokens,
        "rounds": rounds,
        "mentor": {
            "full": {
                "seconds": full_s,
                "runs_s": runs["mentor"],
                "chunks": full.total_chunks,
                "chunks_per_s": full.total_chunks / full_s,
                "tokens_per_s": tokens / full_s,
                "embedded_tokens": statistics.median(embedded),
                "embedded_tokens_per_s": statistics.median(embedded) / full_s,
            },
            "no_change": {"seconds": again_s, "embedded": again.embedded},
            "changed": {
                "documents": documents,
                "seconds": changed_s,
                "embedded": changed.embedded,
                "deleted": changed.deleted,
            },
        },
        "baseline": {
            "full": {
                "seconds": base_s,
                "runs_s": runs["baseline"],
                "chunks": chunks,
                "chunks_per_s": chunks / base_s,
                "tokens_per_s": tokens / base_s,
            }
        },
    }
    result["ratios"] = {
        "full_seconds_mentor_over_baseline": ratio(full_s, base_s),
        "full_speedup_baseline_over_mentor": ratio(base_s, full_s),
        "mentor_full_over_no_change": ratio(full_s, again_s),
        "mentor_full_over_changed": ratio(full_s, changed_s),
        "baseline_rebuild_over_mentor_changed": ratio(base_s, changed_s),
    }
    return result, mentor, store


def corpus_tokens(root: Path, patterns: Sequence[str]) -> int:
    """Tokens (the model's word pieces) in the corpus's files: what both pipelines ingest."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    tokenizer.no_truncation()  # the file truncates at 128: count every token of the corpus
    texts = [p.read_text(encoding="utf-8") for pattern in patterns for p in sorted(root.glob(pattern))]
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False))


def store_dirs(workdir: Path, name: str) -> tuple[Path, Path]:
    """Where :func:`measure` puts Mentor's data dir and the baseline's store for corpus ``name``."""
    return workdir / f"{name}-mentor", workdir / f"{name}-baseline"


def synthetic_name(documents: int) -> str:
    """The corpus name (and folder) of a synthetic corpus of ``documents`` documents."""
    return f"synthetic-{documents}"


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start
