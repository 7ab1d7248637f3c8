"""An answer's sources for people: a popover per citation, the cards behind one control, the
source itself in a dialog.

A card shows the title, the section, the passage with the sentences the answer quotes
highlighted, and where to read more; scores and file paths wait in its details. Passages go
through :func:`safe_markdown.sanitize_markdown` before the highlight is added around them.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import streamlit as st
from safe_markdown import escape, is_web, sanitize_markdown

from assistant import Answer, Citation, Mentor, MentorError
from assistant.store import catalog

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: mark a quote through sanitizing
_MARKER = re.compile(r"((?:\s*\[\d{1,3}\])+)")
_NUMBER = re.compile(r"\d+")
_UNIT = re.compile(r"[^\n]+?(?:[.!?](?=\s)|$)", re.MULTILINE)  # a sentence, never past a line's end
_LEAD = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|#+\s+|>\s*)*")  # list marker, heading, quote
_BRACKET = re.compile(r"(?<!\\)[\[\]]")
MIN_QUOTE_CHARS = 12  # shorter pieces ("Solutions") match too much to say they are quoted
MIN_PART_WORDS = 5  # a part of a sentence this long is quoted from it; "Google Colab" is a name
MAX_LABEL_CHARS = 32


def normalized(text: str) -> str:
    """``text`` as words only: lower case, markup and punctuation gone, for matching quotes."""
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def quoted(answer: Answer, n: int) -> list[str]:
    """The pieces of ``answer`` that cite ``[n]``, each normalized: what it says from that source."""
    pieces = []
    for line in answer.text.splitlines():
        parts = _MARKER.split(line)
        for text, markers in zip(parts[::2], parts[1::2], strict=False):
            if str(n) in _NUMBER.findall(markers):
                pieces.append(normalized(text))
    return [piece for piece in pieces if len(piece) >= MIN_QUOTE_CHARS]


def highlighted(passage: str, quotes: list[str], urls: list[str]) -> str:
    """``passage`` as safe markdown with each sentence or list item that ``quotes`` holds
    highlighted (a quote's words in the same order; none when the answer paraphrases)."""
    passage = passage.replace(_OPEN, "").replace(_CLOSE, "")
    marked, last = [], 0
    for unit in _UNIT.finditer(passage):
        start = unit.start() + len(_LEAD.match(unit.group()).group())
        words = normalized(passage[start : unit.end()])
        if len(words) >= MIN_QUOTE_CHARS and any(_quotes(q, words) for q in quotes):
            content = passage[start : unit.end()].rstrip()
            marked += [passage[last:start], _OPEN, content, _CLOSE]
            last = start + len(content)
    safe = sanitize_markdown("".join([*marked, passage[last:]]), urls)
    return "\n".join(_highlight_line(line) for line in safe.split("\n"))


def _quotes(piece: str, unit: str) -> bool:
    """Whether an answer's ``piece`` quotes the passage's ``unit`` (both normalized): holds it
    whole, or is a long enough part of it (a list item the answer shortened)."""
    return unit in piece or (len(piece.split()) >= MIN_PART_WORDS and piece in unit)


def _highlight_line(line: str) -> str:
    """Turn one line's balanced quote marks into a highlight; drop marks that a link or a line
    break separated from their partner, leaving the text as it is."""
    spans = re.split(f"({_OPEN}|{_CLOSE})", line)
    out, inside = [], False
    for i, span in enumerate(spans):
        if span == _OPEN:
            closes = i + 2 < len(spans) and spans[i + 2] == _CLOSE
            inside = closes and len(_BRACKET.findall(spans[i + 1])) % 2 == 0
            out.append(":orange-background[" if inside else "")
        elif span == _CLOSE:
            out.append("]" if inside else "")
            inside = False
        else:
            out.append(span)
    return "".join(out)


def label(citation: Citation) -> str:
    """A citation's short name for its popover: its source's title, or for a long one (the
    guide's headline) its section."""
    name = citation.title if len(citation.title) <= MAX_LABEL_CHARS else citation.section or citation.title
    name = name if len(name) <= MAX_LABEL_CHARS else name[: MAX_LABEL_CHARS - 1].rstrip() + "…"
    return f"{citation.n} · {escape(name)}"


def citations_row(answer: Answer, key: str, mentor: Mentor) -> None:
    """One popover per ``[n]`` opening its source in place, then every card behind "Sources (n)"."""
    with st.container(horizontal=True, gap="small", key=f"cites-{key}"):
        for citation in answer.citations:
            with st.popover(label(citation), type="tertiary", icon=":material/format_quote:"):
                card(citation, answer, f"{key}-pop", mentor)
    with st.expander(f"Sources ({len(answer.citations)})", icon=":material/menu_book:"):
        for citation in answer.citations:
            with st.container(border=True):
                card(citation, answer, f"{key}-card", mentor, details=True)


def card(citation: Citation, answer: Answer, key: str, mentor: Mentor, details: bool = False) -> None:
    """Title and section, the passage with its quoted sentences highlighted, where to read on
    (and, with ``details``, a popover of its relevance and file)."""
    title = f":blue-badge[{citation.n}] **{escape(citation.title)}**"
    st.markdown(title)
    if citation.section and citation.section != citation.title:
        st.caption(escape(citation.section_path.removeprefix(f"{citation.title} > ") or citation.section))
    st.markdown(highlighted(citation.text, quoted(answer, citation.n), [citation.url]))
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        if st.button("Read it in Mentor", icon=":material/article:", type="tertiary", key=f"read-{key}-{citation.n}"):
            _reader(citation, quoted(answer, citation.n), mentor)
        if is_web(citation.url):
            url = quote(citation.url, safe=":/?#@!$&'*+,;=%")
            st.markdown(f"[{escape(urlsplit(citation.url).netloc or citation.url)} ↗]({url})")
        if details:
            _details(citation)


def _details(citation: Citation) -> None:
    """Relevance, the file and section anchor, the fetch date: for whoever maintains the sources."""
    with st.popover("Details", type="tertiary", icon=":material/info:"):
        st.caption(f"relevance {citation.score:.2f}")
        st.caption(f"`{citation.anchor.replace('`', '') or citation.source.replace('`', '')}`")
        if citation.fetched_at:
            st.caption(f"fetched {citation.fetched_at[:10]}")


def _reader(citation: Citation, quotes: list[str], mentor: Mentor) -> None:
    """Open the source in a dialog: the cited section, what the answer ``quotes`` highlighted,
    then the whole source."""
    dialog = st.dialog(escape(citation.title) or "Source", width="large", icon=":material/article:")
    dialog(_read)(citation, quotes, mentor)


def _read(citation: Citation, quotes: list[str], mentor: Mentor) -> None:
    try:
        text = catalog.source_text(mentor.store, citation.source)
    except MentorError as exc:
        st.error(str(exc))
        return
    if text is None:
        st.warning("This source is no longer in the knowledge base.")
        return
    sections = text.split("\n## ")
    cited = citation.section_path.removeprefix(f"{citation.title} > ") or citation.section
    first = next((s for s in sections[1:] if s.split("\n", 1)[0].strip() == cited), None)
    if first is None:
        st.markdown(sanitize_markdown(text, [citation.url]))
        return
    st.subheader(escape(cited))
    st.markdown(highlighted(first.split("\n", 1)[-1], quotes, [citation.url]))
    with st.expander("The whole source", icon=":material/description:"):
        st.markdown(sanitize_markdown(text, [citation.url]))
