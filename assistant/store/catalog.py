"""What the knowledge base holds: which sources an ingest syncs, what it recorded, the listing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.retrieval import out_of_scope
from assistant.settings import Settings
from ingest import IngestReport, SourceError, SourceSpec, Store, read_manifest
from ingest.journal import writer_lock
from ingest.loading import SUFFIXES, Document, load_url, parse_bytes
from ingest.registry import Prune, Registry, absolute, added_specs, now, synced_specs, unlisted
from ingest.sources import is_url


def plan(
    settings: Settings, registry: Registry, sources: list[str], *, full: bool, tags: tuple[str, ...] | list[str] = ()
) -> tuple[list[SourceSpec], Prune, list[Exception]]:
    """The sources an ingest loads, which stored sources it may delete, and problems to report.

    Named ``sources`` are added (a folder synced) and noted in ``registry`` (saved by
    :func:`record`), except files and URLs the manifest lists, which stay the manifest's; with
    none, or with ``full``, the manifest's sources and the registered ones are synced; with
    ``tags``, the manifest's sources carrying one.

    Raises:
        SourceError: the manifest or a file it names (question keys, out-of-scope topics) is
            unreadable, a named source does not exist, or no source carries the given tags.
    """
    manifest, problems = read_manifest(settings.manifest)
    if sources and not full:
        registry.add(unlisted(sources, settings.knowledge_dir, manifest))
        specs, prune = added_specs([absolute(x) for x in sources], settings.knowledge_dir, manifest)
        return specs, prune, []
    topics = out_of_scope.topics_file(settings.manifest)
    if topics:  # checked here too, so a broken file is reported by the ingest after its edit
        out_of_scope.read(topics)
    if tags:
        tagged = [spec for spec in manifest if set(spec.tags) & set(tags)]
        if not tagged:  # syncing with nothing would empty the store
            known = ", ".join(sorted({tag for spec in manifest for tag in spec.tags})) or "none"
            raise SourceError(f"{settings.manifest}: no source is tagged {', '.join(tags)}; its tags: {known}")
        return tagged, _everything, list(problems)
    registry.add(unlisted(sources, settings.knowledge_dir, manifest))
    specs, missing, prune = synced_specs(manifest, registry, settings.knowledge_dir)
    return specs, prune, [*problems, *missing]


def record(registry: Registry, report: IngestReport) -> None:
    """Note in the registry when each source was last ingested, or why it failed, and save it."""
    for change in report.sources:
        if change.status == "removed":
            registry.forget({change.source})
        elif change.status == "failed":
            registry.record(change.source, last_error=change.reason)
        else:
            registry.record(change.source, last_ingest=now(), last_error="")
    registry.save()


def listing(settings: Settings, store: Store) -> list[dict[str, Any]]:
    """Every stored or registered source: kind, chunks, last ingest, fetch date, last error."""
    registry = Registry.open(settings.data_dir)
    manifest = {spec.source for spec in read_manifest(settings.manifest)[0]}
    chunks: dict[str, int] = {}
    fetched: dict[str, str] = {}
    for meta in store.metadata_by_id().values():
        name = str(meta.get("source", ""))
        chunks[name] = chunks.get(name, 0) + 1
        fetched[name] = str(meta.get("fetched_at") or "")
    rows = []
    for name in sorted(set(chunks) | set(registry.status)):
        status = registry.status.get(name, {})
        kind = ("web" if is_url(name) else "file") + (" (manifest)" if name in manifest else " (added)")
        rows.append(
            {
                "source": name,
                "kind": kind,
                "chunks": chunks.get(name, 0),
                "fetched_at": fetched.get(name, ""),
                "last_ingest": status.get("last_ingest", ""),
                "last_error": status.get("last_error", ""),
            }
        )
    return rows


_URL = re.compile(r"https?://[^\s)\]>\"']+")
UPLOADS = "uploads"  # the knowledge folder's sub-folder documents added from the chat go to
UPLOAD_SUFFIXES = sorted(SUFFIXES - {".text", ".rst"})
UPLOAD_WAIT_S = 30.0  # an upload waits this long for another upload's or an ingest's writer lock
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@contextmanager
def saved_upload(settings: Settings, name: str, data: bytes) -> Iterator[Path]:
    """Check an uploaded document and save it to ``uploads/`` under a safe, unused name; yield its path.

    The same content under the same name is the same file (kept, unchanged); other content never
    overwrites an upload: it gets the next free name (``notes-2.md``). The name is chosen and the
    file written under the data dir's writer lock, so two uploads at once never share a name. If
    the block raises, a file saved here is deleted again.

    Raises:
        SourceError: an unsupported type, too large, or not parseable (nothing is saved).
        StoreError: an ingest holds the writer lock (nothing is saved).
    """
    safe = safe_filename(name)
    suffix = Path(safe).suffix.lower()
    if suffix not in SUFFIXES:
        raise SourceError(
            f"{safe}: unsupported file type {suffix or '(none)'}; use one of {', '.join(sorted(SUFFIXES))}"
        )
    if len(data) > settings.max_file_bytes:
        raise SourceError(
            f"{safe}: {len(data) / 1e6:.1f} MB is over the {settings.max_file_bytes / 1e6:.0f} MB limit; split the file"
        )
    parse_bytes(data, suffix, f"{UPLOADS}/{safe}", label=safe, max_chars=settings.max_text_chars)
    folder = settings.knowledge_dir / UPLOADS
    with writer_lock(settings.data_dir, wait=UPLOAD_WAIT_S):
        target, n = folder / safe, 1
        while target.is_file() and target.read_bytes() != data:
            n += 1
            target = folder / f"{Path(safe).stem}-{n}{suffix}"
        created = not target.is_file()
        if created:
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{target.name}.{uuid.uuid4().hex}.part"
            partial.write_bytes(data)
            partial.replace(target)
    try:
        yield target
    except BaseException:
        if created:
            target.unlink(missing_ok=True)
        raise


def delete_upload(settings: Settings, source: str) -> bool:
    """Delete the uploaded file ``source`` names (``uploads/<name>``); whether there was one."""
    folder = (settings.knowledge_dir / UPLOADS).resolve()
    path = (settings.knowledge_dir / source).resolve()
    if not source.startswith(f"{UPLOADS}/") or path.parent != folder or not path.is_file():
        return False
    path.unlink()
    return True


def url_loader(settings: Settings) -> Callable[[SourceSpec, dict[str, Any]], Document | None]:
    """Fetch a web source with the settings' size cap, timeout and allowed hosts."""

    def load(spec: SourceSpec, previous: dict[str, Any]) -> Document | None:
        return load_url(
            spec.location,
            spec.source,
            previous,
            max_bytes=settings.max_file_bytes,
            max_chars=settings.max_text_chars,
            digest=spec.digest,
            timeout=settings.fetch_timeout,
            allowed_hosts=settings.allowed_hosts,
            title=spec.title,
            tags=spec.tags,
        )

    return load


def safe_filename(name: str) -> str:
    """The base name of ``name`` with only ``A-Z a-z 0-9 . _ -``, never hidden or empty."""
    stem, dot, suffix = re.split(r"[\\/]", name)[-1].rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    stem = _SAFE_NAME.sub("_", stem).lstrip(".")[:100] or "upload"
    suffix = _SAFE_NAME.sub("", suffix)[:10]
    return f"{stem}.{suffix}" if suffix else stem


def links(store: Store, settings: Settings) -> list[Any]:
    """The status of every URL the store holds (source URLs and links in passages)."""
    from ingest.web import check_links

    urls = set()
    for row in store.rows():
        urls.add(str(row.metadata.get("url") or ""))
        urls.update(_URL.findall(row.text))
    return check_links(sorted(u.rstrip(".,") for u in urls if u), allowed_hosts=settings.allowed_hosts)


def named(problem: Exception) -> str:
    """The source a one-line error names: the text before its first ": "."""
    return str(problem).split(": ")[0]


def _everything(source: str) -> bool:
    return True


def stats(settings: Settings, store: Store, model: str) -> dict[str, Any]:
    """What is in ``store``: sources, chunks, model, data dir, last ingest."""
    info = store.info
    return {
        "sources": info.get("sources", 0),
        "chunks": store.count(),
        "model": model,
        "data_dir": str(settings.data_dir),
        "chroma_url": settings.chroma_url,
        "last_ingest": info.get("ingested_at", ""),
        "index_version": info.get("ingest_id", ""),
    }


def source_text(store: Store, source: str) -> str | None:
    """One stored source as markdown, its chunks in reading order under their section headings
    (``None``: no such source)."""
    rows = store.of_source(source)
    if not rows:
        return None
    rows.sort(key=lambda row: int(row.metadata.get("position", 0)))
    title = str(rows[0].metadata.get("title", "")) or source
    parts = [f"# {title}"]
    section = title
    for row in rows:
        path = str(row.metadata.get("section_path", "")).removeprefix(f"{title} > ")
        if path != section:  # a heading wherever the section changes
            section = path
            parts.append(f"## {path}")
        parts.append(row.text)
    return "\n\n".join(parts) + "\n"
