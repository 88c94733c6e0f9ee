"""Read a CIN census XML file one ``<Child>`` at a time, safely, into :mod:`.census` dataclasses.

The file may come from any system, and may be hostile. It is fed to lxml's pull parser in chunks, with events only
for ``<Message>``, ``<Header>`` and ``<Child>`` (so Python sees three elements per child, not fifty): each ``<Child>``
is turned into a :class:`~.census.Child` and then cleared and dropped with whatever came before it, so memory stays
flat however many children there are. lxml still builds every element it is fed, so what the reader has not yet
dropped is bounded in bytes, checked after each chunk: a ``<Child>`` larger than a megabyte, or a megabyte since the
last child ended with no child open (a header, or elements between or after the children, that a real census holds
only a few kilobytes of) is refused, naming the first element that is not part of a census and its line.
The parser never fetches anything (``no_network``), never loads a DTD, never expands entities
(``resolve_entities=False``), keeps libxml2's limits on text size and depth (``huge_tree`` off), and any file that
declares a DOCTYPE at all is refused (a CIN census file has none; that is where external entities and nested
"billion laughs" entities live). Not XML, truncated, a DOCTYPE, a root that is not ``<Message>``, a child with
absurdly many elements: :class:`CensusFileRefused` with a message naming the line.

Values that are not of their type (a date that is not ``YYYY-MM-DD``) are findings, not refusals: the reader returns
them with the child as "XSD" problems (the DfE's schema check) and treats the value as absent, as the DfE's own
validator does. Layout: the DfE's CIN census XML specification.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, TypeVar

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

# lxml spends about 130 bytes on each element it builds, so 4 bytes of "<x/>" cost 130 bytes of memory: these
# bound what is held at once to a few tens of megabytes, far above what a real file needs.
MAX_CHILD_BYTES = 1_000_000  # a real <Child> is a few kilobytes
MAX_OUTSIDE_CHILD_BYTES = 1_000_000  # the header and the space between children: a few kilobytes in a real file
CHUNK_BYTES = 1 << 18
T = TypeVar("T")
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
        yield from _read(self, child_from_element)

    def elements(self) -> Generator[tuple[Any, str], None, None]:
        """Each ``<Child>`` element with the file's namespace, read as safely as :meth:`children` but not turned
        into dataclasses (a worker turns only its own share of them; ``validator.FileCheck``). The element is
        cleared once the next one is asked for."""
        yield from _read(self, _as_is)


def _as_is(el: Any, ns: str) -> tuple[Any, str]:
    return el, ns


def open_census(source: Path | str | IO[bytes]) -> CensusFile:
    if isinstance(source, str):
        source = Path(source)
    if isinstance(source, Path):
        if not source.is_file():
            raise CensusFileRefused(f"{source} is not a file")
        if source.stat().st_size == 0:
            raise CensusFileRefused("the file is empty")
    return CensusFile(source)


class _Node:
    """One element's children by name (one pass), with typed reads that collect what is not of its type."""

    __slots__ = ("by_name", "problems")

    def __init__(self, el: Any, nslen: int, problems: list[Problem]) -> None:
        self.problems = problems
        self.by_name: dict[str, list[Any]] = {}
        for item in el:
            tag = item.tag
            if isinstance(tag, str):
                self.by_name.setdefault(tag[nslen:], []).append(item)

    def text(self, name: str) -> str | None:
        found = self.by_name.get(name)
        if not found or found[0].text is None:
            return None
        value: str = found[0].text.strip()
        return value or None

    def day(self, name: str, path: str) -> date | None:
        raw = self.text(name)
        if raw is None:
            return None
        parsed = parse_date(raw)
        if parsed is None:
            self.problems.append(Problem(f"{path}/{name}", f"{name} {raw[:40]!r} is not a date (YYYY-MM-DD)"))
        return parsed

    def all(self, name: str) -> list[Any]:
        return self.by_name.get(name, [])

    def node(self, name: str, nslen: int) -> _Node | None:
        found = self.by_name.get(name)
        return _Node(found[0], nslen, self.problems) if found else None


def parse_date(raw: str) -> date | None:
    if len(raw) != 10 or raw[4] != "-" or raw[7] != "-" or not _ISO_DATE.match(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _texts(elements: list[Any]) -> tuple[str, ...]:
    return tuple(value for value in ((e.text or "").strip() for e in elements) if value)


def _header(el: Any, nslen: int, problems: list[Problem]) -> Header:
    top = _Node(el, nslen, problems)
    header = Header()
    details = top.node("CollectionDetails", nslen)
    if details is not None:
        header.collection = details.text("Collection")
        header.year = details.text("Year")
        header.reference_date = details.day("ReferenceDate", "Header/CollectionDetails")
    source = top.node("Source", nslen)
    if source is not None:
        header.source_level = source.text("SourceLevel")
        header.lea = source.text("LEA")
        header.software_code = source.text("SoftwareCode")
        header.release = source.text("Release")
        header.serial_no = source.text("SerialNo")
        header.date_time = source.text("DateTime")
    return header


def child_from_element(el: Any, ns: str = "") -> ReadChild:
    nslen = len(ns)
    problems: list[Problem] = []
    top = _Node(el, nslen, problems)
    child = Child(line=el.sourceline)
    ids = top.node("ChildIdentifiers", nslen)
    if ids is not None:
        child.la_child_id = ids.text("LAchildID")
        child.upn = ids.text("UPN")
        child.former_upn = ids.text("FormerUPN")
        child.upn_unknown = ids.text("UPNunknown")
        child.birth_date = ids.day("PersonBirthDate", "ChildIdentifiers")
        child.expected_birth_date = ids.day("ExpectedPersonBirthDate", "ChildIdentifiers")
        child.gender = ids.text("GenderCurrent")
        child.sex = ids.text("Sex")
        child.death_date = ids.day("PersonDeathDate", "ChildIdentifiers")
    traits = top.node("ChildCharacteristics", nslen)
    if traits is not None:
        child.ethnicity = traits.text("Ethnicity")
        disabilities = traits.node("Disabilities", nslen)
        if disabilities is not None:
            child.disabilities_given = True
            child.disabilities = _texts(disabilities.all("Disability"))
    for i, details_el in enumerate(top.all("CINdetails")):
        at = f"CINdetails[{i + 1}]"
        d = _Node(details_el, nslen, problems)
        e = Episode(
            referral_date=d.day("CINreferralDate", at),
            referral_source=d.text("ReferralSource"),
            primary_need=d.text("PrimaryNeedCode"),
            closure_date=d.day("CINclosureDate", at),
            closure_reason=d.text("ReasonForClosure"),
            icpc_date=d.day("DateOfInitialCPC", at),
            referral_nfa=d.text("ReferralNFA"),
        )
        for j, a_el in enumerate(d.all("Assessments")):
            where = f"{at}/Assessments[{j + 1}]"
            a = _Node(a_el, nslen, problems)
            factors = a.node("FactorsIdentifiedAtAssessment", nslen)
            e.assessments.append(
                Assessment(
                    start=a.day("AssessmentActualStartDate", where),
                    internal_review=a.day("AssessmentInternalReviewDate", where),
                    authorised=a.day("AssessmentAuthorisationDate", where),
                    factors=_texts(factors.all("AssessmentFactors")) if factors else (),
                    factors_given=factors is not None,
                )
            )
        for j, p_el in enumerate(d.all("CINPlanDates")):
            where = f"{at}/CINPlanDates[{j + 1}]"
            p = _Node(p_el, nslen, problems)
            e.cin_plans.append(CinPlan(p.day("CINPlanStartDate", where), p.day("CINPlanEndDate", where)))
        for j, s_el in enumerate(d.all("Section47")):
            where = f"{at}/Section47[{j + 1}]"
            s = _Node(s_el, nslen, problems)
            e.section47s.append(
                Section47(
                    start=s.day("S47ActualStartDate", where),
                    icpc_target=s.day("InitialCPCtarget", where),
                    icpc=s.day("DateOfInitialCPC", where),
                    icpc_not_required=s.text("ICPCnotRequired"),
                )
            )
        for j, cp_el in enumerate(d.all("ChildProtectionPlans")):
            where = f"{at}/ChildProtectionPlans[{j + 1}]"
            cp = _Node(cp_el, nslen, problems)
            reviews = _review_dates(cp, nslen, where, problems)
            e.protection_plans.append(
                ProtectionPlan(
                    start=cp.day("CPPstartDate", where),
                    end=cp.day("CPPendDate", where),
                    initial_category=cp.text("InitialCategoryOfAbuse"),
                    latest_category=cp.text("LatestCategoryOfAbuse"),
                    previous_plans=cp.text("NumberOfPreviousCPP"),
                    reviews=reviews,
                    reviews_given=bool(cp.all("Reviews")),
                )
            )
        for pp in d.all("PreProceedingsandFGDM"):
            e.pre_proceedings.append(
                PreProceedings(
                    {item.tag[nslen:]: (item.text or "").strip() for item in pp if isinstance(item.tag, str)}
                )
            )
        child.episodes.append(e)
    return ReadChild(child, problems)


def _review_dates(cp: _Node, nslen: int, where: str, problems: list[Problem]) -> tuple[date | None, ...]:
    """Every CPPreviewDate of a plan, from every ``<Reviews>`` group it holds. The schema allows one group; a file
    with more is told so (a schema finding naming the group) and every date in it is still read, never dropped.
    A date that is not a date is a schema finding and kept as absent, as :meth:`_Node.day` does."""
    groups = cp.all("Reviews")
    if len(groups) > 1:
        problems.append(
            Problem(
                f"{where}/Reviews[2]",
                f"the plan has {len(groups)} Reviews groups where the schema allows one; "
                "the review dates of all of them were read",
            )
        )
    reviews: list[date | None] = []
    k = 0
    for group in groups:
        for r in _Node(group, nslen, problems).all("CPPreviewDate"):
            k += 1
            raw = (r.text or "").strip()
            parsed = parse_date(raw)
            if parsed is None and raw:
                problems.append(
                    Problem(
                        f"{where}/Reviews/CPPreviewDate[{k}]",
                        f"CPPreviewDate {raw[:40]!r} is not a date (YYYY-MM-DD)",
                    )
                )
            reviews.append(parsed)
    return tuple(reviews)


_FIRST_TAG = re.compile(rb"<([A-Za-z_][-.\w:]*)")


def _root_name(head: bytes) -> tuple[str, int]:
    """The first element's name and line in the file's first bytes (prolog, comments and DOCTYPE skipped)."""
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", b"", head, flags=re.S)
    found = _FIRST_TAG.search(text)
    if found is None:
        return "", 1
    name = found.group(1).decode(errors="replace")
    where = head.find(b"<" + found.group(1))
    return name.split(":")[-1], head[: max(where, 0)].count(b"\n") + 1


def _chunks(source: Path | IO[bytes]) -> Iterator[bytes]:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk
    else:
        while chunk := source.read(CHUNK_BYTES):
            yield chunk


def _read(census: CensusFile, make: Callable[[Any, str], T]) -> Iterator[T]:
    parser = etree.XMLPullParser(
        events=("start", "end"),
        tag=("{*}Message", "{*}Header", "{*}Child", "Message", "Header", "Child"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    ns, nslen = "", 0
    root: Any = None
    fed = 0  # bytes given to the parser so far
    child_started_at: int | None = None  # bytes fed when the current <Child> began
    child_line: Any = None
    outside_from = 0  # bytes fed when the last <Child> ended: what follows, outside a child, is not dropped yet
    last_parent: Any = None  # the parent of the last <Child>: its own earlier siblings are dropped once a chunk
    header_open = False
    at_end = False
    try:
        chunks = _chunks(census.source)
        while True:
            chunk = next(chunks, None)
            if chunk is None:
                at_end = True
                parser.close()
                events: Any = parser.read_events()
            else:
                fed += len(chunk)
                parser.feed(chunk)
                events = parser.read_events()
            for event, el in events:
                if root is None:
                    _refuse_doctype(el)
                    qname = etree.QName(el)
                    if event != "start" or qname.localname != "Message" or el.getparent() is not None:
                        raise CensusFileRefused(
                            "the root element is not <Message>: this is not a CIN census file", el.sourceline
                        )
                    root = el
                    ns = f"{{{qname.namespace}}}" if qname.namespace else ""
                    nslen = len(ns)
                    continue
                tag = el.tag
                if tag == ns + "Child":
                    if event == "start":
                        child_started_at, child_line = fed, el.sourceline
                        continue
                    child_started_at, outside_from = None, fed
                    yield make(el, ns)
                    el.clear()
                    parent = el.getparent()
                    while parent is not None and el.getprevious() is not None:
                        del parent[0]
                    last_parent = parent
                elif tag == ns + "Header":
                    header_open = event == "start"
                    if not header_open:
                        census.header = _header(el, nslen, census.header_problems)
                        el.clear()
            if root is None and chunk is not None and fed == len(chunk):  # the first chunk: is this a census?
                name, line = _root_name(chunk)
                if name and name != "Message":
                    raise CensusFileRefused(
                        f"the root element is <{name}>, not <Message>: this is not a CIN census file", line
                    )
            if child_started_at is not None:
                if fed - child_started_at > MAX_CHILD_BYTES:
                    raise CensusFileRefused(
                        f"a <Child> is larger than {MAX_CHILD_BYTES:,} bytes; a real one is a few kilobytes", child_line
                    )
            elif fed - outside_from > MAX_OUTSIDE_CHILD_BYTES and root is not None:
                raise _too_much_outside_children(root, header_open)
            if last_parent is not None:  # once a chunk, not once a child: the hot path stays as it was
                _drop_earlier_siblings(last_parent)
                last_parent = None
            if at_end:
                break
        if root is None:
            raise CensusFileRefused("the file has no <Message> element: this is not a CIN census file")
        if census.header is None:
            census.header = Header()
    except etree.XMLSyntaxError as exc:
        error_line = exc.lineno if exc.lineno else None
        if at_end:
            raise CensusFileRefused(
                f"the file ends before its XML does: it looks cut short ({exc.msg})", error_line
            ) from None
        raise CensusFileRefused(_syntax_message(exc), error_line) from None
    except (etree.LxmlError, ValueError, UnicodeError) as exc:
        raise CensusFileRefused(f"the file cannot be read as XML ({str(exc)[:200]})") from None


def _drop_earlier_siblings(element: Any) -> None:
    """Drop what comes before ``element`` and before each of its ancestors: all of it has been read."""
    parent = element.getparent()
    while parent is not None:
        while element.getprevious() is not None:
            del parent[0]
        element, parent = parent, parent.getparent()


# The elements of a census outside <Child> (the DfE's CIN census XML specification).
_CENSUS_OUTSIDE_CHILD = frozenset(
    {
        "Message",
        "Header",
        "CollectionDetails",
        "Collection",
        "Year",
        "ReferenceDate",
        "Source",
        "SourceLevel",
        "LEA",
        "SoftwareCode",
        "Release",
        "SerialNo",
        "DateTime",
        "Children",
        "Child",
    }
)


def _too_much_outside_children(root: Any, header_open: bool) -> CensusFileRefused:
    """The refusal of a file holding more outside its children than a census could: names the first element that
    is not part of a census (what has not been dropped is bounded, so looking through it is quick)."""
    if header_open:
        message = f"the <Header> is larger than {MAX_OUTSIDE_CHILD_BYTES:,} bytes; a real one is under a kilobyte"
    else:
        message = (
            f"the file holds more than {MAX_OUTSIDE_CHILD_BYTES:,} bytes outside any <Child>; a real census "
            "holds a few kilobytes there"
        )
    for el in root.iter():
        if isinstance(el.tag, str) and (name := el.tag.rpartition("}")[2]) not in _CENSUS_OUTSIDE_CHILD:
            return CensusFileRefused(f"<{name}> is not part of a CIN census, and {message}", el.sourceline)
    return CensusFileRefused(message)


def _refuse_doctype(root: Any) -> None:
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise CensusFileRefused(
            "the file declares a DOCTYPE before its root element; a CIN census file has none, "
            "and declared entities are neither fetched nor expanded",
            root.sourceline,
        )


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    text = str(exc.msg or exc)
    lowered = text.lower()
    if (
        "premature end" in lowered
        or "end of data" in lowered
        or ("extra content" not in lowered and ("not closed" in lowered or "eof" in lowered))
    ):
        return f"the file is not complete: it ends before the XML does ({text})"
    if "entity" in lowered:
        return f"the file uses an entity that is not allowed ({text})"
    if "huge" in lowered or "too large" in lowered or "depth" in lowered:
        return f"the file exceeds the parser's safety limits ({text})"
    return f"the file is not well-formed XML ({text})"
