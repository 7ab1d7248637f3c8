"""The MCP server through the SDK's own client: in process, and as a stdio subprocess."""

import sys

import pytest
from mcp import Client, MCPError, StdioServerParameters

from assistant.interfaces.mcp_server import build_server

pytestmark = pytest.mark.asyncio

PASSAGE_KEYS = {"text", "title", "section", "anchor", "url", "score", "id"}


@pytest.fixture(scope="module")
def server(mentor):
    return build_server(mentor)


async def test_lists_both_tools(server):
    async with Client(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert {"search_knowledge", "ask_mentor"} <= set(tools)
    assert tools["search_knowledge"].input_schema["required"] == ["query"]


async def test_search_knowledge_returns_titled_passages(server, mentor):
    async with Client(server) as client:
        result = await client.call_tool("search_knowledge", {"query": "free GPU", "k": 3})
    assert not result.is_error
    data = result.structured_content
    assert data["index_version"] == mentor.stats()["index_version"] != ""
    assert len(data["passages"]) == 3
    assert all(set(p) == PASSAGE_KEYS and p["title"] for p in data["passages"])
    assert "Colab" in data["passages"][0]["title"] + data["passages"][0]["text"]


async def test_ask_mentor_answers_with_numbered_citations(server):
    async with Client(server) as client:
        result = await client.call_tool("ask_mentor", {"question": "How can I get a free GPU?"})
    data = result.structured_content
    assert not result.is_error and data["grounded"] is True and "[1]" in data["answer"]
    assert [c["n"] for c in data["citations"]] == list(range(1, len(data["citations"]) + 1))
    assert any("Colab" in c["title"] + c["text"] for c in data["citations"])


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("search_knowledge", {"query": "gpu", "k": 0}, "k: must be between 1 and 50, got 0"),
        ("ask_mentor", {"question": "   "}, "question: is empty; type a question"),
    ],
)
async def test_mentor_errors_are_tool_errors(server, tool, arguments, message):
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert result.content[0].text.endswith(message)


async def test_every_source_is_a_readable_resource(server, mentor):
    async with Client(server) as client:
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        guide = await client.read_resource("mentor://source/guide.md")
        with pytest.raises(MCPError, match="nope.md: no such source"):
            await client.read_resource("mentor://source/nope.md")
    assert "mentor://source/guide.md" in listed
    assert "mentor://source/resources/google-colab.md" in listed
    assert len(listed) == mentor.stats()["sources"]
    text = guide.contents[0].text
    assert text.startswith(f"# {listed['mentor://source/guide.md'].title}\n")
    assert "With perseverance, practice" in text


@pytest.mark.slow
async def test_stdio_server_answers_a_search(kb_settings, tmp_path, user_cache):
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant.interfaces.mcp_server"],
        cwd=tmp_path,
        # The client passes on only a few variables (PATH, HOME...): name the tests' cache folder.
        env={"MENTOR_DATA_DIR": str(kb_settings.data_dir), "XDG_CACHE_HOME": str(user_cache)},
    )
    async with Client(params, read_timeout_seconds=120) as client:
        result = await client.call_tool("search_knowledge", {"query": "free GPU", "k": 2})
    assert not result.is_error
    assert len(result.structured_content["passages"]) == 2
