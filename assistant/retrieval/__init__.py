"""Retrieval: hybrid search over the store, BM25, question keys, declared out-of-scope topics."""
