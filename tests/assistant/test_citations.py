"""Checking generated answers: markers, quotes and links are kept only when the passages back them."""

import pytest

from assistant.answering.citations import CheckedText, check_citations
from assistant.retrieval.search import Passage

PASSAGES = [
    Passage(
        "colab",
        "Google Colab is a free, browser-based Jupyter notebook service. The free tier can give you a GPU.",
        0.9,
        {"title": "Google Colab", "section": "What it is", "url": "https://colab.research.google.com/"},
    ),
    Passage(
        "kaggle",
        "Kaggle notebooks include a weekly quota of free GPU and TPU time. See "
        "https://www.kaggle.com/docs/notebooks for the limits.",
        0.8,
        {"title": "Kaggle", "section": "What it is", "url": "https://www.kaggle.com/"},
    ),
    Passage(
        "fastai",
        "Run the course notebooks on Google Colab or Kaggle.",
        0.7,
        {"title": "fast.ai", "section": "How to start"},
    ),
]


@pytest.mark.parametrize(
    ("text", "expected", "cited"),
    [
        ("Colab is free [1].", "Colab is free [1].", [1]),
        ("Kaggle has GPU hours [2]. Colab too [1].", "Kaggle has GPU hours [1]. Colab too [2].", [2, 1]),
        (
            "Use Colab or Kaggle [3]. Kaggle has quotas [2]. Fast.ai says so [3].",
            "Use Colab or Kaggle [1]. Kaggle has quotas [2]. Fast.ai says so [1].",
            [3, 2],
        ),
        ("Both give GPUs [1, 2].", "Both give GPUs [1, 2].", [1, 2]),
        ("Both give GPUs [2, 1].", "Both give GPUs [1, 2].", [2, 1]),
        ("Both give GPUs [2][3].", "Both give GPUs [1][2].", [2, 3]),
    ],
)
def test_valid_markers_are_kept_and_renumbered_by_first_appearance(text, expected, cited):
    checked = check_citations(text, PASSAGES)
    assert checked == CheckedText(expected, cited, [])


@pytest.mark.parametrize(
    ("text", "expected", "cited", "notes"),
    [
        ("Colab is free [1]. Also [9].", "Colab is free [1]. Also.", [1], ["removed [9]: no such passage"]),
        ("Both give GPUs [1, 9].", "Both give GPUs [1].", [1], ["removed [9]: no such passage"]),
        (
            "Kaggle [2] and more [0, 4].",
            "Kaggle [1] and more.",
            [2],
            ["removed [0]: no such passage", "removed [4]: no such passage"],
        ),
        ("Nothing backs this [7].", "Nothing backs this.", [], ["removed [7]: no such passage"]),
        ("No citations at all.", "No citations at all.", [], []),
    ],
)
def test_markers_naming_no_passage_are_removed_and_noted(text, expected, cited, notes):
    checked = check_citations(text, PASSAGES)
    assert (checked.text, checked.cited, checked.notes) == (expected, cited, notes)


@pytest.mark.parametrize(
    "text",
    [
        'The guide says "the free tier can give you a GPU" [1].',
        "Colab is “a free, browser-based Jupyter notebook service” [1].",
        'As it puts it, "The FREE tier\n can give you a GPU." [1]'.replace("\n", " "),
        'Kaggle offers "a weekly quota of free GPU and TPU time", [2].',
        'Short quotes such as "free GPU" are not checked [3].',
    ],
)
def test_real_quotes_keep_their_citation(text):
    checked = check_citations(text, PASSAGES)
    assert checked.notes == []
    assert checked.cited and "[1]" in checked.text


@pytest.mark.parametrize(
    ("text", "expected", "cited", "notes"),
    [
        (
            'Colab promises "unlimited GPUs for everyone forever" [1].',
            'Colab promises "unlimited GPUs for everyone forever".',
            [],
            ["quote not found in [1]"],
        ),
        (
            'Kaggle says "the free tier can give you a GPU" [2].',
            'Kaggle says "the free tier can give you a GPU".',
            [],
            ["quote not found in [2]"],
        ),
        (
            "It is “a weekly quota of free GPU and TPU time” [1, 2].",
            "It is “a weekly quota of free GPU and TPU time” [1].",
            [2],
            ["quote not found in [1]"],
        ),
        (
            '"GPUs are guaranteed to every user" [1]. Colab is free [1].',
            '"GPUs are guaranteed to every user". Colab is free [1].',
            [1],
            ["quote not found in [1]"],
        ),
    ],
)
def test_fabricated_quotes_lose_their_citation(text, expected, cited, notes):
    checked = check_citations(text, PASSAGES)
    assert (checked.text, checked.cited, checked.notes) == (expected, cited, notes)


def test_a_quote_in_another_sentence_is_not_attached_to_a_later_marker():
    checked = check_citations('He said "this is not in any passage". Colab is free [1].', PASSAGES)
    assert checked.cited == [1] and checked.notes == []


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        (
            "Open [Colab](javascript:alert(1)) now [1].",
            "Open Colab now [1].",
            "removed link javascript:alert(1): not in a cited passage",
        ),
        (
            "Open [this](javascript:alert%281%29) now [1].",
            "Open this now [1].",
            "removed link javascript:alert%281%29: not in a cited passage",
        ),
        (
            "Colab [1] ![GPU chart](https://evil.example/track.png)",
            "Colab [1] GPU chart",
            "removed image https://evil.example/track.png: not in a cited passage",
        ),
        (
            "See [Kaggle docs](https://www.kaggle.com/docs/notebooks) [1].",
            "See Kaggle docs [1].",
            "removed link https://www.kaggle.com/docs/notebooks: not in a cited passage",
        ),
    ],
)
def test_links_outside_the_cited_passages_are_reduced_to_text(text, expected, note):
    checked = check_citations(text, PASSAGES)
    assert checked.text == expected
    assert checked.notes == [note]


@pytest.mark.parametrize(
    "text",
    [
        "Try [Google Colab](https://colab.research.google.com/) [1].",
        'Limits: [docs](https://www.kaggle.com/docs/notebooks "Kaggle") [2].',
    ],
)
def test_links_from_cited_passages_are_kept(text):
    checked = check_citations(text, PASSAGES)
    assert checked.text == text.replace("[2]", "[1]")
    assert checked.notes == []
