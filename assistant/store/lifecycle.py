"""The open store: the Chroma client, the collection and the search over it, reopened when it changed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from assistant.retrieval.search import HybridSearch, Passage
from ingest import Embedder, MentorError, Store, open_client
from ingest.lease import server_lease

if TYPE_CHECKING:
    from assistant.settings import Settings
    from ingest.sentences import SentenceVectors


class OpenStore:
    """One knowledge base's store, opened on first use and shared by threads.

    A local Chroma store keeps its vector index in memory, per process: when another process
    has re-ingested (the ingest id changed, not by us), or a search just failed on the current
    one, the client is reopened to read the store afresh. A client passed in, or a Chroma
    server, is never reopened. ``embedder`` and ``sentences`` are called when first needed.
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Callable[[], Embedder],
        sentences: Callable[[], SentenceVectors],
        client: Any = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._sentences = sentences
        self._client = client
        self._owns_client = client is None
        self._store: Store | None = None
        self._searcher: HybridSearch | None = None
        self._seen_version: str | None = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The Chroma client: on disk in the data dir, or the server at ``chroma_url``."""
        if self._client is None:
            self._client = open_client(self.settings.data_dir, self.settings.chroma_url)
        return self._client

    @property
    def store(self) -> Store:
        """The collection of chunks for the configured model."""
        if self._store is None:
            self._store = Store(self.client, self._embedder().model_name, self.settings.collection)
        return self._store

    def current(self, stale: HybridSearch | None = None) -> tuple[HybridSearch, str | None]:
        """The search over the store as it is now, and the store's ingest id (None: read it).

        The client is reopened when another process re-ingested, or when ``stale`` (a search
        that just failed) is still the current one.
        """
        with self._open_lock:
            if self._searcher is None:
                self._searcher = self._new_search()
            if self._write_lock.locked():  # our own ingest: this process's view is current
                return self._searcher, None
            version = self._searcher.version
            changed = self._seen_version is not None and version != self._seen_version
            if self._reopenable() and (changed or self._searcher is stale):
                self._reopen()
                version = self._searcher.version
            self._seen_version = version
            return self._searcher, version

    @property
    def version(self) -> str:
        """The id of the last finished ingest: what searches and answers are drawn from."""
        search, version = self.current()
        return search.version if version is None else version

    def find(self, query: str, k: int) -> tuple[HybridSearch, list[Passage]]:
        """Search, reopening the store once if it failed because another process changed it.

        Returns the search that answered too, for its word statistics.
        """
        search, version = self.current()
        try:
            return search, search.search(query, k, version)
        except MentorError:
            raise
        except Exception:  # noqa: BLE001 - chromadb's errors for a store changed underneath
            if not self._reopenable():
                raise
            search, version = self.current(stale=search)
            return search, search.search(query, k, version)

    def empty(self) -> bool:
        """Whether the store holds no passages (opened, or reopened, under the lock, once for all threads)."""
        with self._open_lock:
            return not self.store.count()

    @contextmanager
    def writing(self, dry_run: bool = False) -> Iterator[None]:
        """Hold the store for one writer in this process (and, on a Chroma server, its writer
        lease); then take its new ingest id as seen, so it is not mistaken for another's."""
        with self._write_lock, self._lease(dry_run):
            yield
            self._seen_version = str(self.store.info.get("ingest_id", ""))

    def rebuilt(self) -> None:
        """Forget the collection and its search: a full rebuild replaced them."""
        self._store = self._searcher = None

    def _lease(self, dry_run: bool) -> AbstractContextManager[Any]:
        """On a Chroma server, the store's writer lease (ingests from other machines wait);
        locally the data dir's file lock is enough."""
        if dry_run or not self.settings.chroma_url:
            return nullcontext()
        return server_lease(self.client, self.settings.collection)

    def _new_search(self) -> HybridSearch:
        return HybridSearch(self.store, self._embedder(), self._sentences(), self.settings)

    def _reopenable(self) -> bool:
        return self._owns_client and not self.settings.chroma_url

    def _reopen(self) -> None:
        old, self._client, self._store = self._client, None, None
        if old is not None:
            old.close()
        self._searcher = self._new_search()
