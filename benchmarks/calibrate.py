"""Fit the answer policy on the dev sets: ``python -m benchmarks.calibrate``.

Every dev question is asked on three stores: the full knowledge base and the guide alone, whose
passages carry question keys, and the same files ingested as a user's own (``uncurated``), whose
passages carry none. Each answer's evidence is paired with whether the question is in scope, and:

- the keyed model (``SCOPE_WEIGHTS``: question match, sentence match, coverage) is fitted on the
  keyed stores' rows of ``KEYED_SETS`` (the dev split and the probe set, as in earlier stops);
- the declared-topic gate's ``DECLINE_MARGIN`` is the smallest on a grid whose false refusals,
  on those rows and the long-post dev set's, are at most one in 40;
- the unkeyed model (``UNKEYED_WEIGHTS``: text match, sentence match, text coverage, nearness to
  a declared topic) is fitted on the uncurated store's rows of ``UNKEYED_SETS`` (the same sets
  and the long-post dev set);
- each model's bar is the highest confidence that refuses at most one in-scope question in 40
  per store (at least one), judged on out-of-fold confidences (each question scored by a model
  fitted without it, in ``FOLDS`` folds), since a bar chosen on the very questions the model was
  fitted to refuses more on new ones; the unkeyed model's bias is then shifted so that the keyed
  bar (``Settings.min_confidence``) is its bar too.

Print the numbers to copy into ``assistant/answering/policy.py`` and ``Settings.min_confidence``; results go
to ``benchmarks/results/calibration.json``. The test splits are never read.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path

from assistant import Mentor, Settings
from assistant.answering.policy import SCOPE_WEIGHTS, UNKEYED_WEIGHTS
from assistant.quality.evaluation import (
    EVAL_DIR,
    UNCURATED,
    answerable_in,
    eval_store,
    read_cases,
    store_headings,
)

MAX_FALSE_REFUSALS = 1 / 40
FOLDS = 5
MARGINS = tuple(round(0.02 * i, 2) for i in range(8))
OUT = Path(__file__).resolve().parent / "results" / "calibration.json"
KEYED_SETS = (EVAL_DIR / "dev.jsonl", EVAL_DIR / "probe.jsonl")
UNKEYED_SETS = (*KEYED_SETS, EVAL_DIR / "longpost-dev.jsonl")


def observe(mentor: Mentor) -> list[dict]:
    """Each dev question's evidence on each store, with whether it is in scope and its set."""
    rows = []
    for store in ("full", "guide", UNCURATED):
        judge = eval_store(mentor, store)
        headings = store_headings(judge)
        for path in UNKEYED_SETS:
            cases = read_cases(path)
            for case in answerable_in(cases, headings):
                evidence = judge.ask(case.question).evidence
                if evidence:  # small talk carries none
                    case_id = f"{path.stem}:{cases.index(case)}"
                    rows.append(
                        {"store": store, "set": path, "case": case_id, "in_scope": bool(case.sections), **evidence}
                    )
    return rows


def fit(
    rows: list[dict], features: Sequence[str], steps: int = 20000, rate: float = 0.1, l2: float = 0.01
) -> tuple[list[float], float]:
    """Logistic regression by gradient descent on standardised features; raw weights, bias."""
    import numpy as np

    x = np.array([[row[f] for f in features] for row in rows])
    y = np.array([row["in_scope"] for row in rows], dtype=float)
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / std
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= rate * (z.T @ (p - y) / len(y) + l2 * w)
        b -= rate * float((p - y).mean())
    return (w / std).tolist(), float(b - (mean * w / std).sum())


def out_of_fold(rows: list[dict], features: Sequence[str]) -> list[float]:
    """Each row's confidence under a model fitted on the other folds (a question's rows on every
    store share a fold)."""
    folds = [sum(map(ord, row["case"])) % FOLDS for row in rows]
    confidences = [0.0] * len(rows)
    for fold in range(FOLDS):
        weights, bias = fit([r for r, f in zip(rows, folds, strict=True) if f != fold], features)
        for i, row in enumerate(rows):
            if folds[i] == fold:
                confidences[i] = _confidence(row, features, weights, bias)
    return confidences


def bar(rows: list[dict], confidences: list[float], margin: float) -> float:
    """The highest confidence bar that refuses at most 1 in 40 in-scope questions per store
    (and at least one may be, in a store of fewer than 40), counting those the declared-topic
    gate declines whatever the bar."""
    best = 0.0
    stores = {r["store"] for r in rows}
    for candidate in sorted({round(c, 3) for c in confidences}):
        ok = all(
            _refused_in_scope(
                [(r, c) for r, c in zip(rows, confidences, strict=True) if r["store"] == s], candidate, margin
            )
            <= max(1.0, MAX_FALSE_REFUSALS * sum(1 for r in rows if r["store"] == s and r["in_scope"]))
            for s in stores
        )
        if ok:
            best = candidate
    return best


def decline_margin(rows: list[dict]) -> float:
    """The smallest margin of :data:`MARGINS` at which the gate alone declines at most 1 in 40
    of the keyed stores' in-scope questions."""
    in_scope = [r for r in rows if r["in_scope"]]
    for margin in MARGINS:
        if sum(_declined(r, margin) for r in in_scope) <= MAX_FALSE_REFUSALS * len(in_scope):
            return margin
    return MARGINS[-1]


def _refused_in_scope(rated: list[tuple[dict, float]], candidate: float, margin: float) -> int:
    return sum(1 for r, c in rated if r["in_scope"] and (c < candidate or _declined(r, margin)))


def _declined(row: dict, margin: float) -> bool:
    """Whether the declared-topic gate declines the row's question at ``margin``."""
    return bool(row["keyed"]) and row["declined"] > row["question_match"] + margin


def _confidence(row: dict, features: Sequence[str], weights: list[float], bias: float) -> float:
    return 1 / (1 + math.exp(-(bias + sum(w * row[f] for w, f in zip(weights, features, strict=True)))))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def main() -> None:
    """Observe, fit both models, choose the margin and the bars, print and write the result."""
    with tempfile.TemporaryDirectory(prefix="mentor-calibrate-") as tmp:
        rows = observe(Mentor(Settings(data_dir=Path(tmp))))
    keyed = [r for r in rows if r["keyed"] and r["store"] != UNCURATED]
    unkeyed = [r for r in rows if not r["keyed"] and r["store"] == UNCURATED]
    margin = decline_margin(keyed)
    keyed_fit = [r for r in keyed if r["set"] in KEYED_SETS]
    weights, bias = fit(keyed_fit, tuple(SCOPE_WEIGHTS))
    threshold = bar(keyed_fit, out_of_fold(keyed_fit, tuple(SCOPE_WEIGHTS)), margin)
    u_weights, u_bias = fit(unkeyed, tuple(UNKEYED_WEIGHTS))
    u_threshold = bar(unkeyed, out_of_fold(unkeyed, tuple(UNKEYED_WEIGHTS)), margin)
    result = {
        "weights": dict(zip(SCOPE_WEIGHTS, (round(w, 3) for w in weights), strict=True)),
        "bias": round(bias, 3),
        "min_confidence": threshold,
        "decline_margin": margin,
        "unkeyed_weights": dict(zip(UNKEYED_WEIGHTS, (round(w, 3) for w in u_weights), strict=True)),
        "unkeyed_bias": round(u_bias + _logit(max(threshold, 1e-3)) - _logit(max(u_threshold, 1e-3)), 3),
        "observations": {"keyed": len(keyed_fit), "unkeyed": len(unkeyed)},
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
