"""What the learner says about themselves: found in their messages, carried with later questions."""

from __future__ import annotations

import pytest

from assistant.answering.conversation import about_learner, with_context


@pytest.mark.parametrize(
    "message, said",
    [
        ("I'm an accountant, 30 years old. How do I start?", ["I'm an accountant, 30 years old"]),
        ("i dont have a gpu, where can i train for free?", ["I dont have a gpu"]),
        ("I only have 300 images, what can I do", ["I only have 300 images"]),
        ("My laptop is too slow to train models", ["My laptop is too slow to train models"]),
        ("How can I get a free GPU?", []),
        ("I want to know how CNNs work", []),  # a question in other words
        ("I wonder if Colab is free?", []),
        ("Thanks, I see", []),  # too short to say anything
    ],
)
def test_first_person_clauses_that_ask_nothing_are_what_the_learner_said(message: str, said: list[str]) -> None:
    assert about_learner(message) == said


def test_a_question_carries_what_it_does_not_already_say() -> None:
    said = ["I'm an accountant", "I have no GPU"]

    assert with_context("How do I start?", said) == "How do I start? (I'm an accountant; I have no GPU)"
    assert with_context("I have no GPU, what now?", said) == "I have no GPU, what now? (I'm an accountant)"
    assert with_context("How do I start?", []) == "How do I start?"


def test_what_the_learner_said_steers_a_question_that_says_little(mentor) -> None:
    answer = mentor.ask("where can I train a model?", profile=["I have no GPU at home"])

    assert answer.query == "where can I train a model? (I have no GPU at home)"  # the better-supported reading
    assert answer.citations[0].title == "Google Colab"
