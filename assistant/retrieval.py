"""Hybrid retrieval: dense (Chroma) and BM25 fused by reciprocal rank, then de-duplicated."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.lexical import LexicalIndex
from assistant.synonyms import expand
from ingest import Embedder, Store
from ingest.store import StoredChunk

SHORTLIST = 4  # fused candidates read per passage asked for: room for dropped near-duplicates


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: its text, where it comes from and how relevant it is (0 to 1)."""

    id: str
    text: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)

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
        return {"id": self.id, "text": self.text, "score": round(self.score, 4), **self.metadata}


@dataclass(frozen=True)
class SearchConfig:
    """How hybrid search weighs and fuses its two rankings."""

    candidates: int = 30
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    synonyms: bool = True
    lexical_for_terms_only: bool = True  # BM25 joins only when the query uses a field term
    per_section: int = 2  # more passages from one section add little: let others in (0: off)
    near_duplicate: float = 0.8  # word-set overlap above which a passage repeats a kept one


class HybridSearch:
    """Search the store by meaning and by words at once.

    Words (BM25) find names and error codes that meaning blurs, but on plain-English questions
    they add noise, so by default they join only when the query uses one of the corpus's rare
    terms ("kaggle", "dropout", "zone_resource_pool_exhausted").
    The BM25 index is rebuilt (or loaded from ``cache_dir``) whenever the store's ingest id
    changes, so a re-ingest by any process is seen on the next query.
    """

    def __init__(self, store: Store, embedder: Embedder, *, cache_dir: Path | None = None,
                 config: SearchConfig | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config or SearchConfig()
        self._cache_dir = cache_dir
        self._lexical: LexicalIndex | None = None
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
        version = self.version if version is None else version
        lexical = self.lexical(version)
        query = lexical.correct(query)
        use_words = self.config.lexical_weight and (
            not self.config.lexical_for_terms_only or lexical.field_terms(query))
        query = expand(query) if self.config.synonyms else query
        vector = self.embedder.embed([query])[0]
        n = max(self.config.candidates, k)
        dense = self.store.nearest(vector, n) if self.config.dense_weight else []
        words = lexical.search(query, n) if use_words else []
        fused: dict[str, float] = {}
        for weight, ranking in ((self.config.dense_weight, [i for i, _ in dense]),
                                (self.config.lexical_weight, [i for i, _ in words])):
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (self.config.rrf_k + rank + 1)
        ranked = sorted(fused, key=lambda i: (-fused[i], i))[:k * SHORTLIST]
        similarity = dict(dense)
        words_only = [i for i in ranked if i not in similarity]  # found by BM25 alone: score them
        similarity.update((i, float(v @ vector)) for i, v in self.store.embeddings(words_only).items())
        return _diverse([_passage(row, similarity[row.id], version)
                         for row in self.store.get(ranked)], k, self.config)

    def lexical(self, version: str | None = None) -> LexicalIndex:
        """The BM25 index for the store's content at ``version`` (default: current)."""
        version = self.version if version is None else version
        with self._lock:
            if self._lexical is None or version != self._version:
                self._lexical = self._load_or_build(version)
                self._version = version
            return self._lexical

    def _load_or_build(self, version: str) -> LexicalIndex:
        folder = self._cache_dir / "bm25" / version if self._cache_dir and version else None
        index = LexicalIndex.load(folder) if folder else None
        if index is None:
            index = LexicalIndex.build(
                (row.id, _searchable(row)) for row in self.store.rows())
            if folder:
                index.save(folder)
        return index


def _searchable(row: StoredChunk) -> str:
    return f"{row.metadata.get('section_path', '')}\n{row.text}"


def _passage(row: StoredChunk, similarity: float, version: str) -> Passage:
    return Passage(id=row.id, text=row.text, score=min(1.0, max(0.0, similarity)),
                   metadata={**row.metadata, "index_version": version})


def _diverse(passages: list[Passage], k: int, config: SearchConfig) -> list[Passage]:
    """Drop near-duplicates; keep at most ``per_section`` passages of a section ahead of others."""
    kept: list[Passage] = []
    spare: list[Passage] = []
    words: list[set[str]] = []
    per_section: dict[str, int] = {}
    for passage in passages:
        bag = set(passage.text.lower().split())
        if any(len(bag & other) / max(1, min(len(bag), len(other))) > config.near_duplicate
               for other in words):
            continue
        words.append(bag)
        path = str(passage.metadata.get("section_path", ""))
        per_section[path] = per_section.get(path, 0) + 1
        limited = config.per_section and per_section[path] > config.per_section
        (spare if limited else kept).append(passage)
    return (kept + spare)[:k]
