"""A small case for the case work tests: a team, its manager, an allocated social worker, another social worker, an
analyst and a MASH worker; a child referred some weeks ago (so an assessment can be late), allocated to the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from safeguarding.casework.models import Allocation, Referral
from safeguarding.core.calendar import add_working_days
from safeguarding.core.db import Database, utcnow
from safeguarding.core.users import Role, Team, User
from safeguarding.people.models import FamilyRelationship, Person, PersonKind, RelationshipKind
from tests.support import Factory


@dataclass
class Case:
    database: Database
    team: Team
    manager: User
    worker: User
    other_worker: User
    analyst: User
    mash_worker: User
    child_id: int
    referral_id: int
    referral_date: date
    mother_id: int
    sibling_id: int

    def on(self, working_days: int) -> date:
        """A date this many working days after the referral."""
        return add_working_days(self.referral_date, working_days)


def make_case(factory: Factory, *, days_ago: int = 90, allocate: bool = True) -> Case:
    team = factory.team(name=f"Assessment team {days_ago}-{allocate}", service="assessment")
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    other = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    analyst = factory.user(Role.PERFORMANCE_ANALYST)
    mash = factory.user(Role.MASH_WORKER)
    referral_date = utcnow().date() - timedelta(days=days_ago)
    while referral_date.weekday() >= 5:
        referral_date -= timedelta(days=1)
    with factory.database.transaction() as s:
        child = Person(
            kind=PersonKind.CHILD, first_name="Casey", last_name="Testcase", sex="F", date_of_birth=date(2016, 6, 1)
        )
        mother = Person(
            kind=PersonKind.ADULT, first_name="Morgan", last_name="Testcase", sex="F", date_of_birth=date(1988, 2, 2)
        )
        sibling = Person(
            kind=PersonKind.CHILD, first_name="Sam", last_name="Testcase", sex="M", date_of_birth=date(2019, 9, 9)
        )
        s.add_all([child, mother, sibling])
        s.flush()
        s.add_all(
            [
                FamilyRelationship(from_person_id=mother.id, to_person_id=child.id, kind=RelationshipKind.PARENT),
                FamilyRelationship(from_person_id=mother.id, to_person_id=sibling.id, kind=RelationshipKind.PARENT),
                FamilyRelationship(from_person_id=child.id, to_person_id=sibling.id, kind=RelationshipKind.SIBLING),
            ]
        )
        referral = Referral(
            person_id=child.id,
            referral_date=referral_date,
            referral_source="2A",
            primary_need="N1",
            route="referral_for_assessment",
        )
        s.add(referral)
        s.flush()
        if allocate:
            s.add(Allocation(person_id=child.id, worker_id=worker.id, team_id=team.id))
        ids = (child.id, referral.id, mother.id, sibling.id)
    return Case(
        factory.database, team, manager, worker, other, analyst, mash, ids[0], ids[1], referral_date, ids[2], ids[3]
    )


@pytest.fixture()
def case(factory: Factory) -> Case:
    return make_case(factory)
