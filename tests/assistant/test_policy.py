"""The answer policy on plain data: the scope model, coverage, and when an LLM answer stands."""

import pytest

from assistant.answering import policy
from assistant.retrieval.search import Passage


def _rarity(word: str) -> float:
    return {"free": 0.5, "gpu": 1.0, "salary": 4.0}.get(word, 1.0)


def test_confidence_grows_with_every_signal():
    low = policy.Evidence(0.4, 0.4, 0.3)
    assert policy.Evidence(0.8, 0.4, 0.3).confidence > low.confidence
    assert policy.Evidence(0.4, 0.7, 0.3).confidence > low.confidence
    assert policy.Evidence(0.4, 0.4, 0.9).confidence > low.confidence
    assert 0.0 < low.confidence < 1.0
    assert set(low.to_dict()) == {
        "question_match",
        "sentence_match",
        "coverage",
        "declined",
        "unkeyed_match",
        "text_match",
        "text_coverage",
        "keyed",
        "confidence",
    }


def test_without_question_keys_the_unkeyed_model_weighs_text_sentence_words_and_declared_topics():
    low = policy.Evidence(0.0, 0.4, 0.0, 0.5, text_match=0.4, text_coverage=0.3, keyed=False)
    assert policy.Evidence(0.0, 0.4, 0.0, 0.5, text_match=0.6, text_coverage=0.3, keyed=False).confidence > (
        low.confidence
    )
    assert policy.Evidence(0.0, 0.6, 0.0, 0.5, text_match=0.4, text_coverage=0.3, keyed=False).confidence > (
        low.confidence
    )
    assert policy.Evidence(0.0, 0.4, 0.0, 0.5, text_match=0.4, text_coverage=0.9, keyed=False).confidence > (
        low.confidence
    )
    assert policy.Evidence(0.0, 0.4, 0.0, 0.7, text_match=0.4, text_coverage=0.3, keyed=False).confidence < (
        low.confidence
    )
    # Question keys count for nothing there: the same evidence with a high key match is no surer.
    keyed_match = policy.Evidence(0.9, 0.4, 0.0, 0.5, text_match=0.4, text_coverage=0.3, keyed=False)
    assert keyed_match.confidence == low.confidence


def test_coverage_weighs_a_missing_rare_word_most():
    texts = ["Colab gives you a free GPU"]
    assert policy.coverage("free gpu", texts, _rarity) == 1.0
    assert policy.coverage("free gpu salary", texts, _rarity) == pytest.approx(1.5 / 5.5)
    assert policy.coverage("careers", ["career paths"], _rarity) == 1.0  # stems match
    assert policy.coverage("the and of", texts, _rarity) == 1.0  # nothing telling to miss
    assert policy.coverage("free gpu, isnt it", texts, _rarity) == 1.0  # "isn't", unpunctuated


def test_evidence_reads_headings_text_and_question_keys_of_the_passages():
    passage = Passage(
        "a",
        "Use dropout.",
        0.6,
        {"section_path": "Guide > Solutions"},
        text_score=0.5,
        question_score=0.6,
        questions=("my model memorizes the data",),
    )
    found = policy.evidence(["model memorizes"], [passage], 0.55, _rarity, (0.4, "pay"))
    assert found == policy.Evidence(0.6, 0.55, 1.0, 0.4, "pay", text_match=0.5, text_coverage=0.0, keyed=True)
    assert policy.answers(True, found, 0.2) and not policy.answers(False, found, 0.2)
    assert not policy.answers(True, policy.Evidence(0.1, 0.1, 0.0), 0.2)


def test_a_declared_topic_clearly_nearer_than_a_question_key_declines_however_sure_the_model():
    sure = policy.Evidence(0.7, 0.7, 1.0)
    assert sure.confidence > 0.9 and policy.answers(True, sure, 0.2)
    a_little_nearer = policy.Evidence(0.7, 0.7, 1.0, 0.7 + policy.DECLINE_MARGIN / 2, "pay")
    assert not a_little_nearer.out_of_scope and policy.answers(True, a_little_nearer, 0.2)
    nearer = policy.Evidence(0.7, 0.7, 1.0, 0.71 + policy.DECLINE_MARGIN, "pay")
    assert nearer.out_of_scope and not policy.answers(True, nearer, 0.2)
    assert policy.named_topic(nearer, 0.2) == "pay"


def test_without_question_keys_a_declared_topic_is_weighed_not_a_gate():
    # "how long is the walk after studying?", answered by a user's own file with no question keys:
    # a declared topic on study habits (0.49) is nearer than its text (0.47), not than its sentence.
    keyed = policy.Evidence(0.47, 0.54, 1.0, 0.6, "motivation")
    assert keyed.out_of_scope
    unkeyed = policy.Evidence(0.47, 0.54, 1.0, 0.6, "motivation", 0.54, 0.47, 0.8, keyed=False)
    assert not unkeyed.out_of_scope and policy.answers(True, unkeyed, 0.2)
    far = policy.Evidence(0.3, 0.3, 0.2, 0.7, "pay", 0.3, 0.3, 0.2, keyed=False)  # "what do ml engineers earn"
    assert not policy.answers(True, far, 0.2) and policy.named_topic(far, 0.2) == "pay"


def test_a_refusal_names_a_declared_topic_only_when_the_question_is_near_it():
    far = policy.Evidence(0.16, 0.1, 0.0, 0.2, "hiring at specific companies")  # "capital of France?"
    assert far.nearer_a_topic and not policy.answers(True, far, 0.2) and policy.named_topic(far, 0.2) == ""
    near = policy.Evidence(0.36, 0.47, 0.17, 0.7, "buying hardware")  # "which laptop should i buy?"
    assert near.confidence < 0.2 and policy.named_topic(near, 0.2) == "buying hardware"
    assert policy.named_topic(policy.Evidence(0.7, 0.7, 1.0, 0.69, "pay"), 0.2) == ""  # answered


def test_a_refusal_names_the_nearest_sections_unless_the_question_is_far_from_them_all():
    far = policy.Evidence(0.16, 0.1, 0.0, 0.2, "hiring at specific companies")  # "capital of France?"
    assert not policy.names_neighbours(far, policy.named_topic(far, 0.2))
    near = policy.Evidence(0.36, 0.47, 0.17, 0.7, "buying hardware")  # "which laptop should i buy?"
    assert policy.names_neighbours(near, policy.named_topic(near, 0.2))
    unsure = policy.Evidence(0.5, 0.4, 0.3, 0.3, "pay")  # refused by the scope model, no topic nearer
    assert not policy.answers(True, unsure, 0.2) and policy.names_neighbours(unsure, "")


@pytest.mark.parametrize(
    ("text", "cited", "stopped", "why"),
    [
        ("Colab is free [1].", [1], "", ""),
        ("Colab is free.", [], "", "cited no passage"),
        ("Colab is free [1].", [1], "it took over 30 s", "cut off (it took over 30 s)"),
        ("The answer to your question is: [1]. " * 5, [1], "", "repeated itself"),
    ],
)
def test_llm_failure_says_why_an_answer_must_not_stand(text, cited, stopped, why):
    assert (why in policy.llm_failure(text, cited, stopped)) if why else not policy.llm_failure(text, cited, stopped)


def test_repeats_counts_whole_sentences_not_words():
    assert policy.repeats("Use Colab. Use Colab now. " + "Save your work often. " * 4)
    assert not policy.repeats("Use Colab. Kaggle has GPUs. Save your work. Stop idle machines.")


def test_only_words_that_say_something_count_as_shared():
    assert policy.shares_a_word("what skills do I need?", "Skills Required")
    assert policy.shares_a_word("how do I start?", "How to start")  # "start", not "how"
    assert not policy.shares_a_word("how do I begin?", "How to start: what it is")
    assert not policy.shares_a_word("what should I wear to an interview?", "Value Proposition")
    # A word of the source's title is shared by every heading of the source.
    guide = "Launch Your Deep Learning Career"
    assert not policy.shares_a_word("no gpu, can I still do deep learning?", "Challenges in Deep Learning", guide)
    assert policy.shares_a_word("what challenges will I meet?", "Challenges in Deep Learning", guide)
