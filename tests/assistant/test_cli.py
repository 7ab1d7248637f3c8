"""The ``mentor`` command: output, JSON schema, one-line errors and an untouched store."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import servers
from click.testing import CliRunner

from assistant import Mentor, Settings
from assistant.interfaces.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(kb_settings):
    def invoke(*args: str):
        return CliRunner().invoke(main, ["--data-dir", str(kb_settings.data_dir), *args])

    return invoke


def test_ask_json_cites_colab_for_a_free_gpu(kb_settings):
    # A real process, as a user runs it.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "--data-dir",
            str(kb_settings.data_dir),
            "ask",
            "--json",
            "How can I get a free GPU for my experiments?",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["grounded"] is True
    assert any("Colab" in c["title"] or "Colab" in c["text"] for c in data["citations"])
    assert {"n", "source", "section", "anchor", "url", "score", "text"} <= set(data["citations"][0])


def test_search_prints_ranked_passages(run):
    result = run("search", "which jobs can I get with deep learning", "--k", "2")
    assert result.exit_code == 0
    assert result.output.startswith("[1] ") and "Career Paths in Deep Learning" in result.output


def test_stats_reports_the_store(run):
    result = run("stats", "--json")
    info = json.loads(result.output)
    assert info["chunks"] > 100 and info["model"] == "all-MiniLM-L6-v2" and info["last_ingest"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "is empty"),
        ("binary.md", b"\x00\x01\x02binary\x00", "looks binary"),
        ("broken.pdf", b"%PDF-1.7 not really a pdf", "PDF"),
    ],
)
def test_bad_file_gives_one_line_error_and_leaves_the_store_as_it_was(
    tmp_path, kb_settings, embedder, name, content, reason
):
    data_dir = tmp_path / "store"
    mentor = Mentor(Settings(data_dir=data_dir), embedder=embedder)
    good = tmp_path / "good.md"
    good.write_text("# Good\n\n## Tip\n\nSave notebooks to Drive before Colab disconnects.\n")
    mentor.ingest([str(good)])
    before = sorted((r.id, r.text) for r in mentor.store.rows())
    bad = tmp_path / name
    bad.write_bytes(content)
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "ingest", str(bad)])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("mentor: error:")]
    assert len(errors) == 1 and name in errors[0] and reason in errors[0]
    assert sorted((r.id, r.text) for r in mentor.store.rows()) == before


def test_missing_path_exits_non_zero(run, tmp_path):
    result = run("ingest", str(tmp_path / "nope.md"))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"mentor: error: {tmp_path / 'nope.md'}: no such file or folder; check the path"


def test_help_does_not_import_torch():
    code = "import sys; from assistant.interfaces.cli import main; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "False"


def test_sources_lists_and_remove_takes_an_added_file_out(small_kb, tmp_path, embedder):
    data = str(tmp_path / "data")
    note = tmp_path / "mine.md"
    note.write_text("# Mine\n\n## Setup\n\nZorblax trains models on a laptop without a GPU.\n")
    invoke = lambda *args: CliRunner().invoke(  # noqa: E731
        main, ["--data-dir", data, *args], env={"MENTOR_MANIFEST": str(small_kb / "sources.toml")}
    )
    assert invoke("ingest").exit_code == 0 and invoke("ingest", str(note)).exit_code == 0
    listed = invoke("sources")
    assert listed.exit_code == 0 and f"{note}  [file (added)]  1 chunk," in listed.output
    assert "4 sources" in listed.output
    removed = invoke("remove", str(note))
    assert removed.exit_code == 0 and "1 chunk deleted" in removed.output
    refused = invoke("remove", "notes/colab.md")
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        "mentor: error: notes/colab.md: is listed in the manifest "
        "(sources.toml); remove it there, then run `mentor ingest`"
    )


def test_ingest_with_a_tag_builds_a_store_of_those_sources_alone(tmp_path):
    data_dir = tmp_path / "guide-only"
    invoke = lambda *args: CliRunner().invoke(main, ["--data-dir", str(data_dir), "ingest", *args])  # noqa: E731

    assert invoke("--tag", "guide").exit_code == 0
    rows = sorted((r.id, r.metadata["source"]) for r in Mentor(Settings(data_dir=data_dir)).store.rows())
    assert {source for _, source in rows} == {"guide.md"}

    unknown = invoke("--tag", "podcasts")
    assert unknown.exit_code == 1
    assert "sources.toml: no source is tagged podcasts; its tags: guide, resource" in unknown.output
    assert sorted((r.id, r.metadata["source"]) for r in Mentor(Settings(data_dir=data_dir)).store.rows()) == rows


def _start_ui(monkeypatch, *args: str):
    """Run ``mentor [args] ui``, stopping where the chat process would start; the result and
    what that process would be given."""
    import os

    started = {}

    def execv(program, argv):  # the chat process would start here; keep what it would read
        started.update(argv=argv, data_dir=os.environ.get("MENTOR_DATA_DIR"), mode=os.environ.get("MENTOR_ANSWER_MODE"))

    monkeypatch.setenv("MENTOR_DATA_DIR", "unset")  # both restored after the test, whatever the command sets
    monkeypatch.setenv("MENTOR_ANSWER_MODE", "auto")
    monkeypatch.setattr(os, "execv", execv)
    return CliRunner().invoke(main, list(args)), started


def test_ui_hands_its_flags_to_the_chat_it_starts(kb_settings, monkeypatch):
    port = str(servers.free_port())
    result, started = _start_ui(
        monkeypatch, "--data-dir", str(kb_settings.data_dir), "--answer-mode", "extractive", "ui", "--port", port
    )
    assert result.exit_code == 0, result.output
    assert started["data_dir"] == str(kb_settings.data_dir) and started["mode"] == "extractive"
    assert "streamlit" in started["argv"] and port in started["argv"]


def test_ui_starts_again_at_once_on_the_port_a_stopped_chat_used(kb_settings, monkeypatch):
    port = _port_just_closed()
    result, started = _start_ui(monkeypatch, "--data-dir", str(kb_settings.data_dir), "ui", "--port", str(port))
    assert result.exit_code == 0, result.output
    assert str(port) in started["argv"]


def _port_just_closed() -> int:
    """A loopback port whose server closed a connection first and stopped: the port is held in
    TIME-WAIT, as after Ctrl-C on a chat a browser was connected to (a plain bind is refused)."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Streamlit's server does
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            connection, _ = server.accept()
            connection.close()  # the server closes first: its side waits out TIME-WAIT
            assert client.recv(1) == b""
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))
    return port


def test_ask_says_when_the_chat_model_could_not_load(run, monkeypatch):
    monkeypatch.setenv("MENTOR_LLM", "nosuchprovider:model")
    result = run("ask", "How can I get a free GPU?")
    assert result.exit_code == 0
    assert "(answered extractively: MENTOR_LLM: cannot load 'nosuchprovider:model'" in result.output
    assert "Computational Resources:" in result.output and "**" not in result.output  # bold, not markup


@pytest.mark.parametrize("reuse", [False, True], ids=["plain", "reuse-address"])
def test_ui_on_a_port_in_use_says_so_before_ingesting(tmp_path, reuse):
    with socket.socket() as taken:
        if reuse:  # a server that allows address reuse still owns the port it listens on
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "ui", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"mentor: error: --port {port}: cannot serve on 127.0.0.1:{port}")
    assert not (tmp_path / "data").exists()  # nothing ingested


def test_prepare_readies_the_model_in_the_users_cache_folder(run, model_cache):
    result = run("prepare")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Model all-MiniLM-L6-v2 (384 dimensions) ready in {model_cache}"
