"""Topics the knowledge base declares it does not cover: chatbot design's out-of-scope intent.

A question about pay or which laptop to buy shares most of its words with what a career guide
does cover, so similarity and word coverage alone cannot tell it apart. The manifest may name a
file of such topics, each with questions beginners ask about it (``out_of_scope =
"out-of-scope.toml"``); a question nearer one of those than to anything the knowledge base
answers is declined, naming the topic. The file is content: edited, it is read again at the
next question, and no re-ingest is needed.

A topics file (TOML)::

    [[topic]]
    name = "pay and salaries"          # completes "The knowledge base doesn't cover …"
    questions = ["how much do ml engineers earn", "..."]
"""

from __future__ import annotations

import functools
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import SourceError

if TYPE_CHECKING:
    import numpy as np

    from ingest.sentences import SentenceVectors

MANIFEST_KEY = "out_of_scope"
NAMED_BY = 3  # a refusal names the topic whose this many closest examples are closest


@dataclass(frozen=True)
class Topics:
    """Declared topics' example questions, embedded: ``names[i]`` is the topic of row ``i``."""

    names: tuple[str, ...]
    vectors: np.ndarray

    def nearest(self, vector: np.ndarray) -> tuple[float, str]:
        """The similarity of ``vector`` to the closest example question, and the topic whose
        ``NAMED_BY`` closest examples are closest on average: one stray example ("which companies
        in Berlin hire?") does not name hiring for a question about pay in Berlin."""
        import numpy as np

        if not self.names:
            return 0.0, ""
        similarities = self.vectors @ vector
        topic = max(self._rows, key=lambda name: np.sort(similarities[self._rows[name]])[-NAMED_BY:].mean())
        return float(similarities.max()), topic

    @functools.cached_property
    def _rows(self) -> dict[str, list[int]]:
        """Each topic's rows in ``vectors``, found once rather than at every question."""
        rows: dict[str, list[int]] = {}
        for row, name in enumerate(self.names):
            rows.setdefault(name, []).append(row)
        return rows


def topics_file(manifest: Path) -> Path | None:
    """The topics file ``manifest`` names, if it names one (a manifest that cannot be read
    names none: reporting that is ingest's)."""
    try:
        named = tomllib.loads(manifest.read_text(encoding="utf-8")).get(MANIFEST_KEY)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    return None if named is None else manifest.parent / str(named)


def read(path: Path) -> list[tuple[str, str]]:
    """The (topic, question) pairs of the topics file at ``path``.

    Raises:
        SourceError: the file is missing or malformed (the file and the fix named).
    """
    try:
        topics = tomllib.loads(path.read_text(encoding="utf-8")).get("topic", [])
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file, named by `{MANIFEST_KEY}` in the manifest; fix the path") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: not valid TOML ({exc})") from None
    pairs = []
    for n, topic in enumerate(topics if isinstance(topics, list) else [None], 1):
        topic = topic if isinstance(topic, dict) else {}
        name, questions = topic.get("name"), topic.get("questions")
        if not (isinstance(name, str) and isinstance(questions, list) and all(isinstance(q, str) for q in questions)):
            raise SourceError(f'{path} topic {n}: give name = "..." and questions = ["...", ...] ([[topic]] tables)')
        pairs.extend((name, question) for question in questions)
    return pairs


class DeclaredTopics:
    """The manifest's declared topics, read again whenever the file changes; their questions'
    vectors are kept in ``vectors``' file, so a new process embeds none of them again."""

    def __init__(self, manifest: Path, vectors: SentenceVectors) -> None:
        self._manifest = manifest
        self._vectors = vectors
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._topics: Topics | None = None

    def current(self) -> Topics:
        """The topics as the files read now."""
        path = topics_file(self._manifest)
        stamp = (path, _stamp(path))
        with self._lock:
            if self._topics is None or stamp != self._stamp:
                pairs = read(path) if path else []
                vectors = self._vectors.whole([question for _, question in pairs])
                self._topics, self._stamp = Topics(tuple(name for name, _ in pairs), vectors), stamp
            return self._topics


def _stamp(path: Path | None) -> tuple[int, int] | None:
    """What changes when the file at ``path`` is edited."""
    try:
        status = path.stat() if path else None
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size) if status else None
