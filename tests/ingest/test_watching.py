"""The watcher reports a change once the folder has settled, and nothing while it is quiet."""

from ingest.watching import changes


def test_a_settled_edit_is_reported_once(tmp_path):
    note = tmp_path / "note.md"
    note.write_text("# A\n\nfirst\n")
    steps = iter(
        [
            lambda: None,
            lambda: note.write_text("# A\n\nsecond, longer\n"),
            lambda: (tmp_path / "new.md").write_text("# B\n"),
            lambda: None,
            lambda: None,
        ]
    )

    def sleep(_seconds):  # each pause of the watcher lets the "user" take the next step
        next(steps, lambda: None)()

    watcher = changes(tmp_path, interval=0, settle=0, sleep=sleep)
    assert next(watcher) == {note, tmp_path / "new.md"}
