"""Hybrid search: a source the manifest boosts wins near-ties, and the boost is checked."""

import pytest

from assistant import Mentor, Settings
from ingest import SourceError, read_manifest

NOTES = {
    "guide.md": "# Guide\n\n## Free GPU\n\nGoogle Colab gives you a free GPU for your experiments.\n",
    "colab.md": "# Colab\n\n## Free GPU\n\nColab offers free GPU access for experiments.\n",
}


def _manifest(root, boosted: str = "", boost: str = "0.3") -> None:
    entries = [f'[[source]]\npath = "{name}"\n' + (f"boost = {boost}\n" if name == boosted else "") for name in NOTES]
    (root / "sources.toml").write_text("\n".join(entries))


def test_a_boosted_source_wins_a_near_tie_and_moving_the_boost_needs_no_re_embedding(tmp_path, embedder):
    for name, text in NOTES.items():
        (tmp_path / name).write_text(text)
    _manifest(tmp_path)
    mentor = Mentor(Settings(data_dir=tmp_path / "data", manifest=tmp_path / "sources.toml"), embedder=embedder)
    mentor.ingest()
    question = "where can i train on a free gpu"
    unboosted = [p.source for p in mentor.search(question, k=2)]
    assert sorted(unboosted) == sorted(NOTES)
    _manifest(tmp_path, boosted=unboosted[1])
    report = mentor.ingest()
    assert report.embedded == 0 and report.count("updated") == 1
    boosted = mentor.search(question, k=2)
    assert [p.source for p in boosted] == unboosted[::-1]
    assert boosted[0].score <= 1.0  # the boost orders passages; it is not evidence of an answer


@pytest.mark.parametrize("value", ["2", '"high"', "true", "-0.1"])
def test_a_boost_that_is_not_a_number_from_0_to_1_is_named(tmp_path, value):
    for name, text in NOTES.items():
        (tmp_path / name).write_text(text)
    _manifest(tmp_path, boosted="colab.md", boost=value)
    with pytest.raises(SourceError, match=r"entry 2: `boost` must be a number from 0 to 1, e\.g\. boost = 0\.04"):
        read_manifest(tmp_path / "sources.toml")
