"""What the chat page draws for the conversation: starters, messages, refusals, the learner's
chips, feedback and the transcript.

Nothing here is passed to Streamlit as HTML. Text from documents, answers and users goes
through :func:`safe_markdown.sanitize_markdown`, which keeps only web links and the cited
sources' images.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import sources
import streamlit as st
import style
from safe_markdown import cite, escape, sanitize_markdown

from assistant import Answer, Mentor, MentorError, Settings
from assistant.answering.conversation import about_learner
from assistant.quality.feedback import MAX_COMMENT_CHARS, FeedbackStore

STARTERS = {
    "Career": (
        "Which jobs can I get with deep learning?",
        "How do I build a portfolio employers notice?",
        "What skills do I need for a deep learning job?",
    ),
    "Tools": (
        "Should I learn PyTorch or TensorFlow?",
        "How can I get a free GPU?",
        "How do I explain my model's predictions?",
    ),
    "Troubleshooting": (
        "My model memorises the training data. What can I do?",
        "My laptop is too slow to train models",
        "I don't have enough data",
    ),
}
MAX_CHIPS = 6  # what the learner said about themselves, newest kept
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def answer_markdown(text: str, answer: Answer | None = None) -> str:
    """An answer's text ready for ``st.markdown``: sanitized, citation markers as badges."""
    urls = [c.url for c in answer.citations] if answer else []
    return cite(sanitize_markdown(text, urls))


# --- conversation ------------------------------------------------------------------------------


def welcome(ready: bool = True) -> None:
    """Starter questions in three groups; one click asks. Greyed out until Mentor is ``ready``."""
    style.keep_in_view("title")
    st.markdown("##### Not sure where to start? Pick a question:")
    if not ready:
        st.caption("Loading the knowledge base… the questions below work in a moment.")
    for column, (group, questions) in zip(st.columns(3), STARTERS.items(), strict=True):
        column.markdown(f"**{group}**")
        for question in questions:
            column.button(
                question,
                key=f"starter-{question}" if ready else f"loading-{question}",
                on_click=ask_next,
                args=(question,),
                width="stretch",
                wrap=True,
                disabled=not ready,
            )


def ask_next(question: str) -> None:
    """Ask ``question`` on the next run, as if typed (starters, a refusal's topics)."""
    st.session_state.starter = question


def show_message(message: dict[str, Any], store: FeedbackStore, mentor: Mentor) -> None:
    """Draw one turn of the history: the question, or the answer with its sources."""
    with st.chat_message(message["role"]):
        answer = message.get("answer")
        if answer is None:
            st.markdown(sanitize_markdown(message["content"]))
        else:
            _answer_body(message)
            _answer_details(message, store, mentor)


def ask(mentor: Mentor, question: str, settings: Settings, store: FeedbackStore) -> None:
    """Stream the answer to ``question`` under the history, then its sources and feedback.

    ``settings`` carries this session's answer mode and number of passages; what the learner
    said about themselves before (:func:`profile`) is handed to Mentor with the question.
    """
    messages = st.session_state.messages
    history = [{"role": m["role"], "content": m["content"]} for m in messages]
    said = list(profile())
    show_message({"role": "user", "content": question}, store, mentor)
    with st.chat_message("assistant"):
        style.keep_in_view()
        box, final = st.empty(), []
        try:
            with box:
                pieces = mentor.stream(question, history, k=settings.top_k, mode=settings.answer_mode, profile=said)
                st.write_stream(_display_pieces(pieces, final))
        except MentorError as exc:
            box.error(str(exc))
            return
        answer = final[-1]
        message = {"id": uuid.uuid4().hex, "role": "assistant", "content": answer.text, "answer": answer}
        messages.extend([{"role": "user", "content": question}, message])
        if answer.mode == "refusal":  # a gap in the guide even if nobody rates it
            _record(store, message)
        with box.container():
            _answer_body(message)
        _answer_details(message, store, mentor)


def _display_pieces(stream: Iterable[str | Answer], final: list[Answer]) -> Iterator[str]:
    """Sanitized markdown a paragraph at a time (links never straddle a paragraph break)."""
    buffer = ""
    for piece in stream:
        if isinstance(piece, Answer):
            final.append(piece)
            continue
        buffer += piece
        head, sep, tail = buffer.rpartition("\n\n")
        if sep and head.count("```") % 2 == 0:
            yield answer_markdown(head) + sep
            buffer = tail
    if buffer:
        yield answer_markdown(buffer)


def _answer_body(message: dict[str, Any]) -> None:
    """The answer's text; a refusal's nearest topics become buttons that ask about them."""
    answer: Answer = message["answer"]
    if answer.mode != "refusal" or not answer.related:
        st.markdown(answer_markdown(answer.text, answer))
        return
    said = [s for s in _SENTENCE_END.split(answer.text) if not all(topic in s for topic in answer.related)]
    st.markdown(answer_markdown(" ".join(said)))
    st.caption("It does cover these nearby topics. Ask about one:")
    with st.container(horizontal=True, gap="small"):
        for n, topic in enumerate(answer.related):
            st.button(
                escape(topic),
                key=f"topic-{message['id']}-{n}",
                icon=":material/arrow_forward:",
                on_click=ask_next,
                args=(f"Tell me about {topic}",),
            )


def _answer_details(message: dict[str, Any], store: FeedbackStore, mentor: Mentor) -> None:
    answer: Answer = message["answer"]
    if answer.mode == "smalltalk":
        return
    for note in answer.notes:
        st.caption(escape(note))
    if not answer.grounded and answer.mode != "refusal":  # a refusal already says so, and why
        st.info("This answer stands on no passage of the knowledge base: check it before you rely on it.", icon="📚")
    if answer.citations:
        sources.citations_row(answer, message["id"], mentor)
    _feedback(message, store)


def _feedback(message: dict[str, Any], store: FeedbackStore) -> None:
    key = message["id"]
    with st.container(horizontal=True, vertical_alignment="center"):
        st.feedback("thumbs", key=f"rating-{key}", on_change=_save_feedback, args=(message, store))
        if st.session_state.get(f"rating-{key}") is not None:
            with st.popover("Add a comment", type="tertiary"):
                st.text_input(
                    "What was missing or wrong?",
                    key=f"comment-{key}",
                    max_chars=MAX_COMMENT_CHARS,
                    on_change=_save_feedback,
                    args=(message, store),
                )
    if problem := st.session_state.pop(f"feedback-error-{key}", None):
        st.error(escape(problem))


def _save_feedback(message: dict[str, Any], store: FeedbackStore) -> None:
    value = st.session_state.get(f"rating-{message['id']}")
    _record(store, message, rating=None if value is None else (1 if value else -1))


def _record(store: FeedbackStore, message: dict[str, Any], rating: int | None = None) -> None:
    """Store an answer with this session's rating and comment; a refusal (comment too long, store
    full) is shown under the answer and changes nothing."""
    key = message["id"]
    try:
        store.record_answer(
            message["answer"], rating=rating, comment=st.session_state.get(f"comment-{key}") or "", key=key
        )
    except MentorError as exc:
        st.session_state[f"feedback-error-{key}"] = str(exc)


# --- what the learner said about themselves ----------------------------------------------------


def profile() -> list[str]:
    """What the learner has said about themselves in this session ("I have no GPU"), oldest first.

    Kept in the session only; removing a chip forgets it.
    """
    return st.session_state.setdefault("profile", [])


def remember(question: str) -> None:
    """Add the first-person statements of ``question`` to :func:`profile` (the newest kept)."""
    said = profile()
    for statement in about_learner(question):
        if statement.lower() not in (s.lower() for s in said):
            said.append(statement)
    del said[:-MAX_CHIPS]


def profile_chips() -> None:
    """The learner's statements as chips; a click on one forgets it."""
    said = profile()
    if not said:
        return
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key="profile"):
        st.caption(
            "Mentor keeps in mind:", help="What you said about yourself; it stays in this chat.", width="content"
        )
        for n, statement in enumerate(said):
            st.button(
                escape(statement),
                key=f"chip-{n}-{statement}",
                icon=":material/close:",
                icon_position="right",
                type="secondary",
                help="Forget this",
                on_click=_forget,
                args=(statement,),
            )


def _forget(statement: str) -> None:
    said = profile()
    if statement in said:
        said.remove(statement)


# --- the conversation as a whole ---------------------------------------------------------------


def new_chat() -> None:
    """Forget the conversation and what the learner said (the feedback already given stays stored)."""
    st.session_state.messages = []
    st.session_state.profile = []


def conversation_markdown(messages: list[dict[str, Any]]) -> str:
    """The conversation as a markdown document: each question, answer and its numbered sources."""
    lines = ["# Conversation with Mentor", ""]
    for message in messages:
        answer = message.get("answer")
        if answer is None:
            lines += [f"## {' '.join(message['content'].split())}", ""]
            continue
        lines += [message["content"], ""]
        if answer.citations:
            lines += ["Sources:", ""]
            lines += [
                f"- [{c.n}] {c.title}" + (f" — {c.section}" if c.section != c.title else "") + f" ({c.url or c.anchor})"
                for c in answer.citations
            ]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def conversation_actions(messages: list[dict[str, Any]]) -> None:
    """New chat and the transcript download."""
    st.button("New chat", icon=":material/add_comment:", on_click=new_chat, width="stretch")
    st.download_button(
        "Download conversation",
        conversation_markdown(messages),
        file_name="mentor-conversation.md",
        mime="text/markdown",
        icon=":material/download:",
        on_click="ignore",
        disabled=not messages,
        width="stretch",
    )
    st.caption("Unanswered questions and your ratings are kept locally to improve the guide.")
