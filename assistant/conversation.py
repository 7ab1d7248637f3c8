"""Small talk and follow-up questions: what to search for, given the conversation so far."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

SMALL_TALK_REPLY = (
    "Hi! I'm Mentor. Ask me about starting a deep-learning career, tools such as "
    "PyTorch or Google Colab, or problems such as overfitting. I answer from the "
    "knowledge base and cite every source."
)
THANKS_REPLY = "You're welcome! Ask me anything else about your deep-learning journey."
_GREETING = re.compile(
    r"^(hi|hello|hey|hiya|yo|good (morning|afternoon|evening)|greetings)"
    r"( there| mentor)?[\s!.,]*$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^(thanks|thank you|thx|cheers|great|ok(ay)?|cool|bye|goodbye)"
    r"( (so much|a lot|mentor))?[\s!.,]*$",
    re.IGNORECASE,
)
_WHAT_ABOUT = re.compile(r"^(?:and\s+|ok\s+|so\s+)?(?:what|how)\s+about\s+(.+?)[\s?.!]*$", re.IGNORECASE)
_REFERS_BACK = re.compile(
    r"\b(it|its|they|them|their|those|these|that|this|one|ones|there|"
    r"same|else|more|other)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][\w+.#-]*(?:\s+[A-Z][\w+.#-]*)*)")


def small_talk(question: str) -> str | None:
    """A short friendly reply when ``question`` is only a greeting or thanks, else ``None``."""
    text = question.strip()
    if _GREETING.match(text):
        return SMALL_TALK_REPLY
    if _THANKS.match(text):
        return THANKS_REPLY
    return None


def last_question(history: Sequence[Any] | None) -> str:
    """The latest user message in ``history`` (dicts with role/content, or (role, text) pairs)."""
    for turn in reversed(history or ()):
        role, text = (turn.get("role"), turn.get("content")) if isinstance(turn, dict) else turn
        if role == "user" and str(text).strip():
            return str(text).strip()
    return ""


def rewrite(question: str, history: Sequence[Any] | None) -> str:
    """Make a follow-up stand alone: "what about PyTorch?" after a TensorFlow question asks
    the same about PyTorch; "which of those need CUDA?" carries the previous question along."""
    previous = last_question(history)
    if not previous:
        return question
    match = _WHAT_ABOUT.match(question.strip())
    if match:
        subject = match.group(1)
        names = _NAME.findall(previous)
        if names and subject.lower() not in previous.lower():
            return previous.replace(names[-1], subject, 1)
        return f"{previous} {subject}"
    if _REFERS_BACK.search(question) and len(question.split()) <= 12:
        return f"{question} ({previous})"
    return question
