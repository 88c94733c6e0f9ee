"""The early help routes in the authorization matrix (see tests/test_authorization_matrix.py).

The world's child is in an early help episode led by the world's partner practitioner (the police agency's), with
the family's consent to share with that agency; the other agency's partner leads another family's episode, and is
refused this one (a partner who leads one family trying another's by changing the id).

- ``/early-help``: the council's early help staff (every episode) and any partner (the families they lead);
  ``/early-help/due``: the early help clocks of the families the user leads, for the same people.
- starting an episode: early help staff, the MASH (from a contact decided early help) and any partner.
- an episode's page and its forms: early help staff and the partner who leads it; changing the lead practitioner
  and matching the family to the person index: early help managers.
- a person's early help history: early help staff, the MASH and social care.
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
from tests.matrix import ANY_PARTNER, MASH, PARTNER, Policy, Route, roles
from tests.support import OTHER_AGENCY_PARTNER, Factory, World

R = Role
STAFF = roles(R.EARLY_HELP_PRACTITIONER, R.EARLY_HELP_MANAGER)
WORKERS = STAFF | {PARTNER}
PAGE = "/early-help/{episode_id}"

EXPECTED: dict[Route, Policy] = {
    ("GET", "/early-help"): STAFF | ANY_PARTNER,
    # The clocks of the families the user leads: any partner (the other agency's sees only its own family, and the
    # world's child never: tests/early_help/test_lead_due.py), and early help staff (the families they lead).
    ("GET", "/early-help/due"): STAFF | ANY_PARTNER,
    ("GET", "/early-help/new"): STAFF | MASH | ANY_PARTNER,
    ("POST", "/early-help/new"): STAFF | MASH | ANY_PARTNER,
    ("GET", PAGE): WORKERS,
    # A deadline's page links to the episode by the person: on to the same page, for the same people.
    ("GET", "/early-help/people/{person_id}"): WORKERS,
    ("GET", "/early-help/history/{person_id}"): STAFF | MASH | roles(R.SOCIAL_WORKER, R.TEAM_MANAGER),
    ("POST", f"{PAGE}/lead"): roles(R.EARLY_HELP_MANAGER),
    ("POST", f"{PAGE}/matches"): roles(R.EARLY_HELP_MANAGER),
}
for _action in (
    "consents",
    "consent-withdrawals",
    "assessments",
    "assessment-completions",
    "plans",
    "needs",
    "team",
    "meetings",
    "close",
):
    EXPECTED[("POST", f"{PAGE}/{_action}")] = WORKERS
FORMS: dict[Route, dict[str, str]] = {}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    """The world's child's family, led by the world's partner with consent to share with their agency; another family
    led by the other agency's partner."""
    partner, other = world.users[PARTNER], world.users[OTHER_AGENCY_PARTNER]
    with factory.database.transaction() as s:
        episodes = []
        for lead, agency_id, family in ((partner, world.agency.id, "Matrix"), (other, world.other_agency.id, "Other")):
            episode = EarlyHelpEpisode(
                family_name=f"The {family} family",
                level=EpisodeLevel.TARGETED_EARLY_HELP,
                source=EpisodeSource.PARTNER_REQUEST,
                started_on=date(2026, 9, 1),
                lead_practitioner_id=lead.id,
                requested_by_id=lead.id,
                requested_by_agency_id=agency_id,
            )
            if family == "Matrix":
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
                    agency_id=agency_id,
                    given_by_name="A parent",
                    given_on=date(2026, 9, 1),
                )
            )
            episodes.append(episode.id)
        return {"episode_id": episodes[0]}
