"""Sentence splitting and the sentence-vector cache that answers read instead of embedding."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import Mentor, Settings
from ingest.sentences import SentenceVectors, Unit, split

LIST_PASSAGE = (
    "Here are some common paths:\n\n- Research scientist roles\n"
    "- Machine learning engineer roles\n\nEach path asks for different skills. "
    "Pick one. Practice every day with real projects."
)


def test_split_keeps_list_items_and_sentences_of_three_words_or_more():
    assert split(LIST_PASSAGE) == [
        Unit("Here are some common paths:", False),
        Unit("Research scientist roles", True),
        Unit("Machine learning engineer roles", True),
        Unit("Each path asks for different skills.", False),
        Unit("Practice every day with real projects.", False),
    ]


def test_split_records_how_deep_each_list_item_is_nested():
    text = (
        "- **Project ideas:** Try one of these:\n  - Image classification\n    1. MNIST digits\n"
        "  - Text sentiment\n\n  Start with the smallest.\n  - Generative models\n- **Datasets:** Know your data."
    )
    assert [(u.text, u.is_item, u.depth) for u in split(text)] == [
        ("**Project ideas:** Try one of these:", True, 0),
        ("Image classification", True, 1),
        ("MNIST digits", True, 2),
        ("Text sentiment", True, 1),
        ("Start with the smallest.", False, 0),
        ("Generative models", True, 1),
        ("**Datasets:** Know your data.", True, 0),
    ]


def test_cached_vectors_match_the_model_and_are_embedded_once(tmp_path, embedder):
    cache = SentenceVectors(tmp_path / "s.sqlite3", embedder)
    before = embedder.calls
    ((units, vectors),) = cache.units([LIST_PASSAGE])
    assert embedder.calls - before == len(units) == 5
    expected = embedder.embed([u.text for u in units])
    assert vectors.shape == expected.shape
    assert np.abs(vectors - expected).max() < 2e-3  # kept as float16
    before = embedder.calls
    again = SentenceVectors(tmp_path / "s.sqlite3", embedder).units([LIST_PASSAGE, LIST_PASSAGE])
    assert embedder.calls == before
    assert all(np.array_equal(v, vectors) for _, v in again)


def test_a_passage_that_splits_differently_is_embedded_again(tmp_path, embedder):
    """Same words and content hash, other line breaks: other units, so other vectors."""
    cache = SentenceVectors(tmp_path / "s.sqlite3", embedder)
    cache.units(["- Use dropout layers\n- Add more data"])
    ((units, vectors),) = cache.units(["- Use dropout layers - Add more data"])
    assert [u.text for u in units] == ["Use dropout layers - Add more data"]
    assert vectors.shape == (1, embedder.dimension)


def test_a_damaged_cache_file_is_replaced_and_answers_go_on(tmp_path, embedder):
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not a sqlite file" * 100)
    cache = SentenceVectors(path, embedder)
    ((units, vectors),) = cache.units([LIST_PASSAGE])
    assert len(units) == vectors.shape[0] == 5
    before = embedder.calls
    SentenceVectors(path, embedder).units([LIST_PASSAGE])
    assert embedder.calls == before  # the rebuilt file holds them


def test_ingest_leaves_sentences_to_the_first_answer_that_quotes_a_passage(tmp_path, small_kb, embedder):
    settings = Settings(data_dir=tmp_path / "data", manifest=small_kb / "sources.toml")
    mentor = Mentor(settings, embedder=embedder)
    before = embedder.calls
    report = mentor.ingest()
    assert embedder.calls - before == report.embedded == report.total_chunks  # passages only
    before = embedder.calls
    answer = mentor.ask("What fixes overfitting?")
    assert answer.grounded and "dropout" in answer.text
    first = embedder.calls - before  # the question (once: search's vector is reused) and the
    assert first > 1  # quoted passages' sentences
    before = embedder.calls
    mentor.ask("What fixes overfitting?")
    assert embedder.calls == before  # asked again: the sentences are kept, the question is known


def test_filling_ahead_embeds_every_passage_s_sentences_once(tmp_path, small_kb, embedder):
    settings = Settings(data_dir=tmp_path / "data", manifest=small_kb / "sources.toml")
    mentor = Mentor(settings, embedder=embedder)
    mentor.ingest()
    texts = [row.text for row in mentor.store.rows()]
    before = embedder.calls
    mentor.sentences.fill(texts, batch=2)
    assert 0 < embedder.calls - before <= sum(len(split(t)) for t in texts)  # a lone unit may be known
    before = embedder.calls
    mentor.sentences.fill(texts)
    mentor.ask("How can I get a free GPU?")
    assert embedder.calls - before <= 1  # nothing left to embed but the question (if not seen before)


def test_ingest_prunes_sentences_of_removed_passages(tmp_path, small_kb, embedder):
    settings = Settings(data_dir=tmp_path / "data", manifest=small_kb / "sources.toml")
    mentor = Mentor(settings, embedder=embedder)
    mentor.ingest()
    mentor.sentences.fill([row.text for row in mentor.store.rows()])
    colab = "Colab gives free GPU access for experiments."
    (small_kb / "notes" / "colab.md").unlink()
    mentor.ingest()
    before = embedder.calls
    mentor.sentences.units([colab])
    assert embedder.calls - before == 1  # forgotten with its passage, so embedded afresh
    kept = "Use dropout, regularization and cross-validation."
    before = embedder.calls
    mentor.sentences.units([kept])
    assert embedder.calls == before


_FILL_THEN_EXIT = """
import sys
from pathlib import Path
from ingest import Embedder
from ingest.sentences import SentenceVectors
embedder = Embedder(backend="onnx", cache_dir=Path(sys.argv[1]))
embedder.embed(["warm up"])
texts = [f"Passage {i} is about free GPUs. It says where to find one, number {i}. " * 5 for i in range(2000)]
thread = SentenceVectors(Path(sys.argv[2]), embedder).fill_in_background(texts)
thread.join(1)  # exit while it embeds: an embedding cut off by shutdown aborts the process
print("exiting", flush=True)
"""


@pytest.mark.slow
def test_a_process_that_exits_while_filling_in_the_background_exits_cleanly(tmp_path, model_cache):
    done = subprocess.run(
        [sys.executable, "-c", _FILL_THEN_EXIT, str(model_cache), str(tmp_path / "s.sqlite3")],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and done.stdout == "exiting\n", done.stderr
