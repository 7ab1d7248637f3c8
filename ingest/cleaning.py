"""Text clean-up shared by every loader: one canonical form, so hashes and ids are stable."""

import re
import unicodedata

# Invisible characters that change a hash without changing what a reader sees.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")
# Sentence ends, line starts, and a bracket glued to a capital ("...]With") all break.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])(?=\s)|(?<=[\])])(?=[A-Z])|(?=\n)")
_MIN_REPEAT = 40  # shorter sentences ("Good luck!") may repeat on purpose


def clean_text(text: str) -> str:
    """Return ``text`` in canonical form: NFC, LF line ends, no invisible or control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def drop_repeated_sentences(text: str) -> str:
    """Remove sentences that repeat, word for word, a long sentence seen earlier in the text.

    Pasted-twice passages (the guide repeats its closing lines) would otherwise be stored and
    cited twice.
    """
    seen: set[str] = set()
    kept = []
    for piece in _SENTENCE_BREAK.split(text):
        key = " ".join(piece.split()).lower()
        if len(key) >= _MIN_REPEAT and key in seen:
            continue
        seen.add(key)
        kept.append(piece)
    return clean_text("".join(kept))


def content_hash(text: str) -> str:
    """Return a hex sha256 of ``text`` with white space folded, so reflowing changes nothing."""
    import hashlib

    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
