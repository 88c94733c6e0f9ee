"""DfE code sets used across the system, so that returns are a projection, not a translation.

Source: the code sets of the DfE CIN census specification (XSD 2024 and the D2I validator ruleset cin2025_26).
Re-check each autumn when the DfE publishes the next year's specification.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# CIN census ReferralSource (CBDS N00152).
REFERRAL_SOURCES: Final = MappingProxyType(
    {
        "1A": "Individual – family member, relative or carer",
        "1B": "Individual – acquaintance (neighbours, childminders)",
        "1C": "Individual – self",
        "1D": "Individual – other (for example strangers)",
        "2A": "Schools",
        "2B": "Education services",
        "3A": "Health – GP",
        "3B": "Health – health visitor",
        "3C": "Health – school nurse",
        "3D": "Health – other primary health",
        "3E": "Health – A&E",
        "3F": "Health – other (for example hospice)",
        "4": "Housing (LA housing or housing association)",
        "5A": "LA services – social care (for example adult social care)",
        "5B": "LA services – other internal (for example youth offending)",
        "5C": "LA services – external (for example another LA's adult social care)",
        "5D": "LA services – early help",
        "6": "Police",
        "7": "Other legal agency (courts, probation, immigration, CAFCASS, prison)",
        "8": "Other (children's centres, independent providers, voluntary organisations)",
        "9": "Anonymous",
        "10": "Unknown",
    }
)

# CIN census Ethnicity (CBDS N00177).
ETHNICITIES: Final = MappingProxyType(
    {
        "WBRI": "White British",
        "WIRI": "White Irish",
        "WIRT": "Traveller of Irish heritage",
        "WOTH": "Any other White background",
        "WROM": "Gypsy / Roma",
        "MWBC": "White and Black Caribbean",
        "MWBA": "White and Black African",
        "MWAS": "White and Asian",
        "MOTH": "Any other mixed background",
        "AIND": "Indian",
        "APKN": "Pakistani",
        "ABAN": "Bangladeshi",
        "AOTH": "Any other Asian background",
        "BCRB": "Caribbean",
        "BAFR": "African",
        "BOTH": "Any other Black background",
        "CHNE": "Chinese",
        "OOTH": "Any other ethnic group",
        "REFU": "Refused",
        "NOBT": "Information not yet obtained",
    }
)

# CIN census Sex from 2024-25 (CBDS N00783); U is required for an unborn child (rule 8750).
SEXES: Final = MappingProxyType({"M": "Male", "F": "Female", "U": "Unknown or unborn"})

# CIN census Disability (CBDS N00099).
DISABILITIES: Final = MappingProxyType(
    {
        "NONE": "No disability",
        "MOB": "Mobility",
        "HAND": "Hand function",
        "PC": "Personal care",
        "INC": "Incontinence",
        "COMM": "Communication",
        "LD": "Learning",
        "HEAR": "Hearing",
        "VIS": "Vision",
        "BEH": "Behaviour",
        "CON": "Consciousness",
        "AUT": "Autism (autistic spectrum)",
        "DDA": "Other (DDA-defined)",
    }
)

# CIN census PrimaryNeedCode (CBDS N00101).
PRIMARY_NEEDS: Final = MappingProxyType(
    {
        "N1": "Abuse or neglect",
        "N2": "Child's disability",
        "N3": "Parental disability or illness",
        "N4": "Family in acute stress",
        "N5": "Family dysfunction",
        "N6": "Socially unacceptable behaviour",
        "N7": "Low income",
        "N8": "Absent parenting",
        "N9": "Cases other than children in need",
        "N0": "Not stated",
    }
)

# CIN census ReasonForClosure (CBDS N00103).
CLOSURE_REASONS: Final = MappingProxyType(
    {
        "RC1": "Adopted",
        "RC2": "Died",
        "RC3": "Child arrangements order",
        "RC4": "Special guardianship order",
        "RC5": "Transferred to another local authority",
        "RC6": "Transferred to adult social care",
        "RC7": "Services ceased for any other reason, including child no longer in need",
        "RC8": "Case closed after assessment, no further action",
        "RC9": "Case closed after assessment, referred to early help",
    }
)

# CIN census PPOutcome (CBDS N00833, code set CS131), module 5 from 2026-27. The values A, B and C are the DfE's:
# rule 9011 ("If N00833 is present, then it must be a valid value (codeset CS131)") as the Data to Insight validator
# restates it (csc-validator-be-cin, cin_validator/rules/cin2026_27/rule_9011.py). What each letter means is NOT
# published anywhere this project could read (searched December 2026: the DfE "Children in need census 2026 to 2027:
# specification" page on gov.uk lists its documents but their text is not held; no copy of code set CS131, no
# 2026-27 XSD, no LA or supplier guide naming the letters). The labels below are this project's reading; the letter
# each recorded outcome is reported as is a local setting (returns.cin_census.pp_outcome.*), so a council that reads
# code set CS131 corrects it without a release.
PP_OUTCOMES: Final = MappingProxyType(
    {
        "A": "Stepped down: proceedings not needed",
        "B": "Stepped up: care proceedings applied for",
        "C": "Pre-proceedings ended for another reason",
    }
)

# CIN census CategoryOfAbuse (Initial / Latest).
CATEGORIES_OF_ABUSE: Final = MappingProxyType(
    {
        "NEG": "Neglect",
        "PHY": "Physical abuse",
        "SAB": "Sexual abuse",
        "EMO": "Emotional abuse",
        "MUL": "Multiple / not recommended",
    }
)

# CIN census UPNunknown.
UPN_UNKNOWN_REASONS: Final = MappingProxyType(
    {
        "UN1": "Child not of school age and not yet assigned a UPN",
        "UN2": "Never attended a maintained school in England",
        "UN3": "Educated outside England",
        "UN4": "Newly in scope and UPN not yet known",
        "UN5": "Sources show discrepancies preventing reliable matching",
        "UN6": "Child not yet assigned a UPN (other reason)",
        "UN7": "Referral with no further action",
    }
)


def label(code_set: MappingProxyType[str, str], code: str | None) -> str:
    """The label of a code, or the code itself where it is unknown (never hides a bad code)."""
    if code is None:
        return ""
    return code_set.get(code, code)


# --- added for case work (casework/) ------------------------------------------------------------------------------

# CIN census AssessmentFactors (CBDS N00181), codes valid in the DfE's 2024 XSD.
# 18A / 19A are legacy (queries 8945Q / 8950Q: use the B / C split); 21 must be the only factor (rule 8869).
ASSESSMENT_FACTORS: Final = MappingProxyType(
    {
        "1A": "Alcohol misuse: child",
        "1B": "Alcohol misuse: parent or carer",
        "1C": "Alcohol misuse: other person",
        "2A": "Drug misuse: child",
        "2B": "Drug misuse: parent or carer",
        "2C": "Drug misuse: other person",
        "3A": "Domestic abuse: child",
        "3B": "Domestic abuse: parent or carer",
        "3C": "Domestic abuse: other person",
        "4A": "Mental health: child",
        "4B": "Mental health: parent or carer",
        "4C": "Mental health: other person",
        "5A": "Learning disability: child",
        "5B": "Learning disability: parent or carer",
        "5C": "Learning disability: other person",
        "6A": "Physical disability or illness: child",
        "6B": "Physical disability or illness: parent or carer",
        "6C": "Physical disability or illness: other person",
        "7A": "Young carer",
        "8B": "Privately fostered: overseas, intending to return",
        "8C": "Privately fostered: overseas, intending to stay",
        "8D": "Privately fostered: UK, in educational placement",
        "8E": "Privately fostered: UK, alternative family arrangement",
        "8F": "Privately fostered: other",
        "9A": "Unaccompanied asylum-seeking child",
        "10A": "Going or being missing",
        "11A": "Child sexual exploitation",
        "12A": "Trafficking",
        "13A": "Gangs",
        "14A": "Socially unacceptable behaviour",
        "15A": "Self-harm",
        "16A": "Neglect",
        "17A": "Emotional abuse",
        "18A": "Physical abuse (legacy: use 18B or 18C)",
        "18B": "Physical abuse: child on child",
        "18C": "Physical abuse: adult on child",
        "19A": "Sexual abuse (legacy: use 19B or 19C)",
        "19B": "Sexual abuse: child on child",
        "19C": "Sexual abuse: adult on child",
        "20": "Other",
        "21": "No factors identified",
        "22A": "Female genital mutilation",
        "23A": "Abuse linked to faith or belief",
        "24A": "Child criminal exploitation",
    }
)
# Legacy factors the census queries (8945Q, 8950Q): refused on new assessments.
LEGACY_ASSESSMENT_FACTORS: Final = frozenset({"18A", "19A"})

# Why a child protection plan ended. The CIN census records only the end date; these are the reasons councils
# commonly record locally (a local list; neither the CIN census nor the Standard Safeguarding Dataset codes them).
CP_PLAN_END_REASONS: Final = MappingProxyType(
    {
        "no_longer_at_risk": "No longer at risk of significant harm: stepped down to a child in need plan",
        "no_longer_at_risk_closed": "No longer at risk of significant harm: no further services",
        "looked_after": "Child became looked after",
        "moved_la": "Child moved to another local authority (plan transferred)",
        "reached_18": "Child reached 18",
        "died": "Child died",
    }
)


# --- appended by the returns capability (CIN census validation) -------------------------------------------------

# CIN census GenderCurrent up to 2023-24 (CBDS N00065); replaced by Sex from 2024-25 (the DfE specification).
GENDERS: Final = MappingProxyType(
    {
        "1": "Male",
        "2": "Female",
        "0": "Not recorded or unborn",
        "9": "Indeterminate",
    }
)

# UPN characters 2-4: the DfE's three-digit codes of English local authorities since April 1998 (rule 1530, list
# updated 2023-24: 940/941 Northamptonshire's successors, 942/943 Cumbria's), with the superseded codes still
# found on older UPNs (836 Poole, 837 Bournemouth, 909 Cumbria, 928 Northamptonshire) and the Welsh authorities
# (660-681) whose UPNs follow pupils into England. Compiled from the DfE "LA codes" list (GIAS); *verify each
# autumn* against the year's CIN census specification.
UPN_LA_CODES: Final = frozenset(
    [str(code) for code in range(201, 214)]
    + [str(code) for code in range(301, 321)]
    + [str(code) for code in range(330, 337)]
    + [str(code) for code in range(340, 345)]
    + [str(code) for code in range(350, 360)]
    + [str(code) for code in range(370, 374)]
    + [str(code) for code in range(380, 385)]
    + [str(code) for code in range(390, 395)]
    + ["420"]
    + [str(code) for code in range(660, 682)]
    + [
        "800",
        "801",
        "802",
        "803",
        "805",
        "806",
        "807",
        "808",
        "810",
        "811",
        "812",
        "813",
        "815",
        "816",
        "821",
        "822",
        "823",
        "825",
        "826",
        "830",
        "831",
        "835",
        "836",
        "837",
        "838",
        "839",
        "840",
        "841",
        "845",
        "846",
        "850",
        "851",
        "852",
        "855",
        "856",
        "857",
        "860",
        "861",
        "865",
        "866",
        "867",
        "868",
        "869",
        "870",
        "871",
        "872",
        "873",
        "874",
        "876",
        "877",
        "878",
        "879",
        "880",
        "881",
        "882",
        "883",
        "884",
        "885",
        "886",
        "887",
        "888",
        "889",
        "890",
        "891",
        "892",
        "893",
        "894",
        "895",
        "896",
        "908",
        "909",
        "916",
        "919",
        "921",
        "925",
        "926",
        "928",
        "929",
        "931",
        "933",
        "935",
        "936",
        "937",
        "938",
        "940",
        "941",
        "942",
        "943",
    ]
)

# SSDA903 LA_PERM (rule 633): the council that arranged a previous permanence order, as the DfE's three-digit code of
# an English local authority (999 where it is not known), or WAL, SCO, NIR or NUK for a council in Wales, Scotland,
# Northern Ireland or outside the UK (DfE SSDA903 validation rules, as implemented by Data to Insight's validator).
PERMANENCE_LA_CODES: Final = frozenset(
    {code for code in UPN_LA_CODES if not 660 <= int(code) <= 681} | {"999", "WAL", "SCO", "NIR", "NUK"}
)


# --- appended by the returns capability (SSDA903 social worker episodes) ----------------------------------------

# Why a child's social worker changed: the SSDA903 SW_REASON codes (social worker episodes, from 2023-24). The
# labels are the best reading of the DfE's codes (domain note ssda903.md section 3.17 marks them to verify). FCONTA
# is "first contact" as the DfE's 2025-26 rules SW10aSTG2 and SW10bSTG2 word it (as Data to Insight's validator
# holds them), not the note's "end of fixed-term contract": the published wording is followed.
SOCIAL_WORKER_CHANGE_REASONS: Final = MappingProxyType(
    {
        "MANAGE": "A management decision",
        "FCONTA": "First contact: the child's first social worker, or the first after their case was closed",
        "LEFTRL": "The worker left the role",
        "ORGRST": "An organisational restructure",
        "TSPROC": "The case moved to another team as part of the process (for example after the assessment)",
        "ABSENC": "The worker is absent for a long time",
        "CHCHAN": "The child's circumstances changed",
        "PCCHAN": "The child's placement changed",
        "SWDIED": "The worker died",
        "OTHERS": "Another reason",
    }
)
