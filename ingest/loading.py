"""Loaders: turn a file or a fetched page into a :class:`Document` whose text is markdown."""

from __future__ import annotations

import codecs
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.cleaning import clean_text, drop_repeated_sentences
from ingest.errors import SourceError

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".rst"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
# A crafted PDF of a few MB keeps pypdf busy for minutes (and a malformed one may raise any type),
# so PDFs are parsed in a child process that is stopped after this many seconds.
PDF_TIMEOUT_S = 30.0
MAX_TEXT_CHARS = 2_000_000  # the setting max_text_chars's default

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_H1 = re.compile(r"^#\s+(.+?)\s*(\{#[^}]*\})?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Document:
    """One loaded source: its stable id, display title and markdown text."""

    source: str
    title: str
    text: str
    url: str = ""
    tags: tuple[str, ...] = ()
    fetched_at: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def read_file(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of a local file of a supported type, no more than ``max_bytes`` of them.

    Raises:
        SourceError: the file is missing, a folder, too large, unreadable or of another type.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SourceError(
            f"{path}: unsupported file type {suffix or '(none)'}; use one of {', '.join(sorted(SUFFIXES))}"
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(
                f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB "
                "limit; split the file or raise the setting max_file_mb"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file; check the path or knowledge/sources.toml") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a folder; name the files in it or use a glob") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror})") from None


def load_file(
    path: Path,
    source: str,
    *,
    max_bytes: int,
    max_chars: int = MAX_TEXT_CHARS,
    title: str = "",
    tags: tuple[str, ...] = (),
    url: str = "",
) -> Document:
    """Load a local file by its suffix.

    Raises:
        SourceError: the file is missing, too large, empty, binary, undecodable or corrupt, or
            holds more than ``max_chars`` of text.
    """
    data = read_file(path, max_bytes=max_bytes)
    return parse_bytes(
        data, path.suffix.lower(), source, label=str(path), max_chars=max_chars, title=title, tags=tags, url=url
    )


def parse_bytes(
    data: bytes,
    suffix: str,
    source: str,
    *,
    label: str,
    max_chars: int = MAX_TEXT_CHARS,
    title: str = "",
    tags: tuple[str, ...] = (),
    url: str = "",
    fetched_at: str = "",
) -> Document:
    """Parse raw bytes of a markdown, text, HTML or PDF source into a :class:`Document`.

    Raises:
        SourceError: the bytes cannot be parsed, hold no text, or more than ``max_chars`` of it.
    """
    if suffix in PDF_SUFFIXES:
        text, found_title = _pdf_text(data, label)
    else:
        raw = decode(data, label)
        if suffix in HTML_SUFFIXES:
            text, found_title = _html_text(raw, label)
        elif suffix in MARKDOWN_SUFFIXES:
            meta, text = _front_matter(raw, label)
            title = title or str(meta.get("title") or "")
            url = url or str(meta.get("url") or "")
            tags = tags or tuple(str(t) for t in meta.get("tags") or ())
            found_title = _first_heading(text)
        else:
            text, found_title = raw, ""
    if len(text) > max_chars:  # a small file can expand (HTML entities, PDF streams): bound the work after it
        raise SourceError(
            f"{label}: {len(text):,} characters of text is over the limit of {max_chars:,}; "
            "split it or raise the setting max_text_chars"
        )
    text = drop_repeated_sentences(text)
    if not text.strip():
        raise SourceError(f"{label}: has no text to ingest; add content or remove it from the sources")
    fallback = Path(label).stem.replace("-", " ").replace("_", " ").strip() or label
    return Document(
        source=source, title=title or found_title or fallback, text=text, url=url, tags=tags, fetched_at=fetched_at
    )


def decode(data: bytes, label: str) -> str:
    """Decode text bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM, nothing guessed."""
    if not data.strip():
        raise SourceError(f"{label}: is empty; add content or remove it from the sources")
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return clean_text(data.decode(encoding, errors="strict"))
            except UnicodeDecodeError as exc:  # e.g. UTF-16 cut short: an odd number of bytes
                raise SourceError(
                    f"{label}: starts with a {encoding.upper()} byte-order mark but is "
                    f"not valid {encoding.upper()} (byte {exc.start}); re-save it as "
                    "UTF-8"
                ) from None
    if b"\x00" in data:
        raise SourceError(
            f"{label}: looks binary (contains NUL bytes); only text, markdown, HTML and PDF files are ingested"
        )
    try:
        return clean_text(data.decode("utf-8", errors="strict"))
    except UnicodeDecodeError as exc:
        raise SourceError(f"{label}: is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from None


def _front_matter(raw: str, label: str) -> tuple[dict, str]:
    import yaml

    class _NoAliasLoader(yaml.SafeLoader):
        """YAML without aliases: a few hundred bytes of nested aliases expand to gigabytes."""

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(None, None, "aliases are not allowed", self.peek_event().start_mark)
            return super().compose_node(parent, index)

    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw
    try:
        meta = yaml.load(match.group(1), Loader=_NoAliasLoader) or {}  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        detail = getattr(exc, "problem", None) or exc.__class__.__name__
        raise SourceError(
            f"{label}: front matter is not valid YAML ({detail}); fix the block between the --- lines"
        ) from None
    if not isinstance(meta, dict):
        raise SourceError(f"{label}: front matter must be key: value pairs")
    return meta, raw[match.end() :]


def _first_heading(text: str) -> str:
    match = _H1.search(text)
    return match.group(1).strip() if match else ""


def _html_text(raw: str, label: str) -> tuple[str, str]:
    import trafilatura

    try:
        text = trafilatura.extract(
            raw,
            output_format="markdown",
            include_formatting=True,
            include_links=False,
            include_images=False,
            include_comments=False,
            favor_recall=True,
        )
        meta = trafilatura.extract_metadata(raw)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"{label}: HTML could not be parsed ({exc.__class__.__name__})") from None
    title = (meta.title if meta else "") or ""
    if not text:
        raise SourceError(f"{label}: HTML has no main text to ingest")
    return clean_text(text), title


# Run as ``python -I -c``: the PDF on stdin, {"pages", "title"} or {"error": type} on stdout.
_PDF_CHILD = """
import io, json, sys
try:
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(sys.stdin.buffer.read()), strict=False)
    pages = [page.extract_text() or "" for page in reader.pages]
    title = (reader.metadata.title if reader.metadata else None) or ""
    print(json.dumps({"pages": pages, "title": str(title)}))
except Exception as exc:  # on a malformed file pypdf raises many types; each means unreadable
    print(json.dumps({"error": type(exc).__name__}))
"""


def _pdf_text(data: bytes, label: str) -> tuple[str, str]:
    """Text and title of a PDF, parsed by pypdf in a child process bounded by ``PDF_TIMEOUT_S``."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _PDF_CHILD],
            input=data,
            capture_output=True,
            timeout=PDF_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SourceError(
            f"{label}: took longer than {PDF_TIMEOUT_S:g} s to parse; re-export it or remove it from the sources"
        ) from None
    try:
        parsed = json.loads(done.stdout)
    except json.JSONDecodeError:  # the parser died (out of memory, a signal): no JSON came back
        parsed = {"error": f"parser exited with status {done.returncode}"}
    if "error" in parsed:
        raise SourceError(
            f"{label}: is not a readable PDF ({parsed['error']}); re-export it or remove it from the sources"
        )
    text = "\n\n".join(
        f"## Page {n}\n\n{clean_text(page)}" for n, page in enumerate(parsed["pages"], 1) if page.strip()
    )
    return text, parsed["title"]


def load_url(
    location: str,
    source: str,
    previous: dict,
    *,
    max_bytes: int,
    timeout: float,
    max_chars: int = MAX_TEXT_CHARS,
    digest: Callable[[bytes], str] | None = None,
    allowed_hosts: tuple[str, ...] = (),
    title: str = "",
    tags: tuple[str, ...] = (),
) -> Document | None:
    """Fetch and parse a web source; ``None`` when the stored copy is current.

    ``previous`` is the stored metadata of one of the source's chunks: its ETag and
    Last-Modified make the request conditional, and a body whose ``digest`` equals its
    ``source_hash`` is not parsed again.
    """
    from ingest.web import fetch

    page = fetch(
        location,
        etag=previous.get("etag") or None,
        last_modified=previous.get("last_modified") or None,
        timeout=timeout,
        max_bytes=max_bytes,
        allowed_hosts=allowed_hosts,
    )
    hashed = digest(page.content) if digest and not page.not_modified else ""
    if page.not_modified or (hashed and hashed == previous.get("source_hash")):
        return None
    kind = page.content_type.split(";")[0].strip().lower()
    suffix = {"application/pdf": ".pdf", "text/plain": ".txt", "text/markdown": ".md"}.get(kind, ".html")
    doc = parse_bytes(
        page.content,
        suffix,
        source,
        label=location,
        max_chars=max_chars,
        title=title,
        tags=tags,
        url=page.url,
        fetched_at=page.fetched_at,
    )
    validators = {"etag": page.etag or "", "last_modified": page.last_modified or ""}
    return replace(doc, extra={**validators, **({"source_hash": hashed} if hashed else {})})
