"""The chat's sidebar, driven by Streamlit's AppTest over real stores: re-ingest, uploads, removal."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import _ask, _chunks, _page, kb_dir  # noqa: F401 - a fixture used here

from assistant import Mentor, Settings
from assistant.store import catalog
from ingest import Embedder


@pytest.mark.slow
def test_reingest_shows_what_changed(
    fresh_kb: Path, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "fresh-data"
    monkeypatch.setenv("MENTOR_MANIFEST", str(fresh_kb / "sources.toml"))
    monkeypatch.setenv("MENTOR_DATA_DIR", str(data_dir))
    Mentor(Settings.load(), embedder=embedder).ingest()
    with (fresh_kb / "resources" / "google-colab.md").open("a", encoding="utf-8") as notes:
        notes.write("\n\n## Keeping sessions alive\n\nSave checkpoints to Google Drive often.\n")
    app = _page()

    next(b for b in app.button if b.label == "Re-ingest knowledge").click().run()

    assert not app.exception
    summary = app.sidebar.success[0].value
    assert "1 updated" in summary and "20 unchanged" in summary
    assert "**updated** resources/google-colab.md" in summary


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.md", b"  \n", "is empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks binary"),
        ("big.md", b"# Big\n\n" + b"word " * 400, "over the"),
    ],
)
def test_a_bad_upload_is_refused_and_nothing_changes(
    kb_dir: Path,  # noqa: F811 - the fixture imported above
    fresh_kb: Path,
    embedder: Embedder,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    data: bytes,
    reason: str,
) -> None:
    monkeypatch.setenv("MENTOR_MANIFEST", str(fresh_kb / "sources.toml"))
    monkeypatch.setenv("MENTOR_MAX_FILE_MB", "0.001")  # 1,000 bytes
    before = _chunks(kb_dir, embedder)
    app = _page()

    app.sidebar.file_uploader[0].upload(name, data, "application/octet-stream").run()

    assert not app.exception
    (error,) = app.sidebar.error
    assert reason in error.value and "\n" not in error.value
    assert not (fresh_kb / "uploads").exists()
    assert _chunks(kb_dir, embedder) == before


@pytest.mark.slow
def test_a_good_upload_is_saved_under_a_safe_name_and_ingested(
    small_kb: Path, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MENTOR_MANIFEST", str(small_kb / "sources.toml"))
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path / "empty-data"))
    app = _page()

    notes = b"# Zorblax\n\n## Setup\n\nZorblax trains models on a laptop without a GPU.\n"
    app.sidebar.file_uploader[0].upload("../../My Notes!.md", notes, "text/markdown").run()

    assert not app.exception and not app.sidebar.error
    assert "Added My\\_Notes\\_.md" in app.sidebar.success[0].value
    assert (small_kb / "uploads" / "My_Notes_.md").read_bytes() == notes
    assert int(app.sidebar.metric[1].value) == _chunks(tmp_path / "empty-data", embedder) > 0
    answer = _ask(app, "How does Zorblax train models?").session_state["messages"][-1]["answer"]
    assert answer.citations[0].title == "Zorblax"


@pytest.mark.slow
def test_two_different_uploads_with_one_name_are_both_kept(
    small_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MENTOR_MANIFEST", str(small_kb / "sources.toml"))
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path / "data"))
    app = _page()
    first = b"# Zorblax\n\n## Setup\n\nZorblax trains models on a laptop without a GPU.\n"
    second = b"# Quuxnet\n\n## Setup\n\nQuuxnet compresses images for phones.\n"
    app.sidebar.file_uploader[0].upload("notes.md", first, "text/markdown").run()
    app.sidebar.file_uploader[0].upload("notes.md", second, "text/markdown").run()

    assert not app.exception and not app.sidebar.error
    assert "Added notes-2.md" in app.sidebar.success[0].value
    assert (small_kb / "uploads" / "notes.md").read_bytes() == first
    assert (small_kb / "uploads" / "notes-2.md").read_bytes() == second
    answer = _ask(app, "How does Quuxnet help phones?").session_state["messages"][-1]["answer"]
    assert answer.citations[0].title == "Quuxnet"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("notes.md", "notes.md"),
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\secret notes.txt", "secret_notes.txt"),
        ("My Notes!.md", "My_Notes_.md"),
        (".hidden.md", "hidden.md"),
        ("../.md", "upload.md"),
        ("résumé 2024.pdf", "r_sum_2024.pdf"),
    ],
)
def test_upload_names_are_made_safe(name: str, expected: str) -> None:
    assert catalog.safe_filename(name) == expected


@pytest.mark.slow
def test_an_upload_can_be_removed_from_the_sources_panel(
    small_kb: Path, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    (small_kb / "sources.toml").write_text('[[source]]\nglob = "notes/*.md"\n[[source]]\nglob = "uploads/*"\n')
    monkeypatch.setenv("MENTOR_MANIFEST", str(small_kb / "sources.toml"))
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path / "data"))
    app = _page()
    notes = b"# Zorblax\n\n## Setup\n\nZorblax trains models on a laptop without a GPU.\n"
    app.sidebar.file_uploader[0].upload("zorblax.md", notes, "text/markdown").run()
    removable = [b for b in app.sidebar.button if b.key and b.key.startswith("remove-")]
    assert len(removable) == 1  # the upload; the manifest's notes are not removable here

    removable[0].click().run()

    assert not app.exception and not (small_kb / "uploads" / "zorblax.md").exists()
    assert "**removed** uploads/zorblax.md" in app.sidebar.success[0].value
    assert _chunks(tmp_path / "data", embedder) == 4
