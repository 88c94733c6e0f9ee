"""The vocabulary of the authorization matrix, shared by every capability's declarations.

Each capability declares its routes in ``tests/<capability>/authorization.py`` (``EXPECTED``, ``FORMS``,
``JSON_BODIES``, ``QUERIES`` and ``extend_world``); ``tests/test_authorization_matrix.py`` merges them.
"""

from __future__ import annotations

from typing import Literal

from safeguarding.core.users import Role
from tests.support import OTHER_AGENCY_PARTNER

R = Role
Public = Literal["public"]
PUBLIC: Public = "public"

PARTNER = R.PARTNER_PRACTITIONER.value
STAFF_ROLES = frozenset(r.value for r in Role if r != R.PARTNER_PRACTITIONER)
EVERY_USER = frozenset(r.value for r in Role) | {OTHER_AGENCY_PARTNER}
CASEWORK = frozenset({R.MASH_WORKER, R.MASH_MANAGER, R.SOCIAL_WORKER, R.TEAM_MANAGER, R.EXPLOITATION_PRACTITIONER})
MASH = frozenset({R.MASH_WORKER.value, R.MASH_MANAGER.value})
EARLY_HELP_STAFF = frozenset({R.EARLY_HELP_PRACTITIONER.value, R.EARLY_HELP_MANAGER.value})
ADMIN = frozenset({R.ADMINISTRATOR.value})
AUDIT_READERS = frozenset({R.MASH_MANAGER.value, R.TEAM_MANAGER.value, R.ADMINISTRATOR.value, R.SERVICE_LEADER.value})
# A partner of the owning agency, but not of another agency.
OWNING_PARTNER = frozenset({PARTNER})
# Any partner: lists scoped to the partner's own agency (the other agency sees its own, empty, list).
ANY_PARTNER = frozenset({PARTNER, OTHER_AGENCY_PARTNER})


def roles(*members: Role | str) -> frozenset[str]:
    return frozenset(m.value if isinstance(m, Role) else m for m in members)


API_PREFIX = "/api/v1"
# Mounted file folders and the API's own documents are not routes with a policy.
UNPOLICED_MOUNTS = frozenset({"/static", "/assets"})
UNPOLICED_PATHS = frozenset({f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/docs"})

Route = tuple[str, str]
Policy = frozenset[str] | Public
