"""Quality gate on the dev split, on the full store and the guide alone; the test split's format."""

import json
from pathlib import Path

import pytest

from assistant.quality.evaluation import compare, default_splits, evaluate, question_sets, read_cases, regressions

EVAL = Path(__file__).resolve().parents[1] / "eval"
# Just under the level reached on dev when this gate was set (the closing notes of issues 15 and
# 32 give the test splits' figures, which were never tuned on). Key: "split/store". Correct fell
# from 0.95 to 0.92 on the full store in issue 32, when answers became about 100 words of the
# lines on the question instead of whole sections: fewer of the expected terms are quoted. It fell
# again, to 0.89, when answers left out the items and sentences that share no word with the
# question and the "where to start" line (a blind grading by the shape rubric of 120 dev answers
# rose from about 2 in 5 to about 1 in 2 passing).
FLOORS = {
    "dev/full": {
        "hit@1": 0.9,
        "hit@3": 0.98,
        "mrr": 0.93,
        "correct": 0.87,
        "refusal_recall": 0.97,
        "refusal_precision": 0.95,
    },
    "dev/guide": {
        "hit@1": 0.89,  # 0.93 before the eleventh stop's keys per list item, which cost dev 3 and gained on test
        "hit@3": 0.95,
        "mrr": 0.93,
        "correct": 0.87,
        "refusal_recall": 0.96,
        "refusal_precision": 0.95,
    },
    # The same files without question keys, roles or boost (a user's own files).
    "dev/uncurated": {
        "hit@1": 0.7,
        "hit@3": 0.82,
        "mrr": 0.76,
        "correct": 0.7,
        "refusal_recall": 0.85,
        "refusal_precision": 0.9,
    },
}
# At most this share of answerable dev questions refused: 1 in 40 where sections carry question
# keys; without keys the unkeyed model, fitted to 1 in 40 out of fold on three dev sets, refuses
# 5 of dev's 192 (1 in 38).
MAX_REFUSED = {"dev/full": 1 / 40, "dev/guide": 1 / 40, "dev/uncurated": 1 / 35}


@pytest.fixture(scope="module")
def reports(mentor):
    return compare(mentor, {"dev": read_cases(EVAL / "dev.jsonl")})


@pytest.mark.slow
@pytest.mark.parametrize(("column", "metric"), [(c, m) for c, floors in FLOORS.items() for m in floors])
def test_quality_stays_above_its_floor(reports, column, metric):
    assert reports[column].metrics[metric] >= FLOORS[column][metric], reports[column].table()


@pytest.mark.slow
@pytest.mark.parametrize("column", sorted(MAX_REFUSED))
def test_few_in_scope_questions_are_refused(reports, column):
    in_scope = reports[column].questions - sum(
        1 for m in reports[column].misses if m["problem"] == "answered out of scope"
    )
    assert reports[column].metrics["false_refusals"] <= max(1, in_scope * MAX_REFUSED[column]), reports[column].table()


@pytest.mark.slow
def test_the_guide_alone_refuses_no_more_answerable_questions_than_the_full_store(reports):
    assert reports["dev/guide"].metrics["false_refusals"] <= reports["dev/full"].metrics["false_refusals"] + 1


@pytest.mark.slow
def test_questions_near_a_declared_uncovered_topic_are_rarely_declined(mentor):
    # tests/eval/borderline*.jsonl: answered by the knowledge base, close to knowledge/out-of-scope.toml;
    # 2 of 144 (full) and 3 of 54 (guide) were refused when this gate was set; borderline3.jsonl
    # (30 money questions, none refused) joined it with the declared topic on prices. Without
    # question keys no gate declines; the unkeyed model weighs the topic and refused 6 of 174
    # (1 in 29) when it was fitted, so that store has its own, looser bound.
    names = ("borderline", "borderline2", "borderline3")
    cases = [case for name in names for case in read_cases(EVAL / f"{name}.jsonl")]
    for column, report in compare(mentor, {"borderline": cases}).items():
        limit = 6 if column.endswith("/uncurated") else 4
        assert report.metrics["false_refusals"] <= limit, f"{column}\n{report.table()}"


@pytest.mark.slow
def test_follow_up_dialogues_find_the_right_section(mentor):
    report = evaluate(mentor, read_cases(EVAL / "dialogues.jsonl"))
    assert report.metrics["hit@3"] >= 5 / 6, report.table()


def test_every_question_set_is_indexed_well_formed_and_names_real_headings():
    from assistant.paths import BUNDLED_KNOWLEDGE

    headings = set()
    for path in [BUNDLED_KNOWLEDGE / "guide.md", *sorted((BUNDLED_KNOWLEDGE / "resources").glob("*.md"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or line.startswith("title:"):
                headings.add(line.lstrip("#").removeprefix("title:").split("{#")[0].strip().rstrip(":"))
    assert set(question_sets()) == set(EVAL.glob("*.jsonl"))  # sets.toml lists every set, and only those
    for split in question_sets():
        cases = read_cases(split)
        assert split not in default_splits() or (len(cases) >= 100 and sum(1 for c in cases if not c.sections) >= 20)
        assert all(set(case.sections) <= headings for case in cases), split
        for line in split.read_text(encoding="utf-8").splitlines():
            assert set(json.loads(line)) <= {"question", "turns", "sections", "must_contain", "category", "ask"}


def test_regressions_name_the_metric_that_fell():
    assert regressions({"hit@3": 0.9, "false_refusals": 2.0}, {"hit@3": 0.95, "false_refusals": 1.0}) == [
        "hit@3 fell from 0.950 to 0.900",
        "false_refusals fell from 1.000 to 2.000",
    ]
    assert regressions({"mrr": 0.9}, {"mrr": 0.8}) == []
