"""The ``Mentor`` facade: ingest, search and ask over one knowledge base."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import cached_property
from typing import Any

from assistant.answering import conversation, weighing
from assistant.answering.answers import Answer, extractive_answer, uncovered
from assistant.answering.llm import checked_answer
from assistant.retrieval.out_of_scope import DeclaredTopics
from assistant.retrieval.search import HybridSearch, Passage
from assistant.settings import ANSWER_MODES, MAX_K, Settings
from assistant.store import catalog
from assistant.store.lifecycle import OpenStore
from ingest import Embedder, IngestReport, MentorError, SourceError, Store, ingest, read_manifest
from ingest.question_writer import QuestionWriter
from ingest.registry import Registry, removal
from ingest.sentences import SentenceVectors
from ingest.sync import Progress, SourceChange, rebuild


class Mentor:
    """Ask questions of the knowledge base and get cited answers.

    Heavy parts (the embedding model, the store) are built on first use and shared by threads;
    the store is opened, and reopened when another process changed it, by :class:`OpenStore`.

    Example:
        >>> mentor = Mentor()                      # settings from the environment
        >>> mentor.ingest().summary()              # doctest: +SKIP
        >>> mentor.ask("How can I get a free GPU?").citations[0].title  # doctest: +SKIP
        'Google Colab'
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        client: Any = None,
        chat_model: Any = None,
    ) -> None:
        self.settings = settings or Settings.load()
        self._embedder = embedder
        self.chat_model = chat_model
        self._model_lock = threading.Lock()  # sessions asking first at once load one chat model
        self._open = OpenStore(self.settings, lambda: self.embedder, lambda: self.sentences, client)

    @cached_property
    def embedder(self) -> Embedder:
        """The embedding model (loaded on first use)."""
        return self._embedder or Embedder(
            self.settings.model,
            batch_size=self.settings.embed_batch_size,
            backend=self.settings.embed_backend,
            cache_dir=self.settings.model_cache_dir,
            passage_precision=self.settings.passage_precision,
        )

    @cached_property
    def declared_topics(self) -> DeclaredTopics:
        """The topics the manifest declares the knowledge base does not cover."""
        return DeclaredTopics(self.settings.manifest, SentenceVectors(self.settings.topics_cache, self.embedder))

    @cached_property
    def sentences(self) -> SentenceVectors:
        """The vectors of every passage's sentences, kept in the data dir (see ingest.sentences)."""
        return SentenceVectors(self.settings.sentence_cache, self.embedder)

    @property
    def client(self) -> Any:
        """The Chroma client: on disk in the data dir, or the server at ``chroma_url``."""
        return self._open.client

    @property
    def store(self) -> Store:
        """The collection of chunks for the configured model."""
        return self._open.store

    def find(self, query: str, k: int) -> tuple[HybridSearch, list[Passage]]:
        """Search, reopening the store once if it failed because another process changed it.

        Returns the search that answered too, for its word statistics.
        """
        return self._open.find(query, k)

    def ingest(
        self,
        sources: Sequence[str] | None = None,
        *,
        full: bool = False,
        dry_run: bool = False,
        progress: Progress | None = None,
        tags: Sequence[str] = (),
    ) -> IngestReport:
        """Sync the store with the manifest, or add/update only ``sources`` (files, folders, URLs).

        With ``tags``, the store is synced with the manifest's sources carrying one of them.
        With the ``generate_questions`` setting, the chat model (``llm``) writes question keys
        for passages that have no curated ones (cached: unchanged passages cost nothing).

        Unchanged chunks are never re-embedded; with the manifest, sources no longer listed
        are removed. Sources that fail to load are reported and keep their stored chunks.

        Raises:
            SourceError: the manifest is unreadable, or a named source does not exist.
            StoreError: another ingest is running on the same data dir.
        """
        s = self.settings
        registry = Registry.open(s.data_dir)
        specs, prune, problems = catalog.plan(s, registry, list(sources or ()), full=full, tags=tags)
        with self._open.writing(dry_run):
            options = {
                "data_dir": s.data_dir,
                "prune": prune,
                "max_bytes": s.max_file_bytes,
                "max_chars": s.max_text_chars,
                "dry_run": dry_run,
                "full": full,
                "load_url": catalog.url_loader(s),
                "progress": progress,
                "sentences": self.sentences,
                "writer": self._question_writer(),
            }
            if full and not dry_run:
                report = rebuild(specs, self.client, self.embedder, s.collection, **options)
                self._open.rebuilt()
            else:
                report = ingest(specs, self.store, self.embedder, **options)
        report.sources.extend(SourceChange(catalog.named(p), "failed", reason=str(p)) for p in problems)
        if not dry_run and not tags:
            catalog.record(registry, report)
        return report

    def add_document(self, name: str, data: bytes) -> tuple[str, IngestReport]:
        """Save an uploaded document to the knowledge folder's ``uploads/`` and ingest it.

        Returns its source id and the ingest's report. When the manifest does not cover
        ``uploads/``, the file is added like ``mentor ingest PATH`` (and kept by later syncs).

        Raises:
            SourceError: the document is refused (type, size, unreadable); nothing was saved.
            StoreError: another ingest kept the writer lock for 30 s; nothing was saved.
        """
        with catalog.saved_upload(self.settings, name, data) as path:  # deleted again if the ingest fails
            source = f"{catalog.UPLOADS}/{path.name}"
            covered = any(spec.source == source for spec in read_manifest(self.settings.manifest)[0])
            report = self.ingest() if covered else self.ingest([str(path)])
            failed = next((c for c in report.failures if c.source in (source, str(path))), None)
            if failed:
                raise SourceError(failed.reason)
        return source, report

    def remove(self, source: str) -> IngestReport:
        """Take a source added with :meth:`ingest` (a file, folder or URL) or uploaded in the
        chat out of the knowledge base, with its chunks.

        Raises:
            SourceError: the source is listed in the manifest (remove it there), or unknown.
        """
        s = self.settings
        if catalog.delete_upload(s, source):  # an upload is a file the manifest's sync finds
            return self.ingest()
        registry = Registry.open(s.data_dir)
        manifest, _ = read_manifest(s.manifest)
        stored = {str(meta.get("source", "")) for meta in self.store.metadata_by_id().values()}
        entry, gone = removal(source, registry, manifest, stored, s.knowledge_dir)
        with self._open.writing():
            report = ingest(
                [],
                self.store,
                self.embedder,
                data_dir=s.data_dir,
                prune=gone.__contains__,
                max_bytes=s.max_file_bytes,
                sentences=self.sentences,
            )
        if entry:
            registry.remove(entry)
        registry.forget(gone)
        registry.save()
        return report

    def sources(self) -> list[dict[str, Any]]:
        """Every stored or registered source: kind, chunks, last ingest, fetch date, last error."""
        return catalog.listing(self.settings, self.store)

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        """The ``k`` most relevant passages for ``query``, best first, scores in [0, 1].

        Raises:
            MentorError: the query is empty or too long, ``k`` is out of range, or nothing has
                been ingested yet.
        """
        query, k = conversation.clean(query, self.settings.max_question_chars), self._k(k)
        self._require_content()
        return self.find(query, k)[1]

    def _require_content(self) -> None:
        """Stop before the model is loaded when nothing has been ingested (a new or mistyped data dir).

        Raises:
            MentorError: the store holds no passages.
        """
        if self._open.empty():
            raise MentorError(
                f"knowledge base: {self.settings.data_dir} holds no passages yet; run `mentor ingest` "
                "(or press Re-ingest knowledge in the chat) first"
            )

    def ask(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        *,
        k: int | None = None,
        mode: str | None = None,
        profile: Sequence[str] = (),
    ) -> Answer:
        """Answer ``question`` from the knowledge base, citing the passages used.

        ``history`` is the conversation so far (dicts with ``role`` and ``content``); it makes
        follow-ups such as "what about PyTorch?" stand alone. ``profile`` is what the learner has
        said about themselves ("I'm an accountant", see :func:`conversation.about_learner`): the
        question is also weighed with it, and that reading wins when search supports it better.
        When nothing relevant is found the answer says so, names the closest topics, and is not
        grounded.

        Raises:
            MentorError: the question is empty or too long, ``k`` or ``mode`` is invalid, or
                nothing has been ingested yet.
        """
        *_, answer = self.stream(question, history, k=k, mode=mode, profile=profile)
        assert isinstance(answer, Answer)
        return answer

    def stream(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        *,
        k: int | None = None,
        mode: str | None = None,
        profile: Sequence[str] = (),
    ) -> Iterator[str | Answer]:
        """Like :meth:`ask`, but yields text pieces as they are produced, then the Answer.

        ``mode`` overrides the ``answer_mode`` setting for this question.
        """
        mode = mode or self.settings.answer_mode
        if mode not in ANSWER_MODES:
            raise MentorError(f"mode: {mode!r} is not one of {', '.join(ANSWER_MODES)}")
        question = conversation.clean(question, self.settings.max_question_chars)
        reply = conversation.small_talk(question)
        if reply:
            yield reply
            yield Answer(reply, grounded=False, mode="smalltalk", question=question)
            return
        turns = conversation.turns(history, self.settings.max_question_chars, 2 * self.settings.history_turns)
        self._require_content()
        weighed = weighing.weigh(self, question, turns, self._k(k), profile)
        query, passages, version, found = weighed.query, weighed.passages, weighed.version, weighed.found
        if not weighed.answers(self.settings.min_confidence):
            answer = weighed.refusal(self, question)
            yield answer.text
            yield answer
            return
        not_covered = uncovered(weighed.uncovered)
        model, notes = self._chat_model(mode)
        if model is not None:
            try:
                generated, failure = yield from checked_answer(
                    model, question, query, passages, turns, version, budget=self.settings.llm_budget
                )
            except MentorError as exc:
                if mode == "llm":
                    raise
                notes = [f"answered extractively: {exc}"]
            else:
                if not failure or mode == "llm":
                    if not_covered:
                        yield not_covered
                    yield replace(generated, text=generated.text + not_covered, evidence=found.to_dict())
                    return
                notes = [f"answered extractively: {failure}"]
                yield f"\n\n---\n\n*{notes[0].capitalize()}.*\n\n"
        text = weighed.draft.text + not_covered
        yield text
        cited = [passages[i] for i in weighed.draft.cited]
        yield extractive_answer(text, cited, question, query, version, notes, found.to_dict())

    def _question_writer(self) -> QuestionWriter | None:
        """The writer of question keys, when the ``generate_questions`` setting asks for one.

        Raises:
            SettingsError: no chat model is configured, or it cannot be loaded.
        """
        if not self.settings.generate_questions:
            return None
        model, _ = self._chat_model("llm")
        return QuestionWriter(model, self.settings.data_dir / "questions.sqlite3")

    def _chat_model(self, mode: str) -> tuple[Any, list[str]]:
        """The chat model ``mode`` asks for, or None (with why) for extractive answers."""
        if mode == "extractive" or (mode == "auto" and not (self.chat_model or self.settings.llm)):
            return None, []
        with self._model_lock:
            if self.chat_model is None:
                from assistant.answering.llm import load_chat_model

                try:
                    self.chat_model = load_chat_model(self.settings.llm, timeout=self.settings.llm_timeout)
                except MentorError as exc:
                    if mode == "llm":
                        raise
                    return None, [f"answered extractively: {exc}"]
        return self.chat_model, []

    @property
    def index_version(self) -> str:
        """The id of the last finished ingest: what searches and answers are drawn from."""
        return self._open.version

    def warm_up(self) -> None:
        """Load the model and the BM25 index now, so the first question is answered fast; embed
        the passages' sentences in the background (ingest leaves them to the first answer)."""
        self.embedder.embed(["warm up"])
        self.declared_topics.current()
        self._open.current()[0].lexical()
        self.sentences.fill_in_background(row.text for row in self.store.rows())  # read there, not here

    def as_retriever(self, k: int | None = None):
        """A LangChain ``BaseRetriever`` over this knowledge base."""
        from assistant.retrieval.langchain_retriever import MentorRetriever

        return MentorRetriever(mentor=self, k=self._k(k))

    def links(self) -> list[Any]:
        """Check every URL the knowledge base holds (source URLs and links in passages)."""
        return catalog.links(self.store, self.settings)

    def stats(self) -> dict[str, Any]:
        """What is in the store: sources, chunks, model, data dir, last ingest."""
        return catalog.stats(self.settings, self.store, self.embedder.model_name)

    def _k(self, k: int | None) -> int:
        k = self.settings.top_k if k is None else k
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
            whole = "" if type(k) is int else "a whole number "
            raise MentorError(f"k: must be {whole}between 1 and {MAX_K}, got {k!r}")
        return k
