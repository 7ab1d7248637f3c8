"""Helpers for the reliability suite: real processes, and what a user would see."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from assistant import Mentor

REPO = Path(__file__).resolve().parents[2]


def run_mentor(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m assistant ARGS`` as a user would, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_python(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -c CODE ARGS`` in a fresh process, from the repository root."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )


def state(mentor: Mentor) -> list[tuple[str, str]]:
    """What the store holds, as sorted (id, text) pairs."""
    return sorted((row.id, row.text) for row in mentor.store.rows())


def assert_one_error_line(stderr: str, *fragments: str) -> None:
    """The CLI said exactly one ``mentor: error:`` line naming ``fragments``, no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mentor: error: "), stderr
    assert all(fragment in lines[0] for fragment in fragments), stderr
