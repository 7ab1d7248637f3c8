"""Many questions at once: threads on one Mentor, and MCP clients over streamable HTTP."""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assistant import Mentor

ASKS, THREADS = 50, 8
MCP_CALLS = 20


def run(mentor: Mentor, questions: Sequence[str]) -> dict[str, Any]:
    """p50/p95 seconds of 50 asks on 8 threads, and of 20 simultaneous MCP ``ask_mentor`` calls."""
    return {"threads": _threads(mentor, questions), "mcp_http": _mcp(mentor, questions)}


def _threads(mentor: Mentor, questions: Sequence[str]) -> dict[str, Any]:
    def timed(question: str) -> float:
        started = time.perf_counter()
        mentor.ask(question)
        return time.perf_counter() - started

    asked = [questions[n % len(questions)] for n in range(ASKS)]
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        seconds = list(pool.map(timed, asked))
    return {"calls": ASKS, "concurrency": THREADS, **_summary(seconds, started)}


def _mcp(mentor: Mentor, questions: Sequence[str]) -> dict[str, Any]:
    """Start ``mentor mcp --http`` on the same data dir and call it from 20 clients at once."""
    from mcp import Client

    port = _free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("mentor")),
            "--data-dir",
            str(mentor.settings.data_dir),
            "mcp",
            "--http",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    async def call(question: str) -> float:
        started = time.perf_counter()
        async with Client(url, read_timeout_seconds=300) as client:
            result = await client.call_tool("ask_mentor", {"question": question})
        if result.is_error:
            raise RuntimeError(f"ask_mentor failed: {result.content}")
        return time.perf_counter() - started

    async def all_at_once() -> tuple[list[float], float]:
        await _first_answer(call, questions[0])  # waits for the server, which loads its model
        started = time.perf_counter()
        return await asyncio.gather(*(call(questions[n % len(questions)]) for n in range(MCP_CALLS))), started

    try:
        seconds, started = asyncio.run(all_at_once())
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"calls": MCP_CALLS, "concurrency": MCP_CALLS, **_summary(seconds, started)}


async def _first_answer(call, question: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            await call(question)
            return
        except Exception:  # noqa: BLE001 - not listening yet: any connection error
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _summary(seconds: list[float], started: float) -> dict[str, float]:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50_s": cuts[49], "p95_s": cuts[94], "max_s": max(seconds), "wall_s": time.perf_counter() - started}
