"""The one exception hierarchy: every message names the file, field or setting and says what to do."""


class MentorError(Exception):
    """Base of every error Mentor raises on purpose; the CLI prints it as one line."""


class SourceError(MentorError):
    """A source (file or URL) could not be loaded; the rest of an ingest may go on."""


class FetchError(SourceError):
    """A web source was refused or could not be fetched."""


class StoreError(MentorError):
    """The vector store cannot be used as asked (model mismatch, corrupt index, busy writer)."""


class SettingsError(MentorError):
    """A setting has a value Mentor cannot use."""


def one_of(setting: str, value: str, choices: tuple[str, ...]) -> str:
    """``value`` when it is one of ``choices``.

    Raises:
        SettingsError: it is not; the message names the setting and the choices.
    """
    if value not in choices:
        raise SettingsError(f"{setting}: {value!r} is not one of {', '.join(choices)}")
    return value
