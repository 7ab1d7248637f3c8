"""Source cards: the sentences an answer quotes are highlighted, and documents stay data."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ui"))  # ui/ is a folder of scripts
import sources  # noqa: E402

from assistant import Answer, Citation  # noqa: E402

PASSAGE = """Google Colab is a free notebook service. The free tier can give you a GPU.

- Use it when you have no GPU at home.
- It is not a good fit for multi-day training."""


def _answer(text: str) -> Answer:
    citation = Citation(1, "id", "colab.md", "Google Colab", "What it is", "colab.md#what-it-is", "", 0.8, PASSAGE)
    return Answer(text, grounded=True, citations=[citation])


def test_the_sentences_an_answer_quotes_are_highlighted() -> None:
    answer = _answer(
        "**Google Colab** [1]\n\n- Use it when you have no GPU at home. [1]\n\nThe free tier can give you a GPU. [1]"
    )

    shown = sources.highlighted(PASSAGE, sources.quoted(answer, 1), [])

    assert ":orange-background[The free tier can give you a GPU.]" in shown
    assert ":orange-background[Use it when you have no GPU at home.]" in shown
    assert shown.count(":orange-background[") == 2  # the title alone quotes nothing
    assert sources.quoted(answer, 2) == []


def test_a_highlighted_sentence_keeps_document_markup_as_text() -> None:
    passage = 'Read <img src=x onerror="alert(1)"> the docs now. See [docs](javascript:alert(2)).\ue001'
    answer = _answer('Read <img src=x onerror="alert(1)"> the docs now. [1]')

    shown = sources.highlighted(passage, sources.quoted(answer, 1), [])

    assert shown.startswith(":orange-background[Read &lt;img")
    assert "](javascript:" not in shown
    assert "\ue001" not in shown and "<img" not in shown


def test_a_paraphrase_highlights_nothing() -> None:
    shown = sources.highlighted(PASSAGE, sources.quoted(_answer("Colab lends you a GPU for free. [1]"), 1), [])

    assert ":orange-background[" not in shown


def test_a_popover_label_names_the_source_briefly() -> None:
    guide = Citation(
        2,
        "g",
        "guide.md",
        "Launch Your Deep Learning Career: The Ultimate Beginner's Guide",
        "Career Paths in Deep Learning",
        "",
        "",
        0.9,
        "x",
    )
    assert sources.label(guide) == "2 · Career Paths in Deep Learning"
    assert sources.label(_answer("").citations[0]) == "1 · Google Colab"
