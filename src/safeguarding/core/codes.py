"""DfE code sets used across the system, so that returns are a projection, not a translation.

Source: DfE CIN census specification (XSD 2024 and the D2I validator ruleset cin2025_26), as summarised in
shared/domain/cin-census.md section 4. Re-check each autumn when the DfE publishes the next year's specification.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# CIN census ReferralSource (CBDS N00152).
REFERRAL_SOURCES: Final = MappingProxyType({
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
})

# CIN census Ethnicity (CBDS N00177).
ETHNICITIES: Final = MappingProxyType({
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
})

# CIN census Sex from 2024-25 (CBDS N00783); U is required for an unborn child (rule 8750).
SEXES: Final = MappingProxyType({"M": "Male", "F": "Female", "U": "Unknown or unborn"})

# CIN census Disability (CBDS N00099).
DISABILITIES: Final = MappingProxyType({
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
})

# CIN census PrimaryNeedCode (CBDS N00101).
PRIMARY_NEEDS: Final = MappingProxyType({
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
})

# CIN census ReasonForClosure (CBDS N00103).
CLOSURE_REASONS: Final = MappingProxyType({
    "RC1": "Adopted",
    "RC2": "Died",
    "RC3": "Child arrangements order",
    "RC4": "Special guardianship order",
    "RC5": "Transferred to another local authority",
    "RC6": "Transferred to adult social care",
    "RC7": "Services ceased for any other reason, including child no longer in need",
    "RC8": "Case closed after assessment, no further action",
    "RC9": "Case closed after assessment, referred to early help",
})

# CIN census CategoryOfAbuse (Initial / Latest).
CATEGORIES_OF_ABUSE: Final = MappingProxyType({
    "NEG": "Neglect",
    "PHY": "Physical abuse",
    "SAB": "Sexual abuse",
    "EMO": "Emotional abuse",
    "MUL": "Multiple / not recommended",
})

# CIN census UPNunknown.
UPN_UNKNOWN_REASONS: Final = MappingProxyType({
    "UN1": "Child not of school age and not yet assigned a UPN",
    "UN2": "Never attended a maintained school in England",
    "UN3": "Educated outside England",
    "UN4": "Newly in scope and UPN not yet known",
    "UN5": "Sources show discrepancies preventing reliable matching",
    "UN6": "Child not yet assigned a UPN (other reason)",
    "UN7": "Referral with no further action",
})


def label(code_set: MappingProxyType[str, str], code: str | None) -> str:
    """The label of a code, or the code itself where it is unknown (never hides a bad code)."""
    if code is None:
        return ""
    return code_set.get(code, code)
