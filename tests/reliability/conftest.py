"""Fixtures of the reliability suite: small real stores in temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Mentor, Settings


@pytest.fixture
def small_mentor(small_kb: Path, tmp_path: Path, embedder) -> Mentor:
    """A Mentor over ``small_kb``, ingested, in its own data dir."""
    settings = Settings(data_dir=tmp_path / "small-data", manifest=small_kb / "sources.toml")
    mentor = Mentor(settings, embedder=embedder)
    mentor.ingest()
    return mentor
