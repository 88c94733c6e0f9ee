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
LEADERS = roles(R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.MASH_MANAGER, R.SERVICE_LEADER)
WORKFORCE_READERS = roles(R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.ADMINISTRATOR, R.SERVICE_LEADER)
ADMIN = roles(R.ADMINISTRATOR)
PLAN_KEEPERS = roles(R.PERFORMANCE_ANALYST, R.TEAM_MANAGER)

EXPECTED: dict[Route, Policy] = {
    ("GET", "/returns/annex-a"): ANALYSTS,
    ("POST", "/returns/annex-a"): ANALYSTS,
    ("GET", "/returns/indicators"): LEADERS,
    ("GET", "/returns/indicators/csv"): LEADERS,
    ("GET", "/returns/indicators/children"): LEADERS,
    ("GET", "/returns/workforce"): WORKFORCE_READERS,
    ("GET", "/returns/workforce/contracts"): WORKFORCE_READERS,
    ("POST", "/returns/workforce/contracts"): ADMIN,
    ("POST", "/returns/workforce/contracts/{contract_id}/end"): ADMIN,
    ("POST", "/returns/workforce/vacancies"): ADMIN,
    ("POST", "/returns/workforce/vacancies/{vacancy_id}/filled"): ADMIN,
    ("GET", "/returns/improvement"): LEADERS,
    ("POST", "/returns/improvement/items"): PLAN_KEEPERS,
    ("POST", "/returns/improvement/items/{improvement_item_id}/actions"): PLAN_KEEPERS,
    ("POST", "/returns/improvement/actions/{improvement_action_id}/done"): PLAN_KEEPERS,
}
# Bodies for unsafe requests, so that a well-formed request reaches the access policy.
FORMS: dict[Route, dict[str, str]] = {
    ("POST", "/returns/annex-a"): {"from": "2020-01-01", "to": "2030-12-31"},
    ("POST", "/returns/workforce/contracts"): {
        "user_id": "{user_id}",
        "job_title": "Social worker",
        "employment_type": "permanent",
        "fte": "1",
        "started_on": "2031-01-01",
        "case_holding": "yes",
    },
    ("POST", "/returns/workforce/contracts/{contract_id}/end"): {"left_on": "2026-01-31"},
    ("POST", "/returns/workforce/vacancies"): {"title": "Senior social worker", "fte": "1", "opened_on": "2026-01-01"},
    ("POST", "/returns/workforce/vacancies/{vacancy_id}/filled"): {"filled_on": "2026-02-01"},
    ("POST", "/returns/improvement/items"): {
        "kind": "finding",
        "source": "Monitoring visit letter",
        "reported_on": "2026-01-15",
        "text": "Matrix finding",
    },
    ("POST", "/returns/improvement/items/{improvement_item_id}/actions"): {
        "description": "Matrix action",
        "owner": "Head of service",
        "due_on": "2026-06-30",
    },
    ("POST", "/returns/improvement/actions/{improvement_action_id}/done"): {"done_on": "2026-02-01"},
}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {
    ("GET", "/returns/indicators/children"): {"indicator": "re_referrals"},
}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    """A contract for the world's social worker, an open vacancy in the world's team, and an item of the
    improvement plan with an action."""
    from datetime import date

    from safeguarding.insight.models import ImprovementAction, ImprovementItem, Vacancy, WorkerContract

    with factory.database.transaction() as s:
        contract = WorkerContract(
            user_id=world.users[R.SOCIAL_WORKER.value].id,
            employment_type="agency",
            agency_name="Matrix Locums",
            job_title="Social worker",
            started_on=date(2025, 1, 6),
            fte=1.0,
            case_holding=True,
        )
        vacancy = Vacancy(title="Matrix post", team_id=world.team.id, fte=1.0, opened_on=date(2025, 10, 1))
        item = ImprovementItem(
            kind="recommendation",
            source="Monitoring visit letter",
            reported_on=date(2025, 12, 1),
            text="Matrix recommendation",
            indicators=["assessments_45"],
        )
        s.add_all([contract, vacancy, item])
        s.flush()
        action = ImprovementAction(
            item_id=item.id, description="Matrix action", owner="Service manager", due_on=date(2026, 3, 1)
        )
        s.add(action)
        s.flush()
        return {
            "contract_id": contract.id,
            "vacancy_id": vacancy.id,
            "improvement_item_id": item.id,
            "improvement_action_id": action.id,
        }
