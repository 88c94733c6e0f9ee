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
# List 8's permanence plan, in Ofsted's words (ILACS Annex A; children_in_care.permanence.PERMANENCE_PLANS a-g).
PERMANENCE_PLAN = {
    "a": "a) Return to family",
    "b": "b) Adoption",
    "c": "c) SGO/CAO",
    "d": "d) Supported living in the community",
    "e": "e) Long-term residential placement",
    "f": "f) Long-term fostering",
    "g": "g) Other",
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
        "List 8",
        "Children in care",
        "children looked after at any time in the period (their latest period of care in it)",
        (
            *LEADING,
            *DISABILITY,
            "UASC within last 12 months (Y/N)",
            "Date Started to be Looked After",
            "Child's Category of Need",
            "Second or subsequent period of care within last 12 months (Y/N)",
            "Start date of current legal status",
            "Child's Legal Status",
            "Date of Latest Statutory Review",
            "Date of Last Social Work Visit",
            "Permanence plan",
            "Date of Last IRO Visit/Contact",
            "Date of Last Health Assessment",
            "Date of Last Dental Check",
            "Number of Placements in last 12 months",
            "Date Ceased to be Looked After",
            "Reason Ceased",
            "Start Date of Most Recent Placement",
            "Placement Type",
            "Placement Provider",
            "Placement postcode",
            "URN of Placement",
            "Placement Location (in/out of LA)",
            "LA of Placement",
            "Number of 'Missing' episodes in last 12 months",
            "Number of 'Absent' episodes in last 12 months",
            "Offered a Return Interview after last missing episode (Y/N)",
            "Accepted Return Interview (Y/N)",
            *TRAILING,
        ),
    ),
    ListSpec(
        "List 9",
        "Care leavers",
        "care leavers (relevant, former relevant and qualifying) at the end of the period, their duties not ended "
        "before it began",
        (
            *LEADING,
            *DISABILITY,
            "Eligibility Category",
            "LA in Touch",
            "Type of Accommodation",
            "Suitability of Accommodation",
            "Activity Status",
            *TRAILING,
        ),
    ),
    # List 10 (adoption) and List 11 (prospective adopters) go here, in Ofsted's order (LIST_10, LIST_11 below).
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
# Lists 10 and 11 (adoption; prospective adopters), from the permanence record (returns.annex_a.adoption).
LIST_10 = ListSpec(
    "List 10",
    "Adoption",
    "children with a decision that they should be placed for adoption in force at any time in the period",
    (
        *LEADING,
        *DISABILITY,
        "Family identifier",
        "Date the Child Entered Care",
        "Date of Decision that Child Should be Placed for Adoption",
        "Date of Placement Order",
        "Date of Matching Child and Prospective Adopters",
        "Date Placed for Adoption",
        "Date of Adoption Order",
        "Date of Decision that Child Should No Longer be Placed for Adoption",
        "Reason Why Child No Longer Placed for Adoption",
        "Date placed in FFA or concurrent planning placement",
    ),
)
LIST_11 = ListSpec(
    "List 11",
    "Adopters",
    "prospective adopters in the process at any time in the period (enquiry on or before its end, not left before "
    "its start): one row each",
    (
        "Individual adopter identifier",
        "Family identifier",
        "Gender",
        "Ethnicity",
        "Disability",
        "Is the adopter fostering for adoption?",
        "Date enquiry received",
        "Date Stage 1 started",
        "Date Stage 1 ended",
        "Date Stage 2 started",
        "Date Stage 2 ended",
        "Date application submitted",
        "Date application approved",
        "Date adopter matched with child(ren)",
        "Date child/children placed with adopter(s)",
        "No. of children placed",
        "Date of Adoption Order",
        "Date of leaving adoption process",
        "Reason for leaving adoption process",
    ),
)
# Annex A list 11's adopter gender (the lettered set of the other lists, with "d) Neither").
ADOPTER_GENDER = {"a": "a) Male", "b": "b) Female", "c": "c) Not stated/recorded", "d": "d) Neither"}
# Annex A list 11's reasons for leaving the process, as Ofsted numbers them.
REASON_LEFT_PROCESS = {"1": "1) Adopter withdrew", "2": "2) Process put on hold", "3": "3) Application refused"}
_MISSING_AT = next(i for i, spec in enumerate(LISTS) if spec.sheet == "Missing")
LISTS = (*LISTS[:_MISSING_AT], LIST_10, LIST_11, *LISTS[_MISSING_AT:])
SPEC_BY_SHEET = {spec.sheet: spec for spec in LISTS}
# List 9's eligibility: Ofsted's lettered options (children_in_care.care_leavers.Category).
ELIGIBILITY = {
    "relevant": "a) Relevant child",
    "former_relevant": "b) Former relevant child",
    "qualifying": "c) Qualifying care leaver",
}
# List 9's activity: Ofsted's list keeps the SSDA903 codes of before 2023 (F3 / P3, training or employment); the
# apprenticeship (F4 / P4) and other training or employment (F5 / P5) codes the DfE split them into are written as
# F3 / P3 (the liia-tools map of June 2024), and "0" (no information) as blank.
ACTIVITY = {"F4": "F3", "F5": "F3", "P4": "P3", "P5": "P3", "0": ""}
SUITABILITY = {"1": "Suitable", "2": "Unsuitable"}
# List 9's "LA in Touch": Ofsted's codes are the SSDA903 OC3 IN_TOUCH codes, written as they are.
CASE_WORKING_ROLES = (
    Role.SOCIAL_WORKER,
    Role.TEAM_MANAGER,
    Role.EXPLOITATION_PRACTITIONER,
    Role.MASH_WORKER,
    Role.MASH_MANAGER,
)
