"""Extractive answers: the best section leads with its list whole, every line is cited."""

from dataclasses import replace

from assistant.extractive import compose, weighed
from assistant.search import Passage
from ingest.sentences import SentenceVectors


def _passage(
    i: int, text: str, section: str, score: float = 0.6, *, title: str = "Guide", role: str = "", asked: float = 0.0
) -> Passage:
    metadata = {
        "title": title,
        "section": section,
        "section_path": f"{title} > {section}",
        "source": f"{title}.md",
        "role": role,
    }
    return Passage(
        id=f"p{i}", text=text, score=max(score, asked), metadata=metadata, text_score=score, question_score=asked
    )


def _compose(tmp_path, embedder, question, passages):
    return compose(question, passages, SentenceVectors(tmp_path / "s.sqlite3", embedder))


def test_the_lead_section_gives_its_best_sentence_then_its_list_whole(tmp_path, embedder):
    skills = _passage(
        0,
        "Employers look for a handful of skills:\n\n- Strong Python\n- Machine learning "
        "algorithms\n- Data preprocessing\n- Cloud platforms for deployment",
        "Skills",
    )
    draft = _compose(tmp_path, embedder, "what skills do employers want", [skills])
    lines = draft.text.split("\n")
    assert lines[0] == "Employers look for a handful of skills: [1]"
    assert [line for line in lines if line.startswith("- ")] == [
        "- Strong Python [1]",
        "- Machine learning algorithms [1]",
        "- Data preprocessing [1]",
        "- Cloud platforms for deployment [1]",
    ]
    assert draft.cited == [0]


def test_a_lead_list_of_unrelated_items_opens_with_the_item_on_the_question_alone(tmp_path, embedder):
    challenges = (
        "- **Data quality:** Clean and augment your data.\n"
        "- **Compute:** Google Colab gives free GPU access for experiments.\n"
        "- **Interpretability:** Use SHAP or LIME to explain predictions.\n"
        "- **Keep learning:** Read journals and attend workshops."
    )
    # The section won on a question key; its text as a whole is far from the question.
    far = _passage(0, challenges, "Overcoming Challenges", 0.1, asked=0.9)
    draft = _compose(tmp_path, embedder, "where can I get a free GPU", [far])
    assert draft.text == "**Compute:** Google Colab gives free GPU access for experiments. [1]"
    # The same list, when the section as a whole is on the question, is quoted whole.
    near = _passage(0, challenges, "Overcoming Challenges", 0.5, asked=0.9)
    draft = _compose(tmp_path, embedder, "where can I get a free GPU", [near])
    assert draft.text.startswith("**Guide · Overcoming Challenges** [1]\n\n- **Data quality:**")
    assert len([line for line in draft.text.split("\n") if line.startswith("- ")]) == 4


def test_a_lead_list_quoted_whole_opens_with_its_sentence_nearest_the_question(tmp_path, embedder):
    text = (
        "Beginners run into the same few problems again and again:\n\n"
        "- **Too little data:** models trained on a few hundred images memorise them.\n"
        "- **No GPU:** training on a laptop CPU is slow.\n"
        "- **Overfitting:** great on training data, poor on new data."
    )
    question = "is it a common problem that my model is great on training data but poor on new data"
    draft = _compose(tmp_path, embedder, question, [_passage(0, text, "Challenges", 0.6)])
    lines = draft.text.split("\n")
    assert lines[0] == "Beginners run into the same few problems again and again: [1]"
    assert len([line for line in lines if line.startswith("- ")]) == 3


def test_an_item_that_introduces_a_nested_list_keeps_it_in_a_second_section(tmp_path, embedder):
    lead = _passage(0, "Colab gives you a free GPU in the browser.", "Colab", 0.9)
    ideas = _passage(
        1,
        "- **Pick a framework:** Start with PyTorch or TensorFlow.\n"
        "- **Project ideas:** Engage in projects such as:\n  - Image classification\n  - Text sentiment\n"
        "- **Datasets:** Learn which datasets exist.",
        "Foundation",
        0.85,
    )
    draft = _compose(tmp_path, embedder, "what project ideas can I try on a free GPU", [lead, ideas])
    second = draft.text.split("**Guide · Foundation**")[1]
    nested = (
        "- **Project ideas:** Engage in projects such as: [2]\n  - Image classification [2]\n  - Text sentiment [2]"
    )
    assert nested in second


def test_a_nested_list_stays_nested_under_its_item(tmp_path, embedder):
    text = (
        "- **Pick a framework:** Start with PyTorch or TensorFlow.\n"
        "- **Project ideas:** Engage in projects such as:\n  - Image classification\n  - Text sentiment"
    )
    draft = _compose(tmp_path, embedder, "what project ideas can I try", [_passage(0, text, "Foundation", 0.6)])
    assert draft.text.split("\n\n")[1].split("\n") == [
        "- **Pick a framework:** Start with PyTorch or TensorFlow. [1]",
        "- **Project ideas:** Engage in projects such as: [1]",
        "  - Image classification [1]",
        "  - Text sentiment [1]",
    ]


def test_sentences_far_from_the_question_are_left_out(tmp_path, embedder):
    passages = [
        _passage(
            0, "Colab gives you a free GPU for a few hours. Bananas are rich in potassium and taste sweet.", "Free GPUs"
        )
    ]
    draft = _compose(tmp_path, embedder, "where can I get a free GPU", passages)
    assert "free GPU for a few hours. [1]" in draft.text
    assert "Bananas" not in draft.text
    assert draft.best_unit > 0.5


def test_an_overview_section_leads_only_when_no_advice_comes_close(tmp_path, embedder):
    # The introduction wins on a question key about starting out; the advice is close behind.
    text = "This guide walks you through starting a deep learning career."
    intro = _passage(0, text, "Introduction", 0.6, role="overview", asked=0.8)
    steps = _passage(1, "Start a small image classification project with PyTorch.", "Next Steps", score=0.75)
    draft = _compose(tmp_path, embedder, "how do I start a deep learning career", [intro, steps])
    assert draft.cited == [1] and "image classification" in draft.text and "walks you" not in draft.text
    asked = _passage(0, intro.text, "Introduction", score=0.7, role="overview", asked=0.9)
    far = _passage(1, steps.text, "Next Steps", score=0.6)
    draft = _compose(tmp_path, embedder, "what is this guide about", [asked, far])
    assert draft.cited[0] == 0


def test_the_advice_that_leads_after_an_overview_is_the_first_in_search_order(tmp_path, embedder):
    # Search ranked the foundations above the careers (on passage text and words), though the
    # careers' best question key scores higher: the ranking, not that one score, picks the lead.
    intro = _passage(
        0, "This guide walks you through starting a deep learning career.", "Introduction", 0.8, role="overview"
    )
    basics = _passage(1, "Start with a framework such as PyTorch and a small project.", "Foundations", 0.72)
    careers = _passage(2, "Careers include data scientist and machine learning engineer.", "Careers", 0.78)
    draft = _compose(tmp_path, embedder, "how do I get started in deep learning", [intro, basics, careers])
    assert draft.cited[0] == 1


def test_a_second_section_and_a_place_to_start_from_another_source(tmp_path, embedder):
    passages = [
        _passage(0, "Use dropout and regularization to fight overfitting.", "Solutions", 0.7),
        _passage(1, "Cross-validation shows whether a model overfits.", "Challenges", 0.62),
        _passage(2, "Keras has Dropout layers you add between Dense layers.", "How to start", 0.5, title="Keras"),
    ]
    draft = _compose(tmp_path, embedder, "how do I stop overfitting", passages)
    assert draft.cited == [0, 1, 2]
    assert draft.text.startswith("Use dropout and regularization to fight overfitting. [1]")
    assert "**Guide · Challenges**" in draft.text
    assert draft.text.endswith("**Where to start:** Keras — Keras has Dropout layers you add between Dense layers. [3]")


def test_a_second_section_gives_its_best_items_even_when_it_answers_better_than_the_lead(tmp_path, embedder):
    challenges = _passage(
        0,
        "Common hurdles:\n\n- Too little data\n- No GPU at home\n- Models that do well in training but badly later",
        "Challenges",
        0.75,
    )
    solutions = _passage(
        1,
        "- Clean and augment your data\n- Use cloud GPUs\n- Use cross-validation to stop overfitting\n"
        "- Add regularization and dropout",
        "Solutions",
        0.62,
    )
    draft = _compose(tmp_path, embedder, "how do I stop my model overfitting", [challenges, solutions])
    assert draft.cited == [0, 1]
    second = draft.text.split("**Guide · Solutions**")[1]
    assert [line for line in second.split("\n") if line.startswith("- ")] == [
        "- Clean and augment your data [2]",
        "- Use cross-validation to stop overfitting [2]",
        "- Add regularization and dropout [2]",
    ]  # not "Use cloud GPUs": filler to an overfitting question


def test_a_second_section_that_only_adds_to_the_lead_gives_its_best_items(tmp_path, embedder):
    colab = _passage(0, "- Colab gives you a free GPU in the browser\n- Share notebooks with a link", "Colab", 0.9)
    tips = _passage(
        1,
        "- Clean your data first\n- Use cloud GPUs when your laptop has none\n- Try SHAP to explain models",
        "Tips",
        0.8,
    )
    draft = _compose(tmp_path, embedder, "I have no GPU, where can I train for free?", [colab, tips])
    second = draft.text.split("**Guide · Tips**")[1]
    assert "Use cloud GPUs when your laptop has none [2]" in second
    assert "SHAP" not in second


def test_a_section_whose_text_matches_better_than_the_leads_is_added_though_it_scores_lower(tmp_path, embedder):
    problems = _passage(0, "- Overfitting\n- Too little data", "Challenges", 0.3, asked=0.8)
    fixes = _passage(1, "- Add dropout and regularization to prevent overfitting", "Solutions", 0.5)
    draft = _compose(tmp_path, embedder, "what techniques prevent overfitting", [problems, fixes])
    assert draft.cited == [0, 1] and "dropout and regularization to prevent overfitting [2]" in draft.text


def test_the_policy_weighs_the_best_passages_by_relevance_not_by_a_sources_boost(tmp_path, embedder):
    texts = ("Welcome to the guide.", "The guide has many chapters.", "Thanks for reading the guide.")
    guide = [replace(_passage(i, text, f"Part {i}"), relevance=0.30 - i / 100) for i, text in enumerate(texts)]
    note = replace(
        _passage(3, "Colab gives you a free GPU for your experiments.", "Free GPU", title="Colab"), relevance=0.5
    )
    passages = [*guide, note]  # search's order: the boost put the guide's passages first
    assert weighed(passages) == [note, *guide[:2]]
    draft = _compose(tmp_path, embedder, "where can i get a free gpu", passages)
    assert draft.best_unit > 0.5  # the note's sentence is weighed, though three boosted passages come first


def test_a_message_asking_two_things_gets_a_second_section_on_what_the_lead_leaves_out(tmp_path, embedder):
    passages = [
        _passage(0, "Coursera hosts specializations such as the Deep Learning Specialization.", "What it is", 0.7),
        _passage(
            1, "- Join communities such as Reddit\n- Explore online courses on Coursera and edX", "Next Steps", 0.65
        ),
        _passage(2, "- Audit the course material for free\n- Ask for financial aid if cost is a problem", "Start", 0.6),
    ]
    one = _compose(tmp_path, embedder, "Is the deep learning specialization on Coursera worth taking?", passages)
    assert one.cited[:2] == [0, 1]  # one question: the section scoring close to the lead
    two_questions = "Is the deep learning specialization worth taking, and can I take it for free?"
    two = _compose(tmp_path, embedder, two_questions, passages)
    assert two.cited[:2] == [0, 2] and "- Audit the course material for free [2]" in two.text
    # A passage far from the message (under POINTER_RATIO of the lead) answers neither question,
    # though one of its lines shares words with the second.
    far = [*passages[:2], replace(passages[2], score=0.3)]
    assert _compose(tmp_path, embedder, two_questions, far).cited[:2] == [0, 1]


def test_a_subsection_of_the_lead_continues_it_before_a_section_elsewhere(tmp_path, embedder):
    paths = _passage(0, "- Data scientist\n- Machine learning engineer", "Career Paths", 0.3, asked=0.7)
    portfolio = _passage(1, "Show your projects on GitHub to get hired.", "Portfolio", 0.6)
    skills = _passage(2, "- Strong Python\n- Cloud platforms", "Skills Required", 0.5)
    skills.metadata["section_path"] = "Guide > Career Paths > Skills Required"
    draft = _compose(tmp_path, embedder, "what jobs are there in deep learning", [paths, portfolio, skills])
    assert draft.cited == [0, 2] and "**Guide · Skills Required**" in draft.text
    # Not when the subsection scores far below the lead.
    draft = _compose(
        tmp_path, embedder, "what jobs are there in deep learning", [paths, portfolio, replace(skills, score=0.4)]
    )
    assert draft.cited == [0, 1]


def test_a_subsection_that_continues_a_lead_quoted_whole_is_quoted_whole_too(tmp_path, embedder):
    portfolio = _passage(0, "A portfolio shows employers your deep learning projects.", "Portfolio", 0.9)
    practices = _passage(
        1,
        "- Tailor your portfolio to each job\n- Put your deep learning projects on GitHub\n"
        "- Write about your work on a blog\n- Drink enough water while coding",
        "Best Practices",
        0.7,
    )
    practices.metadata["section_path"] = "Guide > Portfolio > Best Practices"
    draft = _compose(tmp_path, embedder, "what goes in a deep learning portfolio", [portfolio, practices])
    assert draft.cited == [0, 1]
    assert "- Drink enough water while coding [2]" in draft.text  # the list whole, as the lead's would be
