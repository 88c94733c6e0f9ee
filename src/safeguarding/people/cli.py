"""``safeguarding people ...``: record linkage from the command line.

``people link RECORDS.csv --out CLUSTERS.csv [--pairs PAIRS.csv] [--threshold P] [--engine embedded|spark]``
deduplicates any file of person records without touching the database: CLUSTERS.csv has ``record_id, cluster_id``
for every record (singletons too; a cluster's id is the smallest record id in it), PAIRS.csv each proposed pair with
its match weight, probability, evidence and each field's contribution.

``people match RECORDS.csv --out MATCHES.csv`` matches a partner's file to the person index: each record's best
person with the probability and evidence, the band (match, uncertain for clerical review, none). Nothing is written
to anyone's record.

Exit status: 0 done; 2 the input was refused (the message names the line), or an option was wrong. Outputs are
written only when the whole file has been read, so a refused file leaves nothing half-written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from safeguarding.people.linkage import DEFAULT_MODEL, DEFAULT_THRESHOLD, ENGINES, EngineUnavailable
from safeguarding.people.linkage.files import FileRefused, csv_output, read_records, safe_row
from safeguarding.people.linkage.linking import link_prepared, prepare_all

people_app = typer.Typer(help="People: record linkage of partners' files.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)

REFUSED = 2


def _refuse(path: Path, message: str) -> typer.Exit:
    err.print(f"[red]{escape(str(path))}: {escape(message)}[/red]")
    return typer.Exit(REFUSED)


@people_app.command("link")
def link_command(
    records: Annotated[Path, typer.Argument(help="The records file (CSV, UTF-8, header as in the help)")],
    out: Annotated[Path, typer.Option("--out", help="Where to write record_id, cluster_id for every record")],
    pairs: Annotated[
        Path | None, typer.Option("--pairs", help="Also write each proposed pair with its evidence here")
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="The match probability at which a pair is proposed")
    ] = DEFAULT_THRESHOLD,
    engine: Annotated[str, typer.Option("--engine", help="embedded (DuckDB, default) or spark")] = "embedded",
) -> None:
    """Find the records of one person in a file of person records (no database needed)."""
    if engine not in ENGINES:
        raise _refuse(records, f"--engine must be one of {', '.join(ENGINES)}")
    if not 0 < threshold < 1:
        raise _refuse(records, "--threshold is a probability between 0 and 1, like 0.95")
    began = time.monotonic()
    try:
        prepared = prepare_all(read_records(records))
        linked = link_prepared(prepared, threshold, engine)
    except FileRefused as exc:
        raise _refuse(records, str(exc)) from None
    except EngineUnavailable as exc:
        raise _refuse(records, str(exc)) from None
    with csv_output(out) as writer:
        writer.writerow(["record_id", "cluster_id"])
        for record, cluster_id in zip(linked.records, linked.cluster_ids, strict=True):
            writer.writerow(safe_row((record.record_id, cluster_id)))
    if pairs is not None:
        comparisons = DEFAULT_MODEL.comparisons
        with csv_output(pairs) as writer:
            header = ["left_id", "right_id", "match_weight", "probability", "evidence"]
            for comparison in comparisons:
                header += [comparison.name, f"{comparison.name}_weight"]
            writer.writerow(header)
            for pair in linked.scored_pairs():
                by_name = {c.comparison: c for c in pair.contributions}
                row: list[object] = [
                    pair.left_id,
                    pair.right_id,
                    f"{pair.match_weight:.2f}",
                    f"{pair.probability:.6f}",
                    "; ".join(pair.evidence),
                ]
                for comparison in comparisons:
                    part = by_name.get(comparison.name)
                    row += [part.wording, f"{part.weight:.2f}"] if part else ["not on both records", "0.00"]
                writer.writerow(safe_row(row))
    people = len(set(linked.cluster_ids))
    err.print(
        f"{len(linked.records):,} records, {len(linked.pairs):,} pairs proposed, {people:,} people "
        f"({time.monotonic() - began:.1f} s)."
    )


@people_app.command("match")
def match_command(
    records: Annotated[Path, typer.Argument(help="The partner's records file (CSV, UTF-8, header as for link)")],
    out: Annotated[Path, typer.Option("--out", help="Where to write each record's best person, or none")],
) -> None:
    """Match a partner's file to the person index: each record's best person, with the evidence (writes nothing
    to any record)."""
    from safeguarding.core.audit import Actor
    from safeguarding.core.db import get_database
    from safeguarding.people.matching import match_all

    database = get_database()
    counts: dict[str, int] = {}
    try:
        with database.transaction() as session, csv_output(out) as writer:
            writer.writerow(["record_id", "person_id", "probability", "band", "evidence"])
            for match in match_all(session, read_records(records), Actor.system("cli"), records.name):
                counts[match.band] = counts.get(match.band, 0) + 1
                writer.writerow(
                    safe_row(
                        (
                            match.record_id,
                            match.person_id if match.person_id is not None else "",
                            f"{match.probability:.6f}",
                            match.band,
                            "; ".join(match.evidence),
                        )
                    )
                )
    except FileRefused as exc:
        raise _refuse(records, str(exc)) from None
    err.print(", ".join(f"{counts.get(band, 0):,} {band}" for band in ("match", "uncertain", "none")) + ".")
