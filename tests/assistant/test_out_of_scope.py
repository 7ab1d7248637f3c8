"""Declared out-of-scope topics: the file, the nearest topic, and questions declined by name."""

import pytest
from click.testing import CliRunner

from assistant import Mentor, Settings
from assistant.interfaces.cli import main
from assistant.retrieval.out_of_scope import DeclaredTopics, Topics, read, topics_file
from ingest import SourceError
from ingest.sentences import SentenceVectors

PAY = """
[[topic]]
name = "pay and salaries"
questions = [
  "how much do machine learning engineers earn",
  "what salary can a junior data scientist expect",
  "do deep learning jobs pay well",
]

[[topic]]
name = "buying hardware"
questions = ["which laptop should i buy", "what graphics card is worth the money", "best pc to buy for training"]
"""


def _declare(root, text=PAY):
    (root / "out-of-scope.toml").write_text(text)
    manifest = root / "sources.toml"
    if "out_of_scope" not in manifest.read_text():
        manifest.write_text('out_of_scope = "out-of-scope.toml"\n' + manifest.read_text())
    return manifest


def test_the_topics_file_is_read_as_topic_question_pairs(small_kb):
    manifest = _declare(small_kb)
    assert topics_file(manifest) == small_kb / "out-of-scope.toml"
    assert read(topics_file(manifest))[:3] == [
        ("pay and salaries", "how much do machine learning engineers earn"),
        ("pay and salaries", "what salary can a junior data scientist expect"),
        ("pay and salaries", "do deep learning jobs pay well"),
    ]


def test_a_manifest_that_names_no_topics_file_declares_nothing(small_kb, tmp_path, embedder):
    assert topics_file(small_kb / "sources.toml") is None
    topics = DeclaredTopics(small_kb / "sources.toml", SentenceVectors(tmp_path / "s.sqlite3", embedder)).current()
    assert topics.nearest(embedder.embed(["how much do engineers earn"])[0]) == (0.0, "")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[topic]]\nname = 'pay'\n", "topic 1: give name"),
        ("[[topic]]\nname = 'pay'\nquestions = ['a']\n[[topic]]\nquestions = ['b']\n", "topic 2: give name"),
        ("topic = 'pay'\n", "topic 1: give name"),
        ("[[topic]\n", "not valid TOML"),
    ],
)
def test_a_malformed_topics_file_is_named_with_the_fix(small_kb, text, problem):
    manifest = _declare(small_kb, text)
    with pytest.raises(SourceError, match=problem) as raised:
        read(topics_file(manifest))
    assert str(small_kb / "out-of-scope.toml") in str(raised.value)


def test_a_missing_topics_file_is_an_error_naming_it(small_kb):
    manifest = _declare(small_kb)
    (small_kb / "out-of-scope.toml").unlink()
    with pytest.raises(SourceError, match="no such file, named by `out_of_scope`"):
        read(topics_file(manifest))


def test_without_question_keys_a_declared_topic_weighs_against_a_question_near_it(small_kb, tmp_path, embedder):
    # small_kb's passages carry no question keys: no gate declines, the unkeyed model weighs the
    # topic (a gate of question against statement declined what users' own notes answer).
    question = "how much money does a deep learning engineer make?"
    mentor = Mentor(Settings(data_dir=tmp_path / "data", manifest=_declare(small_kb)), embedder=embedder)
    mentor.ingest()
    declared = mentor.ask(question).evidence
    _declare(small_kb, "")
    bare = mentor.ask(question).evidence
    assert declared["declined"] > bare["declined"] == 0.0
    assert declared["confidence"] < bare["confidence"]
    assert mentor.ask("How can I get a free GPU on Colab?").grounded  # what the sources answer stands


def test_an_edited_topics_file_counts_from_the_next_question(small_kb, tmp_path, embedder):
    manifest = _declare(small_kb)
    mentor = Mentor(Settings(data_dir=tmp_path / "data", manifest=manifest), embedder=embedder)
    mentor.ingest()
    question = "which laptop should i buy for deep learning?"
    assert "buying hardware" in mentor.ask(question).text
    _declare(small_kb, PAY.replace("buying hardware", "shopping for a computer"))
    assert "shopping for a computer" in mentor.ask(question).text
    _declare(small_kb, "")
    assert mentor.ask(question).evidence["declined"] == 0.0


def test_the_topics_vectors_outlive_an_ingest_and_the_process(small_kb, tmp_path, embedder):
    settings = Settings(data_dir=tmp_path / "data", manifest=_declare(small_kb))
    Mentor(settings, embedder=embedder).declared_topics.current()
    with (small_kb / "notes" / "colab.md").open("a") as note:
        note.write("\nColab Pro adds background execution.\n")
    Mentor(settings, embedder=embedder).ingest()  # prunes the sentence vectors to what the store holds
    calls = embedder.calls
    Mentor(settings, embedder=embedder).declared_topics.current()  # a new process, as `mentor ask` is
    assert embedder.calls == calls


@pytest.mark.parametrize("command", [["ingest"], ["ask", "what is overfitting?"]])
def test_the_cli_reports_a_broken_topics_file_in_one_line(small_kb, tmp_path, command):
    manifest = _declare(small_kb)
    env = {"MENTOR_MANIFEST": str(manifest)}
    data = str(tmp_path / "data")
    assert CliRunner().invoke(main, ["--data-dir", data, "ingest"], env=env).exit_code == 0
    _declare(small_kb, "[[topic]]\nname = 'pay'\n")
    done = CliRunner().invoke(main, ["--data-dir", data, *command], env=env)
    assert done.exit_code != 0
    assert done.output.strip().count("\n") == 0 and "out-of-scope.toml topic 1: give name" in done.output


def test_the_topic_named_is_the_one_whose_closest_examples_are_closest_not_one_stray_example():
    import numpy as np

    def unit(similarity):  # a vector with this similarity to (1, 0)
        return [similarity, (1 - similarity**2) ** 0.5]

    vectors = np.array([unit(0.9), unit(0.2), unit(0.1), unit(0.85), unit(0.84), unit(0.83)])
    topics = Topics(("hiring", "hiring", "hiring", "pay", "pay", "pay"), vectors)
    similarity, topic = topics.nearest(np.array([1.0, 0.0]))
    assert topic == "pay" and similarity == pytest.approx(0.9)  # the rule still weighs the nearest example
