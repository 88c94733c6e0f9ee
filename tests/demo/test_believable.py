"""The demo council reads as a real one to an evaluator, for every seed: families whose children could have been
born to them, with a name each; management oversight after what it speaks of; no partner check from long ago still
waiting; places with believable names; and the demo social worker and team manager see drift on their due pages
(overdue, due soon, forecast to be missed and stalled) on the demo's reference day."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework import demo as casework_demo
from safeguarding.casework.models import (
    Assessment,
    ChildInNeedPlan,
    ChildProtectionPlan,
    Referral,
    Supervision,
    SupervisionCase,
)
from safeguarding.core.calendar import LONDON, add_calendar_months
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.demo import names
from safeguarding.demo.summary import CouncilSummary
from safeguarding.exploitation import demo as exploitation_demo
from safeguarding.exploitation.models import ExploitationContext
from safeguarding.front_door.models import CheckStatus, PartnerCheck
from safeguarding.people.models import Address, FamilyRelationship, Person, RelationshipKind
from tests.demo.conftest import REFERENCE, _loaded, holds_council, load
from tests.support import sign_in_as

pytestmark = pytest.mark.xdist_group("demo")

REFERENCE_DAY = REFERENCE.astimezone(LONDON).date()
# A partner check still waiting for an answer is a recent one: none asked more than this long before the reference.
OPEN_CHECK_BOUND = timedelta(days=30)


@pytest.fixture(scope="module", params=[2, 3, 1])
def seeded(request: pytest.FixtureRequest, migrated_database: Database) -> Iterator[CouncilSummary]:
    """The small council of each seed in turn (the last is the one the other demo tests use)."""
    seed = int(request.param)
    if not holds_council(migrated_database, seed, REFERENCE):
        load(migrated_database, seed=seed)
    yield _loaded[migrated_database.engine.url.render_as_string()]


def _children_of(database: Database) -> tuple[dict[int, Person], dict[int, list[int]]]:
    """Every person, and each parent's children (parent relationships only)."""
    with database.transaction() as s:
        people = {p.id: p for p in s.scalars(select(Person))}
        for person in people.values():
            s.expunge(person)
        children: dict[int, list[int]] = defaultdict(list)
        for parent, child in s.execute(
            select(FamilyRelationship.from_person_id, FamilyRelationship.to_person_id).where(
                FamilyRelationship.kind == RelationshipKind.PARENT
            )
        ):
            children[parent].append(child)
    return people, children


def test_a_mothers_children_are_born_nine_months_apart_or_as_twins(
    seeded: CouncilSummary, migrated_database: Database
) -> None:
    people, children = _children_of(migrated_database)
    twins = 0
    mothers = [p for p in children if people[p].sex == "F"]
    assert mothers
    for mother in mothers:
        born = sorted(d for c in children[mother] if (d := people[c].date_of_birth) is not None)
        for earlier, later in pairwise(born):
            twins += earlier == later
            assert later == earlier or later >= add_calendar_months(earlier, 9), (people[mother].first_name, born)
        expected = [d for c in children[mother] if (d := people[c].expected_date_of_birth) is not None]
        for due in expected:
            assert not born or due >= add_calendar_months(born[-1], 9), (people[mother].first_name, born, due)
    assert twins > 0, "a council of this size has twins"


def test_no_two_children_of_a_family_share_a_first_name(seeded: CouncilSummary, migrated_database: Database) -> None:
    people, children = _children_of(migrated_database)
    for parent, kids in children.items():
        first_names = [people[k].first_name for k in kids]
        assert len(set(first_names)) == len(first_names), (people[parent].last_name, sorted(first_names))
    with migrated_database.transaction() as s:
        pairs = list(
            s.execute(
                select(FamilyRelationship.from_person_id, FamilyRelationship.to_person_id).where(
                    FamilyRelationship.kind.in_([RelationshipKind.SIBLING, RelationshipKind.HALF_SIBLING])
                )
            )
        )
    assert pairs
    for a, b in pairs:
        assert people[a].first_name != people[b].first_name, (people[a].last_name, people[a].first_name)


def test_management_oversight_comes_after_what_it_speaks_of(
    seeded: CouncilSummary, migrated_database: Database
) -> None:
    with migrated_database.transaction() as s:
        referred: dict[int, list[date]] = defaultdict(list)
        for person_id, day in s.execute(select(Referral.person_id, Referral.referral_date)):
            referred[person_id].append(day)
        assessed: dict[int, list[date]] = defaultdict(list)
        for person_id, day in s.execute(select(Assessment.person_id, Assessment.started_on)):
            assessed[person_id].append(day)
        planned: dict[int, list[date]] = defaultdict(list)
        for plan in (ChildInNeedPlan, ChildProtectionPlan):
            for person_id, day in s.execute(select(plan.person_id, plan.started_on)):
                planned[person_id].append(day)
        oversight = list(
            s.execute(
                select(Supervision.held_on, SupervisionCase.person_id, SupervisionCase.decision).join(
                    SupervisionCase, SupervisionCase.supervision_id == Supervision.id
                )
            )
        )
    assert oversight
    for held_on, person_id, decision in oversight:
        assert held_on <= REFERENCE_DAY
        assert any(day <= held_on for day in referred[person_id]), (held_on, sorted(referred[person_id]))
        if decision in casework_demo.PLAN_DECISIONS:
            assert any(day <= held_on for day in planned[person_id]), (decision, held_on)
        if decision in casework_demo.ASSESSMENT_DECISIONS:
            assert any(day <= held_on for day in assessed[person_id]), (decision, held_on)


def test_no_partner_check_from_long_ago_is_still_waiting(seeded: CouncilSummary, migrated_database: Database) -> None:
    with migrated_database.transaction() as s:
        waiting = list(s.scalars(select(PartnerCheck.requested_at).where(PartnerCheck.status == CheckStatus.REQUESTED)))
        statuses = set(s.scalars(select(PartnerCheck.status)))
    assert waiting, "the MASH queue has checks waiting for an answer"
    assert min(waiting) >= REFERENCE - OPEN_CHECK_BOUND, min(waiting)
    assert {CheckStatus.ANSWERED, CheckStatus.WITHDRAWN} <= {CheckStatus(s) for s in statuses}


def _pattern(template: str) -> re.Pattern[str]:
    """A place template of the demo (``{street}`` and the like) as a pattern matching only names from its lists."""
    fillers = {
        "street": names.STREETS,
        "estate": names.ESTATES,
        "park": names.PARKS,
        "shopping": names.SHOPPING,
    }
    parts = re.split(r"(\{\w+\})", template)
    regex = ""
    for part in parts:
        if part == "{n}":
            regex += r"[1-9]\d*"
        elif part.startswith("{"):
            regex += "(?:" + "|".join(re.escape(x) for x in fillers[part[1:-1]]) + ")"
        else:
            regex += re.escape(part)
    return re.compile(regex)


def test_places_have_believable_names(seeded: CouncilSummary, migrated_database: Database) -> None:
    street = re.compile(r"[1-9]\d* (?:" + "|".join(re.escape(x) for x in names.STREETS) + ")")
    hot_spots = [_pattern(template) for template in exploitation_demo.HOT_SPOTS]
    with migrated_database.transaction() as s:
        addresses = list(s.execute(select(Address.line1, Address.line2, Address.town)))
        places = list(s.scalars(select(ExploitationContext.name).where(ExploitationContext.kind == "location")))
    assert addresses and places
    for line1, line2, town in addresses:
        assert street.fullmatch(line1), line1
        assert line2 is None or line2 in names.ESTATES, line2
        assert town == names.TOWN
    for place in places:
        assert any(p.fullmatch(place) for p in hot_spots), place
    assert len(set(places)) == len(places), "each place has a name of its own"


@pytest.fixture()
def on_the_reference_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The due pages count from the demo's reference day (the day it was built for), not the machine's."""
    monkeypatch.setattr("safeguarding.timescales.service.today_in_london", lambda: REFERENCE_DAY)


def _client(database: Database, username: str) -> TestClient:
    from safeguarding.app.factory import create_app

    with database.transaction() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        s.expunge(user)
    client = TestClient(create_app(database), base_url="http://testserver", follow_redirects=False)
    sign_in_as(client, database, user)
    return client


def _rows(page: str, table_id: str) -> int:
    """Rows of the table with this id on the page (0 when the page has no such table)."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    return match.group(0).count('<tr class="govuk-table__row" data-rule=') if match else 0


def test_the_demo_social_worker_sees_drift_on_their_due_page(
    seeded: CouncilSummary, migrated_database: Database, on_the_reference_day: None
) -> None:
    with _client(migrated_database, "social.worker") as client:
        page = client.get("/due")
    assert page.status_code == 200
    for table_id in ("overdue", "due-soon", "forecast", "stalled"):
        assert _rows(page.text, table_id) >= 1, table_id
    assert "Forecast to be missed: No visit to the child recorded by working day 30" in page.text
    assert "Nothing is due" not in page.text


def test_the_demo_team_manager_sees_drift_on_the_team_page(
    seeded: CouncilSummary, migrated_database: Database, on_the_reference_day: None
) -> None:
    with _client(migrated_database, "team.manager") as client:
        page = client.get("/due/team")
    assert page.status_code == 200
    summary = re.search(
        r"(\d+) overdue, (\d+) due soon, (\d+) forecast to be missed, (\d+) stalled", page.text.replace("\n", " ")
    )
    assert summary is not None
    assert all(int(n) >= 1 for n in summary.groups()), summary.group(0)
    assert _rows(page.text, "forecast") >= 1 and _rows(page.text, "stalled") >= 1
    assert 'data-state="overdue"' in page.text
