"""The single-writer lock and the ingest journal, both in the data directory."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingest.errors import StoreError

LOCK_NAME = "ingest.lock"
JOURNAL_NAME = "ingest-journal.jsonl"


@contextmanager
def writer_lock(data_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the data directory's writer lock, waiting up to ``wait`` seconds for it, or fail
    naming the holder's pid.

    Raises:
        StoreError: another writer (process or thread) holds the lock.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    handle = path.open("a+")
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreError(f"another ingest is running (pid {holder}) on {data_dir}; wait for it to finish") from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def record(data_dir: Path, event: str, ingest_id: str, **details: Any) -> None:
    """Append one event (``start``, ``finish``, ``fail``) to the journal, flushed to disk."""
    data_dir.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {"event": event, "ingest_id": ingest_id, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **details}
    )
    with (data_dir / JOURNAL_NAME).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def unfinished(data_dir: Path) -> str | None:
    """The id of an ingest that started and never finished (it was killed), if the last one was."""
    path = data_dir / JOURNAL_NAME
    if not path.exists():
        return None
    last: dict[str, Any] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            last = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
    return last.get("ingest_id") if last.get("event") == "start" else None
