"""All fifteen clocks of children in care and care leavers: listed and answered by the command line, and shown on the
worker's, the team's and the service's due pages, with a forecast where the pace of visits says one will be missed."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from safeguarding.casework.models import Allocation
from safeguarding.children_in_care.care_leaver_models import AdviserContact, CareLeaver, PathwayPlan
from safeguarding.children_in_care.models import CareEvent, CarePeriod, CareVisit, HealthAssessment, LookedAfterReview
from safeguarding.cli import app as cli
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import birthday
from safeguarding.core.db import Database
from safeguarding.core.users import Role
from safeguarding.people.models import Person, PersonKind
from safeguarding.timescales.rules import explain
from safeguarding.timescales.service import recompute_for_child
from tests.support import Factory, sign_in

CHILDREN_IN_CARE = (
    "care-plan",
    "placement-plan",
    "cla-review-first",
    "cla-review-second",
    "cla-review",
    "cla-visit-first",
    "cla-visit",
    "cla-visit-long-term",
    "health-assessment-initial",
    "health-assessment-review-under-5",
    "health-assessment-review",
    "pep-initial",
)
CARE_LEAVERS = ("pathway-needs-assessment", "pathway-plan-review", "pa-contact")
runner = CliRunner()


def test_the_command_line_lists_and_answers_every_clock(database: Database) -> None:
    listed = runner.invoke(cli, ["timescales", "list"])
    assert listed.exit_code == 0, listed.output
    ids = {line.split("\t")[0] for line in listed.output.splitlines() if "\t" in line}
    assert set(CHILDREN_IN_CARE + CARE_LEAVERS) <= ids
    start = date(2026, 2, 27)
    for rule_id in CHILDREN_IN_CARE + CARE_LEAVERS:
        answer = runner.invoke(cli, ["timescales", "due", rule_id, start.isoformat()])
        assert answer.exit_code == 0, answer.output
        assert answer.output.splitlines()[0] == explain(rule_id, start).due.isoformat()
        assert "Source: " in answer.output


def _child(s: object, name: str, born: date) -> int:
    person = Person(kind=PersonKind.CHILD, first_name=name, last_name="Duepage", sex="F", date_of_birth=born)
    s.add(person)  # type: ignore[attr-defined]
    s.flush()  # type: ignore[attr-defined]
    return person.id


def _in_care(s: object, person_id: int, started: date, *, long_term: bool = False) -> int:
    period = CarePeriod(person_id=person_id, started_on=started)
    s.add(period)  # type: ignore[attr-defined]
    s.flush()  # type: ignore[attr-defined]
    s.add(  # type: ignore[attr-defined]
        CareEvent(
            period_id=period.id,
            person_id=person_id,
            kind="start",
            occurred_on=started,
            legal_status="C2",
            category_of_need="N1",
            placement_type="U4" if long_term else "U6",
            placement_provider="PR1",
            carer="Synthetic Carer",
            placement_postcode="ZZ9 9ZZ",
            long_term=long_term,
        )
    )
    return period.id


def test_every_clock_is_on_the_due_pages_with_forecasts(client: TestClient, factory: Factory) -> None:
    team = factory.team("Children in care team", service="children_in_care")
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    adviser = factory.user(Role.PERSONAL_ADVISER, team_id=team.id)
    today = today_in_london()
    with factory.database.transaction() as s:
        # New to care 10 days ago: the first clocks.
        new = _child(s, "New", date(2015, 5, 5))
        _in_care(s, new, today - timedelta(days=10))
        # Two years in care, reviewed twice, a toddler's health assessment; visits slower than six-weekly.
        settled = _child(s, "Settled", today - timedelta(days=3 * 365))
        period = _in_care(s, settled, today - timedelta(days=700))
        for held in (today - timedelta(days=680), today - timedelta(days=600)):
            s.add(LookedAfterReview(period_id=period, person_id=settled, held_on=held, participation="PN0"))
        s.add(HealthAssessment(period_id=period, person_id=settled, kind="review", assessed_on=today - timedelta(30)))
        for weeks in (32, 24, 16, 8, 1):  # every 8 weeks: slower than the 6 the regulation allows
            visited = today - timedelta(weeks=weeks)
            s.add(CareVisit(period_id=period, person_id=settled, visited_on=visited, child_seen=True, seen_alone=True))
        # A long-term placement over a year old, an older child's yearly health assessment.
        long = _child(s, "Longterm", date(2012, 1, 1))
        period = _in_care(s, long, today - timedelta(days=500), long_term=True)
        s.add(HealthAssessment(period_id=period, person_id=long, kind="review", assessed_on=today - timedelta(60)))
        s.add(LookedAfterReview(period_id=period, person_id=long, held_on=today - timedelta(480), participation="PN1"))
        for days in (450, 400, 350, 100):
            visited = today - timedelta(days=days)
            s.add(CareVisit(period_id=period, person_id=long, visited_on=visited, child_seen=True, seen_alone=True))
        children = (new, settled, long)
        for child in children:
            s.add(Allocation(person_id=child, worker_id=worker.id, team_id=team.id))
        # A care leaver of 16 in care for two years, and a former relevant one with a pathway plan.
        born = birthday(today, -16) - timedelta(days=20)
        eligible = _child(s, "Eligible", born)
        _in_care(s, eligible, today - timedelta(days=730))
        s.add(CareLeaver(person_id=eligible, personal_adviser_id=adviser.id, weeks_looked_after_since_14=0))
        former = _child(s, "Former", birthday(today, -19))
        leaver = CareLeaver(
            person_id=former,
            personal_adviser_id=adviser.id,
            adviser_named_on=today - timedelta(days=100),
            left_care_on=birthday(today, -1),
            weeks_looked_after_since_14=104,
        )
        s.add(leaver)
        s.flush()
        s.add(PathwayPlan(care_leaver_id=leaver.id, person_id=former, prepared_on=today - timedelta(90), plan="P"))
        s.add(
            AdviserContact(
                care_leaver_id=leaver.id,
                person_id=former,
                contact_on=today - timedelta(days=20),
                in_touch=True,
                method="visit",
            )
        )
        s.flush()
        for child in (*children, eligible, former):
            recompute_for_child(s, child)

    sign_in(client, worker)
    mine = client.get("/due").text
    cic_open = set(CHILDREN_IN_CARE) - {"cla-review-first", "cla-review-second", "cla-visit-first"}
    for rule_id in cic_open | {"cla-review-first", "cla-visit-first", "care-plan"}:
        assert f'data-rule="{rule_id}"' in mine, rule_id
    assert "further apart than six weeks" in mine  # the pace of visits forecast

    adviser_client = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    sign_in(adviser_client, adviser)
    advisers = adviser_client.get("/due").text
    for rule_id in CARE_LEAVERS:
        assert f'data-rule="{rule_id}"' in advisers, rule_id

    manager_client = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    sign_in(manager_client, manager)
    team_page = manager_client.get("/due/team").text
    service_page = manager_client.get("/due/service").text
    for rule_id in set(CHILDREN_IN_CARE + CARE_LEAVERS) - {"cla-review-second"}:
        assert f'data-rule="{rule_id}"' in service_page, rule_id
    for rule_id in ("care-plan", "cla-visit", "cla-visit-long-term", "pa-contact"):
        assert f'data-rule="{rule_id}"' in team_page, rule_id


def test_an_unallocated_child_in_cares_clocks_are_under_the_team_that_held_the_case(
    client: TestClient, factory: Factory
) -> None:
    """A child in care whose worker's allocation ended with no new one: their clocks stay with the team that held the
    case (its manager sees them on the team's page, the service page counts them under it), the worker shown as
    unallocated. A child in care never allocated (came into care directly) is in the service's "Unallocated" group,
    as every unallocated clock is."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from safeguarding.timescales.models import Deadline

    team = factory.team("Children in care team 2", service="children_in_care")
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    today = today_in_london()
    with factory.database.transaction() as s:
        left = _child(s, "Leftbehind", date(2014, 3, 3))
        _in_care(s, left, today - timedelta(days=10))
        s.add(
            Allocation(
                person_id=left,
                worker_id=worker.id,
                team_id=team.id,
                started_at=datetime(2026, 1, 5, 10, tzinfo=UTC) - timedelta(days=400),
                ended_at=datetime.now(UTC) - timedelta(days=2),  # the worker left; no one allocated since
            )
        )
        direct = _child(s, "Direct", date(2011, 7, 7))
        _in_care(s, direct, today - timedelta(days=10))  # came into care directly: never allocated
        s.flush()
        for child in (left, direct):
            recompute_for_child(s, child)
        held = {
            person_id: (worker_id, team_id)
            for person_id, worker_id, team_id in s.execute(
                select(Deadline.person_id, Deadline.worker_id, Deadline.team_id).where(
                    Deadline.person_id.in_((left, direct)), Deadline.rule_id == "care-plan"
                )
            )
        }
    assert held == {left: (None, team.id), direct: (None, None)}

    sign_in(client, manager)
    team_page = client.get("/due/team").text
    assert "Leftbehind" in team_page and "Direct Duepage" not in team_page
    service_page = client.get("/due/service").text
    assert "Children in care team 2" in service_page and "Unallocated" in service_page
    assert "Direct Duepage" in service_page and "Leftbehind Duepage" in service_page
