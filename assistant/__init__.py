"""Mentor: grounded, cited answers about starting a deep-learning career."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.answering.answers import Answer, Citation
    from assistant.mentor import Mentor
    from assistant.retrieval.langchain_retriever import MentorRetriever
    from assistant.retrieval.search import Passage
    from assistant.settings import Settings
    from ingest.errors import MentorError, SettingsError, SourceError, StoreError
    from ingest.sync import IngestReport

# Names are imported on first use, so `mentor --help` stays fast.
_HOMES = {
    "Answer": "assistant.answering.answers",
    "Citation": "assistant.answering.answers",
    "IngestReport": "ingest.sync",
    "Mentor": "assistant.mentor",
    "MentorRetriever": "assistant.retrieval.langchain_retriever",
    "Passage": "assistant.retrieval.search",
    "Settings": "assistant.settings",
    "MentorError": "ingest.errors",
    "SettingsError": "ingest.errors",
    "SourceError": "ingest.errors",
    "StoreError": "ingest.errors",
}

__all__ = [
    "Answer",
    "Citation",
    "IngestReport",
    "Mentor",
    "MentorError",
    "MentorRetriever",
    "Passage",
    "Settings",
    "SettingsError",
    "SourceError",
    "StoreError",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
