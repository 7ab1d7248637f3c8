"""Shared fixtures: the real embedding model once per session, real stores in tmp dirs, and a
user cache folder of the tests' own."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Mentor, Settings
from assistant.paths import user_model_cache
from ingest import Embedder

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"


@pytest.fixture(scope="session", autouse=True)
def user_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's cache folder of every test and every process a test starts: never the real one.

    It lives in pytest's own cache (.pytest_cache, kept between runs), so the model is exported
    once per checkout rather than once per run (an export loads torch: half a minute here).
    """
    cache = getattr(request.config, "cache", None)  # None under `-p no:cacheprovider`
    root = cache.mkdir("user-cache") if cache else tmp_path_factory.mktemp("user-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root))
        yield root


@pytest.fixture(scope="session")
def model_cache(user_cache: Path) -> Path:
    """The session's model cache: the default one, in the session's user cache folder."""
    return user_model_cache()


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever writes to ./.mentor or reads a developer's settings."""
    for name in ("CHROMA_URL", "CONFIG", "MODEL", "MANIFEST", "EMBED_BACKEND", "MODEL_CACHE"):
        monkeypatch.delenv(f"MENTOR_{name}", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def embedder(model_cache: Path) -> Embedder:
    """The shipped all-MiniLM-L6-v2 on the default backend (ONNX Runtime), loaded once."""
    model = Embedder(backend="onnx", cache_dir=model_cache)
    model.embed(["warm up"])
    return model


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """Settings of a store holding the real knowledge base, ingested once per session.

    Treat it as read-only; tests that change content use ``fresh_kb``.
    """
    data_dir = tmp_path_factory.mktemp("kb") / "data"
    settings = Settings(data_dir=data_dir)
    mentor = Mentor(settings, embedder=embedder)
    mentor.ingest()
    mentor.declared_topics.current()  # its cache of 1,281 vectors, made once: copies of the store share it
    return settings


@pytest.fixture(scope="session")
def mentor(kb_settings: Settings, embedder: Embedder) -> Mentor:
    """A Mentor over the session's ingested knowledge base."""
    return Mentor(kb_settings, embedder=embedder)


@pytest.fixture
def fresh_kb(tmp_path: Path) -> Path:
    """A writable copy of the knowledge folder (manifest, guide and notes)."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


@pytest.fixture
def fresh_store(fresh_kb: Path, kb_settings: Settings, tmp_path: Path) -> Settings:
    """Settings of a writable copy of the session's store, over ``fresh_kb``: as if ``fresh_kb``
    had just been ingested (the same sources, chunks and caches), without embedding it again."""
    data_dir = tmp_path / "data"
    shutil.copytree(kb_settings.data_dir, data_dir)
    return Settings(data_dir=data_dir, manifest=fresh_kb / "sources.toml")


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    """A tiny writable knowledge folder of three notes: fast to ingest again and again."""
    root = tmp_path / "small"
    (root / "notes").mkdir(parents=True)
    (root / "sources.toml").write_text('[[source]]\nglob = "notes/*.md"\n')
    (root / "notes" / "colab.md").write_text(
        "# Google Colab\n\n## Free GPU\n\nColab gives free GPU access for experiments.\n\n"
        "## Pitfalls\n\nSessions disconnect; save your work to Drive.\n"
    )
    (root / "notes" / "careers.md").write_text(
        "# Careers\n\n## Roles\n\nDeep learning engineers build and optimise models.\n\n"
        "Data scientists analyse data to inform decisions.\n"
    )
    (root / "notes" / "overfitting.md").write_text(
        "# Overfitting\n\n## Fixes\n\nUse dropout, regularization and cross-validation.\n"
    )
    return root
