"""Extractive answers: the lead's line nearest the question opens, the lines that add to it follow, each cited."""

import re
from dataclasses import replace

from assistant.answering.extractive import MAX_WORDS, SAME, SECOND_RATIO, compose, weighed
from assistant.retrieval.search import Passage
from ingest.sentences import SentenceVectors

# The shipped guide's title: too long to name a topic, so its lines are quoted without it.
GUIDE = "Launch Your Deep Learning Career: The Ultimate Beginner's Guide"
_MARKER = re.compile(r" \[(\d+)\]$")


def _passage(
    i: int, text: str, section: str, score: float = 0.6, *, title: str = GUIDE, role: str = "", asked: float = 0.0
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


def _similarity(embedder, a: str, b: str) -> float:
    vectors = embedder.embed([a, b])
    return float(vectors[0] @ vectors[1])


def _items(text: str) -> list[str]:
    """The answer's list rows, indentation kept, citation markers dropped."""
    return [_MARKER.sub("", line) for line in text.split("\n") if line.lstrip().startswith("- ")]


def _words(text: str) -> int:
    return len(re.sub(r"\s*\[\d+\]", "", text).split())


def test_the_opening_is_the_leads_line_nearest_the_question_wherever_it_stands(tmp_path, embedder):
    text = (
        "Bananas are rich in potassium. Google Colab gives you a free GPU for a few hours. "
        "Our office is closed on public holidays."
    )
    draft = _compose(tmp_path, embedder, "where can I get a free GPU", [_passage(0, text, "Free GPUs")])
    assert draft.text.startswith("Google Colab gives you a free GPU for a few hours. [1]")
    assert "Bananas" not in draft.text and "office" not in draft.text
    assert draft.cited == [0] and draft.best_unit > 0.5


def test_a_sentence_that_only_introduces_a_list_never_opens(tmp_path, embedder):
    lead_in = "Here is where beginners find a free GPU:"
    text = (
        f"Training on a laptop CPU is slow. {lead_in}\n\n"
        "- **Colab:** Google Colab gives free GPU time in the browser.\n"
        "- **Data:** Clean your data before you train."
    )
    question = "where can I find a free GPU"
    # The lead-in is the line nearest the question; it says nothing on its own.
    assert _similarity(embedder, question, lead_in) > _similarity(embedder, question, "Google Colab gives free GPU")
    draft = _compose(tmp_path, embedder, question, [_passage(0, text, "Compute")])
    first = draft.text.split("\n")[0]
    assert lead_in not in first and not first.endswith(": [1]")
    assert first.startswith("**Colab:** Google Colab gives free GPU time in the browser.")


def test_the_sentences_that_lead_into_a_list_are_never_quoted(tmp_path, embedder):
    paths = (
        "As you grow in your deep learning career, many job opportunities will open up. Here are some common paths:\n\n"
        "- **Machine Learning Engineer:** Deploy models into production.\n"
        "- **Data Scientist:** Analyse data to inform business decisions."
    )
    question = "what jobs can i get in deep learning"
    lead_in = "As you grow in your deep learning career, many job opportunities will open up."
    # The lead-in is the line nearest the question; it only leads into the list.
    assert _similarity(embedder, question, lead_in) > _similarity(embedder, question, "Machine Learning Engineer")
    draft = _compose(tmp_path, embedder, question, [_passage(0, paths, "Career Paths")])
    assert "many job opportunities" not in draft.text and "Here are" not in draft.text
    assert draft.text.startswith("**Machine Learning Engineer:**") or draft.text.startswith("**Data Scientist:**")
    alone = "Job opportunities in deep learning open up as your skills grow."
    draft = _compose(tmp_path, embedder, question, [_passage(0, alone, "Career Paths")])
    assert draft.text.startswith(alone)  # a sentence with no list after it still answers


def test_a_list_of_unrelated_items_gives_only_the_item_on_the_question(tmp_path, embedder):
    challenges = (
        "Beginners face a few common challenges:\n\n"
        "- **Data quality:** Clean and augment your data.\n"
        "- **Compute:** Google Colab gives free GPU access for experiments.\n"
        "- **Interpretability:** Use SHAP or LIME to explain predictions.\n"
        "- **Keep learning:** Read journals and attend workshops."
    )
    # The section won on a question key; its other items are about other things.
    draft = _compose(
        tmp_path, embedder, "where can I get a free GPU", [_passage(0, challenges, "Challenges", 0.5, asked=0.9)]
    )
    assert "Google Colab gives free GPU access for experiments. [1]" in draft.text
    for other in ("Data quality", "Interpretability", "Keep learning", "common challenges"):
        assert other not in draft.text


def test_a_list_all_on_the_question_is_quoted_whole(tmp_path, embedder):
    skills = [
        "**Programming:** Strong Python skills and some CUDA programming.",
        "**Machine learning:** A grasp of machine learning algorithms and the maths behind them.",
        "**Data skills:** Data preprocessing and feature engineering skills.",
        "**Cloud skills:** Deploying models on cloud platforms such as AWS.",
    ]
    text = "To get hired in deep learning you need a handful of skills:\n\n" + "\n".join(f"- {s}" for s in skills)
    draft = _compose(
        tmp_path, embedder, "what skills do I need to get a deep learning job", [_passage(0, text, "Skills", 0.7)]
    )
    for skill in skills:
        assert draft.text.count(skill) == 1, draft.text
    opening = draft.text.split("\n\n")[0]
    assert _items(draft.text) == [f"- {s}" for s in skills if s not in opening]  # the rest, in reading order


def test_an_item_that_introduces_a_nested_list_opens_with_its_list_after_it(tmp_path, embedder):
    text = (
        "Projects teach you more than any course.\n\n"
        "- **Pick a framework:** Start with PyTorch or TensorFlow.\n"
        "- **Project ideas:** Engage in projects such as:\n  - Image classification\n  - Text sentiment\n"
        "- **Datasets:** Learn which datasets exist."
    )
    draft = _compose(tmp_path, embedder, "what project ideas can I try", [_passage(0, text, "Foundation", 0.7)])
    # The item nearest the question opens, though it ends on a colon: its nested list follows it.
    assert draft.text.startswith("**Project ideas:** Engage in projects such as: [1]")
    rows = _items(draft.text)
    # "Text sentiment" is far from the question; it comes with the item that introduces it.
    assert rows[:2] == ["- Image classification", "- Text sentiment"]


def test_lines_of_another_passage_that_answer_better_are_added_far_ones_left_out(tmp_path, embedder):
    passages = [
        _passage(
            0, "Overfitting is common when your training data is scarce. Bananas are rich in potassium.", "A", 0.7
        ),
        _passage(1, "Use dropout and regularization to stop overfitting. Our office shuts on holidays.", "B", 0.68),
        _passage(2, "Pack an umbrella when rain is forecast for the weekend.", "C", 0.66),
    ]
    draft = _compose(tmp_path, embedder, "how do I stop overfitting", passages)
    assert draft.text.startswith("Overfitting is common when your training data is scarce. [1]")  # from the lead
    assert "Use dropout and regularization to stop overfitting. [2]" in draft.text
    assert draft.cited == [0, 1]
    for far in ("Bananas", "office", "umbrella"):
        assert far not in draft.text


def test_an_answer_stops_near_its_word_budget(tmp_path, embedder):
    sentences = [
        "Google Colab gives you a free GPU in the browser for a few hours at a time.",
        "Kaggle notebooks come with a free weekly quota of GPU hours for your experiments.",
        "Cloud providers such as AWS and Google Cloud give new accounts free credits to rent a GPU.",
        "Universities often let students use a shared GPU cluster at no cost.",
        "Paperspace Gradient has a free tier with GPU notebooks for small experiments.",
        "Some research labs lend GPU time to open source projects for free.",
        "Lightning AI studios include free GPU hours each month for learners.",
        "Hackathons frequently provide participants with free GPU access during the event.",
        "A free GPU on Colab disconnects when idle, so save your work often.",
        "Student programs from GitHub include free cloud credits you can spend on GPUs.",
        "Free GPU quotas are limited, so train small models first and scale up later.",
        "Community clouds sometimes donate spare GPU capacity to beginners for free.",
    ]
    assert sum(len(s.split()) for s in sentences) > 1.5 * MAX_WORDS
    # The lead's only line is a weak opening, so every line of the long passage is close enough
    # to it: the word budget, not the lines' scores, is what ends the answer.
    lead = _passage(0, "Training deep networks on a laptop CPU is slow.", "Compute", 0.8)
    draft = _compose(
        tmp_path, embedder, "where can I get a free GPU", [lead, _passage(1, " ".join(sentences), "GPUs", 0.8)]
    )
    assert MAX_WORDS <= _words(draft.text) < MAX_WORDS + max(len(s.split()) for s in sentences)
    assert sum(s in draft.text for s in sentences) < len(sentences)


def test_a_line_that_repeats_one_already_chosen_is_left_out(tmp_path, embedder):
    same = [
        "Google Colab gives you a free GPU in your browser.",
        "Google Colab gives you a free GPU in the browser.",
        "Colab offers a free GPU right in your web browser.",
    ]
    new = "Kaggle notebooks also give you a free GPU for your experiments."
    assert all(_similarity(embedder, same[0], s) >= SAME for s in same[1:])
    assert _similarity(embedder, same[0], new) < SAME
    passages = [
        _passage(i, text, f"Part {i}", 0.8 if i == 0 else 0.78, title="Free GPUs")
        for i, text in enumerate([*same, new])
    ]
    draft = _compose(tmp_path, embedder, "where can I get a free GPU", passages)
    assert draft.text.count("free GPU in") == 1 and "web browser" not in draft.text
    assert new in draft.text  # a line saying something new is not mistaken for a repeat


def test_a_point_made_again_in_other_words_is_left_out(tmp_path, embedder):
    forgot = (
        "Forgetting the GPU: a new notebook runs on a CPU by default, so training is slow. "
        "Switch the runtime type to GPU before you start."
    )
    again = (
        "Slow training without a GPU: on a CPU even small lessons can take a long time, "
        "so switch to a GPU runtime first."
    )
    assert _similarity(embedder, forgot, again) < 0.9  # not the same words, the same advice
    passages = [_passage(0, forgot, "Common pitfalls", 0.8), _passage(1, again, "Pitfalls", 0.8)]
    draft = _compose(tmp_path, embedder, "why is training so slow in my colab notebook", passages)
    assert ("Forgetting the GPU" in draft.text) != ("Slow training without a GPU" in draft.text), draft.text


def test_a_sentence_of_the_lead_that_repeats_its_opening_is_left_out(tmp_path, embedder):
    text = "Google Colab gives you a free GPU in your browser. Bananas are yellow. Google Colab gives you a free GPU."
    draft = _compose(tmp_path, embedder, "where can I get a free GPU", [_passage(0, text, "Free GPUs", 0.8)])
    assert draft.text.count("Google Colab gives you a free GPU") == 1, draft.text


def _coursera() -> Passage:
    """A note's passage that answers whether a specialization is worth taking, not what it costs."""
    text = "Coursera hosts specializations such as the Deep Learning Specialization. Its courses are by Andrew Ng."
    return _passage(0, text, "What it is", 0.7, title="Coursera")


def test_a_message_asking_two_things_gets_a_line_for_its_second_ask(tmp_path, embedder):
    passages = [
        _coursera(),
        _passage(1, "- Join communities such as Reddit\n- Explore online courses on Coursera and edX", "Next", 0.65),
        _passage(2, "- Audit the course material for free\n- Ask for financial aid if cost is a problem", "Start", 0.6),
    ]
    free = "Audit the course material for free"
    one = _compose(tmp_path, embedder, "Is the deep learning specialization on Coursera worth taking?", passages)
    assert one.text.startswith("Coursera hosts specializations") and free not in one.text
    two = _compose(
        tmp_path, embedder, "Is the deep learning specialization worth taking, and can I take it for free?", passages
    )
    assert two.text.startswith("Coursera hosts specializations")
    assert f"- {free} [2]" in two.text and two.cited[:2] == [0, 2]


def test_the_line_for_a_second_ask_is_never_a_lead_in(tmp_path, embedder):
    lead_in = "You can take most courses for free."
    passages = [
        _coursera(),
        _passage(1, f"{lead_in} Here is how:\n\n- Audit the lectures\n- Ask for financial aid", "Cost", 0.6),
    ]
    question = "Is the deep learning specialization worth taking, and can I take it for free?"
    # The lead-in is the line nearest the second ask; it only leads into the list.
    assert _similarity(embedder, "can I take it for free?", lead_in) > _similarity(
        embedder, "can I take it for free?", "Audit the lectures"
    )
    draft = _compose(tmp_path, embedder, question, passages)
    assert draft.text.startswith("Coursera hosts specializations")
    assert lead_in not in draft.text and "Here is how" not in draft.text, draft.text


def test_an_opening_from_a_short_titled_source_that_does_not_name_it_is_prefixed_with_its_title(tmp_path, embedder):
    unnamed = "Use it when you have no GPU at home; it gives free GPU time in the browser."
    colab = _passage(0, unnamed, "Free GPU", 0.8, title="Google Colab")
    draft = _compose(tmp_path, embedder, "where can I get a free GPU", [colab])
    assert draft.text == f"**Google Colab:** {unnamed} [1]"
    named = replace(colab, text="Google Colab gives free GPU time in the browser.")
    assert _compose(tmp_path, embedder, "where can I get a free GPU", [named]).text == f"{named.text} [1]"
    guide = _passage(0, unnamed, "Free GPU", 0.8)
    assert _compose(tmp_path, embedder, "where can I get a free GPU", [guide]).text == f"{unnamed} [1]"


def test_an_overview_passage_leads_only_when_no_advice_comes_close(tmp_path, embedder):
    # The introduction wins on a question key about starting out; the advice is close behind.
    text = "This guide walks you through starting a deep learning career."
    intro = _passage(0, text, "Introduction", 0.6, role="overview", asked=0.8)
    steps = _passage(
        1, "Start a small image classification project with PyTorch.", "Next Steps", SECOND_RATIO * 0.8 + 0.05
    )
    draft = _compose(tmp_path, embedder, "how do I start a deep learning career", [intro, steps])
    assert draft.cited == [1] and "image classification" in draft.text and "walks you" not in draft.text
    # Asked about the guide itself, with the advice far behind, the introduction leads.
    far = replace(steps, score=SECOND_RATIO * 0.8 - 0.05)
    draft = _compose(tmp_path, embedder, "what is this guide about", [intro, far])
    assert draft.cited[0] == 0 and draft.text.startswith(text)


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


def test_every_line_cites_a_cited_passage_numbered_in_order_of_use(tmp_path, embedder):
    passages = [
        _passage(0, "Overfitting is common when your training data is scarce.", "Challenges", 0.7),
        _passage(1, "Pack an umbrella when rain is forecast.", "Weather", 0.69),
        _passage(2, "- Use dropout to stop overfitting\n- Add regularization to stop overfitting", "Fixes", 0.68),
    ]
    draft = _compose(tmp_path, embedder, "how do I stop overfitting", passages)
    assert 1 not in draft.cited and len(draft.cited) >= 2  # the list is quoted, the weather not
    numbers: list[int] = []
    for paragraph in draft.text.split("\n\n"):
        rows = paragraph.split("\n") if paragraph.lstrip().startswith("- ") else [paragraph]
        for row in rows:
            assert _MARKER.search(row), row  # every sentence and item ends with its citation
            numbers += [int(n) for n in re.findall(r"\[(\d+)\]", row)]
    assert sorted(set(numbers)) == list(range(1, len(draft.cited) + 1))
    assert list(dict.fromkeys(numbers)) == sorted(set(numbers))  # [1] first, then [2], ...


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


def test_a_nested_item_of_another_passage_is_never_quoted_alone(tmp_path, embedder):
    lead = _passage(0, "Augment your data with flips and crops.", "Small data", 0.8)
    ideas = _passage(
        1,
        "- **Project ideas:** Try projects such as:\n  - Classifying a few hundred labelled images\n  - Chatbots",
        "Ideas",
        0.8,
    )
    draft = _compose(tmp_path, embedder, "I only have 300 labelled images, what can I do?", [lead, ideas])
    assert draft.text.startswith("Augment your data")
    assert "Classifying" not in draft.text  # a fragment without the list it sits under


def test_a_nested_fragment_never_opens_but_a_nested_sentence_may(tmp_path, embedder):
    ideas = (
        "- **Project ideas:** Build small projects, for example:\n  - Image classification\n  - Chatbots\n"
        "- **Frameworks:** Start with PyTorch or Keras."
    )
    draft = _compose(tmp_path, embedder, "is image classification a good first project", [_passage(0, ideas, "Ideas")])
    assert not draft.text.startswith("Image classification")  # a fragment of the item it sits under
    assert draft.text.startswith("**Project ideas:** Build small projects, for example: [1]")
    concepts = (
        "- **Neural Networks:** Models made of connected nodes.\n"
        "  - **Perceptrons:** Simple networks solving linearly separable problems.\n"
        "  - **Activation Functions:** Functions like ReLU introduce non-linearities."
    )
    draft = _compose(tmp_path, embedder, "what is a perceptron", [_passage(0, concepts, "Concepts")])
    assert draft.text.startswith("**Perceptrons:** Simple networks solving linearly separable problems. [1]")


def test_an_item_of_the_lead_about_another_problem_is_left_out(tmp_path, embedder):
    remedies = (
        "- Use dropout to reduce overfitting\n- Add regularization to reduce overfitting\n"
        "- Rent cloud GPUs when your laptop is slow"
    )
    draft = _compose(tmp_path, embedder, "how do i reduce overfitting", [_passage(0, remedies, "Fixes", 0.8)])
    assert "dropout" in draft.text and "regularization" in draft.text
    assert "cloud GPUs" not in draft.text


def test_an_item_that_is_only_a_bold_label_brings_its_nested_list(tmp_path, embedder):
    concepts = (
        "- **Neural networks:** Models made of connected nodes (neurons) that process data.\n"
        "- **Key definitions:**\n"
        "  - **Artificial neurons:** Basic units of a network that take inputs and produce an output.\n"
        "  - **Perceptrons:** Simple networks solving linearly separable problems."
    )
    # The question names the section: its list is quoted whole, the bare label with it.
    draft = _compose(
        tmp_path, embedder, "what are the concepts of neural networks", [_passage(0, concepts, "Concepts")]
    )
    rows = _items(draft.text)
    label = rows.index("- **Key definitions:**")
    assert rows[label + 1].startswith("  - **Artificial neurons:**"), draft.text
    assert rows[label + 2].startswith("  - **Perceptrons:**"), draft.text


def test_a_word_of_the_sources_title_does_not_put_a_whole_list_on_the_question(tmp_path, embedder):
    challenges = (
        "Beginners meet a few hurdles:\n\n"
        "- **Data:** Poor-quality data hurts models.\n"
        "- **Compute:** Limited access to GPUs slows down experiments.\n"
        "- **Interpretability:** Explaining predictions is hard.\n"
        "- **Overfitting:** Models can do well on training data and badly on new data."
    )
    # "Challenges in Deep Learning" shares "deep learning" with the question, as every heading of
    # a guide to deep learning does: that says nothing about which challenges are asked about.
    passage = _passage(0, challenges, "Challenges in Deep Learning", 0.5, title="A Guide to Deep Learning")
    draft = _compose(tmp_path, embedder, "i don't have a gpu, can i still do deep learning", [passage])
    assert "GPUs" in draft.text
    for other in ("Poor-quality data", "Explaining predictions", "training data"):
        assert other not in draft.text, draft.text


def test_a_line_about_the_sources_subject_at_large_gives_way_to_one_on_the_question(tmp_path, embedder):
    blurb = "By following this guide, you'll be well on your way to carving out a successful career in deep learning."
    roles = "Machine learning engineers deploy machine learning models into production environments."
    text = f"{blurb} {roles}"
    # The blurb is the nearer of the two to the question; it is nearer still to the guide's title.
    assert _similarity(embedder, "what jobs can i get", blurb) > _similarity(embedder, "what jobs can i get", roles)
    draft = _compose(tmp_path, embedder, "what jobs can i get", [_passage(0, text, "Closing")])
    assert draft.text.startswith(f"{roles} [1]"), draft.text
