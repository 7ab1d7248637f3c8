"""The one settings object: defaults < config file < environment < flags, built once at the edge."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant.paths import BUNDLED_KNOWLEDGE, DEFAULT_DATA_DIR, user_model_cache
from ingest.errors import SettingsError, one_of
from ingest.loading import MAX_TEXT_CHARS
from ingest.models import BACKENDS, PRECISIONS

DEFAULT_CONFIG = "mentor.toml"
ENV_PREFIX = "MENTOR_"
ANSWER_MODES = ("auto", "extractive", "llm")
MAX_K = 50  # passages one search may return


@dataclass(frozen=True)
class Settings:
    """Everything Mentor can be told. Build it with :meth:`load` at the edge, pass it down.

    Example:
        >>> Settings(top_k=3).top_k
        3
    """

    data_dir: Path = DEFAULT_DATA_DIR
    manifest: Path = BUNDLED_KNOWLEDGE / "sources.toml"
    chroma_url: str = ""
    collection: str = "mentor"
    model: str = "all-MiniLM-L6-v2"
    embed_batch_size: int = 8  # ONNX's fastest on 2 cores (benchmarks/results: embedding speed)
    embed_backend: str = "onnx"  # or "torch"; the same vectors
    passage_precision: str = "int8"  # or "float32": passages embedded by the model's int8 copy (onnx)
    model_cache: str = ""  # where the ONNX export is kept; empty: the user's cache (shared by every data dir)
    top_k: int = 5
    candidates: int = 30
    dense_weight: float = 0.25  # fused score = weights · (passage, question-key, BM25/best) scores
    question_weight: float = 1.0  # weights fitted on tests/eval/dev.jsonl
    lexical_weight: float = 0.1
    sentence_weight: float = 1.0  # a passage without question keys counts its best sentence as a key (fitted on dev)
    per_section: int = 2  # passages of one section ahead of other sections' (0: no limit)
    near_duplicate: float = 0.8  # word overlap above which a passage is dropped (1: keep all)
    min_confidence: float = 0.175  # answer when P(covered) is at least this (assistant/answering/policy.py)
    answer_mode: str = "auto"
    llm: str = ""
    llm_timeout: float = 60.0
    generate_questions: bool = False  # at ingest, the llm writes question keys for uncurated passages
    llm_budget: float = 30.0  # seconds a generated answer may run before it is cut off
    history_turns: int = 6
    read_only: bool = False  # the chat offers no upload or re-ingest (unless admin_token unlocks them)
    admin_token: str = field(default="", repr=False)  # unlocks the chat's knowledge controls
    max_file_mb: float = 20.0
    max_question_chars: int = 2000
    max_text_chars: int = MAX_TEXT_CHARS  # a document whose extracted text is longer is refused
    max_feedback_mb: float = 50.0  # the feedback store takes no new answers past this size
    questions_per_minute: int = 20  # per client address, in the chat
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)  # whose X-Forwarded-For the chat believes
    fetch_timeout: float = 15.0
    allowed_hosts: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("data_dir", "manifest"):  # accept plain strings from Python callers
            object.__setattr__(self, name, Path(getattr(self, name)))

    @property
    def model_cache_dir(self) -> Path:
        """Where the exported ONNX model lives: ``model_cache``, else the user's cache folder."""
        return Path(self.model_cache).expanduser() if self.model_cache else user_model_cache()

    @property
    def sentence_cache(self) -> Path:
        """The sqlite file of the collection's sentence vectors, in the data dir."""
        return self.data_dir / "sentences" / f"{self.collection}.sqlite3"

    @property
    def topics_cache(self) -> Path:
        """The sqlite file of the declared out-of-scope topics' vectors (an ingest never prunes it)."""
        return self.data_dir / "out-of-scope.sqlite3"

    @property
    def max_file_bytes(self) -> int:
        """``max_file_mb`` in bytes."""
        return int(self.max_file_mb * 1_000_000)

    @property
    def max_feedback_bytes(self) -> int:
        """``max_feedback_mb`` in bytes."""
        return int(self.max_feedback_mb * 1_000_000)

    @property
    def knowledge_dir(self) -> Path:
        """The folder the manifest's paths are relative to."""
        return self.manifest.parent

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied and checked."""
        return _checked(dataclasses.replace(self, **changes))

    @classmethod
    def load(
        cls,
        flags: Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        config: Path | None = None,
    ) -> Settings:
        """Layer defaults < config file < environment < ``flags`` (``None`` values are skipped).

        The config file is ``MENTOR_CONFIG`` or ``./mentor.toml`` when it exists.

        Raises:
            SettingsError: an unknown key or a value of the wrong type, named.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        path = config or Path(environ.get(f"{ENV_PREFIX}CONFIG", DEFAULT_CONFIG))
        if path.is_file():
            try:
                values.update(
                    {k: (v, f"{path}: {k}") for k, v in tomllib.loads(path.read_text(encoding="utf-8")).items()}
                )
            except tomllib.TOMLDecodeError as exc:
                raise SettingsError(f"{path}: not valid TOML ({exc})") from None
        names = {f.name for f in fields(cls)}
        for name in names:
            env = f"{ENV_PREFIX}{name.upper()}"
            if env in environ:
                values[name] = (environ[env], env)
        values.update({k: (v, f"--{k.replace('_', '-')}") for k, v in (flags or {}).items() if v is not None})
        unknown = sorted(set(values) - names)
        if unknown:
            raise SettingsError(
                f"{values[unknown[0]][1]}: unknown setting; known settings are {', '.join(sorted(names))}"
            )
        return _checked(cls(**{k: _coerce(cls, k, v, where) for k, (v, where) in values.items()}))


_BOOLS = {word: True for word in ("1", "true", "yes", "on")} | {word: False for word in ("0", "false", "no", "off", "")}


def _coerce(cls: type[Settings], name: str, value: Any, where: str) -> Any:
    kind = type(getattr(cls(), name))
    try:
        if kind is Path:
            return Path(value).expanduser()
        if kind is tuple:
            items = value.split(",") if isinstance(value, str) else value
            return tuple(str(item).strip() for item in items if str(item).strip())
        if kind is bool:
            return _BOOLS[str(value).strip().lower()]
        return kind(value)
    except (TypeError, ValueError, KeyError):
        raise SettingsError(f"{where}: {value!r} is not a valid {kind.__name__} for {name}") from None


def _checked(settings: Settings) -> Settings:
    one_of("answer_mode", settings.answer_mode, ANSWER_MODES)
    one_of("embed_backend", settings.embed_backend, BACKENDS)
    one_of("passage_precision", settings.passage_precision, PRECISIONS)
    for name in (
        "top_k",
        "candidates",
        "embed_batch_size",
        "max_question_chars",
        "max_text_chars",
        "questions_per_minute",
    ):
        if getattr(settings, name) < 1:
            raise SettingsError(f"{name}: must be at least 1, got {getattr(settings, name)}")
    if settings.top_k > MAX_K:
        raise SettingsError(f"top_k: must be at most {MAX_K}, got {settings.top_k}")
    if settings.per_section < 0:
        raise SettingsError(f"per_section: must be 0 (no limit) or more, got {settings.per_section}")
    for name in ("min_confidence", "near_duplicate"):
        if not 0.0 <= getattr(settings, name) <= 1.0:
            raise SettingsError(f"{name}: must be between 0 and 1, got {getattr(settings, name)}")
    return settings
