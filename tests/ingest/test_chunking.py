"""The chunker follows headings, keeps ids stable and never crosses a top-level section."""

from pathlib import Path

import pytest

from ingest import Document, chunk_document, load_file

GUIDE = Path(__file__).resolve().parents[2] / "knowledge" / "guide.md"
GUIDE_SECTIONS = [
    "Introduction",
    "Key Components for Building a Strong Foundation",
    "Common Challenges in Deep Learning",
    "Fundamental Concepts of Neural Networks",
    "Career Paths in Deep Learning",
    "Building a Deep Learning Portfolio",
    "Tools and Frameworks for Deep Learning",
    "Overcoming Challenges in Deep Learning",
    "Conclusion and Next Steps",
]


@pytest.fixture(scope="module")
def guide_chunks():
    return chunk_document(load_file(GUIDE, "guide.md", max_bytes=10**7))


@pytest.mark.parametrize("section", GUIDE_SECTIONS)
def test_every_guide_section_is_chunked_with_its_metadata(guide_chunks, section):
    found = [c for c in guide_chunks if c.metadata["section_path"].split(" > ")[1] == section]
    assert found, section
    top = found[0].metadata
    assert top["section"] == section
    assert top["source"] == "guide.md"
    assert "{#" not in top["section"]


def test_anchors_use_the_guide_ids(guide_chunks):
    anchors = {c.metadata["section"]: c.metadata["anchor"] for c in guide_chunks}
    assert anchors["Career Paths in Deep Learning"] == "guide.md#career-paths"
    assert anchors["Overcoming Challenges in Deep Learning"] == "guide.md#overcoming-challenges"
    assert anchors["Skills Required"] == "guide.md#skills-required"


def test_repeated_headings_get_distinct_anchors(guide_chunks):
    best = sorted(c.metadata["anchor"] for c in guide_chunks if c.metadata["section"] == "Best Practices")
    assert best == ["guide.md#best-practices", "guide.md#best-practices-1"]


def test_table_of_contents_is_not_a_passage(guide_chunks):
    assert not any("](#foundation)" in c.text for c in guide_chunks)


def test_repeated_closing_sentence_is_stored_once(guide_chunks):
    assert sum(c.text.count("With perseverance, practice") for c in guide_chunks) == 1


def test_ids_depend_only_on_source_and_content():
    doc = Document(source="a.md", title="A", text="# A\n\n## One\n\nSome text here.\n")
    first, again = chunk_document(doc), chunk_document(doc)
    assert [c.id for c in first] == [c.id for c in again]
    moved = Document(source="b.md", title="A", text=doc.text)
    assert chunk_document(moved)[0].id != first[0].id
    reflowed = Document(source="a.md", title="A", text="# A\n\n## One\n\nSome   text\nhere.\n")
    assert chunk_document(reflowed)[0].id == first[0].id


def test_long_sections_split_by_size_but_never_across_top_level_sections():
    body = " ".join(f"Sentence number {i} about training neural networks." for i in range(80))
    doc = Document(source="long.md", title="Long", text=f"# Long\n\n## First\n\n{body}\n\n## Second\n\nShort.\n")
    chunks = chunk_document(doc, max_chars=500)
    firsts = [c for c in chunks if c.metadata["section"] == "First"]
    assert len(firsts) > 3 and all(len(c.text) <= 500 for c in firsts)
    assert all("Short." not in c.text for c in firsts)
    assert [c.metadata["position"] for c in chunks] == list(range(len(chunks)))


def test_headings_are_embedded_with_the_text():
    doc = Document(source="n.md", title="Google Colab", text="# Google Colab\n\n## Pitfalls\n\nSave to Drive.\n")
    chunk = chunk_document(doc)[0]
    assert chunk.embed_text.startswith("Google Colab > Pitfalls\n")
    assert chunk.text == "Save to Drive."


def test_skipped_sections_are_left_out():
    doc = Document(source="g.md", title="G", text="# G\n\n## Keep\n\nYes.\n\n## SEO\n\nNo.\n\n### Sub\n\nNo.\n")
    assert [c.metadata["section"] for c in chunk_document(doc, skip_sections=("SEO",))] == ["Keep"]
