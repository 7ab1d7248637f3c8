"""The README's integration examples run as written, against a real ingested store."""

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)


def _block(marker: str) -> str:
    (code,) = [block for block in BLOCKS if marker in block]
    return code


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("RunnableLambda", "Colab"),
        ("ToolNode", "Google Colab"),
    ],
)
def test_integration_example_runs(marker, expected, kb_settings, monkeypatch, capsys):
    monkeypatch.setenv("MENTOR_DATA_DIR", str(kb_settings.data_dir))
    exec(compile(_block(marker), "README.md", "exec"), {})  # noqa: S102 - our own README
    assert expected in capsys.readouterr().out
