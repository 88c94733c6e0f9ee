"""The permanence routes in the authorization matrix (see tests/test_authorization_matrix.py).

- The child's permanence page: whoever reads the care record (the world's child is in care, with the world's IRO
  named: tests/children_in_care/authorization.py).
- Its forms: the child's social worker and team managers (the care record's CREATE); placing for adoption is a change
  of placement, which the placements team may also record (UPDATE).
- Prospective adopters: team managers and the placements team (family finding), nobody else.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from safeguarding.children_in_care.permanence_models import Adopter, AdoptiveFamily
from safeguarding.core.users import Role
from tests.children_in_care.authorization import CARE_WORKERS, PLACERS, RECORD_READERS
from tests.matrix import Policy, Route, roles
from tests.support import Factory, World

R = Role
FAMILY_FINDERS = roles(R.TEAM_MANAGER, R.PLACEMENTS_OFFICER)
BASE = "/children-in-care/{person_id}/permanence"

EXPECTED: dict[Route, Policy] = {
    ("GET", BASE): RECORD_READERS,
    ("GET", "/adopters"): FAMILY_FINDERS,
    ("GET", "/adopters/new"): FAMILY_FINDERS,
    ("POST", "/adopters/new"): FAMILY_FINDERS,
    ("GET", "/adopters/{adoptive_family_id}"): FAMILY_FINDERS,
    ("POST", "/adopters/{adoptive_family_id}"): FAMILY_FINDERS,
}
for _method in ("GET", "POST"):
    for _slug in ("decision", "match", "no-longer", "order", "plan", "previous"):
        EXPECTED[(_method, f"{BASE}/{_slug}")] = CARE_WORKERS
    EXPECTED[(_method, f"{BASE}/placed")] = PLACERS

FORMS: dict[Route, dict[str, str]] = {}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    """A family of prospective adopters."""
    with factory.database.transaction() as s:
        family = AdoptiveFamily(reference="AF00001", enquiry_on=date(2025, 6, 2))
        s.add(family)
        s.flush()
        s.add(Adopter(family_id=family.id, gender="b", ethnicity="WBRI", disabled=False))
        return {"adoptive_family_id": family.id}
