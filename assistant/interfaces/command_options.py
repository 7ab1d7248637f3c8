"""What the ``mentor`` commands share: the --json and --k options, and the Mentor built from the flags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from assistant.mentor import Mentor
    from assistant.settings import Settings

AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
K = click.option("--k", "k", type=int, default=None, help="Number of passages (default: top_k).")


def settings_from(ctx: click.Context, **flags: Any) -> Settings:
    """The settings from the global and the command's flags (imported here: `mentor --help` stays fast)."""
    from assistant.settings import Settings

    return Settings.load({**ctx.obj["flags"], **flags}, config=ctx.obj["config"])


def mentor_from(ctx: click.Context, **flags: Any) -> Mentor:
    """Build the Mentor once per command, from the global and the command's flags."""
    from assistant.mentor import Mentor

    return Mentor(settings_from(ctx, **flags))
