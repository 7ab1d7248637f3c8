"""Retrieval quality on the question sets: Mentor, Mentor with one part switched off, baseline.

The baseline's chunks carry no headings, so each is given the headings of the Mentor chunks
it shares text with (a run of ``SHARED_RUN`` characters, compared lower-cased with markup and
white space folded). Then one scorer, :func:`assistant.quality.evaluation.evaluate`, scores both.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
from langchain_chroma import Chroma

from assistant import Mentor, Passage
from assistant.quality.evaluation import UNCURATED, Case, evaluate
from benchmarks.report import ratio
from ingest.store import StoredChunk

SHARED_RUN = 80
ABLATIONS = {
    "mentor, question keys only in BM25 (question_weight=0)": {"question_weight": 0.0},
    "mentor, no passage vectors (dense_weight=0)": {"dense_weight": 0.0},
    "mentor, no BM25 (lexical_weight=0)": {"lexical_weight": 0.0},
    "mentor, no near-duplicate removal (near_duplicate=1)": {"near_duplicate": 1.0},
    "mentor, no section diversity (per_section=0)": {"per_section": 0},
}
# On the uncurated store (no question keys): what scoring a passage by its best sentence adds.
UNKEYED_ABLATIONS = {"mentor, not scored by its best sentence (sentence_weight=0)": {"sentence_weight": 0.0}}
NO_HEADINGS = "mentor, headings not embedded (passage text alone)"
NO_BOOST = "mentor, no source boost (the guide's boost = 0)"
_MARKUP = re.compile(r"[*_`#>]+")


class LabelledBaseline:
    """The baseline's ``similarity_search`` behind Mentor's ``search(query, k)`` interface.

    Each result's ``section_path`` lists the headings of every Mentor chunk it shares a run of
    ``SHARED_RUN`` characters with, so ``evaluate`` can score it like a Mentor passage.
    """

    def __init__(self, store: Chroma, reference: Iterable[StoredChunk]) -> None:
        self.store = store
        self._runs: dict[str, set[str]] = defaultdict(set)
        self._short: list[tuple[str, list[str]]] = []
        for row in reference:
            text = _fold(row.text)
            headings = str(row.metadata.get("section_path", "")).split(" > ")
            if len(text) < SHARED_RUN:
                self._short.append((text, headings))
            for start in range(len(text) - SHARED_RUN + 1):
                self._runs[text[start : start + SHARED_RUN]].update(headings)

    def search(self, query: str, k: int) -> list[Passage]:
        """The baseline's ``k`` nearest chunks, labelled with the headings they overlap."""
        return [
            Passage(
                id="",
                text=doc.page_content,
                score=0.0,
                metadata={**doc.metadata, "section_path": " > ".join(self.headings(doc.page_content))},
            )
            for doc in self.store.similarity_search(query, k=k)
        ]

    def headings(self, text: str) -> list[str]:
        """Headings of the Mentor chunks that share text with ``text``."""
        text = _fold(text)
        found: set[str] = set()
        for start in range(len(text) - SHARED_RUN + 1):
            found |= self._runs.get(text[start : start + SHARED_RUN], set())
        found.update(h for short, headings in self._short if short in text for h in headings)
        return sorted(found)


def compare_stores(stores: dict[str, tuple[Mentor, Chroma]], splits: dict[str, list[Case]]) -> dict[str, Any]:
    """:func:`run` for every split on every store (``{"full": (mentor, baseline store), …}``),
    keyed ``"split/store"``; only the questions a store can answer are scored on it, and the
    ablations on the full store (what each part adds to the product as shipped) and the
    uncurated one (what scoring by sentences adds where no passage has keys)."""
    from assistant.quality.evaluation import answerable_in, store_headings

    results = {}
    for store_name, (store_mentor, store) in stores.items():
        headings = store_headings(store_mentor)
        ablations = {"full": ABLATIONS, UNCURATED: UNKEYED_ABLATIONS}.get(store_name, {})
        for split, cases in splits.items():
            scored = answerable_in(cases, headings)
            results[f"{split}/{store_name}"] = run(store_mentor, store, scored, ablations, copies=store_name == "full")
    return results


def run(
    mentor: Mentor,
    store: Chroma,
    cases: list[Case],
    ablations: dict[str, dict[str, Any]] = ABLATIONS,
    *,
    copies: bool = True,
) -> dict[str, Any]:
    """hit@1/3/5, MRR and nDCG@5 of Mentor, of each of ``ablations`` (settings changed), with
    ``copies`` of the store without headings or boost, of the baseline, and Mentor's over the
    baseline's."""
    rows = {"mentor": evaluate(mentor, cases, answers=False).metrics}
    for name, change in ablations.items():
        variant = Mentor(mentor.settings.replace(**change), embedder=mentor.embedder, client=mentor.client)
        rows[name] = evaluate(variant, cases, answers=False).metrics
    if copies:
        rows[NO_HEADINGS] = evaluate(_without_headings(mentor), cases, answers=False).metrics
        rows[NO_BOOST] = evaluate(_without_boost(mentor), cases, answers=False).metrics
    labelled = LabelledBaseline(store, mentor.store.rows())
    rows["baseline"] = evaluate(labelled, cases, answers=False).metrics
    return {
        "questions": len(cases),
        "in_scope": sum(1 for case in cases if case.sections),
        "relevance_rule": f"baseline chunk shares a {SHARED_RUN}-character run of text with a "
        "Mentor chunk whose heading path holds an expected heading",
        "metrics": rows,
        "ratios": {name: ratio(value, rows["baseline"][name]) for name, value in rows["mentor"].items()},
    }


def _without_headings(mentor: Mentor) -> Mentor:
    """The same chunks in a second collection, their vectors embedded from the text alone.

    Only the dense side changes: BM25 still reads the headings, and the metadata that scores a
    hit is the same.
    """
    rows = list(mentor.store.rows())
    return _copy(mentor, "no-headings", rows, mentor.embedder.embed([r.text for r in rows]))


def _without_boost(mentor: Mentor) -> Mentor:
    """The same chunks and vectors in a second collection, no source boosted."""
    rows = [
        StoredChunk(r.id, r.text, {k: v for k, v in r.metadata.items() if k != "boost"}) for r in mentor.store.rows()
    ]
    vectors = mentor.store.embeddings([r.id for r in rows])
    return _copy(mentor, "no-boost", rows, np.array([vectors[r.id] for r in rows]))


def _copy(mentor: Mentor, name: str, rows: list[StoredChunk], vectors: np.ndarray) -> Mentor:
    """A Mentor over ``rows`` with ``vectors``, in a collection (and ingest id) called ``name``."""
    variant = Mentor(mentor.settings.replace(collection=name), embedder=mentor.embedder, client=mentor.client)
    variant.store.upsert([r.id for r in rows], vectors, [r.text for r in rows], [r.metadata for r in rows])
    variant.store.set_info(ingest_id=name)
    return variant


def _fold(text: str) -> str:
    return " ".join(_MARKUP.sub(" ", text).lower().split())
