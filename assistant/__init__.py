"""Mentor: grounded, cited answers about starting a deep-learning career."""

from assistant.answers import Answer, Citation
from assistant.mentor import Mentor
from assistant.retrieval import Passage
from assistant.settings import Settings
from ingest.errors import MentorError, SettingsError, SourceError, StoreError

__all__ = [
    "Answer",
    "Citation",
    "Mentor",
    "MentorError",
    "Passage",
    "Settings",
    "SettingsError",
    "SourceError",
    "StoreError",
]
