"""Hybrid retrieval: passages, their question keys and BM25, fused by weighted scores, then de-duplicated."""

from __future__ import annotations

import heapq
import json
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.question_index import QuestionIndex
from ingest import Embedder, Store
from ingest.store import StoredChunk

if TYPE_CHECKING:
    from assistant.settings import Settings
    from ingest.sentences import SentenceVectors

SHORTLIST = 4  # fused candidates read per passage asked for: room for dropped near-duplicates
BOOSTS_FILE = "boosts.json"  # beside the indexes: {chunk id: its source's boost}, nonzero only


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: its text, where it comes from and how relevant it is (0 to 1)."""

    id: str
    text: str
    score: float  # the better of the two below
    metadata: dict[str, Any] = field(default_factory=dict)
    text_score: float = 0.0  # similarity of the question to the passage (with its headings)
    question_score: float = 0.0  # ...to the closest question the passage's section answers
    questions: tuple[str, ...] = ()  # the questions its section answers (question keys)
    relevance: float = 0.0  # its fused search score, its source's boost left out

    @property
    def title(self) -> str:
        """The source's title."""
        return str(self.metadata.get("title", ""))

    @property
    def section(self) -> str:
        """The most specific heading above the passage."""
        return str(self.metadata.get("section", ""))

    @property
    def source(self) -> str:
        """The source id (path in the knowledge folder, or URL)."""
        return str(self.metadata.get("source", ""))

    def to_dict(self) -> dict[str, Any]:
        """The passage as plain data."""
        return {
            "id": self.id,
            "text": self.text,
            "score": round(self.score, 4),
            "text_score": round(self.text_score, 4),
            "question_score": round(self.question_score, 4),
            "relevance": round(self.relevance, 4),
            **self.metadata,
        }


class HybridSearch:
    """Search the store by meaning, by the questions its sections answer, and by words.

    Three scores are fused, weighted: a passage's similarity to the query, its closest
    question key's, and its BM25 score over the best one's. Words find names and error codes
    that meaning blurs; they read the question keys too (doc2query), so plain-English questions
    gain from them as well. A source the manifest boosts (``boost = 0.04``: the owner's guide)
    adds that much to each of its passages' scores, so it wins near-ties with the notes that
    expand on it.
    The word and question indexes are rebuilt (or loaded from ``<data_dir>/index``) whenever
    the store's ingest id changes, so a re-ingest by any process is seen on the next query.
    """

    def __init__(self, store: Store, embedder: Embedder, sentences: SentenceVectors, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.sentences = sentences
        self.settings = settings
        self._indexes: _Indexes | None = None
        self._version: str | None = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        """The ingest id of the content being searched."""
        return str(self.store.info.get("ingest_id", ""))

    def search(self, query: str, k: int, version: str | None = None) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first.

        Each passage's metadata carries ``index_version``, the ingest it was searched in:
        ``version`` when the caller has just read it, else the store's.
        """
        s = self.settings
        version = self.version if version is None else version
        lexical, questions, boosts = self._indexes_of(version)
        query = lexical.correct(query)
        vector = self.embedder.embed([query])[0]
        n = max(s.candidates, k)
        dense = dict(self.store.nearest(vector, n)) if s.dense_weight else {}
        asked = questions.scores(vector) if s.question_weight else {}
        words = dict(lexical.search(query, n)) if s.lexical_weight else {}
        top_asked = heapq.nlargest(n, asked, key=asked.__getitem__)
        candidates = list(dict.fromkeys([*dense, *top_asked, *words]))
        missing = [i for i in candidates if i not in dense]  # not found by meaning: score them
        dense.update((i, float(v @ vector)) for i, v in self.store.embeddings(missing).items())
        top_words = max(words.values(), default=0.0) or 1.0
        # A passage's own text stands as one more of its keys: a passage without keys (a user's
        # own file) competes on equal terms with keyed ones, and a line added to a keyed
        # section after its keys were written is found by its own words.
        keyed = {i: max(asked.get(i, 0.0), dense.get(i, 0.0)) for i in candidates}
        fused = {
            i: s.dense_weight * dense.get(i, 0.0)
            + s.question_weight * keyed[i]
            + s.lexical_weight * words.get(i, 0.0) / top_words
            for i in candidates
        }
        ranked = sorted(fused, key=lambda i: (-fused[i] - boosts.get(i, 0.0), i))[: k * SHORTLIST]
        rows = self._by_sentences(self.store.get(ranked), vector, keyed, fused)
        rows.sort(key=lambda row: (-fused[row.id] - boosts.get(row.id, 0.0), row.id))
        return _diverse(
            [_passage(row, dense.get(row.id, 0.0), asked.get(row.id, 0.0), fused[row.id], version) for row in rows],
            k,
            s,
        )

    def _by_sentences(
        self, rows: list[StoredChunk], vector: Any, keyed: dict[str, float], fused: dict[str, float]
    ) -> list[StoredChunk]:
        """``rows``, each shortlisted passage without question keys scored by its best sentence
        too, as if it were one more of its keys (weighted ``sentence_weight``; ``fused`` is
        updated): a user's own notes often answer a question in one line of a long passage,
        which its vector as a whole blurs. Sentence vectors are kept (``SentenceVectors``), so a
        passage's sentences are embedded once, whether here, for an answer, or ahead of time."""
        weight = self.settings.sentence_weight * self.settings.question_weight
        plain = [row for row in rows if not row.metadata.get("questions")] if weight else []
        for row, (units, vectors) in zip(plain, self.sentences.units([row.text for row in plain]), strict=True):
            if units:
                fused[row.id] += weight * max(0.0, float((vectors @ vector).max()) - keyed[row.id])
        return list(rows)

    def lexical(self, version: str | None = None) -> LexicalIndex:
        """The BM25 index for the store's content at ``version`` (default: current)."""
        return self._indexes_of(version).lexical

    def _indexes_of(self, version: str | None) -> _Indexes:
        """The indexes of the store's content at ``version`` (default: current), built once."""
        version = self.version if version is None else version
        with self._lock:
            if self._indexes is None or version != self._version:
                self._indexes = self._load_or_build(version)
                self._version = version
            return self._indexes

    def _load_or_build(self, version: str) -> _Indexes:
        root = self.settings.data_dir / "index"
        folder = root / version if version else None
        if folder and folder.is_dir():
            lexical = LexicalIndex.load(folder)
            questions = QuestionIndex.load(folder, self.sentences)
            boosts = _load_boosts(folder)
            if lexical is not None and questions is not None and boosts is not None:
                return _Indexes(lexical, questions, boosts)
        rows = list(self.store.rows())
        indexes = _Indexes(
            LexicalIndex.build((row.id, _searchable(row)) for row in rows),
            QuestionIndex.build(((row.id, str(row.metadata.get("questions") or "")) for row in rows), self.sentences),
            {row.id: float(row.metadata["boost"]) for row in rows if row.metadata.get("boost")},
        )
        if folder:
            _save(root, version, indexes)
        return indexes


class _Indexes(NamedTuple):
    """What search reads besides the store, built once per ingest: words, question keys, and
    the boost of each passage whose source the manifest boosts."""

    lexical: LexicalIndex
    questions: QuestionIndex
    boosts: dict[str, float]


def _load_boosts(folder: Path) -> dict[str, float] | None:
    """The boosts saved in ``folder``; ``None`` when missing or unreadable."""
    try:
        return {str(k): float(v) for k, v in json.loads((folder / BOOSTS_FILE).read_text()).items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return None


def _save(root: Path, version: str, indexes: _Indexes) -> None:
    """Write the indexes of ``version`` whole (under a unique temporary name, then renamed) and
    drop those of other versions: a reader of an old version rebuilds it if it still needs it."""
    tmp = root / f".{version}-{uuid.uuid4().hex[:8]}.tmp"
    try:
        tmp.mkdir(parents=True)
        indexes.lexical.save(tmp)
        indexes.questions.save(tmp)
        (tmp / BOOSTS_FILE).write_text(json.dumps(indexes.boosts))
        tmp.rename(root / version)
    except OSError:  # another process saved it first, or the data dir is read-only
        shutil.rmtree(tmp, ignore_errors=True)
        return
    for other in root.iterdir():
        if other.name != version and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)


def _searchable(row: StoredChunk) -> str:
    """What BM25 reads of a chunk: its headings, text and question keys (doc2query's expansion)."""
    return f"{row.metadata.get('section_path', '')}\n{row.text}\n{row.metadata.get('questions') or ''}"


def _passage(row: StoredChunk, similarity: float, asked: float, relevance: float, version: str) -> Passage:
    metadata = {key: value for key, value in row.metadata.items() if key != "questions"}
    return Passage(
        id=row.id,
        text=row.text,
        score=min(1.0, max(0.0, similarity, asked)),
        metadata={**metadata, "index_version": version},
        text_score=similarity,
        question_score=asked,
        relevance=relevance,
        questions=tuple(filter(None, str(row.metadata.get("questions") or "").split("\n"))),
    )


def _diverse(passages: list[Passage], k: int, config: Settings) -> list[Passage]:
    """Drop near-duplicates; keep at most ``per_section`` passages of a section ahead of others.
    A source's ``overview`` sections (they describe the document, not advise) count as one
    section: a career question matching the introduction and conclusion alike still gets the
    sections that advise among its passages."""
    kept: list[Passage] = []
    spare: list[Passage] = []
    words: list[set[str]] = []
    per_section: dict[str, int] = {}
    for passage in passages:
        bag = set(passage.text.lower().split())
        if any(len(bag & other) / max(1, min(len(bag), len(other))) > config.near_duplicate for other in words):
            continue
        words.append(bag)
        path = str(passage.metadata.get("section_path", ""))
        if passage.metadata.get("role") == "overview":
            path = f"overview:{passage.source}"
        per_section[path] = per_section.get(path, 0) + 1
        limited = config.per_section and per_section[path] > config.per_section
        (spare if limited else kept).append(passage)
    return (kept + spare)[:k]
