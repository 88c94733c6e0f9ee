"""Step-up and step-down between early help and children's social care, as recorded transitions (pure rules).

What a transition records (early-help.md §1.5, from the published step-up / step-down protocols): the direction,
from which service to which, the decision date and who made it, the reason, the family's consent, the handover
meeting, the new lead practitioner, and what it made in the record (a contact to the front door, a closure RC9, the
child in need review it was agreed at).

Sources:

- Step-up: when needs are not met despite the plan or risk rises, a planned step-up goes to the front door (Leeds
  Children's Services "Transfer to Children's Social Work Service from Early Help", August 2025; Devon SCP "Early
  Help journey" step 6). A concern of significant harm goes straight to the front door, never through early help.
  Information is shared with children's social care without consent where someone is at risk of harm (Newcastle
  "Early Help"; front-door.md §6: consent is not the lawful basis for safeguarding sharing), so a step-up without
  consent is allowed where a child is at risk, with that reason.
- Step-down after assessment: the social care episode closes with the CIN census reason **RC9** "Case closed after
  assessment, referred to early help" (DfE CIN census code set; validation rules 2990, 8825Q, 8873Q), linked to the
  early help episode it opens or continues.
- Step-down from a child in need plan: agreed at a child in need review, with the lead practitioner identified
  there and the family's consent (Gloucestershire "Stepping down the graduated pathway from level four"; Knowsley SCP
  4.16 "Step Up / Step Down", June 2023); a handover (step-down) meeting before the change of teams (Southwark
  "Step down casework from CSC to Family Early Help", January 2023). Knowsley's protocol gives no step-down from a
  child protection plan straight to early help: a child protection plan steps down to child in need first.
- Family Help: under the Families First reforms targeted early help and section 17 child in need work are one
  service, so a move between them is a change of plan and of lead practitioner inside one episode, not a transfer
  (DfE Families First Partnership programme guide, March 2025, as restated by Bucks MAPP and Telford & Wrekin SP).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

REASON_MAX_CHARS: Final = 4000
CONSENT_NOTES_MAX_CHARS: Final = 2000
STEP_UP_SOURCE: Final = "5D"  # CIN census ReferralSource "LA services – early help"
STEP_DOWN_CLOSURE: Final = "RC9"  # CIN census ReasonForClosure "Case closed after assessment, referred to early help"


class Direction(StrEnum):
    UP = "up"  # early help to children's social care
    DOWN = "down"  # children's social care to early help
    ACROSS = "across"  # Family Help: targeted help <-> child in need work, inside one episode


DIRECTION_LABELS: Final = MappingProxyType(
    {
        Direction.UP: "Stepped up to children's social care",
        Direction.DOWN: "Stepped down to early help",
        Direction.ACROSS: "Change of plan within Family Help",
    }
)


class Route(StrEnum):
    """Where a step-down comes from, which decides what the record must show."""

    FRONT_DOOR = "front_door"  # step-up: a contact to the front door
    AFTER_ASSESSMENT = "after_assessment"  # step-down: the episode closed RC9 after the assessment
    CIN_REVIEW = "cin_review"  # step-down: agreed at the child in need review
    FAMILY_HELP = "family_help"  # across: a change of plan inside the Family Help episode


ROUTE_LABELS: Final = MappingProxyType(
    {
        Route.FRONT_DOOR: "Contact to the front door",
        Route.AFTER_ASSESSMENT: "Closed after assessment, referred to early help (RC9)",
        Route.CIN_REVIEW: "Agreed at the child in need review",
        Route.FAMILY_HELP: "Change of plan and lead practitioner",
    }
)


class Consent(StrEnum):
    """The family's consent to the transition and to sharing what it needs."""

    GIVEN = "given"
    REFUSED_AT_RISK = "refused_at_risk"  # the family refused; a child is at risk, so it goes ahead (reason given)
    NOT_SOUGHT_AT_RISK = "not_sought_at_risk"  # seeking it would put a child at risk (reason given)


CONSENT_LABELS: Final = MappingProxyType(
    {
        Consent.GIVEN: "The family agrees",
        Consent.REFUSED_AT_RISK: "The family does not agree, and a child is at risk",
        Consent.NOT_SOUGHT_AT_RISK: "Not asked: asking would put a child at risk",
    }
)
# Which consents a direction may go ahead with. A step-down or a change of plan is voluntary help: it needs the
# family's agreement (Gloucestershire; Southwark). A step-up may go ahead without it where a child is at risk.
ALLOWED_CONSENT: Final = MappingProxyType(
    {
        Direction.UP: frozenset(Consent),
        Direction.DOWN: frozenset({Consent.GIVEN}),
        Direction.ACROSS: frozenset({Consent.GIVEN}),
    }
)
CONSENT_NEEDS_REASON: Final = frozenset({Consent.REFUSED_AT_RISK, Consent.NOT_SOUGHT_AT_RISK})


class PlanKind(StrEnum):
    """The plan a Family Help episode works to (targeted early help, or section 17 child in need work)."""

    TARGETED = "targeted"
    CHILD_IN_NEED = "child_in_need"


PLAN_LABELS: Final = MappingProxyType(
    {PlanKind.TARGETED: "Targeted early help", PlanKind.CHILD_IN_NEED: "Child in need (section 17)"}
)


def consent_problem(direction: Direction, consent: Consent | None, reason: str | None) -> str | None:
    """Why this consent cannot go with this transition, or None."""
    if consent is None:
        return "Choose whether the family agrees"
    if consent not in ALLOWED_CONSENT[direction]:
        return (
            "A step-down needs the family's agreement to early help: record it, or keep the case with social care"
            if direction == Direction.DOWN
            else "A change of plan needs the family's agreement"
        )
    if consent in CONSENT_NEEDS_REASON and not (reason or "").strip():
        return "Say why a child is at risk, so the step-up goes ahead without the family's agreement"
    return None


@dataclass(frozen=True)
class ContactTerms:
    """How a step-up's contact to the front door is made: who reports it and with which CIN census source."""

    partner: bool  # a partner lead practitioner sends it through the portal; council staff record it
    referral_source: str
    consent: str  # front_door.models.ConsentPosition's value


# The front door's consent positions (front_door.models.ConsentPosition), by the step-up's consent.
CONTACT_CONSENT: Final = MappingProxyType(
    {
        Consent.GIVEN: "consent_given",
        Consent.REFUSED_AT_RISK: "aware_not_consented",
        Consent.NOT_SOUGHT_AT_RISK: "not_informed_risk",
    }
)


def contact_terms(consent: Consent, partner_agency_source: str | None) -> ContactTerms:
    """The step-up's contact. A council early help practitioner steps up from the council's own early help: CIN
    census source 5D "LA services – early help". A partner lead practitioner (a school, a health visitor) makes the
    contact on behalf of their agency, with the agency's own source (2A schools, 3B health visitor): the census counts
    who made the referral, and a school's designated lead is the school (DfE CIN census guide, ReferralSource)."""
    if partner_agency_source is not None:
        return ContactTerms(True, partner_agency_source or STEP_UP_SOURCE, CONTACT_CONSENT[consent])
    return ContactTerms(False, STEP_UP_SOURCE, CONTACT_CONSENT[consent])


def other_plan(kind: PlanKind) -> PlanKind:
    return PlanKind.CHILD_IN_NEED if kind == PlanKind.TARGETED else PlanKind.TARGETED


# --- step-down: what the social care episode must show, and how it closes ------------------------------------------

# A step-down from a child in need plan closes the social care episode with RC7 "Services ceased for any other reason,
# including child no longer in need": RC9 is only "closed after assessment", and the CIN census refuses RC8 and RC9
# on an episode with a child in need plan, a section 47 or a child protection plan (validation rule 2990).
STEP_DOWN_FROM_PLAN_CLOSURE: Final = "RC7"
STEP_DOWN_CLOSURES: Final = MappingProxyType(
    {Route.AFTER_ASSESSMENT: STEP_DOWN_CLOSURE, Route.CIN_REVIEW: STEP_DOWN_FROM_PLAN_CLOSURE}
)


@dataclass(frozen=True)
class SocialCareEpisode:
    """What the step-down reads of the child's open social care episode (plain values)."""

    assessments_completed: int
    assessments_open: int
    open_cin_plan: bool
    had_cin_plan: bool  # a child in need plan in the episode, open or ended
    open_cp_plan: bool
    had_protection: bool  # a section 47, an initial conference or a child protection plan in the episode
    open_section47: bool


def step_down_route(episode: SocialCareEpisode) -> Route:
    """A child on a child in need plan steps down at the plan's review; otherwise after the assessment (RC9)."""
    return Route.CIN_REVIEW if episode.open_cin_plan else Route.AFTER_ASSESSMENT


def step_down_blockers(episode: SocialCareEpisode) -> list[str]:
    """Why the child cannot step down to early help now (empty: they can), in words a manager acts on.

    - A child protection plan steps down to child in need first (Knowsley SCP 4.16).
    - An open section 47 enquiry or assessment is finished first (the closure refuses it: casework.rules).
    - After assessment: RC9 needs a completed assessment (CIN census rule 8825Q) and no section 47, conference,
      child protection plan or child in need plan in the episode (rule 2990)."""
    found: list[str] = []
    if episode.open_cp_plan:
        found.append("A child protection plan steps down to a child in need plan first, not straight to early help")
    if episode.open_section47:
        found.append("Finish the section 47 enquiry before stepping down")
    if episode.assessments_open:
        found.append("Complete the assessment before stepping down")
    if step_down_route(episode) == Route.AFTER_ASSESSMENT and not episode.open_cp_plan:
        if not episode.assessments_completed and not episode.assessments_open:
            found.append("A step-down after assessment needs a completed assessment in this episode")
        if episode.had_protection or episode.had_cin_plan:
            found.append(
                "This episode had a section 47, a child protection conference or plan, or a child in need plan: "
                "it cannot close as 'closed after assessment, referred to early help'"
            )
    return found


# --- Family Help: a change of plan inside one episode ---------------------------------------------------------------

# The episode's level for each plan of Family Help (early_help.models.EpisodeLevel's values).
FAMILY_HELP_LEVELS: Final = MappingProxyType(
    {PlanKind.TARGETED: "family_help_targeted", PlanKind.CHILD_IN_NEED: "family_help_child_in_need"}
)


def plan_of_level(level: str) -> PlanKind | None:
    """The Family Help plan an episode's level is at, or None where the episode is not Family Help (targeted early
    help steps up to social care through the front door instead)."""
    for kind, value in FAMILY_HELP_LEVELS.items():
        if value == level:
            return kind
    return None
