"""Incremental ingest: only changed chunks are embedded, stale ones deleted, failures keep data."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Mentor, Settings, StoreError
from ingest import journal
from ingest.sync import IngestReport, SourceChange

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def kb(small_kb, tmp_path, embedder):
    settings = Settings(data_dir=tmp_path / "data", manifest=small_kb / "sources.toml")
    mentor = Mentor(settings, embedder=embedder)
    mentor.ingest()
    return mentor, small_kb


def _state(mentor):
    return sorted((r.id, r.text) for r in mentor.store.rows())


def test_no_change_embeds_nothing(kb):
    mentor, _ = kb
    calls = mentor.embedder.calls
    report = mentor.ingest()
    assert (report.embedded, report.deleted, mentor.embedder.calls, report.tokens) == (0, 0, calls, 0)
    assert report.count("unchanged") == 3


def test_editing_one_paragraph_embeds_only_its_chunk(kb):
    mentor, root = kb
    note = root / "notes" / "careers.md"
    note.write_text(note.read_text().replace("analyse data", "analyse complex data"))
    calls = mentor.embedder.calls
    report = mentor.ingest()
    assert report.embedded == 1 and report.deleted == 1
    assert mentor.embedder.calls == calls + 1  # the chunk (its sentences wait for an answer)
    assert report.tokens > 10 and report.embed_seconds > 0 and "tokens/s)" in report.summary()
    assert [c.status for c in report.sources if c.source == "notes/careers.md"] == ["updated"]
    assert any("analyse complex data" in text for _, text in _state(mentor))


def test_a_passage_copied_into_an_earlier_file_moves_there_and_back_when_removed(kb):
    mentor, root = kb
    note, copied = root / "notes" / "careers.md", "## Free GPU\n\nColab gives free GPU access for experiments.\n"
    original = note.read_text()

    def owners():
        return [r.metadata["source"] for r in mentor.store.rows() if "free GPU access" in r.text]

    note.write_text(original + "\n" + copied)  # careers.md is listed before colab.md
    mentor.ingest()
    assert owners() == ["notes/careers.md"]
    note.write_text(original)
    mentor.ingest()
    assert owners() == ["notes/colab.md"]


def test_deleting_a_file_removes_its_chunks_and_answers(kb):
    mentor, root = kb
    (root / "notes" / "colab.md").unlink()
    report = mentor.ingest()
    assert [c.source for c in report.sources if c.status == "removed"] == ["notes/colab.md"]
    assert all(r.metadata["source"] != "notes/colab.md" for r in mentor.store.rows())
    answer = mentor.ask("How do I get a free GPU in Colab?")
    assert all(c.source != "notes/colab.md" for c in answer.citations)


def test_renaming_a_file_reuses_its_vectors(kb):
    mentor, root = kb
    (root / "notes" / "colab.md").rename(root / "notes" / "google-colab.md")
    calls = mentor.embedder.calls
    report = mentor.ingest()
    assert report.embedded == 0 and report.reused == 2
    assert mentor.embedder.calls == calls
    assert {r.metadata["source"] for r in mentor.store.rows()} >= {"notes/google-colab.md"}


def test_a_source_that_fails_to_load_keeps_its_chunks(kb):
    mentor, root = kb
    before = _state(mentor)
    (root / "notes" / "colab.md").write_bytes(b"\x00\x01 binary now")
    report = mentor.ingest()
    assert [c.source for c in report.failures] == ["notes/colab.md"]
    assert "looks binary" in report.failures[0].reason
    assert _state(mentor) == before


def test_dry_run_plans_and_changes_nothing(kb):
    mentor, root = kb
    (root / "notes" / "new.md").write_text("# New\n\n## Tip\n\nJoin Kaggle competitions.\n")
    before = _state(mentor)
    report = mentor.ingest(dry_run=True)
    assert report.dry_run and report.embedded == 1
    assert [c.status for c in report.sources if c.source == "notes/new.md"] == ["added"]
    assert _state(mentor) == before


def test_full_rebuild_gives_the_same_ids(kb):
    mentor, _ = kb
    before = _state(mentor)
    report = mentor.ingest(full=True)
    assert report.embedded == len(before)
    assert _state(mentor) == before


def test_second_writer_fails_fast_naming_the_pid(kb, tmp_path):
    mentor, _ = kb
    # The lock is held here, so an ingest that waited for it would never return.
    with (
        journal.writer_lock(mentor.settings.data_dir),
        pytest.raises(StoreError, match=rf"another ingest is running \(pid {os.getpid()}\)"),
    ):
        mentor.ingest()


# An ingest in writes of 4 chunks that stops for good once two writes have landed, and says so
# on stdout: the test kills it then, mid-ingest, without guessing how long the writes take.
# Progress also counts chunks embedded for the next write, so a count past 8 means both landed.
_HOLD_AFTER_TWO_WRITES = """
import signal
import ingest.sync
from assistant import Mentor, Settings
ingest.sync.WRITE_BATCH = 4

def hold(done, total, label):
    if done > 8:
        print(f"written 8 of {total}", flush=True)
        signal.pause()

Mentor(Settings.load()).ingest(progress=hold)
"""


@pytest.mark.slow
def test_kill_during_ingest_then_reingest_converges(fresh_kb, tmp_path, embedder):
    data_dir = tmp_path / "killed"
    env = {
        **os.environ,
        "MENTOR_DATA_DIR": str(data_dir),
        "MENTOR_MANIFEST": str(fresh_kb / "sources.toml"),
        "MENTOR_EMBED_BATCH_SIZE": "4",
    }
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HOLD_AFTER_TWO_WRITES],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        line = proc.stdout.readline()  # blocks until the writes landed, or the ingest died
        assert line.startswith("written 8 of "), log.read_text(errors="replace")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert journal.unfinished(data_dir) is not None
    resumed = Mentor(Settings(data_dir=data_dir, manifest=fresh_kb / "sources.toml"), embedder=embedder)
    assert resumed.stats()["chunks"] == 8  # the two writes that landed are kept
    report = resumed.ingest()
    clean = Mentor(Settings(data_dir=tmp_path / "clean", manifest=fresh_kb / "sources.toml"), embedder=embedder)
    clean.ingest()
    assert _state(resumed) == _state(clean)
    assert report.embedded == len(_state(clean)) - 8  # and not embedded again
    assert journal.unfinished(data_dir) is None


def test_store_of_another_model_is_refused_then_rebuilt_by_full(kb):
    mentor, _ = kb
    collection = mentor.client.get_collection("mentor", embedding_function=None)
    collection.modify(metadata={**collection.metadata, "embedding_model": "other-model"})
    reopened = Mentor(mentor.settings, embedder=mentor.embedder)
    with pytest.raises(StoreError, match="holds embeddings of 'other-model', not 'all-MiniLM-L6-v2'"):
        reopened.stats()
    report = reopened.ingest(full=True)
    assert report.embedded == reopened.stats()["chunks"] > 0
    assert reopened.store.info["embedding_model"] == "all-MiniLM-L6-v2"


def test_full_rebuild_waits_for_no_one_and_drops_nothing_while_another_ingest_writes(kb):
    mentor, _ = kb
    before = _state(mentor)
    with journal.writer_lock(mentor.settings.data_dir), pytest.raises(StoreError, match="another ingest"):
        mentor.ingest(full=True)
    assert _state(Mentor(mentor.settings, embedder=mentor.embedder)) == before


def test_the_summary_counts_the_sources_left_not_those_removed():
    changes = [SourceChange("guide.md", "unchanged"), SourceChange("notes.md", "unchanged")]
    report = IngestReport("id", False, [*changes, SourceChange("uploads/mine.md", "removed")])
    assert report.summary().startswith("2 sources (2 unchanged, 1 removed);")
