"""Issue #35's findings that need no server: each hostile input gets bounded work, a bounded write
and one clear line. Every network test talks to 127.0.0.1 only; refused addresses are refused
before any connection."""

from __future__ import annotations

import gzip
import socket
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import servers
from click.testing import CliRunner

from assistant import Mentor, MentorError, Settings
from assistant.interfaces.cli import main
from assistant.quality.feedback import MAX_COMMENT_CHARS, FeedbackStore
from ingest.errors import FetchError
from ingest.web import fetch

ALLOW = ("127.0.0.1",)
# 337 bytes of front matter whose aliases expand to a title of hundreds of millions of characters.
LAUGHS = (
    "---\na: &a [x,x,x,x,x,x,x,x,x]\n"
    + "".join(
        f"{b}: &{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]\n"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "title: *i\n---\n# Notes\n\nText.\n"
)


def _answer_row(store: FeedbackStore, comment: str = "") -> None:
    store.record("How do I start?", "Start with Python [1].", True, "[]", -1, comment, key="k1")


# --- 3. learner writes are bounded ---------------------------------------------------------------


def test_a_long_comment_is_refused_with_one_line_and_the_store_keeps_its_size(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    _answer_row(store, "too vague")
    before = store.path.stat().st_size

    with pytest.raises(MentorError, match=rf"comment: 5000000 characters is over the limit of {MAX_COMMENT_CHARS}"):
        _answer_row(store, "x" * 5_000_000)
    assert store.path.stat().st_size == before and store.all()[0].comment == "too vague"


def test_a_full_feedback_store_takes_nothing_more_and_says_so(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3", max_bytes=20_000)
    with pytest.raises(MentorError, match=r"feedback: .* is full .*max_feedback_mb"):
        for n in range(1_000):
            store.record(f"question {n}", "a" * 1_000, False, "[]", None, "c" * MAX_COMMENT_CHARS)
    assert store.path.stat().st_size < 30_000


def test_mentor_gaps_prints_no_terminal_escape_sequences(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "data" / "feedback.sqlite3")
    store.record("why\x1b[2J?", "answer", False, "[]", -1, "\x1b]0;owned\x07\x1b[31mred\x9b1m", mode="extractive")

    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "gaps"])
    assert result.exit_code == 0, result.output
    assert "comment: ]0;owned[31mred1m" in result.stdout and "why[2J?" in result.stdout
    assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in result.stdout)


def test_two_uploads_of_one_name_at_once_keep_both_files(small_mentor: Mentor) -> None:
    barrier, results = threading.Barrier(2), {}

    def upload(n: int) -> None:
        barrier.wait()
        try:
            results[n] = small_mentor.add_document(
                "notes.md", f"# Notes {n}\n\n## Part\n\nUpload number {n}.\n".encode()
            )
        except MentorError as exc:  # a clear refusal is acceptable; a lost file is not
            results[n] = exc

    threads = [threading.Thread(target=upload, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    saved = sorted(p.name for p in (small_mentor.settings.knowledge_dir / "uploads").iterdir())
    assert all(isinstance(r, tuple) for r in results.values()), results
    assert saved == ["notes-2.md", "notes.md"]  # no partial files left, neither upload lost
    texts = {p.read_text() for p in (small_mentor.settings.knowledge_dir / "uploads").iterdir()}
    assert {t.splitlines()[0] for t in texts} == {"# Notes 1", "# Notes 2"}


# --- 4. small inputs, bounded work ----------------------------------------------------------------


def test_front_matter_aliases_are_refused_before_they_expand(small_kb: Path, tmp_path: Path, embedder) -> None:
    assert len(LAUGHS.encode()) < 400
    (small_kb / "notes" / "laughs.md").write_text(LAUGHS)
    mentor = Mentor(Settings(data_dir=tmp_path / "d", manifest=small_kb / "sources.toml"), embedder=embedder)

    failed = mentor.ingest().failures
    assert [f.source for f in failed] == ["notes/laughs.md"]
    assert "front matter is not valid YAML (aliases are not allowed)" in failed[0].reason


def test_html_is_capped_by_its_text_and_an_unchanged_file_is_not_parsed_again(
    small_kb: Path, tmp_path: Path, embedder
) -> None:
    paragraphs = "".join(f"<p>Paragraph {n} about training neural networks on a GPU.</p>" for n in range(400))
    (small_kb / "notes" / "big.html").write_text(f"<html><body><article>{paragraphs}</article></body></html>")
    (small_kb / "sources.toml").write_text('[[source]]\nglob = "notes/*"\n')
    settings = Settings(data_dir=tmp_path / "d", manifest=small_kb / "sources.toml", max_text_chars=5_000)

    failed = Mentor(settings, embedder=embedder).ingest().failures
    assert (
        len(failed) == 1 and "over the limit of 5,000; split it or raise the setting max_text_chars" in failed[0].reason
    )
    added = Mentor(settings.replace(max_text_chars=100_000), embedder=embedder).ingest()
    assert added.failures == [] and [c.source for c in added.sources if c.status == "added"] == ["notes/big.html"]
    # Parsed again, the page would now be refused; unchanged, it is not read past its hash.
    again = Mentor(settings, embedder=embedder).ingest()
    assert again.failures == [] and again.count("unchanged") == 4


def test_a_huge_history_is_refused_like_a_question(small_mentor: Mentor) -> None:
    history = [{"role": "user", "content": "x" * 1_000_000}]
    with pytest.raises(MentorError, match="history turn 1: 1000000 characters is over the limit of 2000"):
        small_mentor.ask("and what about Colab?", history=history)
    with pytest.raises(MentorError, match="history: must be a list"):
        small_mentor.ask("and what about Colab?", history="not a list")


class _Hostile(BaseHTTPRequestHandler):
    """A gzip bomb, and headers sent one byte at a time."""

    BOMB = gzip.compress(b"\0" * 50_000_000)
    header_bytes_sent = 0

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        if self.path == "/bomb":
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(self.BOMB)))
            self.end_headers()
            self.wfile.write(self.BOMB)
            return
        head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (n, b"a" * 20) for n in range(50)) + b"\r\n"
        try:
            for byte in head:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                type(self).header_bytes_sent += 1
                threading.Event().wait(0.2)
        except OSError:  # the client gave up: what this test waits for
            pass


@pytest.fixture
def hostile() -> Iterator[str]:
    with servers.http_server(_Hostile) as url:
        yield url


def test_a_gzip_bomb_is_refused_without_inflating_it(hostile: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="body is larger than max_bytes=1000000"):
            fetch(f"{hostile}/bomb", allowed_hosts=ALLOW, max_bytes=1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000  # the cap and one piece, not a network read's worth inflated at once


def test_headers_sent_a_byte_at_a_time_are_cut_off_at_the_deadline(hostile: str) -> None:
    with pytest.raises(FetchError, match=r"timed out after 2 s"):
        fetch(f"{hostile}/trickle", allowed_hosts=ALLOW, timeout=2)
    total = len(b"HTTP/1.1 200 OK\r\n") + 50 * len(b"X-Pad-00: " + b"a" * 20 + b"\r\n")
    assert _Hostile.header_bytes_sent < total // 2  # given up long before the headers were whole


# --- 6. low -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "carried"),
    [
        ("2002:7f00:1::", "127.0.0.1"),  # 6to4
        ("2002:a9fe:a9fe::", "169.254.169.254"),
        ("64:ff9b::7f00:1", "127.0.0.1"),  # NAT64
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("::ffff:a9fe:a9fe", "169.254.169.254"),  # mapped
        ("::a9fe:a9fe", "169.254.169.254"),  # compatible
    ],
)
def test_every_ipv6_form_of_an_internal_ipv4_address_is_refused_before_connecting(
    host: str, carried: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_connection(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", no_connection)
    with pytest.raises(FetchError, match=rf"refused http://\[{host}\]/: {carried} is a"):
        fetch(f"http://[{host}]/")


def test_text_that_is_not_utf8_on_the_command_line_gets_one_line(small_mentor: Mentor) -> None:
    # The bytes "why \xff?" as Python hands them over: the byte that is not UTF-8 as a lone surrogate.
    result = CliRunner().invoke(main, ["--data-dir", str(small_mentor.settings.data_dir), "ask", "why \udcff?"])
    assert result.exit_code == 1 and result.stderr == "mentor: error: argument 4 is not valid UTF-8 text; retype it\n"


def test_a_fractional_k_is_refused_with_one_line(small_mentor: Mentor) -> None:
    with pytest.raises(MentorError, match=r"k: must be a whole number between 1 and 50, got 2.5"):
        small_mentor.search("free GPU", k=2.5)


def test_the_sanitizer_bounds_its_input_and_shows_markup_dense_text_as_written() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ui"))
    from safe_markdown import MAX_CHARS, sanitize_markdown

    dense = "*_" * 5_000 + "[x](javascript:alert(1))"
    shown = sanitize_markdown(f"Fine **text**.\n\n{dense}\n\nMore [docs](https://ok.example).")
    assert shown.startswith("Fine **text**.\n\n\\*\\_\\*\\_") and shown.endswith("More [docs](https://ok.example).")
    assert "\\[x\\](javascript:alert(1))" in shown  # shown as written, never a link
    assert len(sanitize_markdown("word " * 100_000)) < MAX_CHARS + 10
