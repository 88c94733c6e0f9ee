"""The insight routes (Annex A, indicators, workforce, improvement plan) in the authorization matrix: who may use each.

Every route the returns capability serves is declared here; ``extend_world`` adds the rows its path ids need to the
small council of ``tests.support.build_world`` and returns those ids (for example ``{"assessment_id": 7}``).
Policy (core/access.py, the insight block): Annex A is exported by performance analysts only; the indicators and
the improvement plan are read by analysts and managers; workforce by analysts, team managers and administrators,
and only administrators enter contracts and vacancies.
"""

from __future__ import annotations

from typing import Any

from safeguarding.core.users import Role
from tests.matrix import Policy, Route, roles
from tests.support import Factory, World

R = Role
ANALYSTS = roles(R.PERFORMANCE_ANALYST)
LEADERS = roles(R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.MASH_MANAGER)

EXPECTED: dict[Route, Policy] = {
    ("GET", "/returns/annex-a"): ANALYSTS,
    ("POST", "/returns/annex-a"): ANALYSTS,
    ("GET", "/returns/indicators"): LEADERS,
    ("GET", "/returns/indicators/csv"): LEADERS,
    ("GET", "/returns/indicators/children"): LEADERS,
}
# Bodies for unsafe requests, so that a well-formed request reaches the access policy.
FORMS: dict[Route, dict[str, str]] = {
    ("POST", "/returns/annex-a"): {"from": "2020-01-01", "to": "2030-12-31"},
}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {
    ("GET", "/returns/indicators/children"): {"indicator": "re_referrals"},
}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    return {}
