"""The CIN census from the live record: a hand-built council exports a census that validates with no errors, the
live record is validated without XML and a year with no data says so (the demo council: test_demo_census.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safeguarding.casework.models import (
    Assessment,
    AssessmentFactor,
    ChildInNeedPlan,
    ChildProtectionConference,
    ChildProtectionPlan,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
)
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.people.models import Person, PersonKind
from safeguarding.returns.cin_census import service
from safeguarding.returns.cin_census.census import CensusYear
from safeguarding.returns.cin_census.export import children_in_scope
from safeguarding.returns.cin_census.validator import validate_file
from safeguarding.returns.models import ChildDisability
from tests.returns.census_xml import upn

YEAR = CensusYear(2026)


def person(s: Session, n: int, **fields: Any) -> Person:
    row = Person(
        kind=PersonKind.CHILD,
        first_name=f"Synthetic{n}",
        last_name="Child",
        la_child_id=f"HB{n:04d}",
        upn=upn(n),
        sex="F" if n % 2 else "M",
        ethnicity="WBRI",
        date_of_birth=date(2014, 1, n),
        **fields,
    )
    s.add(row)
    s.flush()
    s.add(ChildDisability(person_id=row.id, code="NONE" if n % 3 else "LD"))
    return row


def referral(s: Session, child: Person, day: date, **fields: object) -> Referral:
    values: dict[str, object] = {"referral_source": "2A", "primary_need": "N1", "route": "referral_for_assessment"}
    row = Referral(person_id=child.id, referral_date=day, **(values | fields))
    s.add(row)
    s.flush()
    return row


def build_hand_council(database: Database) -> dict[str, int]:
    """Five children, each one kind of year: an NFA referral, an assessment closed RC8, a CIN plan, a section 47
    leading to a child protection plan with a review, and an episode from last year carried into this one."""
    with database.transaction() as s:
        nfa = person(s, 1)
        referral(s, nfa, date(2025, 6, 2), primary_need=None, closed_date=date(2025, 6, 3), closure_reason="RC8")

        assessed = person(s, 2)
        r = referral(s, assessed, date(2025, 5, 1), closed_date=date(2025, 6, 20), closure_reason="RC8")
        a = Assessment(
            person_id=assessed.id, referral_id=r.id, started_on=date(2025, 5, 2), authorised_on=date(2025, 6, 19)
        )
        s.add(a)
        s.flush()
        s.add(AssessmentFactor(assessment_id=a.id, code="21"))

        in_need = person(s, 3)
        r = referral(s, in_need, date(2025, 7, 1))
        a = Assessment(
            person_id=in_need.id, referral_id=r.id, started_on=date(2025, 7, 2), authorised_on=date(2025, 8, 1)
        )
        s.add(a)
        s.flush()
        s.add_all([AssessmentFactor(assessment_id=a.id, code="4B"), AssessmentFactor(assessment_id=a.id, code="3A")])
        s.add(ChildInNeedPlan(person_id=in_need.id, referral_id=r.id, started_on=date(2025, 8, 4)))

        protected = person(s, 4)
        r = referral(s, protected, date(2025, 9, 1))
        a = Assessment(
            person_id=protected.id, referral_id=r.id, started_on=date(2025, 9, 1), authorised_on=date(2025, 10, 1)
        )
        s.add(a)
        s.flush()
        s.add(AssessmentFactor(assessment_id=a.id, code="16A"))
        strategy = StrategyDiscussion(
            person_id=protected.id, referral_id=r.id, held_on=date(2025, 9, 2), decision="section47"
        )
        s.add(strategy)
        s.flush()
        enquiry = Section47Enquiry(
            person_id=protected.id,
            referral_id=r.id,
            strategy_discussion_id=strategy.id,
            started_on=date(2025, 9, 3),
            completed_on=date(2025, 9, 19),
            outcome="icpc",
        )
        s.add(enquiry)
        s.flush()
        plan = ChildProtectionPlan(
            person_id=protected.id,
            referral_id=r.id,
            started_on=date(2025, 9, 23),
            initial_category="NEG",
            latest_category="EMO",
        )
        s.add(plan)
        s.flush()
        s.add(
            ChildProtectionConference(
                person_id=protected.id,
                referral_id=r.id,
                kind="initial",
                section47_id=enquiry.id,
                plan_id=plan.id,
                held_on=date(2025, 9, 23),
                outcome="plan",
            )
        )
        s.add(
            ChildProtectionConference(
                person_id=protected.id,
                referral_id=r.id,
                kind="review",
                plan_id=plan.id,
                held_on=date(2025, 12, 16),
                outcome="plan",
            )
        )

        carried = person(s, 5)
        r = referral(s, carried, date(2025, 1, 6), closed_date=date(2025, 7, 31), closure_reason="RC7")
        a = Assessment(
            person_id=carried.id, referral_id=r.id, started_on=date(2025, 1, 7), authorised_on=date(2025, 2, 14)
        )  # authorised last year: not in this year's return
        s.add(a)
        s.add(
            ChildInNeedPlan(
                person_id=carried.id, referral_id=r.id, started_on=date(2025, 2, 17), ended_on=date(2025, 7, 31)
            )
        )
        # Out of scope: closed before the year began, and referred after it ended.
        gone = person(s, 6)
        referral(s, gone, date(2024, 5, 1), closed_date=date(2025, 3, 1), closure_reason="RC7")
        later = person(s, 7)
        referral(s, later, date(2026, 4, 2))
        return {"protected": protected.id, "in_need": in_need.id}


def test_a_hand_built_council_exports_a_census_with_no_errors(database: Database, tmp_path: Path) -> None:
    build_hand_council(database)
    out = tmp_path / "cin.xml"
    with database.transaction() as s:
        assert service.export_census(s, YEAR, out, lea="201") == 5
    report = validate_file(out, YEAR)
    assert report.children == 5
    assert report.errors == [], [(f.code, f.la_child_id, f.message) for f in report.errors]
    text = out.read_text()
    assert "<ReferralNFA>true</ReferralNFA>" in text  # child 1
    assert "<DateOfInitialCPC>2025-09-23</DateOfInitialCPC>" in text
    assert "<CPPreviewDate>2025-12-16</CPPreviewDate>" in text
    assert "<InitialCPCtarget>2025-09-23</InitialCPCtarget>" in text  # 15 working days from the strategy discussion
    assert "2025-02-14" not in text  # authorised before the year: not part of it
    assert "HB0006" not in text and "HB0007" not in text
    with database.transaction() as s:
        exports = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.target_type == "cin_census")
        ).all()
    assert len(exports) == 1


def test_the_live_record_is_validated_without_xml_and_findings_point_at_the_person(database: Database) -> None:
    ids = build_hand_council(database)
    with database.transaction() as s:
        s.get_one(Person, ids["in_need"]).ethnicity = None
        s.add(
            ChildInNeedPlan(
                person_id=ids["protected"],
                referral_id=s.scalar(select(Referral.id).where(Referral.person_id == ids["protected"])),
                started_on=date(2025, 10, 1),
            )
        )
    with database.transaction() as s:
        report = service.validate_live(s, YEAR)
    by_code = {f.code: f for f in report.errors}
    assert by_code["4220"].person_id == ids["in_need"]
    assert by_code["4016"].person_id == ids["protected"]  # a CIN plan started during the CP plan
    assert by_code["4016"].la_child_id == "HB0004"


def test_the_live_record_projects_as_at_the_reference_date(database: Database) -> None:
    ids = build_hand_council(database)
    with database.transaction() as s:
        plan = s.scalar(select(ChildProtectionPlan).where(ChildProtectionPlan.person_id == ids["protected"]))
        assert plan is not None
        plan.ended_on = date(2026, 4, 20)  # ended after the year: still open in this census
    with database.transaction() as s:
        (protected,) = [c for c in children_in_scope(s, YEAR) if c.person_id == ids["protected"]]
    assert protected.episodes[0].protection_plans[0].end is None


def test_a_year_with_no_data_says_so(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_hand_council(database)
    import safeguarding.core.db as db

    monkeypatch.setattr(db, "get_database", lambda: database)
    out = tmp_path / "cin2023.xml"
    result = CliRunner().invoke(
        __import__("safeguarding.cli", fromlist=["app"]).app,
        ["returns", "cin-census", "export", "--year", "2023", "--out", str(out)],
    )
    assert result.exit_code == 1
    assert "No children in scope" in result.stderr
    assert not out.exists()
