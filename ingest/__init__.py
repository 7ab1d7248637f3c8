"""Load, clean, chunk, embed and store the knowledge base."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.chunking import Chunk, chunk_document
    from ingest.embedding import Embedder
    from ingest.errors import FetchError, MentorError, SettingsError, SourceError, StoreError
    from ingest.loading import Document, load_file
    from ingest.models import DEFAULT_MODEL
    from ingest.sources import SourceSpec, read_manifest, specs_for
    from ingest.store import Store, open_client
    from ingest.sync import IngestReport, SourceChange, ingest

# Names are imported on first use, so `mentor --help` and error handling never load torch.
_HOMES = {
    "Chunk": "chunking",
    "chunk_document": "chunking",
    "DEFAULT_MODEL": "models",
    "Embedder": "embedding",
    "FetchError": "errors",
    "MentorError": "errors",
    "SettingsError": "errors",
    "SourceError": "errors",
    "StoreError": "errors",
    "Document": "loading",
    "load_file": "loading",
    "SourceSpec": "sources",
    "read_manifest": "sources",
    "specs_for": "sources",
    "Store": "store",
    "open_client": "store",
    "IngestReport": "sync",
    "SourceChange": "sync",
    "ingest": "sync",
}

__all__ = [
    "Chunk",
    "DEFAULT_MODEL",
    "Document",
    "Embedder",
    "FetchError",
    "IngestReport",
    "MentorError",
    "SettingsError",
    "SourceChange",
    "SourceError",
    "SourceSpec",
    "Store",
    "StoreError",
    "chunk_document",
    "ingest",
    "load_file",
    "open_client",
    "read_manifest",
    "specs_for",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ingest' has no attribute {name!r}")
    return getattr(import_module(f"ingest.{_HOMES[name]}"), name)
