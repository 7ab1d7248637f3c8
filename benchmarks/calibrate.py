"""Fit the answer policy's scope model on the dev sets: ``python -m benchmarks.calibrate``.

The dev sets are the dev split and the probe set (``tests/eval/probe.jsonl``, written from the
knowledge base alone by someone who had not seen the question keys). For every dev question, on
a store of the full knowledge base and one of the guide alone, the answer's evidence (question
match, sentence match, coverage) is paired with whether the question is in scope; a logistic
regression is fitted to it, and the bar is the highest confidence that refuses at most one
in-scope question in 40 on either store — judged on out-of-fold confidences (each question
scored by a model fitted without it, in ``FOLDS`` folds), since a bar chosen on the very
questions the model was fitted to refuses more on new ones. Print the weights to copy into
``assistant/policy.py`` and ``Settings.min_confidence``; results go to
``benchmarks/results/calibration.json``. The test split is never read.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

from assistant import Mentor, Settings
from assistant.evaluation import (
    DEFAULT_SPLITS,
    EVAL_DIR,
    STORES,
    answerable_in,
    eval_store,
    read_cases,
    store_headings,
)
from assistant.policy import SCOPE_WEIGHTS, Evidence

FEATURES = tuple(SCOPE_WEIGHTS)
MAX_FALSE_REFUSALS = 1 / 40
FOLDS = 5
OUT = Path(__file__).resolve().parent / "results" / "calibration.json"
DEV_SETS = (DEFAULT_SPLITS[0], EVAL_DIR / "probe.jsonl")


def observe(mentor: Mentor, stores: tuple[str, ...] = STORES) -> list[dict]:
    """Each dev question's evidence on each store, with whether it is in scope."""
    cases = [case for path in DEV_SETS for case in read_cases(path)]
    rows = []
    for store in stores:
        judge = eval_store(mentor, store)
        for case in answerable_in(cases, store_headings(judge)):
            evidence = judge.ask(case.question).evidence
            if evidence:  # small talk carries none
                rows.append({"store": store, "case": cases.index(case), "in_scope": bool(case.sections), **evidence})
    return rows


def fit(rows: list[dict], steps: int = 20000, rate: float = 0.1, l2: float = 0.01) -> tuple[list[float], float]:
    """Logistic regression by gradient descent on standardised features; raw weights, bias."""
    import numpy as np

    x = np.array([[row[f] for f in FEATURES] for row in rows])
    y = np.array([row["in_scope"] for row in rows], dtype=float)
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / std
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= rate * (z.T @ (p - y) / len(y) + l2 * w)
        b -= rate * float((p - y).mean())
    return (w / std).tolist(), float(b - (mean * w / std).sum())


def out_of_fold(rows: list[dict]) -> list[float]:
    """Each row's confidence under a model fitted on the other folds (questions are dealt to
    folds by their place in the dev sets, so both stores' rows of a question share a fold)."""
    folds = [row["case"] % FOLDS for row in rows]
    confidences = [0.0] * len(rows)
    for fold in range(FOLDS):
        weights, bias = fit([r for r, f in zip(rows, folds, strict=True) if f != fold])
        for i, row in enumerate(rows):
            if folds[i] == fold:
                confidences[i] = _confidence(row, weights, bias)
    return confidences


def bar(rows: list[dict], confidences: list[float]) -> float:
    """The highest confidence bar that refuses at most 1 in 40 in-scope questions per store
    (and at least one may be, in a store of fewer than 40), counting those a declared
    out-of-scope topic declines whatever the bar."""
    best = 0.0
    stores = {r["store"] for r in rows}
    for candidate in sorted({round(c, 3) for c in confidences}):
        ok = all(
            sum(
                1
                for r, c in zip(rows, confidences, strict=True)
                if r["store"] == s and r["in_scope"] and (c < candidate or _declined(r))
            )
            <= max(1.0, MAX_FALSE_REFUSALS * sum(1 for r in rows if r["store"] == s and r["in_scope"]))
            for s in stores
        )
        if ok:
            best = candidate
    return best


def _declined(row: dict) -> bool:
    """Whether the policy declines the row's question as a declared out-of-scope topic."""
    return Evidence(**{f: row[f] for f in FEATURES}, declined=row["declined"]).out_of_scope


def _confidence(row: dict, weights: list[float], bias: float) -> float:
    return 1 / (1 + math.exp(-(bias + sum(w * row[f] for w, f in zip(weights, FEATURES, strict=True)))))


def main() -> None:
    """Observe, fit, choose the bar, print and write the result."""
    with tempfile.TemporaryDirectory(prefix="mentor-calibrate-") as tmp:
        rows = observe(Mentor(Settings(data_dir=Path(tmp))))
    weights, bias = fit(rows)
    threshold = bar(rows, out_of_fold(rows))
    result = {
        "weights": dict(zip(FEATURES, (round(w, 3) for w in weights), strict=True)),
        "bias": round(bias, 3),
        "min_confidence": threshold,
        "observations": len(rows),
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
