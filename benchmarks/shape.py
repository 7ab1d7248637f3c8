"""Answers to grade by the shape rubric (``tests/eval/SHAPE.md``), and the share that passes.

``python -m benchmarks.shape [SPLIT ...]`` asks ``N`` questions of each split (drawn with a fixed
seed, answerable and not alike) on each store and writes them, as the chat shows them, to
``benchmarks/results/shape/<split>-<store>.jsonl``. A grader who sees nothing else writes a
``<split>-<store>-grades.jsonl`` beside each; ``--report`` prints the share that passes.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from assistant import Mentor, Settings
from assistant.quality.evaluation import EVAL_DIR, STORES, answerable_in, eval_store, read_cases, store_headings

N = 30
SEED = 7
OUT = Path(__file__).resolve().parent / "results" / "shape"
SPLITS = (EVAL_DIR / "test.jsonl", EVAL_DIR / "longpost-test.jsonl")


def sample(splits: list[Path], stores: tuple[str, ...] = STORES, n: int = N) -> list[Path]:
    """Write ``n`` answers per split and store to grade; returns the files written."""
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="mentor-shape-") as tmp:
        mentor = Mentor(Settings(data_dir=Path(tmp)))
        for store in stores:
            judge = eval_store(mentor, store)
            headings = store_headings(judge)
            for split in splits:
                cases = answerable_in(read_cases(split), headings)
                chosen = random.Random(SEED).sample(cases, min(n, len(cases)))
                path = OUT / f"{split.stem}-{store}.jsonl"
                with path.open("w", encoding="utf-8") as out:
                    for case in chosen:
                        answer = judge.ask(case.question)
                        sources = [f"[{c.n}] {c.title} › {c.section}" for c in answer.citations]
                        line = {"question": case.question, "answer": answer.text, "sources": sources}
                        out.write(json.dumps(line, ensure_ascii=False) + "\n")
                written.append(path)
    return written


def report() -> dict[str, float]:
    """The share of graded answers that pass, per file of grades."""
    shares = {}
    for path in sorted(OUT.glob("*-grades.jsonl")):
        grades = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        shares[path.stem.removesuffix("-grades")] = sum(bool(g["pass"]) for g in grades) / max(1, len(grades))
    return shares


def main() -> None:
    """Sample answers to grade, or report the grades."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("splits", nargs="*", type=Path, default=list(SPLITS))
    parser.add_argument("--report", action="store_true", help="print the share of graded answers that pass")
    args = parser.parse_args()
    if args.report:
        print(json.dumps(report(), indent=2))
        return
    for path in sample(args.splits):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
