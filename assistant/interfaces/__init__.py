"""The ways in: the `mentor` command, its terminal output, the MCP server, and serving the chat."""
