"""A LangChain retriever over the knowledge base, for chains, agents and notebooks."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class MentorRetriever(BaseRetriever):
    """Hybrid search as a LangChain ``BaseRetriever``.

    Documents carry the passage text and metadata: source, title, section, section_path, anchor,
    url, score, id and index_version. ``k`` may be set here and overridden per call.

    Example:
        >>> retriever = Mentor().as_retriever(k=3)          # doctest: +SKIP
        >>> retriever.invoke("free GPU")[0].metadata["title"]  # doctest: +SKIP
        'Google Colab'
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    mentor: Any
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        k = kwargs.get("k", self.k)
        return [
            Document(page_content=p.text, id=p.id, metadata={**p.metadata, "id": p.id, "score": p.score})
            for p in self.mentor.search(query, k=k)
        ]
