"""Who may change the knowledge base from the chat, and how often anyone may ask.

Learners ask, read sources, rate answers and download their conversation. Changing what
everyone is told (upload, re-ingest) needs: nothing, on a private machine; the admin token,
when ``MENTOR_ADMIN_TOKEN`` is set; and is off altogether when the chat is ``read_only`` with
no token (``mentor ui --host`` on a non-loopback address starts it that way).

Limits are kept per client address, in this process (:mod:`assistant.interfaces.limits`): a new session or
a cleared cache starts none afresh. The address is the connection's; a proxy's
``X-Forwarded-For`` counts only from a proxy named in the setting ``trusted_proxies``
(``mentor ui`` hands it to the server as ``FORWARDED_ALLOW_IPS``).
"""

from __future__ import annotations

import hmac
import logging
from functools import cache, lru_cache
from types import SimpleNamespace

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from assistant import Settings
from assistant.interfaces.limits import Lockout, RateLimit

MAX_ATTEMPTS = 5  # admin-token tries per client address per minute
LOCK_AFTER = 20  # wrong tokens from anywhere within COOL_DOWN seconds lock the token...
COOL_DOWN = 900.0  # ...for this long
_ADMIN = "admin"
_log = logging.getLogger("mentor.chat")
_UPLOADERS: set[str] = set()  # the sessions shown an uploader


def uploader_shown() -> None:
    """Note that this session is shown an uploader: only such sessions may upload files."""
    if ctx := get_script_run_ctx():
        _UPLOADERS.add(ctx.session_id)


@cache
def guard_uploads() -> None:
    """Make Streamlit's upload endpoint refuse files from sessions shown no uploader (once per process).

    Streamlit takes a file from any session and holds it in memory until the session ends.
    """
    from starlette.exceptions import HTTPException

    if not runtime.exists():  # no server (Streamlit's AppTest): no upload endpoint either
        return
    manager = runtime.get_instance().uploaded_file_mgr
    add = manager.add_file

    def add_file(session_id: str, file: object) -> None:
        if session_id not in _UPLOADERS:
            raise HTTPException(status_code=403, detail="This session has no uploader.")
        add(session_id, file)

    manager.add_file = add_file


def client() -> str:
    """The client's address as the server sees it (``loopback`` on this machine, and with no
    server, under Streamlit's AppTest)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "loopback"


def may_change(settings: Settings) -> bool:
    """Whether this session may upload and re-ingest; asks for the admin token when one is set."""
    if not settings.admin_token:
        return not settings.read_only
    if st.session_state.get(_ADMIN):
        return True
    with st.expander("Admin", icon=":material/lock:"):
        token = st.text_input("Admin token", type="password", key="admin_token_input")
        if st.button("Unlock", key="admin_unlock") and token:
            limits = _limits(settings)
            if limits.lockout.locked():
                st.error(
                    f"The admin token is locked after {LOCK_AFTER} wrong tries; try again in {COOL_DOWN / 60:.0f} min."
                )
            elif not limits.tokens.allow(client()):
                st.error(f"Too many attempts: wait a minute (at most {MAX_ATTEMPTS} a minute).")
            elif hmac.compare_digest(token.encode(), settings.admin_token.encode()):
                st.session_state[_ADMIN] = True
                st.session_state.pop("admin_token_input", None)
                st.rerun()
            else:
                limits.lockout.fail()
                _log.warning("wrong admin token from %s", client())  # never the token itself
                st.error("That is not the admin token.")
    return False


def question_allowed(settings: Settings) -> bool:
    """Count a question against this client's rate limit; False (with a message) when over it."""
    if _limits(settings).questions.allow(client()):
        return True
    st.warning(
        f"You have asked {settings.questions_per_minute} questions in the last minute; wait a moment and ask again."
    )
    return False


@lru_cache(maxsize=1)  # the chat's settings do not change while it runs
def _limits(settings: Settings) -> SimpleNamespace:
    return SimpleNamespace(
        questions=RateLimit(settings.questions_per_minute),
        tokens=RateLimit(MAX_ATTEMPTS),
        lockout=Lockout(LOCK_AFTER, COOL_DOWN),
    )
