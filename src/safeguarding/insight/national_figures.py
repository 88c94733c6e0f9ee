"""The latest national (England) figures that a council's own indicators are read beside, as data with their year
and source.

Sources: DfE "Children in need" 2025 (Explore Education Statistics tables C1, C2, C4, D1, D7), DfE "Children's
social work workforce" 2025, and DfE "Children looked after in England including adoptions" (the 2025 release where
captured; earlier years, and secondary reports of them, named where the 2025 figure is not yet held). The DfE revises
earlier years in every release: each figure keeps the year it describes and where it was read.
The re-referral rate is the one the MASH dashboard already shows (front_door/rules.py): it is read from there, not
copied, so the two pages can never disagree.

Re-check each autumn, when the DfE publishes the next year's figures (CIN in late October, workforce in February).
A measure the DfE does not publish (decisions on contacts within one working day, visits in time, children
unallocated) has no entry: pages say "no national figure" rather than inventing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from safeguarding.front_door.rules import NATIONAL_RE_REFERRAL_RATE, NATIONAL_RE_REFERRAL_SOURCE


@dataclass(frozen=True)
class NationalFigure:
    key: str
    label: str
    value: float  # a rate as a fraction (0.226), a count, a caseload, or a number per 10,000 children
    unit: str  # "rate" | "count" | "caseload" | "per_10000"
    year: str  # the period the figure describes, in words
    source: str
    note: str = ""

    @property
    def shown(self) -> str:
        if self.unit == "rate":
            return f"{self.value * 100:.1f}%"
        if self.unit == "caseload":
            return f"{self.value:.1f}"
        if self.unit == "per_10000":
            return f"{self.value:.1f} per 10,000 children"
        return f"{self.value:,.0f}"


CIN_2025 = "England, year to 31 March 2025"
CLA_2025 = "DfE Children looked after in England including adoptions 2025"
WORKFORCE_2025 = "England, at 30 September 2025"

NATIONAL: Final = MappingProxyType(
    {
        f.key: f
        for f in (
            NationalFigure(
                "re_referrals",
                "Re-referrals within 12 months",
                NATIONAL_RE_REFERRAL_RATE,
                "rate",
                CIN_2025,
                NATIONAL_RE_REFERRAL_SOURCE,
                "142,900 of 632,830 referrals",
            ),
            NationalFigure(
                "assessments_45",
                "Assessments completed within 45 working days",
                555_820 / 648_830,
                "rate",
                CIN_2025,
                "DfE Children in need 2025, table C2 (duration bands: 555,820 of 648,830 completed "
                "assessments took 45 working days or fewer)",
                "median duration 33 working days",
            ),
            NationalFigure(
                "icpc_15",
                "Initial conferences within 15 working days of the section 47 start",
                (6_240 + 52_430) / 72_100,
                "rate",
                CIN_2025,
                "DfE Children in need 2025, table C4 (0-10 working days 6,240 and 11-15 working days 52,430 of "
                "72,100 initial conferences)",
                "measured from the start of the section 47 enquiry",
            ),
            NationalFigure(
                "cp_plans_two_years",
                "Child protection plans lasting two years or more (of plans ending)",
                2_710 / 62_300,
                "rate",
                CIN_2025,
                "DfE Children in need 2025, table D7 (2,710 of 62,300 plans ending)",
                "published as 4.4%",
            ),
            NationalFigure(
                "children_in_need",
                "Children in need per 10,000 children",
                332.9,
                "per_10000",
                "England, at 31 March 2024",
                "DfE Children in need 2024, headline table (399,460 children in need; ONS mid-year estimates of "
                "children under 18)",
                "the DfE's 2025 rate is not yet held here",
            ),
            NationalFigure(
                "referrals", "Referrals in the year", 632_830, "count", CIN_2025, "DfE Children in need 2025, table C1"
            ),
            # Second or subsequent CP plans: the DfE publishes it in Children in need, EES table D3, not yet taken in
            # here. Until it is, the page shows the ex-NI 65 band (LG Inform metric 100) instead of a number.
            NationalFigure(
                "agency_rate",
                "Agency worker rate",
                0.130,
                "rate",
                WORKFORCE_2025,
                "DfE Children's social work workforce 2025 (5,416 agency FTE)",
            ),
            NationalFigure(
                "turnover_rate",
                "Turnover rate",
                0.118,
                "rate",
                WORKFORCE_2025,
                "DfE Children's social work workforce 2025 (4,276 leavers of 36,186 FTE in post)",
            ),
            NationalFigure(
                "vacancy_rate",
                "Vacancy rate",
                0.142,
                "rate",
                WORKFORCE_2025,
                "DfE Children's social work workforce 2025 (5,965 vacancies FTE)",
            ),
            NationalFigure(
                "caseload",
                "Average caseload per case-holding FTE",
                15.2,
                "caseload",
                WORKFORCE_2025,
                "DfE Children's social work workforce 2025 (321,661 cases, 21,105 case-holding FTE)",
            ),
            NationalFigure(
                "looked_after",
                "Children looked after per 10,000 children",
                67,
                "per_10000",
                "England, at 31 March 2025",
                f"{CLA_2025}, children looked after on 31 March (81,770 children; ONS mid-year estimates of children "
                "under 18)",
                "2024: 69 per 10,000 (revised)",
            ),
            NationalFigure(
                "care_starts",
                "Children starting to be looked after in the year",
                33_050,
                "count",
                "England, year to 31 March 2024",
                "DfE Children looked after in England 2024, data set 'CLA starting during the year by characteristics "
                "- NATIONAL'",
                "the 2025 figure is not yet held here",
            ),
            NationalFigure(
                "three_placements",
                "Children looked after with three or more placements in the year",
                0.10,
                "rate",
                "England, at 31 March 2024",
                "DfE Children looked after in England 2024, as summarised by Home for Good (to be checked against the "
                "DfE's placement stability table)",
                "69% had one placement",
            ),
            NationalFigure(
                "long_term_stability",
                "Long-term placement stability",
                19_680 / 28_710,
                "rate",
                "England, at 31 March 2025",
                f"{CLA_2025}, 'CLA - placement stability - by local authority' (19,680 of 28,710 children under 16 "
                "looked after for 2.5 years or more)",
                "2024: 68%",
            ),
            NationalFigure(
                "placed_far",
                "New placements more than 20 miles from home",
                (4_310 + 14_560) / (41_990 + 4_310 + 18_220 + 14_560 + 11_840),
                "rate",
                "England, year to 31 March 2025",
                f"{CLA_2025}, 'CLA during the year - characteristics - by local authority' (location of new "
                "placements: 18,870 of 90,920 more than 20 miles from home, inside or outside the council's area; "
                "11,840 not known)",
                "published as 21%",
            ),
            NationalFigure(
                "health_assessments_up_to_date",
                "Annual health assessment (children looked after for 12 months)",
                0.89,
                "rate",
                "England, year to 31 March 2024",
                "DfE Children looked after in England 2024, outcomes (OC2), as published by LG Inform",
                "2022-23 89%; 2021-22 89%",
            ),
            NationalFigure(
                "cla_missing",
                "Children looked after who had a missing incident",
                0.11,
                "rate",
                "England, year to 31 March 2022",
                "DfE Children looked after in England 2022, as given in the DfE's answer to parliamentary question "
                "187193 (12,150 children looked after had a missing incident)",
                "official statistics: the DfE warns against comparing councils or years (recording differs); 86,900 "
                "incidents in 2024-25",
            ),
            NationalFigure(
                "care_leavers_in_touch",
                "Care leavers aged 19 to 21 in touch",
                0.91,
                "rate",
                "England, year to 31 March 2021",
                "DfE Children looked after in England 2021, as reported by Children and Young People Now (leaving "
                "care special report)",
                "the 2024 and 2025 figures are not yet held here",
            ),
            NationalFigure(
                "care_leavers_suitable",
                "Care leavers aged 19 to 21 in suitable accommodation",
                0.85,
                "rate",
                "England, year to 31 March 2019",
                "DfE Children looked after in England 2019 (EES table tool, 2020 release: 85% suitable, 6% unsuitable, "
                "9% no information)",
                "the 2024 and 2025 figures are not yet held here",
            ),
        )
    }
)

# Where no national number is held, what the page says instead (and why).
NO_NATIONAL_FIGURE: Final = MappingProxyType(
    {
        "second_cp_plans": "The DfE publishes this in table D3 of Children in need; not yet captured here. The former "
        "national indicator NI 65 called 10-15% good performance (low is good, zero is not "
        "expected).",
        "decisions_one_day": "The DfE does not publish timeliness of decisions on contacts.",
        "visits_in_time": "Visit frequency is a local standard; there is no national figure.",
        "unallocated": "The DfE does not publish children awaiting allocation.",
        "cla_reviews_in_time": "The DfE does not publish how many looked-after reviews are held in time.",
        "cla_visits_in_time": "The DfE does not publish how many visits to children in care are made in time.",
        "health_assessments_in_time": "The DfE publishes whether the annual health assessment is up to date (see "
        "'Health assessments up to date'), not whether each was in time.",
        "peps_in_time": "The DfE does not publish the timeliness of personal education plans.",
        "care_leavers_eet": "The DfE publishes this for care leavers aged 19 to 21 (its care leaver activity "
        "table); the recent figure is not yet captured here (in 2020-21 about half were in education, employment "
        "or training).",
        "contacts_referrals": "Referrals nationally: 632,830 in the year to 31 March 2025 (DfE Children in need 2025, "
        "table C1). Contacts are not collected nationally.",
        # Early help is not a statutory service: the DfE collects no early help data (Action for Children, "Early
        # help is a critical public service", February 2022).
        "early_help_episodes": "There is no national collection of early help: it is not a statutory service.",
        "early_help_assessments": "Early help timescales are local standards; there is no national figure.",
        "early_help_re_referrals": "No official national figure. An Action for Children FOI study found 25% of "
        "closed early help assessments re-referred within a year (2015-16 to 2019-20; not the same measure).",
        "steps_up_and_down": "Step-ups and step-downs are not collected nationally; the CIN census counts referrals "
        "from early help (source 5D) and closures referred to early help (RC9), not published here yet.",
        "early_help_outcomes": "Outcomes of early help needs are not collected nationally; Supporting Families "
        "reported positive outcomes with 50,860 families from April 2022 to January 2023 (a different measure).",
        "early_help_taken_up": "The DfE does not publish what became of contacts decided as early help.",
    }
)


def figure(key: str) -> NationalFigure | None:
    return NATIONAL.get(key)
