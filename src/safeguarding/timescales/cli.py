"""``safeguarding timescales``: the rules in force, a due date anyone can check, and the nightly recompute."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import get_database
from safeguarding.core.local_settings import DEFINITIONS, get_all
from safeguarding.timescales.rules import RULE_IDS, UnknownRule, explain, rules_in_force
from safeguarding.timescales.store import refresh

timescales_app = typer.Typer(help="Statutory and local timescales: rules, due dates, deadlines.", no_args_is_help=True)


def _settings() -> Mapping[str, Any]:
    """The council's local settings, or the defaults when the database cannot be read."""
    try:
        with get_database().transaction() as session:
            return get_all(session)
    except SQLAlchemyError:  # an unmigrated or unreachable database: the arithmetic is still useful
        typer.echo("(local settings could not be read; using their defaults)", err=True)
        return {key: d.default for key, d in DEFINITIONS.items()}


def _parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date in ISO format (YYYY-MM-DD)", param_hint=name) from None


@timescales_app.command("list")
def list_rules(
    on: Annotated[str | None, typer.Option(help="Rules in force on this date (ISO); default today")] = None,
) -> None:
    """Every rule in force: id, name, length and unit, what starts and stops it, statutory or local, source."""
    day = _parse_day(on, "--on") if on else today_in_london()
    settings = _settings()
    for rule in rules_in_force(day):
        length = rule.length_with(settings)
        every = "every " if rule.recurring else ""
        setting = f" [setting {rule.setting}]" if rule.setting else ""
        typer.echo(
            f"{rule.id}\t{rule.name}\t{every}{rule.unit.describe(length)}\tstarts: {rule.trigger}\t"
            f"stops: {rule.stop}\t{rule.status.value}{setting}\t{rule.source}"
        )


@timescales_app.command("due")
def due(rule: str, start: str) -> None:
    """The due date (ISO) of a RULE clock started on START (ISO date), and the bank holidays it skipped."""
    day = _parse_day(start, "START")
    try:
        explanation = explain(rule, day, settings=_settings())
    except UnknownRule:
        raise typer.BadParameter(
            f"there is no timescale called {rule!r}; known: {', '.join(RULE_IDS)}", param_hint="RULE"
        ) from None
    typer.echo(explanation.due.isoformat())
    typer.echo(
        f"{explanation.rule.name} ({explanation.rule.id}, {explanation.rule.status.label}): {explanation.counting}"
    )
    if explanation.bank_holidays_skipped:
        typer.echo("Bank holidays skipped:")
        for holiday, name in explanation.bank_holidays_skipped:
            typer.echo(f"  {holiday.isoformat()} {name}")
    else:
        typer.echo("Bank holidays skipped: none")
    typer.echo(f"Source: {explanation.rule.source}")


@timescales_app.command("recompute")
def recompute(
    full: bool = typer.Option(False, "--full", help="Derive every open child again from every event"),
    workers: int = typer.Option(
        0, "--workers", help="Processes for a full run (default: the machine's cores, at most 4)"
    ),
    every_row: bool = typer.Option(
        False,
        "--every-row",
        help="In a full run, read back and compare every stored deadline, not only "
        "those of children whose derived deadlines differ from their digest (after "
        "the deadline table was changed by hand)",
    ),
) -> None:
    """The nightly job: bring every open child's deadlines to today (states move with the date; forecasts come due).

    It derives again only what the date can change, unless the rules, their code or the local settings changed
    since the last run (or --full): then every open child is derived again from every event."""
    done = refresh(get_database(), full=full, workers=workers or None, every_row=every_row)
    compared = f" ({done.compared:,} compared with what was stored)" if done.kind == "full" else ""
    typer.echo(
        f"{done.kind} run for {done.for_day.isoformat()} in {done.seconds:.2f} s: {done.children:,} children "
        f"derived again{compared}, {done.inserted:,} deadlines written, {done.deleted:,} removed, "
        f"{done.updated:,} moved with the date" + (f" ({done.reason})" if done.reason else "")
    )
