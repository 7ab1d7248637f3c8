"""The first ``mentor ui``: seconds from the command to an answer in the browser.

Each run starts ``mentor ui`` on a fresh data dir, as a new user's first ``make run`` does
after its install, and drives Debian's Chromium (already open, as a user's browser is) to the
chat on loopback: it asks one question and stops the clock when the answer shows its first
source card. With a cold model cache the run includes exporting the embedding model (once per
user); with a warm one, a second data dir reuses that export.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

QUESTION = "How can I get a free GPU?"
MENTOR = str(Path(sys.executable).with_name("mentor"))
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 600_000  # a measurement, not a test: wait as long as a slow machine needs


def run(workdir: Path, *, manifest: Path | None = None, caches: tuple[str, ...] = ("cold", "warm")) -> dict[str, Any]:
    """Time the first ``mentor ui`` on fresh data dirs under ``workdir``: with a cold model
    cache (an empty user cache folder) and then a warm one (the same folder, the model in it)."""
    from playwright.sync_api import sync_playwright

    cache = workdir / "first-run-cache"
    runs = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            for name in caches:
                runs[name] = _first_ui(browser, workdir / f"first-run-{name}", cache, manifest)
        finally:
            browser.close()
    return {"question": QUESTION, "runs": runs}


def _first_ui(browser, data_dir: Path, cache: Path, manifest: Path | None) -> dict[str, float]:
    """One ``mentor ui`` on ``data_dir`` with ``cache`` as the user's cache folder: seconds from
    the command to its ingest's end, to the chat's title, to its input taking a question, and to
    the answer's first source card."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTOR_")}
    env.update(XDG_CACHE_HOME=str(cache), MENTOR_CONFIG=os.devnull, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if manifest:
        env["MENTOR_MANIFEST"] = str(manifest)
    marks: dict[str, float] = {}
    started = time.perf_counter()
    command = [MENTOR, "--data-dir", str(data_dir), "ui", "--port", str(port)]
    output: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as server:
        reader = threading.Thread(target=_read, args=(server, output, marks, started))
        reader.start()
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        try:
            _goto(page, f"http://127.0.0.1:{port}", server, output)
            marks["page_served_s"] = time.perf_counter() - started
            page.get_by_role("heading", name="Mentor").wait_for(timeout=TIMEOUT_MS)
            marks["title_s"] = time.perf_counter() - started
            box = page.get_by_test_id("stChatInputTextArea")
            box.fill(QUESTION, timeout=TIMEOUT_MS)  # waits until the input is enabled
            marks["input_ready_s"] = time.perf_counter() - started
            box.press("Enter")
            answer = page.get_by_test_id("stChatMessage").nth(1)
            answer.get_by_test_id("stExpander").first.wait_for(timeout=TIMEOUT_MS)
            marks["answer_s"] = time.perf_counter() - started
        finally:
            page.context.close()
            server.terminate()
            reader.join()  # the output ends when the server has exited
    return marks


def _read(server: subprocess.Popen, output: list[str], marks: dict[str, float], started: float) -> None:
    """Keep the command's output; mark when its ingest finished."""
    for line in server.stdout:
        output.append(line)
        if line.startswith("Knowledge base:"):
            marks["ingested_s"] = time.perf_counter() - started


def _goto(page, url: str, server: subprocess.Popen, output: list[str]) -> None:
    """Open ``url`` as soon as the server answers (retrying while it starts)."""
    from playwright.sync_api import Error

    while True:
        if server.poll() is not None:
            raise RuntimeError(f"mentor ui exited {server.returncode}:\n{''.join(output)[-2000:]}")
        try:
            page.goto(url, wait_until="commit")
            return
        except Error:  # connection refused: not listening yet
            time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
