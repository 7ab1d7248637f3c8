"""Messages that ask several things, on the real knowledge base: each ask weighed, the uncovered ones named."""

import pytest

from assistant.answering import conversation, weighing
from assistant.answering.answers import uncovered

ANSWERED_AND_NOT = "How can I get a free GPU, and how much salary can I expect as a deep learning engineer?"
NONE_ANSWERED = "How much does a deep learning engineer earn, and which visa do I need to move to Canada?"


def test_uncovered_quotes_each_ask_and_closes_the_answer():
    assert uncovered(()) == ""
    assert uncovered(("how much does it pay?",)) == (
        "\n\nThe knowledge base doesn't cover “how much does it pay”, so I won't guess there."
    )
    assert uncovered(("What about visas?", "is it hard.")) == (
        "\n\nThe knowledge base doesn't cover “What about visas”; “is it hard”, so I won't guess there."
    )


def test_weigh_answers_a_message_and_names_the_ask_it_leaves_uncovered(mentor):
    asks = conversation.asks(ANSWERED_AND_NOT)
    assert len(asks) == 2 and "salary" in asks[1]
    found = weighing.weigh(mentor, ANSWERED_AND_NOT, [], mentor.settings.top_k)
    assert found.answers(mentor.settings.min_confidence)
    assert found.uncovered == (asks[1],)
    # Each ask alone: the free GPU is answered, the salary is not.
    gpu = weighing.weigh(mentor, asks[0], [], mentor.settings.top_k)
    assert gpu.answers(mentor.settings.min_confidence) and gpu.uncovered == ()
    assert not weighing.weigh(mentor, asks[1], [], mentor.settings.top_k).answers(mentor.settings.min_confidence)


def test_an_answer_to_one_ask_of_two_ends_saying_what_it_does_not_cover(mentor):
    answer = mentor.ask(ANSWERED_AND_NOT)
    assert answer.grounded and answer.mode == "extractive"
    assert "Colab" in answer.text and "[1]" in answer.text
    salary = conversation.asks(ANSWERED_AND_NOT)[1]
    assert answer.text.endswith(uncovered((salary,))), answer.text
    assert answer.text.count("doesn't cover") == 1
    assert "[" not in answer.text.split("\n\n")[-1]  # the closing line cites nothing


def test_a_message_whose_asks_are_all_uncovered_is_refused(mentor):
    assert len(conversation.asks(NONE_ANSWERED)) == 2
    found = weighing.weigh(mentor, NONE_ANSWERED, [], mentor.settings.top_k)
    assert not found.answers(mentor.settings.min_confidence)
    answer = mentor.ask(NONE_ANSWERED)
    assert answer.mode == "refusal" and not answer.grounded and not answer.citations
    assert "won't guess." in answer.text and "won't guess there" not in answer.text


def test_a_refusal_offers_only_related_topics_one_a_source(mentor):
    # "value" is in "Value Proposition" (the guide's pitch), which says nothing of weight decay.
    off = mentor.ask("what value of weight decay is best for adamw")
    assert off.mode == "refusal" and off.related == [] and "closest topics" not in off.text
    near = mentor.ask("how do i write a transformer attention layer from scratch in pytorch")
    assert near.mode == "refusal" and len(near.related) == 1 and near.related[0].startswith("PyTorch: ")
    assert f"The closest topics it does cover: {near.related[0]}." in near.text


@pytest.mark.parametrize(
    "message",
    [
        "I'm tuning the learning rate schedule of my ResNet, cosine against one cycle. "
        "which of those works better in practice? and how long should its warmup be",
        "I'm comparing LSTM and GRU cells for sensor sequences. "
        "which of them trains faster? and which is more accurate",
    ],
)
def test_an_ask_that_refers_back_is_read_with_the_message_not_alone(mentor, message):
    # Alone, "which of them trains faster?" is near anything on frameworks; it asks about LSTM and GRU.
    assert len(conversation.asks(message)) == 2
    answer = mentor.ask(message)
    assert answer.mode == "refusal" and not answer.citations, answer.text
