"""How ``mentor ui`` starts the chat: whether the port is free, Streamlit's flags and environment.

Nothing leaves the machine at start-up (no usage statistics, no look-up of this machine's
addresses), learners never see a traceback, an upload is no larger than ``max_file_mb`` (and
there is none when the chat offers no uploader), and a proxy's forwarded address is believed
only from the ``trusted_proxies``.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import sys

from assistant.paths import CHAT_PAGE
from assistant.settings import ENV_PREFIX, Settings
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


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def streamlit_command(settings: Settings, host: str, port: int) -> list[str]:
    """The ``python -m streamlit run`` command line that serves the chat on ``host:port``."""
    uploads = not settings.read_only or bool(settings.admin_token)  # whether any session gets an uploader
    # Streamlit looks up this machine's addresses (a UDP socket toward 8.8.8.8, an HTTP request to
    # checkip.amazonaws.com) to print them, unless told the address to show.
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    flags = {
        "server.address": host,
        "server.port": port,
        "server.headless": "true",
        "server.maxUploadSize": math.ceil(settings.max_file_mb) if uploads else 0,
        "server.fileWatcherType": "none",
        "browser.serverAddress": shown,
        "browser.gatherUsageStats": "false",
        "client.toolbarMode": "minimal",
        "client.showErrorDetails": "none",
    }
    return [sys.executable, "-m", "streamlit", "run", str(CHAT_PAGE)] + [
        part for name, value in flags.items() for part in (f"--{name}", str(value))
    ]


def environment(settings: Settings, flags: dict[str, object], config: object | None) -> dict[str, str]:
    """What the chat's process needs in its environment: this command's flags (the chat builds
    its own Settings from it) and the proxies the server may believe (uvicorn's FORWARDED_ALLOW_IPS,
    which otherwise trusts any process on this machine)."""
    env = {f"{ENV_PREFIX}{name.upper()}": str(value) for name, value in flags.items() if value is not None}
    if config is not None:
        env[f"{ENV_PREFIX}CONFIG"] = str(config)
    if settings.read_only:
        env[f"{ENV_PREFIX}READ_ONLY"] = "true"
    env["FORWARDED_ALLOW_IPS"] = ",".join(settings.trusted_proxies)
    return env
