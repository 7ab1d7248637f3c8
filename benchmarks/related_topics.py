"""Fit the bar a refusal's related topics must clear: ``python -m benchmarks.related_topics``.

A refusal may name the nearest sections the knowledge base does cover, those whose names share a
word with the question (``assistant/answering/weighing.py``). Sharing a word is not being about
the same thing: "what value of weight decay?" shares "value" with "Value Proposition". The
section is offered only when its name is also near the question by meaning (``RELATED_MIN``).

``related_topics.jsonl`` holds the pairs the dev sets' refusals (``dev.jsonl`` and
``longpost-dev.jsonl``, full and uncurated stores) could offer, each marked by a reader who saw
only the question and the topic's name: would a learner want to read it next? This prints, for
each bar, how many pairs would be offered, related or not, and the bar that gets most pairs
right. The test splits are never read.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant import Mentor, Settings

LABELS = Path(__file__).with_name("related_topics.jsonl")
BARS = (0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


def main() -> None:
    embedder = Mentor(Settings()).embedder
    pairs = [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()]
    questions = embedder.embed([p["question"] for p in pairs])
    topics = embedder.embed([p["topic"] for p in pairs])
    similar = (questions * topics).sum(axis=1)
    right = {}
    print("bar   offered  related  unrelated  missed  right")
    for bar in BARS:
        offered = [p["related"] for p, s in zip(pairs, similar, strict=True) if s >= bar]
        missed = sum(p["related"] for p, s in zip(pairs, similar, strict=True) if s < bar)
        right[bar] = (len(pairs) - offered.count(False) - missed) / len(pairs)
        wrong = offered.count(False)
        print(f"{bar:<5} {len(offered):>7}  {sum(offered):>7}  {wrong:>9}  {missed:>6}  {right[bar]:.3f}")
    print(f"best bar: {max(right, key=lambda bar: (right[bar], bar))}")


if __name__ == "__main__":
    main()
