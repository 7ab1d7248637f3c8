"""A store of over 2,000 chunks, closed and reopened by another process, holds exactly what was written."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from faults import run_python

from assistant import Mentor, Settings

pytestmark = pytest.mark.slow

FILES = 300
SECTIONS = 7  # H2 sections per file: 2,100 chunks, one per section
SAMPLE = 200  # chunks queried with their own stored vector
MIN_RECALL = 0.99
WORDS = (
    "gpu",
    "tensor",
    "dropout",
    "kaggle",
    "colab",
    "cuda",
    "python",
    "keras",
    "pytorch",
    "layer",
    "batch",
    "epoch",
    "loss",
    "optimizer",
    "gradient",
    "dataset",
    "label",
    "feature",
    "network",
    "neuron",
    "kernel",
    "stride",
    "pooling",
    "attention",
    "token",
    "vector",
    "cluster",
    "forest",
    "boosting",
    "margin",
    "metric",
    "recall",
    "precision",
    "portfolio",
    "resume",
    "interview",
    "mentor",
    "course",
    "notebook",
    "cloud",
    "budget",
    "laptop",
    "driver",
    "memory",
    "cache",
)

# Runs in a fresh process: every row, and the rank of each sampled chunk under its own vector.
_REOPEN = """
import json, sys
from assistant import Mentor, Settings
store = Mentor(Settings(data_dir=sys.argv[1])).store
sample = json.loads(sys.argv[2])
vectors = store.embeddings(sample)
hits = sum(store.nearest(vectors[i], 1)[0][0] == i for i in sample)
rows = [[r.id, r.text, r.metadata] for r in store.rows()]
print(json.dumps({"count": store.count(), "rows": rows, "recall": hits / len(sample)}))
"""


def _write_notes(root: Path) -> None:
    rng = random.Random(7)
    (root / "notes").mkdir(parents=True)
    (root / "sources.toml").write_text('[[source]]\nglob = "notes/*.md"\n')
    for n in range(FILES):
        sections = "".join(
            f"## Part {s}\n\nNote {n}.{s}: {' '.join(rng.sample(WORDS, 6))}.\n\n" for s in range(SECTIONS)
        )
        (root / "notes" / f"note-{n:03}.md").write_text(f"# Note {n}\n\n{sections}")


def test_reopen_in_a_fresh_process_after_2000_chunk_ingest_sees_the_same_store(tmp_path, embedder):
    _write_notes(tmp_path / "kb")
    settings = Settings(data_dir=tmp_path / "data", manifest=tmp_path / "kb" / "sources.toml")
    mentor = Mentor(settings, embedder=embedder)
    report = mentor.ingest()
    assert report.total_chunks == FILES * SECTIONS > 2000
    here = sorted([r.id, r.text, r.metadata] for r in mentor.store.rows())
    mentor.client.close()

    sample = random.Random(11).sample([row[0] for row in here], SAMPLE)
    done = run_python(_REOPEN, str(settings.data_dir), json.dumps(sample))
    assert done.returncode == 0, done.stderr
    there = json.loads(done.stdout)
    assert there["count"] == len(here)
    assert [row[0] for row in sorted(there["rows"])] == [row[0] for row in here]
    assert sorted(there["rows"]) == here  # documents and metadata too
    assert there["recall"] >= MIN_RECALL
