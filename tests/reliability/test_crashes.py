"""Crashes: an ingest killed with SIGKILL, and a store file damaged on disk."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from faults import REPO, assert_one_error_line, run_mentor, run_python, state

from assistant import Mentor, Settings
from assistant.interfaces.cli import main
from ingest import journal

pytestmark = pytest.mark.slow

KNOWLEDGE = REPO / "knowledge"
START_TIMEOUT = 180  # seconds for the ingest subprocess to import torch and write its first batch
# `mentor ingest`, with sync's write batch lowered from 256 to 4: the knowledge base (~120
# chunks) is then written in ~30 batches, so a kill can land between writes or inside one.
_INGEST_SMALL_WRITES = """
import sys
import ingest.sync
ingest.sync.WRITE_BATCH = 4
from assistant.interfaces.cli import main
main(sys.argv[1:], prog_name="mentor")
"""
_PROGRESS = re.compile(rb"(\d+)/(\d+)")


def _written(stderr_log: Path) -> tuple[int, int]:
    """(chunks written, chunks to write) from the last progress update on stderr."""
    found = _PROGRESS.findall(stderr_log.read_bytes())
    return (int(found[-1][0]), int(found[-1][1])) if found else (0, 0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_mid_ingest_converges(seed, tmp_path, mentor, embedder):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    settings = Settings(data_dir=tmp_path / "killed", manifest=knowledge / "sources.toml")
    env = {
        **os.environ,
        "MENTOR_DATA_DIR": str(settings.data_dir),
        "MENTOR_MANIFEST": str(settings.manifest),
        "MENTOR_EMBED_BATCH_SIZE": "4",
    }  # slow writes
    rng = random.Random(seed)
    stderr_log = tmp_path / "stderr.log"
    with stderr_log.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", _INGEST_SMALL_WRITES, "ingest"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        target = reached = None
        while not reached and proc.poll() is None and time.monotonic() < deadline:
            done, total = _written(stderr_log)
            if total and target is None:
                target = rng.randint(4, total // 2)  # a random batch in the first half of writes
            reached = target is not None and done >= target
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.5))  # then a random moment: between writes or inside one
        assert reached and proc.poll() is None, f"no kill point: {stderr_log.read_text('utf-8', 'replace')}"
        assert journal.unfinished(settings.data_dir) is not None  # its start line is there
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    resumed = Mentor(settings, embedder=embedder)
    kept = resumed.stats()["chunks"]  # the store opens, holding what the killed run wrote
    assert journal.unfinished(settings.data_dir) is not None
    report = resumed.ingest()
    clean = state(mentor)  # the session's clean ingest of the same knowledge folder
    assert state(resumed) == clean
    assert report.embedded == len(clean) - kept  # what was written before the kill is kept
    assert journal.unfinished(settings.data_dir) is None


def _garbage_in_the_middle(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 3)
        handle.write(random.Random(0).randbytes(size // 3))


def _truncated(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 3)


_STATS = """
import sys
from assistant import Mentor, Settings, StoreError
try:
    Mentor(Settings(data_dir=sys.argv[1])).stats()
except StoreError as exc:
    print(f"StoreError: {exc}")
"""


@pytest.mark.parametrize("damage", [_garbage_in_the_middle, _truncated], ids=["garbage_in_the_middle", "truncated"])
def test_damaged_sqlite_file_is_refused_at_start_up_then_rebuilt(damage, small_mentor, tmp_path):
    chunks = small_mentor.store.count()
    small_mentor.client.close()
    pristine = small_mentor.settings.data_dir

    api_dir = tmp_path / "api"
    shutil.copytree(pristine, api_dir)
    damage(api_dir / "chroma" / "chroma.sqlite3")
    done = run_python(_STATS, str(api_dir))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.startswith("StoreError: ") and done.stdout.count("\n") == 1, done.stdout
    assert "is damaged" in done.stdout and "`mentor ingest --full`" in done.stdout

    cli_dir = tmp_path / "cli"
    shutil.copytree(pristine, cli_dir)
    damage(cli_dir / "chroma" / "chroma.sqlite3")
    done = run_mentor("--data-dir", str(cli_dir), "stats")
    assert done.returncode == 1 and done.stdout == ""
    assert_one_error_line(done.stderr, "is damaged", "`mentor ingest --full`")
    assert len(list(cli_dir.glob("chroma.damaged-*"))) == 1  # moved aside, not deleted

    manifest = str(small_mentor.settings.manifest)
    rebuilt = CliRunner().invoke(
        main, ["--data-dir", str(cli_dir), "ingest", "--full"], env={"MENTOR_MANIFEST": manifest}
    )
    assert rebuilt.exit_code == 0, rebuilt.output
    stats = CliRunner().invoke(main, ["--data-dir", str(cli_dir), "stats", "--json"])
    assert json.loads(stats.stdout)["chunks"] == chunks
