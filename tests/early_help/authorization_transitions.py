"""Step-up, step-down, Family Help's change of plan and Supporting Families in the authorization matrix (see
tests/test_authorization_matrix.py).

- step-up: the council's early help staff and the partner who leads the family (the other agency's partner, who
  leads another family, is refused this one);
- step-down from social care: team managers, who close the social care episode (case work's sign-off);
- a change of plan under Family Help: early help managers (it changes the lead practitioner);
- an episode's Supporting Families outcomes: those who work the episode; the list of families with significant and
  sustained progress and its download: early help managers (``Kind.SUPPORTING_FAMILIES``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from safeguarding.core.users import Role
from safeguarding.early_help.models import (
    ConsentScope,
    EarlyHelpConsent,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EpisodeLevel,
    EpisodeSource,
    FamilyMemberRole,
)
from tests.matrix import PARTNER, Policy, Route, roles
from tests.support import Factory, World

R = Role
STAFF = roles(R.EARLY_HELP_PRACTITIONER, R.EARLY_HELP_MANAGER)
WORKERS = STAFF | {PARTNER}
MANAGERS = roles(R.EARLY_HELP_MANAGER)
PAGE = "/early-help/{episode_id}"

EXPECTED: dict[Route, Policy] = {
    ("GET", f"{PAGE}/step-up"): WORKERS,
    ("POST", f"{PAGE}/step-up"): WORKERS,
    ("GET", "/early-help/step-down/{person_id}"): roles(R.TEAM_MANAGER),
    ("POST", "/early-help/step-down/{person_id}"): roles(R.TEAM_MANAGER),
    ("GET", "/early-help/step-down/{person_id}/done"): roles(R.TEAM_MANAGER),
    ("GET", f"{PAGE}/change-plan"): MANAGERS,
    ("POST", f"{PAGE}/change-plan"): MANAGERS,
    ("GET", f"{PAGE}/outcomes"): WORKERS,
    ("POST", f"{PAGE}/outcomes/mappings"): WORKERS,
    ("POST", f"{PAGE}/outcomes/progress"): WORKERS,
    ("GET", "/early-help/supporting-families"): MANAGERS,
    ("GET", "/early-help/supporting-families/csv"): MANAGERS,
}
FORMS: dict[Route, dict[str, str]] = {}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    """The world's child's family in early help, led by the world's partner with the family's consent to share with
    their agency (the early help matrix makes it where it runs first)."""
    if "episode_id" in world.extra_ids:
        return {}
    partner = world.users[PARTNER]
    with factory.database.transaction() as s:
        episode = EarlyHelpEpisode(
            family_name="The Matrix family",
            level=EpisodeLevel.FAMILY_HELP_TARGETED,
            source=EpisodeSource.PARTNER_REQUEST,
            started_on=date(2026, 9, 1),
            lead_practitioner_id=partner.id,
            requested_by_id=partner.id,
            requested_by_agency_id=world.agency.id,
        )
        episode.members.append(
            EarlyHelpFamilyMember(
                person_id=world.child.id,
                role=FamilyMemberRole.CHILD,
                first_name=world.child.first_name,
                last_name=world.child.last_name,
            )
        )
        s.add(episode)
        s.flush()
        s.add(
            EarlyHelpConsent(
                episode_id=episode.id,
                scope=ConsentScope.SHARING,
                agency_id=world.agency.id,
                given_by_name="A parent",
                given_on=date(2026, 9, 1),
            )
        )
        return {"episode_id": episode.id}
