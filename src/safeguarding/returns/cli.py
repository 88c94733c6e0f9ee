"""``safeguarding returns ...``: statutory returns from the command line.

``returns cin-census validate FILE.xml [--year 2026] [--format table|json|csv]`` checks any CIN census file against
every DfE rule of the year. Exit status: 0 when there are no errors (queries alone still exit 0: a query is for the
council to check or explain, not a failure); 1 when there is at least one error; 2 when the file cannot be read as
a CIN census at all (not XML, cut short, a DOCTYPE or entities, not a ``<Message>``, far larger than a census could
be), with the reason and its line; ``--format json`` then prints ``{"refused": true, "file", "line", "message"}``.
Findings are written out only once the whole file has been read, so a file refused halfway leaves no half-written
JSON or CSV behind. CSV cells that a spreadsheet would run as a formula are written as text, as in the web exports.

``returns cin-census export --year 2026 --out FILE.xml`` writes the census from the live record.

``returns cin-census check-live [--year 2026]`` validates the live record and stores the run for the analysts' page
(nightly, from cron: see the README).
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import get_database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.spreadsheet import spreadsheet_text
from safeguarding.returns.cin_census.census import CensusYear
from safeguarding.returns.cin_census.reader import CensusFileRefused
from safeguarding.returns.cin_census.validator import FileCheck
from safeguarding.returns.ssda903.cli import ssda903_app

returns_app = typer.Typer(help="Statutory returns (CIN census, SSDA903).", no_args_is_help=True)
cin_app = typer.Typer(help="The Children in Need census.", no_args_is_help=True)
returns_app.add_typer(cin_app, name="cin-census")
returns_app.add_typer(ssda903_app, name="ssda903")
console = Console()
err = Console(stderr=True, soft_wrap=True)

# LAZY: the use-cases that read the live record are imported inside their commands. They load every capability's
# tables, which would add seconds to the start of every ``safeguarding`` command (``--help``, ``users``...).
FORMATS = ("table", "json", "csv")
COLUMNS = ("code", "severity", "la_child_id", "element", "message", "line", "rule_text")


@cin_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="The CIN census XML file")],
    year: Annotated[
        int | None,
        typer.Option(help="Collection year, named by its end (2026 = 2025-26); default: the file's own Year"),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes checking children beside the reader (default: one "
            "per core for a file over 20 MB, else none; 1: none)"
        ),
    ] = None,
) -> None:
    """Validate a CIN census file against every DfE rule of the year (errors and queries)."""
    if format not in FORMATS:
        err.print(f"--format must be one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    try:
        census_year = CensusYear(year) if year is not None else None
    except ValueError as exc:
        err.print(f"--year: {exc}")
        raise typer.Exit(2) from None
    counts: Counter[str] = Counter()
    # Held aside (on disk past a few megabytes) until the whole file has been read.
    with tempfile.SpooledTemporaryFile(max_size=8_000_000, mode="w+", encoding="utf-8", newline="") as out:
        try:
            check = FileCheck(file, census_year, workers=workers)
            findings = check.findings()
            if format == "csv":
                writer = csv.writer(out)
                writer.writerow(COLUMNS)
                for f in findings:
                    counts[str(f.severity)] += 1
                    writer.writerow(
                        [
                            spreadsheet_text(cell)
                            for cell in (f.code, f.severity, f.la_child_id, f.element, f.message, f.line, f.rule_text)
                        ]
                    )
            elif format == "json":
                out.write("[")
                for n, f in enumerate(findings):
                    counts[str(f.severity)] += 1
                    out.write(
                        ("," if n else "")
                        + "\n"
                        + json.dumps({k: v for k, v in f.as_row().items() if k in COLUMNS}, ensure_ascii=False)
                    )
                out.write("\n]\n")
            else:
                table = Table("Code", "Type", "LAchildID", "Element", "Message", "Line")
                for f in findings:
                    counts[str(f.severity)] += 1
                    # Values come from the file: shown as text, never as console markup.
                    table.add_row(
                        *(
                            escape(str(cell))
                            for cell in (f.code, f.severity, f.la_child_id, f.element, f.message, f.line or "")
                        )
                    )
                if table.row_count:
                    # Piped or captured output keeps whole rows rather than wrapping to 80 columns.
                    Console(width=None if sys.stdout.isatty() else 240).print(table)
        except CensusFileRefused as exc:
            if format == "json":
                sys.stdout.write(
                    json.dumps(
                        {"refused": True, "file": str(file), "line": exc.line, "message": exc.message},
                        ensure_ascii=False,
                    )
                    + "\n"
                )
            err.print(f"Refused: {file}: {exc}", markup=False)
            raise typer.Exit(2) from None
        out.seek(0)
        shutil.copyfileobj(out, sys.stdout)
    summary = (
        f"{file}: {check.children} children checked against ruleset "
        f"{check.year.ruleset if check.year else '?'}: {counts['error']} errors, {counts['query']} queries"
    )
    err.print(summary, markup=False)
    if counts["error"]:
        raise typer.Exit(1)


@cin_app.command("export")
def export(
    year: Annotated[int, typer.Option(help="Collection year, named by its end (2026 = 1 April 2025 to 31 March 2026)")],
    out: Annotated[Path, typer.Option(help="Where to write the XML")],
    lea: Annotated[
        str | None, typer.Option(help="The council's three-digit DfE LA code (default: the local setting, else 999)")
    ] = None,
) -> None:
    """Write the CIN census XML for the collection year from the live record (every child in scope)."""
    from safeguarding.returns.cin_census.service import export_census  # see LAZY

    try:
        census_year = CensusYear(year)
    except ValueError as exc:
        err.print(f"--year: {exc}")
        raise typer.Exit(2) from None
    database = get_database()
    with database.transaction() as session:
        written = export_census(session, census_year, out, lea=lea)
    if written == 0:
        err.print(
            f"No children in scope for the CIN census {census_year.year - 1}-{census_year.year % 100:02d} "
            f"(1 April {census_year.year - 1} to 31 March {census_year.year}): nothing written."
        )
        raise typer.Exit(1)
    console.print(f"Wrote {written} children to {out} (CIN census {census_year.ruleset}).")


@cin_app.command("check-live")
def check_live(
    year: Annotated[
        int | None,
        typer.Option(
            help="Collection year, named by its end (2026 = 1 April 2025 to 31 "
            "March 2026); default: the year today falls in"
        ),
    ] = None,
) -> None:
    """Validate the live record against every CIN census rule of the year and store the run (one transaction;
    earlier runs are kept). Analysts read the latest run at /returns/cin-census.

    It runs nightly from cron (the README's line), for example:
    30 1 * * * cd /srv/safeguarding && .venv/bin/safeguarding returns cin-census check-live
    """
    from safeguarding.returns.cin_census.service import current_year, run_live_check  # see LAZY

    try:
        census_year = CensusYear(year) if year is not None else current_year(today_in_london())
    except ValueError as exc:
        err.print(f"--year: {exc}")
        raise typer.Exit(2) from None
    with get_database().transaction() as session:
        run = run_live_check(session, census_year)
        summary = (
            f"CIN census {census_year.ruleset}, run {run.id}: {run.children} children checked: "
            f"{run.errors} errors, {run.queries} queries"
        )
    console.print(summary, markup=False)


@returns_app.command("annex-a")
def annex_a(
    from_: Annotated[str, typer.Option("--from", help="First day of the period (YYYY-MM-DD)")],
    to: Annotated[str, typer.Option("--to", help="Last day of the period (YYYY-MM-DD), included")],
    out: Annotated[Path, typer.Option(help="Where to write the workbook (.xlsx)")],
) -> None:
    """Write the Ofsted Annex A lists the system holds for the period, one sheet per list (returns/annex_a)."""
    from safeguarding.returns.annex_a.export import export_annex_a, parse_period  # see LAZY

    try:
        period = parse_period(from_, to)
    except ValidationFailed as exc:
        for name, message in exc.errors.items():
            err.print(f"--{name}: {message}", markup=False)
        raise typer.Exit(2) from None
    with get_database().transaction() as session:
        annex = export_annex_a(session, period, out)
    if not annex.child_rows:
        err.print(
            "No contacts, referrals, assessments, enquiries, plans, missing episodes, screenings, children in care "
            f"or care leavers from {period.start} to {period.end}: nothing written.",
            markup=False,
        )
        raise typer.Exit(1)
    console.print(
        f"Wrote Annex A ({period.start} to {period.end}) to {out}: "
        + ", ".join(f"{sheet.spec.sheet} {len(sheet.rows)}" for sheet in annex.sheets),
        markup=False,
    )
