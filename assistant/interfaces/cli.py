"""The ``mentor`` command: a thin shell over :class:`assistant.Mentor` (``eval`` and ``gaps``: quality_commands)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from assistant.interfaces.command_options import AS_JSON, K, mentor_from
from assistant.interfaces.quality_commands import eval_after_ingest, eval_command, gaps
from assistant.interfaces.terminal import ProgressBar, indent, print_answer, print_sources, printable, styled
from assistant.paths import DEFAULT_DATA_DIR, IN_CHECKOUT
from assistant.settings import ANSWER_MODES
from ingest.errors import MentorError
from ingest.sync import plural

_DATA_DIR = "./.mentor in this checkout" if IN_CHECKOUT else f"{DEFAULT_DATA_DIR}, your data folder"


class _Group(click.Group):
    """Turn every MentorError, and text that is not UTF-8, into one line on stderr and exit status 1."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for n, arg in enumerate(args, 1):
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:  # bytes that are not UTF-8 arrive as lone surrogates
                click.echo(f"mentor: error: argument {n} is not valid UTF-8 text; retype it", err=True)
                ctx.exit(1)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MentorError as exc:
            click.echo(f"mentor: error: {printable(exc)}", err=True)
            ctx.exit(1)


@click.group(cls=_Group)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help=f"Where the store lives (env MENTOR_DATA_DIR, default {_DATA_DIR}).",
)
@click.option("--model", default=None, help="Sentence-transformers model (env MENTOR_MODEL).")
@click.option("--chroma-url", default=None, help="Use a Chroma server (env MENTOR_CHROMA_URL).")
@click.option(
    "--answer-mode",
    type=click.Choice(ANSWER_MODES),
    default=None,
    help="How answers are written (env MENTOR_ANSWER_MODE).",
)
@click.option("--llm", default=None, help="Chat model, e.g. ollama:llama3.2 (env MENTOR_LLM).")
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    default=None,
    help="Settings file (env MENTOR_CONFIG, default ./mentor.toml).",
)
@click.version_option(package_name="mentor", prog_name="mentor")
@click.pass_context
def main(
    ctx: click.Context,
    data_dir: Path | None,
    model: str | None,
    chroma_url: str | None,
    answer_mode: str | None,
    llm: str | None,
    config: Path | None,
) -> None:
    """Mentor answers deep-learning career questions from a knowledge base, citing its sources."""
    flags = {"data_dir": data_dir, "model": model, "chroma_url": chroma_url, "answer_mode": answer_mode, "llm": llm}
    ctx.obj = {"flags": flags, "config": config}


@main.command("ingest")
@click.argument("sources", nargs=-1)
@click.option("--full", is_flag=True, help="Drop the store and embed everything again.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--watch", is_flag=True, help="Keep running; re-ingest when knowledge files change.")
@click.option(
    "--questions",
    is_flag=True,
    default=None,
    help="Have the chat model (--llm) write question keys for passages without curated ones.",
)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    help="Sync only the manifest's sources with this tag (--tag guide: a store of the guide alone).",
)
@click.option(
    "--eval",
    "eval_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Then score retrieval on this question set; warn on any metric that fell.",
)
@AS_JSON
@click.pass_context
def ingest_command(
    ctx: click.Context,
    sources: tuple[str, ...],
    full: bool,
    dry_run: bool,
    watch: bool,
    questions: bool | None,
    tags: tuple[str, ...],
    eval_file: Path | None,
    as_json: bool,
) -> None:
    """Sync the store with the manifest and the sources added before (default), or add the
    given files, folders and URLs: they are remembered, so every later sync keeps them, and a
    folder is synced (files deleted from it leave the store). `mentor remove` takes one out."""
    if tags and (sources or watch):
        raise MentorError("--tag: syncs the manifest's sources with that tag; give no SOURCES or --watch with it")
    mentor = mentor_from(ctx, generate_questions=questions)
    if watch:
        _watch(mentor)
        return
    with ProgressBar(quiet=as_json) as progress:
        report = mentor.ingest(list(sources) or None, full=full, dry_run=dry_run, progress=progress, tags=tags)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for change in report.sources:
            if change.status != "unchanged":
                detail = change.reason or f"+{change.added} -{change.removed} chunks"
                click.echo(printable(f"  {change.status:<9} {change.source}  ({detail})"))
        click.echo(("Plan: " if dry_run else "Done: ") + report.summary())
        for note in report.notes:
            click.echo(printable(f"mentor: warning: {note}"), err=True)
    if eval_file and not dry_run:
        eval_after_ingest(mentor, eval_file)
    if report.failures:
        for change in report.failures:
            click.echo(printable(f"mentor: error: {change.reason}"), err=True)
        ctx.exit(1)


@main.command()
@click.argument("source")
@AS_JSON
@click.pass_context
def remove(ctx: click.Context, source: str, as_json: bool) -> None:
    """Take SOURCE (a file, folder or URL added with `mentor ingest`) out of the store."""
    report = mentor_from(ctx).remove(source)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    for change in report.sources:
        click.echo(printable(f"  {change.status:<9} {change.source}  (-{plural(change.removed, 'chunk')})"))
    click.echo(f"Removed {source}: {plural(report.deleted, 'chunk')} deleted; {report.total_chunks} in the store")


@main.command()
@AS_JSON
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List the sources in the store: kind, chunks, last ingest, fetch date and last error."""
    rows = mentor_from(ctx).sources()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        when = row["last_ingest"][:16] or "-"
        fetched = f", fetched {row['fetched_at'][:10]}" if row["fetched_at"] else ""
        error = f"\n      last error: {row['last_error']}" if row["last_error"] else ""
        chunks = plural(row["chunks"], "chunk")
        click.echo(printable(f"{row['source']}  [{row['kind']}]  {chunks}, ingested {when}{fetched}{error}"))
    click.echo(plural(len(rows), "source"))


@main.command()
@click.argument("query")
@K
@AS_JSON
@click.pass_context
def search(ctx: click.Context, query: str, k: int | None, as_json: bool) -> None:
    """Show the passages that best match QUERY."""
    passages = mentor_from(ctx).search(query, k)
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in passages], indent=2))
        return
    for n, p in enumerate(passages, 1):
        click.echo(
            click.style(printable(f"[{n}] {p.title} › {p.section}"), bold=True)
            + printable(f"  ({p.metadata.get('anchor', '')}, relevance {p.score:.2f})")
        )
        click.echo(indent(p.text) + "\n")


@main.command()
@click.argument("question")
@K
@AS_JSON
@click.pass_context
def ask(ctx: click.Context, question: str, k: int | None, as_json: bool) -> None:
    """Answer QUESTION from the knowledge base, with numbered citations."""
    answer = mentor_from(ctx).ask(question, k=k)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), indent=2))
    else:
        print_answer(answer)


@main.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """Chat in the terminal; follow-up questions use the conversation so far."""
    from assistant.answering.answers import Answer

    mentor = mentor_from(ctx)
    history: list[dict[str, str]] = []
    click.echo("Mentor chat. Ask about deep-learning careers, tools and problems; an empty line or Ctrl-D quits.")
    while True:
        try:
            question = click.prompt(click.style("you", fg="cyan"), default="", show_default=False).strip()
        except (EOFError, click.Abort):
            break
        if not question:
            break
        try:
            for piece in mentor.stream(question, history):
                if isinstance(piece, Answer):
                    print_sources(piece)
                    history += [{"role": "user", "content": question}, {"role": "assistant", "content": piece.text}]
                else:
                    click.echo(styled(piece), nl=False)
            click.echo()
        except MentorError as exc:
            click.echo(f"mentor: error: {printable(exc)}", err=True)


@main.command()
@AS_JSON
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Show what the store holds: sources, chunks, model, data dir, last ingest."""
    info = mentor_from(ctx).stats()
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            click.echo(f"{key:<14} {value}")


@main.command()
@click.option("--http", "use_http", is_flag=True, help="Serve streamable HTTP instead of stdio.")
@click.option("--port", default=8765, show_default=True, help="HTTP port (on 127.0.0.1).")
@click.pass_context
def mcp(ctx: click.Context, use_http: bool, port: int) -> None:
    """Serve the knowledge base to MCP clients (tools search_knowledge and ask_mentor)."""
    from assistant.interfaces.mcp_server import serve

    serve(mentor_from(ctx), "streamable-http" if use_http else "stdio", port=port)


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to serve on; any other than loopback starts the chat read-only unless MENTOR_ADMIN_TOKEN is set.",
)
@click.option("--port", default=8501, show_default=True)
@click.pass_context
def ui(ctx: click.Context, host: str, port: int) -> None:
    """Open the chat in the browser (ingests the knowledge base first if needed)."""
    import os

    from assistant.interfaces import serving

    serving.check_port(host, port)  # before the ingest: a port in use would only show once the chat failed
    mentor = mentor_from(ctx)
    report = mentor.ingest()
    click.echo(printable(f"Knowledge base: {report.summary()}"))
    for change in report.failures:
        click.echo(printable(f"mentor: warning: {change.reason}"), err=True)
    settings = mentor.settings
    if not serving.is_loopback(host) and not settings.admin_token:
        settings = settings.replace(read_only=True)
        click.echo(
            "Serving beyond this machine: the chat is read-only (no upload or re-ingest); "
            "set MENTOR_ADMIN_TOKEN to unlock them for admins."
        )
    os.environ.update(serving.environment(settings, ctx.obj["flags"], ctx.obj["config"]))
    click.echo(f"Mentor chat on http://{host}:{port}  (Ctrl-C stops it)")
    os.execv(sys.executable, serving.streamlit_command(settings, host, port))


@main.command()
@click.pass_context
def prepare(ctx: click.Context) -> None:
    """Export the embedding model into your cache folder now (once per user; `make setup` runs
    this), so that the first ingest or chat does not wait for it."""
    mentor = mentor_from(ctx)
    embedder = mentor.embedder
    dimension = embedder.dimension  # loads the model: exports it first if it must
    click.echo(f"Model {embedder.model_name} ({dimension} dimensions) ready in {mentor.settings.model_cache_dir}")


@main.command()
@AS_JSON
@click.pass_context
def links(ctx: click.Context, as_json: bool) -> None:
    """Check every URL in the knowledge base and report the dead ones."""

    statuses = mentor_from(ctx).links()
    dead = [s for s in statuses if not s.ok]
    if as_json:
        click.echo(json.dumps([s.__dict__ for s in statuses], indent=2))
    else:
        for status in statuses:
            click.echo(printable(f"{'ok  ' if status.ok else 'DEAD'} {status.url}  {status.detail}"))
        click.echo(f"{len(statuses)} links, {len(dead)} dead")
    if dead:
        ctx.exit(1)


def _watch(mentor) -> None:
    """Ingest now, then again whenever the knowledge folder changes, until Ctrl-C."""
    from ingest.watching import changes

    folder = mentor.settings.knowledge_dir
    click.echo(f"Done: {mentor.ingest().summary()}")
    click.echo(f"Watching {folder} for changes (Ctrl-C stops)")
    try:
        for changed in changes(folder):
            names = ", ".join(sorted(p.name for p in changed)[:5])
            try:
                click.echo(printable(f"Changed: {names}. Done: {mentor.ingest().summary()}"))
            except MentorError as exc:
                click.echo(f"mentor: error: {printable(exc)}", err=True)
    except KeyboardInterrupt:
        click.echo("Stopped watching.")


main.add_command(eval_command)
main.add_command(gaps)
