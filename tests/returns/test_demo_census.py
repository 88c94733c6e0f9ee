"""The small demo council's CIN census, exported from the live record as ``safeguarding returns cin-census export``
writes it, validates with no errors: the census a council would send the DfE. Queries are allowed (they ask the
council to check or explain); the test lists them so that a new one is seen."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from safeguarding.core.db import Database
from safeguarding.demo.identifiers import DEMO_LA_CODE
from safeguarding.people.models import Person, PersonKind
from safeguarding.returns.cin_census.census import CensusYear
from safeguarding.returns.cin_census.validator import validate_file
from safeguarding.returns.models import ChildDisability
from tests.demo.conftest import REFERENCE, SEED, holds_council, load

YEAR = CensusYear(2026)  # the demo council's reference moment is in March 2026
# Queries the demo census raises, each one a council also sees in its own record and explains to the DfE.
EXPECTED_QUERIES = {
    "8670Q",  # assessments open more than 45 working days on 31 March (the demo leaves some late, with reasons)
    "8675Q",  # a section 47 enquiry still open 15 working days on without an initial conference
    "8825Q",  # a case closed RC8 (no further action) after a strategy discussion, without an assessment
}


def _council(database: Database) -> None:
    if not holds_council(database, SEED, REFERENCE):
        load(database)


def test_the_demo_councils_exported_census_validates_with_no_errors(
    migrated_database: Database, tmp_path: Path
) -> None:
    from safeguarding.cli import app

    _council(migrated_database)  # the migrated_database fixture points the command at this database
    out = tmp_path / "census.xml"
    result = CliRunner().invoke(app, ["returns", "cin-census", "export", "--year", "2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output

    report = validate_file(out, YEAR)
    assert report.children > 50
    assert f"<LEA>{DEMO_LA_CODE}</LEA>" in out.read_text()  # the demo council's local setting
    errors = Counter(f"{f.code} {f.message}" for f in report.errors)
    assert not errors, errors.most_common(20)
    queries = Counter(f.code for f in report.queries)
    assert set(queries) <= EXPECTED_QUERIES, queries


def test_every_born_demo_child_has_a_disability_code_and_upns_carry_the_demo_la_code(
    migrated_database: Database,
) -> None:
    _council(migrated_database)
    with migrated_database.transaction() as s:
        born = s.scalar(
            select(func.count())
            .select_from(Person)
            .where(
                Person.kind == PersonKind.CHILD,
                Person.date_of_birth.is_not(None),
                Person.date_of_birth <= REFERENCE.date(),
            )
        )
        recorded = s.scalar(select(func.count(func.distinct(ChildDisability.person_id))))
        codes = Counter(s.scalars(select(ChildDisability.code)))
        upns = list(s.scalars(select(Person.upn).where(Person.upn.is_not(None))))
    assert recorded == born
    assert codes["NONE"] > sum(n for code, n in codes.items() if code != "NONE")
    assert len(set(codes) - {"NONE"}) >= 8
    assert upns and all(upn is not None and upn[1:4] == DEMO_LA_CODE for upn in upns)
