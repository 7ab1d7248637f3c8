"""Question keys and section roles: read from the manifest, attached at ingest, searched."""

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant import Mentor, Settings
from ingest import SourceError, read_manifest
from ingest.questions import SectionKey, annotate


def _with_questions(root, questions: str, roles: str = "") -> None:
    (root / "sources.toml").write_text(f'questions = "questions/*.toml"\n[[source]]\nglob = "notes/*.md"\n{roles}\n')
    (root / "questions").mkdir(exist_ok=True)
    (root / "questions" / "overfitting.toml").write_text(questions)


KEYS = (
    'source = "notes/overfitting.md"\n[[section]]\nheading = "Fixes"\n'
    'questions = ["my network memorises the training pictures, help", "why is my val loss going up"]\n'
)


def test_questions_attach_to_their_section_and_roles_are_inherited():
    keys = (
        SectionKey("Intro", role="overview"),
        SectionKey("Guide > Fixes", ("q1", "q2")),
        SectionKey("Next", role="advice"),
    )
    assert annotate(["Guide", "Fixes"], keys) == (("q1", "q2"), "")
    assert annotate(["Guide", "Intro", "Why"], keys) == ((), "overview")
    assert annotate(["Guide", "Intro", "Next"], keys) == ((), "advice")
    assert annotate(["Other", "Fixes"], keys) == ((), "")


def test_a_section_is_found_by_a_question_its_text_never_words(small_kb, embedder):
    question = "my network memorises the training pictures, what now"
    plain = Mentor(Settings(data_dir=small_kb / "plain", manifest=small_kb / "sources.toml"), embedder=embedder)
    plain.ingest()
    _with_questions(small_kb, KEYS)
    keyed = Mentor(Settings(data_dir=small_kb / "keyed", manifest=small_kb / "sources.toml"), embedder=embedder)
    keyed.ingest()
    top = keyed.search(question, k=1)[0]
    assert top.section == "Fixes" and top.question_score > 0.8
    assert top.question_score > plain.search(question, k=3)[0].score
    stored = {r.metadata["section"]: r.metadata for r in keyed.store.rows()}
    assert stored["Fixes"]["questions"].split("\n")[0].startswith("my network memorises")
    assert "questions" not in stored["Free GPU"]


def test_editing_question_keys_updates_metadata_without_re_embedding(small_kb, embedder):
    _with_questions(small_kb, KEYS)
    mentor = Mentor(Settings(data_dir=small_kb / "data", manifest=small_kb / "sources.toml"), embedder=embedder)
    mentor.ingest()
    _with_questions(small_kb, KEYS.replace("why is my val loss going up", "validation loss rising?"))
    report = mentor.ingest()
    assert report.embedded == 0 and report.count("updated") == 1
    assert mentor.search("validation loss rising?", k=1)[0].question_score > 0.95


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("source = 3\n", "expected source"),
        ('source = "x.md"\n[[section]]\nheading = "A"\nquestions = "not a list"\n', "expected source"),
        ("not toml at all [", "not a readable TOML question file"),
    ],
)
def test_a_malformed_question_file_is_named_with_what_to_fix(small_kb, text, message):
    _with_questions(small_kb, text)
    with pytest.raises(SourceError, match=f"overfitting.toml.*{message}"):
        read_manifest(small_kb / "sources.toml")


def test_a_role_taken_out_of_the_manifest_leaves_the_store_and_the_next_ingest_has_nothing_to_do(small_kb, embedder):
    _with_questions(small_kb, KEYS, roles='roles = { "Fixes" = "overview" }\nboost = 0.1')
    mentor = Mentor(Settings(data_dir=small_kb / "data", manifest=small_kb / "sources.toml"), embedder=embedder)
    mentor.ingest()
    assert {r.metadata["section"]: r.metadata.get("role") for r in mentor.store.rows()}["Fixes"] == "overview"
    _with_questions(small_kb, KEYS)
    assert mentor.ingest().embedded == 0
    assert not any("role" in r.metadata or "boost" in r.metadata for r in mentor.store.rows())
    assert mentor.ingest().count("updated") == 0


def test_roles_must_name_a_known_role(small_kb):
    _with_questions(small_kb, KEYS, roles='roles = { "Fixes" = "filler" }')
    with pytest.raises(SourceError, match="entry 1: `roles` must map headings to one of advice, overview"):
        read_manifest(small_kb / "sources.toml")


def test_the_chat_model_writes_keys_for_uncurated_passages_once(small_kb, embedder):
    _with_questions(small_kb, KEYS)
    replies = ["1. is colab free\n2. where do i get a gpu without paying?"] * 3 + ["- what jobs exist"] * 3
    model = FakeListChatModel(responses=replies)
    settings = Settings(data_dir=small_kb / "data", manifest=small_kb / "sources.toml", generate_questions=True)
    mentor = Mentor(settings, embedder=embedder, chat_model=model)
    mentor.ingest()
    rows = {r.metadata["section"]: r.metadata for r in mentor.store.rows()}
    assert rows["Fixes"]["questions"].startswith("my network memorises")  # curated: kept as written
    written = [rows[s].get("questions", "") for s in ("Free GPU", "Pitfalls", "Roles")]
    assert all(written) and "is colab free" in " ".join(written)
    calls = model.i
    assert mentor.ingest().embedded == 0 and model.i == calls  # cached: the model is not asked again
