"""What the chat page draws: messages, source cards, sidebar panels, the transcript.

Nothing here is passed to Streamlit as HTML. Text from documents, answers and users goes
through :func:`safe_markdown.sanitize_markdown`, which keeps only web links and the cited
sources' images.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

import access
import streamlit as st
from safe_markdown import cite, escape, is_web, sanitize_markdown

from assistant import Answer, Citation, IngestReport, Mentor, MentorError, Settings
from assistant.catalog import UPLOAD_SUFFIXES, UPLOADS
from assistant.feedback import MAX_COMMENT_CHARS, FeedbackStore
from assistant.settings import ANSWER_MODES

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
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in UPLOAD_SUFFIXES]
MAX_PASSAGES = 10


def answer_markdown(text: str, answer: Answer | None = None) -> str:
    """An answer's text ready for ``st.markdown``: sanitized, citation markers as badges."""
    urls = [c.url for c in answer.citations] if answer else []
    return cite(sanitize_markdown(text, urls))


# --- conversation ------------------------------------------------------------------------------


def welcome() -> None:
    """Starter questions in three groups; one click asks."""
    st.markdown("##### Not sure where to start? Pick a question:")
    for column, (group, questions) in zip(st.columns(3), STARTERS.items(), strict=True):
        column.markdown(f"**{group}**")
        for question in questions:
            column.button(
                question, key=f"starter-{question}", on_click=_start, args=(question,), width="stretch", wrap=True
            )


def _start(question: str) -> None:
    st.session_state.starter = question


def show_message(message: dict[str, Any], store: FeedbackStore) -> None:
    """Draw one turn of the history: the question, or the answer with its sources."""
    with st.chat_message(message["role"]):
        answer = message.get("answer")
        if answer is None:
            st.markdown(sanitize_markdown(message["content"]))
        else:
            st.markdown(answer_markdown(message["content"], answer))
            _answer_details(message, store)


def ask(mentor: Mentor, question: str, settings: Settings, store: FeedbackStore) -> None:
    """Stream the answer to ``question`` under the history, then its sources and feedback.

    ``settings`` carries this session's answer mode and number of passages.
    """
    messages = st.session_state.messages
    history = [{"role": m["role"], "content": m["content"]} for m in messages]
    show_message({"role": "user", "content": question}, store)
    with st.chat_message("assistant"):
        box, final = st.empty(), []
        try:
            with box:
                pieces = mentor.stream(question, history, k=settings.top_k, mode=settings.answer_mode)
                st.write_stream(_display_pieces(pieces, final))
        except MentorError as exc:
            box.error(str(exc))
            return
        answer = final[-1]
        message = {"id": uuid.uuid4().hex, "role": "assistant", "content": answer.text, "answer": answer}
        messages.extend([{"role": "user", "content": question}, message])
        if answer.mode == "refusal":  # a gap in the guide even if nobody rates it
            _record(store, message)
        box.markdown(answer_markdown(answer.text, answer))
        _answer_details(message, store)


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


def _answer_details(message: dict[str, Any], store: FeedbackStore) -> None:
    answer: Answer = message["answer"]
    if answer.mode == "smalltalk":
        return
    for note in answer.notes:
        st.caption(escape(note))
    if not answer.grounded and answer.mode != "refusal":  # a refusal already says so, and why
        st.info("This answer stands on no passage of the knowledge base: check it before you rely on it.", icon="📚")
    for citation in answer.citations:
        source_card(citation)
    _feedback(message, store)


def source_card(citation: Citation) -> None:
    """Number, title, section, relevance, a link to the section and the passage (collapsed)."""
    with st.container(border=True):
        title = escape(citation.title)
        url = quote(citation.url, safe=":/?#@!$&'*+,;=%")
        link = f"[{title}]({url})" if is_web(url) else f"**{title}**"
        section = "" if citation.section in ("", citation.title) else f" · {escape(citation.section)}"
        st.markdown(f":blue-badge[{citation.n}] {link}{section}")
        where = citation.anchor.replace("`", "")
        fetched = f" · fetched {citation.fetched_at[:10]}" if citation.fetched_at else ""
        st.caption(f"relevance {citation.score:.2f}" + (f" · `{where}`" if where else "") + fetched)
        with st.expander("Passage"):
            st.markdown(sanitize_markdown(citation.text, [citation.url]))


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


def new_chat() -> None:
    """Forget the conversation (the feedback already given stays stored)."""
    st.session_state.messages = []


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


# --- sidebar -----------------------------------------------------------------------------------


def index_status(mentor: Mentor) -> None:
    """What the store holds: sources, chunks, model and the last ingest."""
    try:
        stats = mentor.stats()
    except MentorError as exc:
        st.error(str(exc))
        return
    sources, chunks = st.columns(2)
    sources.metric("Sources", stats["sources"])
    chunks.metric("Chunks", stats["chunks"])
    last = str(stats["last_ingest"]).replace("T", " ").replace("Z", " UTC") or "never"
    st.caption(f"Model `{stats['model']}` · last ingest {last}")
    if not stats["chunks"]:
        st.warning("The knowledge base is empty: press **Re-ingest knowledge**.")


def ingest_controls(mentor: Mentor) -> None:
    """Re-ingest the manifest with a progress bar, and add an uploaded document."""
    if st.button("Re-ingest knowledge", icon=":material/sync:", width="stretch"):
        bar = st.progress(0.0, text="Reading sources…")
        try:
            report = mentor.ingest(
                progress=lambda done, total, label: bar.progress(
                    done / total if total else 1.0, text=f"{label.capitalize()} {done}/{total} chunks"
                )
            )
            st.session_state.ingest_result = (True, report_markdown(report))
        except MentorError as exc:
            st.session_state.ingest_result = (False, str(exc))
        st.rerun()  # redraw the index status with the new counts
    if "ingest_result" in st.session_state:
        ok, text = st.session_state.ingest_result
        (st.success if ok else st.error)(text)
    access.uploader_shown()
    upload = st.file_uploader(
        "Add a document",
        type=UPLOAD_TYPES,
        max_upload_size=max(1, round(mentor.settings.max_file_mb)),
        help="Checked, saved to the knowledge folder's uploads/ and ingested right away.",
    )
    if upload is not None:
        results = st.session_state.setdefault("uploads", {})
        if upload.file_id not in results:
            results[upload.file_id] = add_upload(mentor, upload.name, upload.getvalue())
            st.rerun()
        ok, text = results[upload.file_id]
        (st.success if ok else st.error)(text)


def source_controls(mentor: Mentor) -> None:
    """The sources in the store; those added by hand or uploaded can be removed here."""
    with st.expander("Sources", icon=":material/folder_open:"):
        try:
            rows = mentor.sources()
        except MentorError as exc:
            st.error(str(exc))
            return
        for n, row in enumerate(rows):
            line = f"`{escape(row['source'])}` · {row['chunks']} chunks"
            if row["last_error"]:
                line += f" · :red[{escape(row['last_error'])}]"
            removable = "(added)" in row["kind"] or row["source"].startswith(f"{UPLOADS}/")
            text, button = st.columns([4, 1]) if removable else (st.container(), None)
            text.markdown(line)
            if button and button.button(
                "", icon=":material/delete:", key=f"remove-{n}", help=f"Remove {row['source']} and its chunks"
            ):
                try:
                    st.session_state.ingest_result = (True, report_markdown(mentor.remove(row["source"])))
                except MentorError as exc:
                    st.session_state.ingest_result = (False, str(exc))
                st.rerun()


def report_markdown(report: IngestReport) -> str:
    """An ingest report for people: the one-line summary, then every source that changed."""
    lines = [report.summary()]
    for change in report.sources:
        if change.status != "unchanged":
            reason = f": {escape(change.reason)}" if change.reason else ""
            lines.append(f"- **{change.status}** {escape(change.source)}{reason}")
    return "\n".join(lines)


def add_upload(mentor: Mentor, name: str, data: bytes) -> tuple[bool, str]:
    """Add an uploaded document to the knowledge base; ``(ok, message)``. A refused one changes nothing."""
    try:
        source, report = mentor.add_document(name, data)
    except MentorError as exc:
        return False, escape(str(exc))
    return True, f"Added {escape(source.removeprefix(UPLOADS + '/'))}. {report.summary()}"


def answer_settings(mentor: Mentor) -> Settings:
    """Answer mode and number of passages, applied to a copy of the shared settings."""
    settings = mentor.settings
    mode = st.selectbox(
        "Answer mode",
        ANSWER_MODES,
        index=ANSWER_MODES.index(settings.answer_mode),
        help="auto picks the best available; extractive quotes the sources; "
        "llm writes with a chat model when one is configured.",
    )
    k = st.slider(
        "Passages per answer",
        1,
        MAX_PASSAGES,
        min(settings.top_k, MAX_PASSAGES),
        help="How many passages search hands the answer. An offline answer quotes the best two or "
        "three of them; a chat model reads them all.",
    )
    if mode == "llm" and not (settings.llm or mentor.chat_model):
        st.caption(
            "No chat model is configured: start Mentor with `--llm` or MENTOR_LLM (for example "
            "`ollama:llama3.2`, or `smollm2` after `make local-llm`) to have one write the answers."
        )
    return settings.replace(answer_mode=mode, top_k=k)


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
