"""Server mode: a real Chroma server on loopback, re-ingested by one process while another reads."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import servers

from assistant import Mentor, Settings
from ingest import journal

pytestmark = pytest.mark.slow

START_TIMEOUT = 300  # seconds for `chroma run` to answer its heartbeat (a hang limit: busy machines are slow)
INGEST_TIMEOUT = 300  # seconds for the re-ingest subprocess (it loads torch and the model)
MAX_QUERIES = 200  # per reader thread
ROUNDS_AFTER = 2  # queries each reader makes once the re-ingest has finished
# Pauses between queries: slow while the subprocess starts (it imports torch), fast while it
# writes, so the bounded queries are spent where reads and writes overlap.
PAUSE = 0.5
PAUSE_WRITING = 0.1
NEW_SENTENCE = "Zebra-stripe datasets help calibration."


def _writing(data_dir: Path) -> bool:
    """Whether an ingest has started writing to the store and not yet finished."""
    return journal.unfinished(data_dir) is not None


def _close(client) -> None:
    """Close a chromadb ``HttpClient`` and its pooled connections.

    chromadb 1.5's ``close()`` leaves the httpx sessions of the client and of its admin client
    open, so their sockets would be reported unclosed by whichever later test collects them.
    """
    client.close()
    for api in (client._server, client._admin_client._server):
        api._session.close()


@pytest.fixture
def chroma_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A `chroma run` server on a free loopback port, its data in ``tmp_path``."""
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    server = servers.start(
        [
            str(Path(sys.executable).with_name("chroma")),
            "run",
            "--path",
            str(tmp_path / "chroma-server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        f"{url}/api/v2/heartbeat",
        lambda response: response.status_code == 200,
        tmp_path / "chroma.log",
        timeout=START_TIMEOUT,
    )
    request.addfinalizer(lambda: servers.stop(server))
    return url


def test_reads_keep_working_while_another_process_reingests(chroma_url, small_kb, tmp_path, embedder, request):
    data_dir = tmp_path / "data"
    manifest = small_kb / "sources.toml"
    mentor = Mentor(Settings(chroma_url=chroma_url, data_dir=data_dir, manifest=manifest), embedder=embedder)
    request.addfinalizer(lambda: _close(mentor.client))
    mentor.ingest()
    before = mentor.stats()
    assert before["sources"] == 3 and before["chroma_url"] == chroma_url
    assert not (data_dir / "chroma").exists()  # the chunks live on the server, not on disk

    note = small_kb / "notes" / "overfitting.md"
    note.write_text(note.read_text() + f"\n## Calibration\n\n{NEW_SENTENCE}\n")
    env = {
        **os.environ,
        "MENTOR_CHROMA_URL": chroma_url,
        "MENTOR_DATA_DIR": str(data_dir),
        "MENTOR_MANIFEST": str(manifest),
    }
    with (tmp_path / "ingest.out").open("w") as out, (tmp_path / "ingest.err").open("w") as err:
        ingest = subprocess.Popen(
            [sys.executable, "-m", "assistant", "ingest"], env=env, cwd=tmp_path, stdout=out, stderr=err
        )

    retriever = mentor.as_retriever(k=3)
    finished = threading.Event()
    sizes: list[int] = []
    versions: set[str] = set()
    failures: list[str] = []

    def read(question: str) -> None:
        rounds_after = 0
        for _ in range(MAX_QUERIES):
            if finished.is_set():
                if rounds_after == ROUNDS_AFTER:
                    return
                rounds_after += 1
            try:
                docs = retriever.invoke(question)
            except Exception as exc:  # any failure at all is what this test looks for
                failures.append(f"{question!r}: {exc!r}")
            else:
                sizes.append(len(docs))
                versions.update(d.metadata["index_version"] for d in docs)
            time.sleep(PAUSE_WRITING if _writing(data_dir) else PAUSE)

    readers = [threading.Thread(target=read, args=(q,)) for q in ("free GPU in Colab", "how do I fix overfitting")]
    for reader in readers:
        reader.start()
    try:
        ingest.wait(timeout=INGEST_TIMEOUT)
    finally:
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait()
        finished.set()
        for reader in readers:
            reader.join(timeout=60)
    assert ingest.returncode == 0, (tmp_path / "ingest.err").read_text()
    assert "notes/overfitting.md" in (tmp_path / "ingest.out").read_text()

    assert not failures
    assert sizes and all(sizes)
    after = mentor.stats()["index_version"]
    assert after != before["index_version"]
    # The readers saw both contents without a restart (else they ran out of queries too soon).
    assert {before["index_version"], after} <= versions

    top = mentor.as_retriever(k=3).invoke("zebra-stripe datasets")[0]
    assert NEW_SENTENCE in top.page_content
    assert top.metadata["index_version"] == after


def test_a_second_machine_cannot_ingest_while_one_holds_the_servers_writer_lease(
    chroma_url, small_kb, tmp_path, embedder
):
    import chromadb

    from assistant import StoreError
    from ingest.lease import server_lease

    def machine(name):  # each "machine" has its own data dir, so only the server is shared
        return Mentor(
            Settings(data_dir=tmp_path / name, manifest=small_kb / "sources.toml", chroma_url=chroma_url),
            embedder=embedder,
        )

    port = int(chroma_url.rsplit(":", 1)[1])
    other = chromadb.HttpClient(host="127.0.0.1", port=port)
    first = machine("first")
    try:
        with server_lease(other, first.settings.collection) as holder:
            with pytest.raises(
                StoreError,
                match=f"another ingest is writing to 'mentor' on the Chroma server \\(pid {holder.split(':')[1]} on",
            ):
                first.ingest()
            assert first.store.count() == 0  # nothing was written
        report = first.ingest()  # the lease was given back
        assert report.count("added") == 3
        lease = other.get_collection("mentor-lease", embedding_function=None)
        lease.modify(metadata={"holder": "crashed-host:4242:abcd", "expires": time.time() - 1})
        assert machine("second").ingest().count("unchanged") == 3  # a dead holder's lease expired
    finally:
        _close(other)
        _close(first.client)


def test_a_boost_taken_out_of_the_manifest_leaves_the_servers_store_too(
    chroma_url, small_kb, tmp_path, embedder, request
):
    manifest = small_kb / "sources.toml"
    manifest.write_text('[[source]]\nglob = "notes/*.md"\nboost = 0.1\n')
    mentor = Mentor(Settings(chroma_url=chroma_url, data_dir=tmp_path / "data", manifest=manifest), embedder=embedder)
    request.addfinalizer(lambda: _close(mentor.client))
    mentor.ingest()
    assert all(r.metadata["boost"] == 0.1 for r in mentor.store.rows())
    manifest.write_text('[[source]]\nglob = "notes/*.md"\n')
    assert mentor.ingest().embedded == 0
    assert not any("boost" in r.metadata for r in mentor.store.rows())
    assert mentor.ingest().count("updated") == 0
