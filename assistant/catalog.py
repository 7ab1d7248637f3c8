"""What the knowledge base holds: which sources an ingest syncs, what it recorded, the listing."""

from __future__ import annotations

from typing import Any

from assistant.settings import Settings
from ingest import IngestReport, SourceSpec, Store, read_manifest
from ingest.registry import Prune, Registry, absolute, added_specs, now, synced_specs
from ingest.sources import is_url


def plan(settings: Settings, registry: Registry, sources: list[str], *, full: bool,
         tags: tuple[str, ...] | list[str] = ()) -> tuple[list[SourceSpec], Prune, list[Exception]]:
    """The sources an ingest loads, which stored sources it may delete, and problems to report.

    Named ``sources`` are added (a folder synced); with none, or with ``full``, the manifest's
    sources and the registered ones are synced; with ``tags``, the manifest's sources carrying one.

    Raises:
        SourceError: the manifest is unreadable, or a named source does not exist.
    """
    if sources and not full:
        specs, prune = added_specs([absolute(x) for x in sources], settings.knowledge_dir)
        return specs, prune, []
    manifest, problems = read_manifest(settings.manifest)
    if tags:
        return [spec for spec in manifest if set(spec.tags) & set(tags)], _everything, list(problems)
    registry.add([absolute(x) for x in sources])
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
        rows.append({"source": name, "kind": kind, "chunks": chunks.get(name, 0),
                     "fetched_at": fetched.get(name, ""), "last_ingest": status.get("last_ingest", ""),
                     "last_error": status.get("last_error", "")})
    return rows


def named(problem: Exception) -> str:
    """The source a one-line error names: the text before its first ": "."""
    return str(problem).split(": ")[0]


def _everything(source: str) -> bool:
    return True
