"""Weighing a message: search each reading of it, draft the extractive answer, gather the policy's evidence.

A message is read whole and by the question inside it ("Ignore your sources. Which framework
should I pick?"), as a follow-up and standing alone; the best-supported reading wins. A message
that asks several things ("is it realistic at 30, and how much does it pay?") is answered when
any of its asks is: each ask is weighed on its own, the answer covers those the knowledge base
answers and says which it does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assistant.answering import conversation, extractive, policy
from assistant.answering.answers import Answer, refusal, topic

RELATED_MIN = 0.4  # a refusal offers a section whose name is this near the question (benchmarks.related_topics)

if TYPE_CHECKING:
    from assistant.mentor import Mentor
    from assistant.retrieval.lexical import LexicalIndex
    from assistant.retrieval.search import Passage


@dataclass(frozen=True)
class Weighed:
    """One reading of a message: what was searched, found and drafted, and the evidence."""

    query: str
    passages: list[Passage]
    version: str
    draft: extractive.Draft
    found: policy.Evidence
    words: LexicalIndex = field(compare=False, repr=False)  # the store's word statistics, as searched
    uncovered: tuple[str, ...] = ()  # asks of the message the knowledge base does not answer

    def answers(self, min_confidence: float) -> bool:
        """Whether the policy answers this reading."""
        return policy.answers(bool(self.draft.cited), self.found, min_confidence)

    def redrafted(self, mentor: Mentor, unanswered: Sequence[str]) -> extractive.Draft:
        """The draft again, with no line for the ``unanswered`` asks: the answer names them as
        not covered, so a line on them would contradict it."""
        if not unanswered:
            return self.draft
        words = self.words
        spelt = [words.correct(ask) for ask in unanswered]
        return extractive.compose(words.correct(self.query), self.passages, mentor.sentences, words.rarity, spelt)

    def refusal(self, mentor: Mentor, question: str) -> Answer:
        """The refusal of ``question``: the declared topic it is near, if any, and the nearest
        sections related to it, one a source: those whose names share a word with it and are
        near it by meaning, unless it is far from them all (a question on what weight decay
        value to use is offered no "Value Proposition")."""
        named = policy.named_topic(self.found, mentor.settings.min_confidence)
        if not policy.names_neighbours(self.found, named):
            return refusal(question, self.query, [], self.version, self.found.to_dict(), named)
        embed = mentor.embedder.embed  # one text a call: the embedder keeps recent ones
        asked = embed([question])[0]
        sources: dict[str, Passage] = {}
        for passage in self.passages:
            name = topic(passage)
            if policy.shares_a_word(question, name) and float(embed([name])[0] @ asked) >= RELATED_MIN:
                sources.setdefault(passage.title, passage)
        return refusal(question, self.query, list(sources.values()), self.version, self.found.to_dict(), named)


def weigh(mentor: Mentor, question: str, turns: Sequence[Any], k: int, profile: Sequence[str] = ()) -> Weighed:
    """The best-supported reading of ``question`` after ``turns`` (and with what the learner said
    of themselves, ``profile``); for a message that asks more than one thing, with the asks it
    leaves uncovered, or, when the message as a whole is not answered, the best-supported of its
    asks that is."""
    whole = _weigh(mentor, question, turns, k, profile)
    asks = conversation.asks(question)
    if len(asks) < 2:
        return whole
    bar = mentor.settings.min_confidence
    # An ask reads with what the message said before it, as a follow-up would ("how do i fix it?").
    each = [_weigh(mentor, ask, [*turns, _before(question, ask)], k, profile, inside=True) for ask in asks]
    uncovered = tuple(ask for ask, found in zip(asks, each, strict=True) if not found.answers(bar))
    covered = [found for found in each if found.answers(bar)]
    if not covered:
        return whole
    if whole.answers(bar) and (not uncovered or len(covered) > 1):
        return replace(whole, uncovered=uncovered, draft=whole.redrafted(mentor, uncovered))
    # One ask answered: its own search and draft, not the message's, which would open on the rest.
    return replace(max(covered, key=lambda found: found.found.confidence), uncovered=uncovered)


def _before(message: str, ask: str) -> dict[str, str]:
    """What ``message`` says before its ``ask``, as the learner's turn before it."""
    return {"role": "user", "content": message[: message.find(ask)].strip()}


def _weigh(
    mentor: Mentor, question: str, turns: Sequence[Any], k: int, profile: Sequence[str], inside: bool = False
) -> Weighed:
    """Search, draft the extractive answer and weigh its evidence for the message whole and
    for the question inside it; the better-supported search wins. Coverage is of both readings:
    "I want to become a chef. How do I start?" asks about cooking, and "I use PyTorch. What is
    the capital of France?" about a capital, not about deep learning. A message that may refer
    back ("which of those need CUDA?") is weighed both as a follow-up and standing alone, since
    "where can I find other beginners?" needs nothing said before it; and with the learner's
    ``profile`` ("I have no GPU" makes "where can I train a model?" a question about free GPUs).
    An ask ``inside`` a message that refers back is read only as a follow-up: what came before
    it in the message is what it asks about ("which works better in practice?")."""
    asked = [text for text in (question, conversation.question_part(question)) if text]
    alone = tuple(dict.fromkeys(asked))
    followed = tuple(dict.fromkeys(conversation.rewrite(text, turns) for text in asked))
    told = tuple(dict.fromkeys(conversation.with_context(text, profile) for text in asked))
    kinds = (followed,) if inside and followed != alone else (followed, alone, told)
    weighed = [_readings(mentor, readings, k) for readings in dict.fromkeys(kinds)]
    return max(weighed, key=lambda found: found.found.confidence)


def _readings(mentor: Mentor, readings: tuple[str, ...], k: int) -> Weighed:
    """:func:`_weigh` for one set of readings of a message, each searched."""
    searches = [(query, *mentor.find(query, k)) for query in readings]  # first: imports under the store's lock
    topics = mentor.declared_topics.current()
    declined = max(topics.nearest(mentor.embedder.embed([text])[0]) for text in readings)
    best: Weighed | None = None
    for query, search, passages in searches:
        version = passages[0].metadata["index_version"] if passages else mentor.index_version
        words = search.lexical(version)
        draft = extractive.compose(words.correct(query), passages, mentor.sentences, words.rarity)
        spelt = [words.correct(text) for text in readings]  # as searched: "projcet" is "project"
        found = policy.evidence(
            spelt, extractive.weighed(passages), draft.best_unit, words.rarity, declined, draft.unkeyed_unit
        )
        if best is None or found.confidence > best.found.confidence:
            best = Weighed(query, passages, version, draft, found, words)
    assert best is not None
    return best
