"""Extractive answers: sentences chosen by meaning, each cited, under their section's heading."""

from assistant.extractive import compose
from assistant.retrieval import Passage
from ingest.sentences import SentenceVectors


def _passage(i: int, text: str, section: str) -> Passage:
    return Passage(id=f"p{i}", text=text, score=0.6,
                   metadata={"title": "Guide", "section": section, "section_path": f"Guide > {section}"})


def test_two_passages_of_one_section_share_one_heading_and_keep_their_own_numbers(tmp_path, embedder):
    passages = [_passage(0, "Launching a deep learning career takes a strong portfolio of projects.",
                         "Conclusion"),
                _passage(1, "A deep learning career grows with every project you publish.",
                         "Conclusion")]
    draft = compose("how do I start a deep learning career", passages,
                    SentenceVectors(tmp_path / "s.sqlite3", embedder))
    assert draft.cited == [0, 1]
    assert draft.text.count("**Guide · Conclusion**") == 1
    assert "portfolio of projects. [1]" in draft.text and "you publish. [2]" in draft.text


def test_sentences_far_from_the_question_are_left_out(tmp_path, embedder):
    passages = [_passage(0, "Colab gives you a free GPU for a few hours. Bananas are rich in "
                            "potassium and taste sweet.", "Free GPUs")]
    draft = compose("where can I get a free GPU", passages,
                    SentenceVectors(tmp_path / "s.sqlite3", embedder))
    assert "free GPU for a few hours. [1]" in draft.text
    assert "Bananas" not in draft.text
    assert draft.best_unit > 0.5
