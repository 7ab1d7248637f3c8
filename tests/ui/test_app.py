"""The chat page, driven by Streamlit's AppTest over real stores."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import Mentor, Settings
from assistant.answering.conversation import ASK_ME
from assistant.quality.feedback import FeedbackStore, gaps_report
from ingest import Embedder

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "ui" / "app.py"
sys.path.insert(0, str(REPO / "ui"))  # ui/ is a folder of scripts, as under `streamlit run`
import view  # noqa: E402
from safe_markdown import escape  # noqa: E402

FREE_GPU = "How can I get a free GPU?"


@pytest.fixture
def kb_dir(kb_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the session's ingested store (the page writes feedback next to it)."""
    data_dir = tmp_path / "kb-data"
    shutil.copytree(kb_settings.data_dir, data_dir)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(data_dir))
    return data_dir


def _page() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=300).run()  # a hang limit: a busy machine is slow


def _ask(app: AppTest, question: str) -> AppTest:
    app.chat_input[0].set_value(question).run()
    assert not app.exception
    return app


def _sources(app: AppTest):
    """The "Sources (n)" expander under the latest answer, if any."""
    return next((e for e in app.chat_message[-1].expander if e.label.startswith("Sources (")), None)


def _cards(app: AppTest) -> list[str]:
    """The header lines of the source cards under the latest answer (behind "Sources (n)")."""
    sources = _sources(app)
    return [m.value for m in sources.markdown if m.value.startswith(":blue-badge[")] if sources else []


def _chunks(data_dir: Path, embedder: Embedder) -> int:
    return Mentor(Settings(data_dir=data_dir), embedder=embedder).store.count()


@pytest.mark.slow
def test_welcome_state_offers_three_groups_of_starter_questions(kb_dir: Path) -> None:
    app = _page()

    assert not app.exception
    assert app.title[0].value == "Mentor"
    groups = [m.value for m in app.markdown if m.value in ("**Career**", "**Tools**", "**Troubleshooting**")]
    assert groups == ["**Career**", "**Tools**", "**Troubleshooting**"]
    starters = [b.label for b in app.button if b.key and b.key.startswith("starter-")]
    assert len(starters) == 9 and FREE_GPU in starters
    assert app.metric[1].label == "Chunks" and int(app.metric[1].value) > 0
    assert not app.chat_message


@pytest.mark.slow
def test_a_starter_question_is_answered_with_source_cards(kb_dir: Path) -> None:
    app = _page()
    app.button(key=f"starter-{FREE_GPU}").click().run()

    assert not app.exception
    question, answer = app.chat_message
    assert question.markdown[0].value == FREE_GPU
    assert ":blue-badge[1]" in answer.markdown[0].value  # the [1] marker, shown as a badge
    cited = app.session_state["messages"][-1]["answer"].citations
    assert any("Google Colab" in card for card in _cards(app))
    assert _sources(app).label == f"Sources ({len(cited)})"  # one control for all the cards
    assert any(":orange-background[" in m.value for m in _sources(app).markdown)  # the quoted sentence
    assert any(c.value.startswith("relevance 0.") for c in answer.caption)  # in each card's Details
    assert not any("Pick a question" in m.value for m in app.markdown)  # welcome is gone


@pytest.mark.slow
def test_a_follow_up_is_answered_from_the_history(kb_dir: Path) -> None:
    app = _page()
    _ask(app, "When should I use TensorFlow?")
    _ask(app, "what about PyTorch?")

    assert len(app.chat_message) == 4
    assert any("PyTorch" in card for card in _cards(app))


@pytest.mark.slow
def test_an_out_of_scope_question_says_the_knowledge_base_does_not_cover_it(kb_dir: Path) -> None:
    app = _ask(_page(), "What is the capital of France?")

    said = app.chat_message[-1].markdown[0].value
    # Far from every section, so none is offered as close: what Mentor is for instead.
    assert "doesn't cover “What is the capital of France”" in said and ASK_ME in said and "closest topics" not in said
    assert not app.chat_message[-1].info  # said once, not again in a box
    assert _cards(app) == []
    (logged,) = FeedbackStore.in_dir(kb_dir).all()  # a gap for the guide's authors
    assert logged.mode == "refusal" and logged.rating is None


@pytest.mark.slow
def test_a_refusal_offers_its_nearest_topics_as_questions(kb_dir: Path) -> None:
    app = _ask(_page(), "how much does a deep learning engineer earn in berlin")
    refused = app.session_state["messages"][-1]["answer"]
    topics = [b for b in app.chat_message[-1].button if b.key and b.key.startswith("topic-")]

    assert refused.mode == "refusal" and refused.related
    assert "doesn't cover pay" in app.chat_message[-1].markdown[0].value
    assert [b.label for b in topics] == [escape(t) for t in refused.related]
    assert "closest topics" not in app.chat_message[-1].markdown[0].value  # said once, as buttons

    topics[0].click().run()

    asked = app.session_state["messages"][-2]["content"]
    assert asked == f"Tell me about {refused.related[0]}"
    assert app.session_state["messages"][-1]["answer"].grounded


@pytest.mark.slow
def test_what_the_learner_says_about_themselves_is_kept_as_chips_until_removed(kb_dir: Path) -> None:
    app = _ask(_page(), "I have no GPU at home. Where can I train for free?")
    chips = [b for b in app.button if b.key and b.key.startswith("chip-")]
    assert [b.label for b in chips] == ["I have no GPU at home"]

    _ask(app, "what should I learn first?")
    assert app.session_state["profile"] == ["I have no GPU at home"]  # carried to the next question

    chips = [b for b in app.button if b.key and b.key.startswith("chip-")]
    chips[0].click().run()
    assert not [b for b in app.button if b.key and b.key.startswith("chip-")]
    assert app.session_state["profile"] == []


@pytest.mark.slow
def test_feedback_is_stored_with_the_answer(kb_dir: Path) -> None:
    app = _ask(_page(), FREE_GPU)

    app.chat_message[-1].feedback[0].set_value(0).run()  # thumbs down
    app.chat_message[-1].text_input[0].input("It should mention Kaggle too").run()

    assert not app.exception
    (entry,) = FeedbackStore.in_dir(kb_dir).all()
    assert (entry.question, entry.rating, entry.grounded) == (FREE_GPU, -1, True)
    assert entry.comment == "It should mention Kaggle too"
    assert "free GPU" in entry.answer and "[1]" in entry.answer.split("\n")[0]
    assert "Google Colab" in entry.answer
    assert f"### {entry.topic} (1)" in gaps_report(FeedbackStore.in_dir(kb_dir).path)
    assert entry.topic.startswith(entry.citations[0]["title"])  # grouped under the section the answer led with


@pytest.mark.slow
def test_download_holds_each_question_answer_and_numbered_sources(kb_dir: Path) -> None:
    app = _page()
    assert app.sidebar.download_button[0].disabled  # nothing to download yet
    _ask(app, FREE_GPU)

    assert not app.sidebar.download_button[0].disabled
    # AppTest cannot fetch the file itself, so check the function that builds it.
    transcript = view.conversation_markdown(app.session_state["messages"])
    assert f"## {FREE_GPU}" in transcript
    first = app.session_state["messages"][-1]["answer"].citations[0]
    assert "[1]" in transcript and f"- [1] {first.title} — {first.section} (" in transcript


@pytest.mark.slow
def test_answer_mode_and_passages_apply_to_the_next_question(kb_dir: Path) -> None:
    app = _page()
    app.sidebar.selectbox[0].select("llm").run()
    _ask(app, FREE_GPU)

    assert "MENTOR_LLM" in app.chat_message[-1].error[0].value  # no chat model here: said so
    assert app.session_state["messages"] == []

    app.sidebar.selectbox[0].select("extractive").run()
    app.sidebar.slider[0].set_value(1).run()
    answer = _ask(app, FREE_GPU).session_state["messages"][-1]["answer"]
    assert answer.mode == "extractive" and len(_cards(app)) == len(answer.citations) == 1


@pytest.mark.slow
def test_new_chat_brings_back_the_welcome(kb_dir: Path) -> None:
    app = _ask(_page(), "hello")
    next(b for b in app.button if b.label == "New chat").click().run()

    assert not app.chat_message
    assert any("Pick a question" in m.value for m in app.markdown)


def test_a_settings_error_is_shown_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTOR_TOP_K", "many")

    app = _page()

    assert not app.exception
    assert "MENTOR_TOP_K" in app.error[0].value


def test_blank_input_asks_nothing(kb_dir: Path) -> None:
    app = _ask(_page(), "  \n  ")

    assert not app.chat_message and not app.error
    assert any("Pick a question" in m.value for m in app.markdown)  # still the welcome


@pytest.mark.slow
def test_a_mentor_error_is_shown_not_raised(kb_dir: Path) -> None:
    app = _ask(_page(), "\x1b\x07")  # pasted control characters: nothing left to ask

    assert "question: is empty" in app.chat_message[-1].error[0].value
    assert app.session_state["messages"] == []


@pytest.mark.slow
def test_two_sessions_keep_answering_through_a_cli_reingest_and_then_see_new_content(
    small_kb: Path, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MENTOR_QUESTIONS_PER_MINUTE", "10000")  # these sessions ask as fast as they can
    data_dir = tmp_path / "small-data"
    monkeypatch.setenv("MENTOR_MANIFEST", str(small_kb / "sources.toml"))
    monkeypatch.setenv("MENTOR_DATA_DIR", str(data_dir))
    setup = Mentor(Settings.load(), embedder=embedder)
    setup.ingest()
    setup.client.close()  # the page's Mentor is then the only reader in this process, as live
    first, second = _ask(_page(), FREE_GPU), _ask(_page(), "What do data scientists do?")
    (small_kb / "notes" / "tpu.md").write_text(
        "# Cloud TPUs\n\n## Renting a TPU\n\nA TPU v5e slice rents by the hour on Google Cloud.\n"
    )
    ingest = subprocess.Popen(
        [str(Path(sys.executable).with_name("mentor")), "ingest"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    asked = 0
    while ingest.poll() is None:  # both sessions keep asking while the other process writes
        for app in (first, second):
            _ask(app, FREE_GPU)
            assert "Colab" in app.chat_message[-1].markdown[0].value
            asked += 1
    output = ingest.stdout.read()
    ingest.stdout.close()
    assert ingest.returncode == 0, output
    assert "1 added" in output and asked >= 2
    for app in (first, second):
        _ask(app, "Where can I rent a TPU by the hour?")
        assert any("Cloud TPUs" in card for card in _cards(app))


def _controls(app: AppTest) -> tuple[int, bool]:
    """How many upload boxes the sidebar shows, and whether it offers a re-ingest."""
    return len(app.sidebar.file_uploader), any(b.label == "Re-ingest knowledge" for b in app.sidebar.button)


@pytest.mark.slow
def test_a_read_only_chat_answers_but_offers_no_way_to_change_the_knowledge_base(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MENTOR_READ_ONLY", "true")
    app = _ask(_page(), FREE_GPU)

    assert _controls(app) == (0, False)
    assert app.session_state["messages"][-1]["answer"].grounded
    assert app.sidebar.metric[1].label == "Chunks"  # the index status stays


def _unlock(app: AppTest, token: str) -> AppTest:
    app.sidebar.text_input[0].input(token).run()
    return next(b for b in app.sidebar.button if b.label == "Unlock").click().run()


@pytest.mark.slow
def test_the_admin_token_unlocks_the_controls_and_wrong_ones_are_limited_per_address(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MENTOR_ADMIN_TOKEN", "s3cret-token")
    admin = _page()
    assert _controls(admin) == (0, False)
    _unlock(admin, "s3cret-token")
    assert not admin.exception and _controls(admin) == (1, True)
    _ask(admin, FREE_GPU)
    assert "s3cret-token" not in view.conversation_markdown(admin.session_state["messages"])

    app = _page()  # the same address: its one attempt a minute counts here too
    for _ in range(4):
        _unlock(app, "guess")
    assert "not the admin token" in app.sidebar.error[0].value
    _unlock(app, "s3cret-token")
    assert "Too many attempts" in app.sidebar.error[0].value and _controls(app) == (0, False)
    fresh = _unlock(_page(), "s3cret-token")  # a new session starts no count afresh
    assert "Too many attempts" in fresh.sidebar.error[0].value and _controls(fresh) == (0, False)


@pytest.mark.slow
def test_a_session_over_its_question_rate_is_told_to_wait(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTOR_QUESTIONS_PER_MINUTE", "1")
    app = _ask(_page(), FREE_GPU)
    app = _ask(app, "what is overfitting?")

    assert "wait a moment" in app.warning[0].value
    assert len(app.session_state["messages"]) == 2  # one question and its answer
