"""Issue #35's findings against a real ``mentor ui`` on 127.0.0.1, driven as a hostile client
drives it: over Streamlit's own websocket, many sessions, forged widget values, forwarded-for
headers, a cache clear, uploads by hand. Nothing is contacted but loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import servers
from chat_client import ChatSession, chat, click, text
from streamlit.proto.WidgetStates_pb2 import WidgetState

pytestmark = pytest.mark.slow

TOKEN = "s3cret-admin-token"
# Small talk: counted like any question, answered at once, so that a run of them stays well
# within the limits' minute even on a busy machine.
QUESTION = "Hello"
ASK = "Ask about careers, tools or problems…"
# Imported by every Python process of the server: refuses, and writes down, any look-up or
# connection beyond this machine, so that nothing leaves it even when the code under test tries.
LOOPBACK_ONLY = """
import ipaddress, os, sys

def _local(host):
    host = str(host).split("%")[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host in ("", "localhost")
    return address.is_loopback or address.is_unspecified

def _hook(event, args):
    if event == "socket.getaddrinfo":
        host = args[0]
    elif event in ("socket.connect", "socket.sendto"):
        host = args[1][0] if isinstance(args[1], tuple) else ""
    else:
        return
    if host is not None and not _local(host.decode() if isinstance(host, bytes) else host):
        with open(os.environ["NETWORK_LOG"], "a") as log:
            log.write(f"{event} {host}\\n")
        raise PermissionError(f"{host}: beyond this machine (the test forbids it)")

sys.addaudithook(_hook)
"""


def _knowledge(root: Path) -> Path:
    (root / "notes").mkdir(parents=True)
    (root / "sources.toml").write_text('[[source]]\nglob = "notes/*.md"\n')
    (root / "notes" / "colab.md").write_text(
        "# Google Colab\n\n## Free GPU\n\nColab gives free GPU access for experiments.\n\n"
        "## Pitfalls\n\nSessions disconnect; save your work to Drive.\n"
    )
    return root / "sources.toml"


def _serve(root: Path, model_cache: Path, *args: str, **env: str) -> tuple[subprocess.Popen, str]:
    """``mentor ui ARGS`` over a small knowledge base in ``root``, with ``env``; ready."""
    port = servers.free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MENTOR_")} | {
        "MENTOR_DATA_DIR": str(root / "data"),
        "MENTOR_MANIFEST": str(_knowledge(root / "kb")),
        "MENTOR_MODEL_CACHE": str(model_cache),
        **env,
    }
    command = [sys.executable, "-m", "assistant", "ui", "--port", str(port), *args]
    url = f"http://127.0.0.1:{port}"
    ready = servers.start(
        command, f"{url}/_stcore/health", lambda r: r.text == "ok", root / "ui.log", timeout=600, cwd=root, env=environ
    )
    return ready, url


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, model_cache: Path, embedder) -> Iterator[tuple[str, Path]]:
    """A chat served with an admin token, two questions a minute, and 127.0.0.1 trusted as a proxy."""
    root = tmp_path_factory.mktemp("served")
    server, url = _serve(
        root,
        model_cache,
        MENTOR_ADMIN_TOKEN=TOKEN,
        MENTOR_QUESTIONS_PER_MINUTE="2",
        MENTOR_TRUSTED_PROXIES="127.0.0.1",
        MENTOR_MAX_FILE_MB="1",
    )
    yield url, root / "ui.log"
    servers.stop(server)


def _from(address: str) -> dict[str, str]:
    """Headers of a client that a proxy forwarded from ``address``."""
    return {"X-Forwarded-For": address}


def _ask(session: ChatSession, question: str = QUESTION) -> list[str]:
    return session.run(chat(session.widget("chat_input", ASK), question)).texts()


def _waits(texts: list[str]) -> bool:
    return any("wait a moment and ask again" in t for t in texts)


# --- 1. nothing one session can break for all ---------------------------------------------------


def test_a_clear_cache_message_neither_reloads_the_knowledge_base_nor_frees_the_limits(served) -> None:
    url, log = served
    with ChatSession(url, _from("10.0.1.1")) as session:
        session.run()
        assert not _waits(_ask(session)) and not _waits(_ask(session))
        session.clear_cache()
        session.run()
        assert log.read_text(errors="replace").count("the chat loaded the knowledge base") == 1
        assert _waits(_ask(session))


# --- 2. limits per client -----------------------------------------------------------------------


def test_new_sessions_from_one_address_share_its_question_limit(served) -> None:
    url, _ = served
    asked = []
    for _ in range(3):
        with ChatSession(url, _from("10.0.2.1")) as session:
            asked.append(_waits(_ask(session.run())))
    assert asked == [False, False, True]
    with ChatSession(url, _from("10.0.2.2")) as other:  # another client is not held up
        assert not _waits(_ask(other.run()))


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(tmp_path: Path, model_cache: Path, embedder) -> None:
    server, url = _serve(tmp_path, model_cache, MENTOR_QUESTIONS_PER_MINUTE="1", MENTOR_READ_ONLY="true")
    try:
        waited = []
        for address in ("10.0.3.1", "10.0.3.2"):
            with ChatSession(url, _from(address)) as session:
                waited.append(_waits(_ask(session.run())))
        assert waited == [False, True]  # both came from 127.0.0.1, whatever they claimed
        # Read-only with no admin token: no session has an uploader, and the server takes no file.
        with ChatSession(url) as session:
            assert _upload(url, session.run().session_id, b"# Notes\n").status_code in (403, 413)
    finally:
        servers.stop(server)


# --- 3. bounded writes: uploads -----------------------------------------------------------------


def _upload(url: str, session_id: str, data: bytes) -> httpx.Response:
    """PUT a file to Streamlit's upload endpoint for ``session_id``, as its uploader would."""
    with httpx.Client(trust_env=False, timeout=120) as http:
        xsrf = http.get(f"{url}/_stcore/health").cookies.get("_streamlit_xsrf", "")
        return http.put(
            f"{url}/_stcore/upload_file/{session_id}/forged-file-id",
            files={"file": ("notes.md", data, "text/markdown")},
            headers={"X-Xsrftoken": xsrf},
        )


def test_uploads_are_taken_only_from_a_session_shown_an_uploader_and_only_up_to_max_file_mb(served) -> None:
    url, _ = served
    with ChatSession(url, _from("10.0.4.1")) as learner:
        assert _upload(url, learner.run().session_id, b"# Notes\n").status_code == 403
    with ChatSession(url, _from("10.0.4.2")) as admin:
        admin.run()
        admin.run(text(admin.widget("text_input", "Admin token"), TOKEN), click(admin.widget("button", "Unlock")))
        admin.run()
        assert admin.widget("file_uploader", "Add a document")
        assert _upload(url, admin.session_id, b"# Notes\n\nSmall.\n").status_code in (200, 204)
        assert _upload(url, admin.session_id, b"x" * 2_000_000).status_code == 413  # max_file_mb is 1


# --- 6. low: no traceback -------------------------------------------------------------------------


def test_a_forged_widget_value_shows_a_short_error_and_no_traceback(served) -> None:
    url, _ = served
    with ChatSession(url, _from("10.0.5.1")) as session:
        mode = session.run().widget("selectbox", "Answer mode")
        shown = session.run(WidgetState(id=mode, int_value=99)).messages  # there are three modes
    errors = [m.delta.new_element.exception for m in shown if m.delta.new_element.WhichOneof("type") == "exception"]
    assert errors and all(not e.stack_trace and "redacted" in e.message for e in errors)
    drawn = "\n".join(str(m.delta) for m in shown if m.WhichOneof("type") == "delta")
    assert "Traceback" not in drawn and ".py" not in drawn


# --- 2. admin tokens: per address, then locked for all (last: it locks the token) -----------------


def test_wrong_admin_tokens_are_limited_per_address_then_lock_the_token_for_everyone(served) -> None:
    url, log = served

    def unlock(address: str, tokens: list[str]) -> list[str]:
        """Try each token from its own new session, all at once (well within the limit's minute);
        what each was told."""
        with ExitStack() as stack:
            sessions = [stack.enter_context(ChatSession(url, _from(address))).run() for _ in tokens]
            box, button = sessions[0].widget("text_input", "Admin token"), sessions[0].widget("button", "Unlock")
            with ThreadPoolExecutor(len(tokens)) as pool:
                runs = pool.map(lambda s, t: s.run(text(box, t), click(button)).texts(), sessions, tokens)
                return [_told(texts) for texts in runs]

    for n in range(1, 5):  # six sessions from each address: five tries a minute, whichever session
        told = unlock(f"10.0.6.{n}", [f"guess-{n}-{k}" for k in range(6)])
        refused = [outcome for outcome in told if outcome != "wrong"]
        # The last address's sixth try may come after its fifth wrong one has locked the token.
        assert len(refused) == 1 and refused[0] in ({"too many"} if n < 4 else {"too many", "locked"}), told
    assert unlock("10.0.6.9", [TOKEN]) == ["locked"]  # twenty wrong tokens lock it for everyone
    written = log.read_text(errors="replace")
    assert written.count("wrong admin token from 10.0.6.1") == 5 and "guess-" not in written


def _told(texts: list[str]) -> str:
    """What an Unlock press was told: wrong, too many, locked (or unlocked)."""
    for fragment, outcome in (
        ("not the admin token", "wrong"),
        ("Too many attempts", "too many"),
        ("locked", "locked"),
    ):
        if any(fragment in t for t in texts):
            return outcome
    return "unlocked"


# --- 5. quiet: nothing leaves the machine at start-up -------------------------------------------


def test_mentor_ui_on_every_address_looks_up_nothing_beyond_this_machine(
    tmp_path: Path, model_cache: Path, embedder
) -> None:
    (tmp_path / "hook").mkdir()
    (tmp_path / "hook" / "sitecustomize.py").write_text(LOOPBACK_ONLY)
    network_log = tmp_path / "network.log"
    server, url = _serve(
        tmp_path,
        model_cache,
        "--host",
        "0.0.0.0",
        PYTHONPATH=os.pathsep.join([str(tmp_path / "hook"), os.environ.get("PYTHONPATH", "")]),
        NETWORK_LOG=str(network_log),
    )
    try:
        with ChatSession(url) as session:
            assert any("Chunks" in str(m) for m in session.run().messages)
    finally:
        servers.stop(server)
    assert not network_log.exists(), network_log.read_text()
