"""The care leaver routes in the authorization matrix (see tests/test_authorization_matrix.py).

- ``/care-leavers``: a personal adviser's own list; a team manager's every care leaver.
- opening a record and changing the adviser: team managers.
- a care leaver's page and its forms: the personal adviser named on the record (the world's care leaver is named to
  the world's adviser) and team managers; social workers read the page but record nothing on it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from safeguarding.children_in_care.care_leaver_models import CareLeaver
from safeguarding.core.users import Role
from tests.matrix import Policy, Route, roles
from tests.support import Factory, World

R = Role
ADVISER_AND_MANAGER = roles(R.PERSONAL_ADVISER, R.TEAM_MANAGER)
PAGE = "/care-leavers/{care_leaver_id}"

EXPECTED: dict[Route, Policy] = {
    ("GET", "/care-leavers"): ADVISER_AND_MANAGER,
    ("GET", "/care-leavers/new"): roles(R.TEAM_MANAGER),
    ("POST", "/care-leavers/new"): roles(R.TEAM_MANAGER),
    ("GET", PAGE): roles(R.PERSONAL_ADVISER, R.TEAM_MANAGER, R.SOCIAL_WORKER),
    # A deadline's page links to the record by the person: on to the same page, for the same people.
    ("GET", "/care-leavers/people/{person_id}"): roles(R.PERSONAL_ADVISER, R.TEAM_MANAGER, R.SOCIAL_WORKER),
    ("POST", f"{PAGE}/contacts"): ADVISER_AND_MANAGER,
    ("POST", f"{PAGE}/assessments"): ADVISER_AND_MANAGER,
    ("POST", f"{PAGE}/plans"): ADVISER_AND_MANAGER,
    ("POST", f"{PAGE}/reviews"): ADVISER_AND_MANAGER,
    ("POST", f"{PAGE}/oc3"): ADVISER_AND_MANAGER,
    ("POST", f"{PAGE}/adviser"): roles(R.TEAM_MANAGER),
}
FORMS: dict[Route, dict[str, str]] = {}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    """The world's child as a former relevant care leaver named to the world's personal adviser."""
    adviser = world.users[R.PERSONAL_ADVISER.value]
    with factory.database.transaction() as s:
        leaver = CareLeaver(
            person_id=world.child.id,
            personal_adviser_id=adviser.id,
            adviser_named_on=date(2026, 1, 5),
            left_care_on=date(2026, 1, 1),
            weeks_looked_after_since_14=60,
        )
        s.add(leaver)
        s.flush()
        return {"care_leaver_id": leaver.id}
