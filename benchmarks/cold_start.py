"""Whole processes: start-up time and peak memory of the CLI, of an ask and of an ingest.

Each command runs in a fresh interpreter, as a user runs it. Its peak RSS is its own
``ru_maxrss`` from ``os.wait4``, taken by a small launcher process: Linux carries the
high-water mark of the process that forks over ``exec``, so a child of the benchmark process
itself would report at least the benchmark's own size.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.report import ratio

QUESTION = "How can I get a free GPU?"
RUNS = 3
REPO = Path(__file__).resolve().parent.parent
MENTOR = str(Path(sys.executable).with_name("mentor"))
BASELINE = [sys.executable, "-m", "benchmarks.baseline"]
BASELINE_ASK = [sys.executable, "-m", "benchmarks.baseline_ask"]
# argv: result file, command...; writes "exit status, peak RSS in KiB, seconds" to the file.
_LAUNCHER = """import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss} {seconds}")
"""


def ingest_processes(
    workdir: Path, root: Path, patterns: Sequence[str], env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Build both stores of ``root`` in fresh processes: seconds and peak RSS of each.

    The Mentor store is at ``result["mentor"]["store"]``, the baseline's at ``["baseline"]``.
    ``env`` adds environment variables for the Mentor command.
    """
    mentor_dir, baseline_dir = workdir / "cold-mentor", workdir / "cold-baseline"
    env = {**(env or {}), "MENTOR_MANIFEST": str(root / "sources.toml")}
    mentor = measure([MENTOR, "--data-dir", str(mentor_dir), "ingest"], env)
    base = measure([*BASELINE, str(root), str(baseline_dir), *patterns])
    return {"mentor": {**mentor, "store": str(mentor_dir)}, "baseline": {**base, "store": str(baseline_dir)}}


def run(
    mentor_dir: Path,
    baseline_dir: Path,
    *,
    runs: int = RUNS,
    question: str = QUESTION,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Median seconds of ``mentor --help``, ``mentor ask`` and the baseline's one-shot search.

    ``env`` adds environment variables for the Mentor commands.
    """
    commands = {
        "mentor --help": [MENTOR, "--help"],
        "mentor ask": [MENTOR, "--data-dir", str(mentor_dir), "ask", question],
        "baseline ask": [*BASELINE_ASK, str(baseline_dir), question],
    }
    result: dict[str, Any] = {"runs": runs, "question": question, "commands": {}}
    for name, command in commands.items():
        samples = [measure(command, env if command[0] == MENTOR else None) for _ in range(runs)]
        result["commands"][name] = {
            "median_s": statistics.median(s["seconds"] for s in samples),
            "runs_s": [s["seconds"] for s in samples],
            "peak_rss_mb": max(s["peak_rss_mb"] for s in samples),
        }
    found = result["commands"]
    result["ratios"] = {
        "ask_median_mentor_over_baseline": ratio(found["mentor ask"]["median_s"], found["baseline ask"]["median_s"])
    }
    return result


def memory(ingest: dict[str, Any], cold: dict[str, Any]) -> dict[str, Any]:
    """Peak RSS of ingesting and of serving one question, Mentor and baseline side by side."""
    ask = cold["commands"]
    result = {
        "ingest_process": {
            name: {"seconds": ingest[name]["seconds"], "peak_rss_mb": ingest[name]["peak_rss_mb"]}
            for name in ("mentor", "baseline")
        },
        "serving_process": {
            "mentor": {"peak_rss_mb": ask["mentor ask"]["peak_rss_mb"]},
            "baseline": {"peak_rss_mb": ask["baseline ask"]["peak_rss_mb"]},
        },
    }
    result["ratios"] = {
        f"{kind}_rss_mentor_over_baseline": ratio(
            result[kind]["mentor"]["peak_rss_mb"], result[kind]["baseline"]["peak_rss_mb"]
        )
        for kind in ("ingest_process", "serving_process")
    }
    return result


def measure(command: Sequence[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``command`` from the repository root: wall seconds and its peak RSS in MiB.

    Raises:
        RuntimeError: the command failed (its output's tail is in the message).
    """
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("MENTOR_")}
    # No developer config, no network: every run sees the same settings and files.
    child_env.update(MENTOR_CONFIG=os.devnull, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **(env or {}))
    with tempfile.TemporaryDirectory() as tmp:
        result, log = Path(tmp) / "result", Path(tmp) / "output"
        with log.open("wb") as output:
            subprocess.run(
                [sys.executable, "-c", _LAUNCHER, str(result), *command],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=child_env,
                cwd=REPO,
                check=True,
            )
        code, kib, seconds = result.read_text().split()
        if int(code):
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(command)} exited {code}:\n{tail}")
    return {"seconds": float(seconds), "peak_rss_mb": int(kib) / 1024}  # Linux: KiB
