"""Results files: the machine, JSON per benchmark, and one markdown page of tables."""

from __future__ import annotations

import json
import os
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

NAMES = (
    "retrieval",
    "embedding_speed",
    "ceiling",
    "ingest_speed",
    "latency",
    "scale",
    "load",
    "cold_start",
    "memory",
    "first_run",
)
PACKAGES = (
    "torch",
    "sentence-transformers",
    "onnxruntime",
    "chromadb",
    "langchain-chroma",
    "langchain-huggingface",
    "bm25s",
)
METRICS = ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5")


def machine() -> dict[str, Any]:
    """Where the numbers come from: cores, load, Python, library versions, date."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cores": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "packages": versions,
    }


def ratio(mentor: float, baseline: float) -> float | None:
    """``mentor / baseline``, or None when the baseline is zero."""
    return mentor / baseline if baseline else None


def write(out: Path, name: str, data: dict[str, Any], size: str) -> Path:
    """Write ``out/<name>.json`` with the machine and size recorded alongside ``data``."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    payload = {"benchmark": name, "size": size, "machine": machine(), **_rounded(data)}
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def write_readme(out: Path) -> Path:
    """Render every results file in ``out`` as tables in ``out/README.md``."""
    found = {
        name: json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        for name in NAMES
        if (out / f"{name}.json").is_file()
    }
    lines = [
        "# Benchmark results",
        "",
        "Mentor against the textbook LangChain pipeline (`benchmarks/baseline.py`: "
        "RecursiveCharacterTextSplitter 1000/200, `Chroma.from_documents`, "
        "`HuggingFaceEmbeddings` of the same all-MiniLM-L6-v2, `similarity_search(k=4)`). "
        "Reproduce with `.venv/bin/python -m benchmarks --size small` (or `--size full`). "
        "No thresholds: these are measurements.",
        "",
    ]
    for name, data in found.items():
        m = data["machine"]
        lines += [
            f"## {name.replace('_', ' ').capitalize()} ({data['size']})",
            "",
            f"_{m['cores']} cores, load {m['load_average_1m']}, Python {m['python']}, {m['date']}._",
            "",
            *_TABLES[name](data),
            "",
        ]
    path = out / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _retrieval(data: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for column, found in data["columns"].items():
        lines += [
            f"### {column}",
            "",
            "| configuration | " + " | ".join(METRICS) + " |",
            "|---" * (len(METRICS) + 1) + "|",
        ]
        lines += [
            f"| {name} | " + " | ".join(f"{row[k]:.3f}" for k in METRICS) + " |"
            for name, row in found["metrics"].items()
        ]
        lines += [
            "",
            f"{found['questions']} questions ({found['in_scope']} in scope; out-of-scope ones are not scored here).",
            "",
        ]
    answers = data["answers"]
    names = list(next(iter(answers.values())))
    lines += ["### Answers (Mentor)", "", "| metric | " + " | ".join(answers) + " |", "|---" * (len(answers) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(f"{answers[c][name]:.3f}" for c in answers) + " |" for name in names]
    first = next(iter(data["columns"].values()))
    return lines + [
        "",
        "Splits: dev (tuned on) and test (written before the change, never tuned on); "
        "stores: the full knowledge base and the guide alone. Mentor returns 5 passages, the "
        "baseline's `similarity_search` is asked for 5 too. Baseline relevance: a "
        f"{first['relevance_rule']} (its chunks carry no headings).",
    ]


def _embedding(data: dict[str, Any]) -> list[str]:
    sizes = list(next(iter(data["chunks_per_s"].values())))
    lines = [
        "| backend | " + " | ".join(f"batch {n}" for n in sizes) + " | hit@1 | hit@3 | mrr |",
        "|---" * (len(sizes) + 4) + "|",
    ]
    for backend, speeds in data["chunks_per_s"].items():
        metrics = data["metrics"][backend]
        lines.append(
            f"| {backend} | "
            + " | ".join(f"{speeds[n]:.1f}" for n in sizes)
            + " | "
            + " | ".join(f"{metrics[k]:.3f}" for k in ("hit@1", "hit@3", "mrr"))
            + " |"
        )
    return lines + [
        "",
        f"Chunks per second embedding the {data['texts']} stored chunks of "
        "knowledge/; metrics: the eval with queries embedded by that backend. "
        f"Largest difference between the backends' vectors: "
        f"{data['max_abs_difference']}.",
    ]


def _scale(data: dict[str, Any]) -> list[str]:
    lines = [
        "| chunks | mentor search p50 / p95 / p99 ms | mentor ask p50 / p95 / p99 ms | "
        "baseline search p50 / p95 / p99 ms | cold ask s M / B | serving RSS MiB M / B |",
        "|---|---|---|---|---|---|",
    ]
    for chunks, row in data["sizes"].items():
        cold = row["cold"]
        cells = [
            " / ".join(f"{row[op][q]:.1f}" for q in ("p50_ms", "p95_ms", "p99_ms"))
            for op in ("mentor_search", "mentor_ask", "baseline_search")
        ]
        lines.append(
            f"| {int(chunks):,} | " + " | ".join(cells) + " | "
            f"{cold['mentor ask']['median_s']:.2f} / {cold['baseline ask']['median_s']:.2f} | "
            f"{cold['mentor ask']['peak_rss_mb']:.0f} / "
            f"{cold['baseline ask']['peak_rss_mb']:.0f} |"
        )
    return lines + [
        "",
        "Warm, in-process latency over the eval questions (Mentor k=5, baseline "
        "k=4); cold ask and RSS: one fresh process answering one question. Stores "
        f"built from {data['pool']:,} really embedded paragraphs, two per chunk "
        "(see `benchmarks/scale.py`).",
    ]


def _load(data: dict[str, Any]) -> list[str]:
    lines = ["| how | calls at once | p50 s | p95 s | max s | wall s |", "|---|---|---|---|---|---|"]
    for name, label in (("threads", "`Mentor.ask` on threads"), ("mcp_http", "MCP `ask_mentor` over HTTP")):
        row = data[name]
        lines.append(
            f"| {label} | {row['concurrency']} ({row['calls']} calls) | "
            f"{row['p50_s']:.2f} | {row['p95_s']:.2f} | {row['max_s']:.2f} | "
            f"{row['wall_s']:.2f} |"
        )
    return lines + ["", "The knowledge base's store; every call answered (a failure stops the benchmark)."]


def _ceiling(data: dict[str, Any]) -> list[str]:
    rows = data["tokens_per_s"]
    sizes = sorted({size for row in rows.values() for size in row}, key=int)
    return [
        "| tokens/s at batch size | " + " | ".join(sizes) + " |",
        "|---" * (len(sizes) + 1) + "|",
        *(
            f"| {precision} | " + " | ".join(f"{row[s]:.0f}" if s in row else "—" for s in sizes) + " |"
            for precision, row in rows.items()
        ),
        "",
        f"The {data['backend']} backend alone on the {data['texts']:,} passages a build of the "
        f"synthetic corpus embeds ({data['tokens']:,} tokens), length-sorted batches: in float32, as "
        f"questions and question keys are embedded, and in {data['passage_precision']}, as passages are "
        "(the int8 copy reads each text alone: its activations are quantized per batch). "
        f"A build's ceiling: **{data['ceiling_tokens_per_s']:.0f} tokens/s** at batch size "
        f"{data['best_batch_size']}.",
    ]


def _ingest(data: dict[str, Any]) -> list[str]:
    lines = [
        "| corpus | docs | chunks M / B | full s M / B (median) | B / M | chunks/s M / B | "
        "corpus tokens/s M / B | embedded tokens/s M (of ceiling) | no-change s | "
        "changed docs: s (embedded) | full / no-change | full / changed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in data.items():
        if not isinstance(row, dict) or "mentor" not in row:
            continue
        m, b, r = row["mentor"], row["baseline"]["full"], row["ratios"]
        share = m["full"].get("fraction_of_ceiling")
        lines.append(
            f"| {name} | {row['documents']} | {m['full']['chunks']} / {b['chunks']} | "
            f"{m['full']['seconds']:.1f} / {b['seconds']:.1f} | "
            f"**{r['full_speedup_baseline_over_mentor']:.2f}x** | "
            f"{m['full']['chunks_per_s']:.0f} / {b['chunks_per_s']:.0f} | "
            f"{m['full']['tokens_per_s']:.0f} / {b['tokens_per_s']:.0f} | "
            f"{m['full']['embedded_tokens_per_s']:.0f}" + (f" ({share:.0%})" if share else "") + " | "
            f"{m['no_change']['seconds']:.2f} | {m['changed']['documents']}: "
            f"{m['changed']['seconds']:.2f} ({m['changed']['embedded']}) | "
            f"{r['mentor_full_over_no_change']:.0f}x | {r['mentor_full_over_changed']:.0f}x |"
        )
    rounds = next((row["rounds"] for row in data.values() if isinstance(row, dict) and "rounds" in row), 1)
    return lines + [
        "",
        f"M = Mentor, B = baseline; both models loaded beforehand; {rounds} full "
        "builds of each, alternating, each into a fresh folder; medians. B / M: how "
        "many times faster Mentor's full build is. Corpus tokens/s: the corpus's "
        "tokens over the build's time (the same content for both). Embedded tokens/s: "
        "what Mentor's encoder read (passages under their headings, and question "
        "keys), as a share of the ceiling above. Sentence vectors for answers are "
        "not part of a build (see `ingest/sentences.py`). The baseline has no "
        "incremental path: re-running it is a full rebuild.",
    ]


def _latency(data: dict[str, Any]) -> list[str]:
    lines = ["| store | chunks | operation | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|---|"]
    for name, row in data.items():
        if not isinstance(row, dict) or "mentor_search" not in row:
            continue
        for op in ("mentor_search", "mentor_ask", "baseline_search"):
            lines.append(
                f"| {name} | {row['chunks']} | {op.replace('_', ' ')} | "
                f"{row[op]['p50_ms']:.1f} | {row[op]['p95_ms']:.1f} | "
                f"{row[op]['p99_ms']:.1f} |"
            )
    return lines + [
        "",
        "Warm, in-process (sentence vectors filled, as the chat does as it starts), eval questions cycled; "
        "Mentor k=5, baseline k=4.",
    ]


def _cold_start(data: dict[str, Any]) -> list[str]:
    lines = ["| command | median s | runs s | peak RSS MiB |", "|---|---|---|---|"]
    lines += [
        f"| `{name}` | {row['median_s']:.2f} | "
        f"{', '.join(f'{s:.2f}' for s in row['runs_s'])} | {row['peak_rss_mb']:.0f} |"
        for name, row in data["commands"].items()
    ]
    return lines + [
        "",
        f'Fresh processes, {data["runs"]} runs each; question "{data["question"]}" against an existing store.',
    ]


def _memory(data: dict[str, Any]) -> list[str]:
    lines = ["| process | Mentor MiB | baseline MiB | Mentor / baseline |", "|---|---|---|---|"]
    for kind in ("ingest_process", "serving_process"):
        row = data[kind]
        lines.append(
            f"| {kind.replace('_', ' ')} | {row['mentor']['peak_rss_mb']:.0f} | "
            f"{row['baseline']['peak_rss_mb']:.0f} | "
            f"{data['ratios'][kind + '_rss_mentor_over_baseline']:.2f} |"
        )
    ingest = data["ingest_process"]
    return lines + [
        "",
        "Peak RSS of each fresh process (its own `ru_maxrss`, read by a small "
        "launcher). Ingest of knowledge/ as a fresh process took "
        f"{ingest['mentor']['seconds']:.1f} s (Mentor) and "
        f"{ingest['baseline']['seconds']:.1f} s (baseline), model load included.",
    ]


def _first_run(data: dict[str, Any]) -> list[str]:
    marks = ("ingested_s", "page_served_s", "title_s", "input_ready_s", "answer_s")
    lines = [
        "| model cache | ingest done s | page served s | title s | input ready s | answer s |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {name} | " + " | ".join(f"{row[mark]:.1f}" if mark in row else "-" for mark in marks) + " |"
        for name, row in data["runs"].items()
    ]
    return lines + [
        "",
        "`mentor ui` on a fresh data dir, seconds from the command; Chromium on 127.0.0.1 asks "
        f'"{data["question"]}" and the clock stops at the answer\'s first source card. Cold: an empty '
        "user cache folder (the model is exported first); warm: the same folder, a new data dir.",
    ]


_TABLES = {
    "retrieval": _retrieval,
    "embedding_speed": _embedding,
    "ceiling": _ceiling,
    "ingest_speed": _ingest,
    "latency": _latency,
    "scale": _scale,
    "load": _load,
    "cold_start": _cold_start,
    "memory": _memory,
    "first_run": _first_run,
}


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value
