"""The knowledge base stays what the user made it: added sources are kept, folders synced,
removal explicit, failed or no-change ingests change nothing, and --full never empties the store."""

import threading

import pytest

from assistant import Mentor, Settings, SourceError
from ingest.loading import decode
from ingest.registry import Registry
from ingest.sources import is_url


@pytest.fixture
def kb(small_kb, tmp_path, embedder):
    mentor = Mentor(Settings(data_dir=tmp_path / "data", manifest=small_kb / "sources.toml"), embedder=embedder)
    mentor.ingest()
    return mentor


def _sources(mentor):
    return {str(r.metadata["source"]) for r in mentor.store.rows()}


def _note(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"# {name}\n\n## About\n\n{text}\n")
    return folder / name


def test_a_file_added_by_hand_survives_the_next_sync_until_removed(kb, tmp_path):
    notes = _note(tmp_path / "mine", "notes.md", "Zorblax trains models on a laptop without a GPU.")
    kb.ingest([str(notes)])
    assert str(notes) in _sources(kb)
    report = kb.ingest()
    assert str(notes) in _sources(kb) and report.count("removed") == 0
    listed = {row["source"]: row for row in kb.sources()}
    assert listed[str(notes)]["kind"] == "file (added)" and listed[str(notes)]["chunks"] == 1
    assert listed["notes/colab.md"]["kind"] == "file (manifest)" and listed["notes/colab.md"]["last_ingest"]
    kb.remove(str(notes))
    assert str(notes) not in _sources(kb)
    kb.ingest()
    assert str(notes) not in _sources(kb)  # forgotten: the sync does not bring it back


def test_ingesting_a_folder_again_removes_files_deleted_from_it(kb, tmp_path):
    folder = tmp_path / "mine"
    keep = _note(folder, "keep.md", "Kaggle notebooks give free GPU hours every week.")
    gone = _note(folder, "gone.md", "LIME explains one prediction at a time.")
    kb.ingest([str(folder)])
    assert {str(keep), str(gone)} <= _sources(kb)
    gone.unlink()
    plan = kb.ingest([str(folder)], dry_run=True)
    assert [c.source for c in plan.sources if c.status == "removed"] == [str(gone)]
    kb.ingest([str(folder)])
    assert str(keep) in _sources(kb) and str(gone) not in _sources(kb)


def test_manifest_sources_cannot_be_removed_by_hand_and_unknown_ones_are_named(kb):
    with pytest.raises(SourceError, match="notes/colab.md: is listed in the manifest"):
        kb.remove("notes/colab.md")
    with pytest.raises(SourceError, match="nowhere.md: no such source in the store"):
        kb.remove("nowhere.md")


def test_a_failed_or_unchanged_ingest_keeps_the_index_version(kb, small_kb):
    version = kb.index_version
    assert kb.ingest().ingest_id == version and kb.index_version == version
    (small_kb / "notes" / "empty.md").write_text("")
    report = kb.ingest()
    assert report.count("failed") == 1 and kb.index_version == version


def test_full_rebuild_never_shows_readers_an_empty_store(kb, small_kb, embedder):
    reader = Mentor(kb.settings, embedder=embedder, client=kb.client)
    errors, counts, done = [], [], threading.Event()

    def read():
        while not done.is_set():
            try:
                counts.append(len(reader.search("free GPU", k=3)))
            except Exception as exc:  # noqa: BLE001 - any error is a failure of the guarantee
                errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for _ in range(3):
            kb.ingest(full=True)
    finally:
        done.set()
        thread.join()
    assert not errors and counts and min(counts) == 3
    assert [c.name for c in kb.client.list_collections()] == [kb.settings.collection]


def test_a_truncated_utf16_file_is_a_one_line_error_and_the_others_are_ingested(kb, small_kb):
    (small_kb / "notes" / "broken.md").write_bytes(bytes.fromhex("fffe616263"))
    report = kb.ingest()
    (failed,) = report.failures
    assert "broken.md: starts with a UTF-16 byte-order mark but is not valid UTF-16" in failed.reason
    assert report.count("unchanged") == 3
    with pytest.raises(SourceError, match="re-save it as UTF-8"):
        decode(bytes.fromhex("fffe616263"), "x.md")


def test_url_schemes_are_matched_in_any_case():
    assert is_url("HTTP://example.org/faq") and is_url("Https://example.org") and not is_url("http.md")


def test_a_full_rebuild_killed_between_its_renames_leaves_the_old_store_answering(kb, embedder):
    before = sorted(r.id for r in kb.store.rows())
    # What a kill between the swap's two renames leaves: the old store set aside, a staging one.
    kb.client.get_collection("mentor", embedding_function=None).modify(name="mentor-retired")
    kb.client.get_or_create_collection("mentor-staging", embedding_function=None)
    reader = Mentor(kb.settings, embedder=embedder)
    assert sorted(r.id for r in reader.store.rows()) == before
    assert reader.search("free GPU", k=1)[0].section == "Free GPU"
    kb.ingest(full=True)  # the next rebuild starts clean and swaps in as usual
    assert sorted(c.name for c in kb.client.list_collections()) == ["mentor"]


GUIDE = """# The guide

## Free GPU

Colab and Kaggle give free GPU time for experiments.

## Careers

Deep learning engineers build and ship models.
"""
GUIDE_KEYS = """source = "guide.md"

[[section]]
heading = "Free GPU"
questions = ["where can i train without buying a graphics card"]
"""


@pytest.fixture
def keyed(tmp_path, embedder):
    """A store of a manifest whose one file has a title, a tag and question keys."""
    root = tmp_path / "kb"
    (root / "questions").mkdir(parents=True)
    (root / "sources.toml").write_text(
        'questions = "questions/*.toml"\n\n[[source]]\npath = "guide.md"\ntitle = "The guide"\ntags = ["guide"]\n'
    )
    (root / "guide.md").write_text(GUIDE)
    (root / "questions" / "guide.toml").write_text(GUIDE_KEYS)
    mentor = Mentor(Settings(data_dir=tmp_path / "data", manifest=root / "sources.toml"), embedder=embedder)
    mentor.ingest()
    return mentor


def _rows(mentor):
    return sorted((row.id, sorted(row.metadata.items())) for row in mentor.store.rows())


def test_a_manifest_file_under_any_spelling_of_its_path_is_the_manifest_source_with_its_keys(
    keyed, tmp_path, monkeypatch
):
    stored = _rows(keyed)
    assert any("graphics card" in str(meta) for _, meta in stored)  # its question key
    (tmp_path / "link").symlink_to(tmp_path / "kb")
    monkeypatch.chdir(tmp_path)
    for path in (str(tmp_path / "kb" / "guide.md"), "kb/guide.md", "./kb/../kb/guide.md", "link/guide.md"):
        report = keyed.ingest([path])
        assert [(c.source, c.status) for c in report.sources] == [("guide.md", "unchanged")], path
        assert _rows(keyed) == stored, path  # the same chunks, title, tags and keys
    assert Registry.open(keyed.settings.data_dir).added == []  # not a second, added source
    assert [(c.source, c.status) for c in keyed.ingest().sources] == [("guide.md", "unchanged")]
    assert [(row["source"], row["kind"]) for row in keyed.sources()] == [("guide.md", "file (manifest)")]


def test_a_manifest_file_registered_by_an_older_version_is_synced_once_as_the_manifest_source(keyed):
    registry = Registry.open(keyed.settings.data_dir)
    registry.add([str(keyed.settings.knowledge_dir / "guide.md")])
    registry.save()
    stored = _rows(keyed)
    for _ in range(2):  # it used to flip between the manifest's chunks and a bare copy's
        assert [(c.source, c.status) for c in keyed.ingest().sources] == [("guide.md", "unchanged")]
    assert _rows(keyed) == stored
