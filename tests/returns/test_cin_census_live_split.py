"""The live CIN census check run mid-year says which findings are wrong now and which only become errors or queries
at the census date if nothing happens by then (an assessment not yet authorised that is not yet late)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework.models import Assessment, AssessmentFactor
from safeguarding.core.db import Database
from safeguarding.core.users import Role
from safeguarding.returns.cin_census import service
from safeguarding.returns.cin_census.census import CensusYear
from safeguarding.returns.models import CensusFinding
from tests.returns.test_cin_census_export import build_hand_council, person, referral
from tests.support import Factory, sign_in

YEAR = CensusYear(2026)
MID_YEAR = date(2025, 12, 1)  # a Monday, four months before the census date of 31 March 2026


def _council(database: Database) -> dict[str, int]:
    """The hand-built council and three children with work still open on 1 December 2025:
    HB0011, an assessment started 3 November (20 working days: not late yet, late by 31 March if still open);
    HB0012, an assessment started 1 August (late now);
    HB0013, an open episode whose one assessment found no factors (21): a query at the census date unless the
    episode closes with RC8 or RC9 (rule 8873Q)."""
    ids = build_hand_council(database)
    with database.transaction() as s:
        for n, started in ((11, date(2025, 11, 3)), (12, date(2025, 8, 1))):
            child = person(s, n)
            r = referral(s, child, started)
            s.add(Assessment(person_id=child.id, referral_id=r.id, started_on=started))
            ids[f"HB00{n}"] = child.id
        child = person(s, 13)
        r = referral(s, child, date(2025, 10, 1))
        a = Assessment(
            person_id=child.id, referral_id=r.id, started_on=date(2025, 10, 1), authorised_on=date(2025, 10, 20)
        )
        s.add(a)
        s.flush()
        s.add(AssessmentFactor(assessment_id=a.id, code="21"))
        ids["HB0013"] = child.id
    return ids


def _findings(database: Database, today: date) -> list[tuple[str, str, bool]]:
    with database.transaction() as s:
        run = service.run_live_check(s, YEAR, today=today)
        s.flush()
        rows = s.scalars(select(CensusFinding).where(CensusFinding.run_id == run.id).order_by(CensusFinding.id))
        return [(f.code, f.la_child_id, f.by_census_date) for f in rows if f.code in ("8670Q", "8873Q")]


def test_mid_year_an_assessment_not_yet_late_is_due_by_the_census_date_and_a_late_one_is_wrong_now(
    database: Database,
) -> None:
    _council(database)
    assert sorted(_findings(database, MID_YEAR)) == [
        ("8670Q", "HB0011", True),  # 20 working days on 1 December: not late yet
        ("8670Q", "HB0012", False),  # 86 working days: late now
        ("8873Q", "HB0013", True),  # the episode is still open: it may yet close RC8 or RC9
    ]


def test_after_the_census_date_every_finding_is_wrong_now(database: Database) -> None:
    _council(database)
    assert sorted(_findings(database, date(2026, 4, 10))) == [
        ("8670Q", "HB0011", False),
        ("8670Q", "HB0012", False),
        ("8873Q", "HB0013", False),
    ]


def test_the_page_says_which_findings_are_wrong_now_and_which_are_not_wrong_yet(
    database: Database, factory: Factory, client: TestClient
) -> None:
    _council(database)
    _findings(database, MID_YEAR)
    sign_in(client, factory.user(Role.PERFORMANCE_ANALYST))
    page = client.get("/returns/cin-census?rule=8670Q")
    assert page.status_code == 200
    text = page.text
    assert "will become errors or queries on the census date, 31 March 2026, if nothing happens" in text
    assert 'data-when="census"' in text and 'data-when="now"' in text
    assert "Becomes a query on 31 March 2026 if nothing happens before then" in text
    # The rule is stated in words, its dates written out; the rule code sits in a detail the reader opens.
    assert "counted to 31 March 2026" in text and "31/03/2026" not in text
    assert '<span class="govuk-details__summary-text">Rule reference</span>' in text
    later = client.get("/returns/cin-census?when=census")
    assert later.status_code == 200
    assert 'data-when="now"' not in later.text and later.text.count('data-when="census"') == 2
    wrong = client.get("/returns/cin-census?when=soon")
    assert wrong.status_code == 422 and "Choose wrong now or due by the census date" in wrong.text
