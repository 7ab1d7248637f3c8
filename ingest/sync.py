"""Incremental ingest: plan what changed against the store, then embed and write only that."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ingest import journal
from ingest.chunking import Chunk, chunk_document
from ingest.embedding import Embedder
from ingest.errors import SourceError
from ingest.loading import MAX_TEXT_CHARS, Document, parse_bytes, read_file
from ingest.question_writer import QuestionWriter
from ingest.sentences import SentenceVectors
from ingest.sources import SourceSpec
from ingest.store import Store, drop_collection, replace_collection, staging

Status = Literal["added", "updated", "unchanged", "removed", "failed"]
Progress = Callable[[int, int, str], None]
WRITE_BATCH = 256  # chunks embedded and written together: a kill loses at most one batch of work


@dataclass
class SourceChange:
    """What an ingest did (or would do) to one source."""

    source: str
    status: Status
    chunks: int = 0
    added: int = 0
    removed: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    """The plan or the outcome of an ingest, per source and in total."""

    ingest_id: str
    dry_run: bool
    sources: list[SourceChange] = field(default_factory=list)
    embedded: int = 0
    tokens: int = 0  # word pieces the model read: passages and question keys
    embed_seconds: float = 0.0  # ...and the time it took
    reused: int = 0
    deleted: int = 0
    total_chunks: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. passages the chat model wrote no questions for

    def count(self, status: Status) -> int:
        """How many sources ended in ``status``."""
        return sum(1 for change in self.sources if change.status == status)

    @property
    def failures(self) -> list[SourceChange]:
        """Sources that could not be loaded (their stored chunks were kept)."""
        return [change for change in self.sources if change.status == "failed"]

    def summary(self) -> str:
        """One line for people: what changed, what was embedded, how long it took."""
        verb = "would embed" if self.dry_run else "embedded"
        counts = ", ".join(
            f"{self.count(s)} {s}" for s in ("added", "updated", "unchanged", "removed", "failed") if self.count(s)
        )
        return (
            f"{plural(len(self.sources) - self.count('removed'), 'source')} ({counts or 'none'}); {verb} "
            f"{plural(self.embedded, 'chunk')}, reused {self.reused}, deleted {self.deleted}; "
            f"{plural(self.total_chunks, 'chunk')} in the "
            f"store; {self.seconds:.1f}s"
            + (f" (embedding {self.tokens / self.embed_seconds:,.0f} tokens/s)" if self.embed_seconds else "")
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data for ``--json``."""
        return asdict(self)


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, in the plural unless it is one: "1 chunk", "2 chunks"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass
class _Plan:
    add: list[Chunk] = field(default_factory=list)
    retag: list[Chunk] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)


def ingest(
    specs: Sequence[SourceSpec],
    store: Store,
    embedder: Embedder,
    *,
    data_dir: Path,
    prune: Callable[[str], bool],
    max_bytes: int,
    max_chars: int = MAX_TEXT_CHARS,
    dry_run: bool = False,
    full: bool = False,
    load_url: Callable[[SourceSpec, dict[str, Any]], Document | None] | None = None,
    progress: Progress | None = None,
    sentences: SentenceVectors | None = None,
    writer: QuestionWriter | None = None,
    locked: bool = False,
) -> IngestReport:
    """Bring the store in line with ``specs``: embed new chunks, delete stale ones.

    A failed source is reported and skipped, and its stored chunks are kept.

    Args:
        specs: the sources to load.
        store: where chunks live.
        embedder: embeds new chunk text.
        data_dir: holds the writer lock and the journal.
        prune: which stored sources not in ``specs`` to delete, by source id (a sync: all).
        max_bytes: files larger than this are refused.
        max_chars: files whose text is longer than this are refused.
        dry_run: plan only; change nothing.
        full: plan as if the store were empty (the caller drops the collection first).
        load_url: loads a web source given its stored metadata (None when unchanged).
        progress: called with (done, total, label) while embedding.
        sentences: where the vectors of question keys are kept (embedded now) and of
            passages' sentences (embedded when first answered from); pruned to what the store
            holds.
        writer: writes question keys for passages that have no curated ones.
        locked: the caller already holds the writer lock (a rebuild into a staging collection).

    Raises:
        StoreError: another ingest holds the data directory.
    """
    started = time.perf_counter()
    report = IngestReport(ingest_id=time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6], dry_run=dry_run)
    with journal.writer_lock(data_dir) if not (dry_run or locked) else nullcontext():
        existing = {} if full else store.metadata_by_id()
        by_source: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for chunk_id, meta in existing.items():
            by_source[str(meta.get("source", ""))][chunk_id] = meta
        plan = _Plan()
        seen_content: set[str] = set()
        # After a killed ingest a source's chunks may be half written: only a finished store's
        # hashes say what its chunks were made from.
        hashes = not journal.unfinished(data_dir)
        for spec in specs:
            change = _plan_source(
                spec,
                by_source.pop(spec.source, {}),
                plan,
                seen_content,
                (max_bytes, max_chars, hashes),
                load_url,
                writer,
            )
            report.sources.append(change)
            report.notes += writer.failures if writer else []
        # Only sources missing from ``specs`` are left in ``by_source``; failed ones were popped.
        for source, chunks in sorted(by_source.items()):
            if prune(source):
                plan.delete.extend(chunks)
                report.sources.append(SourceChange(source, "removed", removed=len(chunks)))
        kept = {c.source for c in report.sources if c.status != "removed" and c.chunks}
        kept |= {source for source in by_source if not prune(source)}
        reusable = _reusable(plan.add, existing)
        report.embedded = len(plan.add) - len(reusable)
        report.reused = len(reusable)
        report.deleted = len(plan.delete)
        changed = bool(plan.add or plan.delete or plan.retag) or full or journal.unfinished(data_dir)
        if not dry_run and not changed:  # nothing to write: the store and its version stay as they are
            report.ingest_id = str(store.info.get("ingest_id", "")) or report.ingest_id
            report.total_chunks = len(existing)
        elif not dry_run:
            journal.record(data_dir, "start", report.ingest_id, add=len(plan.add), delete=len(plan.delete), full=full)
            read, spent = embedder.tokens, embedder.seconds
            _apply(plan, reusable, store, embedder, progress, sentences)
            report.tokens, report.embed_seconds = embedder.tokens - read, embedder.seconds - spent
            if sentences is not None:
                deleted = set(plan.delete)
                final = {i: meta for i, meta in existing.items() if i not in deleted}
                final.update((c.id, c.metadata) for c in plan.add + plan.retag)
                sentences.prune(key for meta in final.values() for key in sentences.keys_of(meta))
            report.total_chunks = store.count()
            store.set_info(
                ingest_id=report.ingest_id,
                ingested_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                sources=len(kept),
                chunks=report.total_chunks,
                embedding_dim=embedder.dimension,
            )
            journal.record(data_dir, "finish", report.ingest_id, embedded=report.embedded, deleted=report.deleted)
        else:
            report.total_chunks = len(existing) + len(plan.add) - len(plan.delete)
    report.seconds = time.perf_counter() - started
    return report


def _plan_source(
    spec: SourceSpec,
    stored: dict[str, dict[str, Any]],
    plan: _Plan,
    seen_content: set[str],
    limits: tuple[int, int, bool],
    load_url,
    writer: QuestionWriter | None,
) -> SourceChange:
    try:
        if spec.is_url:
            if load_url is None:
                raise SourceError(f"{spec.location}: web sources are not enabled here")
            previous = next(iter(stored.values()), {}) if _intact(stored, seen_content) else {}
            doc = load_url(spec, previous)
            if doc is None:  # the server said it has not changed
                seen_content.update(str(meta.get("content_hash")) for meta in stored.values())
                return SourceChange(spec.source, "unchanged", chunks=len(stored))
        else:
            path, (max_bytes, max_chars, hashes) = Path(spec.location), limits
            data = read_file(path, max_bytes=max_bytes)
            digest = spec.digest(data)
            same = all(meta.get("source_hash") == digest for meta in stored.values())
            if hashes and stored and same and _intact(stored, seen_content):
                # The same bytes loaded the same way: parsing them again would only cost time.
                seen_content.update(str(meta.get("content_hash")) for meta in stored.values())
                return SourceChange(spec.source, "unchanged", chunks=len(stored))
            doc = parse_bytes(
                data,
                path.suffix.lower(),
                spec.source,
                label=str(path),
                max_chars=max_chars,
                title=spec.title,
                tags=spec.tags,
            )
            doc = replace(doc, extra={**doc.extra, "source_hash": digest})
    except SourceError as exc:
        return SourceChange(spec.source, "failed", chunks=len(stored), reason=str(exc))
    chunks, made = [], chunk_document(doc, skip_sections=spec.skip_sections, keys=spec.keys)
    for chunk in made:
        if chunk.content_hash not in seen_content:  # an identical passage is stored once
            seen_content.add(chunk.content_hash)
            chunk.metadata["source_passages"] = len(made)
            chunks.append(chunk)
    if spec.boost:
        for chunk in chunks:
            chunk.metadata["boost"] = spec.boost
    if writer is not None:
        written = writer.questions(chunks)
        for chunk in chunks:
            if written.get(chunk.content_hash):
                chunk.metadata["questions"] = "\n".join(written[chunk.content_hash])
    new_ids = {c.id for c in chunks}
    added = [c for c in chunks if c.id not in stored]
    retag = [c for c in chunks if c.id in stored and stored[c.id] != c.metadata]
    removed = [chunk_id for chunk_id in stored if chunk_id not in new_ids]
    plan.add.extend(added)
    plan.retag.extend(retag)
    plan.delete.extend(removed)
    status: Status = "added" if not stored else ("updated" if added or removed or retag else "unchanged")
    return SourceChange(spec.source, status, chunks=len(chunks), added=len(added), removed=len(removed))


def _intact(stored: dict[str, dict[str, Any]], seen_content: set[str]) -> bool:
    """Whether a source's stored passages are still all it should hold: none is now claimed by
    a source listed before it, and none of its own was left out as a repeat of another's."""
    hashes = {str(meta.get("content_hash")) for meta in stored.values()}
    whole = all(meta.get("source_passages") == len(stored) for meta in stored.values())
    return whole and not hashes & seen_content


def rebuild(
    specs: Sequence[SourceSpec], client: Any, embedder: Embedder, collection: str, **options: Any
) -> IngestReport:
    """:func:`ingest` of ``specs`` into a staging collection under one writer lock, then put in
    ``collection``'s place: readers keep the old store until the new one is whole, and a kill
    at any point leaves the old one answering. ``options`` are :func:`ingest`'s."""
    name = staging(collection)
    with journal.writer_lock(options["data_dir"]):
        drop_collection(client, name)  # a rebuild that was killed
        report = ingest(specs, Store(client, embedder.model_name, name), embedder, locked=True, **options)
        replace_collection(client, name, collection)
    return report


def _reusable(add: list[Chunk], existing: dict[str, dict[str, Any]]) -> dict[str, str]:
    """New chunk id → stored chunk id with the same embedded text (a moved or renamed file)."""
    by_hash = {meta.get("embed_hash"): chunk_id for chunk_id, meta in existing.items()}
    return {c.id: by_hash[c.metadata["embed_hash"]] for c in add if c.metadata["embed_hash"] in by_hash}


def _apply(
    plan: _Plan,
    reusable: dict[str, str],
    store: Store,
    embedder: Embedder,
    progress: Progress | None,
    sentences: SentenceVectors | None,
) -> None:
    """Write new chunks first and delete stale ones last, so readers never see a source vanish."""
    import numpy as np

    total = len(plan.add)
    for start in range(0, total, WRITE_BATCH):
        batch = plan.add[start : start + WRITE_BATCH]
        fresh = [c for c in batch if c.id not in reusable]
        step = (lambda n, start=start: progress(start + n, total, "embedding")) if progress else None
        embedded = embedder.embed_passages([c.embed_text for c in fresh], step)
        vectors = dict(zip((c.id for c in fresh), embedded, strict=True))
        old = store.embeddings({reusable[c.id] for c in batch if c.id in reusable})
        vectors.update({c.id: old[reusable[c.id]] for c in batch if c.id in reusable})
        store.upsert(
            [c.id for c in batch],
            np.stack([vectors[c.id] for c in batch]),
            [c.text for c in batch],
            [c.metadata for c in batch],
        )
        if sentences is not None:
            sentences.whole(_questions(batch))
        if progress:
            progress(min(start + WRITE_BATCH, total), total, "embedding")
    if plan.retag:
        if sentences is not None:
            sentences.whole(_questions(plan.retag))
        store.update_metadata([c.id for c in plan.retag], [c.metadata for c in plan.retag])
    store.delete(plan.delete)


def _questions(chunks: list[Chunk]) -> list[str]:
    """The question keys of ``chunks``, each once."""
    return list(dict.fromkeys(q for c in chunks for q in str(c.metadata.get("questions", "")).split("\n") if q))
