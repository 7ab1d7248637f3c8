"""A small map from beginners' words to the field's words, appended to queries before search."""

from __future__ import annotations

import re

# Kept only where the eval set showed a gain (see benchmarks/results/retrieval.md).
SYNONYMS: dict[str, str] = {
    r"memori[sz]\w*|fits the training|\btrain\w*\b.{0,60}\b(test|unseen|new|validation)\b": "overfitting",
    r"\bjobs?\b|\broles?\b|\bhired\b|\bemploy\w*": "career paths",
    r"\blaptop\b|\bslow\b|graphics card|\bcompute\b": "GPU computational resources",
    r"\bshow\w* (off|employers)|\bshowcase\b": "portfolio",
    r"\bwhy .*(decid|predict)|\bexplain\w* (my|the) model": "model interpretability SHAP LIME",
    r"\bmore data\b|small (training set|dataset)|\bvariety\b": "data augmentation",
    r"\bother (people|learners|students)\b|\bcommunit|\bmeet (people|others)|\bfellow\b":
        "online communities forums",
    r"\bwhat (do|should) i (actually )?do (now|next|after|this week)|\bafter (i finish|finishing|reading)":
        "next steps",
    r"\bnoobs?\b|\bnewbies?\b": "beginner",
    r"\bml\b": "machine learning",
    r"\bdl\b": "deep learning",
}
# Field acronyms a beginner uses that the knowledge base spells out: never "unknown names".
ACRONYMS = frozenset({"ml", "dl"})
_COMPILED = [(re.compile(pattern, re.IGNORECASE), terms) for pattern, terms in SYNONYMS.items()]


def expand(query: str) -> str:
    """``query`` with the field's words for any beginner phrasing it contains."""
    extra = [terms for pattern, terms in _COMPILED if pattern.search(query)]
    return f"{query} ({'; '.join(extra)})" if extra else query
