"""A passage's sentences and list items, and their vectors kept in the data dir.

An extractive answer quotes the sentences of the best passages that match the question most
closely. Embedding them on every question was most of an answer's time, so they are embedded
once — the first time a passage is answered from, or ahead of time by :meth:`SentenceVectors.fill`
(the chat does it in the background after start) — and kept in a sqlite file, keyed by model
and passage text. Ingest leaves them out: they would double the tokens a build embeds.

The question keys of sections (see ``ingest.questions``) are kept the same way, each question
whole, and embedded at ingest, since search reads them all. It is a cache: rows of passages
and questions no longer stored are pruned after each ingest, and a damaged or missing file is
simply rebuilt.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.cleaning import content_hash

if TYPE_CHECKING:
    import numpy as np

    from ingest.embedding import Embedder

_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*\"'(\[])")
_MIN_WORDS = 3  # shorter fragments ("See below.") say nothing on their own
_WHOLE = "whole"  # the digest of a text kept as one unit (a question)
FILL_BATCH = 16  # passages embedded between checks for a stop (a fraction of a second)
_READ_BATCH = 900  # keys per query: under sqlite's limit on bound parameters


@dataclass(frozen=True)
class Unit:
    """A sentence or a list item of a passage."""

    text: str
    is_item: bool
    depth: int = 0  # a list item's nesting: 0 at the top of its list, 1 under an item, ...


def split(text: str) -> list[Unit]:
    """The list items and sentences of ``text``, in reading order."""
    units: list[Unit] = []
    indents: list[int] = []  # the open lists' indentations, outermost first
    for line in (line for line in text.split("\n") if line.strip()):
        item = _ITEM.match(line)
        if not item:
            indents = indents if line[:1].isspace() else []  # an item's own paragraph keeps its list open
            units += [
                Unit(sentence.strip(), False)
                for sentence in _SENTENCE_END.split(line.strip())
                if len(sentence.split()) >= _MIN_WORDS
            ]
            continue
        indent = len(item.group(1).expandtabs(4))
        while indents and indents[-1] > indent:
            indents.pop()
        if not indents or indents[-1] < indent:
            indents.append(indent)
        units.append(Unit(item.group(2).strip(), True, len(indents) - 1))
    return units


class SentenceVectors:
    """Unit-length vectors of every passage's units, embedded once and kept in ``path``.

    Example:
        >>> cache = SentenceVectors(Path(".mentor/sentences/mentor.sqlite3"), Embedder())
        >>> units, vectors = cache.units(["Colab is free. It has GPUs for a few hours."])[0]
        >>> len(units), vectors.shape  # doctest: +SKIP
        (2, (2, 384))
    """

    def __init__(self, path: Path, embedder: Embedder) -> None:
        self.path = path
        self.embedder = embedder
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def units(self, texts: Sequence[str]) -> list[tuple[list[Unit], np.ndarray]]:
        """Each text's units and their vectors (one row each), embedding only what is missing."""
        import numpy as np

        split_texts = [split(text) for text in texts]
        keys = [content_hash(text) for text in texts]
        digests = [_digest(units) for units in split_texts]
        found = self._read(set(keys))
        missing = [i for i, key in enumerate(keys) if found.get(key, (None,))[0] != digests[i]]
        if missing:
            wanted = [u.text for i in missing for u in split_texts[i]]
            vectors = self.embedder.embed(wanted) if wanted else np.zeros((0, 0), np.float32)
            vectors = vectors.astype(np.float16).astype(np.float32)  # as stored: same answers later
            rows, start = [], 0
            for i in missing:
                end = start + len(split_texts[i])
                found[keys[i]] = (digests[i], vectors[start:end])
                rows.append((keys[i], digests[i], vectors[start:end]))
                start = end
            self._write(rows)
        dimension = self.embedder.dimension
        return [
            (units, found[key][1].reshape(len(units), dimension)) for units, key in zip(split_texts, keys, strict=True)
        ]

    def fill(self, texts: Iterable[str], batch: int = FILL_BATCH, stop: threading.Event | None = None) -> None:
        """Embed the units of every text not kept yet, ``batch`` texts at a time, until ``stop``."""
        remaining = iter(texts)
        while not (stop is not None and stop.is_set()):
            some = list(itertools.islice(remaining, batch))
            if not some:
                return
            self.units(some)

    def fill_in_background(self, texts: Iterable[str]) -> threading.Thread:
        """:meth:`fill` on a daemon thread that is stopped and joined when the process exits:
        an embedding still running while the interpreter shuts down aborts the process. A lazy
        ``texts`` (a generator over the store) is read on that thread too."""
        stop = threading.Event()
        thread = threading.Thread(target=self.fill, args=(texts,), kwargs={"stop": stop}, name="sentences", daemon=True)
        thread.start()
        atexit.register(_stop, stop, thread)
        return thread

    def whole(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text, each embedded whole (a question), embedding only what is missing."""
        import numpy as np

        keys = [_whole_key(text) for text in texts]
        found = self._read(set(keys))
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
        if missing:
            vectors = self.embedder.embed(list(missing.values()))
            vectors = vectors.astype(np.float16).astype(np.float32)
            rows = [(key, _WHOLE, vector[None, :]) for key, vector in zip(missing, vectors, strict=True)]
            self._write(rows)
            found.update((key, (_WHOLE, vector)) for key, _, vector in rows)
        dimension = self.embedder.dimension
        return (
            np.stack([found[key][1].reshape(dimension) for key in keys])
            if keys
            else np.zeros((0, dimension), np.float32)
        )

    @staticmethod
    def keys_of(metadata: dict) -> list[str]:
        """The cache keys a stored chunk uses: its text's and its questions'."""
        questions = str(metadata.get("questions") or "")
        return [str(metadata.get("content_hash")), *(_whole_key(q) for q in questions.split("\n") if q)]

    def prune(self, keep: Iterable[str]) -> None:
        """Forget every key not in ``keep`` (what the store holds: see :meth:`keys_of`)."""
        keep = set(keep)
        model = self.embedder.model_name
        with self._lock:
            db = self._connection()
            if db is None:
                return
            try:
                stale = [
                    (model, key)
                    for (key,) in db.execute("SELECT key FROM units WHERE model = ?", (model,))
                    if key not in keep
                ]
                with db:
                    db.executemany("DELETE FROM units WHERE model = ? AND key = ?", stale)
            except sqlite3.DatabaseError as exc:
                self._forget(exc)

    def close(self) -> None:
        """Close the sqlite file."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _read(self, keys: set[str]) -> dict[str, tuple[str, np.ndarray]]:
        import numpy as np

        with self._lock:
            db = self._connection()
            if db is None or not keys:
                return {}
            wanted, rows = sorted(keys), []
            try:
                for start in range(0, len(wanted), _READ_BATCH):
                    batch = wanted[start : start + _READ_BATCH]
                    rows += db.execute(
                        f"SELECT key, digest, vectors FROM units WHERE model = ? "
                        f"AND key IN ({','.join('?' * len(batch))})",
                        (self.embedder.model_name, *batch),
                    ).fetchall()
            except sqlite3.DatabaseError as exc:
                self._forget(exc)
                return {}
        return {key: (digest, np.frombuffer(blob, dtype=np.float16).astype(np.float32)) for key, digest, blob in rows}

    def _write(self, rows: list[tuple[str, str, np.ndarray]]) -> None:
        import numpy as np

        with self._lock:
            db = self._connection()
            if db is None:
                return
            try:
                with db:
                    db.executemany(
                        "INSERT OR REPLACE INTO units VALUES (?, ?, ?, ?)",
                        [
                            (self.embedder.model_name, key, digest, vectors.astype(np.float16).tobytes())
                            for key, digest, vectors in rows
                        ],
                    )
            except sqlite3.DatabaseError as exc:
                self._forget(exc)

    def _connection(self) -> sqlite3.Connection | None:
        """The open sqlite file, created (or recreated, when damaged) on first use."""
        if self._db is None:
            try:
                self._db = _open(self.path)
            except (OSError, sqlite3.Error) as exc:  # e.g. a read-only data dir
                self._forget(exc)
        return self._db

    def _forget(self, exc: Exception) -> None:
        """After an error: close; delete the file when it is damaged (it is only a cache).

        Busy or locked (an ``OperationalError``) is not damage: those vectors are simply
        embedded again next time.
        """
        if self._db is not None:
            self._db.close()
            self._db = None
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            for suffix in ("", "-wal", "-shm"):
                self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)


def _stop(stop: threading.Event, thread: threading.Thread) -> None:
    stop.set()
    thread.join()  # at most one batch


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=5, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")  # readers in other processes never wait for ingest
        with db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS units (model TEXT, key TEXT, digest TEXT, "
                "vectors BLOB, PRIMARY KEY (model, key))"
            )
    except sqlite3.Error:
        db.close()
        raise
    return db


def _whole_key(text: str) -> str:
    return "q:" + content_hash(text)


def _digest(units: list[Unit]) -> str:
    """What the stored vectors were made from: changes when the text splits differently."""
    return hashlib.sha256("\x1e".join(u.text for u in units).encode()).hexdigest()[:16]
