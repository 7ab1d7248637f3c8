"""Mentor's chat page: ``streamlit run ui/app.py``. Drawing lives in ``view``, ``sources`` and
``sidebar``, answers in Mentor."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: ui/ is not a package

import access  # noqa: E402
import shared  # noqa: E402
import sidebar  # noqa: E402
import streamlit as st  # noqa: E402
import style  # noqa: E402
import view  # noqa: E402

from assistant import MentorError  # noqa: E402
from assistant.quality.feedback import FeedbackStore  # noqa: E402

st.set_page_config(page_title="Mentor", page_icon=":material/school:")
access.guard_uploads()
style.apply()
st.title("Mentor")
st.caption("Grounded answers to your deep-learning career questions, with the sources they come from.")
messages = st.session_state.setdefault("messages", [])
loading = not st.session_state.get("loaded")
if loading:  # a first visit: the page and its starters (greyed out) while the knowledge base loads
    view.welcome(ready=False)
try:
    mentor = shared.mentor()
except MentorError as exc:
    st.error(str(exc))
    st.stop()
if loading:
    st.session_state.loaded = True
    st.rerun()  # draw the page afresh, ready
store = FeedbackStore.in_dir(mentor.settings.data_dir, max_bytes=mentor.settings.max_feedback_bytes)

with st.sidebar:
    st.subheader("Knowledge base")
    sidebar.index_status(mentor)
    if access.may_change(mentor.settings):
        sidebar.ingest_controls(mentor)
        sidebar.source_controls(mentor)
    with st.expander("Answer settings", icon=":material/tune:"):
        settings = sidebar.answer_settings(mentor)
    actions = st.container()

chips = st.bottom.container()  # above the input: what Mentor keeps in mind about the learner
question = st.chat_input("Ask about careers, tools or problems…", max_chars=mentor.settings.max_question_chars)
question = (question or "").strip() or st.session_state.pop("starter", None)  # blank input asks nothing
if not messages and not question:
    view.welcome()
for message in messages:
    view.show_message(message, store, mentor)
allowed = bool(question) and access.question_allowed(mentor.settings)
if allowed:
    view.remember(question)
with chips:
    view.profile_chips()
if allowed:
    view.ask(mentor, question, settings, store)
with actions:
    view.conversation_actions(messages)
