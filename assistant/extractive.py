"""Offline answers: the most relevant sentences and list items of the passages, each cited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.retrieval import Passage
from ingest.sentences import SentenceVectors

MAX_PASSAGES = 3
MAX_UNITS = 6
MIN_UNITS = 3
MAX_LIST = 8
MAX_TITLE_CHARS = 40
KEEP_RATIO = 0.8  # units scoring below this share of the best one are left out
FLOOR_RATIO = 0.65  # ...unless fewer than MIN_UNITS pass; never below this share

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


def compose(question: str, passages: list[Passage], sentences: SentenceVectors) -> Draft:
    """Compose an answer from the sentences and list items that best match ``question``.

    ``[n]`` numbers the cited passages 1, 2, … in the order they first appear; ``cited`` holds
    their indexes in ``passages``. ``best_unit`` is the similarity of the best sentence, a
    sharper sign of whether the passages answer the question than a whole passage's score.
    The sentences' vectors come from ``sentences`` (embedded at ingest); only the question is
    embedded here.
    """
    import numpy as np

    passages = passages[:MAX_PASSAGES]
    split = sentences.units([p.text for p in passages])
    units = [_Unit(i, u.text, u.is_item, order)
             for i, (found, _) in enumerate(split) for order, u in enumerate(found)]
    if not units:
        return Draft("", [], 0.0)
    question_vector = sentences.embedder.embed([question])[0]
    scores = np.concatenate([vectors for _, vectors in split]) @ question_vector
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
    previous = ""
    for passage in dict.fromkeys(units[i].passage for i in picked):
        cited.append(passage)
        n = len(cited)
        group = [units[i] for i in picked if units[i].passage == passage]
        header = _header(passages[passage])
        items = [f"- {u.text} [{n}]" for u in group if u.is_item]
        prose = " ".join(f"{u.text} [{n}]" for u in group if not u.is_item)
        heading = [] if header == previous else [header]  # two chunks of a section: one heading
        previous = header
        blocks.append("\n\n".join(heading + ([prose] if prose else []) + (["\n".join(items)] if items else [])))
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
