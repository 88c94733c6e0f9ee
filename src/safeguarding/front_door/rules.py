"""Pure rules of the front door: decision deadlines from RAG ratings, and which outcomes need sign-off.

RAG deadlines are local standards (settings), defaults from the Surrey Police MASH pattern: red 4 working hours,
amber 24 working hours, green 72 hours (Surrey Police MASH). Before a contact is rated, its decision is
due within one working day of receipt: the Working Together 2023 Ch.3 referral decision (rule T1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from safeguarding.core.calendar import LONDON, add_working_days, add_working_hours
from safeguarding.front_door.models import Channel, ConsentPosition, ContactStatus, Outcome, Rag, ReporterKind

UNRATED_WORKING_DAYS = 1  # WT2023 Ch.3: decision on a referral within one working day.


def _office_hours(settings: Mapping[str, Any]) -> tuple[time, time]:
    opens = time.fromisoformat(str(settings.get("office.opens", "09:00")))
    closes = time.fromisoformat(str(settings.get("office.closes", "17:00")))
    return opens, closes


def rag_deadline(received_at: datetime, rag: Rag | None, settings: Mapping[str, Any]) -> datetime:
    """When the decision on a contact received at ``received_at`` is due, given its rating and local settings."""
    opens, closes = _office_hours(settings)
    if rag is None:
        # End of the next working day after receipt (day 0 = the day received).
        local_day = received_at.astimezone(LONDON).date()
        due_day = add_working_days(local_day, UNRATED_WORKING_DAYS)
        return datetime.combine(due_day, closes, LONDON)
    hours = float(settings[f"rag.{rag.value}.hours"])
    if settings.get(f"rag.{rag.value}.working_time", True):
        return add_working_hours(received_at, hours, opens, closes)
    return received_at + timedelta(hours=hours)


def sign_off_required(outcome: Outcome, settings: Mapping[str, Any]) -> bool:
    """Whether a decision with this outcome waits for a manager before it takes effect (a local setting)."""
    return bool(settings.get(f"signoff.{outcome.value}", True))


# Outcomes that make a referral to children's social care (an episode of need in the CIN census).
REFERRAL_OUTCOMES = frozenset(
    {Outcome.REFERRAL_FOR_ASSESSMENT, Outcome.STRATEGY_DISCUSSION, Outcome.IMMEDIATE_PROTECTION}
)


# --- screening, checks and decisions ----------------------------------------------------------------------------

# Statuses of a contact still waiting for the MASH: the queue shows these, in deadline order.
OPEN_STATUSES = ("awaiting_screening", "in_screening")

# A rationale is "at least a sentence": WT2023 Ch.3 ("Referral") requires the reasons for a
# threshold decision to be recorded; a word or two is not a reason an inspector could follow.
RATIONALE_MIN_CHARS = 20
RATIONALE_MIN_WORDS = 4


def rationale_problem(text: str | None, what: str = "rationale") -> str | None:
    """Why this rationale is not enough, or None when it is."""
    words = (text or "").split()
    if not words:
        return f"Enter the {what}"
    if len(" ".join(words)) < RATIONALE_MIN_CHARS or len(words) < RATIONALE_MIN_WORDS:
        return f"Write the {what} as at least a sentence ({RATIONALE_MIN_WORDS} words or more)"
    return None


def check_consent_needs_reason(consent: Any) -> bool:
    """Sharing without consent, or overriding a refusal, needs the reason recorded (DfE "Information
    sharing" advice, golden rule 7)."""
    return str(consent) in {"not_sought", "overridden"}


def partner_check_deadline(requested_at: datetime, settings: Mapping[str, Any]) -> datetime:
    """Default response deadline: ``partner_check.default_hours`` working hours (local information-sharing
    agreement)."""
    opens, closes = _office_hours(settings)
    return add_working_hours(requested_at, float(settings["partner_check.default_hours"]), opens, closes)


def office_hours(settings: Mapping[str, Any]) -> tuple[time, time]:
    return _office_hours(settings)


# Age bands of contacts waiting in the MASH (calendar hours since receipt), for the dashboard.
AGE_BANDS: tuple[tuple[str, float, float | None], ...] = (
    ("Under 4 hours", 0, 4),
    ("4 to 24 hours", 4, 24),
    ("1 to 3 days", 24, 72),
    ("Over 3 days", 72, None),
)

# National re-referral rate for comparison: 22.6% of referrals in 2024-25 were within 12 months of a previous
# referral. Source: DfE "Children in need" 2025, table C1.
NATIONAL_RE_REFERRAL_RATE = 0.226
NATIONAL_RE_REFERRAL_SOURCE = "DfE Children in need 2025, table C1 (England, year to 31 March 2025)"


# --- intake: what a contact may carry, and what its referrer may later know ------------------------------------
# Bounds on a submitted contact. The worry's 20,000 characters match the table's check constraint; the others
# match the column sizes, so nothing is cut short when stored.
WORRY_MAX_CHARS = 20_000
NAME_MAX_CHARS = 100  # people.models.Person name columns
REPORTER_TEXT_MAX_CHARS = 200
ADDRESS_MAX_CHARS = 400
CONSENT_NOTES_MAX_CHARS = 4_000
CHECK_RESPONSE_MAX_CHARS = 20_000
MAX_SUBJECTS = 20  # a large sibling group and its adults; more is almost certainly a mistake
# A contact cannot be received in the future; five minutes allows for a partner system's clock running fast.
CLOCK_SKEW = timedelta(minutes=5)
# MASH staff may record a call or e-mail received earlier; more than a year back is a mistyped date.
OLDEST_RECORDED_CONTACT = timedelta(days=366)

# Who may bring a contact through which channel. Partner practitioners use the portal or their systems' API and
# always speak for their own agency; MASH staff record what came by phone, e-mail or in person.
PARTNER_CHANNELS = frozenset({Channel.PORTAL, Channel.API})
STAFF_CHANNELS = frozenset({Channel.PHONE, Channel.EMAIL, Channel.IN_PERSON})
STAFF_REPORTER_KINDS = frozenset({ReporterKind.PRACTITIONER, ReporterKind.PUBLIC, ReporterKind.ANONYMOUS})
# A named professional or member of the public gives a name; an anonymous one by definition does not.
REPORTER_NAME_REQUIRED = frozenset({ReporterKind.PRACTITIONER, ReporterKind.PUBLIC})

# The DfE ReferralSource code must fit who made the contact (DfE CIN census guide, ReferralSource): codes
# 1A-1D are individuals (family, acquaintance, the child, others) and 9 is anonymous, so a member of the public
# gives a 1x code, an anonymous reporter 9, and a professional (a partner agency or another practitioner) any
# other code. Without this a partner could file a contact as if from the family or anonymously.
INDIVIDUAL_SOURCES = frozenset({"1A", "1B", "1C", "1D"})
ANONYMOUS_SOURCE = "9"


def source_fits_reporter(reporter_kind: ReporterKind, code: str) -> bool:
    """Whether a ReferralSource code can describe a contact from this kind of reporter."""
    if reporter_kind == ReporterKind.ANONYMOUS:
        return code == ANONYMOUS_SOURCE
    if reporter_kind == ReporterKind.PUBLIC:
        return code in INDIVIDUAL_SOURCES
    return code not in INDIVIDUAL_SOURCES and code != ANONYMOUS_SOURCE


# DfE "Information sharing" advice, golden rule 7: every decision not to tell the family is recorded with its
# reason. "Not informed: risk" is its own reason (telling the family would put the child at risk); "not informed: other"
# must say why.
CONSENT_NEEDS_NOTES = frozenset({ConsentPosition.NOT_INFORMED_OTHER})


class PartnerStatus(StrEnum):
    """A contact's progress as its referrer is told it."""

    RECEIVED = "received"
    BEING_CONSIDERED = "being_considered"
    DECIDED = "decided"


PARTNER_STATUS_LABELS: dict[PartnerStatus, str] = {
    PartnerStatus.RECEIVED: "Received",
    PartnerStatus.BEING_CONSIDERED: "Being considered",
    PartnerStatus.DECIDED: "Decided",
}


def partner_status(status: ContactStatus, outcome_in_effect: bool) -> PartnerStatus:
    """What a referrer is told about their contact's progress.

    A contact routed to the allocated worker would tell the referrer that the child has an open case, which is not
    theirs to know (DfE "Information sharing" advice, golden rule 6: share only what is necessary), so it reads as under
    consideration like any other contact until a decision takes effect."""
    if outcome_in_effect:
        return PartnerStatus.DECIDED
    if status == ContactStatus.AWAITING_SCREENING:
        return PartnerStatus.RECEIVED
    return PartnerStatus.BEING_CONSIDERED


# The outcome as the referrer reads it (the outcomes of Working Together 2023 ch.3, "Referral").
PARTNER_OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.NO_FURTHER_ACTION: "No further action by children's social care",
    Outcome.INFORMATION_AND_ADVICE: "Information, advice and signposting to universal services",
    Outcome.EARLY_HELP: "Early help",
    Outcome.REFERRAL_FOR_ASSESSMENT: "Referral to children's social care for assessment",
    Outcome.STRATEGY_DISCUSSION: "Strategy discussion",
    Outcome.IMMEDIATE_PROTECTION: "Immediate protection",
}

# What MASH staff read for each outcome (the partner portal words it for partners: PARTNER_OUTCOME_LABELS).
OUTCOME_LABELS = {
    Outcome.NO_FURTHER_ACTION: "No further action",
    Outcome.INFORMATION_AND_ADVICE: "Information, advice and signposting",
    Outcome.EARLY_HELP: "Early help",
    Outcome.REFERRAL_FOR_ASSESSMENT: "Referral for a child and family assessment (section 17)",
    Outcome.STRATEGY_DISCUSSION: "Strategy discussion (possible section 47 enquiry)",
    Outcome.IMMEDIATE_PROTECTION: "Immediate protection",
}
