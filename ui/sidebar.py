"""The chat's sidebar: what the store holds, re-ingest and upload, the sources, answer settings.

Text from sources and reports is escaped before it is shown (see :mod:`safe_markdown`).
"""

from __future__ import annotations

import access
import streamlit as st
from safe_markdown import escape

from assistant import IngestReport, Mentor, MentorError, Settings
from assistant.settings import ANSWER_MODES
from assistant.store.catalog import UPLOAD_SUFFIXES, UPLOADS

UPLOAD_TYPES = [suffix.lstrip(".") for suffix in UPLOAD_SUFFIXES]
MAX_PASSAGES = 10


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, in the plural unless it is one: "1 chunk", "2 chunks"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


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
                    done / total if total else 1.0, text=f"{label.capitalize()} {done}/{plural(total, 'chunk')}"
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
            line = f"{escape(row['source'])} · {plural(row['chunks'], 'chunk')}"
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
