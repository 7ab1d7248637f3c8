"""Bad files in a manifest glob are each skipped with one line while the good ones are ingested."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingest.loading
from assistant import Mentor, Settings
from ingest import chunk_document, load_file

GOOD = "Save notebooks to Drive before Colab disconnects."
WIDE = "Tensors on the GPU must share a device."
INVISIBLE = "Soft\u00adhyphens and zero\u200bwidth spaces\u200c hide\u200d inside\u2060 words."
HUGE_MB = 200
SLOW_PDF_LIMIT_S = 2  # the crafted PDF below keeps pypdf busy for about a minute

_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
_PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
)
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _pdf(content: bytes, *, pages: bytes = _PAGES, page: bytes = _PAGE, circular_xref: bool = False) -> bytes:
    """A one-page PDF drawing ``content``, with a correct cross-reference table.

    ``circular_xref`` makes the trailer's /Prev point back at the table itself.
    """
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    for n, body in enumerate((_CATALOG, pages, page, _FONT, stream), 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    prev = b" /Prev %d" % xref if circular_xref else b""
    out += b"trailer\n<< /Size 6 /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (prev, xref)
    return bytes(out)


def _markdown(title: str, text: str) -> str:
    return f"# {title}\n\n## Note\n\n{text}\n"


# name -> (content, expected status, fragment of the reason)
CASES: dict[str, tuple[bytes, str, str]] = {
    "good.md": (_markdown("Good", GOOD).encode(), "added", ""),
    "empty.md": (b"", "failed", "is empty"),
    "binary.md": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "failed", "looks binary"),
    "invalid-utf8.md": (b"Deep learning \xc3\x28 notes\n", "failed", "is not valid UTF-8 (byte 14)"),
    "utf16.md": (_markdown("Wide", WIDE).encode("utf-16"), "added", ""),
    "cp1252.md": ("Café résumé tips for interviews".encode("cp1252"), "failed", "is not valid UTF-8"),
    "nul.txt": (b"Plain text with a NUL\x00 byte in it", "failed", "looks binary"),
    "zero-width.md": (_markdown("Invisible", INVISIBLE).encode(), "added", ""),
    "circular-xref.pdf": (_pdf(b"BT /F1 12 Tf 20 100 Td (Circular xref text.) Tj ET", circular_xref=True), "added", ""),
    # The page inherits its resources, through a /Parent chain that loops.
    "parent-cycle.pdf": (
        _pdf(
            b"BT /F1 12 Tf (Cycle.) Tj ET",
            pages=_PAGES[:-2] + b"/Parent 3 0 R >>",
            page=_PAGE.replace(b"/Resources << /Font << /F1 4 0 R >> >> ", b""),
        ),
        "failed",
        "is not a readable PDF (LimitReachedError)",
    ),
    "broken-inline-image.pdf": (
        _pdf(b"BT /F1 12 Tf (Before.) Tj ET q BI /W 4 /H 4 /BPC 8 /CS /G /F /AHx ID 0011zz" + b"\xff" * 4000 + b" Q"),
        "failed",
        "is not a readable PDF (PdfReadError)",
    ),
    "slow.pdf": (
        _pdf(b"BT /F1 12 Tf " + b"(ab) Tj 1 0 Td " * 300_000 + b"ET"),
        "failed",
        f"took longer than {SLOW_PDF_LIMIT_S} s to parse",
    ),
    "deep.html": (
        b"<html><body>"
        + b"<div>" * 100_000
        + b"<p>Deep learning needs data.</p>"
        + b"</div>" * 100_000
        + b"</body></html>",
        "failed",
        "HTML has no main text",
    ),
}


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A knowledge folder whose manifest globs one folder of good and bad files."""
    root = tmp_path / "kb"
    folder = root / "inbox"
    folder.mkdir(parents=True)
    (root / "sources.toml").write_text('[[source]]\nglob = "inbox/*"\n')
    for name, (content, _, _) in CASES.items():
        (folder / name).write_bytes(content)
    with (folder / "huge.txt").open("wb") as handle:  # sparse: the size is there, the blocks not
        handle.write(b"word " * 200_000)
        handle.truncate(HUGE_MB * 1024 * 1024)
    outside = tmp_path / "secret.md"
    outside.write_text(_markdown("Secret", "Outside the knowledge folder."))
    (folder / "link.md").symlink_to(outside)
    return root


@pytest.mark.slow
def test_bad_files_in_a_manifest_glob_each_fail_with_a_reason_and_the_rest_is_ingested(
    inbox, tmp_path, embedder, monkeypatch
):
    monkeypatch.setattr(ingest.loading, "PDF_TIMEOUT_S", SLOW_PDF_LIMIT_S)
    read: list[str] = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: read.append(path.name) or read_bytes(path))
    mentor = Mentor(Settings(data_dir=tmp_path / "data", manifest=inbox / "sources.toml"), embedder=embedder)

    report = mentor.ingest()

    outcome = {Path(c.source).name: (c.status, c.reason) for c in report.sources}
    expected = {name: (status, reason) for name, (_, status, reason) in CASES.items()}
    expected |= {"huge.txt": ("failed", "MB is over the 20 MB limit"), "link.md": ("failed", "outside")}
    assert sorted(outcome) == sorted(expected)
    for name, (status, reason) in expected.items():
        got_status, got_reason = outcome[name]
        assert got_status == status, (name, got_reason)
        assert reason in got_reason and "\n" not in got_reason, (name, got_reason)
    assert "huge.txt" not in read  # refused by its size, never read
    stored = {row.metadata["source"]: row.text for row in mentor.store.rows()}
    assert stored == {
        "inbox/good.md": GOOD,
        "inbox/utf16.md": WIDE,
        "inbox/zero-width.md": "Softhyphens and zerowidth spaces hide inside words.",
        "inbox/circular-xref.pdf": "Circular xref text.",
    }


def test_zero_width_characters_give_the_ids_of_the_same_text_without_them(inbox, tmp_path, embedder):
    folder = inbox / "inbox"
    for path in folder.iterdir():
        if path.name != "zero-width.md":
            path.unlink()
    mentor = Mentor(Settings(data_dir=tmp_path / "data", manifest=inbox / "sources.toml"), embedder=embedder)
    first = mentor.ingest()
    ids = {row.id: row.metadata["content_hash"] for row in mentor.store.rows()}
    second = mentor.ingest()
    assert (first.count("added"), second.count("unchanged"), second.embedded) == (1, 1, 0)
    assert {row.id: row.metadata["content_hash"] for row in mentor.store.rows()} == ids

    plain = tmp_path / "plain" / "zero-width.md"
    plain.parent.mkdir()
    plain.write_text(
        _markdown("Invisible", INVISIBLE.translate(dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060"))))
    )
    doc = load_file(plain, "inbox/zero-width.md", max_bytes=10**6)
    assert {c.id: c.content_hash for c in chunk_document(doc)} == ids
