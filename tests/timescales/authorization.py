"""The timescales routes in the authorization matrix: who may use each (see tests/test_authorization_matrix.py).

- ``/due``: a worker's own deadlines (social workers, team managers, exploitation practitioners).
- ``/due/team``: a team manager across their team.
- ``/due/service``: across the council: team managers (the children) and performance analysts (figures only;
  decided: an analyst reads performance, not children's records). MASH staff, administrators and partners: none.
- ``/due/deadlines/{deadline_id}``: one deadline explained: a team manager, or the worker the child is allocated
  to (the world's deadline is on the social worker's child; an exploitation practitioner not allocated is refused).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from safeguarding.core.users import Role
from safeguarding.timescales.models import Deadline
from tests.matrix import Policy, Route, roles
from tests.support import Factory, World

R = Role

EXPECTED: dict[Route, Policy] = {
    ("GET", "/due"): roles(
        R.SOCIAL_WORKER,
        R.TEAM_MANAGER,
        R.EXPLOITATION_PRACTITIONER,
        R.PERSONAL_ADVISER,
        R.EARLY_HELP_PRACTITIONER,
        R.EARLY_HELP_MANAGER,
    ),
    ("GET", "/due/team"): roles(R.TEAM_MANAGER),
    ("GET", "/due/service"): roles(R.TEAM_MANAGER, R.PERFORMANCE_ANALYST, R.SERVICE_LEADER),
    ("GET", "/due/deadlines/{deadline_id}"): roles(R.SOCIAL_WORKER, R.TEAM_MANAGER),
}
# Bodies for unsafe requests, so that a well-formed request reaches the access policy.
FORMS: dict[Route, dict[str, str]] = {}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    """A derived assessment deadline on the world's child, allocated to the world's social worker."""
    referral_on: date = world.referral.referral_date
    worker = world.users[R.SOCIAL_WORKER.value]
    with factory.database.transaction() as s:
        deadline = Deadline(
            person_id=world.child.id,
            rule_id="assessment",
            source_kind="referral",
            source_id=world.referral.id,
            start_event="referral",
            started_on=referral_on,
            length=45,
            due_on=referral_on,
            status="due",
            worker_id=worker.id,
            team_id=worker.team_id,
        )
        s.add(deadline)
        s.flush()
        return {"deadline_id": deadline.id}
