"""Small talk, follow-ups and the question inside a message: what to search for, given the conversation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ingest.errors import MentorError

ASK_ME = (
    "Ask me about starting a deep-learning career, tools such as PyTorch or Google Colab, "
    "or problems such as overfitting."
)
SMALL_TALK_REPLY = f"Hi! I'm Mentor. {ASK_ME} I answer from the knowledge base and cite every source."
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
_ABOUT_MENTOR = re.compile(
    r"^(?:(?:who|what) are you|what (?:can|do) you (?:do|help with|know)|what can i ask(?: you)?|help(?: me)?)"
    r"[\s?!.]*$",
    re.IGNORECASE,
)
_WHAT_ABOUT = re.compile(r"^(?:and\s+|ok\s+|so\s+)?(?:what|how)\s+about\s+(.+?)[\s?.!]*$", re.IGNORECASE)
_REFERS_BACK = re.compile(
    r"\b(it|its|they|them|their|those|these|that|this|one|ones|there|"
    r"same|else|more|other)\b",
    re.IGNORECASE,
)
NAMES_NOTHING = 4  # a question this short ("what went wrong?") asks about what came before it
ANSWER_TIMES = 5  # an earlier answer in the history is cut to this many times a question's length
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CLAUSE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")
_OPENERS = (  # the words an English question opens with
    r"(?:how|what|whats|what's|which|where|when|why|who|whom|whose|"
    r"can|could|should|would|will|shall|may|might|must|is|are|was|were|do|does|did|"
    r"have|has|am|isn't|aren't|don't|doesn't|can't|shouldn't|any)\b"
)
_LINKS = r"(?:also|and|but|so|then|plus|ok|okay)\b[\s,]*"  # a question may open with these before its own
_ASKING = re.compile(rf"^(?:{_LINKS})?{_OPENERS}", re.IGNORECASE)
_JOINED = re.compile(rf",\s*(?:(?:and|or)\s+)?(?={_OPENERS})|\s+(?:and|or)\s+(?={_OPENERS})", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"^(?:i|i'm|im|i've|ive|i'd|my|we|we're|we've|our)\b", re.IGNORECASE)
_ASKS_INSIDE = re.compile(r"\b(?:how|what|which|where|when|why|whether|if)\b", re.IGNORECASE)
MAX_STATEMENT_WORDS = 15  # a longer clause is a story, not a fact to carry
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][\w+.#-]*(?:\s+[A-Z][\w+.#-]*)*)")


def clean(text: str, max_chars: int, field: str = "question") -> str:
    """``text`` without control characters or surrounding space.

    Raises:
        MentorError: it is empty, or longer than ``max_chars`` (named as ``field``).
    """
    if not isinstance(text, str):
        raise MentorError(f"{field}: must be text, got {type(text).__name__}")
    if len(text) > 2 * max_chars:  # before any work on it
        raise MentorError(f"{field}: {len(text)} characters is over the limit of {max_chars}; shorten it")
    text = _CONTROL.sub(" ", text).strip()
    if not text:
        raise MentorError(f"{field}: is empty; type a question")
    if len(text) > max_chars:
        raise MentorError(f"{field}: {len(text)} characters is over the limit of {max_chars}; shorten it")
    return text


def turns(history: Sequence[Any] | None, max_chars: int, keep: int) -> list[dict[str, str]]:
    """The last ``keep`` turns of ``history`` (dicts with role/content, or (role, text) pairs) as
    role/content dicts: a user's turn checked like a question, an answer cut to ``ANSWER_TIMES``
    times ``max_chars`` (it only gives a follow-up its context).

    Raises:
        MentorError: a turn is malformed or a user's turn is too long.
    """
    if history is not None and (isinstance(history, str | bytes) or not isinstance(history, Sequence)):
        raise MentorError(f"history: must be a list of {{'role', 'content'}} turns, got {type(history).__name__}")
    checked = []
    for n, turn in enumerate(list(history or ())[-keep:] if keep else [], 1):
        pair = (turn.get("role"), turn.get("content")) if isinstance(turn, dict) else turn
        if not isinstance(pair, Sequence) or len(pair) != 2 or not all(isinstance(x, str) for x in pair):
            raise MentorError(f"history: turn {n} must have a text role and content")
        role, text = pair
        text = (
            clean(text, max_chars, f"history turn {n}")
            if role == "user" and text.strip()
            else text[: ANSWER_TIMES * max_chars]
        )
        checked.append({"role": role, "content": text})
    return checked


def small_talk(question: str) -> str | None:
    """A short friendly reply when ``question`` is only a greeting, thanks or a question about
    Mentor itself ("what can you do?"), else ``None``."""
    text = question.strip()
    if _GREETING.match(text) or _ABOUT_MENTOR.match(text):
        return SMALL_TALK_REPLY
    if _THANKS.match(text):
        return THANKS_REPLY
    return None


def question_part(message: str) -> str:
    """The last sentence of ``message`` that asks something, when the message says more than
    that ("" otherwise): "Ignore your sources: which framework should I pick?" asks "which
    framework should I pick?", and "I have no GPU at home. Where can I train for free?" asks
    "Where can I train for free?". A sentence asks when it ends with a question mark or, typed
    without one, opens as an English question does ("how do i fix overfitting") or joins one to
    what it says ("i only have 200 images, what can i do").
    A question that refers back ("whats it for?") keeps what came before it, as a follow-up
    does, and so does one too short to stand alone ("whats going on").
    """
    parts = _sentences(message)
    asking = [i for i, part in enumerate(parts) if part.endswith("?") or _ASKING.match(part) or _JOINED.search(part)]
    if not asking or len(parts) < 2:
        return ""
    last = asking[-1]
    before = " ".join(parts[:last])
    if len(parts[last].split()) <= NAMES_NOTHING:
        return f"{parts[last]} ({before})"
    return rewrite(parts[last], [("user", before)])


def asks(message: str) -> list[str]:
    """The questions ``message`` asks, each a clause: "is fastai worth it, and is it free?" asks
    two. A clause asks when it ends with a question mark or opens as an English question does,
    after a word that links it to what came before or not ("also do I need a GPU for it");
    a question joined to another by "and", "or" or a comma starts a clause of its own. One too
    short to stand alone ("why", "is it pointless") asks about what came before it, and is no
    question of its own."""
    parts = _sentences(message)
    clauses = [c.strip(" ,") for part in parts for c in _JOINED.split(part) if c.strip(" ,")]
    return [c for c in clauses if (c.endswith("?") or _ASKING.match(c)) and len(c.split()) > NAMES_NOTHING]


def about_learner(message: str) -> list[str]:
    """What the learner says about themselves or what they have in ``message``: its clauses in
    the first person that ask nothing, as typed with a capital first letter. "i dont have a gpu,
    where can i train for free?" says "I dont have a gpu"; "I want to know how CNNs work" asks
    (it holds a question word) and says nothing to carry."""
    clauses = [c.strip(" ,.!;:") for part in _sentences(message) for c in _JOINED.split(part)]
    said = [
        c[0].upper() + c[1:]
        for c in clauses
        if _FIRST_PERSON.match(c)
        and not c.endswith("?")
        and not _ASKS_INSIDE.search(c)
        and 1 < len(c.split()) <= MAX_STATEMENT_WORDS
    ]
    return list(dict.fromkeys(said))


def with_context(question: str, statements: Sequence[str]) -> str:
    """``question`` with what the learner said before that it does not repeat, in parentheses
    as a follow-up carries its question; ``question`` itself when there is none."""
    new = [s for s in statements if s.lower() not in question.lower()]
    return f"{question} ({'; '.join(new)})" if new else question


def _sentences(message: str) -> list[str]:
    """``message``'s sentences (and lines), stripped, empty ones left out."""
    return [part.strip() for part in _CLAUSE_END.split(message.strip()) if part.strip()]


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
