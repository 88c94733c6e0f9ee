"""``safeguarding people duplicates``: the duplicate check over the whole person index (nightly, from cron)."""

from __future__ import annotations

import typer

from safeguarding.core.db import get_database
from safeguarding.people.duplicates.queue import nightly_check

duplicates_app = typer.Typer(help="Possible duplicates in the person index.", no_args_is_help=True)


@duplicates_app.command("check")
def check() -> None:
    """Score the whole person index and bring the review queue up to date: new possible duplicates proposed, the
    queued ones rescored, those no longer found withdrawn; pairs already decided are never proposed again."""
    with get_database().transaction() as session:
        result = nightly_check(session)
    typer.echo(result.summary())
