"""Read a CIN census XML file one ``<Child>`` at a time, safely, into :mod:`.census` dataclasses.

The file may come from any system, and may be hostile. lxml's ``iterparse`` reads it as a stream: each ``<Child>``
is turned into a :class:`~.census.Child` and then cleared, so memory stays flat however many children there are.
The parser never fetches anything (``no_network``), never loads a DTD, never expands entities
(``resolve_entities=False``), keeps libxml2's limits on text size and depth (``huge_tree`` off), and any file that
declares a DOCTYPE at all is refused (a CIN census file has none; that is where external entities and nested
"billion laughs" entities live). Not XML, truncated, a DOCTYPE, a root that is not ``<Message>``, a child with
absurdly many elements: :class:`CensusFileRefused` with a message naming the line.

Values that are not of their type (a date that is not ``YYYY-MM-DD``) are findings, not refusals: the reader returns
them with the child as "XSD" problems (the DfE's schema check) and treats the value as absent, as the DfE's own
validator does. Layout: shared/domain/cin-census.md sections 2 and 3.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from lxml import etree

from safeguarding.returns.cin_census.census import (
    Assessment,
    Child,
    CinPlan,
    Episode,
    Header,
    PreProceedings,
    ProtectionPlan,
    Section47,
)
from safeguarding.returns.cin_census.rules import Problem

MAX_CHILD_ELEMENTS = 20_000  # a real child has tens; more is a file built to exhaust memory
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CensusFileRefused(Exception):
    """The file cannot be read as a CIN census; ``message`` says why, naming the line where there is one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.message = message
        self.line = line


@dataclass
class ReadChild:
    child: Child
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CensusFile:
    """A census being read: the header once it has been seen, then the children as a stream."""

    source: Path | IO[bytes]
    header: Header | None = None
    header_problems: list[Problem] = field(default_factory=list)

    def children(self) -> Iterator[ReadChild]:
        yield from _read(self)


def open_census(source: Path | str | IO[bytes]) -> CensusFile:
    if isinstance(source, str):
        source = Path(source)
    if isinstance(source, Path):
        if not source.is_file():
            raise CensusFileRefused(f"{source} is not a file")
        if source.stat().st_size == 0:
            raise CensusFileRefused("the file is empty")
    return CensusFile(source)


class _Values:
    """Typed reads of one element's children, collecting what is not of its type."""

    def __init__(self, ns: str, problems: list[Problem], where: str) -> None:
        self.ns = ns
        self.problems = problems
        self.where = where

    def text(self, el: Any, name: str) -> str | None:
        found = el.find(self.ns + name)
        if found is None or found.text is None:
            return None
        value: str = found.text.strip()
        return value or None

    def day(self, el: Any, name: str, path: str) -> date | None:
        raw = self.text(el, name)
        if raw is None:
            return None
        parsed = parse_date(raw)
        if parsed is None:
            self.problems.append(Problem(f"{path}/{name}", f"{name} {raw[:40]!r} is not a date (YYYY-MM-DD)"))
        return parsed

    def all(self, el: Any, name: str) -> list[Any]:
        return list(el.iterfind(self.ns + name))


def parse_date(raw: str) -> date | None:
    if not _ISO_DATE.match(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _header(el: Any, ns: str, problems: list[Problem]) -> Header:
    v = _Values(ns, problems, "Header")
    header = Header()
    details = el.find(ns + "CollectionDetails")
    if details is not None:
        header.collection = v.text(details, "Collection")
        header.year = v.text(details, "Year")
        header.reference_date = v.day(details, "ReferenceDate", "Header/CollectionDetails")
    source = el.find(ns + "Source")
    if source is not None:
        header.source_level = v.text(source, "SourceLevel")
        header.lea = v.text(source, "LEA")
        header.software_code = v.text(source, "SoftwareCode")
        header.release = v.text(source, "Release")
        header.serial_no = v.text(source, "SerialNo")
        header.date_time = v.text(source, "DateTime")
    return header


def child_from_element(el: Any, ns: str = "") -> ReadChild:
    problems: list[Problem] = []
    v = _Values(ns, problems, "Child")
    child = Child(line=el.sourceline)
    ids = el.find(ns + "ChildIdentifiers")
    if ids is not None:
        child.la_child_id = v.text(ids, "LAchildID")
        child.upn = v.text(ids, "UPN")
        child.former_upn = v.text(ids, "FormerUPN")
        child.upn_unknown = v.text(ids, "UPNunknown")
        child.birth_date = v.day(ids, "PersonBirthDate", "ChildIdentifiers")
        child.expected_birth_date = v.day(ids, "ExpectedPersonBirthDate", "ChildIdentifiers")
        child.gender = v.text(ids, "GenderCurrent")
        child.sex = v.text(ids, "Sex")
        child.death_date = v.day(ids, "PersonDeathDate", "ChildIdentifiers")
    traits = el.find(ns + "ChildCharacteristics")
    if traits is not None:
        child.ethnicity = v.text(traits, "Ethnicity")
        disabilities = traits.find(ns + "Disabilities")
        if disabilities is not None:
            child.disabilities_given = True
            child.disabilities = tuple((d.text or "").strip() for d in v.all(disabilities, "Disability"))
    for i, details in enumerate(v.all(el, "CINdetails")):
        at = f"CINdetails[{i + 1}]"
        e = Episode(
            referral_date=v.day(details, "CINreferralDate", at),
            referral_source=v.text(details, "ReferralSource"),
            primary_need=v.text(details, "PrimaryNeedCode"),
            closure_date=v.day(details, "CINclosureDate", at),
            closure_reason=v.text(details, "ReasonForClosure"),
            icpc_date=v.day(details, "DateOfInitialCPC", at),
            referral_nfa=v.text(details, "ReferralNFA"),
        )
        for j, a in enumerate(v.all(details, "Assessments")):
            where = f"{at}/Assessments[{j + 1}]"
            factors_el = a.find(ns + "FactorsIdentifiedAtAssessment")
            factors = () if factors_el is None else tuple(
                (f.text or "").strip() for f in v.all(factors_el, "AssessmentFactors"))
            e.assessments.append(Assessment(
                start=v.day(a, "AssessmentActualStartDate", where),
                internal_review=v.day(a, "AssessmentInternalReviewDate", where),
                authorised=v.day(a, "AssessmentAuthorisationDate", where),
                factors=tuple(f for f in factors if f), factors_given=factors_el is not None))
        for j, p in enumerate(v.all(details, "CINPlanDates")):
            where = f"{at}/CINPlanDates[{j + 1}]"
            e.cin_plans.append(CinPlan(v.day(p, "CINPlanStartDate", where), v.day(p, "CINPlanEndDate", where)))
        for j, s in enumerate(v.all(details, "Section47")):
            where = f"{at}/Section47[{j + 1}]"
            e.section47s.append(Section47(
                start=v.day(s, "S47ActualStartDate", where), icpc_target=v.day(s, "InitialCPCtarget", where),
                icpc=v.day(s, "DateOfInitialCPC", where), icpc_not_required=v.text(s, "ICPCnotRequired")))
        for j, cp in enumerate(v.all(details, "ChildProtectionPlans")):
            where = f"{at}/ChildProtectionPlans[{j + 1}]"
            reviews_el = cp.find(ns + "Reviews")
            reviews: tuple[date | None, ...] = ()
            if reviews_el is not None:
                reviews = tuple(parse_date((r.text or "").strip()) for r in v.all(reviews_el, "CPPreviewDate"))
            e.protection_plans.append(ProtectionPlan(
                start=v.day(cp, "CPPstartDate", where), end=v.day(cp, "CPPendDate", where),
                initial_category=v.text(cp, "InitialCategoryOfAbuse"),
                latest_category=v.text(cp, "LatestCategoryOfAbuse"),
                previous_plans=v.text(cp, "NumberOfPreviousCPP"),
                reviews=reviews, reviews_given=reviews_el is not None))
        for pp in v.all(details, "PreProceedingsandFGDM"):
            e.pre_proceedings.append(PreProceedings({
                etree.QName(item).localname: (item.text or "").strip()
                for item in pp if isinstance(item.tag, str)}))
        child.episodes.append(e)
    return ReadChild(child, problems)


def _read(census: CensusFile) -> Iterator[ReadChild]:
    source = census.source
    try:
        events = etree.iterparse(
            str(source) if isinstance(source, Path) else source,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        ns = ""
        depth = 0
        in_child = 0  # elements seen inside the current <Child>
        children_seen = 0
        root: Any = None
        for event, el in events:
            if event == "start":
                depth += 1
                if root is None:
                    root = el
                    _refuse_doctype(el)
                    qname = etree.QName(el)
                    if qname.localname != "Message":
                        raise CensusFileRefused(f"the root element is <{qname.localname}>, not <Message>: this is "
                                                "not a CIN census file", el.sourceline)
                    ns = f"{{{qname.namespace}}}" if qname.namespace else ""
                elif in_child or (depth == 3 and el.tag == ns + "Child"):
                    in_child += 1
                    if in_child > MAX_CHILD_ELEMENTS:
                        raise CensusFileRefused(f"a <Child> has more than {MAX_CHILD_ELEMENTS} elements",
                                                el.sourceline)
                continue
            depth -= 1
            if depth == 2 and el.tag == ns + "Child":
                in_child = 0
                children_seen += 1
                yield child_from_element(el, ns)
                el.clear()
                parent = el.getparent()
                while parent is not None and el.getprevious() is not None:
                    del parent[0]
            elif depth == 1 and el.tag == ns + "Header":
                census.header = _header(el, ns, census.header_problems)
                el.clear()
        if root is None:
            raise CensusFileRefused("the file has no XML elements")
        if census.header is None:
            census.header = Header()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        if line is not None and isinstance(source, Path) and _last_line(source) <= line:
            raise CensusFileRefused(f"the file ends before its XML does: it looks cut short ({exc.msg})", line) \
                from None
        raise CensusFileRefused(_syntax_message(exc), line) from None
    except (etree.LxmlError, ValueError, UnicodeError) as exc:
        raise CensusFileRefused(f"the file cannot be read as XML ({str(exc)[:200]})") from None


def _refuse_doctype(root: Any) -> None:
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise CensusFileRefused("the file declares a DOCTYPE before its root element; a CIN census file has none, "
                                "and declared entities are neither fetched nor expanded", root.sourceline)


def _last_line(path: Path) -> int:
    """The number of the file's last line (counted in chunks: only on the error path, so a large file is fine)."""
    lines = 1
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 1))
        if handle.read(1) == b"\n":
            lines -= 1
    return lines


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    text = str(exc.msg or exc)
    lowered = text.lower()
    if "premature end" in lowered or "end of data" in lowered or ("extra content" not in lowered and (
            "not closed" in lowered or "eof" in lowered)):
        return f"the file is not complete: it ends before the XML does ({text})"
    if "entity" in lowered:
        return f"the file uses an entity that is not allowed ({text})"
    if "huge" in lowered or "too large" in lowered or "depth" in lowered:
        return f"the file exceeds the parser's safety limits ({text})"
    return f"the file is not well-formed XML ({text})"
