"""What Annex A asks for: the lists, their columns and value sets (Ofsted's ILACS Annex A: the 11-list
layout as implemented in SocialFinanceDigitalLabs/liia-tools, June 2024; Annex A is a versioned specification:
check against the current Ofsted workbook each framework update)."""

from __future__ import annotations

from dataclasses import dataclass

from safeguarding.core import codes
from safeguarding.core.users import Role

# --- value sets (Ofsted ILACS Annex A) -----------------------------------------------------------------------------

GENDER = {"M": "a) Male", "F": "b) Female", "U": "c) Not stated/recorded"}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Lettered in the DfE order of the code set (core.codes), e.g. "a) WBRI".
ETHNICITY = {code: f"{_LETTERS[i]}) {code}" for i, code in enumerate(codes.ETHNICITIES)}
SOURCE = {code: f"{_LETTERS[i]}) {code}" for i, code in enumerate(c for c in codes.REFERRAL_SOURCES if c != "5D")}
CATEGORY = {"NEG": "Neglect", "PHY": "Physical", "SAB": "Sexual", "EMO": "Emotional", "MUL": "Multiple/not recommended"}
CASE_STATUS = {
    "cp": "b) Child protection plan",
    "cin": "c) Child in need plan",
    "assessment": "d) Open assessment",
    "closed": "e) Closed episode",
    "open": "c) Child in need plan",
}
# Case work outcomes that mean the child needs children's social care support (casework.rules.ASSESSMENT_OUTCOMES).
NO_FURTHER_SUPPORT = frozenset({"nfa", "early_help"})


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


# --- columns (Ofsted ILACS Annex A) --------------------------------------------------------------------------------

LEADING = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)")
DISABILITY = ("Does the Child have a Disability",)
TRAILING = ("Allocated Team", "Allocated Worker")


@dataclass(frozen=True)
class ListSpec:
    sheet: str
    title: str
    cohort: str  # which rows a period takes, in words
    columns: tuple[str, ...]


LISTS: tuple[ListSpec, ...] = (
    ListSpec(
        "List 1",
        "Contacts",
        "contacts received in the period (Annex A asks for the last six months)",
        (*LEADING, "Date of Contact", "Contact Source"),
    ),
    ListSpec(
        "List 2",
        "Early help assessments",
        "early help assessments open at any time in the period, a row for each child of the family",
        (*LEADING, "Assessment start date", "Assessment completion date", "Organisation completing assessment"),
    ),
    ListSpec(
        "List 3",
        "Referrals",
        "referrals made in the period",
        (
            *LEADING,
            "Date of referral",
            "Referral Source",
            "Referral NFA?",
            "Number of Referrals in Last 12 Months",
            *TRAILING,
        ),
    ),
    ListSpec(
        "List 4",
        "Assessments",
        "assessments open at any time in the period",
        (
            *LEADING,
            *DISABILITY,
            "Continuous Assessment Start Date",
            "Child Seen During Continuous Assessment",
            "Continuous Assessment Date of Authorisation",
            "Was the child assessed as requiring LA children's social care support?",
            *TRAILING,
        ),
    ),
    ListSpec(
        "List 5",
        "Section 47 enquiries and ICPCs",
        "section 47 enquiries started in the period",
        (
            *LEADING,
            *DISABILITY,
            "Strategy discussion initiating Section 47 Enquiry Start Date",
            "Was an ICPC deemed unnecessary?",
            "Date of ICPC",
            "Did the ICPC result in a CP plan",
            "Number of S47 enquiries in the last 12 months",
            "Number of ICPCs in the last 12 months",
            *TRAILING,
        ),
    ),
    ListSpec(
        "List 6",
        "Children in need",
        "episodes of need open at any time in the period",
        (
            *LEADING,
            *DISABILITY,
            "CIN Start Date",
            "Primary Need Code",
            "Date Child Was Last Seen",
            "CIN Closure Date",
            "Reason for Closure",
            "Case Status",
            *TRAILING,
        ),
    ),
    ListSpec(
        "List 7",
        "Child protection",
        "child protection plans open at any time in the period",
        (
            *LEADING,
            *DISABILITY,
            "CP Plan Start Date",
            "Initial Category of Abuse",
            "Latest Category of Abuse",
            "Date of the Last Statutory Visit",
            "Was the Child Seen Alone?",
            "Date of latest review conference",
            "CP Plan End Date",
            "Subject to EPO or police protection in last six months (Y/N)",
            "Number of Previous CP Plans",
            *TRAILING,
        ),
    ),
    ListSpec(
        "Missing",
        "Missing and absent episodes",
        "missing or absent episodes that began in the period",
        (
            *LEADING,
            "Missing or Absent",
            "Date Went Missing",
            "Date Returned",
            "Offered a Return Interview (Y/N)",
            "Date Return Interview Offered",
            "Accepted Return Interview (Y/N)",
            *TRAILING,
        ),
    ),
    ListSpec(
        "Exploitation",
        "Children screened for exploitation",
        "children screened in the period (their latest screening in it)",
        (*LEADING, "Date of Latest Screening", "Level of Risk", "Types of Exploitation", *TRAILING),
    ),
    ListSpec(
        "Staff",
        "Staff",
        "case-working staff with a contract or allocated children at the end of the period",
        (
            "Worker ID",
            "Worker Name",
            "Role",
            "Team",
            "Agency or Permanent",
            "FTE",
            "Case Holding (Y/N)",
            "Number of Children Allocated",
            "Date of Last Supervision",
            "Date of Next Supervision",
        ),
    ),
)
SPEC_BY_SHEET = {spec.sheet: spec for spec in LISTS}
NOT_HELD = (
    "List 8 (children in care), List 9 (care leavers), List 10 (adoption) and List 11 (adopters) are not "
    "held by this system and are not written."
)
CASE_WORKING_ROLES = (
    Role.SOCIAL_WORKER,
    Role.TEAM_MANAGER,
    Role.EXPLOITATION_PRACTITIONER,
    Role.MASH_WORKER,
    Role.MASH_MANAGER,
)
