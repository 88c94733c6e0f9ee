"""A team manager's lists tell same-named children apart by date of birth and where they live (the postcode
district of their current address), read with the list rather than a query a child: the home page's assessments
awaiting authorisation and unallocated children, the unallocated list, and the supervision form's cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from safeguarding.casework.models import Allocation
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from tests.support import Factory, sign_in_as, statements_sent
from tests.timescales import records


@dataclass
class North:
    worker: User
    manager: User

    def children(self, database: Database, districts: list[str]) -> None:
        """For each district, two Jordan Smiths born the same day living there: one allocated to the worker with an
        assessment awaiting authorisation, one unallocated."""
        today = today_in_london()
        twice = [district for district in districts for _ in range(2)]
        with database.transaction() as s:
            referrals = records.jordan_smiths(s, self.worker.id, self.worker.team_id, twice, today - timedelta(days=20))
            for allocated, referral in zip([True, False] * len(districts), referrals, strict=True):
                if allocated:
                    records.assessment(s, referral, today - timedelta(days=19)).outcome = "cin_plan"
                else:
                    s.execute(delete(Allocation).where(Allocation.person_id == referral.person_id))


@pytest.fixture
def north(factory: Factory) -> North:
    team = factory.team("Assessment North", service="assessment")
    return North(factory.user(Role.SOCIAL_WORKER, team_id=team.id), factory.user(Role.TEAM_MANAGER, team_id=team.id))


def test_the_managers_lists_say_where_each_jordan_smith_lives(
    north: North, database: Database, client: TestClient
) -> None:
    north.children(database, ["LS8", "YO1"])
    sign_in_as(client, database, north.manager)
    home = client.get("/home").text
    for table in ("awaiting", "unallocated"):
        section = home.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
        assert section.count("Born 3 November 2012") == 2, table
        assert "address in LS8" in section and "address in YO1" in section
    # Each row's link says whose it is to a screen reader too.
    assert home.count('Allocate<span class="govuk-visually-hidden"> Jordan Smith, born 3 November 2012</span>') == 2
    listed = client.get("/unallocated-children").text
    assert "address in LS8" in listed and "address in YO1" in listed
    form = client.get(f"/supervision/new?worker_id={north.worker.id}").text
    assert form.count("Born 3 November 2012") == 2 and "address in LS8" in form and "address in YO1" in form


def test_the_managers_lists_cost_the_same_statements_however_many_children(
    north: North, database: Database, client: TestClient
) -> None:
    urls = ("/home", "/unallocated-children", f"/supervision/new?worker_id={north.worker.id}")
    north.children(database, ["LS8"])
    sign_in_as(client, database, north.manager)
    few = [len(statements_sent(client, url)[0]) for url in urls]
    north.children(database, ["LS6", "LS7", "YO10", "YO24", "HG1"])
    many = [len(statements_sent(client, url)[0]) for url in urls]
    assert few == many
