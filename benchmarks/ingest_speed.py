"""Ingest speed: a full build, a re-ingest with nothing changed and one after a small edit.

Throughput is given as chunks/s (each pipeline's own chunks) and tokens/s (the corpus's tokens,
the same for both, so it compares the time to ingest the same content).

Mentor is timed against the baseline's full build (the baseline has no incremental path:
running its script again rebuilds everything). Both embedding models are loaded beforehand,
so the numbers are load + chunk + embed + store.
"""

from __future__ import annotations

import shutil
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


def knowledge(workdir: Path, knowledge_dir: Path, embedder: Embedder,
              embedding: HuggingFaceEmbeddings) -> tuple[dict[str, Any], Mentor, Chroma]:
    """Time both pipelines on a copy of ``knowledge_dir``; one paragraph of the guide is edited."""
    root = workdir / "knowledge"
    shutil.copytree(knowledge_dir, root)

    def edit() -> int:
        synthetic.edit_paragraph(root / KNOWLEDGE_EDIT)
        return 1

    return measure("knowledge", workdir, root, baseline.KNOWLEDGE_PATTERNS, embedder, embedding,
                   edit)


def synthetic_corpus(workdir: Path, documents: int, embedder: Embedder,
                     embedding: HuggingFaceEmbeddings) -> tuple[dict[str, Any], Mentor, Chroma]:
    """Time both pipelines on ``documents`` synthetic documents; 1% of them are then edited."""
    name = synthetic_name(documents)
    root = synthetic.write_corpus(workdir / name, documents)
    changed = max(1, documents // 100)
    return measure(name, workdir, root, synthetic.PATTERNS, embedder,
                   embedding, lambda: len(synthetic.change_documents(root, changed)))


def measure(name: str, workdir: Path, root: Path, patterns: Sequence[str], embedder: Embedder,
            embedding: HuggingFaceEmbeddings,
            edit: Callable[[], int]) -> tuple[dict[str, Any], Mentor, Chroma]:
    """Full, no-change and after-``edit`` ingest of ``root`` by Mentor; a full baseline build.

    Returns the results and both stores, for latency measurements on the same content.
    """
    tokens = corpus_tokens(root, patterns)
    mentor_dir, baseline_dir = store_dirs(workdir, name)
    settings = Settings(data_dir=mentor_dir, manifest=root / "sources.toml")
    mentor = Mentor(settings, embedder=embedder)
    full, full_s = _timed(mentor.ingest)
    again, again_s = _timed(mentor.ingest)
    documents = edit()
    changed, changed_s = _timed(mentor.ingest)
    (store, chunks), baseline_s = _timed(
        lambda: baseline.build(root, baseline_dir, embedding, patterns))
    result = {
        "documents": len({p for pattern in patterns for p in root.glob(pattern)}),
        "corpus_tokens": tokens,
        "mentor": {
            "full": {"seconds": full_s, "chunks": full.total_chunks,
                     "chunks_per_s": full.total_chunks / full_s, "tokens_per_s": tokens / full_s},
            "no_change": {"seconds": again_s, "embedded": again.embedded},
            "changed": {"documents": documents, "seconds": changed_s,
                        "embedded": changed.embedded, "deleted": changed.deleted},
        },
        "baseline": {"full": {"seconds": baseline_s, "chunks": chunks,
                              "chunks_per_s": chunks / baseline_s,
                              "tokens_per_s": tokens / baseline_s}},
    }
    result["ratios"] = {
        "full_seconds_mentor_over_baseline": ratio(full_s, baseline_s),
        "mentor_full_over_no_change": ratio(full_s, again_s),
        "mentor_full_over_changed": ratio(full_s, changed_s),
        "baseline_rebuild_over_mentor_changed": ratio(baseline_s, changed_s),
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
