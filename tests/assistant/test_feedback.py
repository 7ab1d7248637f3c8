"""The feedback store and the knowledge-gaps report it feeds."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from assistant import Answer, Citation
from assistant.quality.feedback import FeedbackStore, gaps_report


def _citation(title: str, section: str) -> Citation:
    return Citation(
        n=1,
        id="c1",
        source=f"{title}.md",
        title=title,
        section=section,
        anchor=f"{title}.md#x",
        url="",
        score=0.5,
        text="passage",
    )


def _refusal(question: str, related: list[str]) -> Answer:
    return Answer(
        "The knowledge base doesn't cover that.", grounded=False, mode="refusal", question=question, related=related
    )


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore.in_dir(tmp_path / "data")


def test_record_keeps_question_answer_rating_and_comment(store: FeedbackStore) -> None:
    citations = json.dumps([{"n": 1, "title": "Google Colab", "section": "What it is"}])
    store.record("How can I get a free GPU?", "Use Colab [1]", True, citations, 1, " great ")

    (entry,) = store.all()
    assert store.path.name == "feedback.sqlite3"
    assert (entry.question, entry.answer, entry.grounded) == ("How can I get a free GPU?", "Use Colab [1]", True)
    assert (entry.rating, entry.comment, entry.topic) == (1, "great", "Google Colab: What it is")


def test_a_keyed_answer_is_one_row_that_later_feedback_updates(store: FeedbackStore) -> None:
    answer = _refusal("Can I get a job without a PhD?", ["Careers"])
    store.record_answer(answer, key="m1")  # logged when it was answered
    store.record_answer(answer, rating=-1, key="m1")
    store.record_answer(answer, rating=-1, comment="Please cover PhDs", key="m1")

    (entry,) = store.all()
    assert (entry.rating, entry.comment, entry.mode) == (-1, "Please cover PhDs", "refusal")
    with closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("SELECT count(*) FROM feedback").fetchone() == (1,)


@pytest.mark.parametrize("rating, citations", [(0, "[]"), (2, "[]"), (1, "{}")])
def test_record_refuses_a_bad_rating_or_citations(store: FeedbackStore, rating: int, citations: str) -> None:
    with pytest.raises(ValueError):
        store.record("q", "a", True, citations, rating)
    assert store.all() == []


def test_gaps_report_groups_by_topic_with_counts_most_frequent_first(store: FeedbackStore) -> None:
    for question in (
        "Can I get a job without a PhD?",
        "can i get a job  without a phd?",
        "Do I need a PhD for research jobs?",
    ):
        store.record_answer(_refusal(question, ["Careers: Roles"]))
    store.record_answer(_refusal("How do I deploy on Kubernetes?", []))
    store.record_answer(_refusal("Is Kubernetes worth learning?", []))
    store.record_answer(_refusal("What is the capital of France?", []))
    unhelpful = Answer(
        "Dropout helps [1]",
        grounded=True,
        question="How do I stop overfitting?",
        citations=[_citation("Overfitting", "Fixes")],
    )
    store.record_answer(unhelpful, rating=-1, comment="Too short")
    store.record_answer(unhelpful, rating=-1)
    store.record_answer(unhelpful, rating=1)  # helpful answers are not gaps
    store.record("hi", "Hi! I'm Mentor.", False, "[]", None, mode="smalltalk")

    report = gaps_report(store.path)

    assert report.startswith("# Knowledge gaps\n")
    assert "6 questions the knowledge base could not answer and 2 answers rated unhelpful" in report
    missing, unhelpful_part = report.split("## Answers rated unhelpful (2)")
    assert "## Questions it could not answer (6)" in missing
    # Largest group first; the same question twice counts twice; no section: the shared word.
    assert (
        missing.index("### Careers: Roles (3)") < missing.index("### kubernetes (2)") < missing.index("### capital (1)")
    )
    assert "- Can I get a job without a PhD? (asked 2 times)" in missing
    assert "- Do I need a PhD for research jobs?" in missing
    assert "### Overfitting: Fixes (2)" in unhelpful_part
    assert "- How do I stop overfitting? (asked 2 times)\n  - comment: Too short" in unhelpful_part
    assert "- hi" not in report  # small talk is neither a gap nor rated


def test_gaps_report_of_an_empty_store_says_none(store: FeedbackStore) -> None:
    report = gaps_report(store.path)
    assert "0 questions the knowledge base could not answer and 0 answers" in report
    assert report.count("None.") == 2
