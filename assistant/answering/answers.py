"""What an answer is: its text, whether it is grounded, and the passages it cites."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.answering.conversation import ASK_ME, question_part
from assistant.retrieval.search import Passage


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: the passage and where to read it."""

    n: int
    id: str
    source: str
    title: str
    section: str
    anchor: str
    url: str
    score: float
    text: str
    fetched_at: str = ""
    section_path: str = ""

    @classmethod
    def of(cls, n: int, passage: Passage) -> Citation:
        """Number ``passage`` as citation ``n``."""
        meta = passage.metadata
        return cls(
            n=n,
            id=passage.id,
            source=passage.source,
            title=passage.title,
            section=passage.section,
            anchor=str(meta.get("anchor", "")),
            url=str(meta.get("url", "")),
            score=round(passage.score, 4),
            text=passage.text,
            fetched_at=str(meta.get("fetched_at", "")),
            section_path=str(meta.get("section_path", "")),
        )


@dataclass(frozen=True)
class Answer:
    """An answer to one question.

    ``grounded`` is true only when the text cites at least one retrieved passage; ``mode`` says
    what produced it (``extractive``, ``llm``, ``refusal`` or ``smalltalk``).
    """

    text: str
    grounded: bool
    citations: list[Citation] = field(default_factory=list)
    mode: str = "extractive"
    question: str = ""
    query: str = ""
    index_version: str = ""
    notes: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    evidence: dict[str, float] = field(default_factory=dict)  # what the answer policy weighed

    def to_dict(self) -> dict[str, Any]:
        """The answer as plain data (the ``--json`` schema)."""
        data = asdict(self)
        return {"answer": data.pop("text"), **data}


MAX_QUOTED_WORDS = 14  # a refusal quotes at most this many words of what was asked
MAX_TITLE_CHARS = 40  # a longer source title (a blog post's headline) is left out of topic names


def topic(passage: Passage) -> str:
    """How a passage's topic is named to a reader: "Google Colab: Common pitfalls"."""
    if passage.section == passage.title or len(passage.title) > MAX_TITLE_CHARS:
        return passage.section or passage.title
    return f"{passage.title}: {passage.section}"


def extractive_answer(
    text: str,
    cited: list[Passage],
    question: str,
    query: str,
    version: str,
    notes: list[str],
    evidence: dict[str, float],
) -> Answer:
    """An answer composed from the knowledge base's own sentences; ``cited[n - 1]`` is ``[n]``."""
    citations = [Citation.of(n, passage) for n, passage in enumerate(cited, 1)]
    return Answer(
        text,
        grounded=True,
        citations=citations,
        mode="extractive",
        question=question,
        query=query,
        index_version=version,
        notes=notes,
        evidence=evidence,
    )


def uncovered(asks: tuple[str, ...]) -> str:
    """The closing line of an answer to a message whose ``asks`` the knowledge base does not
    answer ("" for none), quoting them as data: an ask is the learner's text."""
    if not asks:
        return ""
    return f"\n\nThe knowledge base doesn't cover {'; '.join(map(quoted, asks))}, so I won't guess there."


def quoted(asked: str) -> str:
    """What the learner asked, in quotes, cut to :data:`MAX_QUOTED_WORDS` words: their text as data."""
    words = asked.strip(" ?.!").split()
    cut = " ".join(words[:MAX_QUOTED_WORDS]) + ("…" if len(words) > MAX_QUOTED_WORDS else "")
    return f"“{cut}”"


def refusal(
    question: str, query: str, passages: list[Passage], version: str, evidence: dict[str, float], declined: str = ""
) -> Answer:
    """Say plainly that the knowledge base does not cover the question (the ``declined`` topic,
    when it is one the knowledge base declares it does not cover, else the question asked), and
    what it does cover: the topics of ``passages`` (the nearest sections), or, with none, what
    Mentor is for."""
    related = list(dict.fromkeys(topic(p) for p in passages))[:3]
    what = declined or quoted(question_part(question) or question)
    text = f"The knowledge base doesn't cover {what}, so I won't guess."
    if related:
        text += " The closest topics it does cover: " + "; ".join(related) + "."
    else:
        text += " " + ASK_ME
    return Answer(
        text,
        grounded=False,
        mode="refusal",
        question=question,
        query=query,
        index_version=version,
        related=related,
        evidence=evidence,
    )
