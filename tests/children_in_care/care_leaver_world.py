"""A small world of care leavers: a team manager, two personal advisers, and a former relevant young person named to
the first adviser (left care at 17 after two years looked after)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from safeguarding.children_in_care.care_leaver_models import CareLeaver
from safeguarding.children_in_care.care_leavers import birthday
from safeguarding.core.calendar import today_in_london
from safeguarding.core.users import Role, User
from safeguarding.timescales.service import recompute_for_child
from tests.front_door.test_screening_helpers import make_person
from tests.support import Factory


@dataclass
class CareLeaverWorld:
    manager: User
    adviser: User
    other_adviser: User
    social_worker: User
    person_id: int
    leaver_id: int
    born: date


def build(factory: Factory, *, named_days_ago: int = 30) -> CareLeaverWorld:
    team = factory.team("Leaving care", service="children_in_care")
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    adviser = factory.user(Role.PERSONAL_ADVISER, team_id=team.id)
    other = factory.user(Role.PERSONAL_ADVISER, team_id=team.id)
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    today = today_in_london()
    born = birthday(today, -19) - timedelta(days=40)  # 19 and a bit
    person_id = make_person(factory.database, manager, "Jordan", "Leaver", born)
    with factory.database.transaction() as s:
        leaver = CareLeaver(
            person_id=person_id,
            personal_adviser_id=adviser.id,
            adviser_named_on=today - timedelta(days=named_days_ago),
            left_care_on=birthday(born, 17),
            weeks_looked_after_since_14=104,
            created_by_id=manager.id,
        )
        s.add(leaver)
        s.flush()
        recompute_for_child(s, person_id)
        leaver_id = leaver.id
    return CareLeaverWorld(manager, adviser, other, worker, person_id, leaver_id, born)
