"""Offline answers shaped by the question: its best line first, then the lines that add to it, each cited.

An answer is composed from the sentences and list items ("lines") of the passages search found,
across sections and sources. A line's score is its similarity to what is asked (the message,
or the question in it that it is closest to), plus ``WORD_WEIGHT`` times the share of the
question's telling words it or its headings use (``policy.coverage``: a generic sentence about
"your deep learning journey" shares none of "skills"), less ``PASSAGE_WEIGHT`` times how far its
passage's score falls below the best passage's: a line of a passage search ranks low must match
much better to be quoted; and less ``TITLE_WEIGHT`` times how much nearer its source's title it is
than the question is: a line about the source's subject at large ("By following this guide, you'll
be well on your way to a career in deep learning", "Kaggle is a website for data science") tells
little about what was asked, unless the question is about that subject too ("what is Kaggle?").

- The answer opens with the best line of the passage search ranks first (its ranking reads
  question keys and whole passages, a surer guide than one line's match) that says something
  on its own: the sentences that lead into a list ("As you progress, various career
  opportunities will emerge. Here are some common paths:") are never quoted, and a nested item
  that is no sentence ("Image classification") never opens an answer.
- Then the lead's own sentences close to the opening (``LEAD_RATIO``) and its list: whole when
  the question names its section ("what skills do I need?": "Skills Required") or every item
  scores close, less the items that share no word with the question; else only the items close
  to the best (one challenge of four answers "where can I get a free GPU?"). An item that
  introduces a nested list keeps it.
- Then the lines of other passages scoring at least ``KEEP_RATIO`` of the opening, best first,
  until about ``MAX_WORDS`` words; a line that repeats one already chosen is left out, and so is
  a nested item alone ("Image classification", a fragment of the list it sits under).
- For a message that asks more than one thing, the line that best answers each ask the chosen
  lines answer least is added, except for the asks the knowledge base does not answer (the
  answer names those instead).
- Sentences come first as a paragraph, then the items as one list, in the order their passages
  were first used.
Sections whose role is ``overview`` (they describe the document rather than advise) are quoted
only when no advising section scores close to them. The constants marked "fitted on dev" come
from ``python -m benchmarks.composer_grid`` (the dev and long-post dev sets, full and uncurated).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.answering import conversation
from assistant.answering.answers import MAX_TITLE_CHARS
from assistant.answering.policy import coverage, shares_a_word
from assistant.retrieval.search import Passage
from ingest.sentences import SentenceVectors, Unit

if TYPE_CHECKING:
    import numpy as np

MAX_PASSAGES = 3  # the policy weighs this many passages (see ``weighed``)
MAX_WORDS = 100  # an answer stops adding lines past this many words
MAX_LIST = 8  # a list up to this long is quoted whole when all of it is on the question
WORD_WEIGHT = 0.2  # a line's score gains this times the share of the question's telling words it uses (fitted on dev)
PASSAGE_WEIGHT = 1.0  # a line's score falls by this times its passage's distance below the best (fitted on dev)
TITLE_WEIGHT = 0.5  # ...and by this times how much nearer its source's title it is than the question (chosen on dev)
KEEP_RATIO = 0.85  # a line of another passage scoring below this share of the opening's is left out (fitted on dev)
LEAD_RATIO = 0.85  # ...and one of the lead's own sentences below this share (fitted on dev)
MAX_PROSE = 2  # the lead's sentences quoted after its opening, at most
ITEM_RATIO = 0.7  # an item of the lead's list scoring below this share of its best is left out (fitted on dev)
WHOLE_RATIO = 0.4  # ...and a list is whole when its weakest item scores this share of its best (fitted on dev)
SECOND_RATIO = 0.8  # an overview leads only when no advising passage scores this share of it
SAME = 0.8  # a line this similar to one already chosen says nothing new (chosen on dev, graded blind)
OVERVIEW = "overview"


@dataclass(frozen=True)
class Draft:
    """An extractive answer: text with ``[n]`` markers, the passages it cites, its best match."""

    text: str
    cited: list[int]
    best_unit: float
    unkeyed_unit: float = 0.0  # ...of the best sentence of those passages without question keys


@dataclass(frozen=True)
class _Line:
    text: str
    is_item: bool
    score: float
    shares: bool  # a telling word of the question is in it or its section's heading (not the title:
    # every line of a note on PyTorch is about PyTorch)
    passage: int
    order: int
    depth: int
    vector: np.ndarray = field(compare=False, repr=False)
    before_list: bool = False  # a sentence right before a list in its passage

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def introduces(self) -> bool:
        """Whether the line only leads into a list: "Here are some common paths:" (or "**Key
        Definitions:**"), or the sentence right before one ("As you progress, various career
        opportunities will emerge.")."""
        return self.text.rstrip("*_").endswith(":") or self.before_list


def compose(
    question: str,
    passages: list[Passage],
    sentences: SentenceVectors,
    rarity: Callable[[str], float] | None = None,
    unanswered: Sequence[str] = (),
) -> Draft:
    """Compose a cited answer to ``question`` from ``passages`` (best first).

    ``[n]`` numbers the cited passages 1, 2, … in the order they appear; ``cited`` holds their
    indexes in ``passages``. ``best_unit`` is the similarity of the best line of the passages
    the policy weighs (:func:`weighed`), a sharper sign of whether they answer the question than
    a whole passage's score; ``unkeyed_unit`` the same over those of them without question keys
    (a user's own file). Line vectors come from ``sentences``; only the question (and each
    question in it, when it asks more than one) is embedded here. ``rarity`` weighs the
    question's words (the corpus's inverse document frequency; every word alike without it).
    Asks of the question in ``unanswered`` (those the knowledge base does not answer) get no line.
    """
    import numpy as np

    if not passages:
        return Draft("", [], 0.0)
    asks = [ask for ask in conversation.asks(question) if ask != question and ask not in unanswered]
    # One text a call: the embedder keeps recent ones, and search has just embedded the question.
    asked = np.stack([sentences.embedder.embed([text])[0] for text in [question, *asks]])
    found = sentences.units([p.text for p in passages])
    similarity = [(vectors @ asked.T).max(axis=1) if len(units) else np.zeros(0) for units, vectors in found]
    chosen_weighed = _weighed(passages)
    best_unit = max((float(s) for i in chosen_weighed for s in similarity[i]), default=0.0)
    unkeyed = max((float(s) for i in chosen_weighed if not passages[i].questions for s in similarity[i]), default=0.0)
    usable = _usable(passages, [i for i in range(len(passages)) if len(found[i][0])])
    if not usable:
        return Draft("", [], best_unit, unkeyed)
    top = max(passages[i].score for i in usable)
    weigh = rarity or (lambda word: 1.0)
    titles = {t: sentences.embedder.embed([t])[0] for t in {passages[i].title for i in usable} if t}
    near_title = {t: float(asked[0] @ vector) for t, vector in titles.items()}  # the question's nearness to each

    def score(i: int, text: str, similar: float, vector: np.ndarray) -> float:
        words = coverage(question, [f"{passages[i].metadata.get('section_path', '')}\n{text}"], weigh)
        title = passages[i].title
        general = max(0.0, float(vector @ titles[title]) - near_title[title]) if title in titles else 0.0
        return similar + WORD_WEIGHT * words - PASSAGE_WEIGHT * (top - passages[i].score) - TITLE_WEIGHT * general

    def shares(i: int, text: str) -> bool:
        return shares_a_word(question, f"{passages[i].section}\n{text}", ignoring=passages[i].title)

    leading = {i: _before_lists(found[i][0]) for i in usable}
    lines = {
        i: [
            _Line(
                u.text,
                u.is_item,
                score(i, u.text, float(s), v),
                shares(i, u.text),
                i,
                order,
                u.depth,
                v,
                before_list=order in leading[i],
            )
            for order, (u, s, v) in enumerate(zip(found[i][0], similarity[i], found[i][1], strict=True))
        ]
        for i in usable
    }
    lead = passages[usable[0]]
    named = shares_a_word(question, lead.section, ignoring=lead.title)  # "what skills?": "Skills Required"
    chosen = _choose(lines, usable[0], asked[1:], named)
    text, cited = _write(passages, chosen)
    return Draft(text, cited, best_unit, unkeyed)


def _usable(passages: list[Passage], order: list[int]) -> list[int]:
    """The passages an answer may quote: advice only, unless an overview leads search's ranking
    and no advising passage scores close to it (then the overviews too)."""
    advice = [i for i in order if _role(passages[i]) != OVERVIEW]
    if not order:
        return []
    if advice and passages[advice[0]].score >= SECOND_RATIO * passages[order[0]].score:
        return advice
    return order


def _choose(lines: dict[int, list[_Line]], lead: int, asks: np.ndarray, named: bool) -> list[_Line]:
    """The lines to quote, best first: the opening (from the ``lead`` passage), the lead's list
    (whole when all of it is on the question or its section is ``named`` in it, else its items
    on it), then the lines that add to them up to :data:`MAX_WORDS`, the best line for each ask
    left unanswered."""
    candidates = sorted((line for group in lines.values() for line in group), key=lambda u: -u.score)
    own = [u for u in candidates if u.passage == lead]
    opening = next((u for u in own if _opens(u)), own[0])
    chosen = [opening]
    prose = [u for u in own if not u.is_item and not u.introduces and u.score >= LEAD_RATIO * opening.score]
    for line in [*prose[:MAX_PROSE], *_list_of(lines[lead], chosen, named)]:
        if not _repeats(line, chosen):
            chosen.append(line)
    words = sum(u.words for u in chosen)
    for line in candidates:
        if line.score < KEEP_RATIO * opening.score or words >= MAX_WORDS:
            break
        if line.introduces or line.depth or line in chosen or _repeats(line, chosen):
            continue  # a nested item alone ("Image classification") is a fragment of what it sits under
        chosen.append(line)
        words += line.words
    chosen += _for_each_ask(candidates, chosen, asks)
    return _with_sublists(lines, chosen)


def _before_lists(units: Sequence[Unit]) -> set[int]:
    """The positions of the sentences that lead into a list: each one right before a list, or
    before another such sentence ("As you progress, opportunities will emerge. Here are some
    common paths:")."""
    leading: set[int] = set()
    for order in range(len(units) - 2, -1, -1):
        after = units[order + 1]
        if not units[order].is_item and (after.is_item or order + 1 in leading):
            leading.add(order)
    return leading


def _opens(line: _Line) -> bool:
    """Whether ``line`` may open an answer: it says something on its own. A sentence that only
    introduces a list does not, nor does a nested item that is no sentence ("Image
    classification", a fragment of the item it sits under); an item that introduces a list
    keeps it."""
    if line.depth and not line.text.endswith((".", "!", "?")):
        return False
    return line.is_item or not line.introduces


def _list_of(lines: list[_Line], chosen: list[_Line], named: bool) -> list[_Line]:
    """The lead's top-level items after its ``opening``: when the list is short and its section
    is ``named`` in the question ("what skills?": "Skills Required") or every item scores close
    to the best, those that share a word with the question; and those scoring close to the best
    (one challenge of four answers "where can I get a free GPU?"). An item on the question by
    meaning alone must score close; one sharing its words may ride with a list that is all on
    the question ("I have little data" is not answered by a list of remedies for every problem)."""
    items = [u for u in lines if u.is_item and u.depth == 0]
    if not items:
        return []
    best = max(u.score for u in items)
    whole = len(items) <= MAX_LIST and (named or min(u.score for u in items) >= WHOLE_RATIO * best)
    return [u for u in items if u not in chosen and ((whole and u.shares) or u.score >= ITEM_RATIO * best)]


def _for_each_ask(candidates: list[_Line], chosen: list[_Line], asks: np.ndarray) -> list[_Line]:
    """For a message asking more than one thing, the best line for each ask that a candidate
    answers better than every chosen line does; only lines that say something on their own
    (:func:`_opens`): "various career opportunities will emerge" leads into a list, whatever it
    is near."""
    if len(asks) < 2:
        return []
    standing = [u for u in candidates if _opens(u)]
    if not standing:
        return []
    import numpy as np

    said = np.stack([u.vector for u in chosen]) @ asks.T  # chosen line × ask
    more: list[_Line] = []
    for a, ask in enumerate(asks):
        best = max(standing, key=lambda u: float(u.vector @ ask))
        if float(best.vector @ ask) > said[:, a].max() and best not in chosen + more:
            more.append(best)
    return more


def _repeats(line: _Line, chosen: list[_Line]) -> bool:
    return any(float(line.vector @ u.vector) >= SAME for u in chosen)


def _with_sublists(lines: dict[int, list[_Line]], chosen: list[_Line]) -> list[_Line]:
    """``chosen``, each item that introduces a nested list ("projects such as:") followed by that
    list: quoted alone, it would end on a colon."""
    result = list(dict.fromkeys(chosen))
    for u in list(result):
        if u.is_item and u.introduces:
            for nested in lines[u.passage][u.order + 1 :]:
                if not nested.is_item or nested.depth <= u.depth:
                    break
                if nested not in result:
                    result.append(nested)
    return result


def _write(passages: list[Passage], chosen: list[_Line]) -> tuple[str, list[int]]:
    """The answer's text and the passages it cites: the opening and the other sentences as a
    paragraph, then the items as a list (by passage in order of first use, each in reading
    order, nesting kept)."""
    cited = list(dict.fromkeys(u.passage for u in chosen))
    number = {i: n for n, i in enumerate(cited, 1)}
    opening, rest = chosen[0], chosen[1:]
    prose = [_named(passages[opening.passage], opening.text)] + [u.text for u in rest if not u.is_item]
    prose_lines = [opening, *(u for u in rest if not u.is_item)]
    paragraph = " ".join(f"{text} [{number[u.passage]}]" for text, u in zip(prose, prose_lines, strict=True))
    items = sorted((u for u in rest if u.is_item), key=lambda u: (cited.index(u.passage), u.order))
    blocks = [paragraph, _list(items, number)]
    return "\n\n".join(block for block in blocks if block), cited


def _named(passage: Passage, sentence: str) -> str:
    """The opening sentence, after the name of the tool or course its source is about when it
    does not say it ("Use it when you have no GPU at home" from the note on Google Colab)."""
    title = passage.title
    if not title or len(title) > MAX_TITLE_CHARS or title.lower() in sentence.lower():
        return sentence
    return f"**{title}:** {sentence}"


def _list(items: list[_Line], number: dict[int, int]) -> str:
    """``items`` as a cited markdown list; an item right under the one before it in its
    passage (its parent or a sibling) keeps its nesting."""
    rows: list[str] = []
    previous: _Line | None = None
    depth = 0
    for u in items:
        follows = previous is not None and previous.passage == u.passage and u.order == previous.order + 1
        depth = max(0, depth + u.depth - previous.depth) if follows and previous is not None else 0
        previous = u
        rows.append(f"{'  ' * depth}- {u.text} [{number[u.passage]}]")
    return "\n".join(rows)


def weighed(passages: list[Passage]) -> list[Passage]:
    """The passages whether to answer is decided on: the best :data:`MAX_PASSAGES` by search's
    own scores, a source's boost left out. A boost orders what an answer quotes; it is no sign
    that the knowledge base answers the question."""
    return [passages[i] for i in _weighed(passages)]


def _weighed(passages: list[Passage]) -> list[int]:
    """The indexes of :func:`weighed`'s passages in ``passages``."""
    return sorted(range(len(passages)), key=lambda i: -passages[i].relevance)[:MAX_PASSAGES]


def _role(passage: Passage) -> str:
    return str(passage.metadata.get("role", ""))
