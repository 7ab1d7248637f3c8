"""The ``mentor`` commands that measure the knowledge base: ``eval`` on question sets, ``gaps`` from feedback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from assistant.interfaces.command_options import AS_JSON, mentor_from, settings_from
from assistant.interfaces.terminal import printable

if TYPE_CHECKING:
    from assistant.mentor import Mentor


@click.command("eval")
@click.argument("questions", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--stores",
    default="full,guide,uncurated",
    show_default=True,
    help="Stores to score on: full (every source), uncurated (the same files as a user's own: no question keys, "
    "roles or boost) or a tag (the sources carrying it).",
)
@click.option("--retrieval-only", is_flag=True, help="Score search only; skip answers.")
@click.option("--misses", is_flag=True, help="Also list the questions each column missed.")
@AS_JSON
@click.pass_context
def eval_command(
    ctx: click.Context, questions: tuple[Path, ...], stores: str, retrieval_only: bool, misses: bool, as_json: bool
) -> None:
    """Score retrieval and answers on JSONL question sets, side by side on several stores.

    QUESTIONS default to the dev and test sets of the checkout's tests/eval/sets.toml.
    """
    from assistant.quality.evaluation import compare, comparison_table, default_splits, read_cases

    files = questions or default_splits()
    splits = {path.stem: read_cases(path) for path in files}
    reports = compare(
        mentor_from(ctx), splits, tuple(s.strip() for s in stores.split(",") if s.strip()), answers=not retrieval_only
    )
    if as_json:
        click.echo(json.dumps({name: r.to_dict() for name, r in reports.items()}, indent=2))
        return
    click.echo(comparison_table(reports))
    for name, report in reports.items() if misses else ():
        click.echo(f"\n## {name}\n\n" + report.table().split("\n\n", 1)[-1])


@click.command()
@click.pass_context
def gaps(ctx: click.Context) -> None:
    """Report what the knowledge base could not answer and what users rated unhelpful."""
    from assistant.quality.feedback import FeedbackStore, gaps_report

    settings = settings_from(ctx)
    click.echo(printable(gaps_report(FeedbackStore.in_dir(settings.data_dir).path)))


def eval_after_ingest(mentor: Mentor, eval_file: Path) -> None:
    """Score retrieval, compare with the previous run kept in the data dir, warn on regressions."""
    from assistant.quality.evaluation import score_after_ingest

    metrics, fell = score_after_ingest(mentor, eval_file)
    click.echo("Eval: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
    for line in fell:
        click.echo(f"mentor: warning: {line} since the last ingest", err=True)
