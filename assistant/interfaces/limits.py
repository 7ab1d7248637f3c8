"""Limits a served chat keeps per client address and for everyone: how often, how many failures.

They live in the chat process, outside anything a session can clear (its state, Streamlit's
caches), and are shared by every session from one address.

Example:
    >>> questions = RateLimit(2, window=60.0)
    >>> [questions.allow("10.0.0.7", now=t) for t in (0.0, 1.0, 2.0)]
    [True, True, False]
"""

from __future__ import annotations

import threading
import time

MAX_CLIENTS = 10_000  # addresses remembered at once; the oldest are forgotten first


class RateLimit:
    """At most ``limit`` events per ``window`` seconds for each key (a client address)."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._times: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count one event for ``key`` and say whether it is within the limit (a refused one is not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = [t for t in self._times.pop(key, []) if now - t < self.window]
            allowed = len(times) < self.limit
            times += [now] if allowed else []
            self._times[key] = times  # re-inserted: the dict's order is least recently seen first
            while len(self._times) > MAX_CLIENTS:
                del self._times[next(iter(self._times))]
            return allowed

    def spent(self, key: str, now: float | None = None) -> bool:
        """Whether ``key`` has used its ``limit`` within the window, without counting anything."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return sum(1 for t in self._times.get(key, []) if now - t < self.window) >= self.limit


class Lockout:
    """Locked for ``cool_down`` seconds once ``failures`` failures, from anyone, fall within it."""

    def __init__(self, failures: int, cool_down: float) -> None:
        self._failures = RateLimit(failures, cool_down)
        self.cool_down = cool_down
        self._until = 0.0
        self._lock = threading.Lock()

    def locked(self, now: float | None = None) -> bool:
        """Whether the lock is on now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return now < self._until

    def fail(self, now: float | None = None) -> None:
        """Count one failure; the one that reaches the limit starts the cool-down."""
        now = time.monotonic() if now is None else now
        if not self._failures.allow("", now) or self._failures.spent("", now):
            with self._lock:
                self._until = now + self.cool_down
