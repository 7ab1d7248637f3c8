"""Feedback on answers, kept in SQLite, and the report of knowledge gaps it feeds.

Example:
    >>> store = FeedbackStore(Path(tmp) / "feedback.sqlite3")          # doctest: +SKIP
    >>> store.record("Can I get a job without a PhD?", "The knowledge base doesn't cover that",
    ...              grounded=False, citations_json="[]", rating=-1, mode="refusal")  # doctest: +SKIP
    >>> print(gaps_report(store.path))                                  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answering.answers import Answer
from ingest.errors import MentorError

FILENAME = "feedback.sqlite3"
MAX_COMMENT_CHARS = 2000
DEFAULT_MAX_BYTES = 50_000_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    key TEXT UNIQUE,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    grounded INTEGER NOT NULL,
    mode TEXT NOT NULL DEFAULT '',
    citations TEXT NOT NULL DEFAULT '[]',
    related TEXT NOT NULL DEFAULT '[]',
    rating INTEGER CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT ''
)"""
_WORD = re.compile(r"[a-z][a-z0-9+#.'-]*[a-z0-9+#]|[a-z]")
_STOP = frozenset(
    {  # words that say nothing about a question's topic
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "even",
        "ever",
        "few",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "it",
        "it's",
        "its",
        "just",
        "know",
        "like",
        "make",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "need",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "really",
        "same",
        "she",
        "should",
        "so",
        "some",
        "still",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "thing",
        "things",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "use",
        "using",
        "very",
        "want",
        "was",
        "way",
        "we",
        "well",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "without",
        "would",
        "you",
        "your",
        "yours",
    }
)


@dataclass(frozen=True)
class Feedback:
    """One stored answer and what the reader thought of it."""

    question: str
    answer: str
    grounded: bool
    mode: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    rating: int | None = None
    comment: str = ""
    created_at: str = ""

    @property
    def topic(self) -> str:
        """The first cited section, else the first related topic; empty when there is neither."""
        for citation in self.citations:
            title, section = str(citation.get("title", "")), str(citation.get("section", ""))
            if title or section:
                return title if section in ("", title) else f"{title}: {section}"
        return self.related[0] if self.related else ""


class FeedbackStore:
    """Answers and ratings in one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes

    @classmethod
    def in_dir(cls, data_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> FeedbackStore:
        """The store in ``data_dir`` (``feedback.sqlite3``), taking nothing new past ``max_bytes``."""
        return cls(Path(data_dir) / FILENAME, max_bytes)

    def record(
        self,
        question: str,
        answer_text: str,
        grounded: bool,
        citations_json: str,
        rating: int | None,
        comment: str = "",
        *,
        mode: str = "",
        related: Sequence[str] = (),
        key: str | None = None,
    ) -> None:
        """Store one answer with its rating (+1 helpful, -1 unhelpful, ``None`` not rated).

        With a ``key`` (the message id) a later call for the same answer replaces the earlier
        one, so changing a rating or adding a comment keeps one row per answer.

        Raises:
            ValueError: ``rating`` is not +1, -1 or None, or ``citations_json`` is not a list.
            MentorError: the comment is over ``MAX_COMMENT_CHARS``, or the store is full.
        """
        if rating not in (1, -1, None):
            raise ValueError(f"rating: must be +1, -1 or None, got {rating!r}")
        if not isinstance(json.loads(citations_json or "[]"), list):
            raise ValueError("citations_json: must be a JSON list of citations")
        if len(comment) > MAX_COMMENT_CHARS:
            raise MentorError(
                f"comment: {len(comment)} characters is over the limit of {MAX_COMMENT_CHARS}; shorten it"
            )
        size = self.path.stat().st_size if self.path.exists() else 0
        if size >= self.max_bytes:
            raise MentorError(
                f"feedback: {self.path} is full ({size / 1e6:.1f} MB, setting max_feedback_mb); "
                "no feedback is taken until an admin reads it with `mentor gaps` and moves it away"
            )
        row = (
            key,
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            question,
            answer_text,
            int(bool(grounded)),
            mode,
            citations_json or "[]",
            json.dumps(list(related)),
            rating,
            comment.strip(),
        )
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO feedback (key, created_at, question, answer, grounded, mode, "
                "citations, related, rating, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET rating = excluded.rating, "
                "comment = excluded.comment",
                row,
            )

    def record_answer(
        self, answer: Answer, *, rating: int | None = None, comment: str = "", key: str | None = None
    ) -> None:
        """Store ``answer`` (its question, text, citations and related topics)."""
        citations = [
            {"n": c.n, "title": c.title, "section": c.section, "anchor": c.anchor, "url": c.url, "score": c.score}
            for c in answer.citations
        ]
        self.record(
            answer.question,
            answer.text,
            answer.grounded,
            json.dumps(citations),
            rating,
            comment,
            mode=answer.mode,
            related=answer.related,
            key=key,
        )

    def all(self) -> list[Feedback]:
        """Every stored answer, oldest first."""
        if not self.path.exists():
            return []
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT question, answer, grounded, mode, citations, related, "
                "rating, comment, created_at FROM feedback ORDER BY id"
            ).fetchall()
        return [
            Feedback(q, a, bool(g), m, json.loads(c), json.loads(r), rating, comment, at)
            for q, a, g, m, c, r, rating, comment, at in rows
        ]

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as conn, conn:
            conn.execute(_SCHEMA)
            yield conn


def gaps_report(path: Path) -> str:
    """A markdown report for the guide's authors: what readers asked that it could not answer.

    Two parts: questions answered with a refusal, and answers rated unhelpful. Each is grouped by
    topic (the first cited or related section, else the question's most frequent meaningful
    word), largest group first, with counts.
    """
    entries = FeedbackStore(path).all()
    missing = [e for e in entries if e.mode == "refusal" and not e.grounded]
    unhelpful = [e for e in entries if e.rating == -1 and e.mode != "refusal"]
    lines = [
        "# Knowledge gaps",
        "",
        f"{len(missing)} questions the knowledge base could not answer and {len(unhelpful)} "
        f"answers rated unhelpful, from {len(entries)} stored answers in {Path(path).name}.",
        "",
    ]
    for heading, group in (("Questions it could not answer", missing), ("Answers rated unhelpful", unhelpful)):
        lines += [f"## {heading} ({len(group)})", ""]
        if not group:
            lines += ["None.", ""]
        for topic, items in _by_topic(group):
            lines += [f"### {topic} ({len(items)})", ""]
            lines += [_line(question, count, comments) for question, count, comments in _by_question(items)]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _by_topic(entries: list[Feedback]) -> list[tuple[str, list[Feedback]]]:
    """Group entries by topic, most frequent first; entries without one by a shared word."""
    words = Counter(w for e in entries if not e.topic for w in set(_words(e.question)))
    groups: dict[str, list[Feedback]] = {}
    for entry in entries:
        topic = entry.topic or max(_words(entry.question), key=lambda w: words[w], default="")
        groups.setdefault(topic or "(no topic)", []).append(entry)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0].lower()))


def _by_question(entries: Iterable[Feedback]) -> list[tuple[str, int, list[str]]]:
    """The same question asked again counts once more; its comments are kept."""
    seen: dict[str, tuple[str, int, list[str]]] = {}
    for entry in entries:
        key = " ".join(entry.question.lower().split())
        question, count, comments = seen.get(key, (entry.question, 0, []))
        seen[key] = (question, count + 1, comments + ([entry.comment] if entry.comment else []))
    return sorted(seen.values(), key=lambda item: -item[1])


def _words(text: str) -> list[str]:
    words = (w.removesuffix("'s") for w in _WORD.findall(text.lower().replace("’", "'")))
    return [w for w in words if w not in _STOP and len(w) > 1]


def _line(question: str, count: int, comments: list[str]) -> str:
    text = f"- {_inline(question)}" + (f" (asked {count} times)" if count > 1 else "")
    return text + "".join(f"\n  - comment: {_inline(c)}" for c in comments)


def _inline(text: str) -> str:
    """One line of reader text, safe to drop into a markdown list."""
    return " ".join(text.split()).replace("<", "&lt;")
