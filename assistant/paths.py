"""Where the bundled knowledge base, the chat page and the default data dir are: checkout or wheel."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir

_PACKAGE = Path(__file__).resolve().parent
IN_CHECKOUT = (_PACKAGE.parent / "pyproject.toml").is_file()  # `make`, an editable install, pytest
_BUNDLE = _PACKAGE.parent if IN_CHECKOUT else _PACKAGE  # a wheel ships both folders in `assistant`

BUNDLED_KNOWLEDGE = _BUNDLE / "knowledge"
CHAT_PAGE = _BUNDLE / "ui" / "app.py"
DEFAULT_DATA_DIR = Path(".mentor") if IN_CHECKOUT else Path(user_data_dir("mentor"))
