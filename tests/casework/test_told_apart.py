"""A team manager's lists tell same-named children apart by date of birth and where they live (the postcode
district of their current address), read with the list rather than a query a child: the home page's assessments
awaiting authorisation and unallocated children, the unallocated list, and the supervision form's cases."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import delete

from safeguarding.casework.models import Allocation
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.people.models import Address
from tests.support import Factory, sign_in_as, statements_sent
from tests.timescales import records


def _children(database: Database, worker: User, team_id: int, districts: list[str]) -> None:
    """For each district, two children called Jordan Smith born the same day: one allocated to ``worker`` with an
    assessment awaiting authorisation, one unallocated."""
    today = today_in_london()
    with database.transaction() as s:
        for n, district in enumerate(districts):
            for allocated in (True, False):
                child = records.child(s, "Jordan", "Smith")
                child.date_of_birth = date(2012, 11, 3)
                s.add(Address(person_id=child.id, line1=f"{n + 1} Any Road", postcode=f"{district} 2AB"))
                referral = records.open_case(s, child.id, worker.id, team_id, today - timedelta(days=20))
                if allocated:
                    records.assessment(s, referral, today - timedelta(days=19)).outcome = "cin_plan"
                else:
                    s.execute(delete(Allocation).where(Allocation.person_id == child.id))


def test_the_managers_lists_say_where_each_jordan_smith_lives(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = factory.team("Assessment North", service="assessment")
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    _children(database, worker, team.id, ["LS8", "YO1"])
    sign_in_as(client, database, manager)
    home = client.get("/home").text
    for table in ("awaiting", "unallocated"):
        section = home.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
        assert section.count("Born 3 November 2012") == 2, table
        assert "address in LS8" in section and "address in YO1" in section
    listed = client.get("/unallocated-children").text
    assert "address in LS8" in listed and "address in YO1" in listed
    form = client.get(f"/supervision/new?worker_id={worker.id}").text
    assert form.count("Born 3 November 2012") == 2 and "address in LS8" in form and "address in YO1" in form


def test_the_managers_lists_cost_the_same_statements_however_many_children(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = factory.team("Assessment North", service="assessment")
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    urls = ("/home", "/unallocated-children", f"/supervision/new?worker_id={worker.id}")
    _children(database, worker, team.id, ["LS8"])
    sign_in_as(client, database, manager)
    few = [len(statements_sent(client, url)[0]) for url in urls]
    _children(database, worker, team.id, ["LS6", "LS7", "YO10", "YO24", "HG1"])
    many = [len(statements_sent(client, url)[0]) for url in urls]
    assert few == many
