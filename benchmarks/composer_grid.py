"""Fit the answer composer's constants on the dev sets: ``python -m benchmarks.composer_grid``.

Each dev question (``dev.jsonl`` and ``longpost-dev.jsonl``, answerable ones) is searched once on
the full and the uncurated store; then every combination of ``GRID`` composes its answer from the
same passages. For each it prints the share of answers that are correct (every expected term, an
expected section cited), whose first citation is an expected section, the share of an answer's
lines that cite an expected section ("on"), the median length in words and the share over 130
words. Correct rewards quoting more; the shape rubric (``tests/eval/SHAPE.md``) rewards keeping to
the question. The constants in ``assistant/answering/extractive.py`` are a combination within
about 4 points of the best correct whose dev answers (``python -m benchmarks.shape`` on the dev
sets) a blind grader passed most often: about 1 in 2 of 120, against 2 in 5 before. The test
sets are never read.
"""

from __future__ import annotations

import itertools
import re
import statistics
import tempfile
from pathlib import Path
from typing import Any

from assistant import Mentor, Settings
from assistant.answering import extractive, weighing
from assistant.quality.evaluation import (
    EVAL_DIR,
    UNCURATED,
    answerable_in,
    eval_store,
    read_cases,
    relevant,
    store_headings,
)

SETS = (EVAL_DIR / "dev.jsonl", EVAL_DIR / "longpost-dev.jsonl")
GRID: dict[str, tuple[Any, ...]] = {
    "LEAD_RATIO": (0.4, 0.85),
    "ITEM_RATIO": (0.45, 0.7, 0.85),
    "WHOLE_RATIO": (0.4, 0.85),
    "KEEP_RATIO": (0.85, 0.9),
}
LONG = 130
MARKER = re.compile(r"\[(\d+)\]")


def searched(mentor: Mentor) -> list[tuple[Any, ...]]:
    """Each answerable dev question's store, set, case, weighed reading (searched once), and the
    sentence vectors and word index of that store."""
    rows = []
    for store in ("full", UNCURATED):
        judge = eval_store(mentor, store)
        headings = store_headings(judge)
        for path in SETS:
            for case in answerable_in(read_cases(path), headings):
                if case.sections:
                    found = weighing.weigh(judge, case.question, [], judge.settings.top_k)
                    words = judge.find(found.query, judge.settings.top_k)[0].lexical(found.version)
                    rows.append((store, path.stem, case, found, judge.sentences, words))
    return rows


def score(rows: list[tuple[Any, ...]]) -> dict[str, dict[str, float]]:
    """The composer's figures per ``store/set`` with the constants as they are set now."""
    results: dict[str, list[tuple[bool, bool, int, float]]] = {}
    for store, name, case, found, sentences, words in rows:
        draft = extractive.compose(words.correct(found.query), found.passages, sentences, words.rarity)
        cited = [found.passages[i] for i in draft.cited]
        text = draft.text.lower()
        correct = all(t.lower() in text for t in case.must_contain) and any(
            relevant(p.metadata, case.sections) for p in cited
        )
        first = bool(cited) and relevant(cited[0].metadata, case.sections)
        lines = [relevant(cited[int(n) - 1].metadata, case.sections) for n in MARKER.findall(draft.text)]
        on = sum(lines) / max(1, len(lines))
        results.setdefault(f"{store}/{name}", []).append((correct, first, len(draft.text.split()), on))
    return {
        key: {
            "correct": sum(r[0] for r in rs) / len(rs),
            "first": sum(r[1] for r in rs) / len(rs),
            "median_words": statistics.median(r[2] for r in rs),
            "over_130": sum(r[2] > LONG for r in rs) / len(rs),
            "on_section": sum(r[3] for r in rs) / len(rs),
        }
        for key, rs in sorted(results.items())
    }


def main() -> None:
    """Search once, then print every combination's figures."""
    with tempfile.TemporaryDirectory(prefix="mentor-composer-") as tmp:
        mentor = Mentor(Settings(data_dir=Path(tmp)))
        rows = searched(mentor)
        for combination in itertools.product(*GRID.values()):
            for name, value in zip(GRID, combination, strict=True):
                setattr(extractive, name, value)
            figures = score(rows)
            cells = " | ".join(
                f"{key} correct {f['correct']:.3f} first {f['first']:.3f} on {f['on_section']:.3f} "
                f"words {f['median_words']:.0f} >{LONG} {f['over_130']:.2f}"
                for key, f in figures.items()
            )
            print(dict(zip(GRID, combination, strict=True)), cells, flush=True)


if __name__ == "__main__":
    main()
