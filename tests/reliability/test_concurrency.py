"""Concurrency: a second writer, many askers at once, a reader during a re-ingest, huge batches."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from click.testing import CliRunner
from faults import REPO, assert_one_error_line

from assistant.interfaces.cli import main
from ingest import Store, open_client

QUESTIONS = (
    "How can I get a free GPU?",
    "Which jobs can I get with deep learning?",
    "My model memorises the training set",
    "Should I learn PyTorch or Keras?",
    "How do I build a portfolio on GitHub?",
    "What is CUDA?",
    "Are Coursera courses worth it?",
    "How do I start with Kaggle?",
    "What is the capital of France?",
    "hello",
)
ASKS = 50
NEW_TEXT = "Colab Pro adds faster GPUs and longer sessions for a monthly fee."

_HOLD_LOCK = """
import sys, time
from pathlib import Path
from ingest.journal import writer_lock
with writer_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    while True:  # until the test kills it: a writer that waited for the lock would never finish
        time.sleep(60)
"""
LIMIT = 300  # seconds: only ends a wait that would never end


@pytest.mark.slow
def test_second_writer_while_another_process_holds_the_lock_fails_fast(small_kb, tmp_path):
    data_dir = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(data_dir)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    results = []
    try:
        assert holder.stdout.readline().strip() == "locked"
        command = ["--data-dir", str(data_dir), "ingest"]
        env = {"MENTOR_MANIFEST": str(small_kb / "sources.toml")}
        writer = threading.Thread(target=lambda: results.append(CliRunner().invoke(main, command, env=env)))
        writer.start()
        writer.join(LIMIT)
        assert not writer.is_alive()  # it fails at once; it does not wait for the lock
        assert holder.poll() is None  # the lock was held all along
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert results[0].exit_code == 1
    assert_one_error_line(results[0].stderr, f"another ingest is running (pid {holder.pid})")


def test_50_concurrent_asks_are_all_answered_as_when_asked_alone(mentor, capsys):
    alone = {q: mentor.ask(q).text for q in QUESTIONS}

    def timed(question: str) -> tuple[str, str, float]:
        started = time.perf_counter()
        answer = mentor.ask(question)
        return question, answer.text, time.perf_counter() - started

    questions = [QUESTIONS[n % len(QUESTIONS)] for n in range(ASKS)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(timed, questions))
    assert len(results) == ASKS
    assert all(text == alone[question] for question, text, _ in results)
    p95 = float(np.percentile([seconds for *_, seconds in results], 95))
    with capsys.disabled():
        print(f"\n{ASKS} asks on 8 threads: p95 latency {p95:.2f} s")


def test_reader_querying_during_a_reingest_never_sees_an_error_or_nothing(small_mentor, small_kb):
    for n in range(20):  # enough new chunks that the re-ingest takes a while
        (small_kb / "notes" / f"extra-{n}.md").write_text(
            f"# Extra {n}\n\n## Topic {n}\n\nNote {n} on batch size, learning rate and epochs.\n"
        )
    colab = small_kb / "notes" / "colab.md"
    colab.write_text(colab.read_text().replace("Sessions disconnect", NEW_TEXT + " Sessions disconnect"))
    problems: list[str] = []
    during = 0
    ingesting = threading.Event()
    finished = threading.Event()

    def read() -> None:
        nonlocal during
        while not finished.is_set():
            was_ingesting = ingesting.is_set()
            try:
                passages = small_mentor.search("free GPU in Colab", k=3)
            except Exception as exc:  # any error at all is the failure being looked for
                problems.append(repr(exc))
                continue
            if not passages:
                problems.append("no passages")
            during += was_ingesting and ingesting.is_set()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        ingesting.set()
        report = small_mentor.ingest()
        ingesting.clear()
    finally:
        finished.set()
        reader.join()
    assert problems == []
    assert during > 0, "no query ran during the re-ingest"
    assert report.count("updated") == 1 and report.count("added") == 20
    assert NEW_TEXT in small_mentor.search("Colab Pro faster GPUs monthly fee", k=1)[0].text


def test_upsert_of_more_rows_than_chromas_max_batch_is_split(tmp_path):
    client = open_client(tmp_path / "batch")
    store = Store(client, "all-MiniLM-L6-v2")
    rows = client.get_max_batch_size() + 10
    vectors = np.random.default_rng(0).normal(size=(rows, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"row-{n}" for n in range(rows)]
    store.upsert(ids, vectors, [f"text {n}" for n in range(rows)], [{"n": n} for n in range(rows)])
    assert store.count() == rows
    assert [c.text for c in store.get([ids[0], ids[-1]])] == ["text 0", f"text {rows - 1}"]
    client.close()
