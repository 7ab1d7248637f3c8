"""BM25 over chunk text and headings, cached in the data directory per ingest."""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

_WORD = re.compile(r"[a-z0-9]+")
# A word English uses at least once per million words (wordfreq's Zipf frequency 3) is a word,
# not a typo, even where the corpus never uses it ("visa" is not "visual"; "countries" is not
# "communities").
WORD_ZIPF = 3.0
# English contractions typed without their apostrophe, restored before search ("dont" is
# "don't" to the model, as to a reader). Those that are also words ("its", "lets", "ill",
# "were", "well") are left alone.
_CONTRACTIONS = """
ain't aren't can't couldn't didn't doesn't don't hadn't hasn't haven't here's how's i'm i've isn't shouldn't
that's there's they're they've wasn't we've weren't what's where's who's won't wouldn't you're you've
"""
APOSTROPHES = {word.replace("'", ""): word for word in _CONTRACTIONS.split()}


class LexicalIndex:
    """A bm25s index over ``(id, text)`` pairs, with typo correction against its vocabulary.

    Example:
        >>> index = LexicalIndex.build([("a", "free GPU in Colab"), ("b", "career paths")])
        >>> index.search("carrer", 1)[0][0]
        'b'
    """

    def __init__(self, retriever, ids: list[str], vocabulary: list[str], frequencies: dict[str, int]) -> None:
        self._retriever = retriever
        self._ids = ids
        self._vocabulary = vocabulary
        self._frequencies = frequencies  # stem -> how many chunks use it
        self._known = set(vocabulary)
        self._spellings: dict[tuple[str, int], list[str]] = {}  # (first letter, length) -> words
        for word in vocabulary:
            if word.isalpha():
                self._spellings.setdefault((word[0], len(word)), []).append(word)

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str]]) -> LexicalIndex:
        """Index ``rows`` of (chunk id, text)."""
        import bm25s

        ids, texts = [], []
        for chunk_id, text in rows:
            ids.append(chunk_id)
            texts.append(text)
        retriever = bm25s.BM25()
        if texts:
            retriever.index(
                bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False), show_progress=False
            )
        vocabulary = sorted({w for text in texts for w in _WORD.findall(text.lower())})
        frequencies: dict[str, int] = {}
        for text in texts:
            for word_stem in {stem(w) for w in _WORD.findall(text.lower())}:
                frequencies[word_stem] = frequencies.get(word_stem, 0) + 1
        return cls(retriever, ids, vocabulary, frequencies)

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (created if need be)."""
        folder.mkdir(parents=True, exist_ok=True)
        if self._ids:
            self._retriever.save(str(folder / "bm25"))
        (folder / "ids.json").write_text(
            json.dumps({"ids": self._ids, "vocabulary": self._vocabulary, "frequencies": self._frequencies})
        )

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """Read an index saved by :meth:`save`; ``None`` when missing or unreadable."""
        import bm25s

        try:
            data = json.loads((folder / "ids.json").read_text())
            retriever = bm25s.BM25.load(str(folder / "bm25")) if data["ids"] else bm25s.BM25()
        except (OSError, ValueError, KeyError):
            return None
        return cls(retriever, data["ids"], data["vocabulary"], data["frequencies"])

    def __len__(self) -> int:
        return len(self._ids)

    def rarity(self, word: str) -> float:
        """How telling ``word`` is in this corpus: the inverse document frequency of its stem,
        highest for a word no chunk uses ("salary" in a knowledge base that never mentions pay)."""
        return math.log((len(self._ids) + 1) / (self._frequencies.get(stem(word), 0) + 0.5))

    def correct(self, query: str) -> str:
        """Replace misspelt words with the closest word the corpus uses ("pytorh" → "pytorch"),
        and restore a contraction's missing apostrophe ("dont" → "don't").

        A word is taken as misspelt when the corpus never uses it and English rarely does (below
        :data:`WORD_ZIPF`), and it is replaced only by a word English uses more: a misspelling
        is rarer than the word it misspells. Candidates share the first letter and are at most
        two letters longer or shorter, which keeps this fast on a vocabulary of 100,000 words.
        """

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            low = word.lower()
            if low in APOSTROPHES:
                return APOSTROPHES[low]
            if len(word) < 4 or low in self._known or not low.isalpha() or zipf(low) >= WORD_ZIPF:
                return word
            candidates = [
                w for size in range(len(low) - 2, len(low) + 3) for w in self._spellings.get((low[0], size), ())
            ]
            close = difflib.get_close_matches(low, candidates, n=1, cutoff=0.8)
            return close[0] if close and zipf(close[0]) > zipf(low) else word

        return re.sub(r"[A-Za-z0-9]+", fix, query)

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """The ``n`` best (chunk id, BM25 score) pairs with a score above zero.

        Only chunks sharing a word with the query are ranked: selecting among the whole corpus,
        mostly zeros, took bm25s several ms at 100,000 chunks.
        """
        import bm25s
        import numpy as np

        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)[0]
        if not self._ids or not tokens:
            return []
        scores = self._retriever.get_scores(tokens)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > n:
            hits = hits[np.argpartition(-scores[hits], n - 1)[:n]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return [(self._ids[d], float(scores[d])) for d in hits]


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """``word``'s English stem ("careers" → "career"), as BM25 indexes it."""
    return _stemmer().stemWord(word)


@functools.lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common ``word`` is in English, on wordfreq's Zipf scale (0: never seen)."""
    import wordfreq

    return wordfreq.zipf_frequency(word, "en")
