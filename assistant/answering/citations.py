"""Checking a generated answer against the passages it cites: markers, quotes and links."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.retrieval.search import Passage

MIN_QUOTE_WORDS = 4  # shorter quoted spans are names or terms, not claims about a source

# "[2]" or "[1, 3]"; not "[2](url)", which is a markdown link whose text is a number.
MARKER = re.compile(r"(?P<pad>[ \t]*)\[(?P<nums>\d+(?:\s*,\s*\d+)*)\](?!\()")
# A quoted span and the marker it leans on: nothing between them may end a sentence, though
# a comma or full stop may sit right before the marker ('"…" [1]', '"…", [1]', '"…". [1]').
_QUOTE = re.compile(
    r"(?:\"(?P<straight>[^\"\n]+)\"|“(?P<curly>[^”\n]+)”)"
    r"(?:[.,;:](?=[ \t]*\[))?[^.!?\n\[\"“]{0,80}?(?P<marker>\[[\d,\s]+\](?!\())"
)
# A markdown link or image; the URL may hold one level of balanced parentheses.
_LINK = re.compile(
    r"(?P<image>!?)\[(?P<label>[^\]\n]*)\]"
    r"\((?P<url>(?:[^()\s]|\([^()\s]*\))+)(?:\s+\"[^\"]*\")?\)"
)
_SAFE_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class CheckedText:
    """An answer after checking.

    ``cited`` holds the original (1-based) numbers of the passages still cited, in the order
    they first appear; the text numbers them 1, 2, … in that order. ``notes`` says what was
    removed and why; ``stopped``, why generation was cut short, if it was.
    """

    text: str
    cited: list[int]
    notes: list[str]
    stopped: str = ""


def check_citations(text: str, passages: list[Passage]) -> CheckedText:
    """Keep only the citations, quotes and links that ``passages`` support, and renumber.

    A marker naming no passage is removed; a quote (``"…"`` of at least four words) whose
    attached passage does not contain it word for word loses that citation; a markdown link or
    image whose http(s) URL is in no cited passage is reduced to its text.

    Example:
        >>> p = Passage("a", "Colab gives you a free GPU.", 1.0)
        >>> checked = check_citations("Try Colab [3]. It is free [1].", [p])
        >>> checked.text, checked.cited, checked.notes
        ('Try Colab. It is free [1].', [1], ['removed [3]: no such passage'])
    """
    quotes = {m.start("marker"): m.group("straight") or m.group("curly") for m in _QUOTE.finditer(text)}
    order: list[int] = []
    notes: list[str] = []

    def renumber(match: re.Match[str]) -> str:
        quote = quotes.get(match.start("nums") - 1, "")
        if len(_words(quote)) < MIN_QUOTE_WORDS:
            quote = ""
        kept: list[int] = []
        for n in (int(x) for x in match.group("nums").split(",")):
            if not 1 <= n <= len(passages):
                notes.append(f"removed [{n}]: no such passage")
            elif quote and not _contains(passages[n - 1].text, quote):
                notes.append(f"quote not found in [{n}]")
            elif n not in kept:
                kept.append(n)
                if n not in order:
                    order.append(n)
        if not kept:
            return ""
        return f"{match.group('pad')}[{', '.join(str(order.index(n) + 1) for n in kept)}]"

    text = MARKER.sub(renumber, text)
    allowed = [passages[n - 1] for n in order]

    def unlink(match: re.Match[str]) -> str:
        url = match.group("url")
        if _SAFE_SCHEME.match(url) and any(_mentions(p, url) for p in allowed):
            return match.group(0)
        kind = "image" if match.group("image") else "link"
        notes.append(f"removed {kind} {url[:80]}: not in a cited passage")
        return match.group("label")

    text = _LINK.sub(unlink, text)
    return CheckedText(text=text, cited=order, notes=list(dict.fromkeys(notes)))


def _mentions(passage: Passage, url: str) -> bool:
    """Whether ``url`` is the passage's own URL or appears in its text."""
    return url == str(passage.metadata.get("url", "")) or url in passage.text


def _words(text: str) -> list[str]:
    """Lower-cased words with curly apostrophes folded: punctuation and markup don't count."""
    return _WORD.findall(text.lower().replace("’", "'").replace("‘", "'"))


def _contains(passage: str, quote: str) -> bool:
    """Whether ``quote`` occurs in ``passage`` word for word."""
    return f" {' '.join(_words(quote))} " in f" {' '.join(_words(passage))} "
