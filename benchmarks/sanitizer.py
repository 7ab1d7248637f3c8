"""The chat's markdown sanitizer on pathological input: 200 KB of each pattern that makes
markdown parsing super-linear, whole and in blocks cut just under its per-block markup budget.

``python -m benchmarks.sanitizer [--chars N] [--out DIR]`` writes ``sanitizer.json``: seconds of
CPU (less disturbed by a busy machine than wall time) and of wall time per pattern.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.report import write

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "ui"))  # ui/ is a folder of scripts
from safe_markdown import MAX_MARKUP, cite, sanitize_markdown  # noqa: E402

CHARS = 200_000
# Units whose repetition markdown-it, its plugins or mdformat handle in more than linear time.
PATTERNS = {
    "open brackets": "[",
    "open images": "![",
    "link openers": "[a](",
    "bracket pairs": "[]",
    "backticks": "`",
    "stars": "*",
    "star a": "*a",
    "underscore a": "_a",
    "star underscore": "*_",
    "double star a": "**a",
    "less than": "<",
    "html comments": "<!--",
    "dollar a": "$a",
    "double dollars": "$$",
    "table rows": "|a|\n",
    "setext headings": "a\n=\n",
    "code fences": "```\n",
    "entities": "&#",
    "backslash less than": "\\<",
    "citations": "[1]",
    "line breaks": "a\n",
    "mixed": "[*`<$",
}
_MARKUP = set("*_[]!`$|<>&~\\=#-\n")


def measure(text: str) -> tuple[float, float]:
    """CPU and wall seconds to sanitize ``text`` and mark its citations, as the chat does."""
    cpu, wall = time.process_time(), time.perf_counter()
    cite(sanitize_markdown(text, ["https://example.com/a.png"]))
    return time.process_time() - cpu, time.perf_counter() - wall


def run(chars: int = CHARS) -> dict[str, Any]:
    """Each pattern repeated to ``chars`` characters, alone and as blank-line separated blocks."""
    rows = []
    for name, unit in PATTERNS.items():
        whole = (unit * (chars // len(unit) + 1))[:chars]
        block = unit * max(1, (MAX_MARKUP - 10) // max(1, sum(c in _MARKUP for c in unit)))
        blocks = ((block + "\n\n") * (chars // (len(block) + 2) + 1))[:chars]
        for form, text in (("whole", whole), ("blocks", blocks)):
            cpu, wall = measure(text)
            rows.append({"pattern": name, "form": form, "chars": len(text), "cpu_s": cpu, "wall_s": wall})
    return {"rows": rows, "worst_cpu_s": max(r["cpu_s"] for r in rows), "load_average": os.getloadavg()[0]}


def main() -> None:
    """Measure and write ``<out>/sanitizer.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=CHARS)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    data = run(args.chars)
    for row in sorted(data["rows"], key=lambda r: -r["cpu_s"])[:5]:
        print(f"{row['cpu_s']:7.3f} s CPU {row['wall_s']:7.3f} s wall  {row['pattern']} ({row['form']})")
    print(f"wrote {write(args.out, 'sanitizer', data, f'{args.chars} chars')}")


if __name__ == "__main__":
    main()
