"""Cold-start baseline: open a persisted LangChain Chroma store and run one similarity search.

Usage: ``python -m benchmarks.baseline_ask <persist_dir> <question>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.baseline import K, embeddings, open_store


def main(argv: list[str]) -> None:
    """Print the ``K`` passages nearest to the question, best first."""
    store = open_store(Path(argv[0]), embeddings())
    for doc in store.similarity_search(argv[1], k=K):
        print(f"[{doc.metadata.get('source')}] {doc.page_content[:200]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
