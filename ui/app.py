"""Mentor's chat page: ``streamlit run ui/app.py``. Drawing lives in ``view``, answers in Mentor."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: ui/ is not a package

import access  # noqa: E402
import shared  # noqa: E402
import streamlit as st  # noqa: E402
import view  # noqa: E402

from assistant import MentorError, Settings  # noqa: E402
from assistant.feedback import FeedbackStore  # noqa: E402

st.set_page_config(page_title="Mentor", page_icon=":material/school:")
access.guard_uploads()
try:
    if shared.loaded(Settings.load()):
        mentor = shared.mentor()
    else:
        with st.spinner("Loading the knowledge base…"):
            mentor = shared.mentor()
except MentorError as exc:
    st.error(str(exc))
    st.stop()
store = FeedbackStore.in_dir(mentor.settings.data_dir, max_bytes=mentor.settings.max_feedback_bytes)
messages = st.session_state.setdefault("messages", [])

with st.sidebar:
    st.subheader("Knowledge base")
    view.index_status(mentor)
    if access.may_change(mentor.settings):
        view.ingest_controls(mentor)
        view.source_controls(mentor)
    st.subheader("Answers")
    settings = view.answer_settings(mentor)
    actions = st.container()

st.title("Mentor")
st.caption("Grounded answers to your deep-learning career questions, with the sources they come from.")
question = st.chat_input("Ask about careers, tools or problems…", max_chars=mentor.settings.max_question_chars)
question = (question or "").strip() or st.session_state.pop("starter", None)  # blank input asks nothing
if not messages and not question:
    view.welcome()
for message in messages:
    view.show_message(message, store)
if question and access.question_allowed(mentor.settings):
    view.ask(mentor, question, settings, store)
with actions:
    view.conversation_actions(messages)
