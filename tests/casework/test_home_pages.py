"""Each role's home page says what is waiting (issue 14): the team manager's (assessments awaiting authorisation,
supervision due and overdue per worker, unallocated children the most urgent first with the urgency shown, caseloads
with the council's weighting) and the service leader's (read-only across the service)."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from safeguarding.casework.models import Allocation, Assessment, ChildProtectionPlan, Referral, Supervision
from safeguarding.core import local_settings
from safeguarding.core.access import PERMISSIONS, READ_ACTIONS
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from tests.front_door.test_screening_helpers import make_person, rename, staff
from tests.support import Factory, sign_in_as


def _referral(database: Database, person_id: int, route: str, days_ago: int) -> int:
    with database.transaction() as s:
        referral = Referral(
            person_id=person_id,
            referral_date=today_in_london() - timedelta(days=days_ago),
            referral_source="2A",
            route=route,
        )
        s.add(referral)
        s.flush()
        return referral.id


def _team(database: Database, factory: Factory) -> tuple[User, User, User]:
    team = factory.team("Assessment North", service="assessment")
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    ada = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    ben = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    rename(database, ada, "Ada Worker")
    rename(database, ben, "Ben Worker")
    return manager, ada, ben


def test_a_team_managers_home_page_shows_what_waits_for_them(
    client: TestClient, database: Database, factory: Factory
) -> None:
    manager, ada, ben = _team(database, factory)
    mash_worker, _ = staff(factory)
    today = today_in_london()
    # Two children of one name, told apart by their dates of birth; one waits for allocation after a strategy
    # discussion (the most urgent), the other for an assessment although she has waited longer.
    urgent = make_person(database, mash_worker, "Cara", "Samename", date(2015, 3, 1))
    waiting = make_person(database, mash_worker, "Cara", "Samename", date(2017, 8, 9))
    _referral(database, urgent, "strategy_discussion", 2)
    _referral(database, waiting, "referral_for_assessment", 20)
    # Ada's child: an assessment with an outcome, awaiting authorisation; on a child protection plan too.
    assessed = make_person(database, mash_worker, "Dan", "Assessed", date(2014, 1, 5))
    referral_id = _referral(database, assessed, "referral_for_assessment", 30)
    with database.transaction() as s:
        s.add(Allocation(person_id=assessed, worker_id=ada.id, team_id=ada.team_id))
        s.add(
            Assessment(
                person_id=assessed,
                referral_id=referral_id,
                started_on=today - timedelta(days=29),
                outcome="cin_plan",
                summary="Done",
            )
        )
        s.add(
            ChildProtectionPlan(
                person_id=assessed,
                referral_id=referral_id,
                started_on=today - timedelta(days=10),
                initial_category="NEG",
                latest_category="NEG",
            )
        )
        # Ada was supervised 40 days ago (overdue at the default 28 days); Ben a week ago.
        s.add(Supervision(worker_id=ada.id, supervisor_id=manager.id, held_on=today - timedelta(days=40)))
        s.add(Supervision(worker_id=ben.id, supervisor_id=manager.id, held_on=today - timedelta(days=7)))
        local_settings.put(s, "caseload.weight.child_protection", 1.5, None)

    sign_in_as(client, database, manager)
    assert client.get("/", follow_redirects=False).headers["location"] == "/home"
    page = client.get("/home")
    assert page.status_code == 200
    html = page.text

    awaiting = html.split('id="awaiting"', 1)[1].split("</table>", 1)[0]
    assert "Dan Assessed" in awaiting and "Ada Worker" in awaiting
    assert f"/cases/{assessed}/assessments/" in awaiting and "/authorise" in awaiting

    supervision = html.split('id="supervision"', 1)[1].split("</table>", 1)[0]
    assert supervision.index("Ada Worker") < supervision.index("Ben Worker")  # overdue first
    assert "Overdue by 12 days" in supervision

    unallocated = html.split('id="unallocated"', 1)[1].split("</table>", 1)[0]
    assert unallocated.index(f'data-person="{urgent}"') < unallocated.index(f'data-person="{waiting}"')
    assert "Strategy discussion (possible section 47)" in unallocated
    assert "Born 1 March 2015" in unallocated and "Born 9 August 2017" in unallocated

    caseloads = html.split('id="caseloads"', 1)[1].split("</table>", 1)[0]
    assert "Weighted caseload" in caseloads
    ada_row = caseloads.split("Ada Worker", 1)[1].split("</tr>", 1)[0]
    assert ">1<" in ada_row and ">1.5<" in ada_row


def test_the_supervision_interval_is_a_local_setting(client: TestClient, database: Database, factory: Factory) -> None:
    manager, ada, _ben = _team(database, factory)
    with database.transaction() as s:
        s.add(Supervision(worker_id=ada.id, supervisor_id=manager.id, held_on=today_in_london() - timedelta(days=40)))
        local_settings.put(s, "supervision.interval_days", 42, None)
    sign_in_as(client, database, manager)
    supervision = client.get("/home").text.split('id="supervision"', 1)[1].split("</table>", 1)[0]
    ada_row = supervision.split("Ada Worker", 1)[1].split("</tr>", 1)[0]
    assert "Overdue" not in ada_row and "Due" in ada_row
    # Without a weighting set, the caseload table shows children only.
    assert "Weighted caseload" not in client.get("/home").text


def test_the_service_leader_reads_across_the_service_and_changes_nothing(
    client: TestClient, database: Database, factory: Factory
) -> None:
    granted = {action for (_kind, action), roles in PERMISSIONS.items() if Role.SERVICE_LEADER in roles}
    assert granted and granted <= READ_ACTIONS
    leader = factory.user(Role.SERVICE_LEADER)
    sign_in_as(client, database, leader)
    assert client.get("/", follow_redirects=False).headers["location"] == "/home"
    home = client.get("/home")
    assert home.status_code == 200 and "Drift by team" in home.text
    for path in (
        "/due/service",
        "/returns/indicators",
        "/returns/workforce",
        "/returns/improvement",
        "/mash/dashboard",
        "/returns/cin-census",
        "/audit?action=decide",
    ):
        assert client.get(path).status_code == 200, path
        assert path.split("?")[0] in home.text, path
    # No child's record, no case work, no queue.
    for path in ("/people", "/mash/queue", "/due", "/unallocated-children"):
        assert client.get(path).status_code == 403, path
