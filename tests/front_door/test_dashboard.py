"""The MASH dashboard against figures counted by hand on a small front door."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safeguarding.casework.models import Referral
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, ValidationFailed
from safeguarding.core.users import Role
from safeguarding.front_door.dashboard import dashboard, parse_period
from safeguarding.front_door.models import ContactDecision, ContactStatus, DecisionStatus, Outcome, Rag
from tests.front_door.test_screening_helpers import london, make_contact, make_person, rename, staff
from tests.support import Factory, sign_in

OCTOBER = (date(2025, 10, 1), date(2025, 10, 31))


def _decision(
    database: Database,
    worker_id: int,
    level: int,
    outcome: Outcome,
    hours: float,
    in_time: bool,
    at: datetime,
    status: DecisionStatus = DecisionStatus.IN_EFFECT,
) -> None:
    contact_id = make_contact(database, received_at=at - timedelta(hours=1), status=ContactStatus.DECIDED)
    with database.transaction() as s:
        s.add(
            ContactDecision(
                contact_id=contact_id,
                level_of_need=level,
                outcome=outcome,
                decided_by_id=worker_id,
                rationale="Synthetic decision for the dashboard test.",
                decided_at=at,
                working_hours_to_decision=hours,
                within_deadline=in_time,
                status=status,
            )
        )


@pytest.fixture()
def front_door(database: Database, factory: Factory) -> dict[str, Any]:
    """Counted by hand:
    waiting now: red under 4 h; red 1-3 days and overdue; amber 4-24 h; not rated over 3 days and overdue.
    October decisions (returned and out-of-period ones excluded): Alice 2/early help (3 h, in time),
    3/referral (10 h, late), 3/referral (5 h, in time); Bob 1/no further action (1 h, in time).
    So 4 decisions, 3 in time (75%), median of 1, 3, 5, 10 = 4 working hours; levels 1:1, 2:1, 3:2.
    October referrals: 3, of which 1 re-referral (33.3%)."""
    alice, manager = staff(factory)
    bob = factory.user(Role.MASH_WORKER)
    rename(database, alice, "Alice Testworker")
    rename(database, bob, "Bob Testworker")
    now = datetime.now(UTC)
    make_contact(database, received_at=now - timedelta(hours=2), rag=Rag.RED, due_at=now + timedelta(hours=1))
    make_contact(
        database,
        received_at=now - timedelta(hours=30),
        rag=Rag.RED,
        due_at=now - timedelta(hours=1),
        status=ContactStatus.IN_SCREENING,
    )
    make_contact(database, received_at=now - timedelta(hours=10), rag=Rag.AMBER, due_at=now + timedelta(hours=10))
    make_contact(database, received_at=now - timedelta(hours=100), due_at=now - timedelta(hours=50))
    make_contact(
        database, received_at=now - timedelta(hours=100), due_at=now - timedelta(hours=50), status=ContactStatus.DECIDED
    )
    _decision(database, alice.id, 2, Outcome.EARLY_HELP, 3, True, london(2025, 10, 6, 11, 0))
    _decision(database, alice.id, 3, Outcome.REFERRAL_FOR_ASSESSMENT, 10, False, london(2025, 10, 7, 11, 0))
    _decision(database, alice.id, 3, Outcome.REFERRAL_FOR_ASSESSMENT, 5, True, london(2025, 10, 31, 23, 30))
    _decision(database, bob.id, 1, Outcome.NO_FURTHER_ACTION, 1, True, london(2025, 10, 1, 0, 30))
    _decision(
        database,
        bob.id,
        4,
        Outcome.STRATEGY_DISCUSSION,
        2,
        True,
        london(2025, 10, 8, 11, 0),
        status=DecisionStatus.RETURNED,
    )
    _decision(database, bob.id, 4, Outcome.STRATEGY_DISCUSSION, 2, True, london(2025, 11, 1, 0, 30))
    child = make_person(database, alice)
    with database.transaction() as s:
        for day, re_referral in [
            (date(2025, 10, 2), False),
            (date(2025, 10, 15), True),
            (date(2025, 10, 31), False),
            (date(2025, 9, 30), True),
        ]:
            s.add(
                Referral(
                    person_id=child,
                    referral_date=day,
                    referral_source="2A",
                    route="referral_for_assessment",
                    is_re_referral=re_referral,
                )
            )
    return {"alice": alice, "bob": bob, "manager": manager, "now": now}


def test_dashboard_figures_match_the_hand_count(database: Database, front_door: dict[str, Any]) -> None:
    with database.transaction() as s:
        d = dashboard(s, database, front_door["manager"], *OCTOBER, now=front_door["now"])
    assert d.waiting == {("red", 0): 1, ("red", 2): 1, ("amber", 1): 1, ("unrated", 3): 1}
    assert d.waiting_total == 4
    assert d.overdue == {"red": 1, "unrated": 1} and d.overdue_total == 2
    assert (d.decisions, d.within_deadline, d.within_deadline_rate) == (4, 3, 0.75)
    assert d.median_working_hours == 4.0
    assert (d.referrals, d.re_referrals) == (3, 1)
    assert d.re_referral_rate == pytest.approx(1 / 3)
    alice, bob = d.workers
    assert (alice.name, alice.decisions, alice.by_level) == ("Alice Testworker", 3, {2: 1, 3: 2})
    assert alice.level_share(3) == pytest.approx(2 / 3)
    assert alice.by_outcome == {"early_help": 1, "referral_for_assessment": 2}
    assert (bob.name, bob.by_level) == ("Bob Testworker", {1: 1})
    assert d.team.by_level == {1: 1, 2: 1, 3: 2} and d.team.level_share(3) == 0.5


def test_median_of_an_odd_number_is_the_middle_decision(database: Database, front_door: dict[str, Any]) -> None:
    with database.transaction() as s:
        d = dashboard(s, database, front_door["manager"], date(2025, 10, 1), date(2025, 10, 7), now=front_door["now"])
    assert d.decisions == 3 and d.median_working_hours == 3.0


def test_empty_period_has_no_rates(database: Database, front_door: dict[str, Any]) -> None:
    with database.transaction() as s:
        d = dashboard(s, database, front_door["manager"], date(2024, 1, 1), date(2024, 1, 31))
    assert (d.decisions, d.within_deadline_rate, d.median_working_hours, d.re_referral_rate) == (0, None, None, None)


def test_period_is_validated() -> None:
    with pytest.raises(ValidationFailed) as failed:
        parse_period("2025-10-31", "2025-10-01")
    assert "period_start" in failed.value.errors
    with pytest.raises(ValidationFailed):
        parse_period("2025-02-30", None)
    assert parse_period(None, None, today=date(2025, 10, 30)) == (date(2025, 10, 1), date(2025, 10, 30))


def test_dashboard_page_for_an_analyst_shows_the_figures_and_the_national_rate(
    client: TestClient, database: Database, factory: Factory, front_door: dict[str, Any]
) -> None:
    analyst = factory.user(Role.PERFORMANCE_ANALYST)
    sign_in(client, analyst)
    page = client.get("/mash/dashboard?period_start=2025-10-01&period_end=2025-10-31")
    assert page.status_code == 200
    assert "75.0% (3 of 4)" in page.text
    assert "33.3% (1 of 3)" in page.text
    assert "22.6%" in page.text and "DfE Children in need 2025" in page.text
    assert "Alice Testworker" in page.text and "66.7% (2)" in page.text
    bad = client.get("/mash/dashboard?period_start=2025-10-31&period_end=2025-10-01")
    assert bad.status_code == 422 and "The start of the period must be on or before its end" in bad.text


def test_mash_workers_and_social_workers_do_not_see_the_dashboard(
    client: TestClient, database: Database, factory: Factory, front_door: dict[str, Any]
) -> None:
    with database.transaction() as s, pytest.raises(AccessDenied):
        dashboard(s, database, front_door["alice"], *OCTOBER)
    sign_in(client, factory.user(Role.SOCIAL_WORKER))
    assert client.get("/mash/dashboard").status_code == 403
