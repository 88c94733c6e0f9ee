"""A child in a case for the children in care tests: allocated to a social worker in a team, with the team's manager,
an independent reviewing officer, another IRO, a placements officer, a virtual school officer and an analyst."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from safeguarding.casework.models import Allocation, Referral
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.people.models import Person, PersonKind
from tests.support import Factory


@dataclass
class Care:
    database: Database
    worker: User
    other_worker: User
    manager: User
    iro: User
    other_iro: User
    placements: User
    virtual_school: User
    analyst: User
    child_id: int
    referral_date: date


@pytest.fixture()
def care(factory: Factory) -> Care:
    team = factory.team(name="Children in care team", service="children_in_care")
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    other = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    iro = factory.user(Role.INDEPENDENT_REVIEWING_OFFICER)
    other_iro = factory.user(Role.INDEPENDENT_REVIEWING_OFFICER)
    placements = factory.user(Role.PLACEMENTS_OFFICER)
    school = factory.user(Role.VIRTUAL_SCHOOL)
    analyst = factory.user(Role.PERFORMANCE_ANALYST)
    referral_date = date.today() - timedelta(days=120)
    with factory.database.transaction() as s:
        child = Person(
            kind=PersonKind.CHILD, first_name="Robin", last_name="Testcare", sex="M", date_of_birth=date(2015, 3, 4)
        )
        s.add(child)
        s.flush()
        s.add(
            Referral(
                person_id=child.id,
                referral_date=referral_date,
                referral_source="2A",
                primary_need="N1",
                route="referral_for_assessment",
            )
        )
        s.add(Allocation(person_id=child.id, worker_id=worker.id, team_id=team.id))
        child_id = child.id
    return Care(
        factory.database, worker, other, manager, iro, other_iro, placements, school, analyst, child_id, referral_date
    )
