"""The sources added by hand (``mentor ingest PATH|URL``) and what the last ingest said of each.

The manifest (``knowledge/sources.toml``) is curated content, shared with the knowledge base;
sources a user adds from the command line are this store's own, so they are kept beside it in
the data dir (``sources.json``), and every sync ingests the manifest's sources and these. A
source leaves only through ``mentor remove``. The file is replaced whole on every change (a
uniquely named temporary file, then a rename), so a crash never leaves half of it.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import SourceError, StoreError
from ingest.sources import SourceSpec, is_url, source_id, specs_for

FILE = "sources.json"


@dataclass
class Registry:
    """Sources added by hand (their locations as given, made absolute) and per-source status."""

    path: Path
    added: list[str] = field(default_factory=list)
    status: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, data_dir: Path) -> Registry:
        """The registry of ``data_dir`` (empty when there is none yet).

        Raises:
            StoreError: the file exists but is not a registry; says how to recover.
        """
        path = data_dir / FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, [str(x) for x in data.get("added", [])], dict(data.get("status", {})))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            raise StoreError(
                f"{path}: is not a readable list of sources ({exc.__class__.__name__}); "
                "move it aside and add your sources again with `mentor ingest PATH`"
            ) from None

    def add(self, locations: list[str]) -> None:
        """Remember ``locations`` (files, folders, URLs), each once."""
        self.added = list(dict.fromkeys([*self.added, *locations]))

    def remove(self, location: str) -> None:
        """Forget ``location``."""
        self.added = [x for x in self.added if x != location]

    def record(self, source: str, **values: Any) -> None:
        """Merge ``values`` (``last_ingest``, ``last_error``) into ``source``'s status."""
        self.status[source] = {**self.status.get(source, {}), **values}

    def forget(self, sources: set[str]) -> None:
        """Drop the status of ``sources`` (no longer stored)."""
        self.status = {k: v for k, v in self.status.items() if k not in sources}

    def save(self) -> None:
        """Write the registry whole (atomically)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}-{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_text(json.dumps({"added": self.added, "status": self.status}, indent=2), encoding="utf-8")
        os.replace(tmp, self.path)


def now() -> str:
    """The time in the registry's format (UTC, ISO 8601)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


Prune = Callable[[str], bool]


def absolute(location: str) -> str:
    """A location as the registry keeps it: a URL as given, a path made absolute."""
    return location if is_url(location) else str(Path(location).expanduser().resolve())


def added_specs(locations: list[str], root: Path, manifest: list[SourceSpec]) -> tuple[list[SourceSpec], Prune]:
    """The sources ``locations`` name now, and which stored sources the ingest may delete: those
    under a named folder that are no longer in it (a folder is synced, not only added to).

    A file the manifest lists is the manifest's source (its title, tags, question keys), under
    whatever path names it: its id is its resolved path's.

    Raises:
        SourceError: a location does not exist.
    """
    listed = {spec.source: spec for spec in manifest}
    specs = [listed.get(spec.source, spec) for spec in specs_for(locations, root)]
    folders = tuple(_prefix(Path(x), root) for x in locations if not is_url(x) and Path(x).is_dir())
    return specs, lambda source: source.startswith(folders) if folders else False


def unlisted(locations: list[str], root: Path, manifest: list[SourceSpec]) -> list[str]:
    """``locations`` as the registry keeps them (made absolute), less the files and URLs the
    manifest lists: every sync ingests those already, from the manifest."""
    listed = {spec.source for spec in manifest}
    return [absolute(x) for x in locations if (x if is_url(x) else source_id(Path(x), root)) not in listed]


def synced_specs(
    manifest: list[SourceSpec], registry: Registry, root: Path
) -> tuple[list[SourceSpec], list[SourceError], Prune]:
    """The manifest's sources and the registered ones, problems (a registered file that is gone:
    its chunks stay), and which stored sources a sync deletes: any not listed by either.

    A registered file the manifest lists too is synced once, as the manifest's."""
    specs, problems, kept = list(manifest), [], []
    listed = {spec.source for spec in manifest}
    for location in registry.added:
        try:
            specs += [spec for spec in specs_for([location], root) if spec.source not in listed]
        except SourceError as exc:
            problems.append(SourceError(f"{exc}; or `mentor remove {location}`"))
            kept.append(location if is_url(location) else source_id(Path(location), root))
    return specs, problems, lambda source: not any(source == k or source.startswith(k + "/") for k in kept)


def removal(
    target: str, registry: Registry, manifest: list[SourceSpec], stored: set[str], root: Path
) -> tuple[str | None, set[str]]:
    """What ``mentor remove TARGET`` takes out: the registry entry (if any) and the stored sources.

    Raises:
        SourceError: TARGET is listed in the manifest, or names nothing stored or registered.
    """
    key = target if is_url(target) else source_id(Path(target).expanduser(), root)
    entry = next((x for x in registry.added if x == absolute(target)), None)
    sources = {s for s in stored if s in (target, key) or s.startswith(key + "/")}
    listed = {spec.source for spec in manifest}
    if sources & listed or target in listed:
        raise SourceError(
            f"{target}: is listed in the manifest (sources.toml); remove it there, then run `mentor ingest`"
        )
    if entry is None and not sources:
        raise SourceError(f"{target}: no such source in the store; `mentor sources` lists them")
    return entry, sources


def _prefix(path: Path, root: Path) -> str:
    return source_id(path, root) + "/"
