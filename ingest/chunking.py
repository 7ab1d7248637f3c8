"""Heading-aware chunking: sections first, then size; a chunk never crosses a top-level section."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ingest.cleaning import content_hash
from ingest.loading import Document
from ingest.questions import SectionKey, annotate

DEFAULT_MAX_CHARS = 900  # all-MiniLM-L6-v2 reads 256 word pieces; ~900 characters fit with the heading
DEFAULT_OVERLAP = 120
MAX_TITLE_CHARS = 40

_ANCHOR = re.compile(r"\s*\{#([\w-]+)\}\s*$")
_NAV_LINE = re.compile(r"^\s*(?:\d+\.|[-*+])\s*\[[^\]]*\]\(#[^)]*\)\s*$")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$", re.MULTILINE)
_MARKUP = re.compile(r"[*_`]+")


@dataclass(frozen=True)
class Chunk:
    """A passage with a stable id, the text shown to readers and the text that is embedded."""

    id: str
    text: str
    embed_text: str
    metadata: dict[str, str | int]

    @property
    def content_hash(self) -> str:
        """Hash of the passage text, white space folded."""
        return str(self.metadata["content_hash"])


@dataclass
class _Section:
    path: list[str]
    slug: str
    lines: list[str]


def chunk_document(
    doc: Document,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    overlap: int = DEFAULT_OVERLAP,
    skip_sections: tuple[str, ...] = (),
    keys: tuple[SectionKey, ...] = (),
) -> list[Chunk]:
    """Split ``doc`` into chunks along its headings, then by size inside long sections.

    Sections headed by one of ``skip_sections`` (and everything below them) are left out, and
    so is a table of contents. ``keys`` give sections their questions and roles (metadata
    ``questions``, one per line, and ``role``).
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=max_chars, chunk_overlap=overlap, separators=["\n\n", "\n", ". ", " ", ""], keep_separator="end"
    )
    chunks = []
    for section in _sections(doc):
        body = _RULE.sub("", "\n".join(section.lines)).strip()
        if not body or _is_navigation(body) or set(section.path) & set(skip_sections):
            continue
        pieces = [body] if len(body) <= max_chars else splitter.split_text(body)
        questions, role = annotate(section.path or [doc.title], keys)
        for piece in pieces:
            chunk = _make_chunk(doc, section, piece.strip(), len(chunks))
            if questions:
                chunk.metadata["questions"] = "\n".join(questions)
            if role:
                chunk.metadata["role"] = role
            chunks.append(chunk)
    return chunks


def embed_text_for(title: str, section_path: str, text: str) -> str:
    """The text that is embedded: the headings first, so they count in matching.

    A long document title (a blog post's headline) is the same for every passage and drowns
    the headings that tell them apart, so only a short title is kept.
    """
    headings = section_path.split(" > ")
    if headings[0] == title:
        headings = headings[1:]
    if len(title) <= MAX_TITLE_CHARS or not headings:
        headings = [title, *headings]
    return f"{' > '.join(headings)}\n{text}"


def _make_chunk(doc: Document, section: _Section, text: str, position: int) -> Chunk:
    path = " > ".join(section.path) or doc.title
    digest = content_hash(text)
    chunk_id = hashlib.sha256(f"{doc.source}\x1f{path}\x1f{digest}".encode()).hexdigest()[:32]
    embed_text = embed_text_for(doc.title, path, text)
    metadata: dict[str, str | int] = {
        "source": doc.source,
        "title": doc.title,
        "section": section.path[-1] if section.path else doc.title,
        "section_path": path,
        "anchor": f"{doc.source}#{section.slug}" if section.slug else doc.source,
        "url": doc.url,
        "tags": ", ".join(doc.tags),
        "fetched_at": doc.fetched_at,
        "position": position,
        "content_hash": digest,
        "embed_hash": hashlib.sha256(embed_text.encode()).hexdigest(),
        **doc.extra,
    }
    return Chunk(id=chunk_id, text=text, embed_text=embed_text, metadata=metadata)


def _sections(doc: Document) -> list[_Section]:
    """Cut the markdown at its headings, keeping the heading path above each piece."""
    from markdown_it import MarkdownIt

    lines = doc.text.split("\n")
    tokens = MarkdownIt("commonmark").parse(doc.text)
    headings = [
        (tok.map[0], tok.map[1], int(tok.tag[1]), tokens[i + 1].content)
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open" and tok.map
    ]
    sections = [_Section(path=[], slug="", lines=lines[: headings[0][0] if headings else len(lines)])]
    stack: list[tuple[int, str, str]] = []
    slugs: dict[str, int] = {}
    for n, (_, end, level, raw) in enumerate(headings):
        title, anchor = _heading_title(raw)
        slug = anchor or _unique(_slugify(title), slugs)
        stack = [entry for entry in stack if entry[0] < level] + [(level, title, slug)]
        stop = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
        body = lines[end:stop]
        # A thematic break (---) closes a subsection: what follows belongs to its parent.
        cut = next((i for i, line in enumerate(body) if _RULE.match(line)), None)
        tail = body[cut + 1 :] if cut is not None and len(stack) > 1 else []
        if any(line.strip() for line in tail):
            body = body[:cut]
            parent = stack[:-1]
            sections.append(_Section([t for _, t, _ in stack], slug, body))
            sections.append(_Section([t for _, t, _ in parent], parent[-1][2], tail))
        else:
            sections.append(_Section([t for _, t, _ in stack], slug, body))
    return sections


def _heading_title(raw: str) -> tuple[str, str]:
    match = _ANCHOR.search(raw)
    title = _ANCHOR.sub("", raw) if match else raw
    return _MARKUP.sub("", title).strip().rstrip(":").strip(), match.group(1) if match else ""


def _slugify(title: str) -> str:
    """GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _unique(slug: str, seen: dict[str, int]) -> str:
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return f"{slug}-{count}" if count else slug


def _is_navigation(body: str) -> bool:
    """A table of contents: every line a link to an anchor in the same page."""
    lines = [line for line in body.split("\n") if line.strip()]
    return all(_NAV_LINE.match(line) for line in lines)
