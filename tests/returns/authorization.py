"""The returns routes in the authorization matrix: who may use each (see tests/test_authorization_matrix.py).

- ``GET /returns/cin-census``: the analysts' page of the CIN census checked on the live record: performance
  analysts (who prepare the return) and team managers (who fix their service's data). Findings name children, so
  no one else sees it; partners never.
- ``POST /returns/cin-census/run``: re-run the check now: the same two roles (STATUTORY_RETURN update).
- ``GET /returns/ssda903`` and ``POST /returns/ssda903/run``: the SSDA903 return checked on the live record, as the
  CIN census's page: whoever may see that page may see this one, and the same two roles re-run it.
- ``POST /returns/ssda903/export``: the return downloaded from the live record: performance analysts only
  (STATUTORY_RETURN export, as the command line's export).

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
    ("GET", "/returns/ssda903"): roles(R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.SERVICE_LEADER),
    ("POST", "/returns/ssda903/run"): roles(R.PERFORMANCE_ANALYST, R.TEAM_MANAGER),
    ("POST", "/returns/ssda903/export"): roles(R.PERFORMANCE_ANALYST),
}
# Bodies for unsafe requests, so that a well-formed request reaches the access policy.
FORMS: dict[Route, dict[str, str]] = {
    ("POST", "/returns/cin-census/run"): {"year": "2026"},
    ("POST", "/returns/ssda903/run"): {"year": "2026"},
    ("POST", "/returns/ssda903/export"): {"year": "2026", "format": "csv"},
}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    return {}
