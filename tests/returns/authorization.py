"""The returns routes in the authorization matrix: who may use each (see tests/test_authorization_matrix.py).

- ``GET /returns/cin-census``: the analysts' page of the CIN census checked on the live record: performance
  analysts (who prepare the return) and team managers (who fix their service's data). Findings name children, so
  no one else sees it; partners never.
- ``POST /returns/cin-census/run``: re-run the check now: the same two roles (STATUTORY_RETURN update).

Every route the returns capability serves is declared here; ``extend_world`` adds the rows its path ids need to the
small council of ``tests.support.build_world`` and returns those ids (for example ``{"assessment_id": 7}``).
"""

from __future__ import annotations

from typing import Any

from safeguarding.core.users import Role
from tests.matrix import Policy, Route, roles
from tests.support import Factory, World

R = Role

EXPECTED: dict[Route, Policy] = {
    ("GET", "/returns/cin-census"): roles(R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.SERVICE_LEADER),
    ("POST", "/returns/cin-census/run"): roles(R.PERFORMANCE_ANALYST, R.TEAM_MANAGER),
}
# Bodies for unsafe requests, so that a well-formed request reaches the access policy.
FORMS: dict[Route, dict[str, str]] = {
    ("POST", "/returns/cin-census/run"): {"year": "2026"},
}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    return {}
