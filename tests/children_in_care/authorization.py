"""The children in care routes in the authorization matrix: who may use each (see tests/test_authorization_matrix.py).

The world's child is allocated to the world's social worker (tests/casework/authorization.py) and, here, in care,
with the world's independent reviewing officer named: so the social worker and the IRO are the child's own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from safeguarding.core.users import Role
from tests.matrix import CASEWORK, Policy, Route, roles
from tests.support import Factory, World

R = Role
IRO = R.INDEPENDENT_REVIEWING_OFFICER
RECORD_READERS = roles(*CASEWORK, IRO, R.PLACEMENTS_OFFICER, R.PERFORMANCE_ANALYST)
CARE_WORKERS = roles(R.SOCIAL_WORKER, R.TEAM_MANAGER)
PLACERS = roles(R.SOCIAL_WORKER, R.TEAM_MANAGER, R.PLACEMENTS_OFFICER)

EXPECTED: dict[Route, Policy] = {
    ("GET", "/children-in-care"): roles(R.TEAM_MANAGER, R.PLACEMENTS_OFFICER, IRO),
    ("GET", "/children-in-care/education"): roles(R.VIRTUAL_SCHOOL),
    ("GET", "/children-in-care/{person_id}"): RECORD_READERS,
    ("GET", "/children-in-care/placements/{care_placement_id}"): PLACERS,
    ("POST", "/children-in-care/placements/{care_placement_id}"): PLACERS,
}
for _method in ("GET", "POST"):
    EXPECTED[(_method, "/children-in-care/{person_id}/enter")] = CARE_WORKERS
    EXPECTED[(_method, "/children-in-care/{person_id}/plan")] = CARE_WORKERS
    EXPECTED[(_method, "/children-in-care/{person_id}/changes/legal-status")] = CARE_WORKERS
    EXPECTED[(_method, "/children-in-care/{person_id}/changes/leaving")] = CARE_WORKERS
    EXPECTED[(_method, "/children-in-care/{person_id}/changes/placement")] = PLACERS
    EXPECTED[(_method, "/children-in-care/{person_id}/changes/carer")] = PLACERS
    EXPECTED[(_method, "/children-in-care/{person_id}/reviews/new")] = roles(IRO, R.TEAM_MANAGER)
    EXPECTED[(_method, "/children-in-care/{person_id}/visits/new")] = CARE_WORKERS
    EXPECTED[(_method, "/children-in-care/{person_id}/health/new")] = CARE_WORKERS
    EXPECTED[(_method, "/children-in-care/{person_id}/outcomes/{year}")] = CARE_WORKERS
    EXPECTED[(_method, "/children-in-care/{person_id}/uasc")] = CARE_WORKERS
    EXPECTED[(_method, "/children-in-care/{person_id}/deprivation-of-liberty")] = CARE_WORKERS
    EXPECTED[(_method, "/children-in-care/{person_id}/deprivation-of-liberty/{deprivation_of_liberty_id}")] = (
        CARE_WORKERS
    )
    EXPECTED[(_method, "/children-in-care/{person_id}/education/new")] = roles(*CARE_WORKERS, R.VIRTUAL_SCHOOL)

FORMS: dict[Route, dict[str, str]] = {}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    """The world's child in care since the referral, with the world's IRO named: the first placement's id, and the
    collection year of today (the health and outcomes form's)."""
    from safeguarding.children_in_care.models import CareEvent, CarePeriod, DeprivationOfLiberty
    from safeguarding.children_in_care.outcomes import collection_year_of
    from safeguarding.core.calendar import today_in_london

    day = world.referral.referral_date - timedelta(days=1)
    with factory.database.transaction() as s:
        period = CarePeriod(
            person_id=world.child.id,
            started_on=day,
            unaccompanied_asylum_seeking=False,
            iro_id=world.users[IRO.value].id,
        )
        s.add(period)
        s.flush()
        start = CareEvent(
            period_id=period.id,
            person_id=world.child.id,
            kind="start",
            occurred_on=day,
            legal_status="C2",
            category_of_need="N1",
            placement_type="U6",
            placement_provider="PR1",
            carer="Synthetic Carer",
            placement_postcode="ZZ9 9ZZ",
            home_postcode="ZZ1 1ZZ",
            long_term=False,
        )
        s.add(start)
        order = DeprivationOfLiberty(period_id=period.id, person_id=world.child.id, started_on=day + timedelta(days=1))
        s.add(order)
        s.flush()
        return {
            "care_placement_id": start.id,
            "deprivation_of_liberty_id": order.id,
            "year": collection_year_of(today_in_london()),
        }
