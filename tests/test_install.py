"""A built wheel, installed into a fresh venv, gives a working ``mentor`` outside the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import servers

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SHIPPED = ("pyproject.toml", "README.md", "assistant", "ingest", "knowledge", "ui")
# Runs in the new venv: where `assistant` comes from, and the installed chat page run once.
_PAGE = """
import json, sys
from streamlit.testing.v1 import AppTest
import assistant
from assistant.paths import CHAT_PAGE
page = AppTest.from_file(str(CHAT_PAGE), default_timeout=300).run()
print(json.dumps({"assistant": assistant.__file__, "page": str(CHAT_PAGE),
                  "errors": [e.value for e in page.exception], "title": [t.value for t in page.title]}))
"""


def _run(*command: object, **kwargs: object) -> str:
    """Run ``command``; fail with its output unless it exits 0; return its stdout."""
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel built from a copy of the checkout, and nothing else of ours."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"  # a copy, so the build leaves no build/ or egg-info in the checkout
    source.mkdir()
    for name in SHIPPED:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--no-build-isolation", "-w", root / "dist")
    (wheel,) = (root / "dist").glob("mentor-*.whl")
    venv = root / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # The dependencies (torch, chromadb, streamlit: gigabytes) are borrowed from this venv by a
    # .pth line, appended after the new venv's own site-packages, instead of downloaded again.
    # Only directories are added that way (their .pth files, the checkout's editable finder among
    # them, do not run), so `assistant` and `ingest` can come from nowhere but the wheel.
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", wheel)
    return venv


def test_the_installed_wheel_ingests_answers_and_serves_the_chat_outside_the_checkout(venv, tmp_path):
    home = tmp_path / "home"
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTOR_") and k != "PYTHONPATH"}
    env |= {"HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    data_dir = home / "data" / "mentor"
    mentor = venv / "bin" / "mentor"

    assert str(data_dir) in "".join(_run(mentor, "--help", cwd=cwd, env=env).split())  # click wraps it
    _run(mentor, "ingest", cwd=cwd, env=env)
    assert (data_dir / "chroma").is_dir() and not (cwd / ".mentor").exists()
    answer = json.loads(_run(mentor, "ask", "How can I get a free GPU?", "--json", cwd=cwd, env=env))
    cited = {f"[{c['n']}]" for c in answer["citations"] if "Colab" in c["title"]}
    assert answer["mode"] != "refusal" and any(n in answer["answer"] for n in cited), answer

    page = json.loads(_run(venv / "bin" / "python", "-c", _PAGE, cwd=cwd, env=env).splitlines()[-1])
    assert Path(page["assistant"]).is_relative_to(venv) and Path(page["page"]).is_relative_to(venv)
    assert (page["errors"], page["title"]) == ([], ["Mentor"])

    port = servers.free_port()
    ui = servers.start(
        [mentor, "ui", "--port", str(port)],
        f"http://127.0.0.1:{port}/_stcore/health",
        lambda response: response.text == "ok",
        tmp_path / "ui.log",
        cwd=cwd,
        env=env,
    )
    servers.stop(ui)
