"""Pure rules of early help and Family Help: the levels, how an episode starts, the closure reasons a council offers,
the anchors of the local timescales, and the due dates they give.

Everything here but the labels is a **local standard** (early-help.md §1: "everything in section 1 except the WT2023
rows is a local standard and must be a setting per council"): the lengths and anchors are local settings
(``core.local_settings``, keys ``early_help.*``) and the clocks are rules of the timescales registry
(``timescales.rules``: EH1-EH4) with their published sources:

- Sefton Council, "Early help - Timescales" (updated 23 January 2023): the assessment's conclusions and actions, a
  copy to the family, within 15 working days; first review within 6 weeks of completing the assessment; reviews
  within 3 months of each other; a new assessment at 12 months if outcomes are not achieved.
- Hertfordshire County Council, "Timescales for completing a Families First Assessment": the assessment within 3
  weeks of registration; the initial team-around-the-family meeting within 6 weeks of registration; reviews at
  least every 6 weeks.
- Lewisham Council, "Team around the family (TAF) meetings": a TAF within 6 weeks of the decision to provide early
  help, then every 6 weeks.

Anchors differ (Sefton counts from the identification of need, Hertfordshire from registration, Lewisham from the
decision), so the day each clock counts from is a setting too, as for T7 in the timescales notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from safeguarding.early_help.models import (
    ConsentScope,
    EpisodeLevel,
    EpisodeSource,
    EpisodeStatus,
    FamilyMemberRole,
    MeetingKind,
    NeedOutcome,
    WithdrawalResponse,
)

LEVELS: Final = MappingProxyType(
    {
        EpisodeLevel.TARGETED_EARLY_HELP.value: "Targeted early help",
        EpisodeLevel.FAMILY_HELP_TARGETED.value: "Family Help (targeted)",
        EpisodeLevel.FAMILY_HELP_CHILD_IN_NEED.value: "Family Help (child in need)",
    }
)
LEVEL_HINTS: Final = MappingProxyType(
    {
        EpisodeLevel.TARGETED_EARLY_HELP.value: "Help for needs more than one agency meets, with the family's consent",
        EpisodeLevel.FAMILY_HELP_TARGETED.value: "Families First: targeted help led by a Family Help lead practitioner",
        EpisodeLevel.FAMILY_HELP_CHILD_IN_NEED.value: (
            "Families First: help for a child in need (Children Act 1989 section 17) under social work oversight"
        ),
    }
)
SOURCES: Final = MappingProxyType(
    {
        EpisodeSource.FRONT_DOOR.value: "Front door decision: early help",
        EpisodeSource.PARTNER_REQUEST.value: "A partner's request",
        EpisodeSource.COUNCIL.value: "The council's early help service",
        EpisodeSource.STEP_DOWN.value: "Step-down from children's social care",
    }
)
STATUSES: Final = MappingProxyType(
    {
        EpisodeStatus.REQUESTED.value: "Requested",
        EpisodeStatus.OPEN.value: "Open",
        EpisodeStatus.CLOSED.value: "Closed",
        EpisodeStatus.DECLINED.value: "Not taken up",
    }
)
MEMBER_ROLES: Final = MappingProxyType(
    {
        FamilyMemberRole.CHILD.value: "Child",
        FamilyMemberRole.UNBORN_CHILD.value: "Unborn child",
        FamilyMemberRole.PARENT.value: "Parent",
        FamilyMemberRole.CARER.value: "Carer",
        FamilyMemberRole.OTHER_ADULT.value: "Other adult in the household",
    }
)
CONSENT_SCOPES: Final = MappingProxyType(
    {ConsentScope.ASSESSMENT.value: "The early help assessment", ConsentScope.SHARING.value: "Sharing with an agency"}
)
WITHDRAWAL_RESPONSES: Final = MappingProxyType(
    {
        WithdrawalResponse.END_EPISODE.value: "End the early help: it is voluntary",
        WithdrawalResponse.SAFEGUARDING_CONSIDERATION.value: (
            "A safeguarding concern overrides the family's wish: tell the front door"
        ),
        WithdrawalResponse.CONTINUE_WITHOUT_SHARING.value: "Carry on without sharing with this agency",
    }
)
NEED_OUTCOMES: Final = MappingProxyType(
    {NeedOutcome.IMPROVED.value: "Improved", NeedOutcome.NO_CHANGE.value: "No change", NeedOutcome.WORSE.value: "Worse"}
)
MEETING_KINDS: Final = MappingProxyType(
    {
        MeetingKind.TEAM_AROUND_THE_FAMILY.value: "Team around the family meeting",
        MeetingKind.REVIEW.value: "Review of the family plan",
        MeetingKind.CLOSING.value: "Closing meeting (moving on)",
    }
)

# --- closure reasons: the council's list --------------------------------------------------------------------------
# Each reason the product knows is offered unless the council turns it off (local setting early_help.closure.<key>);
# a council adds its own in early_help.closure.local_reasons (separated by semicolons). Sources: Lewisham "Team
# around the family" (closure when the family no longer need or consent to early help); Sefton and Worcestershire
# (outcomes achieved, step-up, step-down); Gloucestershire (moved out of area).
CLOSURE_REASONS: Final = MappingProxyType(
    {
        "outcomes_achieved": "Outcomes achieved: the family's needs are met",
        "consent_withdrawn": "The family withdrew their consent",
        "disengaged": "The family stopped taking part",
        "stepped_up": "Stepped up to children's social care",
        "stepped_down": "Stepped down to universal services",
        "moved_away": "The family moved out of the area",
        "transferred": "Another service or council now leads",
        "child_turned_18": "The youngest child reached 18",
    }
)
LOCAL_REASONS_SETTING = "early_help.closure.local_reasons"
LOCAL_REASON_PREFIX = "local:"
LOCAL_REASON_LIMIT = 60  # the stored key's length (EarlyHelpEpisode.closure_reason) less the prefix


def closure_setting(key: str) -> str:
    return f"early_help.closure.{key}"


def closure_reasons(settings: Mapping[str, Any]) -> dict[str, str]:
    """The reasons this council offers, in order: the product's (unless turned off), then the council's own."""
    offered = {key: label for key, label in CLOSURE_REASONS.items() if settings.get(closure_setting(key), True)}
    for text in str(settings.get(LOCAL_REASONS_SETTING) or "").split(";"):
        label = " ".join(text.split())
        if label:
            offered[LOCAL_REASON_PREFIX + label[:LOCAL_REASON_LIMIT]] = label
    return offered


def closure_label(key: str | None) -> str:
    """A reason as a user reads it (a reason since turned off still reads as it did)."""
    if not key:
        return ""
    if key.startswith(LOCAL_REASON_PREFIX):
        return key[len(LOCAL_REASON_PREFIX) :]
    return CLOSURE_REASONS.get(key, key.replace("_", " ").capitalize())


# --- the local timescales' anchors ------------------------------------------------------------------------------


class Anchor:
    """The day an early help clock counts from."""

    NEED_IDENTIFIED = "need_identified"  # Sefton
    DECIDED = "decided"  # Lewisham: the decision to provide early help
    STARTED = "started"  # Hertfordshire: registration (the episode's start)
    CONSENT = "consent"  # the family's consent to the assessment
    ASSESSMENT_COMPLETED = "assessment_completed"  # Sefton's first review


ANCHOR_LABELS: Final = MappingProxyType(
    {
        Anchor.NEED_IDENTIFIED: "the day the need was identified",
        Anchor.DECIDED: "the decision to provide early help",
        Anchor.STARTED: "the start of the episode (registration)",
        Anchor.CONSENT: "the family's consent to the assessment",
        Anchor.ASSESSMENT_COMPLETED: "the completion of the assessment",
    }
)
ASSESSMENT_ANCHORS: Final = (Anchor.STARTED, Anchor.CONSENT, Anchor.NEED_IDENTIFIED, Anchor.DECIDED)
FIRST_MEETING_ANCHORS: Final = (Anchor.STARTED, Anchor.DECIDED, Anchor.CONSENT, Anchor.ASSESSMENT_COMPLETED)
ASSESSMENT_ANCHOR_SETTING = "timescales.early_help.assessment.anchor"
FIRST_MEETING_ANCHOR_SETTING = "timescales.early_help.first_meeting.anchor"
DEFAULT_ASSESSMENT_ANCHOR = Anchor.STARTED
DEFAULT_FIRST_MEETING_ANCHOR = Anchor.STARTED


@dataclass(frozen=True)
class EpisodeDays:
    """The days of an episode the clocks may count from (any not recorded: None)."""

    started: date
    need_identified: date | None = None
    decided: date | None = None
    consent: date | None = None
    assessment_completed: date | None = None

    def of(self, anchor: str) -> date | None:
        return {
            Anchor.STARTED: self.started,
            Anchor.NEED_IDENTIFIED: self.need_identified,
            Anchor.DECIDED: self.decided,
            Anchor.CONSENT: self.consent,
            Anchor.ASSESSMENT_COMPLETED: self.assessment_completed,
        }.get(anchor)


def anchor_day(days: EpisodeDays, anchor: str, *, fallback: str = Anchor.STARTED) -> date | None:
    """The day a clock counts from under the council's anchor. A day the anchor names that is not recorded (the day
    the need was identified, on an episode the council started itself) falls back to the episode's start, except
    consent and the assessment's completion: a clock counted from the family's consent does not start until they
    give it (early help is voluntary: nothing is assessed before it), nor one from the assessment before it is
    completed."""
    day = days.of(anchor)
    if day is not None or anchor in (Anchor.CONSENT, Anchor.ASSESSMENT_COMPLETED):
        return day
    return days.of(fallback)


def setting_anchor(settings: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = str(settings.get(key) or default)
    return value if value in allowed else default


# --- reading the form's facts -----------------------------------------------------------------------------------


def duplicate_member(existing: Sequence[tuple[str, str | None, str]], name: str, agency: str | None, role: str) -> bool:
    """Whether a team member is already on the team around the family: the same person (name, case and spacing
    aside) from the same agency, whatever role they were given."""

    def key(n: str, a: str | None) -> tuple[str, str]:
        return (" ".join(n.casefold().split()), " ".join((a or "").casefold().split()))

    wanted = key(name, agency)
    return any(key(n, a) == wanted for n, a, _r in existing)
