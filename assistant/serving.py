"""Serving the chat: whether a port is free for it, and the ``streamlit run`` command that serves it."""

from __future__ import annotations

import ipaddress
import socket
import sys

from assistant.paths import CHAT_PAGE
from ingest.errors import MentorError


def check_port(host: str, port: int) -> None:
    """Refuse ``host:port`` when another socket listens on it (checked before the chat starts).

    The probe binds with ``SO_REUSEADDR``, as Streamlit's own server does: connections of a chat
    stopped a moment ago, still in TIME-WAIT, do not block it, while a listening socket does.

    Raises:
        MentorError: the port is taken or the address is not this machine's; says what to do.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise MentorError(
                f"--port {port}: cannot serve on {host}:{port} ({exc.strerror}); choose another port"
            ) from None


def is_local(host: str) -> bool:
    """Whether ``host`` serves this machine alone (loopback)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def streamlit_argv(host: str, port: int) -> list[str]:
    """The command line that serves the chat page on ``host:port``, headless."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(CHAT_PAGE),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
