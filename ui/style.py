"""The page's own static CSS, and the script that keeps a new answer's start in view.

Both are constants written here: no text from documents, answers or users ever reaches them.
"""

from __future__ import annotations

import streamlit as st

CSS = """
<style>
/* The sidebar's upload box: its file types and size limit wrap instead of being cut off. */
[data-testid="stSidebar"] [data-testid="stFileUploaderDropzoneInstructions"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[data-testid="stSidebar"] [data-testid="stCaptionContainer"] { overflow-wrap: anywhere; }
/* Long words in answers and passages (URLs) wrap on a phone rather than widen the page. */
[data-testid="stChatMessage"] [data-testid="stMarkdownContainer"] { overflow-wrap: anywhere; }
/* The script below sits in the answer without taking room. */
[class*="st-key-keep-in-view"] { display: none; }
</style>
"""

# Streamlit's chat keeps the page scrolled to the bottom while an answer streams in, so a long
# answer's start scrolls away, and on a phone the title scrolls away behind the starters. Until
# the reader scrolls, clicks or types, this keeps the question (or the title) at the top of the
# window, under Streamlit's header, and the answer's start below it (polling:
# Streamlit redraws messages freely, so observers of one element miss them). It stops when
# Streamlit removes it at the next rerun.
KEEP_IN_VIEW = """
<span class="mentor-keep-in-view" data-keep="KEEP"></span>
<script>
(() => {
  const mine = '.mentor-keep-in-view[data-keep="KEEP"]';  // Streamlit may redraw the marker itself
  const title = "KEEP" === "title";
  let touched = false;
  const stop = () => { touched = true; };
  for (const kind of ["wheel", "touchmove", "keydown", "pointerdown"]) {
    window.addEventListener(kind, stop, { passive: true, once: true });
  }
  const started = Date.now();
  const timer = setInterval(() => {
    const messages = document.querySelectorAll('[data-testid="stChatMessage"]');
    if (touched || !document.querySelector(mine) || Date.now() - started > 300000 || (!title && messages.length < 2)) {
      clearInterval(timer);
      return;
    }
    const question = title ? document.querySelector("h1") : messages[messages.length - 2];
    if (!question) return;
    let scroller = question.parentElement;
    const scrolls = (e) => e.scrollHeight > e.clientHeight + 1 && /auto|scroll/.test(getComputedStyle(e).overflowY);
    while (scroller && !scrolls(scroller)) scroller = scroller.parentElement;
    if (!scroller) return;
    const header = document.querySelector('[data-testid="stHeader"]');
    const below = Math.max(scroller.getBoundingClientRect().top, header ? header.getBoundingClientRect().bottom : 0);
    const off = question.getBoundingClientRect().top - below - 8;
    if (Math.abs(off) > 2) scroller.scrollTop += off;
  }, 100);
})();
</script>
"""


def apply() -> None:
    """Add the page's CSS (call once per run, before anything it styles)."""
    st.html(CSS)


def keep_in_view(what: str = "question") -> None:
    """Keep the latest question and the start of the answer being drawn under it in view; with
    ``what="title"``, the page's title (the starters below it on a phone)."""
    with st.container(key=f"keep-in-view-{what}"):
        st.html(KEEP_IN_VIEW.replace("KEEP", "title" if what == "title" else "question"), unsafe_allow_javascript=True)
