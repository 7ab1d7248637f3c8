"""Search by the questions sections answer (doc2query): which passage answers a question like this."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ingest.sentences import SentenceVectors


class QuestionIndex:
    """The question keys of every stored passage, with their vectors, searched by meaning.

    A passage's match is its best question's similarity to the query. The vectors live in the
    sentence-vector cache (embedded at ingest); this holds which passage each question keys.
    """

    def __init__(self, owners: list[str], questions: list[str], vectors: np.ndarray) -> None:
        import numpy as np

        self._owners = owners
        self._questions = questions
        # The distinct passages, and the vectors grouped by passage in that order, once, so a
        # query takes each passage's best question in one pass (``np.maximum.reduceat``).
        self._keyed, slots = np.unique(np.array(owners, dtype=str), return_inverse=True)
        grouped = np.argsort(slots, kind="stable")
        self._grouped = vectors[grouped]
        self._starts = np.flatnonzero(np.r_[True, np.diff(slots[grouped]) != 0])

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str]], sentences: SentenceVectors) -> QuestionIndex:
        """Index ``rows`` of (chunk id, questions one per line)."""
        owners, questions = [], []
        for chunk_id, text in rows:
            for question in filter(None, text.split("\n")):
                owners.append(chunk_id)
                questions.append(question)
        return cls(owners, questions, sentences.whole(questions))

    def save(self, folder: Path) -> None:
        """Write which passage each question keys into ``folder`` (vectors stay in the cache)."""
        (folder / "questions.json").write_text(json.dumps({"owners": self._owners, "questions": self._questions}))

    @classmethod
    def load(cls, folder: Path, sentences: SentenceVectors) -> QuestionIndex | None:
        """Read an index saved by :meth:`save`; ``None`` when missing or unreadable."""
        try:
            data = json.loads((folder / "questions.json").read_text())
            owners, questions = list(data["owners"]), list(data["questions"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return cls(owners, questions, sentences.whole(questions))

    def __len__(self) -> int:
        return len(self._questions)

    def scores(self, vector: np.ndarray) -> dict[str, float]:
        """Every keyed passage's best question similarity to ``vector``: {chunk id: similarity}."""
        import numpy as np

        if not self._owners:
            return {}
        best = np.maximum.reduceat((self._grouped @ vector).astype(np.float32), self._starts)
        return dict(zip(self._keyed.tolist(), best.tolist(), strict=True))
