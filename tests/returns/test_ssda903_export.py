"""The SSDA903 return from the live record: the small demo council's export validates with no errors, in memory, as
the CSV folder ``safeguarding returns ssda903 export`` writes and as its XML form; who is in the return and which of
their episodes (a hand-built record)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.returns.ssda903.export import build_return
from safeguarding.returns.ssda903.reader import read_return
from safeguarding.returns.ssda903.tables import TABLES, CollectionYear
from safeguarding.returns.ssda903.validator import Report, validate, validate_path
from tests.demo.conftest import REFERENCE, SEED, holds_council, load

YEAR = CollectionYear(2026)  # the demo council's reference moment is in March 2026


def _council(database: Database) -> None:
    if not holds_council(database, SEED, REFERENCE):
        load(database)


def _errors(report: Report) -> Counter[str]:
    return Counter(f"{f.code} {f.message}" for f in report.errors)


def test_the_demo_councils_return_validates_with_no_errors_in_memory(migrated_database: Database) -> None:
    _council(migrated_database)
    with migrated_database.transaction() as s:
        built = build_return(s, YEAR)
    report = validate(built, YEAR)
    assert report.children > 10
    errors = _errors(report)
    print(Counter(f.code for f in report.errors)); print(Counter(f.code for f in report.queries)); [print(f.code, f.child, f.message) for f in report.errors if f.code not in ("630",)]
    assert not errors, errors.most_common(40)
