"""The Chroma collection that holds every chunk: local on disk or on a Chroma server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ingest.errors import StoreError

if TYPE_CHECKING:
    import numpy as np

DEFAULT_COLLECTION = "mentor"
SWAP_RETRIES = 8  # reads that find no collection while --full swaps one in: tries, waiting
SWAP_WAIT = 0.02  # seconds times the attempt number
_MODEL_KEY = "embedding_model"


@dataclass(frozen=True)
class StoredChunk:
    """One row of the collection."""

    id: str
    text: str
    metadata: dict[str, Any]


def open_client(data_dir: Path, chroma_url: str = ""):
    """A Chroma client: an ``HttpClient`` when ``chroma_url`` is set, else on disk in ``data_dir``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        parts = urlparse(chroma_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StoreError(f"MENTOR_CHROMA_URL={chroma_url!r} is not an http(s) URL; use e.g. http://127.0.0.1:8000")
        try:
            return chromadb.HttpClient(
                host=parts.hostname, port=parts.port or 8000, ssl=parts.scheme == "https", settings=settings
            )
        except Exception as exc:  # chromadb raises bare ValueError/ConnectError variants
            raise StoreError(
                f"cannot reach the Chroma server at {chroma_url} ({exc}); "
                "start it with `chroma run` or unset MENTOR_CHROMA_URL"
            ) from None
    data_dir.mkdir(parents=True, exist_ok=True)
    _refuse_damaged(data_dir / "chroma")
    try:
        return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings)
    except Exception as exc:  # a damaged sqlite file surfaces as many exception types
        raise StoreError(
            f"the store in {data_dir / 'chroma'} cannot be opened ({exc}); rebuild it with `mentor ingest --full`"
        ) from None


def _refuse_damaged(folder: Path) -> None:
    """Move a store whose sqlite file is damaged aside and say so, before chromadb reads it.

    On a damaged file chromadb's Rust core panics, or opens it and fails on the first read, and
    ``mentor ingest --full`` could not even drop the collection; sqlite's own check finds the
    damage at once, and moving the folder aside (kept, not deleted) lets the rebuild start afresh.

    Raises:
        StoreError: the file is damaged; it was moved to ``<folder>.damaged-<time>``.
    """
    import sqlite3

    path = folder / "chroma.sqlite3"
    if not path.is_file():
        return
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            problems = [str(row[0]) for row in db.execute("PRAGMA quick_check")]
    except sqlite3.OperationalError:
        return  # busy, locked or needing recovery, not damaged: chromadb handles those
    except sqlite3.DatabaseError as exc:  # "file is not a database", "disk image is malformed"
        problems = [str(exc)]
    if problems == ["ok"]:
        return
    aside = folder.with_name(f"{folder.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    folder.rename(aside)
    raise StoreError(
        f"the store in {folder} is damaged ({problems[0]}); it was moved to {aside}; "
        "rebuild it with `mentor ingest --full`"
    )


def drop_collection(client, name: str = DEFAULT_COLLECTION) -> None:
    """Delete the collection ``name`` if it exists."""
    if name in {c.name for c in client.list_collections()}:
        client.delete_collection(name)


def replace_collection(client, staging: str, name: str = DEFAULT_COLLECTION) -> None:
    """Put the collection ``staging`` in the place of ``name`` (``mentor ingest --full``).

    The old one is renamed aside first and dropped last, so readers always find a whole
    collection under ``name`` but for the instant between two renames (they retry a failed
    search once); an empty ``name`` a reader created in that instant is dropped.
    """
    names = {c.name for c in client.list_collections()}
    retired = _retired(name)
    drop_collection(client, retired)
    if name in names:
        client.get_collection(name, embedding_function=None).modify(name=retired)
    new = client.get_collection(staging, embedding_function=None)
    try:
        new.modify(name=name)
    except Exception:  # noqa: BLE001 - a reader recreated `name` in between: take its place
        drop_collection(client, name)
        new.modify(name=name)
    drop_collection(client, retired)


def recover_collection(client, name: str = DEFAULT_COLLECTION) -> None:
    """Put the old collection back when a ``--full`` swap was killed between its two renames
    (``name`` gone, ``<name>-retired`` still there): the store keeps answering from it."""
    names = {c.name for c in client.list_collections()}
    if name not in names and _retired(name) in names:
        client.get_collection(_retired(name), embedding_function=None).modify(name=name)


def _retired(name: str) -> str:
    return f"{name}-retired"


def staging(name: str = DEFAULT_COLLECTION) -> str:
    """The collection a ``--full`` rebuild of ``name`` is built in before it is swapped in."""
    return f"{name}-staging"


class Store:
    """Chunks with their embeddings and metadata, in one cosine-space Chroma collection.

    The collection's metadata records the embedding model (and, after an ingest, its
    dimension); opening it with another model is refused, so vectors from two models never mix.
    """

    def __init__(self, client, model_name: str, name: str = DEFAULT_COLLECTION) -> None:
        self._client = client
        self.model_name = model_name
        self.name = name
        recover_collection(client, name)
        self._collection = self._open()

    def _open(self, *, create: bool = True):
        from chromadb.errors import NotFoundError

        try:
            if not create:
                return self._client.get_collection(self.name, embedding_function=None)
            if self._swapping():  # the store is between two renames: let it reappear
                with suppress(NotFoundError):
                    return self._retrying(lambda: self._open(create=False))
            collection = self._client.get_or_create_collection(
                self.name,
                metadata={_MODEL_KEY: self.model_name},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        except NotFoundError:
            raise
        except Exception as exc:  # chromadb reports damage and outages with many types
            raise StoreError(
                f"collection {self.name!r} cannot be opened ({exc}); rebuild it with `mentor ingest --full`"
            ) from None
        found = (collection.metadata or {}).get(_MODEL_KEY)
        if found != self.model_name:
            raise StoreError(
                f"collection {self.name!r} holds embeddings of {found!r}, not "
                f"{self.model_name!r}; rebuild it with `mentor ingest --full` or set "
                f"MENTOR_MODEL={found}"
            )
        return collection

    def _swapping(self) -> bool:
        """Whether a ``--full`` rebuild is swapping collections: ours missing, its partner there."""
        names = {c.name for c in self._client.list_collections()}
        return self.name not in names and bool({staging(self.name), _retired(self.name)} & names)

    def _read(self, method: str, **arguments: Any) -> Any:
        """Call a read method of the collection; when ``mentor ingest --full`` has put a new
        collection in its place since it was opened, open that one and call again. A read of a
        collection being dropped can also come back empty: an empty answer is trusted only from
        the collection still under our name."""

        def read() -> Any:
            got = getattr(self._collection, method)(**arguments)
            if not _found(got) and self._replaced():
                from chromadb.errors import NotFoundError

                raise NotFoundError(f"collection {self.name!r} was replaced while it was read")
            return got

        return self._retrying(read)

    def _retrying(self, call: Callable[[], Any]) -> Any:
        """``call()``, reopening the collection by name if it was replaced; the swap renames
        two collections one after the other, so for an instant neither is found: wait it out."""
        from chromadb.errors import InternalError, NotFoundError

        for attempt in range(SWAP_RETRIES):
            try:
                return call()
            except (NotFoundError, InternalError) as exc:
                # A handle on a collection the swap has just dropped reads "missing segment".
                if attempt == SWAP_RETRIES - 1 or (isinstance(exc, InternalError) and not self._replaced()):
                    raise
                time.sleep(SWAP_WAIT * attempt)
                with suppress(NotFoundError):
                    self._collection = self._open(create=False)
        raise AssertionError("unreachable")

    def _replaced(self) -> bool:
        """Whether the collection under our name is no longer the one we hold (or is missing)."""
        from chromadb.errors import NotFoundError

        try:
            return self._client.get_collection(self.name, embedding_function=None).id != self._collection.id
        except NotFoundError:
            return True

    @property
    def info(self) -> dict[str, Any]:
        """The collection's metadata: model, dimension and the last ingest's record."""
        return self._retrying(
            lambda: dict(self._client.get_collection(self.name, embedding_function=None).metadata or {})
        )

    def set_info(self, **values: Any) -> None:
        """Merge ``values`` into the collection's metadata."""
        merged = {**self.info, **values, _MODEL_KEY: self.model_name}
        self._collection.modify(metadata=merged)

    def count(self) -> int:
        """Number of stored chunks."""
        return self._read("count")

    def metadata_by_id(self) -> dict[str, dict[str, Any]]:
        """Every stored chunk's metadata, by id."""
        return {row.id: row.metadata for row in self.rows(include_text=False)}

    def rows(self, *, include_text: bool = True, page: int = 5000) -> Iterator[StoredChunk]:
        """Every stored chunk, read page by page."""
        include = ["metadatas", "documents"] if include_text else ["metadatas"]
        offset = 0
        while True:
            got = self._read("get", include=include, limit=page, offset=offset)
            documents = got["documents"] or [""] * len(got["ids"])
            for chunk_id, text, meta in zip(got["ids"], documents, got["metadatas"], strict=True):
                yield StoredChunk(chunk_id, text, dict(meta or {}))
            if len(got["ids"]) < page:
                return
            offset += page

    def of_source(self, source: str) -> list[StoredChunk]:
        """The chunks of one source (read by a filter, not by scanning the store)."""
        got = self._read("get", where={"source": source}, include=["metadatas", "documents"])
        return [
            StoredChunk(i, t, dict(m or {}))
            for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]

    def embeddings(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``ids``, for reuse and for scoring."""
        import numpy as np

        found: dict[str, np.ndarray] = {}
        for batch in _batches(list(ids), self._max_batch):
            got = self._read("get", ids=batch, include=["embeddings"])
            for chunk_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                found[chunk_id] = np.asarray(vector, dtype=np.float32)
        return found

    def get(self, ids: Sequence[str]) -> list[StoredChunk]:
        """Stored chunks by id, in the order asked; unknown ids are left out."""
        if not ids:  # Chroma refuses an empty list of ids; an empty store finds none
            return []
        got = self._read("get", ids=list(ids), include=["metadatas", "documents"])
        rows = {
            i: StoredChunk(i, t, dict(m or {}))
            for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }
        return [rows[i] for i in ids if i in rows]

    def upsert(
        self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str], metadatas: Sequence[dict[str, Any]]
    ) -> None:
        """Write chunks in batches no larger than the server accepts."""
        size = self._max_batch
        for start in range(0, len(ids), size):
            end = start + size
            self._collection.upsert(
                ids=list(ids[start:end]),
                embeddings=vectors[start:end],
                documents=list(texts[start:end]),
                metadatas=list(metadatas[start:end]),
            )

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        """Replace metadata only (a chunk moved, its source was retitled, a role or boost changed):
        no re-embedding. Chroma's update merges, so a key the new metadata lacks is deleted
        explicitly (set to None); otherwise a role taken out of the manifest would stay."""
        size = self._max_batch
        for start in range(0, len(ids), size):
            batch = list(ids[start : start + size])
            got = self._read("get", ids=batch, include=["metadatas"])
            old = dict(zip(got["ids"], got["metadatas"], strict=True))
            new = [
                {**dict.fromkeys(set(old.get(i) or {}) - set(meta)), **meta}
                for i, meta in zip(batch, metadatas[start : start + size], strict=True)
            ]
            self._collection.update(ids=batch, metadatas=new)

    def delete(self, ids: Sequence[str]) -> None:
        """Delete chunks by id, in batches."""
        for batch in _batches(list(ids), self._max_batch):
            self._collection.delete(ids=batch)

    def nearest(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """The ``n`` nearest chunks to unit-length ``vector``: (id, cosine similarity), nearest first.

        No texts are read: the caller fetches only those it keeps.
        """
        if n <= 0:
            return []
        got = self._read("query", query_embeddings=[vector], n_results=n, include=["distances"])
        return [
            (chunk_id, 1.0 - float(distance))
            for chunk_id, distance in zip(got["ids"][0], got["distances"][0], strict=True)
        ]

    @property
    def _max_batch(self) -> int:
        return int(self._client.get_max_batch_size())


def _found(got: Any) -> bool:
    """Whether a read's answer holds anything (a count, ids, or ids per query)."""
    if isinstance(got, int):
        return got > 0
    ids = got["ids"]
    return bool(ids and (not isinstance(ids[0], list) or ids[0]))


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
