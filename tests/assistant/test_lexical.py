"""The BM25 index's word checks: typo fixes and rarity in the corpus."""

from assistant.retrieval.lexical import LexicalIndex

ROWS = [
    ("colab", "Google Colab gives you a free GPU in the browser for your experiments."),
    ("kaggle", "Kaggle competitions and datasets help when you get stuck learning."),
    ("careers", "Career paths: data scientist, machine learning engineer, researcher."),
]


def index() -> LexicalIndex:
    return LexicalIndex.build(ROWS)


def test_a_typo_is_corrected_to_a_corpus_word():
    assert index().correct("free gpu in colb") == "free gpu in colab"
    assert index().correct("carrer paths for a data scientst") == "career paths for a data scientist"


def test_an_english_word_the_corpus_never_uses_is_not_corrected():
    # each is as close to a corpus word ("browser", "stuck") as a typo is
    assert index().correct("browse and stick with it") == "browse and stick with it"


def test_a_contraction_typed_without_its_apostrophe_gets_it_back():
    assert index().correct("i dont have a gpu, whats Colab") == "i don't have a gpu, what's Colab"
    assert index().correct("its free and lets you train") == "its free and lets you train"  # words too


def test_rarity_is_highest_for_words_the_corpus_never_uses():
    assert index().rarity("salary") > index().rarity("kaggle") > 0
    assert index().rarity("careers") == index().rarity("career")  # by stem


def test_an_index_survives_save_and_load(tmp_path):
    index().save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded is not None and loaded.search("kaggle competitions", 1)[0][0] == "kaggle"
