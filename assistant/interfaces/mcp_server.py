"""Mentor as an MCP server: search and ask as tools, each stored source as a resource.

Run it over stdio for a desktop client (``python -m assistant.interfaces.mcp_server`` or ``mentor mcp``),
or over streamable HTTP on loopback for anything that speaks MCP over the network.
"""

from __future__ import annotations

import sys
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer, ResourceSecurity
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.shared.uri_template import UriTemplate
from mcp_types import Resource

from assistant.mentor import Mentor
from assistant.retrieval.search import Passage
from assistant.store import catalog
from ingest.errors import MentorError, one_of
from ingest.store import StoredChunk

SERVER_NAME = "mentor"
SOURCE_URI = UriTemplate.parse("mentor://source/{+source}")
TRANSPORTS = ("stdio", "streamable-http")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
INSTRUCTIONS = (
    "Mentor answers questions about starting a deep-learning career from a curated "
    "knowledge base. Use ask_mentor for a cited answer, search_knowledge for the raw "
    "passages, and the mentor://source/... resources to read a whole source."
)


class _MentorServer(MCPServer):
    """An ``MCPServer`` whose resource list is read from the store on every request.

    A re-ingest (by this process or another) adds and removes sources while the server runs,
    so the list is never a snapshot taken at start-up.
    """

    def __init__(self, mentor: Mentor) -> None:
        super().__init__(SERVER_NAME, instructions=INSTRUCTIONS)
        self.mentor = mentor

    async def list_resources(self) -> list[Resource]:
        """The static resources (none) followed by one resource per stored source."""
        listed = await anyio.to_thread.run_sync(_source_resources, self.mentor)
        return [*await super().list_resources(), *listed]


def build_server(mentor: Mentor) -> MCPServer:
    """An MCP server over ``mentor``, with tools ``search_knowledge`` and ``ask_mentor``.

    Every stored source is a text resource at ``mentor://source/<source>`` (e.g.
    ``mentor://source/resources/google-colab.md``): its chunks in reading order. Errors a user
    can fix (an empty question, ``k`` out of range) come back as tool errors with Mentor's
    one-line message.

    Example:
        >>> from mcp import Client
        >>> async with Client(build_server(Mentor())) as client:            # doctest: +SKIP
        ...     result = await client.call_tool("search_knowledge", {"query": "free GPU"})
        >>> result.structured_content["passages"][0]["title"]               # doctest: +SKIP
        'Google Colab'
    """
    server = _MentorServer(mentor)

    @server.tool()
    def search_knowledge(query: str, k: int = 5) -> dict[str, Any]:
        """Find the k passages of the knowledge base most relevant to query, best first.

        Each passage has text, title, section, anchor, url, score (0 to 1) and id;
        index_version names the ingest that produced them.
        """
        try:
            passages = mentor.search(query, k)
        except MentorError as exc:
            raise ToolError(str(exc)) from None
        version = passages[0].metadata["index_version"] if passages else mentor.index_version
        return {"index_version": version, "passages": [_passage(p) for p in passages]}

    @server.tool()
    def ask_mentor(question: str) -> dict[str, Any]:
        """Answer a beginner's deep-learning career question, citing the passages used.

        The answer text marks each claim with [n]; citations[n-1] says where it comes from.
        grounded is false when the knowledge base does not cover the question.
        """
        try:
            return mentor.ask(question).to_dict()
        except MentorError as exc:
            raise ToolError(str(exc)) from None

    # Source ids are matched against the store, never opened as paths, so a URL source such
    # as "https://example.org/faq.html" must not be refused as an absolute path.
    @server.resource(
        str(SOURCE_URI),
        name="source",
        mime_type="text/markdown",
        description="One knowledge-base source, its sections in reading order.",
        security=ResourceSecurity(exempt_params={"source"}),
    )
    def read_source(source: str) -> str:
        text = catalog.source_text(mentor.store, source)
        if text is None:
            raise ResourceNotFoundError(
                f"{source}: no such source in the knowledge base; list the resources to see what is stored"
            )
        return text

    return server


def serve(mentor: Mentor, transport: str = "stdio", host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve ``mentor`` over MCP until the client disconnects or the process is stopped.

    Args:
        mentor: the Mentor to expose.
        transport: ``stdio`` (for desktop clients) or ``streamable-http``
            (at ``http://{host}:{port}/mcp``).
        host: the address HTTP binds to; loopback by default, as the server has no auth.
        port: the HTTP port.

    Raises:
        SettingsError: ``transport`` is not one of ``stdio`` or ``streamable-http``.
    """
    one_of("transport", transport, TRANSPORTS)
    server = build_server(mentor)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)


def _passage(passage: Passage) -> dict[str, Any]:
    meta = passage.metadata
    return {
        "text": passage.text,
        "title": passage.title,
        "section": passage.section,
        "anchor": str(meta.get("anchor", "")),
        "url": str(meta.get("url", "")),
        "score": round(passage.score, 4),
        "id": passage.id,
    }


def _chunks_by_source(mentor: Mentor) -> dict[str, list[StoredChunk]]:
    by_source: dict[str, list[StoredChunk]] = {}
    for row in mentor.store.rows(include_text=False):
        by_source.setdefault(str(row.metadata.get("source", "")), []).append(row)
    return by_source


def _source_resources(mentor: Mentor) -> list[Resource]:
    return [
        Resource(
            uri=SOURCE_URI.expand({"source": source}),
            name=source,
            title=str(rows[0].metadata.get("title", "")) or None,
            description=f"{len(rows)} passages",
            mime_type="text/markdown",
        )
        for source, rows in sorted(_chunks_by_source(mentor).items())
        if source
    ]


def main() -> None:
    """``python -m assistant.interfaces.mcp_server``: serve the configured knowledge base over stdio."""
    from assistant.settings import Settings

    try:
        serve(Mentor(Settings.load()))
    except MentorError as exc:
        sys.exit(f"mentor mcp: error: {exc}")


if __name__ == "__main__":
    main()
