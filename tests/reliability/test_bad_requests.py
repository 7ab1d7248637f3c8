"""Bad questions and parameters: a clear MentorError from the API, one line and exit 1 from the CLI."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from faults import assert_one_error_line

from assistant import MentorError
from assistant.interfaces.cli import main

HUGE = "gpu?" * 25_000  # 100 KB
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

BAD = [  # (question, k, what the message says)
    ("", None, "question: is empty"),
    (" \t\n ", None, "question: is empty"),
    (HUGE, None, "question: 100000 characters is over the limit of 2000"),
    ("How can I get a free GPU?", 0, "k: must be between 1 and 50, got 0"),
    ("How can I get a free GPU?", 10_000, "k: must be between 1 and 50, got 10000"),
]
IDS = ["empty", "blank", "100KB", "k=0", "k=10000"]


@pytest.mark.parametrize(("question", "k", "message"), BAD, ids=IDS)
def test_bad_request_to_the_api_raises_a_mentor_error_naming_the_field(mentor, question, k, message):
    with pytest.raises(MentorError, match=re.escape(message)):
        mentor.ask(question, k=k)


@pytest.mark.parametrize(("question", "k", "message"), BAD, ids=IDS)
def test_bad_request_to_the_cli_is_one_error_line_and_exit_1(kb_settings, question, k, message):
    k_flag = [] if k is None else ["--k", str(k)]
    result = CliRunner().invoke(main, ["--data-dir", str(kb_settings.data_dir), "ask", *k_flag, question])
    assert result.exit_code == 1 and result.stdout == ""
    assert_one_error_line(result.stderr, message)


def test_control_characters_in_a_question_are_stripped_and_it_is_answered(mentor):
    answer = mentor.ask("How can I get\x00 a free\x07 GPU\x1b for my\x7f experiments?\r")
    assert answer.grounded and answer.citations
    assert not _CONTROL.search(answer.question) and not _CONTROL.search(answer.text)
    assert answer.text == mentor.ask("How can I get  a free  GPU  for my  experiments?").text


@pytest.mark.parametrize(
    "question",
    [
        "¿Cómo puedo conseguir una GPU gratis para mis experimentos?",
        "如何免费获得用于实验的GPU？",
        "Как найти работу в области глубокого обучения?",
    ],
    ids=["spanish", "chinese", "russian"],
)
def test_a_question_in_another_language_is_answered_or_refused(mentor, question):
    answer = mentor.ask(question)
    assert answer.mode in {"extractive", "refusal"} and answer.text.strip()
    assert answer.grounded == (answer.mode == "extractive") == bool(answer.citations)
