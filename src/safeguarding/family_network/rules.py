"""Pure rules of the family network: the code sets with their sources, the order the dates of pre-proceedings come
in, and the CIN census module 5 items derived from the record (never typed).

Sources:

- Children's Wellbeing and Schools Act 2026 (c. 21), s1 (new s31ZA Children Act 1989): before applying for a care
  or supervision order the council must offer a family group decision-making (FGDM) meeting to the parents and
  anyone with parental responsibility, the offer made in the letter before proceedings; if one accepts, the meeting
  is arranged before the application. s5 (new s22H Children Act 1989): the kinship local offer.
- The Public Law Outline (Practice Direction 12A, Family Procedure Rules 2010) and the DfE's "Court orders and
  pre-proceedings for local authorities" (2014): the legal planning meeting's decision, the letter before
  proceedings inviting the parents to the pre-proceedings meeting, reviews, then the decision to step down or to
  apply to court, the application and the letter that tells the parents proceedings are issued.
- DfE, "Children in need census 2026 to 2027: specification" (gov.uk, 18 November 2025, updated to 25 February
  2026; module 5, pre-proceedings and FGDM; CBDS N00826 to N00834), as the Data to Insight validator's ruleset
  cin2026_27 restates its rules (messages and pseudo-code). The specification's own text could not be read: the
  items follow the notes (early-help.md 3.4) and the validator; the meanings of the outcome codes (code set CS131:
  A, B, C) are published nowhere this project could find, see ``PP_OUTCOME_CODES``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

from safeguarding.core.dates import long_date
from safeguarding.core.local_settings import PP_OUTCOME_SETTING_PREFIX

TEXT_MAX: Final = 10_000
NAME_MAX: Final = 200
REVIEW_MEETINGS_MAX: Final = 50

OFFER_RESPONSES: Final = MappingProxyType(
    {
        "accepted": "Accepted: at least one parent or person with parental responsibility said yes",
        "declined": "Declined",
        "awaiting": "No answer yet",
    }
)

# The kinds of kinship arrangement, each with the law or guidance that makes it what it is.
KINSHIP_ARRANGEMENTS: Final = MappingProxyType(
    {
        "informal": "Informal kinship care (a family arrangement, no order)",
        "private_fostering": "Private fostering",
        "sgo": "Special guardianship order",
        "cao": "Child arrangements order (lives with)",
        "kinship_foster": "Kinship foster care (looked after, with a connected person)",
    }
)
KINSHIP_SOURCES: Final = MappingProxyType(
    {
        "informal": "DfE, Championing kinship care: the national kinship care strategy (December 2023)",
        "private_fostering": "Children Act 1989 s66; Children (Private Arrangements for Fostering) Regulations 2005",
        "sgo": "Children Act 1989 s14A; Special Guardianship Regulations 2005",
        "cao": "Children Act 1989 s8",
        "kinship_foster": "Care Planning, Placement and Case Review (England) Regulations 2010 reg 24; Fostering "
        "Services (England) Regulations 2011",
    }
)

# The outcome of pre-proceedings as practice names it, and the CIN census code (PPOutcome, N00833, code set CS131)
# each is reported as. A, B and C are the DfE's values (rule 9011); which outcome each letter stands for is this
# project's guess (searched December 2026: the gov.uk specification page, the Data to Insight validator's cin2026_27
# rules and sample file, the liia-tools schemas (none after 2024) and public issue trackers; none names them). These
# are the defaults; the council's settings (returns.cin_census.pp_outcome.*) decide, see pp_outcome_codes.
PP_OUTCOMES: Final = MappingProxyType(
    {
        "step_down": "Stepped down: the family's plan is working and proceedings are not needed",
        "proceedings": "Stepped up: the council is applying to court for care proceedings",
        "other": "Ended for another reason (for example the family moved to another council's area)",
    }
)
PP_OUTCOME_CODES: Final = MappingProxyType({"step_down": "A", "proceedings": "B", "other": "C"})


def pp_outcome_codes(settings: Mapping[str, object]) -> dict[str, str]:
    """The letter each outcome is reported as: the council's settings (returns.cin_census.pp_outcome.*), where it
    has corrected the project's reading from code set CS131, else PP_OUTCOME_CODES."""
    return {
        outcome: str(settings.get(PP_OUTCOME_SETTING_PREFIX + outcome) or default)
        for outcome, default in PP_OUTCOME_CODES.items()
    }


# The CIN census module 5 items in the order the specification lists them (PreProceedingsandFGDM).
CENSUS_ITEMS: Final = (
    "PPStartDate",
    "LBPSentDate",
    "FGDMMeetingOffer",
    "FGDMMeetingFac",
    "InitialPPMeetingDate",
    "ReviewMeetingsCount",
    "StepDecisionDate",
    "PPOutcome",
    "CourtAppDate",
    "LetterInitCPDate",
)
# The first collection year (named by the year it ends) that carries module 5: 2026-27. The notes disagree
# (cin-census.md 3.9 says 2025-26 from a 2026 sample file; early-help.md 3.4 places the rules in cin2026_27, from
# the DfE "Children in need census 2026 to 2027: specification"); the specification named is followed.
FIRST_CENSUS_YEAR: Final = 2027


@dataclass(frozen=True)
class PreProceedingsDates:
    """The dates and facts of one pre-proceedings, as plain values (the form's and the census's)."""

    decided_on: date
    letter_sent_on: date | None = None
    first_meeting_on: date | None = None
    review_meetings: int | None = None
    step_decided_on: date | None = None
    outcome: str | None = None
    court_application_on: date | None = None
    proceedings_letter_on: date | None = None


def order_problems(pp: PreProceedingsDates, referral_date: date, today: date) -> dict[str, str]:
    """What is out of order, by field, in words a worker reads. The checks mirror the DfE's module 5 rules (9006,
    9009, 9012, 9013) so that the live record passes them, and the Public Law Outline's order (the letter invites
    the parents to the first meeting; a court application follows the decision to apply)."""
    problems: dict[str, str] = {}
    named = [
        ("decided_on", "The date of the decision to start pre-proceedings", pp.decided_on),
        ("letter_sent_on", "The date the letter before proceedings was sent", pp.letter_sent_on),
        ("first_meeting_on", "The date of the first pre-proceedings meeting", pp.first_meeting_on),
        ("step_decided_on", "The date of the decision to step up or down", pp.step_decided_on),
        ("court_application_on", "The date of the court application", pp.court_application_on),
        ("proceedings_letter_on", "The date of the letter saying proceedings are issued", pp.proceedings_letter_on),
    ]
    for name, noun, day in named:
        if day is not None and day > today:
            problems[name] = f"{noun} must be today or in the past"
    if pp.decided_on < referral_date:
        problems.setdefault(
            "decided_on",
            f"The date of the decision to start pre-proceedings must be on or after the referral of "
            f"{long_date(referral_date)}",
        )

    def after(name: str, day: date | None, earlier: date | None, message: str) -> None:
        if day is not None and earlier is not None and day < earlier:
            problems.setdefault(name, message.format(long_date(earlier)))

    after(
        "letter_sent_on",
        pp.letter_sent_on,
        pp.decided_on,
        "The letter before proceedings must be sent on or after {}, when pre-proceedings started",
    )
    if pp.first_meeting_on is not None and pp.letter_sent_on is None:
        problems.setdefault(
            "letter_sent_on",
            "Enter the date the letter before proceedings was sent: it invites the parents to the first meeting",
        )
    after(
        "first_meeting_on",
        pp.first_meeting_on,
        pp.letter_sent_on,
        "The first pre-proceedings meeting must be on or after {}, when the letter was sent",
    )
    if pp.first_meeting_on is not None and pp.review_meetings is None:
        problems.setdefault(
            "review_meetings", "Enter how many review meetings followed the first meeting (0 if none yet)"
        )
    if pp.first_meeting_on is None and pp.review_meetings:
        problems.setdefault("first_meeting_on", "Enter the date of the first meeting before counting its reviews")
    if (pp.step_decided_on is None) != (pp.outcome is None):
        if pp.step_decided_on is None:
            problems.setdefault("step_decided_on", "Enter the date of the decision to step up or down with its outcome")
        else:
            problems.setdefault("outcome", "Select the outcome of pre-proceedings decided on that date")
    after(
        "step_decided_on",
        pp.step_decided_on,
        pp.decided_on,
        "The decision to step up or down must be on or after {}, when pre-proceedings started",
    )
    if pp.court_application_on is not None and pp.outcome != "proceedings":
        problems.setdefault(
            "court_application_on",
            "A court application follows a decision to apply for care proceedings: record that outcome first",
        )
    after(
        "court_application_on",
        pp.court_application_on,
        pp.step_decided_on,
        "The court application must be on or after {}, the decision to apply",
    )
    if pp.proceedings_letter_on is not None and pp.court_application_on is None:
        problems.setdefault(
            "proceedings_letter_on", "Enter the date of the court application before the letter that follows it"
        )
    after(
        "proceedings_letter_on",
        pp.proceedings_letter_on,
        pp.court_application_on,
        "The letter saying proceedings are issued must be on or after {}, the court application",
    )
    return problems


@dataclass(frozen=True)
class Offer:
    offered_on: date
    in_letter_before_proceedings: bool


def census_items(
    pp: PreProceedingsDates,
    offers: Iterable[Offer],
    meetings_held: Iterable[date],
    period_start: date,
    reference_date: date,
    outcome_codes: Mapping[str, str] = PP_OUTCOME_CODES,
) -> dict[str, str] | None:
    """The module 5 items of one pre-proceedings for a census year, or None when it is not this year's: the DfE
    rules (9005 and the rest) ask every date to fall in the year, so a pre-proceedings is reported in the year its
    decision was made, with what had happened by the reference date.

    FGDMMeetingOffer (N00828) is stated once the letter before proceedings is sent: 1 when an FGDM meeting was
    offered in the letter (an offer recorded as made in the letter, on or after the decision), else 0 (rule 9007).
    FGDMMeetingFac (N00829) is stated when it was offered: 1 when a family network meeting was held in the
    pre-proceedings period (from the decision to the decision to step up or down, or to the reference date), else 0
    (rule 9010Q). PPOutcome is the outcome's letter in ``outcome_codes`` (the council's, see pp_outcome_codes)."""
    if not period_start <= pp.decided_on <= reference_date:
        return None

    def seen(day: date | None) -> date | None:
        return day if day is not None and day <= reference_date else None

    letter = seen(pp.letter_sent_on)
    first = seen(pp.first_meeting_on)
    step = seen(pp.step_decided_on)
    court = seen(pp.court_application_on)
    items: dict[str, str] = {"PPStartDate": pp.decided_on.isoformat()}
    if letter:
        items["LBPSentDate"] = letter.isoformat()
        offered = any(
            o.in_letter_before_proceedings and pp.decided_on <= o.offered_on <= reference_date for o in offers
        )
        items["FGDMMeetingOffer"] = "1" if offered else "0"
        if offered:
            end = step or reference_date
            held = any(pp.decided_on <= day <= end for day in meetings_held)
            items["FGDMMeetingFac"] = "1" if held else "0"
    if first:
        items["InitialPPMeetingDate"] = first.isoformat()
        items["ReviewMeetingsCount"] = str(pp.review_meetings or 0)
    code = outcome_codes.get(pp.outcome or "")
    if step and code:
        items["StepDecisionDate"] = step.isoformat()
        items["PPOutcome"] = code
    if court and step:
        items["CourtAppDate"] = court.isoformat()
        letter_issued = seen(pp.proceedings_letter_on)
        if letter_issued:
            items["LetterInitCPDate"] = letter_issued.isoformat()
    return {name: items[name] for name in CENSUS_ITEMS if name in items}


def label(options: Mapping[str, str], code: str | None) -> str:
    return options.get(code or "", "") if code else ""
