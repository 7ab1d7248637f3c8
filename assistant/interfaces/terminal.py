"""What ``mentor`` prints in a terminal: answers with their sources, passages, the ingest progress bar."""

from __future__ import annotations

import re
import sys

import click

_BOLD = re.compile(r"\*\*(.+?)\*\*")
# Control characters but tab and newline: an escape sequence in a document or a reader's comment
# would otherwise drive the terminal (move the cursor, retitle the window, hide text).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """``text`` without control characters (tab and newline kept), safe to print to a terminal."""
    return _CONTROL.sub("", str(text))


def print_answer(answer) -> None:
    """The answer's text, then its numbered sources."""
    click.echo(styled(answer.text))
    print_sources(answer)


def styled(text: str) -> str:
    """Markdown's **bold** as terminal bold (plain text when output is not a terminal); control
    characters dropped."""
    return _BOLD.sub(lambda match: click.style(match.group(1), bold=True), printable(text))


def print_sources(answer) -> None:
    """The numbered sources of ``answer``, how it was answered when not as asked (a chat model
    that could not load), and a note when it is a refusal."""
    if answer.citations:
        click.echo("\n" + click.style("Sources", bold=True))
    for c in answer.citations:
        where = c.url or c.anchor
        fetched = f", fetched {c.fetched_at[:10]}" if c.fetched_at else ""
        click.echo(printable(f"  [{c.n}] {c.title} › {c.section}  ({where}, relevance {c.score:.2f}{fetched})"))
    for note in answer.notes:
        click.echo(click.style(printable(f"({note})"), dim=True))
    if answer.mode == "refusal":
        click.echo(click.style("(not grounded: nothing in the knowledge base answers this)", dim=True))


def indent(text: str) -> str:
    """``text`` indented by four spaces."""
    return "\n".join("    " + line for line in printable(text).splitlines())


class ProgressBar:
    """A tqdm bar fed by ingest's (done, total, label) callback; silent when ``quiet``."""

    def __init__(self, quiet: bool) -> None:
        self._quiet = quiet
        self._bar = None

    def __enter__(self):
        return None if self._quiet else self

    def __call__(self, done: int, total: int, label: str) -> None:
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(
                total=total,
                desc=label,
                unit=" chunks",
                file=sys.stderr,
                bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| {rate_fmt}, ETA {remaining}",
            )
        self._bar.update(done - self._bar.n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
