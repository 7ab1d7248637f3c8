"""Loaders read markdown, text, HTML and PDF, and refuse bad files with a one-line reason."""

from pathlib import Path

import pytest

from ingest import SourceError, load_file

MAX = 10**6


def _load(path: Path):
    return load_file(path, path.name, max_bytes=MAX)


def test_markdown_front_matter_sets_title_url_and_tags(tmp_path):
    path = tmp_path / "colab.md"
    path.write_text(
        "---\ntitle: Google Colab\nurl: https://colab.research.google.com/\n"
        "tags: [gpu, tools]\n---\n\n# Colab\n\nFree GPU.\n"
    )
    doc = _load(path)
    assert (doc.title, doc.url, doc.tags) == ("Google Colab", "https://colab.research.google.com/", ("gpu", "tools"))
    assert "title:" not in doc.text


def test_html_main_text_keeps_headings(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>GPU tips</title></head><body><nav>menu</nav><article>"
        "<h1>GPU tips</h1><p>Use a cloud GPU when your laptop is too slow to train "
        "anything useful in a reasonable time.</p><h2>Colab</h2><p>Colab notebooks "
        "offer a free GPU for small experiments and learning.</p></article></body></html>"
    )
    doc = _load(path)
    assert doc.title == "GPU tips"
    assert "## Colab" in doc.text or "# Colab" in doc.text
    assert "free GPU" in doc.text


def test_pdf_text_is_extracted_per_page(tmp_path):
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 20 100 Td (Dropout reduces overfitting.) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    path = tmp_path / "notes.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    doc = _load(path)
    assert "Dropout reduces overfitting." in doc.text
    assert "## Page 1" in doc.text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "is empty"),
        ("blank.txt", b"  \n\n ", "is empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "looks binary"),
        ("latin.md", "Caf\xe9 r\xe9sum\xe9".encode("cp1252"), "not valid UTF-8"),
        ("corrupt.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer <<>>\n%%EOF", "PDF"),
        ("picture.png", b"\x89PNG", "unsupported file type"),
    ],
)
def test_bad_files_are_refused_with_one_line_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError) as caught:
        _load(path)
    message = str(caught.value)
    assert name in message and reason in message and "\n" not in message


def test_missing_file_and_size_cap(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        _load(tmp_path / "missing.md")
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000)
    with pytest.raises(SourceError, match="max_file_mb"):
        load_file(big, "big.txt", max_bytes=100)


def test_utf16_with_bom_and_invisible_characters_are_normalised(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_bytes("Zero\u200bwidth text about GPUs.".encode("utf-16"))
    assert _load(path).text == "Zerowidth text about GPUs."
