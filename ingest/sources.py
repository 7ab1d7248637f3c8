"""What to ingest: the manifest (``knowledge/sources.toml``) and sources named on the command line."""

from __future__ import annotations

import glob as globbing
import hashlib
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.errors import SourceError
from ingest.loading import SUFFIXES
from ingest.questions import SectionKey, read_question_files, read_roles

_ENTRY_KEYS = frozenset({"path", "glob", "url", "title", "tags", "skip_sections", "roles", "boost"})
MAX_BOOST = 1.0


@dataclass(frozen=True)
class SourceSpec:
    """One source to load: a local file or a URL, with the id its chunks are stored under."""

    source: str
    location: str
    title: str = ""
    tags: tuple[str, ...] = ()
    skip_sections: tuple[str, ...] = ()
    keys: tuple[SectionKey, ...] = ()  # curated questions and roles of its sections
    boost: float = 0.0  # added to its passages' search scores: a primary source wins near-ties

    @property
    def is_url(self) -> bool:
        """Whether the source is fetched over HTTP."""
        return is_url(self.location)

    def digest(self, data: bytes) -> str:
        """A hash of ``data`` loaded as this source: what its chunks were made from."""
        return hashlib.sha256(repr(self).encode() + b"\x1f" + data).hexdigest()


def read_manifest(manifest: Path) -> tuple[list[SourceSpec], list[SourceError]]:
    """Expand the manifest's entries into sources; entries that name nothing become errors.

    Raises:
        SourceError: the manifest itself is missing or malformed.
    """
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError(f"{manifest}: manifest not found; set MENTOR_MANIFEST or create it") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{manifest}: not valid TOML ({exc})") from None
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise SourceError(f"{manifest}: `source` must be an array of tables ([[source]])")
    root = manifest.parent.resolve()
    questions = read_question_files(data.get("questions", []), root, manifest)
    specs: list[SourceSpec] = []
    errors: list[SourceError] = []
    for n, entry in enumerate(entries, 1):
        where = f"{manifest} entry {n}"
        unknown = set(entry) - _ENTRY_KEYS
        kinds = [key for key in ("path", "glob", "url") if key in entry]
        if unknown or len(kinds) != 1:
            extra = f"; unknown key {', '.join(sorted(unknown))}" if unknown else ""
            optional = "title, tags, skip_sections, roles, boost"
            raise SourceError(f"{where}: give exactly one of path, glob or url (optional {optional}){extra}")
        title = str(entry.get("title", ""))
        tags = tuple(str(tag) for tag in entry.get("tags", ()))
        skip = tuple(str(heading) for heading in entry.get("skip_sections", ()))
        roles = read_roles(entry.get("roles", {}), where)
        boost = _boost(entry.get("boost", 0.0), where)
        if "url" in entry:
            keys = roles + questions.get(entry["url"], ())
            specs.append(SourceSpec(entry["url"], entry["url"], title, tags, skip, keys, boost))
            continue
        pattern = str(root / entry[kinds[0]])
        paths = sorted(Path(p) for p in globbing.glob(pattern, recursive=True)) if "glob" in entry else [Path(pattern)]
        for path in paths:
            try:
                spec = _file_spec(path, root, title, tags, skip)
                specs.append(replace(spec, keys=roles + questions.get(spec.source, ()), boost=boost))
            except SourceError as exc:
                errors.append(exc)
    return specs, errors


def specs_for(locations: list[str], root: Path) -> list[SourceSpec]:
    """Sources named on the command line: files, folders (their supported files) or URLs.

    Raises:
        SourceError: a location does not exist or is not a supported file.
    """
    specs = []
    for location in locations:
        if is_url(location):
            specs.append(SourceSpec(location, location))
            continue
        path = Path(location)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            specs.extend(_file_spec(p, root) for p in files)
        elif path.exists():
            specs.append(_file_spec(path, root))
        else:
            raise SourceError(f"{location}: no such file or folder; check the path")
    return specs


def is_url(location: str) -> bool:
    """Whether ``location`` is an http(s) URL (the scheme in any case: ``HTTP://`` too)."""
    return location[:8].lower().startswith(("http://", "https://"))


def source_id(path: Path, root: Path) -> str:
    """A file's stable id: its path relative to the knowledge folder, else its absolute path."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _boost(value: object, where: str) -> float:
    """A manifest entry's ``boost``: a number from 0 to :data:`MAX_BOOST`.

    Raises:
        SourceError: it is anything else (the entry and an example named).
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_BOOST:
        raise SourceError(f"{where}: `boost` must be a number from 0 to {MAX_BOOST:g}, e.g. boost = 0.04")
    return float(value)


def _file_spec(
    path: Path, root: Path, title: str = "", tags: tuple[str, ...] = (), skip: tuple[str, ...] = ()
) -> SourceSpec:
    if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
        raise SourceError(
            f"{path}: is a link to {path.resolve()}, outside {root}; copy the file into the knowledge folder instead"
        )
    if not path.exists():
        raise SourceError(f"{path}: no such file; fix the entry in the manifest")
    return SourceSpec(source_id(path, root), str(path), title, tags, skip)
