"""A child in an open episode allocated to a social worker, with the team manager, another social worker, a partner
and an analyst, for the family network tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from safeguarding.casework.models import Allocation, Referral, Section47Enquiry, StrategyDiscussion
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.people import rules as people_rules
from safeguarding.people.models import Person, PersonKind
from tests.support import Factory


@dataclass
class Family:
    database: Database
    worker: User
    other_worker: User
    manager: User
    partner: User
    analyst: User
    child_id: int
    referral_date: date
    section47_id: int


@pytest.fixture()
def family(factory: Factory) -> Family:
    team = factory.team(name="Safeguarding team", service="casework")
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    other = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    partner = factory.user(Role.PARTNER_PRACTITIONER, agency_id=factory.agency().id)
    analyst = factory.user(Role.PERFORMANCE_ANALYST)
    referral_date = today_in_london() - timedelta(days=120)
    with factory.database.transaction() as s:
        child = Person(
            kind=PersonKind.CHILD, first_name="Jordan", last_name="Testfamily", sex="F", date_of_birth=date(2016, 5, 6)
        )
        s.add(child)
        s.flush()
        referral = Referral(
            person_id=child.id,
            referral_date=referral_date,
            referral_source="2A",
            primary_need="N1",
            route="referral_for_assessment",
        )
        s.add(referral)
        s.flush()
        s.add(Allocation(person_id=child.id, worker_id=worker.id, team_id=team.id))
        discussion = StrategyDiscussion(
            person_id=child.id, referral_id=referral.id, held_on=referral_date, decision="section47"
        )
        s.add(discussion)
        s.flush()
        enquiry = Section47Enquiry(
            person_id=child.id, referral_id=referral.id, strategy_discussion_id=discussion.id, started_on=referral_date
        )
        s.add(enquiry)
        s.flush()
        return Family(factory.database, worker, other, manager, partner, analyst, child.id, referral_date, enquiry.id)


def add_adult(database: Database, first_name: str, last_name: str, born: date = date(1965, 4, 3)) -> int:
    """An adult in the person index (a kinship carer to choose with the picker)."""
    with database.transaction() as s:
        person = Person(
            kind=PersonKind.ADULT,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=born,
            # The keys a name search reads (people.records keeps them on every save).
            first_name_key=people_rules.name_key(first_name),
            last_name_key=people_rules.name_key(last_name),
            first_name_sound=people_rules.sound_key(first_name),
            last_name_sound=people_rules.sound_key(last_name),
        )
        s.add(person)
        s.flush()
        return person.id
