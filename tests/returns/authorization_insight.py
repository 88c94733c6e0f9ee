"""The insight routes (Annex A, indicators, workforce) in the authorization matrix: who may use each.

Every route the returns capability serves is declared here; ``extend_world`` adds the rows its path ids need to the
small council of ``tests.support.build_world`` and returns those ids (for example ``{"assessment_id": 7}``).
"""

from __future__ import annotations

from typing import Any

from tests.matrix import Policy, Route
from tests.support import Factory, World

EXPECTED: dict[Route, Policy] = {}
# Bodies for unsafe requests, so that a well-formed request reaches the access policy.
FORMS: dict[Route, dict[str, str]] = {}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    return {}
