"""``safeguarding returns ssda903 validate PATH [--previous PATH] [--reference DIR] [--year 2026] [--format ...]``.

PATH is a folder of the DfE's CSV tables or an XML file; ``--previous`` last year's return, read the same way, for
the rules that compare years; ``--reference`` the council's reference data (Ofsted's provider list, postcode
sectors: ``.reference``) for the rules that need it. Exit status: 0 with no errors (queries alone still 0), 1 with
at least one error, 2 when a return cannot be read (the reason, with its file, line and column; ``--format json``
then prints ``{"refused": true, ...}``). Findings are printed only once both returns have been read and checked, so a
refused file leaves no half-written output; CSV cells a spreadsheet would run as a formula are written as text.

``safeguarding returns ssda903 export --year 2026 --out DIR`` writes the return from the live record as the DfE's
CSV tables (``--format xml --out FILE.xml``: the XML form), in one read transaction, audited as an export.

``safeguarding returns ssda903 check-live [--year 2026]`` validates the live record and stores the run for the
returns page (/returns/ssda903), nightly from cron.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import get_database
from safeguarding.core.spreadsheet import spreadsheet_text
from safeguarding.returns.ssda903.reader import ReturnRefused
from safeguarding.returns.ssda903.reference import Reference, load_reference
from safeguarding.returns.ssda903.tables import CollectionYear
from safeguarding.returns.ssda903.validator import Report, validate_path

ssda903_app = typer.Typer(help="The SSDA903 return (children looked after).", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)
FORMATS = ("table", "json", "csv")
COLUMNS = ("code", "severity", "child", "table", "fields", "message", "line")


def latest_ended_year() -> int:
    """The collection year most recently ended (London's today): the one a council is returning or checking."""
    today = today_in_london()
    return today.year if today.month >= 4 else today.year - 1


@ssda903_app.command("validate")
def validate(
    path: Annotated[Path, typer.Argument(help="The folder of CSV tables, or the XML file")],
    previous: Annotated[
        Path | None, typer.Option(help="Last year's return (folder or XML), for the rules that compare years")
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            help="Collection year, named by its end (2026 = 1 April 2025 to 31 March 2026); "
            "default: the year most recently ended"
        ),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
    workers: Annotated[
        int | None,
        typer.Option(help="Processes sharing the children (default: one per core for a return over 20 MB; 1: none)"),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            help="A folder of reference data for the rules that need it. providers.csv (columns URN, POSTCODE, "
            "PLACE_CODES, PROVIDER_CODES: the council's copy of Ofsted's register; rules 219, 221, 224) and/or "
            "postcodes.csv (columns SECTOR, LA, LATITUDE, LONGITUDE: each postcode sector's ONS local authority "
            "code and centroid; rules 164, 169, 218, 392a, 406, 452, 453, 454, 503G, 503H). Without it those "
            "rules are not run"
        ),
    ] = None,
    la: Annotated[
        str | None,
        typer.Option(
            "--la",
            help="The council's own ONS code (like E09000027), with --reference's postcodes.csv: the rules placing "
            "a child in or out of the council's area (503J, 1015, 229)",
        ),
    ] = None,
) -> None:
    """Validate an SSDA903 return against every DfE rule of the year (errors and queries)."""
    if format not in FORMATS:
        err.print(f"--format must be one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    try:
        collection = CollectionYear(year if year is not None else latest_ended_year())
    except ValueError as exc:
        err.print(f"--year: {exc}")
        raise typer.Exit(2) from None
    try:
        given = _reference(reference, la)
        report = validate_path(path, collection, previous, workers, given)
    except ReturnRefused as exc:
        if format == "json":
            sys.stdout.write(
                json.dumps(
                    {
                        "refused": True,
                        "path": str(path),
                        "file": exc.file,
                        "line": exc.line,
                        "column": exc.column,
                        "message": exc.message,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
        err.print(f"Refused: {exc}", markup=False)
        raise typer.Exit(2) from None
    _print(report, format, str(path), collection)


def _reference(folder: Path | None, la: str | None) -> Reference | None:
    """The reference data and the council's own code as given; ``--la`` alone is refused (it needs the postcodes)."""
    if folder is None:
        if la is not None:
            raise ReturnRefused("--la needs --reference with postcodes.csv, to find each placement's LA", "--la")
        return None
    return load_reference(folder, la)


def _print(report: Report, format: str, source: str, collection: CollectionYear) -> None:
    """The findings on stdout in the chosen format, the summary on stderr; exit 1 where there is an error."""
    counts = Counter(str(f.severity) for f in report.findings)
    if format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(COLUMNS)
        for f in report.findings:
            writer.writerow([spreadsheet_text(f.as_row()[c]) for c in COLUMNS])
    elif format == "json":
        json.dump(
            [{c: f.as_row()[c] for c in COLUMNS} for f in report.findings], sys.stdout, ensure_ascii=False, indent=0
        )
        sys.stdout.write("\n")
    elif report.findings:
        table = Table("Code", "Type", "CHILD", "Table", "Fields", "Message", "Line")
        for f in report.findings:
            table.add_row(*(escape(str(f.as_row()[c])) for c in COLUMNS))  # values from the file: text, never markup
        Console(width=None if sys.stdout.isatty() else 240).print(table)
    skipped = (
        f"; {report.rules_skipped_without_previous} rules comparing with last year not run (no last year's return)"
        if report.rules_skipped_without_previous
        else ""
    )
    if report.rules_skipped_without_reference:
        skipped += f"; {report.rules_skipped_without_reference} rules needing reference data not run (--reference)"
    err.print(
        f"{source}: {report.children} children checked against {report.rules_run} rules of {collection.ruleset}: "
        f"{counts['error']} errors, {counts['query']} queries{skipped}",
        markup=False,
    )
    if counts["error"]:
        raise typer.Exit(1)


@ssda903_app.command("export")
def export(
    year: Annotated[int, typer.Option(help="Collection year, named by its end (2026 = 1 April 2025 to 31 March 2026)")],
    out: Annotated[Path, typer.Option(help="The folder for the CSV tables (created), or the XML file")],
    format: Annotated[str, typer.Option("--format", help="csv (a folder of tables) or xml (one file)")] = "csv",
) -> None:
    """Write the SSDA903 return for the collection year from the live record (every child looked after in it)."""
    from safeguarding.returns.ssda903.export import FORMATS, export_return  # reads every capability's tables

    if format not in FORMATS:
        err.print(f"--format must be one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    try:
        collection = CollectionYear(year)
    except ValueError as exc:
        err.print(f"--year: {exc}")
        raise typer.Exit(2) from None
    if format == "csv" and out.exists() and not out.is_dir():
        err.print(f"--out: {out} is a file; the CSV tables are written to a folder", markup=False)
        raise typer.Exit(2)
    if format == "xml" and out.is_dir():
        err.print(f"--out: {out} is a folder; the XML form is written to a file", markup=False)
        raise typer.Exit(2)
    with get_database().transaction() as session:
        built = export_return(session, collection, out, format=format)
    if not built.children:
        err.print(
            f"No child was looked after in {collection.name} (1 April {collection.year - 1} to 31 March "
            f"{collection.year}): only the tables' header rows were written to {out}.",
            markup=False,
        )
        raise typer.Exit(1)
    Console(soft_wrap=True).print(
        f"Wrote {len(built.children)} children to {out} (SSDA903 {collection.ruleset}, {format}).", markup=False
    )


@ssda903_app.command("check-live")
def check_live(
    year: Annotated[
        int | None,
        typer.Option(
            help="Collection year, named by its end (2026 = 1 April 2025 to 31 March 2026); default: the year "
            "today falls in"
        ),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
    reference: Annotated[
        Path | None,
        typer.Option(help="A folder of reference data (as validate's --reference) for the rules that need it"),
    ] = None,
    la: Annotated[
        str | None, typer.Option("--la", help="The council's own ONS code (as validate's --la), with --reference")
    ] = None,
) -> None:
    """Validate the live record against every SSDA903 rule of the year, without writing the return, and store the
    run for the returns page (/returns/ssda903; one transaction, audited; earlier runs are kept); exit 1 where there
    is an error. Nightly from cron, as the CIN census check (the README's line), for example:
    45 1 * * * cd /srv/safeguarding && .venv/bin/safeguarding returns ssda903 check-live
    """
    from safeguarding.returns.ssda903.service import current_year, run_live_check  # reads every capability's tables

    if format not in FORMATS:
        err.print(f"--format must be one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    try:
        collection = CollectionYear(year) if year is not None else current_year(today_in_london())
    except ValueError as exc:
        err.print(f"--year: {exc}")
        raise typer.Exit(2) from None
    try:
        given = _reference(reference, la)
    except ReturnRefused as exc:
        err.print(f"Refused: {exc}", markup=False)
        raise typer.Exit(2) from None
    with get_database().transaction() as session:
        _run, report = run_live_check(session, collection, reference=given)
    _print(report, format, "The live record", collection)
