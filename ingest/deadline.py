"""An httpx client whose every socket operation ends by the current fetch's deadline.

httpx's timeouts bound each operation (connect, one read, one write): a server that sends one
header byte just inside the read timeout holds a request forever. Here each operation's timeout
is cut to the time left before the deadline set with :func:`until`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

_DEADLINE: ContextVar[float | None] = ContextVar("fetch_deadline", default=None)


@contextmanager
def until(deadline: float) -> Iterator[None]:
    """Within the block, requests by a :func:`deadline_client` end by ``deadline`` (time.monotonic)."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def deadline_client(timeout: float) -> httpx.Client:
    """An ``httpx.Client`` with per-operation ``timeout`` whose operations also end by the deadline."""
    transport = httpx.HTTPTransport()
    pool = transport._pool  # httpx offers no other way to hand its pool a network backend
    pool._network_backend = _Backend(pool._network_backend)
    return httpx.Client(timeout=timeout, transport=transport)


def _bounded(timeout: float | None) -> float | None:
    """``timeout`` cut to the time left before the deadline; a timeout error once none is left."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.TimeoutException("the fetch's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, **options: Any) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_tcp(host, port, _bounded(timeout), **options))

    def connect_unix_socket(self, path: str, timeout: float | None = None, **options: Any) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _bounded(timeout), **options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)
