"""Write :mod:`.census` children as CIN census XML in the DfE layout, streaming (one child in memory at a time).

Element order follows the sequences of the DfE's CIN census XSD: order matters for validity,
for example ``ReferralNFA`` sits between ``Section47`` and ``ChildProtectionPlans``. From 2024-25 ``Sex`` replaces
``GenderCurrent``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from lxml import etree

from safeguarding.core.calendar import now_in_london
from safeguarding.returns.cin_census.census import CensusYear, Child

SOFTWARE_CODE = "Safeguarding"
RELEASE = "0.1.0"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _leaf(parent: Any, name: str, value: str | None) -> None:
    if value is not None:
        etree.SubElement(parent, name).text = value


def child_element(child: Child, year: CensusYear) -> Any:
    el = etree.Element("Child")
    ids = etree.SubElement(el, "ChildIdentifiers")
    _leaf(ids, "LAchildID", child.la_child_id)
    _leaf(ids, "UPN", child.upn)
    _leaf(ids, "FormerUPN", child.former_upn)
    _leaf(ids, "UPNunknown", child.upn_unknown)
    _leaf(ids, "PersonBirthDate", _day(child.birth_date))
    _leaf(ids, "ExpectedPersonBirthDate", _day(child.expected_birth_date))
    if year.year >= 2025:
        _leaf(ids, "Sex", child.sex)
    else:
        _leaf(ids, "GenderCurrent", child.gender)
    _leaf(ids, "PersonDeathDate", _day(child.death_date))
    traits = etree.SubElement(el, "ChildCharacteristics")
    _leaf(traits, "Ethnicity", child.ethnicity)
    if child.disabilities or child.disabilities_given:
        disabilities = etree.SubElement(traits, "Disabilities")
        for code in child.disabilities:
            _leaf(disabilities, "Disability", code)
    for e in child.episodes:
        d = etree.SubElement(el, "CINdetails")
        _leaf(d, "CINreferralDate", _day(e.referral_date))
        _leaf(d, "ReferralSource", e.referral_source)
        _leaf(d, "PrimaryNeedCode", e.primary_need)
        _leaf(d, "CINclosureDate", _day(e.closure_date))
        _leaf(d, "ReasonForClosure", e.closure_reason)
        _leaf(d, "DateOfInitialCPC", _day(e.icpc_date))
        for a in e.assessments:
            ael = etree.SubElement(d, "Assessments")
            _leaf(ael, "AssessmentActualStartDate", _day(a.start))
            _leaf(ael, "AssessmentInternalReviewDate", _day(a.internal_review))
            _leaf(ael, "AssessmentAuthorisationDate", _day(a.authorised))
            if a.factors or a.factors_given:
                factors = etree.SubElement(ael, "FactorsIdentifiedAtAssessment")
                for code in a.factors:
                    _leaf(factors, "AssessmentFactors", code)
        for p in e.cin_plans:
            pel = etree.SubElement(d, "CINPlanDates")
            _leaf(pel, "CINPlanStartDate", _day(p.start))
            _leaf(pel, "CINPlanEndDate", _day(p.end))
        for s in e.section47s:
            sel = etree.SubElement(d, "Section47")
            _leaf(sel, "S47ActualStartDate", _day(s.start))
            _leaf(sel, "InitialCPCtarget", _day(s.icpc_target))
            _leaf(sel, "DateOfInitialCPC", _day(s.icpc))
            _leaf(sel, "ICPCnotRequired", s.icpc_not_required)
        _leaf(d, "ReferralNFA", e.referral_nfa)
        for cp in e.protection_plans:
            cel = etree.SubElement(d, "ChildProtectionPlans")
            _leaf(cel, "CPPstartDate", _day(cp.start))
            _leaf(cel, "CPPendDate", _day(cp.end))
            _leaf(cel, "InitialCategoryOfAbuse", cp.initial_category)
            _leaf(cel, "LatestCategoryOfAbuse", cp.latest_category)
            _leaf(cel, "NumberOfPreviousCPP", cp.previous_plans)
            if cp.reviews or cp.reviews_given:
                reviews = etree.SubElement(cel, "Reviews")
                for review in cp.reviews:
                    _leaf(reviews, "CPPreviewDate", _day(review))
        for pp in e.pre_proceedings:
            ppel = etree.SubElement(d, "PreProceedingsandFGDM")
            for name, value in pp.items.items():
                _leaf(ppel, name, value)
    return el


def write_census(
    out: Path | IO[bytes],
    children: Iterable[Child],
    year: CensusYear,
    *,
    lea: str,
    serial_no: str = "001",
    now: datetime | None = None,
) -> int:
    """Write the census; returns the number of children written."""
    written = 0
    moment = (now or now_in_london().replace(tzinfo=None)).replace(microsecond=0)
    with etree.xmlfile(str(out) if isinstance(out, Path) else out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("Message"):
            header = etree.Element("Header")
            details = etree.SubElement(header, "CollectionDetails")
            _leaf(details, "Collection", "CIN")
            _leaf(details, "Year", str(year.year))
            _leaf(details, "ReferenceDate", year.reference_date.isoformat())
            source = etree.SubElement(header, "Source")
            _leaf(source, "SourceLevel", "L")
            _leaf(source, "LEA", lea)
            _leaf(source, "SoftwareCode", SOFTWARE_CODE)
            _leaf(source, "Release", RELEASE)
            _leaf(source, "SerialNo", serial_no)
            _leaf(source, "DateTime", moment.isoformat())
            xf.write(header, pretty_print=True)
            with xf.element("Children"):
                for child in children:
                    xf.write(child_element(child, year), pretty_print=True)
                    written += 1
    return written
