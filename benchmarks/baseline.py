"""The textbook LangChain RAG pipeline that Mentor is measured against.

What a user would write from the LangChain docs: markdown files as ``Document``s,
``RecursiveCharacterTextSplitter(1000, 200)``, ``Chroma.from_documents`` with
``HuggingFaceEmbeddings`` (the same bundled all-MiniLM-L6-v2), then ``similarity_search(k=4)``.

Run ``python -m benchmarks.baseline <folder> <persist_dir> [glob ...]`` to build a store.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_huggingface import HuggingFaceEmbeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.models import bundled_model_path

KNOWLEDGE_PATTERNS = ("guide.md", "resources/*.md")
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
K = 4


def embeddings() -> HuggingFaceEmbeddings:
    """The bundled all-MiniLM-L6-v2 as LangChain's ``HuggingFaceEmbeddings`` (loads the model)."""
    return HuggingFaceEmbeddings(model_name=str(bundled_model_path()), encode_kwargs={"normalize_embeddings": True})


def load_markdown(root: Path, patterns: Sequence[str] = KNOWLEDGE_PATTERNS) -> list[Document]:
    """Every file matching ``patterns`` under ``root`` as a Document with its ``source``."""
    paths = sorted({path for pattern in patterns for path in root.glob(pattern)})
    return [
        Document(page_content=path.read_text(encoding="utf-8"), metadata={"source": path.relative_to(root).as_posix()})
        for path in paths
    ]


def split(documents: list[Document]) -> list[Document]:
    """The docs' default splitter settings."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return splitter.split_documents(documents)


def build(
    root: Path, persist_dir: Path, embedding: HuggingFaceEmbeddings, patterns: Sequence[str] = KNOWLEDGE_PATTERNS
) -> tuple[Chroma, int]:
    """Load, split, embed and persist; returns the store and its number of chunks."""
    chunks = split(load_markdown(root, patterns))
    store = Chroma.from_documents(
        chunks, embedding, persist_directory=str(persist_dir), client_settings=chroma_settings()
    )
    return store, len(chunks)


def open_store(persist_dir: Path, embedding: HuggingFaceEmbeddings) -> Chroma:
    """A store persisted by :func:`build`, opened again."""
    return Chroma(persist_directory=str(persist_dir), embedding_function=embedding, client_settings=chroma_settings())


def chroma_settings():
    """Telemetry off, as Mentor has it: the benchmark machine is offline and must not wait on it."""
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, is_persistent=True)


def main(argv: Sequence[str]) -> None:
    """Build the store of folder ``argv[0]`` in ``argv[1]`` (files: globs ``argv[2:]``)."""
    patterns = tuple(argv[2:]) or KNOWLEDGE_PATTERNS
    _, count = build(Path(argv[0]), Path(argv[1]), embeddings(), patterns)
    print(f"{count} chunks")


if __name__ == "__main__":
    main(sys.argv[1:])
