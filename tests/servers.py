"""Start and stop real servers on loopback for tests (Streamlit, Chroma)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server of ``handler`` on 127.0.0.1, in a thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    command: list[str],
    health_url: str,
    ready: Callable[[httpx.Response], bool],
    log_path: Path,
    *,
    timeout: float = 300,  # only ends a wait that would never end: a loaded machine starts slowly
    **popen: object,
) -> subprocess.Popen:
    """Start ``command``, logging to ``log_path``, and wait until ``health_url`` is ``ready``.

    Fails the test (with the server's log) if it exits early or does not answer in time.
    """
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **popen)
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False, timeout=2) as http:  # loopback: never via a proxy
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"{command[0]} exited with {server.returncode}:\n{log_path.read_text(errors='replace')}")
            try:
                if ready(http.get(health_url)):
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.3)
    stop(server)
    pytest.fail(f"{health_url} did not answer in {timeout:.0f} s:\n{log_path.read_text(errors='replace')}")


def streamlit(script: Path, log_path: Path, *, cwd: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """``streamlit run script`` on loopback with ``env`` (and no other MENTOR_ setting), ready;
    the process and its URL."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MENTOR_")} | env
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1"]
    command += ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    server = start(command, f"{url}/_stcore/health", lambda r: r.text == "ok", log_path, cwd=cwd, env=environ)
    return server, url


def stop(process: subprocess.Popen) -> None:
    """Terminate ``process``, killing it if it does not exit within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
