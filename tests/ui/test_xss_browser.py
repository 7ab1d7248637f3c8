"""The published XSS vectors rendered by the chat's own drawing code in a real Streamlit and a
real Chromium: no script runs, no script link is left, no image loads from a foreign host."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import servers
from test_browser import REPO, WAIT_MS
from test_safe_markdown import load_vectors

pytestmark = [pytest.mark.slow, pytest.mark.browser]

UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")
PAGE = """
import json, sys
sys.path[:0] = {paths!r}
import streamlit as st
import sources, view
from assistant import Answer, Citation

st.title("XSS vectors")
for n, text in enumerate(json.load(open({vectors!r})), 1):
    citation = Citation(n=n, id=str(n), source="vectors.md", title=f"Vector {{n}}", section="",
                        anchor="", url={allowed!r}, score=0.5, text=text)
    quoting = Answer(f"{{text}} [{{n}}]", grounded=True, citations=[citation])  # quotes it: highlighted
    with st.expander(f"Vector {{n}}"):  # the passage, as a source card shows it
        st.markdown(sources.highlighted(text, sources.quoted(quoting, n), [citation.url]))
    st.markdown(view.answer_markdown(text, Answer(text, grounded=True, citations=[citation])))
    st.markdown(view.sanitize_markdown(text))  # as a question is shown
st.caption("all vectors drawn")
"""
# What a sanitized markdown container may hold of these (task lists draw disabled checkboxes).
FORBIDDEN = "script, iframe, frame, object, embed, style, link, meta, base, form, input:not([type=checkbox])"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class _Counting(BaseHTTPRequestHandler):
    """Answers every GET with a 1-pixel PNG and notes the path."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def image_hosts() -> Iterator[tuple[ThreadingHTTPServer, ThreadingHTTPServer]]:
    """The cited source's host on 127.0.0.1 and a foreign host on 127.0.0.2, both counting."""
    hosts = [ThreadingHTTPServer((address, 0), _Counting) for address in ("127.0.0.1", "127.0.0.2")]
    for host in hosts:
        host.paths = []
        threading.Thread(target=host.serve_forever, daemon=True).start()
    yield hosts[0], hosts[1]
    for host in hosts:
        host.shutdown()
        host.server_close()


def test_no_vector_runs_a_script_links_one_or_loads_a_foreign_image(
    browser,
    image_hosts,
    tmp_path: Path,
) -> None:
    source, foreign = image_hosts
    allowed = f"http://127.0.0.1:{source.server_port}/source/logo.png"
    vectors = load_vectors(allowed, f"http://127.0.0.2:{foreign.server_port}")
    (tmp_path / "vectors.json").write_text(json.dumps(vectors))
    (tmp_path / "page.py").write_text(
        PAGE.format(paths=[str(REPO), str(REPO / "ui")], allowed=allowed, vectors=str(tmp_path / "vectors.json"))
    )
    server, url = servers.streamlit(tmp_path / "page.py", tmp_path / "page.log", cwd=tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url)
        page.get_by_text("all vectors drawn").wait_for(timeout=WAIT_MS)
        page.locator("[data-testid=stExpander] summary").evaluate_all(
            "summaries => summaries.forEach(s => s.click())"
        )  # unfold every passage
        page.locator("[data-testid=stExpanderDetails]").nth(len(vectors) - 1).wait_for(timeout=WAIT_MS)
        page.wait_for_timeout(2000)  # time for an injected handler or image to fire, if any

        markdown = page.locator("[data-testid=stMarkdownContainer]")
        hrefs = markdown.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        images = markdown.locator("img").evaluate_all("images => images.map(i => i.getAttribute('src'))")
        forbidden = markdown.locator(FORBIDDEN).evaluate_all("found => found.map(e => e.outerHTML)")
        flagged = page.evaluate("window.__xss")
        passages = page.locator("[data-testid=stExpanderDetails] [data-testid=stMarkdownContainer]").count()
    finally:
        context.close()
        servers.stop(server)

    print(
        f"\n{len(vectors)} XSS vectors tried in Chromium, each as a passage, an answer and a "
        f"question; {len(hrefs)} links and {len(images)} images drawn, {len(source.paths)} "
        f"requests to the cited host, {len(foreign.paths)} to the foreign one"
    )
    assert len(vectors) >= 100 and passages == len(vectors)
    assert dialogs == [] and flagged is None
    assert [h for h in hrefs if h.strip().lower().startswith(UNSAFE_SCHEMES)] == []
    assert [h for h in hrefs if not h.lower().startswith(("http://", "https://", "mailto:", "#"))] == []
    assert forbidden == []
    assert set(images) == {allowed}
    assert foreign.paths == []
    assert source.paths and set(source.paths) == {"/source/logo.png"}  # images do load: this one
