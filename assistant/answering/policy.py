"""The answer policy: whether the knowledge base covers a question, and whether an LLM answer stands.

Pure functions of plain data; ``Mentor`` gathers the evidence and follows the decision.

Whether to answer is a logistic model of three general signals, none tied to a phrasing:

- ``question_match``: how close the question is to the best retrieved passage — to the nearest
  question it answers (its curated or generated question keys), or to its text where that is
  closer or it has none;
- ``sentence_match``: how close it is to the best sentence of the retrieved passages;
- ``coverage``: how much of the question the retrieved passages (text, headings, question keys)
  cover, each word weighted by how rarely the knowledge base uses it (a word it never uses,
  such as "salary" in a corpus that never mentions pay, weighs most; "learning" very little).

Apart from the model, a question nearer one of the topics the knowledge base declares it does
not cover (``assistant/retrieval/out_of_scope.py``) than to a question key of its passages, by more than
``DECLINE_MARGIN``, is declined: pay, say, where a career guide's words would otherwise carry it.
Both are questions, so they compare like with like.

Passages without question keys (a user's own file, a guide re-ingested with new sections) give
none of these question-to-question signals, and their words are only their own, so a model
fitted on keyed passages refuses most of what they answer. When the passage that matters most
has no keys, a second model decides, fitted on the same files ingested without keys
(``UNKEYED_WEIGHTS``): how close the question is to the passages' text and to their best
sentence, how much of it their headings and text cover, and how near it is to a declared topic,
weighed against the rest rather than as a gate. Its bias is shifted so that the same
``min_confidence`` bar means the same for both.

The weights were fitted on the dev sets by ``python -m benchmarks.calibrate``: the keyed model on
``tests/eval/dev.jsonl`` and ``probe.jsonl`` over the full knowledge base and the guide alone, the
unkeyed one and the margin on those and ``longpost-dev.jsonl`` over the uncurated store. The test
splits were never used.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from assistant.retrieval.lexical import APOSTROPHES, stem

if TYPE_CHECKING:
    from assistant.retrieval.search import Passage

# Fitted on the dev sets (see the module docstring); P(covered) = logistic(w · x + b).
SCOPE_WEIGHTS = {"question_match": 10.266, "sentence_match": 4.224, "coverage": 4.866}
SCOPE_BIAS = -10.77
UNKEYED_WEIGHTS = {"text_match": 6.889, "sentence_match": 11.473, "text_coverage": 1.984, "declined": -11.449}
UNKEYED_BIAS = -3.464
DECLINE_MARGIN = 0.02  # a declared topic must be this much nearer than the nearest question key (fitted on dev)
REPEATS = 4  # the same sentence this many times: the model is looping
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE = re.compile(r"(?<=[.!?:])\s+|\n+")


@dataclass(frozen=True)
class Evidence:
    """What retrieval found for a question, as numbers the policy weighs."""

    question_match: float
    sentence_match: float
    coverage: float
    declined: float = 0.0  # similarity to the nearest question of a declared out-of-scope topic
    declined_topic: str = ""
    unkeyed_match: float = 0.0  # to the best sentence of a retrieved passage without question keys
    text_match: float = 0.0  # to the best passage's own text (its headings and words, no question keys)
    text_coverage: float = 0.0  # ``coverage`` by the passages' headings and text alone
    keyed: bool = True  # whether the most relevant passage has question keys

    @property
    def nearer_a_topic(self) -> bool:
        """Whether a declared out-of-scope topic is nearer the question than what is answered:
        the questions the passages answer, or, for a passage with none, its best sentence."""
        return self.declined > max(self.question_match, self.unkeyed_match)

    @property
    def out_of_scope(self) -> bool:
        """Whether a declared out-of-scope topic declines the question outright: one of its
        examples is nearer than the passages' nearest question key, by :data:`DECLINE_MARGIN`.
        Without keys there is no question to compare with; the unkeyed model weighs the topic."""
        return self.keyed and self.declined > self.question_match + DECLINE_MARGIN

    @property
    def confidence(self) -> float:
        """The estimated probability that the knowledge base answers the question."""
        weights, bias = (SCOPE_WEIGHTS, SCOPE_BIAS) if self.keyed else (UNKEYED_WEIGHTS, UNKEYED_BIAS)
        score = bias + sum(weight * getattr(self, name) for name, weight in weights.items())
        return 1.0 / (1.0 + math.exp(-score))

    def to_dict(self) -> dict[str, float]:
        """The signals and the confidence, rounded, as plain data."""
        names = (*SCOPE_WEIGHTS, "declined", "unkeyed_match", "text_match", "text_coverage", "keyed", "confidence")
        return {name: round(float(getattr(self, name)), 4) for name in names}


def evidence(
    asked: Sequence[str],
    passages: Sequence[Passage],
    sentence_match: float,
    rarity: Callable[[str], float],
    declined: tuple[float, str] = (0.0, ""),
    unkeyed_match: float = 0.0,
) -> Evidence:
    """The evidence that ``passages`` (the best few by search's own scores, a source's boost left
    out: ``extractive.weighed``) answer what is ``asked``, given the best similarity of their
    sentences, how telling each word is in the corpus, and the nearest declared out-of-scope
    topic (similarity, name), and the best similarity of a sentence of those passages that have
    no question keys. ``asked`` holds the readings of the message (whole, and the question
    inside it): its coverage is the lowest, since a message is answered only when all it asks
    is covered. Which model weighs the evidence depends on whether the most relevant passage
    (the first of ``passages``) has question keys."""
    texts = ["\n".join([str(p.metadata.get("section_path", "")), p.text, *p.questions]) for p in passages]
    plain = ["\n".join([str(p.metadata.get("section_path", "")), p.text]) for p in passages]
    covered = min((coverage(text, texts, rarity) for text in asked), default=1.0)
    plainly = min((coverage(text, plain, rarity) for text in asked), default=1.0)
    return Evidence(
        max((p.score for p in passages), default=0.0),
        sentence_match,
        covered,
        *declined,
        unkeyed_match,
        max((p.text_score for p in passages), default=0.0),
        plainly,
        bool(passages and passages[0].questions),
    )


def coverage(question: str, texts: Iterable[str], rarity: Callable[[str], float]) -> float:
    """The share of ``question``'s words found in ``texts`` (stemmed), each word weighted by
    ``rarity``: words the corpus rarely or never uses tell most about what is asked."""
    words = [w for w in _WORD.findall(question.lower()) if w not in _stopwords()]
    found = {stem(w) for text in texts for w in _WORD.findall(text.lower())}
    weights = [max(0.0, rarity(w)) for w in words]
    total = sum(weights)
    if total <= 0:
        return 1.0
    return sum(wt for w, wt in zip(words, weights, strict=True) if stem(w) in found) / total


def shares_a_word(question: str, text: str, ignoring: str = "") -> bool:
    """Whether ``text`` uses a word of ``question`` (stemmed) that says something on its own: not
    "what", "does" or "how", nor a word of ``ignoring`` (a source's title: every heading of a
    guide to deep learning is about deep learning)."""
    plain = _plain_words()
    asked = {stem(w) for w in _WORD.findall(question.lower()) if w not in plain}
    asked -= {stem(w) for w in _WORD.findall(ignoring.lower())}
    return bool(asked & {stem(w) for w in _WORD.findall(text.lower())})


def answers(passages_cited: bool, found: Evidence, min_confidence: float) -> bool:
    """Whether to answer: some passage was quoted, the evidence clears the bar, and no declared
    out-of-scope topic is nearer."""
    return passages_cited and found.confidence >= min_confidence and not found.out_of_scope


def named_topic(found: Evidence, min_confidence: float) -> str:
    """The declared topic a refusal names ("" for none): the nearest one, when the question is as
    near it as an answered question is to its source — the scope model, given the topic's closest
    question as the best match, would call the question covered. Otherwise the topic is merely
    the least far of far things ("What is the capital of France?" and hiring at specific
    companies), and the refusal names none."""
    as_if_a_source = replace(found, question_match=found.declined, keyed=True)
    return found.declined_topic if found.nearer_a_topic and as_if_a_source.confidence >= min_confidence else ""


def names_neighbours(found: Evidence, named: str) -> bool:
    """Whether a refusal should name the sections nearest the question: unless the question is
    far from all of them — nearer a declared topic than to anything answered, yet not near enough
    to that topic to name it ("What is the capital of France?"), where the nearest sections are
    merely the least far of far things."""
    return bool(named) or not found.nearer_a_topic


def llm_failure(text: str, cited: Sequence[int], stopped: str) -> str:
    """Why a generated answer must not stand ("" when it may): no valid citation left, cut off
    (``stopped`` names the limit it hit), or repeating itself."""
    if stopped:
        return f"the model's answer was cut off ({stopped})"
    if not cited:
        return "the model's answer cited no passage"
    if repeats(text):
        return "the model's answer repeated itself"
    return ""


def repeats(text: str, times: int = REPEATS) -> bool:
    """Whether one sentence (of three words or more) occurs ``times`` times in ``text``."""
    counts: dict[str, int] = {}
    for sentence in _SENTENCE.split(text):
        key = " ".join(_WORD.findall(sentence.lower()))
        if len(key.split()) >= 3:
            counts[key] = counts.get(key, 0) + 1
            if counts[key] >= times:
                return True
    return False


@functools.cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN).union(APOSTROPHES)


@functools.cache
def _plain_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS).union(APOSTROPHES)
