"""Watch the knowledge folder and report settled changes (``mentor ingest --watch``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

Snapshot = dict[Path, tuple[int, int]]


def snapshot(folder: Path) -> Snapshot:
    """Every file under ``folder`` with its modification time and size."""
    state: Snapshot = {}
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                stat = path.stat()
                state[path] = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            continue  # deleted while we looked
    return state


def changes(
    folder: Path, *, interval: float = 1.0, settle: float = 1.5, sleep: Callable[[float], None] = time.sleep
) -> Iterator[set[Path]]:
    """Yield the set of changed paths each time the folder changes and then stays quiet.

    Waiting for ``settle`` seconds of quiet debounces editors that save in several steps.
    """
    last = snapshot(folder)
    while True:
        sleep(interval)
        current = snapshot(folder)
        if current == last:
            continue
        changed = {p for p in current.keys() | last.keys() if current.get(p) != last.get(p)}
        while True:  # wait until the writes stop
            sleep(settle)
            settled = snapshot(folder)
            if settled == current:
                break
            changed |= {p for p in settled.keys() | current.keys() if settled.get(p) != current.get(p)}
            current = settled
        last = current
        yield changed
