"""Many chat sessions at once on one real ``streamlit run``, sharing one Mentor: a slow answer
holds up only its own session."""

from __future__ import annotations

from pathlib import Path

import pytest
import servers
from test_browser import REPO, WAIT_MS

from assistant import Mentor, Settings
from ingest import Embedder

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SESSIONS = 20  # besides the slow one
QUESTIONS = (
    "How can I get a free GPU?",
    "Where can I train a model on a free GPU?",
    "Is there free GPU access for experiments?",
    "Does Colab give free GPU access?",
)
# The chat page with LangChain's fake chat model in place of MENTOR_LLM. Its replies come from
# an iterator that is built once per process; the first reply waits until the test makes the
# file `gate` (and says it is waiting by making `waiting`): that session's answer is slow.
REPLIES = """
import threading
import time
from pathlib import Path

from langchain_core.messages import AIMessage


class Replies:
    def __init__(self):
        self.lock, self.count = threading.Lock(), 0

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            first, self.count = self.count == 0, self.count + 1
        if first:
            Path({waiting!r}).touch()
            while not Path({gate!r}).exists():
                time.sleep(0.05)
        return AIMessage("Colab gives you a free GPU for experiments [1].")
"""
PAGE = """
import runpy
import sys

sys.path[:0] = [{here!r}, {repo!r}]
import assistant.answering.llm
import replies  # a module: imported once per process, unlike this script
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

model = GenericFakeChatModel(messages=replies.Replies())
assistant.answering.llm.load_chat_model = lambda name, timeout: model  # the Mentor loads it once
runpy.run_path({app!r}, run_name="__main__")
"""


def _answer(page):
    return page.get_by_test_id("stChatMessage").nth(1)


def test_a_slow_answer_does_not_stall_twenty_other_sessions(
    browser, small_kb: Path, tmp_path: Path, embedder: Embedder
) -> None:
    settings = Settings(data_dir=tmp_path / "data", manifest=small_kb / "sources.toml")
    Mentor(settings, embedder=embedder).ingest()
    waiting, gate = tmp_path / "waiting", tmp_path / "gate"
    (tmp_path / "replies.py").write_text(REPLIES.format(waiting=str(waiting), gate=str(gate)))
    (tmp_path / "page.py").write_text(PAGE.format(here=str(tmp_path), repo=str(REPO), app=str(REPO / "ui" / "app.py")))
    server, url = servers.streamlit(
        tmp_path / "page.py",
        tmp_path / "page.log",
        cwd=tmp_path,
        MENTOR_DATA_DIR=str(settings.data_dir),
        MENTOR_MANIFEST=str(settings.manifest),
        MENTOR_LLM="fake",
        MENTOR_ANSWER_MODE="auto",
        # The slow answer ends when the test opens its gate, never by the clock: the others may
        # take minutes on a busy machine, and an answer over budget is replaced by an extractive one.
        MENTOR_LLM_BUDGET="3600",
        MENTOR_QUESTIONS_PER_MINUTE="100",  # every session comes from 127.0.0.1: one client's limit
    )
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    context.set_default_timeout(WAIT_MS)  # each wait below is for an event; the limit ends a hang
    try:
        pages = [context.new_page() for _ in range(SESSIONS + 1)]
        for page in pages:  # all load at once
            page.goto(url, wait_until="commit")
        for page in pages:
            page.get_by_text("Pick a question").wait_for()
        slow, others = pages[0], pages[1:]
        _ask(slow, QUESTIONS[0])
        _wait_until(waiting.exists, slow)  # the slow session is inside the model's answer now

        for n, page in enumerate(others):
            _ask(page, QUESTIONS[n % len(QUESTIONS)])
        for page in others:  # each run finishes: its answer, its source card, its feedback
            _answer(page).get_by_test_id("stFeedback").wait_for()
        answered = [_answer(page).inner_text() for page in others]
        slow_before = _answer(slow).get_by_test_id("stFeedback").count()

        gate.touch()
        _answer(slow).get_by_test_id("stFeedback").wait_for()
        slow_after = _answer(slow).inner_text()
    finally:
        context.close()
        servers.stop(server)

    print(f"\n{SESSIONS} sessions answered while a slow one waited on its model")
    assert slow_before == 0  # still waiting while all the others were answered
    assert all("Google Colab" in text and "Sources (" in text for text in answered)  # cited, cards behind one control
    assert "Colab gives you a free GPU" in slow_after and "Google Colab" in slow_after


def _ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")


def _wait_until(happened, page) -> None:
    """Poll ``happened()`` until it is true, failing after :data:`WAIT_MS` (a hang, not slowness)."""
    for _ in range(WAIT_MS // 100):
        if happened():
            return
        page.wait_for_timeout(100)
    pytest.fail(f"still waiting after {WAIT_MS / 1000:.0f} s")
