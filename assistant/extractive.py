"""Offline answers: the most relevant sentences and list items of the passages, each cited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.retrieval import Passage
from ingest import Embedder

MAX_PASSAGES = 3
MAX_UNITS = 6
MIN_UNITS = 3
MAX_LIST = 8
MAX_TITLE_CHARS = 40
KEEP_RATIO = 0.8  # units scoring below this share of the best one are left out
FLOOR_RATIO = 0.65  # ...unless fewer than MIN_UNITS pass; never below this share

_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*\"'(\[])")
_LIST_QUESTION = re.compile(r"\b(which|what are|list|options|ways|paths|types|kinds?|tools|jobs|"
                            r"roles|careers|steps|examples|skills|resources|platforms|frameworks|"
                            r"courses)\b",
                            re.IGNORECASE)


@dataclass(frozen=True)
class _Unit:
    passage: int
    text: str
    is_item: bool
    order: int


@dataclass(frozen=True)
class Draft:
    """An extractive answer: text with ``[n]`` markers, the passages it cites, its best match."""

    text: str
    cited: list[int]
    best_unit: float


def compose(question: str, passages: list[Passage], embedder: Embedder) -> Draft:
    """Compose an answer from the sentences and list items that best match ``question``.

    ``[n]`` numbers the cited passages 1, 2, … in the order they first appear; ``cited`` holds
    their indexes in ``passages``. ``best_unit`` is the similarity of the best sentence, a
    sharper sign of whether the passages answer the question than a whole passage's score.
    """
    passages = passages[:MAX_PASSAGES]
    units = [u for i, p in enumerate(passages) for u in _units(i, p.text)]
    if not units:
        return Draft("", [], 0.0)
    vectors = embedder.embed([question] + [u.text for u in units])
    scores = vectors[1:] @ vectors[0]
    best_unit = float(scores.max())
    # Earlier passages ranked higher overall: a small nudge keeps the answer on the best source.
    scores = scores + [0.03 * (MAX_PASSAGES - u.passage) for u in units]
    best = float(scores.max())
    ranked = sorted(range(len(units)), key=lambda i: -scores[i])
    chosen = [i for i in ranked if scores[i] >= best * KEEP_RATIO][:MAX_UNITS]
    if len(chosen) < MIN_UNITS:
        chosen = [i for i in ranked if scores[i] >= best * FLOOR_RATIO][:MIN_UNITS]
    chosen += _whole_lists(question, units, chosen, ranked[0])
    picked = sorted(set(chosen), key=lambda i: (units[i].passage, units[i].order))
    cited: list[int] = []
    blocks: list[str] = []
    for passage in dict.fromkeys(units[i].passage for i in picked):
        cited.append(passage)
        n = len(cited)
        group = [units[i] for i in picked if units[i].passage == passage]
        header = _header(passages[passage])
        items = [f"- {u.text} [{n}]" for u in group if u.is_item]
        prose = " ".join(f"{u.text} [{n}]" for u in group if not u.is_item)
        blocks.append("\n\n".join([header] + ([prose] if prose else []) + (["\n".join(items)] if items else [])))
    return Draft("\n\n".join(blocks), cited, best_unit)


def _whole_lists(question: str, units: list[_Unit], chosen: list[int], top: int) -> list[int]:
    """Lists stay lists: bring every item (and the lead-in) of a list the answer draws on.

    A list is drawn on when the question asks for several things (the best passage's list), or
    when its lead-in ("Here are some common paths:") was chosen.
    """
    wanted = {units[top].passage} if _LIST_QUESTION.search(question) else set()
    wanted |= {units[i].passage for i in chosen if units[i].text.endswith(":")}
    extra = []
    for passage in wanted:
        items = [i for i, u in enumerate(units) if u.passage == passage and u.is_item]
        if 2 <= len(items) <= MAX_LIST:
            extra += items + [i for i, u in enumerate(units)
                              if u.passage == passage and u.text.endswith(":") and not u.is_item]
    return extra


def _header(passage: Passage) -> str:
    """The bold heading a group of cited lines sits under: section, and the source if short."""
    if passage.section == passage.title or len(passage.title) > MAX_TITLE_CHARS:
        return f"**{passage.section or passage.title}**"
    return f"**{passage.title} · {passage.section}**"


def _units(passage: int, text: str) -> list[_Unit]:
    """Split a passage into list items and sentences, in reading order."""
    units: list[_Unit] = []
    for paragraph in re.split(r"\n\s*\n", text):
        lines = [line for line in paragraph.split("\n") if line.strip()]
        for line in lines:
            item = _ITEM.match(line)
            if item:
                units.append(_Unit(passage, item.group(1).strip(), True, len(units)))
                continue
            for sentence in _SENTENCE_END.split(line.strip()):
                if len(sentence.split()) >= 3:
                    units.append(_Unit(passage, sentence.strip(), False, len(units)))
    return units
