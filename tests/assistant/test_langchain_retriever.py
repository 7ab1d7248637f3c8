"""LangChain's standard retriever tests, run against MentorRetriever over the real knowledge base."""

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.retrieval.langchain_retriever import MentorRetriever


@pytest.mark.anyio  # runs the suite's one async test; sync tests ignore the mark
class TestMentorRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _mentor(self, mentor):
        # The suite builds retrievers from a property; this binds the session's ingested store.
        self.mentor = mentor

    @property
    def retriever_constructor(self) -> type[MentorRetriever]:
        return MentorRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"mentor": self.mentor, "k": 4}

    @property
    def retriever_query_example(self) -> str:
        return "How can I get a free GPU?"
