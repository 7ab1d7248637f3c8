"""The one Mentor every session of a chat process shares, held outside Streamlit's caches: a
client's ``clear_cache`` message empties those for everyone, and must not drop the knowledge base."""

from __future__ import annotations

import sys
import threading

from assistant import Mentor, Settings

_lock = threading.Lock()
_held: list[Mentor] = []


def mentor() -> Mentor:
    """The process's Mentor, built and warmed up on first use (and again if the settings change);
    a build that failed is tried again.

    Raises:
        MentorError: the settings or the store are unusable.
    """
    settings = Settings.load()
    with _lock:  # sessions opened together wait for one build
        if not loaded(settings):
            built = Mentor(settings)
            built.warm_up()  # the first embedding takes seconds: not on a question
            _held[:] = [built]
            print(f"Mentor: the chat loaded the knowledge base in {settings.data_dir}", file=sys.stderr, flush=True)
        return _held[0]


def loaded(settings: Settings) -> bool:
    """Whether the Mentor for ``settings`` is built already."""
    return bool(_held) and _held[0].settings == settings
