"""Where the bundled knowledge base, the chat page, the default data dir and the user's model cache are."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

_PACKAGE = Path(__file__).resolve().parent
IN_CHECKOUT = (_PACKAGE.parent / "pyproject.toml").is_file()  # `make`, an editable install, pytest
_BUNDLE = _PACKAGE.parent if IN_CHECKOUT else _PACKAGE  # a wheel ships both folders in `assistant`

BUNDLED_KNOWLEDGE = _BUNDLE / "knowledge"
CHAT_PAGE = _BUNDLE / "ui" / "app.py"
DEFAULT_DATA_DIR = Path(".mentor") if IN_CHECKOUT else Path(user_data_dir("mentor"))


def user_model_cache() -> Path:
    """The user's model cache (``$XDG_CACHE_HOME/mentor/models`` on Linux): one export of the
    embedding model for every data dir. Looked up on each call, so a changed ``XDG_CACHE_HOME``
    counts."""
    return Path(user_cache_dir("mentor")) / "models"
