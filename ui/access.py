"""Who may change the knowledge base from the chat: everyone locally, only an admin when served.

Learners ask, read sources, rate answers and download their conversation. Changing what
everyone is told (upload, re-ingest) needs: nothing, on a private machine; the admin token,
when ``MENTOR_ADMIN_TOKEN`` is set; and is off altogether when the chat is ``read_only`` with
no token (``mentor ui --host`` on a non-loopback address starts it that way).
"""

from __future__ import annotations

import hmac
import time

import streamlit as st

from assistant import Settings

MAX_ATTEMPTS = 5  # wrong tokens per session per WINDOW seconds
WINDOW = 60.0
MAX_QUESTIONS = 20  # questions per session per WINDOW seconds
_ATTEMPTS, _QUESTIONS, _ADMIN = "admin_attempts", "question_times", "admin"


def may_change(settings: Settings) -> bool:
    """Whether this session may upload and re-ingest; asks for the admin token when one is set."""
    if not settings.admin_token:
        return not settings.read_only
    if st.session_state.get(_ADMIN):
        return True
    with st.expander("Admin", icon=":material/lock:"):
        token = st.text_input("Admin token", type="password", key="admin_token_input")
        if st.button("Unlock", key="admin_unlock") and token:
            attempts = _recent(_ATTEMPTS)
            if len(attempts) >= MAX_ATTEMPTS:
                st.error(f"Too many attempts: wait a minute (at most {MAX_ATTEMPTS} a minute).")
            elif hmac.compare_digest(token.encode(), settings.admin_token.encode()):
                st.session_state[_ADMIN] = True
                st.session_state.pop("admin_token_input", None)
                st.rerun()
            else:
                attempts.append(time.monotonic())
                st.error("That is not the admin token.")
    return False


def question_allowed() -> bool:
    """Count a question against this session's rate limit; False (with a message) when over it."""
    times = _recent(_QUESTIONS)
    if len(times) >= MAX_QUESTIONS:
        st.warning(f"You have asked {MAX_QUESTIONS} questions in the last minute; wait a moment and ask again.")
        return False
    times.append(time.monotonic())
    return True


def _recent(key: str) -> list[float]:
    """This session's timestamps under ``key`` within the last WINDOW seconds (kept in place)."""
    now = time.monotonic()
    times = [t for t in st.session_state.get(key, []) if now - t < WINDOW]
    st.session_state[key] = times
    return times
