"""Offline answers shaped like a mentor's: the best section first, its list whole, every line cited.

An answer leads with the section search ranks first, opening with a direct sentence: its most
relevant sentence or list item. Then comes its list or steps, whole when short and the section
as a whole is on the question (opened by its sentence nearest the question, if one is near),
else only the items that score close to the best one: one line of a list of unrelated
challenges answers "where can I get a free GPU?". An item that introduces a nested list keeps
it. At most one more section adds what it says best: for a message that asks two things, the
one that best answers what the lead answers least, among those scoring at least
``POINTER_RATIO`` of the lead (a far passage sharing a word with "when do I pick which one?"
answers neither question); else a subsection of the lead scoring that much (Career Paths goes
on with its Skills Required, a list of challenges with its Solutions), its list whole when the
lead's is; else one scoring close to the lead, or whose own text is closer to the question than
the lead's. A passage of another source closes with where to start.
Sections whose role is ``overview`` (they describe the document rather than advise) lead only
when no advising section scores close to them, and are not quoted otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from assistant import conversation
from assistant.answers import MAX_TITLE_CHARS
from assistant.search import Passage
from ingest.sentences import SentenceVectors

if TYPE_CHECKING:
    import numpy as np

MAX_PASSAGES = 3  # the policy weighs this many passages (see ``weighed``)
MAX_LIST = 8  # a list up to this long is quoted whole
MAX_UNITS = 4  # otherwise, at most this many of a passage's sentences and items
MAX_PROSE = 2  # sentences of the lead section after its best one, in reading order (fitted on dev)
KEEP_RATIO = 0.4  # a unit scoring below this share of its passage's best is left out (fitted on dev)
TOPIC_RATIO = 0.5  # the lead's list is whole only if the section is this close to the question, next to its best line
SECOND_RATIO = 0.8  # a second section must score at least this share of the lead's
POINTER_RATIO = 0.7  # ...and the "where to start" passage this share
OVERVIEW = "overview"


@dataclass(frozen=True)
class Draft:
    """An extractive answer: text with ``[n]`` markers, the passages it cites, its best match."""

    text: str
    cited: list[int]
    best_unit: float
    unkeyed_unit: float = 0.0  # ...of the best sentence of those passages without question keys


@dataclass(frozen=True)
class _Unit:
    text: str
    is_item: bool
    score: float
    order: int
    depth: int
    vector: np.ndarray = field(compare=False, repr=False)


def compose(question: str, passages: list[Passage], sentences: SentenceVectors) -> Draft:
    """Compose a cited answer to ``question`` from ``passages`` (best first).

    ``[n]`` numbers the cited passages 1, 2, … in the order they appear; ``cited`` holds their
    indexes in ``passages``. ``best_unit`` is the similarity of the best sentence of the
    passages the policy weighs (:func:`weighed`), a sharper sign of whether they answer the
    question than a whole passage's score; ``unkeyed_unit`` the same over those of them without
    question keys (a user's own file). Sentence vectors come from ``sentences`` (embedded
    at ingest); only the question is embedded here (and each question in it, when it asks more
    than one).
    """
    if not passages:
        return Draft("", [], 0.0)
    vector = sentences.embedder.embed([question])[0]
    units = [
        [
            _Unit(u.text, u.is_item, float(score), order, u.depth, row)
            for order, (u, score, row) in enumerate(zip(found, vectors @ vector, vectors, strict=True))
        ]
        for found, vectors in sentences.units([p.text for p in passages])
    ]
    weighed = _weighed(passages)
    best_unit = max((u.score for i in weighed for u in units[i]), default=0.0)
    unkeyed = max((u.score for i in weighed if not passages[i].questions for u in units[i]), default=0.0)
    order = [i for i in range(len(passages)) if units[i]]  # search's order: its fused ranking
    if not order:
        return Draft("", [], best_unit, unkeyed)
    lead = _lead(passages, order)
    lead_best = max(u.score for u in units[lead])
    on_topic = passages[lead].text_score >= TOPIC_RATIO * lead_best
    opening, listed = _lead_units(units[lead], whole_list=on_topic)
    lines = [_lead_block(passages[lead], opening, listed)]
    cited = [lead]
    rest = [
        i for i in order if i != lead and _role(passages[i]) != OVERVIEW and _path(passages[i]) != _path(passages[lead])
    ]
    near = [i for i in rest if passages[i].score >= POINTER_RATIO * passages[lead].score]
    second, second_units = _unanswered(question, [*opening, *listed], near, units, sentences)
    below: list[int] = []
    if second is None:
        # The lead's own subsection continues it; else a section that adds to it.
        below = [i for i in near if _path(passages[i]).startswith(_path(passages[lead]) + " > ")]
        second = below[0] if below else next((i for i in rest if _adds_to(passages[i], passages[lead])), None)
        second_units = units[second] if second is not None else []
    if second is not None:
        cited.append(second)
        chosen = _best_units(second_units)
        if on_topic and second in below and sum(u.is_item for u in second_units) <= MAX_LIST:
            chosen = [u for u in second_units if u.is_item or u in chosen]  # its list whole, as the lead's
        lines.append(_block(passages[second], chosen, 2))
    used = {passages[i].source for i in cited}
    pointer = next(
        (
            i
            for i in rest
            if i != second
            and passages[i].source not in used
            and passages[i].score >= POINTER_RATIO * passages[lead].score
        ),
        None,
    )
    if pointer is not None:
        cited.append(pointer)
        best = max(units[pointer], key=lambda u: u.score)
        lines.append(f"**Where to start:** {passages[pointer].title} — {best.text} [{len(cited)}]")
    return Draft("\n\n".join(lines), cited, best_unit, unkeyed)


def _unanswered(
    question: str, said: list[_Unit], rest: list[int], units: list[list[_Unit]], sentences: SentenceVectors
) -> tuple[int | None, list[_Unit]]:
    """For a message that asks more than one thing ("is it worth it, and can I take it for
    free?"), the passage of ``rest`` whose best line answers best the question the lead's lines
    (``said``) answer least, with its units scored on that question; ``(None, [])`` when the
    message asks one thing or no passage answers that question better than the lead."""
    import numpy as np

    parts = conversation.asks(question)
    if len(parts) < 2 or not rest:
        return None, []
    vectors = sentences.embedder.embed(parts)
    covered = (np.stack([u.vector for u in said]) @ vectors.T).max(axis=0)  # per question: its best said line
    weakest = vectors[int(np.argmin(covered))]
    best = max(rest, key=lambda i: max(float(u.vector @ weakest) for u in units[i]))
    rescored = [replace(u, score=float(u.vector @ weakest)) for u in units[best]]
    if max(u.score for u in rescored) <= float(covered.min()):
        return None, []
    return best, rescored


def weighed(passages: list[Passage]) -> list[Passage]:
    """The passages whether to answer is decided on: the best :data:`MAX_PASSAGES` by search's
    own scores, a source's boost left out. A boost orders what an answer quotes; it is no sign
    that the knowledge base answers the question."""
    return [passages[i] for i in _weighed(passages)]


def _weighed(passages: list[Passage]) -> list[int]:
    """The indexes of :func:`weighed`'s passages in ``passages``."""
    return sorted(range(len(passages)), key=lambda i: -passages[i].relevance)[:MAX_PASSAGES]


def _lead(passages: list[Passage], order: list[int]) -> int:
    """The best passage, unless it only describes the document and a passage that advises
    scores close to it (close enough to be worth a block of its own): the first of those in
    search's ranking leads."""
    top = order[0]
    best = next((i for i in order if _role(passages[i]) != OVERVIEW), top)
    return best if passages[best].score >= SECOND_RATIO * passages[top].score else top


def _adds_to(passage: Passage, lead: Passage) -> bool:
    """Whether ``passage`` is worth a block after ``lead``: it scores close to it, or its own
    text is closer to the question than the lead's (the lead won on its question keys)."""
    return passage.score >= SECOND_RATIO * lead.score or passage.text_score > lead.text_score


def _lead_units(units: list[_Unit], *, whole_list: bool) -> tuple[list[_Unit], list[_Unit]]:
    """What the lead says first and the list it gives after.

    Its list whole when short and ``whole_list``, opened by its sentence nearest the question
    (when one is near); else its best sentence or item first (after a sentence, up to two more of
    its sentences), then the items most on the question.
    """
    best = max(units, key=lambda u: u.score)
    items = [u for u in units if u.is_item]
    near_prose = [u for u in units if not u.is_item and u.score >= KEEP_RATIO * best.score]
    if whole_list and len(items) <= MAX_LIST and best.is_item:
        return sorted(near_prose, key=lambda u: -u.score)[:1], items
    # Beside an item that answers alone, only items scoring close to it: the rest of a list of
    # unrelated challenges is filler to "where can I get a free GPU?".
    bar = (SECOND_RATIO if best.is_item else KEEP_RATIO) * best.score
    near = [u for u in items if u is not best and u.score >= bar]
    listed = items if whole_list and len(items) <= MAX_LIST else sorted(near, key=lambda u: -u.score)[: MAX_UNITS - 1]
    opening = [best] if best.is_item else [best, *[u for u in near_prose if u is not best][:MAX_PROSE]]
    return opening, [u for u in _with_sublists(units, [*opening, *listed]) if u.is_item and u not in opening]


def _best_units(units: list[_Unit]) -> list[_Unit]:
    """A passage's best units (at least one), in reading order."""
    top = max(units, key=lambda u: u.score)
    chosen = sorted(units, key=lambda u: -u.score)[:MAX_UNITS]
    return _with_sublists(units, [u for u in chosen if u.score >= KEEP_RATIO * top.score])


def _with_sublists(units: list[_Unit], chosen: list[_Unit]) -> list[_Unit]:
    """``chosen`` in reading order, each item that introduces a nested list ("projects such
    as:") with that list: quoted alone, it would end on a colon."""
    kept = {u.order for u in chosen}
    for u in chosen:
        if u.is_item and u.text.endswith(":"):
            for nested in units[u.order + 1 :]:
                if not nested.is_item or nested.depth <= u.depth:
                    break
                kept.add(nested.order)
    return [u for u in units if u.order in kept]


def _lead_block(passage: Passage, opening: list[_Unit], listed: list[_Unit]) -> str:
    """The answer's first lines: what the lead says first, as sentences (its heading when it
    opens with nothing), then its list."""
    first = " ".join(f"{u.text} [1]" for u in opening) or f"{_header(passage)} [1]"
    return "\n\n".join(part for part in (first, _list(listed, 1)) if part)


def _block(passage: Passage, units: list[_Unit], n: int) -> str:
    """Cited lines under a bold heading."""
    prose = " ".join(f"{u.text} [{n}]" for u in units if not u.is_item)
    return "\n\n".join(part for part in (_header(passage), prose, _list(units, n)) if part)


def _list(units: list[_Unit], n: int) -> str:
    """The items among ``units`` as a cited markdown list; an item nested under the one quoted
    just before it (its parent or a sibling) stays nested."""
    lines: list[str] = []
    order, depth = -2, 0  # the item quoted last: its place in the passage, the depth it got
    for u in (u for u in units if u.is_item):
        depth = min(u.depth, depth + 1) if u.order == order + 1 else 0
        order = u.order
        lines.append(f"{'  ' * depth}- {u.text} [{n}]")
    return "\n".join(lines)


def _header(passage: Passage) -> str:
    """The bold heading a group of cited lines sits under: section, and the source if short."""
    if passage.section == passage.title or len(passage.title) > MAX_TITLE_CHARS:
        return f"**{passage.section or passage.title}**"
    return f"**{passage.title} · {passage.section}**"


def _role(passage: Passage) -> str:
    return str(passage.metadata.get("role", ""))


def _path(passage: Passage) -> str:
    return str(passage.metadata.get("section_path", ""))
