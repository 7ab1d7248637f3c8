"""Load, clean, chunk, embed and store the knowledge base."""

from ingest.chunking import Chunk, chunk_document
from ingest.embedding import DEFAULT_MODEL, Embedder
from ingest.errors import FetchError, MentorError, SettingsError, SourceError, StoreError
from ingest.loading import Document, load_file
from ingest.sources import SourceSpec, read_manifest, specs_for
from ingest.store import Store, open_client
from ingest.sync import IngestReport, SourceChange, ingest

__all__ = [
    "DEFAULT_MODEL",
    "Chunk",
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
