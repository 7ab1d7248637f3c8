"""Load on the MCP server: 20 clients at once over streamable HTTP, against a real subprocess."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import servers
from mcp import Client

CALLS = 20
QUESTIONS = (
    "How can I get a free GPU?",
    "Which jobs can I get with deep learning?",
    "Should I learn PyTorch or Keras?",
    "What is the capital of France?",
)


@pytest.fixture
def mcp_url(kb_settings, mentor, tmp_path, request) -> str:
    """``mentor mcp --http`` serving the session's knowledge base on a free loopback port."""
    port = servers.free_port()
    server = servers.start(
        [
            str(Path(sys.executable).with_name("mentor")),
            "--data-dir",
            str(kb_settings.data_dir),
            "mcp",
            "--http",
            "--port",
            str(port),
        ],
        f"http://127.0.0.1:{port}/mcp",
        lambda response: response.status_code < 500,
        tmp_path / "mcp.log",
    )
    request.addfinalizer(lambda: servers.stop(server))
    return f"http://127.0.0.1:{port}/mcp"


async def _call(url: str, n: int) -> tuple[int, dict]:
    question = QUESTIONS[n % len(QUESTIONS)]
    async with Client(url, read_timeout_seconds=120) as client:
        if n % 2:
            result = await client.call_tool("search_knowledge", {"query": question, "k": 3})
        else:
            result = await client.call_tool("ask_mentor", {"question": question})
    assert not result.is_error, result.content
    return n, result.structured_content


@pytest.mark.slow
def test_20_concurrent_mcp_calls_over_http_all_match_the_answers_given_in_process(mcp_url, mentor):
    async def all_at_once() -> list[tuple[int, dict]]:
        return await asyncio.gather(*(_call(mcp_url, n) for n in range(CALLS)))

    results = asyncio.run(all_at_once())
    assert sorted(n for n, _ in results) == list(range(CALLS))
    for n, data in results:
        question = QUESTIONS[n % len(QUESTIONS)]
        if n % 2:
            assert [p["id"] for p in data["passages"]] == [p.id for p in mentor.search(question, 3)]
        else:
            assert data["answer"] == mentor.ask(question).text
