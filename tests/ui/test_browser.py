"""The chat page in a real Chromium, served by a real ``streamlit run`` over a real store."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import servers
from playwright.sync_api import expect

from assistant import Mentor, Settings
from ingest import Embedder

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
# Every wait is for something on the page; this limit only ends a wait that would never end. It
# is generous, since a busy 2-core machine (a 21-page test, another job beside the suite) takes
# minutes where a quiet one takes seconds. Also the default of every action (fill, click).
WAIT_MS = 300_000
LOAD_MS = WAIT_MS  # a server's first visitor waits for the model and indexes to load
POISON = """# Zorblax handbook

## Configuring Zorblax

Configuring Zorblax needs care before you train a model. <img src=x onerror=alert(1)> The
Zorblax settings page is described here: [x](javascript:alert(1)) and more.
<script>alert(2)</script>
"""

CLUB_NOTE = """# Quokka paper reading club

## Meetings

The Quokka paper reading club meets every Thursday evening to read one deep learning paper
together. Beginners are welcome: each member presents one paper a month.
"""

Server = Callable[..., str]  # (data_dir, manifest=None, **environment) -> the page's URL


@pytest.fixture(scope="module")
def serve() -> Iterator[Server]:
    """Start ``streamlit run ui/app.py`` over a data dir; every server is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(data_dir: Path, manifest: Path | None = None, **environment: str) -> str:
        env = {**environment, "MENTOR_DATA_DIR": str(data_dir)}
        if manifest:
            env["MENTOR_MANIFEST"] = str(manifest)
        log = data_dir.parent / f"streamlit-{len(started)}.log"
        server, url = servers.streamlit(REPO / "ui" / "app.py", log, cwd=REPO, **env)
        started.append(server)
        return url

    yield start
    for server in started:
        servers.stop(server)


@pytest.fixture(scope="module")
def kb_store(tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings) -> Path:
    """The real knowledge base for this module's servers: a copy of the session's store (its
    caches too, so a server does not embed the declared topics again)."""
    data_dir = tmp_path_factory.mktemp("browser-kb") / "data"
    shutil.copytree(kb_settings.data_dir, data_dir)
    return data_dir


@pytest.fixture(scope="module")
def kb_url(serve: Server, kb_store: Path) -> str:
    """One chat over the real knowledge base, shared by this module's tests that only read."""
    return serve(kb_store, None)


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    yield page
    context.close()


def _ask(page, url: str, question: str) -> tuple[object, float, float]:
    """Ask on a fresh page; the answer's chat message and seconds to its text and its cards."""
    _open(page, url)
    return _ask_here(page, question)


def _open(page, url: str) -> None:
    """Open the chat and wait until it is ready: its frame at once, the input once it has loaded."""
    page.goto(url)
    page.get_by_text("Pick a question").wait_for(timeout=WAIT_MS)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=LOAD_MS)


def _ask_here(page, question: str, turn: int = 0) -> tuple[object, float, float]:
    """Ask in the page's session (its ``turn``-th question); as :func:`_ask`."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    answer = page.get_by_test_id("stChatMessage").nth(2 * turn + 1)
    answer.get_by_test_id("stMarkdownContainer").first.wait_for(timeout=WAIT_MS)
    to_text = time.perf_counter() - started
    answer.get_by_test_id("stExpander").first.wait_for(timeout=WAIT_MS)
    return answer, to_text, time.perf_counter() - started


def test_an_answer_streams_in_with_its_source_cards(page, kb_url: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    answer, to_text, to_cards = _ask(page, kb_url, "How can I get a free GPU?")

    timing = f"first answer text after {to_text:.2f}s, source cards after {to_cards:.2f}s"
    print(f"\nbrowser: {timing}")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-timings.txt").write_text(timing + "\n")
    assert "Google Colab" in answer.inner_text()
    answer.get_by_test_id("stFeedback").wait_for(timeout=WAIT_MS)  # the run has finished
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=WAIT_MS)
    sources = answer.get_by_test_id("stExpander").filter(has_text="Sources (")
    sources.locator("summary").click()
    # The cards unfold with an animation: retry until their text is there.
    expect(sources.get_by_test_id("stExpanderDetails")).to_contain_text("Colab", timeout=WAIT_MS)
    sources.get_by_role("button", name="Details").first.click()
    expect(page.get_by_test_id("stPopoverBody")).to_contain_text("relevance 0.", timeout=WAIT_MS)
    page.keyboard.press("Escape")
    question = page.get_by_test_id("stChatMessage").first
    page.mouse.move(790, 450)
    for _ in range(30):  # scroll up as a reader would, until the question is in view
        box = question.bounding_box()
        if box is None or box["y"] >= 60:
            break
        page.mouse.wheel(0, -100)
        page.wait_for_timeout(100)
    page.screenshot(path=ARTIFACTS / "answer-with-sources.png")
    assert dialogs == []


def test_document_markup_is_shown_as_text_never_run(
    page, serve: Server, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("poisoned")
    (root / "kb").mkdir()
    (root / "kb" / "sources.toml").write_text('[[source]]\nglob = "*.md"\n')
    (root / "kb" / "zorblax.md").write_text(POISON)
    settings = Settings(data_dir=root / "data", manifest=root / "kb" / "sources.toml")
    Mentor(settings, embedder=embedder).ingest()
    url = serve(settings.data_dir, settings.manifest)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    answer, _, _ = _ask(page, url, "How do I configure Zorblax?")
    for summary in answer.locator("summary").all():
        summary.click()
    page.wait_for_timeout(1500)  # time for an injected onerror or script to fire, if any

    assert dialogs == []
    assert "<img src=x" in answer.inner_text()
    assert "<script>alert(2)</script>" in answer.inner_text()
    assert page.locator('a[href^="javascript:" i]').count() == 0
    assert page.locator("img[src='x']").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "poisoned-document.png")


def _controls(page) -> dict[str, int]:
    """How many of each knowledge-changing control the page shows."""
    return {
        "uploader": page.get_by_test_id("stFileUploader").count(),
        "re-ingest": page.get_by_role("button", name="Re-ingest knowledge").count(),
        "sources": page.get_by_test_id("stSidebar").get_by_test_id("stExpander").filter(has_text="Sources").count(),
    }


def test_a_learner_asks_and_reads_sources_but_cannot_change_the_knowledge_base(
    page, serve: Server, kb_store: Path
) -> None:
    url = serve(kb_store, None, MENTOR_READ_ONLY="1")
    answer, _, _ = _ask(page, url, "Which deep learning framework should I learn first?")
    answer.get_by_test_id("stFeedback").wait_for(timeout=WAIT_MS)  # the run has finished

    assert "PyTorch" in answer.inner_text() or "TensorFlow" in answer.inner_text()
    assert answer.get_by_test_id("stExpander").count() >= 1  # its sources, to read
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Knowledge base")  # the sidebar is drawn: its absences count
    assert _controls(page) == {"uploader": 0, "re-ingest": 0, "sources": 0}
    assert sidebar.get_by_text("Admin", exact=True).count() == 0


def test_an_admin_unlocks_the_controls_and_the_next_answer_cites_an_uploaded_note(
    page, serve: Server, small_kb: Path, embedder: Embedder
) -> None:
    settings = Settings(data_dir=small_kb.parent / "data", manifest=small_kb / "sources.toml")
    Mentor(settings, embedder=embedder).ingest()
    token = "a-long-admin-token-4711"
    url = serve(settings.data_dir, settings.manifest, MENTOR_READ_ONLY="1", MENTOR_ADMIN_TOKEN=token)
    _open(page, url)
    assert _controls(page)["uploader"] == 0  # served read-only: locked until the token

    page.get_by_test_id("stExpander").filter(has_text="Admin").locator("summary").click()
    page.get_by_label("Admin token").fill(token)
    page.get_by_role("button", name="Unlock").click()
    uploader = page.get_by_test_id("stFileUploader")
    uploader.wait_for(timeout=WAIT_MS)
    uploader.locator("input[type=file]").set_input_files(
        files=[{"name": "reading-club.md", "mimeType": "text/markdown", "buffer": CLUB_NOTE.encode()}]
    )
    page.get_by_text("Added reading-club.md").wait_for(timeout=WAIT_MS)
    assert _controls(page)["re-ingest"] == 1

    answer, _, _ = _ask_here(page, "When does the Quokka paper reading club meet?")
    answer.get_by_test_id("stFeedback").wait_for(timeout=WAIT_MS)
    assert "Thursday" in answer.inner_text()
    assert answer.get_by_test_id("stPopover").filter(has_text="Quokka").count() >= 1  # its source, cited
    assert token not in page.content()


# --- what a newcomer sees, on a laptop and on a phone ------------------------------------------

SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
DEVELOPER_DETAILS = re.compile(r"relevance \d|\w\.(?:md|txt|pdf|html?)\b|#[a-z-]+-[a-z-]+")


def _fits(page) -> None:
    """Nothing on the page is wider than the window."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


TITLE_IN_VIEW = """() => {
    const title = document.querySelector("h1").getBoundingClientRect();
    return title.top >= document.querySelector('[data-testid="stHeader"]').getBoundingClientRect().bottom - 1;
}"""
# True when a chat message's first line is between Streamlit's header and the chat input.
FIRST_LINE_IN_VIEW = """(message) => {
        const first = message.querySelector('[data-testid="stMarkdownContainer"]').getBoundingClientRect();
        const header = document.querySelector('[data-testid="stHeader"]').getBoundingClientRect();
        const bottom = document.querySelector('[data-testid="stBottom"]').getBoundingClientRect();
        return first.top >= header.bottom - 1 && first.top + 20 <= bottom.top;
}"""


@pytest.mark.parametrize("screen", SCREENS)
def test_a_newcomer_reads_the_answer_first_and_opens_sources_on_demand(browser, kb_url: str, screen: str) -> None:
    context = browser.new_context(viewport=SCREENS[screen])
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    _open(page, kb_url)
    page.get_by_role("button", name="How can I get a free GPU?").wait_for(timeout=WAIT_MS)
    _wait_steady(page, TITLE_IN_VIEW)  # a phone's starters leave it in view
    _fits(page)
    page.screenshot(path=ARTIFACTS / f"empty-{screen}.png")

    answer = _ask_to_the_end(page, "I have no GPU at home. How can I train for free?", turn=0)
    handle = answer.element_handle()
    _wait_steady(page, FIRST_LINE_IN_VIEW, handle)
    assert not DEVELOPER_DETAILS.search(answer.inner_text())  # no file path or score until asked
    expect(page.get_by_role("button", name="I have no GPU at home")).to_be_visible()  # kept in mind
    _fits(page)
    page.screenshot(path=ARTIFACTS / f"answer-{screen}.png")

    answer.get_by_test_id("stPopover").first.locator("button").click()  # [1] opens its source in place
    quote = page.get_by_test_id("stPopoverBody")
    expect(quote).to_contain_text("Read it in Mentor", timeout=WAIT_MS)
    assert not DEVELOPER_DETAILS.search(quote.inner_text())
    _fits(page)
    page.screenshot(path=ARTIFACTS / f"citation-{screen}.png")
    page.keyboard.press("Escape")

    sources = answer.get_by_test_id("stExpander").filter(has_text="Sources (")
    sources.locator("summary").click()
    cards = sources.get_by_test_id("stExpanderDetails")
    expect(cards).to_contain_text("Read it in Mentor", timeout=WAIT_MS)
    assert not DEVELOPER_DETAILS.search(cards.inner_text())
    sources.locator("summary").scroll_into_view_if_needed()
    _fits(page)
    page.screenshot(path=ARTIFACTS / f"sources-{screen}.png")

    cards.get_by_role("button", name="Read it in Mentor").first.click()  # the source itself, in the app
    reader = page.get_by_role("dialog")
    expect(reader).to_contain_text("The whole source", timeout=WAIT_MS)
    assert not DEVELOPER_DETAILS.search(reader.inner_text())
    page.screenshot(path=ARTIFACTS / f"reader-{screen}.png")
    reader.get_by_role("button", name="Close").click()
    reader.wait_for(state="hidden", timeout=WAIT_MS)

    refusal = _ask_to_the_end(page, "how much does a deep learning engineer earn in berlin", turn=1)
    expect(refusal).to_contain_text("doesn't cover pay")
    topics = refusal.get_by_test_id("stButton")
    assert topics.count() >= 1  # the nearest topics, to ask about
    _wait_steady(page, FIRST_LINE_IN_VIEW, refusal.element_handle())
    _fits(page)
    page.screenshot(path=ARTIFACTS / f"refusal-{screen}.png")
    context.close()


def _wait_steady(page, condition: str, arg: object = None) -> None:
    """Wait until the JavaScript ``condition`` holds at ten polls in a row (the page has stopped
    scrolling: Streamlit's scroll to the bottom and the page's own script settle)."""
    page.evaluate("window.steady = 0")
    page.wait_for_function(
        f"(arg) => {{ const ok = ({condition})(arg); window.steady = ok ? (window.steady || 0) + 1 : 0; "
        "return window.steady >= 10; }",
        arg=arg,
        polling=100,
        timeout=WAIT_MS,
    )


def _ask_to_the_end(page, question: str, turn: int) -> object:
    """Ask the page's ``turn``-th question; its answer's message, once the run has finished."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    answer = page.get_by_test_id("stChatMessage").nth(2 * turn + 1)
    answer.get_by_test_id("stFeedback").wait_for(timeout=WAIT_MS)
    return answer
