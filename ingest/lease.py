"""The writer lease of a store on a Chroma server: one ingest at a time, from any machine.

The file lock in the data dir (``ingest.journal.writer_lock``) serialises ingests on one
machine; a team sharing one Chroma server writes from several. So the server itself holds the
lease, in the metadata of a small collection beside the store's: who holds it and until when.
An ingest takes a free or expired lease, reads it back to be sure it won, renews it while it
works, and frees it at the end; a crashed holder's lease simply expires.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from ingest.errors import StoreError

LEASE_SECONDS = 120.0  # an abandoned lease is free again after this
SETTLE_SECONDS = 0.2  # wait before reading back: a rival's write lands in between, or never


@contextmanager
def server_lease(client, collection: str, *, seconds: float = LEASE_SECONDS) -> Iterator[str]:
    """Hold the writer lease of ``collection`` on the server ``client`` talks to.

    Yields the holder's name (host, pid and a random part).

    Raises:
        StoreError: another ingest holds a lease that has not expired, named with its host and
            pid and when it expires.
    """
    name = f"{collection}-lease"
    client.get_or_create_collection(name, embedding_function=None)
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    _check_free(client, name, me, collection)
    _write(client, name, me, seconds)
    time.sleep(SETTLE_SECONDS)
    _check_free(client, name, me, collection)
    stop = threading.Event()
    renewer = threading.Thread(target=_renew, args=(client, name, me, seconds, stop), daemon=True)
    renewer.start()
    try:
        yield me
    finally:
        stop.set()
        renewer.join()
        if _holder(client, name)[0] == me:
            client.get_collection(name, embedding_function=None).modify(metadata={"holder": "-", "expires": 0.0})


def _check_free(client, name: str, me: str, collection: str) -> None:
    holder, expires = _holder(client, name)
    if holder not in ("", "-", me) and expires > time.time():
        host, pid, _ = (holder.split(":") + ["", ""])[:3]
        until = time.strftime("%H:%M:%S", time.localtime(expires))
        raise StoreError(
            f"another ingest is writing to {collection!r} on the Chroma server "
            f"(pid {pid} on {host}); wait for it to finish, or until {until} "
            "if it was stopped"
        )


def _holder(client, name: str) -> tuple[str, float]:
    """Who holds the lease and until when, read afresh from the server."""
    meta = client.get_collection(name, embedding_function=None).metadata or {}
    return str(meta.get("holder", "")), float(meta.get("expires", 0.0))


def _write(client, name: str, me: str, seconds: float) -> None:
    client.get_collection(name, embedding_function=None).modify(
        metadata={"holder": me, "expires": time.time() + seconds}
    )


def _renew(client, name: str, me: str, seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds / 3):
        if _holder(client, name)[0] == me:
            _write(client, name, me, seconds)
