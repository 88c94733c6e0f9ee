"""Supporting Families: the national headline outcomes a family's needs are mapped to, and whether a family has made
significant and sustained progress (pure: plain values in, a verdict with its reasons out).

Sources:

- The ten headline outcomes of the National Supporting Families Outcome Framework, in effect from 3 October 2022
  (it replaced the local Family Outcome Plans of April 2015): "Supporting Families programme guidance 2022 to 2025"
  (DLUHC, 2 April 2022), chapter 4 "Identifying and working with families" and chapter 5 "Evidencing successful
  family outcomes". The names are printed as the guidance prints them.
- What a successful family outcome needs (guidance chapters 4 and 5; Hertfordshire County Council "Families First"
  news, June 2023, summarising the framework): at least three of the framework's needs identified; a lead
  practitioner, a whole-family assessment and a plan; a positive outcome against every need identified; and the
  outcomes sustained for at least six months after the case closed (success is decided six months after closure).
- "Significant and sustained progress" is the name of the claim test of the 2015-22 phase (Milton Keynes "Achieving
  the objectives"; Newcastle "Families Early Help Outcomes Plan"): this system keeps the name for the list, and the
  tests of the national framework.

What counts as "sustained" differs between councils and between the framework's versions, so it is local settings
(``core.local_settings``: ``supporting_families.*``): how many needs a family must have, how many months after
closure the progress must hold, and whether a new contact or referral to children's social care in those months
breaks it. The framework's version is kept with each need (``FRAMEWORK``): the local plans of 2015-22 and the
national framework are different code sets, and a need mapped under one is never read as the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from safeguarding.core.calendar import add_calendar_months
from safeguarding.core.dates import long_date

FRAMEWORK: Final = "national-2022"
FRAMEWORK_NAME: Final = "National Supporting Families Outcome Framework (from 3 October 2022)"
FRAMEWORK_SOURCE: Final = (
    "Supporting Families programme guidance 2022 to 2025 (DLUHC, 2 April 2022), chapters 4 and 5; the national "
    "framework in effect from 3 October 2022"
)

# The ten headline outcomes (guidance chapters 4 and 5), by a stable code of this system's.
HEADLINE_OUTCOMES: Final = MappingProxyType(
    {
        "education": "Getting a good education",
        "early_years": "Good early years development",
        "health": "Improved mental and physical health",
        "substance_use": "Promoting recovery and reducing harm from substance use",
        "relationships": "Improved family relationships",
        "exploitation": "Children safe from abuse and exploitation",
        "crime": "Crime prevention and tackling crime",
        "domestic_abuse": "Safe from domestic abuse",
        "housing": "Secure housing",
        "finance": "Financial stability",
    }
)


class Progress(StrEnum):
    """How a need stands at a review: the closure outcomes of early help (improved, no change, worse) and, beyond
    them, the need's success measure met ("achieved": the framework's positive outcome, with its evidence)."""

    ACHIEVED = "achieved"
    IMPROVED = "improved"
    NO_CHANGE = "no_change"
    WORSE = "worse"


PROGRESS_LABELS: Final = MappingProxyType(
    {
        Progress.ACHIEVED: "Outcome achieved (the success measure is met)",
        Progress.IMPROVED: "Improved",
        Progress.NO_CHANGE: "No change",
        Progress.WORSE: "Worse",
    }
)

EVIDENCE_MAX_CHARS: Final = 2000


@dataclass(frozen=True)
class SustainRules:
    """The council's rules for "significant and sustained" (local settings, defaults from the 2022-25 guidance)."""

    minimum_needs: int = 3
    sustain_months: int = 6
    contact_breaks: bool = True  # a new contact or referral to social care inside the months breaks it

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SustainRules:
        return cls(
            int(settings["supporting_families.minimum_needs"]),
            int(settings["supporting_families.sustain_months"]),
            bool(settings["supporting_families.contact_breaks_sustainment"]),
        )


@dataclass(frozen=True)
class NeedProgress:
    """One mapped need of a family, as plain values: the headline outcome, and its reviews in date order."""

    headline: str
    identified_on: date
    reviews: Sequence[tuple[date, Progress, str]]  # (recorded on, progress, evidence)

    @property
    def ordered(self) -> list[tuple[date, Progress, str]]:
        """The reviews by date, those of one day in the order recorded."""
        return sorted(self.reviews, key=lambda r: r[0])

    @property
    def latest(self) -> tuple[date, Progress, str] | None:
        ordered = self.ordered
        return ordered[-1] if ordered else None

    @property
    def achieved_on(self) -> date | None:
        """When the need's outcome was achieved, if its latest review still says so: the first review of the run of
        "achieved" reviews that ends with the latest (an earlier achievement lost and won back counts from the
        second)."""
        since: date | None = None
        for day, progress, _evidence in self.ordered:
            if progress != Progress.ACHIEVED:
                since = None
            elif since is None:
                since = day
        return since


@dataclass(frozen=True)
class FamilyProgress:
    """What the claim test reads about one family's episode of early help."""

    needs: Sequence[NeedProgress]
    has_lead_practitioner: bool
    assessed_on: date | None  # the whole-family assessment completed
    has_plan: bool
    closed_on: date | None  # the early help episode closed
    social_care_since_closure: Sequence[date] = ()  # contacts or referrals about the family's children after closure


class Standing(StrEnum):
    SUSTAINED = "sustained"  # significant and sustained progress: ready for the claim or report
    SUSTAINING = "sustaining"  # every need achieved; the months after closure not yet run
    NOT_YET = "not_yet"  # a condition not met (the reasons say which)


@dataclass(frozen=True)
class Verdict:
    standing: Standing
    reasons: tuple[str, ...]  # what is missing, in words (empty when sustained)
    sustained_from: date | None = None  # the day the progress counts as sustained (closure + the months)

    @property
    def sustained(self) -> bool:
        return self.standing == Standing.SUSTAINED


def judge(family: FamilyProgress, rules: SustainRules, today: date) -> Verdict:
    """Whether a family has made significant and sustained progress on ``today`` under the council's rules.

    Every need must be a framework need with a positive outcome (its latest review "achieved", with evidence); there
    must be at least ``minimum_needs`` of them, a lead practitioner, a completed whole-family assessment and a plan;
    and the early help must have closed at least ``sustain_months`` calendar months before ``today`` with no need
    falling back since (a later review saying otherwise) and, where the council says so, no contact or referral to
    children's social care about the family in those months."""
    reasons: list[str] = []
    needs = [n for n in family.needs if n.headline in HEADLINE_OUTCOMES]
    if len(needs) < rules.minimum_needs:
        reasons.append(
            f"{len(needs)} of the framework's needs identified; at least {rules.minimum_needs} are needed"
            if needs
            else f"No needs are mapped to the national headline outcomes; at least {rules.minimum_needs} are needed"
        )
    if not family.has_lead_practitioner:
        reasons.append("No lead practitioner is recorded")
    if family.assessed_on is None:
        reasons.append("The whole-family assessment is not completed")
    if not family.has_plan:
        reasons.append("There is no family plan")
    not_achieved = [HEADLINE_OUTCOMES[n.headline] for n in needs if n.achieved_on is None]
    if not_achieved:
        reasons.append("Outcome not yet achieved: " + "; ".join(not_achieved))
    unevidenced = [HEADLINE_OUTCOMES[n.headline] for n in needs if n.latest is not None and not n.latest[2].strip()]
    if unevidenced:
        reasons.append("No evidence recorded for: " + "; ".join(unevidenced))
    if reasons:
        return Verdict(Standing.NOT_YET, tuple(reasons))
    if family.closed_on is None:
        return Verdict(
            Standing.SUSTAINING,
            (f"Every outcome is achieved; the {rules.sustain_months} months start when the early help closes",),
        )
    sustained_from = add_calendar_months(family.closed_on, rules.sustain_months)
    if rules.contact_breaks:
        broken = sorted(d for d in family.social_care_since_closure if family.closed_on < d <= sustained_from)
        if broken:
            return Verdict(
                Standing.NOT_YET,
                (
                    f"Contact with children's social care on {long_date(broken[0])}, within "
                    f"{rules.sustain_months} months of the early help closing",
                ),
                sustained_from,
            )
    if today < sustained_from:
        return Verdict(
            Standing.SUSTAINING,
            (f"Sustained if nothing changes until {long_date(sustained_from)}",),
            sustained_from,
        )
    return Verdict(Standing.SUSTAINED, (), sustained_from)
