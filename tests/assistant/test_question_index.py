"""The question index: each passage scores its best question key."""

import numpy as np

from assistant.retrieval.question_index import QuestionIndex


def test_each_passage_scores_its_best_question_whatever_order_the_keys_come_in():
    rng = np.random.default_rng(7)
    owners = ["c", "a", "b", "a", "c", "c", "b"]  # interleaved, as rows of a store may be
    vectors = rng.normal(size=(len(owners), 8)).astype(np.float32)
    query = rng.normal(size=8).astype(np.float32)
    index = QuestionIndex(owners, [f"q{i}" for i in range(len(owners))], vectors)
    similarities = vectors @ query
    expected = {o: max(float(s) for s, x in zip(similarities, owners, strict=True) if x == o) for o in set(owners)}
    got = index.scores(query)
    assert got.keys() == expected.keys()
    assert all(abs(got[o] - expected[o]) < 1e-6 for o in expected)


def test_an_index_without_questions_scores_nothing():
    assert QuestionIndex([], [], np.zeros((0, 8), np.float32)).scores(np.ones(8, np.float32)) == {}
