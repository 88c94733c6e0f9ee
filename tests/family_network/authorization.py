"""The family network routes in the authorization matrix (see tests/test_authorization_matrix.py).

The page is read with the child's case (everyone who works cases and the analyst); its forms are for whoever may
change the case: the allocated social worker (the world's) and team managers (casework.case_access).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from safeguarding.core.users import Role
from tests.matrix import CASEWORK, Policy, Route, roles
from tests.support import Factory, World

R = Role
READERS = roles(*CASEWORK, R.PERFORMANCE_ANALYST)
WRITERS = roles(R.SOCIAL_WORKER, R.TEAM_MANAGER)
CASE = "/cases/{person_id}"

EXPECTED: dict[Route, Policy] = {("GET", f"{CASE}/family-network"): READERS}
for _method in ("GET", "POST"):
    for _path in (
        f"{CASE}/family-network/offers/new",
        f"{CASE}/family-network/meetings/new",
        f"{CASE}/pre-proceedings/new",
        f"{CASE}/pre-proceedings/{{pp_id}}/edit",
        f"{CASE}/kinship/new",
        f"{CASE}/kinship/{{arrangement_id}}/edit",
        f"{CASE}/kinship/{{arrangement_id}}/support/new",
    ):
        EXPECTED[(_method, _path)] = WRITERS
FORMS: dict[Route, dict[str, str]] = {}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    """Pre-proceedings in the world's child's episode and a kinship arrangement."""
    from safeguarding.family_network.models import KinshipArrangement, PreProceedings

    day = world.referral.referral_date + timedelta(days=1)
    with factory.database.transaction() as s:
        pp = PreProceedings(person_id=world.child.id, referral_id=world.referral.id, decided_on=day)
        arrangement = KinshipArrangement(
            person_id=world.child.id,
            carer_name="Pat Synthetic",
            carer_relationship="Aunt",
            kind="informal",
            started_on=day,
        )
        s.add_all([pp, arrangement])
        s.flush()
        return {"pp_id": pp.id, "arrangement_id": arrangement.id}
