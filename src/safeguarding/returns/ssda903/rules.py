"""The DfE's SSDA903 validation rules, one small pure function per rule code, each with its text and table.

Source: the DfE's "Children looked after return (SSDA903) validation rules" for each collection year, read through
the rule listing of the Data to Insight validator (csc-validator-be-903, ``lac_validator``, rule information for
2024-25: code, message, fields, tables). The texts are the DfE's messages. Each function is written here from the
rule's wording, not from any other implementation; where the D2I implementation reads a rule differently from the
DfE's wording, the DfE's wording is followed and the rule's ``note`` says so.

A rule takes one :class:`Child` (every row of the child in this return, and last year's where ``--previous`` was
given) and the :class:`~.tables.CollectionYear`, and yields a :class:`Problem` for each place it breaks. Rules that
compare with last year (``previous=True``) are skipped when last year's return is not given. Rules the DfE deleted
carry their last year, new ones their first. Rules needing reference data (``reference=``: the council's copy of
Ofsted's provider list and the postcode sectors' LAs and centroids, :mod:`.reference`, ``validate --reference DIR``)
run only where it is given: 164, 169, 218, 230, 243, 392a, 406, 420, 452, 453, 454, 503G, 503H (postcodes), 219, 221,
224, 227, 228 (providers), 241 (both), and with the council's own ONS code (``--la``) 503J, 1015, 229; 392c and 1008
check a value's form always and the list too where it is given. The distance and LA rules' wording is the DfE's
validation rules for 2025-26 as implemented by Data to Insight's validator (csc-validator-be-903, lac_validator/rules).
Not implemented: 411 ("placement location code disagrees with LA of placement"), which can only fire where a return
carries PL_LOCATION or PL_LA as typed items; the CSV tables and this system's XML carry neither, and both are
derived here from PL_POST, so they cannot disagree; likewise 179 (PL_LOCATION not a valid code). Also not
implemented: 444 (it compares children, and these rules read one child at a time; its wording is not among the stored
sources), 364 (PACE detention: the DfE's wording says the time is "severely limited" and gives no limit; Data to
Insight's 21 days is its own), and SW11a/bSTG2 (2023-24's: Data to Insight's two readings disagree and the stored
sources hold no DfE wording to settle them). 1001 and 1002 are checked only where this year's and last year's returns
settle them (their notes).

The DfE's 903 rules distinguish errors from queries only in its own collection system; the rules whose wording
asks the council to check ("appears", "should ... in most circumstances") are marked queries here (to verify
against the DfE's rule spreadsheet each year), the rest errors. Checked for issue 15: the stored sources do not
settle any rule's type (ssda903.md section 4.4: the D2I listing holds none; the DfE's spreadsheet is not among them),
so each query below says why it is read as one (:data:`QUERY_READINGS`) and every other rule stays an error.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from safeguarding.core import codes, dates
from safeguarding.people.rules import upn_problem
from safeguarding.returns.ssda903.reference import Provider, Reference, sector_of
from safeguarding.returns.ssda903.tables import (
    ACCOM_CODES,
    ACTIV_CODES,
    ADOPTED,
    ADOPTION_PLACEMENTS,
    CIN_CODES,
    COUPLES,
    FOSTER,
    IN_TOUCH_CODES,
    LS_ADOPTR_CODES,
    LS_CODES,
    MISSING_CODES,
    OTHER_PLACEMENTS,
    PLACE_CHANGE_REASONS,
    PLACE_INTRODUCED,
    PLACE_WITHDRAWN,
    PLACED_CEASED_REASONS,
    PREV_PERM_CODES,
    PROVIDER_CODES,
    REC_CODES,
    REVIEW_CODES,
    RNE_CODES,
    SDQ_REASONS,
    SEX_ADOPTR_CODES,
    SEX_CODES,
    SW_REASONS,
    TEMPORARY,
    UPN_UNKNOWN,
    YES_NO,
    ChildRecord,
    CollectionYear,
    DoloRow,
    EpisodeRow,
    HeaderRow,
    Oc2Row,
    place_codes,
)


class Severity(StrEnum):
    ERROR = "error"
    QUERY = "query"


class Problem(NamedTuple):
    table: str
    fields: tuple[str, ...]
    line: int = 0
    detail: str = ""  # what was found, said plainly; the rule's text says what is wrong


Check = Callable[["Child", CollectionYear], Iterator[Problem]]


@dataclass(frozen=True)
class Rule:
    code: str
    text: str
    tables: tuple[str, ...]
    check: Check
    severity: Severity = Severity.ERROR
    previous: bool = False  # compares with last year's return
    first_year: int = 2024
    last_year: int | None = None
    needs: str | None = None  # a ChildRecord list the child must have rows in for the rule to have anything to check
    note: str = ""
    # The reference data the rule reads, space-separated ("providers", "postcodes", "authority"; .reference)
    reference: str | None = None

    def applies_to(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)


RULES: dict[str, Rule] = {}

# The rules read as queries, each with the wording that makes it one (no stored source gives the DfE's type; see the
# module's docstring). A rule whose text says a record "appears" so is a query; the rest of the 903 rules are errors.
QUERY_READINGS: dict[str, str] = {
    "EPI": "the DfE words it as a warning: the child's episodes are not loaded",
    "NoE": "last year's episodes may be in a return not given: the council is asked to look",
    "199": "a fact to confirm (the child was adopted from care before), not a fault in the record",
    "231": "the wording asks the council to check the date of birth and, where it is right, to say so",
    "232": "the DfE's guidance calls an unknown sex a query (ssda903.md 3.1): rule 101 names the code as not valid",
    "355": "the wording says the episode 'appears' to have lasted under a day",
    "392d": "a child may rightly be placed in the postcode sector of their home: the council is asked to confirm",
    "431": "a period may end and a new one begin the same day: the council is asked to confirm",
    "454": "a child may rightly be placed far from home (a secure or specialist setting): the council is asked to "
    "confirm the distance",
    "504": "the need may rightly be read again within a period: the council is asked to confirm",
    "582": "adoption on the day of matching is unusual, not impossible: the council is asked to confirm",
    "709": "the wording calls the placement 'unexpected', not impossible: the council is asked to confirm",
    "SW09STG2": "the wording says the social worker episode 'appears' to have lasted under a day",
}

# Rules that have nothing to check on a child without the feature named (see ``features``): the validator skips
# them there. Checked both ways by the rule tests (the child made to break a rule must still run it).
NEEDS: dict[str, str] = {
    **dict.fromkeys(("142", "225", "336", "431", "432", "433", "434", "435", "436", "437", "501", "504"), "moves"),
    **dict.fromkeys(("226", "375", "376", "377", "379", "380", "383"), "temporary"),
    **dict.fromkeys(("365", "366", "367", "382", "384", "399", "426"), "respite"),
    **dict.fromkeys(("381", "386", "387", "389", "390", "407", "460", "516", "607"), "left"),
    **dict.fromkeys(("217", "408", "551", "553"), "adoption"),
    **dict.fromkeys(("358", "361", "362", "363"), "short_status"),
    **dict.fromkeys(("371", "372", "373", "374"), "young_place"),
}
_SHORT_STATUS = frozenset({"L1", "L2", "L3", "J1", "J2", "J3"})
_YOUNG_PLACE = frozenset({"H5", "K3", "R5", "S1", "P3"})
_ADOPTION_STATUS = frozenset({"E1", "D1"})


def features(record: ChildRecord) -> frozenset[str]:
    """The tables a child has rows in, and what its episodes hold that only some rules read."""
    found = {name for name in _LISTS if getattr(record, name)}
    episodes = record.episodes
    if len(episodes) > 1:
        found.add("moves")
    for e in episodes:
        place, ls, rec = e.place, e.ls, e.rec
        if place in TEMPORARY:
            found.add("temporary")
        if ls == "V3" or ls == "V4":
            found.add("respite")
        if rec is not None and rec != "X1":
            found.add("left")
        if place in ADOPTION_PLACEMENTS or ls in _ADOPTION_STATUS or rec in ADOPTED:
            found.add("adoption")
        if ls in _SHORT_STATUS:
            found.add("short_status")
        if place in _YOUNG_PLACE:
            found.add("young_place")
    return frozenset(found)


_LISTS = (
    "header",
    "episodes",
    "reviews",
    "uasc",
    "oc2",
    "oc3",
    "ad1",
    "placed",
    "prev_perm",
    "missing",
    "sw_episodes",
    "dolo",
)


def rule(
    code: str,
    text: str,
    tables: str,
    *,
    query: bool = False,
    previous: bool = False,
    first_year: int = 2024,
    last_year: int | None = None,
    needs: str | None = None,
    note: str = "",
    reference: str | None = None,
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if code in RULES:
            raise ValueError(f"rule {code} registered twice")
        RULES[code] = Rule(
            code,
            text,
            tuple(tables.split()),
            check,
            Severity.QUERY if query else Severity.ERROR,
            previous,
            first_year,
            last_year,
            NEEDS.get(code, needs),
            note or (f"Read as a query: {QUERY_READINGS[code]}." if query and code in QUERY_READINGS else ""),
            reference,
        )
        return check

    return register


def rules_for(year: int, with_previous: bool, references: frozenset[str] = frozenset()) -> list[Rule]:
    """The rules of the year that can run: those comparing years only with last year's return, those reading
    reference data only where it was given."""
    return [
        r
        for r in RULES.values()
        if r.applies_to(year)
        and (with_previous or not r.previous)
        and (r.reference is None or set(r.reference.split()) <= references)
    ]


# --- the child as the rules read it ------------------------------------------------------------------------------


class Child:
    """One child's rows in this return (``r``) and in last year's (``last``, None where not given or not there)."""

    __slots__ = ("_oc2", "_periods", "_respite", "dob", "header", "last", "r", "ref")

    def __init__(self, record: ChildRecord, last: ChildRecord | None = None, ref: Reference | None = None) -> None:
        self.r = record
        self.last = last
        self.ref = ref  # the reference data given (validate --reference), for the rules that read it
        self.header: HeaderRow | None = record.header[0] if record.header else None
        self.dob: date | None = self.header.dob if self.header else None
        self._periods: list[list[EpisodeRow]] | None = None
        self._respite: bool | None = None
        self._oc2: tuple[CollectionYear, bool] | None = None  # read by a dozen rules: worked out once

    @property
    def id(self) -> str:
        return self.r.child

    def periods(self) -> list[list[EpisodeRow]]:
        """The episodes in periods of care: a period ends with an episode whose reason is not X1 (or whose next
        episode starts another day)."""
        if self._periods is None:
            found: list[list[EpisodeRow]] = []
            for e in self.r.episodes:
                if found and _continues(found[-1][-1], e):
                    found[-1].append(e)
                else:
                    found.append([e])
            self._periods = found
        return self._periods


def _continues(before: EpisodeRow, e: EpisodeRow) -> bool:
    return before.rec == "X1" and e.rne != "S" and before.dec is not None and before.dec == e.decom


def age_on(dob: date | None, day: date | None) -> int | None:
    """The age on ``day`` (``core.dates.age_on``), None when either date is blank."""
    if dob is None or day is None:
        return None
    return dates.age_on(dob, day)


birthday = dates.birthday  # born on 29 February: the birthday falls on 1 March


def show(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "blank"


def pairs(episodes: list[EpisodeRow]) -> Iterator[tuple[EpisodeRow, EpisodeRow]]:
    return itertools.pairwise(episodes)


def open_at(c: Child, day: date) -> EpisodeRow | None:
    """The episode the child was looked after in on ``day``, if any."""
    for e in c.r.episodes:
        if e.decom is not None and e.decom <= day and (e.dec is None or e.dec > day):
            return e
    return None


def looked_after_at_end(c: Child, y: CollectionYear) -> bool:
    last = c.r.episodes[-1] if c.r.episodes else None
    return last is not None and last.dec is None and last.decom is not None and last.decom <= y.end


def respite_only(c: Child) -> bool:
    if c._respite is None:
        c._respite = bool(c.r.episodes) and all(e.ls in ("V3", "V4") for e in c.r.episodes)
    return c._respite


def in_oc2_cohort(c: Child, y: CollectionYear) -> bool:
    """Looked after continuously for at least 12 months at 31 March (the OC2 cohort): the period of care open at
    31 March started on or before 1 April of the year before, and is not only short breaks (V3/V4)."""
    if c._oc2 is not None and c._oc2[0] is y:
        return c._oc2[1]
    periods = c.periods()
    if not periods or respite_only(c):
        found = False
    else:
        current = periods[-1]
        last = current[-1]
        start = current[0].decom
        found = (
            last.dec is None
            and start is not None
            and start <= y.start
            and not all(e.ls in ("V3", "V4") for e in current)
        )
    c._oc2 = (y, found)
    return found


def care_began(c: Child) -> date | None:
    """The day the child's latest period of care began, where this return shows it (its first episode is a start,
    RNE S); None where it began before the return's first episode or there are none."""
    periods = c.periods()
    return periods[-1][0].decom if periods and periods[-1][0].rne == "S" else None


def ceased_care(e: EpisodeRow) -> bool:
    return e.dec is not None and e.rec is not None and e.rec != "X1"


def has(values: Iterable[str | None]) -> bool:
    return any(v is not None for v in values)


def invalid_date(rows: Iterable[object], table: str, column: str, required: bool = False) -> Iterator[Problem]:
    for row in rows:
        if column in row.invalid or (required and getattr(row, column) is None):  # type: ignore[attr-defined]
            yield Problem(table, (column.upper(),), row.line)  # type: ignore[attr-defined]


def not_in(
    rows: Iterable[object], table: str, column: str, valid: frozenset[str], required: bool = False
) -> Iterator[Problem]:
    for row in rows:
        value = getattr(row, column)
        if (value is None and required) or (value is not None and value not in valid):
            yield Problem(table, (column.upper(),), row.line, f"{column.upper()} is {value or 'blank'}")  # type: ignore[attr-defined]


# --- INT: integrity of the return and structural checks ----------------------------------------------------------

_IN_HEADER = (
    ("INT01", "AD1", "ad1"),
    ("INT02", "PlacedAdoption", "placed"),
    ("INT03", "Episodes", "episodes"),
    ("INT04", "Missing", "missing"),
    ("INT05", "OC2", "oc2"),
    ("INT06", "OC3", "oc3"),
    ("INT07", "PrevPerm", "prev_perm"),
    ("INT08", "Reviews", "reviews"),
    ("INT09", "UASC", "uasc"),
)


def _not_in_header(table: str, attribute: str) -> Check:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        if c.header is None:
            rows = getattr(c.r, attribute)
            yield Problem(table, ("CHILD",), rows[0].line, f"child {c.id} is in {table} but not in Header")

    return check


for _code, _table, _attribute in _IN_HEADER:
    _message = f"Internal Check: Child in {_table} does not exist in Header."
    if _code == "INT01":
        _message = "Data Integrity Check: Child in AD1 does not exist in Header."
    rule(_code, _message, f"{_table} Header", needs=_attribute)(_not_in_header(_table, _attribute))

_SAME_DOB = (
    ("INT11", "AD1", "ad1"),
    ("INT12", "PlacedAdoption", "placed"),
    ("INT13", "Missing", "missing"),
    ("INT14", "OC2", "oc2"),
    ("INT15", "OC3", "oc3"),
    ("INT16", "PrevPerm", "prev_perm"),
    ("INT17", "Reviews", "reviews"),
    ("INT18", "UASC", "uasc"),
)


def _same_dob(table: str, attribute: str) -> Check:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        if c.header is None:
            return
        for row in getattr(c.r, attribute):
            if row.dob != c.dob and "dob" not in row.invalid:
                yield Problem(table, ("DOB",), row.line, f"DOB {show(row.dob)} where Header has {show(c.dob)}")

    return check


for _code, _table, _attribute in _SAME_DOB:
    rule(
        _code, f"Internal Check: DOB in {_table} is different to DOB in Header.", f"{_table} Header", needs=_attribute
    )(_same_dob(_table, _attribute))


@rule("INT21", "Internal Check: SEX in UASC is different to SEX in Header.", "UASC Header", needs="uasc")
def int21(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.header is not None:
        for row in c.r.uasc:
            if row.sex != c.header.sex:
                yield Problem("UASC", ("SEX",), row.line, f"SEX {row.sex or 'blank'} where Header has {c.header.sex}")


_ONCE = (
    ("INT31", "AD1", "ad1"),
    ("INT32", "Header", "header"),
    ("INT33", "OC2", "oc2"),
    ("INT34", "OC3", "oc3"),
    ("INT35", "PrevPerm", "prev_perm"),
    ("INT36", "UASC", "uasc"),
)


def _once(table: str, attribute: str) -> Check:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        rows = getattr(c.r, attribute)
        for row in rows[1:]:
            yield Problem(table, ("CHILD",), row.line, f"child {c.id} has {len(rows)} rows in {table}")

    return check


for _code, _table, _attribute in _ONCE:
    rule(_code, f"Internal Check: Child should only exist once in {_table}.", _table, needs=_attribute)(
        _once(_table, _attribute)
    )


@rule(
    "EPI",
    "WARNING: Episodes need to be loaded for this child before further validation is possible.",
    "Header",
    query=True,
    needs="header",
)
def epi(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if not c.r.episodes and not c.r.oc3:
        yield Problem("Header", ("CHILD",), c.r.header[0].line, "the child is in Header with no episodes")


@rule(
    "NoE",
    "This child has no episodes loaded for previous year even though child started to be looked after before this "
    "current year.",
    "Episodes Episodes_last",
    query=True,
    previous=True,
    needs="episodes",
)
def noe(c: Child, y: CollectionYear) -> Iterator[Problem]:
    first = c.r.episodes[0]
    if first.decom is not None and first.decom < y.start and (c.last is None or not c.last.episodes):
        yield Problem("Episodes", ("DECOM",), first.line, f"first episode began {show(first.decom)}")


# --- 100 range: validity of each field ---------------------------------------------------------------------------


@rule("101", "Gender code is not valid.", "Header", needs="header")
def r101(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.header, "Header", "sex", SEX_CODES, required=True)


@rule("102", "Date of birth is not a valid date.", "Header", needs="header")
def r102(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.header, "Header", "dob", required=True)


@rule("103", "The ethnicity code is either not valid or has not been entered.", "Header", needs="header")
def r103(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.header, "Header", "ethnic", ETHNIC, required=True)


ETHNIC = frozenset(codes.ETHNICITIES)


@rule(
    "104",
    "Date for Unaccompanied Asylum-Seeking Children (UASC) status ceased is not a valid date.",
    "UASC",
    needs="uasc",
)
def r104(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.uasc, "UASC", "duc")


def uasc_flag(record: ChildRecord) -> str:
    """The child's UASC status as the return codes it: the XML form's HEADER/UASC item where the return holds one;
    else (the CSV tables, which have no such column) 1 where the child has a UASC row, 0 where not."""
    header = record.header[0] if record.header else None
    if header is not None and header.uasc is not None:
        return header.uasc
    return "1" if record.uasc else "0"


@rule(
    "105",
    "Data entry for Unaccompanied Asylum-Seeking Children (UASC) status of child is invalid or has not been completed.",
    "Header",
    needs="header",
    note="Only the XML form holds the UASC status as an item of its own; in the CSV tables a UASC row is the "
    "status, so the rule has nothing to check there.",
)
def r105(c: Child, y: CollectionYear) -> Iterator[Problem]:
    h = c.header
    if h is not None and h.uasc is not None and h.uasc not in YES_NO:
        yield Problem("Header", ("UASC",), h.line, f"UASC is {h.uasc or 'blank'}")


@rule(
    "303",
    "If date Unaccompanied Asylum-Seeking Child (UASC) status ceased is not null, UASC status must be coded 1.",
    "UASC Header",
    needs="uasc",
    note="Breakable only in the XML form, where the status is an item beside DUC; a CSV UASC row is the status.",
)
def r303(c: Child, y: CollectionYear) -> Iterator[Problem]:
    flag = uasc_flag(c.r)
    for u in c.r.uasc:
        if u.duc is not None and flag != "1":
            yield Problem("UASC", ("DUC", "UASC"), u.line, f"DUC {show(u.duc)} where UASC is {flag or 'blank'}")


@rule("112", "Date should be placed for adoption is not a valid date.", "AD1", needs="ad1")
def r112(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.ad1, "AD1", "date_int")


@rule("113", "Date matching child and adopter(s) is not a valid date.", "AD1", needs="ad1")
def r113(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.ad1, "AD1", "date_match")


@rule("114", "Data entry to record the status of former carer(s) of an adopted child is invalid.", "AD1", needs="ad1")
def r114(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.ad1, "AD1", "foster_care", YES_NO)


@rule(
    "115",
    "Date of Local Authority's (LA) decision that a child should be placed for adoption is not a valid date.",
    "PlacedAdoption",
    needs="placed",
)
def r115(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.placed, "PlacedAdoption", "date_placed")


@rule(
    "116",
    "Date of Local Authority's (LA) decision that a child should no longer be placed for adoption is not a valid date.",
    "PlacedAdoption",
    needs="placed",
)
def r116(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.placed, "PlacedAdoption", "date_placed_ceased")


@rule(
    "117",
    "Date of decision that a child should/should no longer be placed for adoption is beyond the current collection "
    "year or after the child ceased to be looked after.",
    "PlacedAdoption Episodes",
    needs="placed",
)
def r117(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = c.r.episodes[-1] if c.r.episodes else None
    left = last.dec if last is not None and ceased_care(last) else None
    for p in c.r.placed:
        for column, day in (("DATE_PLACED", p.date_placed), ("DATE_PLACED_CEASED", p.date_placed_ceased)):
            if day is not None and (day > y.end or (left is not None and day > left)):
                yield Problem("PlacedAdoption", (column,), p.line, f"{column} {show(day)}")


@rule(
    "118",
    "Date of decision that a child should no longer be placed for adoption is before the current collection year "
    "or before the date the child started to be looked after.",
    "PlacedAdoption Episodes",
    needs="placed",
    note="Read as the DfE words it: a decision ceasing before 1 April of the year, or before the start of the "
    "child's latest period of care.",
)
def r118(c: Child, y: CollectionYear) -> Iterator[Problem]:
    started = care_began(c)
    for p in c.r.placed:
        ceased = p.date_placed_ceased
        if ceased is not None and (ceased < y.start or (started is not None and ceased < started)):
            yield Problem("PlacedAdoption", ("DATE_PLACED_CEASED",), p.line, f"DATE_PLACED_CEASED {show(ceased)}")


@rule(
    "119",
    "If the decision is made that a child should no longer be placed for adoption, then the date of this decision "
    "and the reason why this decision was made must be completed.",
    "PlacedAdoption",
    needs="placed",
)
def r119(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for p in c.r.placed:
        given = (
            p.date_placed_ceased is not None or "date_placed_ceased" in p.invalid,
            p.reason_placed_ceased is not None,
        )
        if given[0] != given[1]:
            yield Problem("PlacedAdoption", ("DATE_PLACED_CEASED", "REASON_PLACED_CEASED"), p.line)


@rule(
    "120",
    "The reason for the reversal of the decision that the child should be placed for adoption code is not valid.",
    "PlacedAdoption",
    needs="placed",
)
def r120(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.placed, "PlacedAdoption", "reason_placed_ceased", PLACED_CEASED_REASONS)


@rule("131", "Data entry for being in touch after leaving care is invalid.", "OC3", needs="oc3")
def r131(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.oc3, "OC3", "in_touch", IN_TOUCH_CODES)


@rule("132", "Data entry for activity after leaving care is invalid.", "OC3", needs="oc3")
def r132(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.oc3, "OC3", "activ", ACTIV_CODES)


@rule(
    "133",
    "Data entry for accommodation after leaving care is invalid. If reporting on a child's accommodation after "
    "leaving care the data entry must be valid.",
    "OC3",
    needs="oc3",
)
def r133(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.oc3, "OC3", "accom", ACCOM_CODES)


@rule("134", "Data on adoption should not be entered for the OC3 cohort.", "AD1 OC3", needs="oc3")
def r134(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if any(has((o.in_touch, o.activ, o.accom)) for o in c.r.oc3):
        for a in c.r.ad1:
            if a.date_int or a.date_match or has((a.foster_care, a.nb_adoptr, a.sex_adoptr, a.ls_adoptr)):
                yield Problem("AD1", ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR"), a.line)


@rule("141", "Date episode began is not a valid date.", "Episodes", needs="episodes")
def r141(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.episodes, "Episodes", "decom", required=True)


@rule("142", "A new episode has started, but the previous episode has not ended.", "Episodes", needs="episodes")
def r142(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e, _ in pairs(c.r.episodes):
        if e.dec is None and "dec" not in e.invalid:
            yield Problem("Episodes", ("DEC", "REC"), e.line, f"episode from {show(e.decom)} has no end")


@rule("143", "The reason for new episode code is not a valid code.", "Episodes", needs="episodes")
def r143(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.episodes, "Episodes", "rne", RNE_CODES, required=True)


@rule("144", "The legal status code is not a valid code.", "Episodes", needs="episodes")
def r144(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.episodes, "Episodes", "ls", LS_CODES, required=True)


@rule("145", "Category of need code is not a valid code.", "Episodes", needs="episodes")
def r145(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.episodes, "Episodes", "cin", CIN_CODES, required=True)


@rule(
    "146",
    "Placement type code is not a valid code.",
    "Episodes",
    needs="episodes",
    note="The codes are the year's: K3 from 2024-25, Z11 to Z14 from 2025-26 (H5, P2 and Z1 withdrawn then); a "
    "code of another year is named as such.",
)
def r146(c: Child, y: CollectionYear) -> Iterator[Problem]:
    valid = place_codes(y.year)
    for e in c.r.episodes:
        place = e.place
        if place is None or place not in valid:
            detail = f"PLACE is {place or 'blank'}"
            withdrawn, introduced = PLACE_WITHDRAWN.get(place or ""), PLACE_INTRODUCED.get(place or "")
            if withdrawn is not None and y.year >= withdrawn:
                detail += f": withdrawn from {withdrawn - 1}-{withdrawn % 100:02d}"
            elif introduced is not None:
                detail += f": introduced in {introduced - 1}-{introduced % 100:02d}"
            yield Problem("Episodes", ("PLACE",), e.line, detail)


@rule("147", "Date episode ceased is not a valid date.", "Episodes", needs="episodes")
def r147(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.episodes, "Episodes", "dec")


@rule(
    "148",
    "Date episode ceased and reason episode ceased must both be coded, or both left blank.",
    "Episodes",
    needs="episodes",
)
def r148(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if (e.dec is None and "dec" not in e.invalid) != (e.rec is None):
            yield Problem("Episodes", ("DEC", "REC"), e.line, f"DEC {show(e.dec)}, REC {e.rec or 'blank'}")


@rule("149", "Reason episode ceased code is not valid.", "Episodes", needs="episodes")
def r149(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.episodes, "Episodes", "rec", REC_CODES)


@rule("151", "All data items relating to a child's adoption must be coded or left blank.", "AD1", needs="ad1")
def r151(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for a in c.r.ad1:
        given = [
            a.date_int is not None or "date_int" in a.invalid,
            a.date_match is not None or "date_match" in a.invalid,
            *(v is not None for v in (a.foster_care, a.nb_adoptr, a.sex_adoptr, a.ls_adoptr)),
        ]
        if any(given) and not all(given):
            yield Problem(
                "AD1", ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"), a.line
            )


@rule(
    "153",
    "All data items relating to a child's activity or accommodation after leaving care must be coded or left blank.",
    "OC3",
    needs="oc3",
)
def r153(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc3:
        given = [v is not None for v in (o.in_touch, o.activ, o.accom)]
        if any(given) and not all(given) and o.in_touch not in ("DIED", "RHOM"):
            yield Problem("OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), o.line)


def _ages(c: Child, y: CollectionYear) -> tuple[int | None, int | None]:
    return age_on(c.dob, y.start), age_on(c.dob, y.end)


@rule(
    "157",
    "Child is aged 4 years or over at the beginning of the year or 16 years or under at the end of the year and "
    "Strengths and Difficulties Questionnaire (SDQ) 1 has been recorded as the reason for no Strengths and "
    "Difficulties Questionnaire (SDQ) score.",
    "OC2 Header",
    needs="oc2",
    note="SDQ1 is for a child under 4 or over 16; the DfE's 'or' is read as 'and' (aged 4 or over at the start "
    "and 16 or under at the end), as the code's meaning requires.",
)
def r157(c: Child, y: CollectionYear) -> Iterator[Problem]:
    start, end = _ages(c, y)
    if start is not None and end is not None and start >= 4 and end <= 16:
        for o in c.r.oc2:
            if o.sdq_reason == "SDQ1":
                yield Problem("OC2", ("SDQ_REASON",), o.line)


@rule(
    "158",
    "If a child has been recorded as receiving an intervention for their substance misuse problem, then the "
    "additional item on whether an intervention was offered should be left blank.",
    "OC2",
    needs="oc2",
)
def r158(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc2:
        if o.intervention_received == "1" and o.intervention_offered is not None:
            yield Problem("OC2", ("INTERVENTION_OFFERED", "INTERVENTION_RECEIVED"), o.line)


@rule(
    "159",
    "If a child has been recorded as not receiving an intervention for their substance misuse problem, then the "
    "additional item on whether an intervention was offered should be completed as well.",
    "OC2",
    needs="oc2",
)
def r159(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc2:
        if o.substance_misuse == "1" and o.intervention_received == "0" and o.intervention_offered is None:
            yield Problem("OC2", ("INTERVENTION_OFFERED", "INTERVENTION_RECEIVED", "SUBSTANCE_MISUSE"), o.line)


@rule("165", "Data entry for mother status is invalid.", "Header", needs="header")
def r165(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for h in c.r.header:
        if h.mother is not None and (h.mother not in YES_NO or h.sex == "1"):
            yield Problem("Header", ("MOTHER", "SEX"), h.line, f"MOTHER is {h.mother}, SEX {h.sex}")


@rule("166", "Date of review is invalid or blank.", "Reviews", needs="reviews")
def r166(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.reviews, "Reviews", "review", required=True)


@rule("167", "Data entry for participation is invalid or blank.", "Reviews", needs="reviews")
def r167(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.reviews, "Reviews", "review_code", REVIEW_CODES, required=True)


@rule(
    "168",
    "Unique Pupil Number (UPN) is not valid. If unknown, default codes should be UN1, UN2, UN3, UN4 or UN5.",
    "Header",
    needs="header",
)
def r168(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for h in c.r.header:
        if h.upn is not None and h.upn not in UPN_UNKNOWN and (why := upn_problem(h.upn)) is not None:
            yield Problem("Header", ("UPN",), h.line, why)


@rule("171", "Date of birth of mother's child is not a valid date.", "Header", needs="header")
def r171(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.header, "Header", "mc_dob")


@rule(
    "174", "Mother's child date of birth is recorded but sex shows that the child is a male.", "Header", needs="header"
)
def r174(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for h in c.r.header:
        if h.mc_dob is not None and h.sex == "1":
            yield Problem("Header", ("MC_DOB", "SEX"), h.line)


@rule("175", "The number of adopter(s) code is not a valid code.", "AD1", needs="ad1")
def r175(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.ad1, "AD1", "nb_adoptr", frozenset({"1", "2"}))


@rule("176", "The gender of adopter(s) at the date of adoption code is not a valid code.", "AD1", needs="ad1")
def r176(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.ad1, "AD1", "sex_adoptr", SEX_ADOPTR_CODES)


@rule("177", "The legal status of adopter(s) code is not a valid code.", "AD1", needs="ad1")
def r177(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.ad1, "AD1", "ls_adoptr", LS_ADOPTR_CODES)


@rule("178", "Placement provider code is not a valid code.", "Episodes", needs="episodes")
def r178(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.episodes, "Episodes", "place_provider", PROVIDER_CODES)


@rule("180", "Data entry for the strengths and difficulties questionnaire (SDQ) score is invalid.", "OC2", needs="oc2")
def r180(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc2:
        if o.sdq_score is not None and not (o.sdq_score.isdigit() and 0 <= int(o.sdq_score) <= 40):
            yield Problem("OC2", ("SDQ_SCORE",), o.line, f"SDQ_SCORE is {o.sdq_score}")


_OC2_FLAGS = (
    "convicted",
    "health_check",
    "immunisations",
    "teeth_check",
    "health_assessment",
    "substance_misuse",
    "intervention_received",
    "intervention_offered",
)
_OC2_CORE = ("immunisations", "teeth_check", "health_assessment", "substance_misuse")


def _flags(o: Oc2Row, names: tuple[str, ...] = _OC2_FLAGS) -> list[str | None]:
    return [getattr(o, n) for n in names]


@rule(
    "181",
    "Data items relating to children looked after continuously for 12 months should be completed with a 0 or 1.",
    "OC2",
    needs="oc2",
)
def r181(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc2:
        wrong = tuple(n.upper() for n in _OC2_FLAGS if getattr(o, n) is not None and getattr(o, n) not in YES_NO)
        if wrong:
            yield Problem("OC2", wrong, o.line)


@rule(
    "182",
    "Data entries on immunisations, teeth checks, health assessments and substance misuse problem identified should "
    "be completed or all OC2 fields should be left blank.",
    "OC2",
    needs="oc2",
)
def r182(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc2:
        if has(_flags(o)) and not all(v is not None for v in _flags(o, _OC2_CORE)):
            yield Problem("OC2", tuple(n.upper() for n in _OC2_CORE), o.line)


@rule(
    "184",
    "Date of decision that a child should be placed for adoption is before the child was born.",
    "PlacedAdoption Header",
    needs="placed",
)
def r184(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for p in c.r.placed:
        if c.dob is not None and p.date_placed is not None and p.date_placed < c.dob:
            yield Problem("PlacedAdoption", ("DATE_PLACED",), p.line, f"DATE_PLACED {show(p.date_placed)}")


@rule(
    "185",
    "Child has not been looked after continuously for at least 12 months at 31 March but a Strengths and "
    "Difficulties (SDQ) score has been completed.",
    "OC2 Episodes",
    needs="oc2",
)
def r185(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if not in_oc2_cohort(c, y):
        for o in c.r.oc2:
            if o.sdq_score is not None:
                yield Problem("OC2", ("SDQ_SCORE",), o.line)


@rule(
    "186",
    "Children aged 4 or over at the start of the year and children aged under 17 at the end of the year and who have "
    "been looked after for at least 12 months continuously should have a Strengths and Difficulties (SDQ) score "
    "completed.",
    "OC2 Episodes",
    needs="episodes",
    note="Read with 197a: a reason for no score (SDQ_REASON) stands in place of the score.",
)
def r186(c: Child, y: CollectionYear) -> Iterator[Problem]:
    start, end = _ages(c, y)
    if (start is not None and end is not None and start >= 4 and end < 17 and in_oc2_cohort(c, y)) and (
        not any(o.sdq_score is not None or o.sdq_reason is not None for o in c.r.oc2)
    ):
        yield Problem("OC2", ("SDQ_SCORE",), c.r.oc2[0].line if c.r.oc2 else c.r.episodes[-1].line)


@rule(
    "187",
    "Child cannot be looked after continuously for 12 months at 31 March (OC2) and have any of adoption or care "
    "leavers returns completed.",
    "AD1 Episodes OC3",
    needs="episodes",
)
def r187(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if (c.r.ad1 or c.r.oc3) and in_oc2_cohort(c, y):
        for a in c.r.ad1:
            yield Problem("AD1", ("DATE_INT", "DATE_MATCH"), a.line)
        for o in c.r.oc3:
            if has((o.in_touch, o.activ, o.accom)):
                yield Problem("OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), o.line)


@rule(
    "188",
    "Child is aged under 4 years at the end of the year, but a Strengths and Difficulties (SDQ) score or a reason "
    "for no SDQ score has been completed.",
    "OC2",
    needs="oc2",
)
def r188(c: Child, y: CollectionYear) -> Iterator[Problem]:
    end = age_on(c.dob, y.end)
    if end is not None and end < 4:
        for o in c.r.oc2:
            if o.sdq_score is not None or o.sdq_reason is not None:
                yield Problem("OC2", ("SDQ_SCORE", "SDQ_REASON"), o.line)


@rule(
    "189",
    "Child is aged 17 years or over at the beginning of the year, but an Strengths and Difficulties (SDQ) score or a "
    "reason for no Strengths and Difficulties (SDQ) score has been completed.",
    "OC2",
    needs="oc2",
)
def r189(c: Child, y: CollectionYear) -> Iterator[Problem]:
    start = age_on(c.dob, y.start)
    if start is not None and start >= 17:
        for o in c.r.oc2:
            if o.sdq_score is not None or o.sdq_reason is not None:
                yield Problem("OC2", ("SDQ_SCORE", "SDQ_REASON"), o.line)


@rule(
    "190",
    "Child has not been looked after continuously for at least 12 months at 31 March but one or more data items "
    "relating to children looked after for 12 months have been completed.",
    "OC2 Episodes",
    needs="oc2",
)
def r190(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if not in_oc2_cohort(c, y):
        for o in c.r.oc2:
            if has(_flags(o)):
                yield Problem("OC2", tuple(n.upper() for n in _OC2_FLAGS), o.line)


@rule(
    "191",
    "Child has been looked after continuously for at least 12 months at 31 March but one or more data items relating "
    "to children looked after for 12 months have been left blank.",
    "OC2 Episodes",
    needs="episodes",
)
def r191(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if in_oc2_cohort(c, y):
        rows = c.r.oc2
        if not rows or any(v is None for o in rows for v in _flags(o, _OC2_CORE)):
            yield Problem("OC2", tuple(n.upper() for n in _OC2_CORE), rows[0].line if rows else c.r.episodes[-1].line)


@rule(
    "192",
    "Child has been identified as having a substance misuse problem but the additional item on whether an "
    "intervention was received has been left blank.",
    "OC2",
    needs="oc2",
)
def r192(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc2:
        if o.substance_misuse == "1" and o.intervention_received is None:
            yield Problem("OC2", ("INTERVENTION_RECEIVED", "SUBSTANCE_MISUSE"), o.line)


@rule(
    "193",
    "Child not identified as having a substance misuse problem but at least one of the two additional items on "
    "whether an intervention were offered and received have been completed.",
    "OC2",
    needs="oc2",
)
def r193(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc2:
        if o.substance_misuse != "1" and has((o.intervention_offered, o.intervention_received)):
            yield Problem("OC2", ("INTERVENTION_OFFERED", "INTERVENTION_RECEIVED", "SUBSTANCE_MISUSE"), o.line)


@rule("196", "Strengths and Difficulties (SDQ) reason is not a valid code.", "OC2", needs="oc2")
def r196(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.oc2, "OC2", "sdq_reason", SDQ_REASONS)


@rule(
    "197a",
    "Reason for no Strengths and Difficulties (SDQ) score is not required if Strengths and Difficulties "
    "Questionnaire score is filled in.",
    "OC2",
    needs="oc2",
)
def r197a(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc2:
        if o.sdq_score is not None and o.sdq_reason is not None:
            yield Problem("OC2", ("SDQ_SCORE", "SDQ_REASON"), o.line)


@rule(
    "198",
    "Child has not been looked after continuously for at least 12 months at 31 March but a reason for no Strengths "
    "and Difficulties (SDQ) score has been completed.",
    "OC2 Episodes",
    needs="oc2",
)
def r198(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if not in_oc2_cohort(c, y):
        for o in c.r.oc2:
            if o.sdq_reason is not None:
                yield Problem("OC2", ("SDQ_REASON",), o.line)


@rule(
    "199",
    "Episode information shows child has been previously adopted from care.",
    "Episodes",
    query=True,
    needs="episodes",
)
def r199(c: Child, y: CollectionYear) -> Iterator[Problem]:
    earlier = (c.last.episodes if c.last else []) + c.r.episodes[:-1]
    adopted = [e for e in earlier if e.rec in ADOPTED and e.dec is not None]
    if adopted and any(e.decom is not None and e.decom >= adopted[0].dec for e in c.r.episodes):  # type: ignore[operator]
        yield Problem("Episodes", ("REC",), adopted[0].line, f"adopted {show(adopted[0].dec)}")


# --- 200 range: against last year's return; provider and placement location ------------------------------------


def _last_header(c: Child) -> HeaderRow | None:
    return c.last.header[0] if c.last is not None and c.last.header else None


@rule(
    "202",
    "The gender code conflicts with the gender already recorded for this child.",
    "Header Header_last",
    previous=True,
    needs="header",
)
def r202(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = _last_header(c)
    if last is not None and c.header is not None and last.sex in SEX_CODES and c.header.sex != last.sex:
        yield Problem("Header", ("SEX",), c.header.line, f"SEX {c.header.sex}, last year {last.sex}")


@rule(
    "203",
    "Date of birth disagrees with the date of birth already recorded for this child.",
    "Header Header_last",
    previous=True,
    needs="header",
)
def r203(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = _last_header(c)
    if last is not None and c.header is not None and last.dob is not None and c.dob != last.dob:
        yield Problem("Header", ("DOB",), c.header.line, f"DOB {show(c.dob)}, last year {show(last.dob)}")


@rule(
    "204",
    "Ethnic origin code disagrees with the ethnic origin already recorded for this child.",
    "Header Header_last",
    previous=True,
    needs="header",
)
def r204(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = _last_header(c)
    if last is not None and c.header is not None and last.ethnic is not None and c.header.ethnic != last.ethnic:
        yield Problem("Header", ("ETHNIC",), c.header.line, f"ETHNIC {c.header.ethnic}, last year {last.ethnic}")


@rule(
    "205A",
    "Child identified as UASC last year is no longer UASC this year, but date UASC ceased in both years does not "
    "support this.",
    "UASC UASC_last",
    previous=True,
    needs="header",
)
def r205a(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if (c.last is not None and c.last.uasc and not c.r.uasc) and (
        any(u.duc is None or u.duc >= y.start for u in c.last.uasc)
    ):
        yield Problem("UASC", ("CHILD",), c.r.header[0].line, "UASC last year, not this year")


@rule(
    "205B",
    "Child previously identified as UASC is also UASC this year, but date UASC ceased in both years does not "
    "support this.",
    "UASC UASC_last",
    previous=True,
    needs="uasc",
)
def r205b(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.last is not None and c.last.uasc:
        before = c.last.uasc[0].duc
        for u in c.r.uasc:
            if before is not None and u.duc != before:
                yield Problem("UASC", ("DUC",), u.line, f"DUC {show(u.duc)}, last year {show(before)}")


@rule(
    "205C",
    "Child not identified as UASC either this year or last year but date UASC ceased has been provided.",
    "UASC UASC_last",
    previous=True,
    needs="header",
    note="The status each year is the XML form's UASC item where given, else whether the child has a UASC row: "
    "in the CSV tables a row with DUC is itself the status, so the rule breaks only where an XML return codes "
    "the child 0 beside a DUC.",
)
def r205c(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = c.last
    if last is None or uasc_flag(c.r) == "1" or uasc_flag(last) == "1":
        return
    dated = [u for u in (*c.r.uasc, *last.uasc) if u.duc is not None]
    if dated:
        u = dated[0]
        where = u.line if u in c.r.uasc else (c.header.line if c.header else 0)
        yield Problem("UASC", ("DUC", "UASC"), where, f"DUC {show(u.duc)}, UASC 0 this year and last")


@rule(
    "205D",
    "Child identified as UASC this year but not identified as UASC status provided for the child last year.",
    "UASC UASC_last",
    previous=True,
    needs="uasc",
    note="Read as the DfE words it: a child in last year's return, not UASC there, whose UASC status this year "
    "ceased before this year began.",
)
def r205d(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.last is not None and c.last.header and not c.last.uasc:
        for u in c.r.uasc:
            if u.duc is not None and u.duc < y.start:
                yield Problem("UASC", ("DUC",), u.line, f"DUC {show(u.duc)}")


@rule(
    "207",
    "Mother status for the current year disagrees with the mother status already recorded for this child.",
    "Header Header_last",
    previous=True,
    needs="header",
)
def r207(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = _last_header(c)
    if last is not None and c.header is not None and last.mother == "1" and c.header.mother == "0":
        yield Problem("Header", ("MOTHER",), c.header.line, "a mother last year, not this year")


@rule(
    "208",
    "Unique Pupil Number (UPN) for the current year disagrees with the Unique Pupil Number (UPN) already recorded "
    "for this child.",
    "Header Header_last",
    previous=True,
    needs="header",
)
def r208(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = _last_header(c)
    if (last is not None and c.header is not None and last.upn and last.upn not in UPN_UNKNOWN) and (
        c.header.upn != last.upn
    ):
        yield Problem("Header", ("UPN",), c.header.line, "UPN differs from last year's")


@rule(
    "209",
    "Child looked after is of school age and should not have an unknown Unique Pupil Number (UPN) code of UN1.",
    "Header",
    needs="header",
    note="School age read as aged 5 or over at the start of the collection year.",
)
def r209(c: Child, y: CollectionYear) -> Iterator[Problem]:
    start = age_on(c.dob, y.start)
    if c.header is not None and c.header.upn == "UN1" and start is not None and start >= 5:
        yield Problem("Header", ("UPN", "DOB"), c.header.line)


@rule(
    "210",
    "Children looked after for more than a week at 31 March should not have an unknown Unique Pupil Number (UPN) "
    "code of UN4.",
    "Header Episodes",
    needs="episodes",
)
def r210(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.header is not None and c.header.upn == "UN4" and looked_after_at_end(c, y):
        started = c.periods()[-1][0].decom
        if started is not None and (y.end - started).days > 7:
            yield Problem("Header", ("UPN",), c.header.line)


_NO_PROVIDER = TEMPORARY | OTHER_PLACEMENTS


@rule("213", "Placement provider information not required.", "Episodes", needs="episodes")
def r213(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.place in _NO_PROVIDER and e.place_provider is not None:
            yield Problem("Episodes", ("PLACE_PROVIDER",), e.line, f"PLACE {e.place}")


@rule("214", "Placement location information not required.", "Episodes", needs="episodes")
def r214(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.place in _NO_PROVIDER and (e.pl_post is not None or e.urn is not None):
            yield Problem("Episodes", ("PL_POST", "URN"), e.line, f"PLACE {e.place}")


@rule(
    "215",
    "Child has care leaver information but one or more data items relating to children looked after for 12 months "
    "have been completed.",
    "OC2 OC3",
    needs="oc3",
)
def r215(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if any(has((o.in_touch, o.activ, o.accom)) for o in c.r.oc3):
        for o2 in c.r.oc2:
            if has(_flags(o2)):
                yield Problem("OC2", tuple(n.upper() for n in _OC2_FLAGS), o2.line)


@rule(
    "217",
    "Children who are placed for adoption with current foster carers (placement types A3 or A5) must have a reason "
    "for new episode of S, T or U.",
    "Episodes",
    needs="episodes",
)
def r217(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.place in ("A3", "A5") and e.rne not in ("S", "T", "U") and e.decom and e.decom >= date(2015, 4, 1):
            yield Problem("Episodes", ("PLACE", "RNE"), e.line, f"RNE {e.rne}")


@rule(
    "222",
    "Ofsted Unique reference number (URN) should not be recorded for this placement type.",
    "Episodes",
    needs="episodes",
)
def r222(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.place in _NO_URN and e.urn is not None and e.urn != "XXXXXXX":
            yield Problem("Episodes", ("URN",), e.line, f"PLACE {e.place}")


_NO_URN = frozenset({"H5", "P1", "P2", "P3", "R5"}) | TEMPORARY | OTHER_PLACEMENTS


def _next_changes_placement(e: EpisodeRow, following: EpisodeRow) -> bool:
    return (
        e.rec == "X1"
        and following.rne in ("P", "T", "B", "U")
        and e.place not in TEMPORARY
        and following.place not in TEMPORARY
    )


@rule(
    "225",
    "Reason for placement change must be recorded.",
    "Episodes",
    needs="episodes",
    note="Recorded on the episode whose placement ended, where the next episode changes the placement (RNE P, T, B "
    "or U) and neither is a temporary placement.",
)
def r225(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e, following in pairs(c.r.episodes):
        if _next_changes_placement(e, following) and e.reason_place_change is None:
            yield Problem("Episodes", ("REASON_PLACE_CHANGE",), e.line)


@rule("226", "Reason for placement change is not required.", "Episodes", needs="episodes")
def r226(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.place in TEMPORARY and e.reason_place_change is not None:
            yield Problem("Episodes", ("PLACE", "REASON_PLACE_CHANGE"), e.line, f"PLACE {e.place}")


# --- 300 range: dates, ages and how long a legal status or placement may last -----------------------------------


@rule("301", "Date of birth falls after the year ended.", "Header", needs="header")
def r301(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for h in c.r.header:
        if h.dob is not None and h.dob > y.end:
            yield Problem("Header", ("DOB",), h.line, f"DOB {show(h.dob)}")


@rule("302", "First episode starts before child was born.", "Episodes Header", needs="episodes")
def r302(c: Child, y: CollectionYear) -> Iterator[Problem]:
    first = c.r.episodes[0]
    if c.dob is not None and first.decom is not None and first.decom < c.dob:
        yield Problem("Episodes", ("DECOM",), first.line, f"DECOM {show(first.decom)}, DOB {show(c.dob)}")


@rule(
    "304",
    "Date unaccompanied asylum-seeking child (UASC) status ceased must be on or before the 18th birthday of a child.",
    "UASC",
    needs="uasc",
)
def r304(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for u in c.r.uasc:
        dob = u.dob or c.dob
        if dob is not None and u.duc is not None and u.duc > birthday(dob, 18):
            yield Problem("UASC", ("DUC",), u.line, f"DUC {show(u.duc)}")


def _adoption_placement(c: Child) -> EpisodeRow | None:
    return next((e for e in c.r.episodes if e.place in ADOPTION_PLACEMENTS), None)


@rule(
    "331",
    "Date of matching child and adopter(s) should be the same as, or prior to, the date of placement of adoption.",
    "AD1 Episodes",
    needs="ad1",
)
def r331(c: Child, y: CollectionYear) -> Iterator[Problem]:
    placed = _adoption_placement(c)
    for a in c.r.ad1:
        if placed is not None and placed.decom and a.date_match is not None and a.date_match > placed.decom:
            yield Problem("AD1", ("DATE_MATCH",), a.line, f"matched {show(a.date_match)}, placed {show(placed.decom)}")


@rule(
    "333",
    "Date should be placed for adoption must be on or prior to the date of matching child with adopter(s).",
    "AD1",
    needs="ad1",
)
def r333(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for a in c.r.ad1:
        if a.date_int is not None and a.date_match is not None and a.date_int > a.date_match:
            yield Problem("AD1", ("DATE_INT",), a.line, f"DATE_INT {show(a.date_int)}, DATE_MATCH {show(a.date_match)}")


@rule(
    "334",
    "Date child started to be looked after in latest period of care must be on or prior to the date should be "
    "placed for adoption.",
    "AD1 Episodes",
    needs="ad1",
)
def r334(c: Child, y: CollectionYear) -> Iterator[Problem]:
    started = care_began(c)
    for a in c.r.ad1:
        if started is not None and a.date_int is not None and a.date_int < started:
            yield Problem("AD1", ("DATE_INT",), a.line, f"DATE_INT {show(a.date_int)}, care began {show(started)}")


@rule(
    "335",
    "The current foster value (0) suggests that child is not adopted by current foster carer, but last placement is "
    "A3 or A5. Or the current foster value (1) suggests that child is adopted by current foster carer, but last "
    "placement is A4 or A6.",
    "AD1 Episodes",
    needs="ad1",
    note="The DfE's codes A3/A5 (with current foster carers) and A4/A6 (not); the listing's A1 and A2 no longer exist.",
)
def r335(c: Child, y: CollectionYear) -> Iterator[Problem]:
    adopted = next((e for e in c.r.episodes if e.rec in ADOPTED), None)
    if adopted is None:
        return
    for a in c.r.ad1:
        if (a.foster_care == "0" and adopted.place in ("A3", "A5")) or (
            a.foster_care == "1" and adopted.place in ("A4", "A6")
        ):
            yield Problem("AD1", ("FOSTER_CARE",), a.line, f"FOSTER_CARE {a.foster_care}, placement {adopted.place}")


@rule(
    "336",
    "Child does not have a foster placement immediately prior to being placed for adoption.",
    "Episodes",
    needs="episodes",
    note="Checked where the child is placed for adoption with their current foster carers (A3, A5).",
)
def r336(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for before, e in pairs(c.r.episodes):
        if e.place in ("A3", "A5") and before.place not in FOSTER and before.place not in ADOPTION_PLACEMENTS:
            yield Problem("Episodes", ("PLACE",), e.line, f"placed {e.place} after {before.place}")


@rule(
    "344",
    "The record shows the young person has died or returned home to live with parent(s) or someone with parental "
    "responsibility for a continuous period of 6 months or more, but activity and/or accommodation on leaving care "
    "have been completed.",
    "OC3",
    needs="oc3",
)
def r344(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc3:
        if o.in_touch in ("DIED", "RHOM") and has((o.activ, o.accom)):
            yield Problem("OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), o.line, f"IN_TOUCH {o.in_touch}")


@rule(
    "345",
    "The data collection record shows the local authority is in touch with this young person, but activity and/or "
    "accommodation data items are zero.",
    "OC3",
    needs="oc3",
)
def r345(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc3:
        if o.in_touch == "YES" and (o.activ == "0" or o.accom == "0"):
            yield Problem("OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), o.line)


@rule(
    "347",
    "Care leavers aged under 18 years, can not be accommodated in a Foyer.",
    "OC3",
    needs="oc3",
    note="Age taken at the end of the collection year.",
)
def r347(c: Child, y: CollectionYear) -> Iterator[Problem]:
    end = age_on(c.dob, y.end)
    for o in c.r.oc3:
        if o.accom is not None and o.accom.startswith("T") and end is not None and end < 18:
            yield Problem("OC3", ("ACCOM",), o.line, f"ACCOM {o.accom}")


@rule("351", "Child was over 25 at the start of the current collection year.", "Header", needs="header")
def r351(c: Child, y: CollectionYear) -> Iterator[Problem]:
    start = age_on(c.dob, y.start)
    if c.header is not None and start is not None and start >= 25 and birthday(c.dob, 25) < y.start:  # type: ignore[arg-type]
        yield Problem("Header", ("DOB",), c.header.line, f"DOB {show(c.dob)}")


@rule("352", "Child who started to be looked after was aged 18 or over.", "Episodes Header", needs="episodes")
def r352(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        age = age_on(c.dob, e.decom)
        if e.rne == "S" and age is not None and age >= 18:
            yield Problem("Episodes", ("DECOM", "RNE"), e.line, f"aged {age} on {show(e.decom)}")


@rule("353", "No episode submitted can start before 14 October 1991.", "Episodes", needs="episodes")
def r353(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.decom is not None and e.decom < date(1991, 10, 14):
            yield Problem("Episodes", ("DECOM",), e.line, f"DECOM {show(e.decom)}")


@rule(
    "354",
    "Date episode began must be on or before the end of the current collection year.",
    "Episodes",
    needs="episodes",
    note="The D2I listing gives this rule 385's text ('Date episode ceased...'); the rule checks DECOM, as the "
    "DfE's wording for 354 says.",
)
def r354(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.decom is not None and e.decom > y.end:
            yield Problem("Episodes", ("DECOM",), e.line, f"DECOM {show(e.decom)}")


@rule("355", "Episode appears to have lasted for less than 24 hours.", "Episodes", query=True, needs="episodes")
def r355(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.decom is not None and e.dec == e.decom:
            yield Problem("Episodes", ("DECOM", "DEC"), e.line, f"began and ceased {show(e.dec)}")


@rule("356", "The date the episode ceased is before the date the same episode started.", "Episodes", needs="episodes")
def r356(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.decom is not None and e.dec is not None and e.dec < e.decom:
            yield Problem("Episodes", ("DECOM", "DEC"), e.line, f"began {show(e.decom)}, ceased {show(e.dec)}")


@rule(
    "357",
    "If this is the first episode ever for this child, reason for new episode must be S. Check whether there is an "
    "episode immediately preceding this one, which has been left out. If not the reason for new episode code must "
    "be amended to S.",
    "Episodes",
    needs="episodes",
    note="An episode open during the year is in the return, so a first episode that begins within the year is the "
    "child's first of that period of care.",
)
def r357(c: Child, y: CollectionYear) -> Iterator[Problem]:
    first = c.r.episodes[0]
    if first.decom is not None and first.decom >= y.start and first.rne != "S":
        yield Problem("Episodes", ("RNE",), first.line, f"RNE {first.rne}")


@rule("358", "Child with this legal status should not be under 10.", "Episodes Header", needs="episodes")
def r358(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        age = age_on(c.dob, e.decom)
        if e.ls in ("J1", "J2", "J3") and age is not None and age < 10:
            yield Problem("Episodes", ("LS", "DECOM"), e.line, f"LS {e.ls} at age {age}")


def _status_runs(c: Child, y: CollectionYear, statuses: frozenset[str]) -> Iterator[tuple[EpisodeRow, int]]:
    """Each unbroken run of episodes under one of ``statuses`` (the same one throughout), with its first episode
    and how many days it lasted (to the end of the year where still open)."""
    run: list[EpisodeRow] = []
    for e in [*c.r.episodes, None]:
        if (e is not None and e.ls in statuses and e.decom is not None) and (
            run and run[-1].ls == e.ls and run[-1].dec == e.decom
        ):
            run.append(e)
            continue
        if run:
            end = run[-1].dec or y.end
            yield run[0], (end - run[0].decom).days  # type: ignore[operator]
            run = []
        if e is not None and e.ls in statuses and e.decom is not None:
            run = [e]


def _longer(code: str, status: str, days: int, text: str) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        for first, lasted in _status_runs(c, y, frozenset({status})):
            if lasted > days:
                yield Problem("Episodes", ("LS", "DECOM", "DEC"), first.line, f"{status} for {lasted} days")

    rule(code, text, "Episodes", needs="episodes", note=f"Over {days} days from DECOM to DEC (dates hold no hours).")(
        check
    )


_longer(
    "361",
    "L1",
    3,
    "Police protection legal status lasted longer than maximum 72 hours allowed in the Children Act 1989.",
)
_longer("362", "L2", 21, "Emergency protection order (EPO) lasted longer than 21 days.")
_longer("363", "L3", 7, "Child assessment order (CAO) lasted longer than 7 days allowed in the Children Act 1989.")
_longer("365", "V3", 17, "Any individual short-term respite placement must not exceed 17 days.")


@rule(
    "366",
    "A child cannot change placement during the course of an individual short-term respite break.",
    "Episodes",
    needs="episodes",
)
def r366(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.ls == "V3" and e.rne != "S":
            yield Problem("Episodes", ("RNE",), e.line, f"RNE {e.rne}")


@rule(
    "367",
    "The maximum amount of respite care allowable is 75 days in any 12-month period.",
    "Episodes",
    needs="episodes",
    note="Counted over the collection year, from DECOM to DEC of each V3 episode within it.",
)
def r367(c: Child, y: CollectionYear) -> Iterator[Problem]:
    total, first = 0, None
    for e in c.r.episodes:
        if e.ls == "V3" and e.decom is not None:
            start, end = max(e.decom, y.start), min(e.dec or y.end, y.end)
            if end > start:
                total += (end - start).days
                first = first or e
    if first is not None and total > 75:
        yield Problem("Episodes", ("LS", "DECOM", "DEC"), first.line, f"{total} days of respite in the year")


def _too_young(
    code: str, places: frozenset[str], years: int, text: str, last_year: int | None = None, note: str = ""
) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        for e in c.r.episodes:
            if e.place in places:
                age = age_on(c.dob, e.decom)
                if age is not None and age < years:
                    yield Problem("Episodes", ("DECOM", "PLACE"), e.line, f"PLACE {e.place} at age {age}")

    rule(code, text, "Episodes Header", needs="episodes", last_year=last_year, note=note)(check)


_too_young(
    "370",
    frozenset({"P2"}),
    16,
    "Child in independent living should be at least 16.",
    last_year=2024,
    note="DfE SSDA903 validation rules 2023-24 (as implemented by Data to Insight's validator); deleted from "
    "2024-25 with P2 itself.",
)
_too_young(
    "371",
    frozenset({"H5", "K3"}),
    16,
    "Child in supported accommodation not subject to children's homes regulations should be at least 16.",
)
_too_young("372", frozenset({"R5"}), 10, "Child in youth custody or prison should be at least 10.")
_too_young("373", frozenset({"S1"}), 4, "Child placed in a school should be at least 4 years old.")
_too_young("374", frozenset({"P3"}), 14, "Child in residential employment should be at least 14 years old.")


def _placement_longer(code: str, place: str, days: int, text: str) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        for e in c.r.episodes:
            if e.place == place and e.decom is not None:
                lasted = ((e.dec or y.end) - e.decom).days
                if lasted > days:
                    yield Problem("Episodes", ("DECOM", "PLACE"), e.line, f"{place} for {lasted} days")

    rule(code, text, "Episodes", needs="episodes")(check)


_placement_longer("375", "T1", 42, "Hospitalisation coded as a temporary placement exceeds six weeks.")
_placement_longer(
    "376",
    "T3",
    21,
    "Temporary placements coded as being due to holiday of usual foster carer(s) cannot exceed three weeks.",
)
_placement_longer(
    "379", "T4", 7, "Temporary placements for unspecified reason (placement code T4) cannot exceed seven days."
)


@rule(
    "377",
    "Only two temporary placements coded as being due to holiday of usual foster carer(s) are allowed in "
    "any 12-month period.",
    "Episodes",
    needs="episodes",
    note="Counted over the collection year.",
)
def r377(c: Child, y: CollectionYear) -> Iterator[Problem]:
    t3 = [e for e in c.r.episodes if e.place == "T3" and e.decom is not None and y.start <= e.decom <= y.end]
    if len(t3) > 2:
        yield Problem("Episodes", ("PLACE",), t3[2].line, f"{len(t3)} T3 placements in the year")


@rule(
    "378",
    "A child who is placed with parent(s) cannot be looked after under a single period of accommodation "
    "under Section 20 of the Children Act 1989.",
    "Episodes",
    needs="episodes",
)
def r378(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.place == "P1" and e.ls == "V2":
            yield Problem("Episodes", ("LS", "PLACE"), e.line)


@rule("380", "A period of care cannot start with a temporary placement.", "Episodes", needs="episodes")
def r380(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.rne == "S" and e.place in TEMPORARY:
            yield Problem("Episodes", ("PLACE", "RNE"), e.line, f"PLACE {e.place}")


@rule("381", "A period of care cannot end with a temporary placement.", "Episodes", needs="episodes")
def r381(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if ceased_care(e) and e.place in TEMPORARY:
            yield Problem("Episodes", ("PLACE", "REC"), e.line, f"PLACE {e.place}, REC {e.rec}")


@rule("382", "A child receiving respite care cannot be in a temporary placement.", "Episodes", needs="episodes")
def r382(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.ls in ("V3", "V4") and e.place in TEMPORARY:
            yield Problem("Episodes", ("LS", "PLACE"), e.line, f"LS {e.ls}, PLACE {e.place}")


@rule(
    "383",
    "A child in a temporary placement must subsequently return to his/her normal placement.",
    "Episodes",
    needs="episodes",
)
def r383(c: Child, y: CollectionYear) -> Iterator[Problem]:
    eps = c.r.episodes
    for before, e, after in zip(eps, eps[1:], eps[2:], strict=False):
        if (
            e.place in TEMPORARY
            and before.place not in TEMPORARY
            and (after.place != before.place or after.urn != before.urn or after.pl_post != before.pl_post)
        ):
            yield Problem("Episodes", ("PLACE",), after.line, f"{before.place}, then {e.place}, then {after.place}")


@rule("384", "A child receiving respite care cannot be in a long-term foster placement.", "Episodes", needs="episodes")
def r384(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.ls in ("V3", "V4") and e.place in ("U1", "U4"):
            yield Problem("Episodes", ("LS", "PLACE"), e.line, f"LS {e.ls}, PLACE {e.place}")


@rule(
    "385",
    "Date episode ceased must be on or before the end of the current collection year.",
    "Episodes",
    needs="episodes",
)
def r385(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.dec is not None and e.dec > y.end:
            yield Problem("Episodes", ("DEC",), e.line, f"DEC {show(e.dec)}")


def _ceased_aged(code: str, reasons: frozenset[str], test: Callable[[int], bool], text: str) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        for e in c.r.episodes:
            if e.rec in reasons:
                age = age_on(c.dob, e.dec)
                if age is not None and test(age):
                    yield Problem("Episodes", ("REC", "DEC"), e.line, f"REC {e.rec} at age {age}")

    rule(code, text, "Episodes Header", needs="episodes")(check)


_ceased_aged("386", ADOPTED, lambda age: age >= 18, "Reason episode ceased is adopted but child has reached age 18.")
_ceased_aged(
    "387",
    frozenset({"E5", "E6"}),
    lambda age: age < 14,
    "Reason episode ceased is child moved into independent living arrangement, but the child is aged under 14.",
)
_ceased_aged(
    "389",
    frozenset({"E7"}),
    lambda age: age < 16,
    "Reason episode ceased is that child transferred to "
    "care of adult social care services, but child is aged under 16.",
)
_ceased_aged(
    "407",
    frozenset({"E45", "E46", "E47", "E48"}),
    lambda age: age >= 18,
    "Reason episode ceased is Special Guardianship Order, but child has reached age 18.",
)
_ceased_aged(
    "460",
    frozenset({"E17"}),
    lambda age: age < 18,
    "Reason episode ceased is that child stayed with current carers at age 18 (or above), but child is aged under 18.",
)


@rule(
    "388",
    "Reason episode ceased is coded new episode begins, but there is no continuation episode.",
    "Episodes",
    needs="episodes",
)
def r388(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = c.r.episodes[-1]
    if last.rec == "X1":
        yield Problem("Episodes", ("REC",), last.line, f"the last episode ceased {show(last.dec)} with X1")
    for e, following in pairs(c.r.episodes):
        if e.rec == "X1" and following.rne == "S":
            yield Problem("Episodes", ("REC",), e.line, "the next episode starts a new period of care")


@rule(
    "390",
    "Reason episode ceased is adopted but child has not been previously placed for adoption.",
    "Episodes",
    needs="episodes",
)
def r390(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.rec in ADOPTED and e.place not in ADOPTION_PLACEMENTS:
            yield Problem("Episodes", ("PLACE", "REC"), e.line, f"PLACE {e.place}")


@rule("391", "Young person was not 17, 18, 19, 20 or 21 during the current collection year.", "OC3", needs="oc3")
def r391(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.dob is None:
        return
    dob = c.dob
    if not any(y.start <= birthday(dob, n) <= y.end for n in range(17, 22)):
        for o in c.r.oc3:
            yield Problem("OC3", ("DOB",), o.line, f"DOB {show(dob)}")


@rule(
    "392d",
    "Home and placement postcodes should not be same unless the placement type is P1.",
    "Episodes",
    query=True,
    needs="episodes",
)
def r392d(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.home_post and e.pl_post and e.place != "P1" and e.home_post.replace(" ", "") == e.pl_post.replace(" ", ""):
            yield Problem("Episodes", ("HOME_POST", "PL_POST"), e.line, f"PLACE {e.place}")


def _expects_mother(c: Child, day: date | None) -> bool:
    age = age_on(c.dob, day)
    return c.header is not None and c.header.sex == "2" and age is not None and age >= 11 and not respite_only(c)


@rule(
    "393",
    "Child is looked after but mother field is not completed.",
    "Header Episodes",
    needs="episodes",
    note="Asked of girls aged 11 or over at the end of the year (rule 620's youngest mother), not only on short "
    "breaks (V3, V4: rule 399).",
)
def r393(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if (c.header is not None and c.header.mother is None and _expects_mother(c, y.end)) and (
        any(e.dec is None or e.dec >= y.start for e in c.r.episodes)
    ):
        yield Problem("Header", ("MOTHER",), c.header.line)


# --- 400 range: reviews, legal status and the reason for each new episode ---------------------------------------


@rule(
    "399",
    "Mother field, review field or participation field are completed but child is looked after under legal "
    "status V3 or V4.",
    "Episodes Header Reviews",
    needs="episodes",
)
def r399(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if respite_only(c):
        if c.header is not None and c.header.mother is not None:
            yield Problem("Header", ("MOTHER",), c.header.line)
        for r in c.r.reviews:
            yield Problem("Reviews", ("REVIEW", "REVIEW_CODE"), r.line)


@rule(
    "408",
    "Child is placed for adoption with a placement order, but no placement order has been recorded.",
    "Episodes",
    needs="episodes",
)
def r408(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.place in ("A5", "A6") and e.ls not in ("E1", "D1"):
            yield Problem("Episodes", ("LS", "PLACE"), e.line, f"PLACE {e.place}, LS {e.ls}")


@rule(
    "426",
    "A child receiving respite care cannot be recorded under a legal status of V3 and V4 in the same year.",
    "Episodes",
    needs="episodes",
)
def r426(c: Child, y: CollectionYear) -> Iterator[Problem]:
    statuses = {e.ls for e in c.r.episodes}
    if "V3" in statuses and "V4" in statuses:
        yield Problem("Episodes", ("LS",), c.r.episodes[0].line)


@rule(
    "431",
    "The reason for new episode is started to be looked after, but the previous episode ended on the same day.",
    "Episodes",
    query=True,
    needs="episodes",
)
def r431(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for before, e in pairs(c.r.episodes):
        if e.rne == "S" and before.dec is not None and before.dec == e.decom:
            yield Problem("Episodes", ("RNE", "DECOM"), e.line, f"DECOM {show(e.decom)}")


@rule(
    "432",
    "The child ceased to be looked after at the end of the previous episode but the reason for the new "
    "episode is not started to be looked after.",
    "Episodes",
    needs="episodes",
)
def r432(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for before, e in pairs(c.r.episodes):
        if ceased_care(before) and e.rne is not None and e.rne != "S":
            yield Problem("Episodes", ("RNE",), e.line, f"RNE {e.rne} after REC {before.rec}")


@rule(
    "433",
    "The reason for new episode suggests that this is a continuation episode, but the episode does not "
    "start on the same day as the last episode finished.",
    "Episodes",
    needs="episodes",
)
def r433(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for before, e in pairs(c.r.episodes):
        if e.rne in ("L", "P", "T", "B", "U") and before.dec is not None and before.dec != e.decom:
            yield Problem(
                "Episodes", ("RNE", "DECOM"), e.line, f"began {show(e.decom)}, previous ceased {show(before.dec)}"
            )


def _placement(e: EpisodeRow) -> tuple[str | None, ...]:
    return (e.place, e.place_provider, e.pl_post, e.urn)


def _change_rule(code: str, reasons: tuple[str, ...], status_changes: bool, placement_changes: bool, text: str) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        for before, e in pairs(c.r.episodes):
            if (e.rne in reasons and before.rec == "X1") and (
                (before.ls != e.ls) != status_changes or (_placement(before) != _placement(e)) != placement_changes
            ):
                yield Problem(
                    "Episodes",
                    ("RNE", "LS", "PLACE", "PLACE_PROVIDER", "PL_POST", "URN"),
                    e.line,
                    f"RNE {e.rne}: LS {before.ls} to {e.ls}, PLACE {before.place} to {e.place}",
                )

    rule(code, text, "Episodes", needs="episodes")(check)


_change_rule(
    "434",
    ("L",),
    True,
    False,
    "Reason for new episode is that child's legal status has changed but not "
    "the placement, but this is not reflected in the episode data.",
)
_change_rule(
    "435",
    ("P", "T"),
    False,
    True,
    "Reason for new episode is that child's placement has changed but not "
    "the legal status, but this is not reflected in the episode data recorded.",
)
_change_rule(
    "436",
    ("B", "U"),
    True,
    True,
    "Reason for new episode is that both child's placement and legal status "
    "have changed, but this is not reflected in the episode data.",
)


@rule(
    "437",
    "Reason episode ceased is child has died or is aged 18 or over but there are further episodes.",
    "Episodes",
    needs="episodes",
)
def r437(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e, _ in pairs(c.r.episodes):
        if e.rec in ("E2", "E15"):
            yield Problem("Episodes", ("REC",), e.line, f"REC {e.rec}")


def _review_age(code: str, under_four: bool, text: str) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        for r in c.r.reviews:
            age = age_on(r.dob or c.dob, r.review)
            if (age is not None and r.review_code in REVIEW_CODES and (r.review_code == "PN0") == under_four) and (
                (age < 4) != under_four
            ):
                yield Problem("Reviews", ("DOB", "REVIEW", "REVIEW_CODE"), r.line, f"{r.review_code} at age {age}")

    rule(code, text, "Reviews", needs="reviews")(check)


_review_age(
    "440",
    True,
    "Participation method indicates child was under 4 years old at the time of the review, but "
    "date of birth and review date indicates the child was 4 years old or over.",
)
_review_age(
    "441",
    False,
    "Participation method indicates child was 4 years old or over at the time of the review, "
    "but the date of birth and review date indicates the child was under 4 years old.",
)


@rule("442", "Unique Pupil Number (UPN) field is not completed.", "Episodes Header", needs="episodes")
def r442(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.header is not None and c.header.upn is None:
        yield Problem("Header", ("UPN",), c.header.line)


@rule(
    "445",
    "D1 is not a valid code for episodes starting after December 2005.",
    "Episodes",
    last_year=2024,
    needs="episodes",
)
def r445(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.ls == "D1" and e.decom is not None and e.decom > date(2005, 12, 30):
            yield Problem("Episodes", ("LS", "DECOM"), e.line)


@rule(
    "446",
    "E1 is not a valid code for episodes starting before December 2005.",
    "Episodes",
    last_year=2024,
    needs="episodes",
)
def r446(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.ls == "E1" and e.decom is not None and e.decom < date(2005, 12, 30):
            yield Problem("Episodes", ("LS", "DECOM"), e.line)


# --- 500 range: continuity of episodes, this year and against last year; providers -------------------------------


@rule("501", "A new episode has started before the end date of the previous episode.", "Episodes", needs="episodes")
def r501(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for before, e in pairs(c.r.episodes):
        if before.dec is not None and e.decom is not None and e.decom < before.dec:
            yield Problem(
                "Episodes", ("DECOM", "DEC"), e.line, f"began {show(e.decom)}, previous ceased {show(before.dec)}"
            )


def _open_last_year(c: Child) -> EpisodeRow | None:
    if c.last is None or not c.last.episodes:
        return None
    final = c.last.episodes[-1]
    return final if final.dec is None else None


@rule(
    "502",
    "Last year's record ended with an open episode. The date on which that episode started does not match "
    "the start date of the first episode on this year's record.",
    "Episodes Episodes_last",
    previous=True,
    needs="episodes",
)
def r502(c: Child, y: CollectionYear) -> Iterator[Problem]:
    before = _open_last_year(c)
    first = c.r.episodes[0]
    if before is not None and before.decom != first.decom:
        yield Problem(
            "Episodes", ("DECOM",), first.line, f"began {show(first.decom)}, last year's open one {show(before.decom)}"
        )


def _same_as_last_year(code: str, column: str, text: str, tolerated: Callable[[str | None, str | None], bool]) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        before = _open_last_year(c)
        first = c.r.episodes[0]
        if before is not None and before.decom == first.decom:
            was, now = getattr(before, column), getattr(first, column)
            if was != now and not tolerated(was, now):
                yield Problem(
                    "Episodes",
                    (column.upper(),),
                    first.line,
                    f"{column.upper()} {now or 'blank'}, last year {was or 'blank'}",
                )

    rule(code, text, "Episodes Episodes_last", previous=True, needs="episodes")(check)


def _never(was: str | None, now: str | None) -> bool:
    return False


def _recoded_place(was: str | None, now: str | None) -> bool:
    """The DfE's recoding of withdrawn placement codes: H5 to K3, Z1 to Z11-Z14."""
    return (was == "H5" and now == "K3") or (was == "Z1" and now in OTHER_PLACEMENTS)


_same_as_last_year(
    "503A",
    "rne",
    "The reason for new episode in the first episode does not match open episode at end of last year.",
    _never,
)
_same_as_last_year(
    "503B", "ls", "The legal status in the first episode does not match open episode at end of last year.", _never
)
_same_as_last_year(
    "503C", "cin", "The category of need in the first episode does not match open episode at end of last year.", _never
)
_same_as_last_year(
    "503D",
    "place",
    "The placement type in the first episode does not match open episode at end of last year.",
    _recoded_place,
)
_same_as_last_year(
    "503E",
    "place_provider",
    "The placement provider in the first episode does not match open episode at end of last year.",
    _never,
)
_same_as_last_year(
    "503F", "urn", "The Ofsted URN in the first episode does not match open episode at end of last year.", _never
)


@rule(
    "504",
    "The category of need code differs from that reported at start of current period of being looked after.",
    "Episodes",
    query=True,
    needs="episodes",
)
def r504(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for period in c.periods():
        for e in period[1:]:
            if e.cin != period[0].cin:
                yield Problem("Episodes", ("CIN",), e.line, f"CIN {e.cin}, at the start {period[0].cin}")


@rule(
    "562",
    "Episode commenced before the start of the current collection year but there is a missing continuous "
    "episode in the previous year.",
    "Episodes Episodes_last",
    previous=True,
    needs="episodes",
)
def r562(c: Child, y: CollectionYear) -> Iterator[Problem]:
    first = c.r.episodes[0]
    if (c.last is not None and c.last.episodes and first.decom is not None and first.decom < y.start) and (
        not any(e.decom == first.decom for e in c.last.episodes)
    ):
        yield Problem("Episodes", ("DECOM",), first.line, f"began {show(first.decom)}")


def _provider_cannot(code: str, provider: str, places: frozenset[str], text: str) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        for e in c.r.episodes:
            if e.place_provider == provider and e.place in places:
                yield Problem("Episodes", ("PLACE", "PLACE_PROVIDER"), e.line, f"{provider} with {e.place}")

    rule(code, text, "Episodes", needs="episodes")(check)


_provider_cannot(
    "527",
    "PR1",
    frozenset({"P1", "R2", "R5"}),
    "A placement provider code of PR1 cannot be associated with placements P1, R2 or R5.",
)
_provider_cannot(
    "528",
    "PR2",
    frozenset({"P1", "R2", "R5"}),
    "A placement provider code of PR2 cannot be associated with placements P1, R2 or R5.",
)
_provider_cannot(
    "529",
    "PR3",
    frozenset({"P1", "K1", "K2"}) | ADOPTION_PLACEMENTS | FOSTER,
    "Placement provider "
    "code of PR3 cannot be associated with placements P1, A3 to A6, K1, K2 and U1 to U6 as these "
    "placements cannot be provided by other public organisations.",
)
_provider_cannot(
    "530", "PR4", frozenset({"P1"}), "A placement provider code of PR4 cannot be associated with placement P1."
)
_provider_cannot(
    "531", "PR5", frozenset({"P1"}), "A placement provider code of PR5 cannot be associated with placements P1."
)


@rule("526", "Child is missing a placement provider code for at least one episode.", "Episodes", needs="episodes")
def r526(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.place_provider is None and e.place is not None and e.place not in _NO_PROVIDER:
            yield Problem("Episodes", ("PLACE", "PLACE_PROVIDER"), e.line, f"PLACE {e.place}")


@rule("550", "A placement provider code of PR0 can only be associated with placement P1.", "Episodes", needs="episodes")
def r550(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.place_provider == "PR0" and e.place != "P1":
            yield Problem("Episodes", ("PLACE", "PLACE_PROVIDER"), e.line, f"PR0 with {e.place}")


# --- adoption: adopters, decisions to place, and placement for adoption -----------------------------------------


def _adopters(code: str, test: Callable[[str | None, str | None, str | None], bool], text: str) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        for a in c.r.ad1:
            if test(a.ls_adoptr, a.sex_adoptr, a.nb_adoptr):
                yield Problem(
                    "AD1", ("LS_ADOPTR", "SEX_ADOPTR"), a.line, f"LS_ADOPTR {a.ls_adoptr}, SEX_ADOPTR {a.sex_adoptr}"
                )

    rule(code, text, "AD1", needs="ad1")(check)


_adopters(
    "511",
    lambda ls, sex, nb: nb == "2" and sex is not None and sex not in COUPLES,
    "If reporting that the "
    "number of person(s) adopting the looked after child is two adopters then the code should only be MM, FF or "
    "MF. MM = the adopting couple are both males; FF = the adopting couple are both females; MF = The adopting "
    "couple are male and female.",
)
_adopters(
    "514",
    lambda ls, sex, nb: ls == "L0" and sex in COUPLES,
    "Data entry on the legal status of adopters shows "
    "a single adopter but data entry for the numbers of adopters shows it as a couple.",
)
_adopters(
    "517",
    lambda ls, sex, nb: ls == "L3" and sex is not None and sex != "MF",
    "If reporting legal status of "
    "adopters is L3 then the genders of adopters should be coded as MF. MF = the adopting couple are male and "
    "female.",
)
_adopters(
    "518",
    lambda ls, sex, nb: ls == "L4" and sex is not None and sex not in ("MM", "FF"),
    "If reporting "
    "legal status of adopters is L4 then the genders of adopters should be coded as MM or FF. MM = the adopting "
    "couple are both males. FF = the adopting couple are both females.",
)
_adopters(
    "519",
    lambda ls, sex, nb: ls == "L2" and sex is not None and sex not in COUPLES,
    "Data entered on the "
    "legal status of adopters shows civil partnership couple, but data entered on genders of adopters does not "
    "show it as a couple.",
)
_adopters(
    "520",
    lambda ls, sex, nb: ls == "L11" and sex in ("MM", "FF"),
    "Data entry on the legal status of "
    "adopters shows different gender married couple but data entry on genders of adopters shows it as a same "
    "gender couple.",
)
_adopters(
    "524",
    lambda ls, sex, nb: ls == "L12" and sex is not None and sex not in ("MM", "FF"),
    "If reporting "
    "legal status of adopters is L12 then the genders of adopters should be coded as MM or FF. MM = the "
    "adopting couple are both males. FF = the adopting couple are both females.",
)


@rule(
    "516",
    "The episode data submitted for this child does not show that he/she was with their former foster "
    "carer(s) during the year. If the code in the reason episode ceased is E45 or E46 the child must have a "
    "placement code of U1 to U6.",
    "Episodes",
    needs="episodes",
)
def r516(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.rec in ("E45", "E46") and e.place not in FOSTER:
            yield Problem("Episodes", ("PLACE", "REC"), e.line, f"REC {e.rec}, PLACE {e.place}")


@rule(
    "521",
    "Date of local authority's decision (LA) that adoption is in the best interests of the child (date "
    "should be placed) must be on or prior to the date the child is placed for adoption.",
    "AD1 Episodes",
    needs="ad1",
)
def r521(c: Child, y: CollectionYear) -> Iterator[Problem]:
    placed = _adoption_placement(c)
    for a in c.r.ad1:
        if placed is not None and placed.decom and a.date_int is not None and a.date_int > placed.decom:
            yield Problem("AD1", ("DATE_INT",), a.line, f"DATE_INT {show(a.date_int)}, placed {show(placed.decom)}")


@rule(
    "522",
    "Date of decision that the child should be placed for adoption must be on or before the date that a "
    "child should no longer be placed for adoption.",
    "PlacedAdoption",
    needs="placed",
)
def r522(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for p in c.r.placed:
        if p.date_placed and p.date_placed_ceased and p.date_placed > p.date_placed_ceased:
            yield Problem("PlacedAdoption", ("DATE_PLACED", "DATE_PLACED_CEASED"), p.line)


@rule(
    "523",
    "Date of decision that the child should be placed for adoption should be the same date as the decision "
    "that adoption is in the best interest (date should be placed).",
    "AD1 PlacedAdoption",
    needs="ad1",
    note="Compared with the latest decision that the child should be placed for adoption.",
)
def r523(c: Child, y: CollectionYear) -> Iterator[Problem]:
    decided = [p.date_placed for p in c.r.placed if p.date_placed is not None]
    for a in c.r.ad1:
        if decided and a.date_int is not None and a.date_int != decided[-1]:
            yield Problem("AD1", ("DATE_INT",), a.line, f"DATE_INT {show(a.date_int)}, DATE_PLACED {show(decided[-1])}")


@rule(
    "525",
    "A child for whom the decision to be placed for adoption has been reversed cannot be adopted during the year.",
    "AD1 PlacedAdoption",
    needs="ad1",
)
def r525(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.r.placed and c.r.placed[-1].date_placed_ceased is not None:
        for a in c.r.ad1:
            yield Problem("AD1", ("DATE_INT", "DATE_MATCH"), a.line, "the latest decision was reversed")


@rule(
    "551",
    "Child has been placed for adoption but there is no date of the decision that the child should be "
    "placed for adoption.",
    "Episodes PlacedAdoption",
    needs="episodes",
)
def r551(c: Child, y: CollectionYear) -> Iterator[Problem]:
    placed = _adoption_placement(c)
    if placed is not None and not any(p.date_placed for p in c.r.placed):
        yield Problem("PlacedAdoption", ("DATE_PLACED",), placed.line, f"placed {placed.place} {show(placed.decom)}")


@rule(
    "552",
    "Date of Decision to place a child for adoption should be on or prior to the date that the child was "
    "placed for adoption.",
    "Episodes PlacedAdoption",
    needs="placed",
)
def r552(c: Child, y: CollectionYear) -> Iterator[Problem]:
    placed = _adoption_placement(c)
    decided = [p for p in c.r.placed if p.date_placed is not None]
    if placed is not None and placed.decom and decided and decided[0].date_placed > placed.decom:  # type: ignore[operator]
        yield Problem("PlacedAdoption", ("DATE_PLACED",), decided[0].line, f"placed {show(placed.decom)}")


def _order_needs_decision(code: str, status: str, text: str, last_year: int | None = None) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        order = next((e for e in c.r.episodes if e.ls == status), None)
        if order is not None and not any(p.date_placed for p in c.r.placed):
            yield Problem("PlacedAdoption", ("DATE_PLACED",), order.line, f"LS {status} from {show(order.decom)}")

    rule(code, text, "Episodes PlacedAdoption", needs="episodes", last_year=last_year)(check)


def _decision_before_order(code: str, status: str, text: str, last_year: int | None = None) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        order = next((e for e in c.r.episodes if e.ls == status), None)
        if order is None or order.decom is None:
            return
        for p in c.r.placed:
            if p.date_placed is not None and p.date_placed > order.decom and p.date_placed_ceased is None:
                yield Problem("PlacedAdoption", ("DATE_PLACED",), p.line, f"order {show(order.decom)}")

    rule(code, text, "Episodes PlacedAdoption", needs="placed", last_year=last_year)(check)


_order_needs_decision(
    "553",
    "E1",
    "Placement order has been granted but there is no date of decision that the child should be placed for adoption.",
)
_order_needs_decision(
    "555",
    "D1",
    "Freeing order has been granted but there is no date of decision that the child should be placed for adoption.",
    last_year=2024,
)
_decision_before_order(
    "554",
    "E1",
    "Date of decision that the child should be placed for adoption should be on or "
    "prior to the date that the placement order was granted.",
)
_decision_before_order(
    "556",
    "D1",
    "Date of decision that the child should be placed for adoption should be on or "
    "prior to the date that the freeing order was granted.",
    last_year=2024,
)


@rule(
    "557",
    "Child for whom the decision was made that they should be placed for adoption has left care but was not "
    "adopted and information on the decision that they should no longer be placed for adoption items has not been "
    "completed.",
    "Episodes PlacedAdoption",
    needs="placed",
)
def r557(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = c.r.episodes[-1] if c.r.episodes else None
    latest = c.r.placed[-1]
    if last is not None and ceased_care(last) and last.rec not in ADOPTED and latest.date_placed_ceased is None:
        yield Problem(
            "PlacedAdoption", ("DATE_PLACED_CEASED", "REASON_PLACED_CEASED"), latest.line, f"left care {last.rec}"
        )


@rule(
    "558",
    "If a child has been adopted, then the decision to place them for adoption has not been disrupted and "
    "the date of the decision that a child should no longer be placed for adoption should be left blank.",
    "Episodes PlacedAdoption",
    needs="placed",
)
def r558(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if any(e.rec in ADOPTED for e in c.r.episodes) and c.r.placed[-1].date_placed_ceased is not None:
        yield Problem("PlacedAdoption", ("DATE_PLACED_CEASED",), c.r.placed[-1].line)


@rule(
    "559",
    "Date of decision that a child should be placed for adoption was not in the current year but the date "
    "of the decision that the child should be placed for adoption was not completed in a previous return.",
    "PlacedAdoption PlacedAdoption_last",
    previous=True,
    needs="placed",
)
def r559(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.last is None or not c.last.header:
        return
    before = {p.date_placed for p in c.last.placed}
    for p in c.r.placed:
        if p.date_placed is not None and p.date_placed < y.start and p.date_placed not in before:
            yield Problem("PlacedAdoption", ("DATE_PLACED",), p.line, f"DATE_PLACED {show(p.date_placed)}")


@rule(
    "560",
    "Date of decision that the child should be placed for adoption this year is different from that "
    "recorded last year but the decision to place the child for adoption did not change.",
    "PlacedAdoption PlacedAdoption_last",
    previous=True,
    needs="placed",
)
def r560(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.last is not None and c.last.placed and c.last.placed[-1].date_placed_ceased is None:
        was = c.last.placed[-1].date_placed
        if was is not None and all(p.date_placed != was for p in c.r.placed):
            yield Problem("PlacedAdoption", ("DATE_PLACED",), c.r.placed[0].line, f"last year {show(was)}")


@rule(
    "561",
    "Date of the decision that the child should be placed for adoption this year is the same as that "
    "recorded last year but records show that the decision changed, and the child should no longer be placed for "
    "adoption last year.",
    "PlacedAdoption PlacedAdoption_last",
    previous=True,
    needs="placed",
)
def r561(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.last is None:
        return
    ceased_before = {p.date_placed for p in c.last.placed if p.date_placed and p.date_placed_ceased}
    for p in c.r.placed:
        if p.date_placed in ceased_before and p.date_placed_ceased is None:
            yield Problem("PlacedAdoption", ("DATE_PLACED",), p.line, f"DATE_PLACED {show(p.date_placed)}")


@rule(
    "563",
    "The child should no longer be placed for adoption but the date of the decision that the child should "
    "be placed for adoption is blank.",
    "PlacedAdoption",
    needs="placed",
)
def r563(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for p in c.r.placed:
        if (
            p.date_placed is None
            and "date_placed" not in p.invalid
            and (p.date_placed_ceased or p.reason_placed_ceased)
        ):
            yield Problem("PlacedAdoption", ("DATE_PLACED",), p.line)


@rule(
    "579",
    "A new decision that the child should be placed for adoption this year cannot start when the previous "
    "decision is still open. Decisions to place the child for adoption should also not overlap. The date of any new "
    "decision to place the child for adoption must not be before the date placed ceased of previous decisions.",
    "PlacedAdoption",
    needs="placed",
)
def r579(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for before, p in zip(c.r.placed, c.r.placed[1:], strict=False):
        if p.date_placed is not None and (
            before.date_placed_ceased is None or p.date_placed < before.date_placed_ceased
        ):
            yield Problem(
                "PlacedAdoption", ("DATE_PLACED", "DATE_PLACED_CEASED"), p.line, f"DATE_PLACED {show(p.date_placed)}"
            )


@rule(
    "582",
    "Child is showing as ceasing to be looked after due to adoption, but the date of adoption is the same as "
    "the date reported for being matched with adopters. In most circumstances we expect the date the child is "
    "matched with adopters to be before the date of adoption.",
    "AD1 Episodes",
    query=True,
    needs="ad1",
)
def r582(c: Child, y: CollectionYear) -> Iterator[Problem]:
    adopted = next((e for e in c.r.episodes if e.rec in ADOPTED), None)
    for a in c.r.ad1:
        if adopted is not None and a.date_match is not None and a.date_match == adopted.dec:
            yield Problem("AD1", ("DATE_MATCH",), a.line, f"matched and adopted {show(a.date_match)}")


@rule(
    "583",
    "More than one date the child should be placed for adoption has been reported, but an earlier decision "
    "has not been revoked. Check that both dates are required and add in the date the earlier decision was "
    "revoked. Note this may be in a previous year.",
    "PlacedAdoption",
    needs="placed",
)
def r583(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for p in c.r.placed[:-1]:
        if p.date_placed_ceased is None:
            yield Problem("PlacedAdoption", ("DATE_PLACED_CEASED",), p.line, f"DATE_PLACED {show(p.date_placed)}")


@rule(
    "1003",
    "Date of LA's decision that a child should be placed for adoption is before the child started to be looked after.",
    "Episodes PlacedAdoption",
    needs="placed",
)
def r1003(c: Child, y: CollectionYear) -> Iterator[Problem]:
    started = care_began(c)
    latest = c.r.placed[-1]
    if started is not None and latest.date_placed is not None and latest.date_placed < started:
        yield Problem("PlacedAdoption", ("DATE_PLACED",), latest.line, f"care began {show(started)}")


@rule(
    "601",
    "The additional fields relating to adoption have not been completed although the episode data shows "
    "that the child was adopted during the year.",
    "AD1 Episodes",
    needs="episodes",
)
def r601(c: Child, y: CollectionYear) -> Iterator[Problem]:
    adopted = next((e for e in c.r.episodes if e.rec in ADOPTED and e.dec and y.start <= e.dec <= y.end), None)
    if adopted is not None:
        rows = c.r.ad1
        if not rows or any(
            v is None
            for a in rows
            for v in (a.date_int, a.date_match, a.foster_care, a.nb_adoptr, a.sex_adoptr, a.ls_adoptr)
        ):
            yield Problem(
                "AD1", ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"), adopted.line
            )


@rule(
    "602",
    "The episode data submitted for this child does not show that he/she was adopted during the year.",
    "AD1 Episodes",
    needs="ad1",
)
def r602(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if not any(e.rec in ADOPTED for e in c.r.episodes):
        for a in c.r.ad1:
            yield Problem("AD1", ("CHILD",), a.line)


# --- missing and away from placement without authorisation -------------------------------------------------------


@rule(
    "564",
    "Child was missing or away from placement without authorisation and the date started is blank.",
    "Missing",
    needs="missing",
)
def r564(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for m in c.r.missing:
        if m.missing is not None and m.mis_start is None and "mis_start" not in m.invalid:
            yield Problem("Missing", ("MISSING", "MIS_START"), m.line)


@rule(
    "565",
    "The date that the child started to be missing or away from placement without authorisation has been "
    "completed but whether the child was missing or away from placement without authorisation has not been "
    "completed.",
    "Missing",
    needs="missing",
)
def r565(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for m in c.r.missing:
        if m.mis_start is not None and m.missing is None:
            yield Problem("Missing", ("MISSING", "MIS_START"), m.line)


@rule(
    "566",
    "The date that the child's episode of being missing or away from placement without authorisation ended "
    "has been completed but whether the child was missing or away without authorisation has not been completed.",
    "Missing",
    needs="missing",
)
def r566(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for m in c.r.missing:
        if m.mis_end is not None and m.missing is None:
            yield Problem("Missing", ("MISSING", "MIS_END"), m.line)


@rule(
    "567",
    "The date that the missing episode or episode that the child was away from placement without "
    "authorisation ended is before the date that it started.",
    "Missing",
    needs="missing",
)
def r567(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for m in c.r.missing:
        if m.mis_start and m.mis_end and m.mis_end < m.mis_start:
            yield Problem("Missing", ("MIS_START", "MIS_END"), m.line, f"{show(m.mis_start)} to {show(m.mis_end)}")


@rule(
    "570",
    "The date that the child started to be missing or away from placement without authorisation is after "
    "the end of the collection year.",
    "Missing",
    needs="missing",
)
def r570(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for m in c.r.missing:
        if m.mis_start and m.mis_start > y.end:
            yield Problem("Missing", ("MIS_START",), m.line, f"MIS_START {show(m.mis_start)}")


@rule(
    "571",
    "The date that the child ceased to be missing or away from placement without authorisation is before "
    "the start or after the end of the collection year.",
    "Missing",
    needs="missing",
)
def r571(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for m in c.r.missing:
        if m.mis_end and not y.start <= m.mis_end <= y.end:
            yield Problem("Missing", ("MIS_END",), m.line, f"MIS_END {show(m.mis_end)}")


@rule(
    "574",
    "A new missing/away from placement without authorisation period cannot start when the previous "
    "missing/away from placement without authorisation period is still open. Missing/away from placement without "
    "authorisation periods should also not overlap.",
    "Missing",
    needs="missing",
)
def r574(c: Child, y: CollectionYear) -> Iterator[Problem]:
    dated = [m for m in c.r.missing if m.mis_start is not None]
    for before, m in itertools.pairwise(dated):
        if before.mis_end is None or m.mis_start < before.mis_end:  # type: ignore[operator]
            yield Problem("Missing", ("MIS_START", "MIS_END"), m.line, f"began {show(m.mis_start)}")


def _episode_holding(c: Child, day: date) -> EpisodeRow | None:
    for e in c.r.episodes:
        if e.decom is not None and e.decom <= day and (e.dec is None or day < e.dec):
            return e
    return None


@rule(
    "575",
    "If the placement from which the child goes missing/away from placement without authorisation ends, the "
    "missing/away from placement without authorisation period in the missing module must also have an end date.",
    "Episodes Missing",
    needs="missing",
)
def r575(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for m in c.r.missing:
        if m.mis_start is not None and m.mis_end is None and "mis_end" not in m.invalid:
            e = _episode_holding(c, m.mis_start)
            if e is not None and e.dec is not None:
                yield Problem("Missing", ("MIS_END",), m.line, f"the placement ended {show(e.dec)}")


@rule(
    "576",
    "There is an open missing/away from placement without authorisation period in last year's return and "
    "there is no corresponding period recorded at the start of this year.",
    "Missing Missing_last",
    previous=True,
    needs="header",
)
def r576(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.last is None:
        return
    starts = {m.mis_start for m in c.r.missing}
    for m in c.last.missing:
        if m.mis_start is not None and m.mis_end is None and m.mis_start not in starts:
            yield Problem("Missing", ("CHILD",), c.r.header[0].line, f"open since {show(m.mis_start)} last year")


def _left_care(c: Child) -> EpisodeRow | None:
    last = c.r.episodes[-1] if c.r.episodes else None
    return last if last is not None and ceased_care(last) else None


@rule(
    "577",
    "Child ceased to be looked after but there is a missing/away from placement without authorisation "
    "period without an end date.",
    "Episodes Missing",
    needs="missing",
)
def r577(c: Child, y: CollectionYear) -> Iterator[Problem]:
    left = _left_care(c)
    if left is not None:
        for m in c.r.missing:
            if m.mis_start is not None and m.mis_end is None and "mis_end" not in m.invalid and m.mis_start <= left.dec:  # type: ignore[operator]
                yield Problem("Missing", ("MIS_END",), m.line, f"left care {show(left.dec)}")


@rule(
    "578",
    "The date that the child started to be missing is after the child ceased to be looked after.",
    "Episodes Missing",
    needs="missing",
)
def r578(c: Child, y: CollectionYear) -> Iterator[Problem]:
    left = _left_care(c)
    if left is not None:
        for m in c.r.missing:
            if m.mis_start is not None and m.mis_start > left.dec:  # type: ignore[operator]
                yield Problem("Missing", ("MIS_START",), m.line, f"left care {show(left.dec)}")


@rule(
    "580",
    "Child is missing when cease being looked after but reason episode ceased not 'E8'.",
    "Episodes Missing",
    needs="missing",
)
def r580(c: Child, y: CollectionYear) -> Iterator[Problem]:
    left = _left_care(c)
    if left is not None and left.rec != "E8":
        for m in c.r.missing:
            if m.mis_start is not None and m.mis_start <= left.dec and (m.mis_end is None or m.mis_end > left.dec):  # type: ignore[operator]
                yield Problem("Episodes", ("REC",), left.line, f"missing from {show(m.mis_start)}, REC {left.rec}")


@rule("581", "Child is missing but has not yet started to be looked after.", "Episodes Missing", needs="missing")
def r581(c: Child, y: CollectionYear) -> Iterator[Problem]:
    first = c.r.episodes[0].decom if c.r.episodes else None
    for m in c.r.missing:
        if m.mis_start is not None and first is not None and m.mis_start < first:
            yield Problem("Missing", ("MIS_START",), m.line, f"care began {show(first)}")


@rule("586", "Dates of missing periods are before child's date of birth.", "Missing", needs="missing")
def r586(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for m in c.r.missing:
        if m.mis_start is not None and c.dob is not None and m.mis_start < c.dob:
            yield Problem("Missing", ("MIS_START",), m.line, f"MIS_START {show(m.mis_start)}")


@rule(
    "1004",
    "The start date of the missing episode or episode that the child was away from placement without "
    "authorisation is not a valid date.",
    "Missing",
    needs="missing",
)
def r1004(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.missing, "Missing", "mis_start")


@rule(
    "1005",
    "The end date of the missing episode or episode that the child was away from placement without "
    "authorisation is not a valid date.",
    "Missing",
    needs="missing",
)
def r1005(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.missing, "Missing", "mis_end")


@rule("1006", "Missing type invalid.", "Missing", needs="missing")
def r1006(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.missing, "Missing", "missing", MISSING_CODES)


# --- 600 range: motherhood and previous permanence -------------------------------------------------------------


@rule(
    "607",
    "Child ceased to be looked after in the year, but mother field has not been completed.",
    "Episodes Header",
    needs="episodes",
    note="Asked of girls aged 11 or over when they ceased (as rule 393).",
)
def r607(c: Child, y: CollectionYear) -> Iterator[Problem]:
    left = _left_care(c)
    if (
        left is not None
        and c.header is not None
        and c.header.mother is None
        and left.dec
        and y.start <= left.dec <= y.end
    ) and _expects_mother(c, left.dec):
        yield Problem("Header", ("MOTHER",), c.header.line, f"left care {show(left.dec)}")


@rule("611", "Date of birth field is blank, but child is a mother.", "Header", needs="header")
def r611(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for h in c.r.header:
        if h.mother == "1" and h.mc_dob is None and "mc_dob" not in h.invalid:
            yield Problem("Header", ("MC_DOB", "MOTHER"), h.line)


@rule(
    "612",
    "Date of birth field has been completed but mother field indicates child is not a mother.",
    "Header",
    needs="header",
)
def r612(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for h in c.r.header:
        if h.mc_dob is not None and h.mother == "0":
            yield Problem("Header", ("MC_DOB", "MOTHER"), h.line)


@rule(
    "620",
    "Child has been recorded as a mother, but date of birth shows that the mother is under 11 years of age.",
    "Header",
    needs="header",
    note="Age taken at the start of the collection year.",
)
def r620(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for h in c.r.header:
        age = age_on(h.dob, y.start)
        if h.mother == "1" and age is not None and age < 11:
            yield Problem("Header", ("DOB", "MOTHER"), h.line, f"aged {age} on {show(y.start)}")


@rule(
    "621",
    "Mother's field has been completed but date of birth shows that the mother is younger than her child.",
    "Header",
    needs="header",
)
def r621(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for h in c.r.header:
        if h.mc_dob is not None and h.dob is not None and h.mc_dob <= h.dob:
            yield Problem("Header", ("DOB", "MC_DOB"), h.line, f"MC_DOB {show(h.mc_dob)}, DOB {show(h.dob)}")


@rule(
    "624",
    "Date of birth of the first child contradicts the date of birth of the first child previously recorded.",
    "Header Header_last",
    previous=True,
    needs="header",
)
def r624(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = _last_header(c)
    if last is not None and c.header is not None and last.mc_dob and c.header.mc_dob and last.mc_dob != c.header.mc_dob:
        yield Problem(
            "Header", ("MC_DOB",), c.header.line, f"MC_DOB {show(c.header.mc_dob)}, last year {show(last.mc_dob)}"
        )


@rule(
    "625",
    "Date of birth of the first child is beyond the end of this reporting year or the date the child ceased "
    "to be looked after.",
    "Episodes Header",
    needs="header",
)
def r625(c: Child, y: CollectionYear) -> Iterator[Problem]:
    left = _left_care(c)
    for h in c.r.header:
        if h.mc_dob is not None and (h.mc_dob > y.end or (left is not None and h.mc_dob > left.dec)):  # type: ignore[operator]
            yield Problem("Header", ("MC_DOB",), h.line, f"MC_DOB {show(h.mc_dob)}")


@rule(
    "626",
    "Child was reported as a mother but the date of birth of the first child is before the current year "
    "which contradicts with the mother status recorded last year.",
    "Header Header_last",
    previous=True,
    needs="header",
)
def r626(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = _last_header(c)
    h = c.header
    if (
        last is not None
        and h is not None
        and last.mother == "0"
        and h.mother == "1"
        and h.mc_dob
        and h.mc_dob < y.start
    ):
        yield Problem("Header", ("MC_DOB", "MOTHER"), h.line, f"MC_DOB {show(h.mc_dob)}")


@rule(
    "628",
    "Motherhood details are not required for care leavers who have not been looked after during the year.",
    "Episodes Header OC3",
    needs="oc3",
)
def r628(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if not c.r.episodes and c.header is not None and c.header.mother is not None:
        yield Problem("Header", ("MOTHER",), c.header.line)


@rule(
    "630",
    "Information on previous permanence option should be returned.",
    "Episodes PrevPerm",
    needs="episodes",
    note="For each child who started to be looked after in the year.",
)
def r630(c: Child, y: CollectionYear) -> Iterator[Problem]:
    started = next((e for e in c.r.episodes if e.rne == "S" and e.decom and y.start <= e.decom <= y.end), None)
    if started is not None and not any(p.prev_perm for p in c.r.prev_perm):
        yield Problem("PrevPerm", ("PREV_PERM",), started.line, f"started {show(started.decom)}")


@rule("631", "Previous permanence option not a valid value.", "PrevPerm", needs="prev_perm")
def r631(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.prev_perm, "PrevPerm", "prev_perm", PREV_PERM_CODES)


@rule(
    "632",
    "Date of previous permanence order not a valid value.",
    "Episodes PrevPerm",
    needs="prev_perm",
    note="Not a date, or after the child's latest period of care began.",
)
def r632(c: Child, y: CollectionYear) -> Iterator[Problem]:
    started = care_began(c)
    for p in c.r.prev_perm:
        if "date_perm" in p.invalid or (p.date_perm and started and p.date_perm > started):
            yield Problem("PrevPerm", ("DATE_PERM",), p.line)


@rule(
    "634",
    "There are entries for previous permanence options, but child has not started to be looked after from "
    "1 April 2016 onwards.",
    "Episodes PrevPerm",
    needs="prev_perm",
)
def r634(c: Child, y: CollectionYear) -> Iterator[Problem]:
    started = care_began(c)
    for p in c.r.prev_perm:
        if (has((p.prev_perm, p.la_perm)) or p.date_perm) and (started is not None and started < date(2016, 4, 1)):
            yield Problem("PrevPerm", ("PREV_PERM", "LA_PERM", "DATE_PERM"), p.line, f"care began {show(started)}")


@rule(
    "635",
    "There are entries for date of order and local authority code where previous permanence option was "
    "arranged but previous permanence code is Z1.",
    "PrevPerm",
    needs="prev_perm",
)
def r635(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for p in c.r.prev_perm:
        if p.prev_perm == "Z1" and (p.la_perm is not None or p.date_perm is not None):
            yield Problem("PrevPerm", ("DATE_PERM", "LA_PERM", "PREV_PERM"), p.line)


# --- care leavers (OC3) ------------------------------------------------------------------------------------------


def _oc3_given(c: Child) -> list[object]:
    return [o for o in c.r.oc3 if has((o.in_touch, o.activ, o.accom))]


@rule(
    "1000",
    "This child is recorded as having died in care and therefore should not have the care leaver "
    "information completed.",
    "Episodes OC3",
    needs="oc3",
)
def r1000(c: Child, y: CollectionYear) -> Iterator[Problem]:
    episodes = (c.last.episodes if c.last else []) + c.r.episodes
    if any(e.rec == "E2" for e in episodes):
        for o in c.r.oc3:
            if has((o.in_touch, o.activ, o.accom)):
                yield Problem("OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), o.line)


def _birthdays_looked_after(c: Child, y: CollectionYear) -> Iterator[tuple[int, date, EpisodeRow | None]]:
    if c.dob is None:
        return
    for years in (17, 18):
        day = birthday(c.dob, years)
        if y.start <= day <= y.end:
            yield years, day, open_at(c, day)


@rule(
    "1007",
    "Care leaver information is not required for 17- or 18-year olds who are still looked after [on their "
    "17th or 18th birthday].",
    "Episodes OC3",
    needs="oc3",
)
def r1007(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if _oc3_given(c):
        for years, _day, held in _birthdays_looked_after(c, y):
            if held is not None:
                yield Problem(
                    "OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), c.r.oc3[0].line, f"looked after on {years}th birthday"
                )
                return


@rule(
    "1011",
    "This child is recorded as having his/her care transferred to another local authority for the final "
    "episode and therefore should not have the care leaver information completed.",
    "Episodes OC3",
    needs="oc3",
)
def r1011(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.r.episodes and c.r.episodes[-1].rec == "E3" and _oc3_given(c):
        yield Problem("OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), c.r.oc3[0].line)


@rule(
    "1012",
    "No other data should be returned for OC3 children who had no episodes in the current year.",
    "Episodes OC3",
    needs="oc3",
)
def r1012(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if not c.r.episodes:
        for name in ("reviews", "uasc", "oc2", "ad1", "placed", "prev_perm", "missing", "sw_episodes"):
            for row in getattr(c.r, name):
                yield Problem("OC3", ("CHILD",), row.line, f"a row in {name.replace('_', ' ')}")


@rule("1014", "UASC information is not required for care leavers.", "Episodes OC3 UASC", needs="oc3")
def r1014(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if not c.r.episodes:
        for u in c.r.uasc:
            yield Problem("UASC", ("DUC",), u.line)


@rule(
    "3001",
    "Where care leavers information is being returned for a young person around their 17th birthday, the "
    "accommodation cannot be with their former foster carer(s).",
    "Header OC3",
    needs="oc3",
)
def r3001(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.dob is not None and y.start <= birthday(c.dob, 17) <= y.end:
        for o in c.r.oc3:
            if o.accom is not None and o.accom.startswith("Z"):
                yield Problem("OC3", ("ACCOM",), o.line, f"ACCOM {o.accom}")


# --- episode fields not covered above ----------------------------------------------------------------------------


@rule(
    "1008",
    "Ofsted Unique Reference Number (URN) is not valid.",
    "Episodes",
    needs="episodes",
    note="The URN's form (SC and six digits, six or seven digits, or XXXXXXX where there is none) always; where the "
    "council's copy of Ofsted's list is given (providers.csv), a URN of that form must be on it too (DfE SSDA903 "
    "validation rules 2025-26, as implemented by Data to Insight's validator, which checks the list only).",
)
def r1008(c: Child, y: CollectionYear) -> Iterator[Problem]:
    listed = c.ref.providers if c.ref is not None else None
    for e in c.r.episodes:
        urn = e.urn
        if urn is None or urn == _URN_NONE:
            continue
        if not ((urn[:2] == "SC" and urn[2:].isdigit() and len(urn) == 8) or (urn.isdigit() and len(urn) in (6, 7))):
            yield Problem("Episodes", ("URN",), e.line, f"URN {urn}")
        elif listed is not None and urn.strip().upper() not in listed:
            yield Problem("Episodes", ("URN",), e.line, f"URN {urn} is not on the provider list")


@rule("1009", "Reason for placement change is not a valid code.", "Episodes", needs="episodes")
def r1009(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.episodes, "Episodes", "reason_place_change", PLACE_CHANGE_REASONS)


# --- social worker episodes (from 2023-24) ---------------------------------------------------------------------


@rule(
    "SW01STG1",
    "Child looked after on 31 March, but no social worker episode information is reported.",
    "Episodes SWEpisodes",
    needs="episodes",
    last_year=2024,
)
def sw01(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if looked_after_at_end(c, y) and not c.r.sw_episodes:
        yield Problem("SWEpisodes", ("CHILD",), c.r.episodes[-1].line)


@rule(
    "SW02STG1", "Social worker ID does not begin with the characters 'SW' or 'XX'.", "SWEpisodes", needs="sw_episodes"
)
def sw02(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for s in c.r.sw_episodes:
        if s.sw_id is not None and not s.sw_id.startswith(("SW", "XX")):
            yield Problem("SWEpisodes", ("SW_ID",), s.line, f"SW_ID {s.sw_id[:20]}")


@rule("SW03STG1", "For each social worker episode, information should be complete.", "SWEpisodes", needs="sw_episodes")
def sw03(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for s in c.r.sw_episodes:
        if s.sw_id is None or (s.sw_decom is None and "sw_decom" not in s.invalid) or s.sw_reason is None:
            yield Problem("SWEpisodes", ("SW_ID", "SW_DECOM", "SW_REASON"), s.line)


@rule("SW04STG1", "Date social worker episode began is not a valid date.", "SWEpisodes", needs="sw_episodes")
def sw04(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.sw_episodes, "SWEpisodes", "sw_decom")


@rule(
    "SW05STG1",
    "Date social worker episode ceased is not a valid date.",
    "SWEpisodes",
    needs="sw_episodes",
    note="The listing repeats SW04's text ('began'); SW05 checks SW_DEC, the date the episode ceased.",
)
def sw05(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.sw_episodes, "SWEpisodes", "sw_dec")


@rule(
    "SW06STG2",
    "Social worker episode data should be within the social worker data reporting year.",
    "SWEpisodes",
    needs="sw_episodes",
)
def sw06(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for s in c.r.sw_episodes:
        if s.sw_decom is not None and s.sw_decom > y.end:
            yield Problem("SWEpisodes", ("SW_DECOM",), s.line, f"SW_DECOM {show(s.sw_decom)}")


@rule(
    "SW07STG2",
    "Social worker episode end date should be on or after the start of the social worker reporting "
    "period, and should be on or before the collection end date.",
    "SWEpisodes",
    needs="sw_episodes",
)
def sw07(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for s in c.r.sw_episodes:
        if s.sw_dec is not None and not y.start <= s.sw_dec <= y.end:
            yield Problem("SWEpisodes", ("SW_DEC",), s.line, f"SW_DEC {show(s.sw_dec)}")


@rule(
    "SW08STG2",
    "A new social worker episode has started, but the previous episode has not ended.",
    "SWEpisodes",
    needs="sw_episodes",
    note="The D2I listing writes this code SW108STG2; the DfE's is SW08STG2.",
)
def sw08(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for s in c.r.sw_episodes[:-1]:
        if s.sw_dec is None and "sw_dec" not in s.invalid:
            yield Problem("SWEpisodes", ("SW_DEC",), s.line, f"began {show(s.sw_decom)}")


@rule(
    "SW09STG2",
    "Social worker episode appears to have lasted for less than 24 hours.",
    "SWEpisodes",
    query=True,
    needs="sw_episodes",
)
def sw09(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for s in c.r.sw_episodes:
        if s.sw_decom is not None and s.sw_dec == s.sw_decom:
            yield Problem("SWEpisodes", ("SW_DECOM", "SW_DEC"), s.line)


@rule(
    "SW10STG2",
    "A new social worker episode has started before the end date of the previous social worker episode.",
    "SWEpisodes",
    needs="sw_episodes",
)
def sw10(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for before, s in zip(c.r.sw_episodes, c.r.sw_episodes[1:], strict=False):
        if before.sw_dec is not None and s.sw_decom is not None and s.sw_decom < before.sw_dec:
            yield Problem(
                "SWEpisodes", ("SW_DECOM",), s.line, f"began {show(s.sw_decom)}, previous ended {show(before.sw_dec)}"
            )


@rule(
    "SW11STG2",
    "Social worker episode has ended before 31 March and no subsequent social worker episode has been provided.",
    "SWEpisodes",
    needs="sw_episodes",
    note="Asked of a child still looked after on 31 March.",
)
def sw11(c: Child, y: CollectionYear) -> Iterator[Problem]:
    last = c.r.sw_episodes[-1]
    if last.sw_dec is not None and last.sw_dec < y.end and looked_after_at_end(c, y):
        yield Problem("SWEpisodes", ("SW_DEC",), last.line, f"ended {show(last.sw_dec)}")


@rule(
    "SW12STG2",
    "If a child is looked after on 31 March then all social worker episodes for the full previous year "
    "should be reported, even those whilst they were not looked after.",
    "Episodes SWEpisodes",
    needs="sw_episodes",
    note="Read from the DfE's wording: the return cannot show when a child became known to children's services, so "
    "the episodes must reach back to 1 April for a child looked after then, and for a child who came into care in "
    "the year at least to the day their care began (a social worker allocated before care, reported, reaches "
    "further). The D2I implementation instead asks for a social worker episode starting on or after the day care "
    "began, which the wording does not say.",
)
def sw12(c: Child, y: CollectionYear) -> Iterator[Problem]:
    first = c.r.sw_episodes[0]
    if not looked_after_at_end(c, y) or first.sw_decom is None:
        return
    if open_at(c, y.start) is not None:
        due = y.start
    else:
        due = next((e.decom for e in c.r.episodes if e.decom is not None and e.decom >= y.start), y.start)
    if first.sw_decom > due:
        yield Problem("SWEpisodes", ("SW_DECOM",), first.line, f"the first began {show(first.sw_decom)}")


@rule(
    "SW13STG1",
    "The reason for social worker change is either not valid or has not been entered.",
    "SWEpisodes",
    needs="sw_episodes",
)
def sw13(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from not_in(c.r.sw_episodes, "SWEpisodes", "sw_reason", SW_REASONS)


def _open_sw_last_year(c: Child) -> object | None:
    if c.last is None or not c.last.sw_episodes:
        return None
    final = c.last.sw_episodes[-1]
    return final if final.sw_dec is None else None


def _sw_same(code: str, column: str, text: str, last_year: int | None = None) -> None:
    def check(c: Child, y: CollectionYear) -> Iterator[Problem]:
        before = _open_sw_last_year(c)
        first = c.r.sw_episodes[0]
        if before is not None and getattr(before, column) != getattr(first, column):
            yield Problem("SWEpisodes", (column.upper(),), first.line)

    rule(
        code,
        text,
        "SWEpisodes SWEpisodes_last",
        previous=True,
        needs="sw_episodes",
        last_year=last_year,
        note="Deleted from 2025-26 (DfE SSDA903 validation rules 2025-26, as implemented by Data to Insight's "
        "validator: lac2025_26 deletes SW16aSTG2 and SW16cSTG2)."
        if last_year
        else "",
    )(check)


# SW16a and SW16c are deleted from 2025-26 (D2I lac2025_26 del_list); SW16b stays.
_sw_same("SW16aSTG2", "sw_id", "The social worker ID does not match the open episode at the end of last year.", 2025)
_sw_same(
    "SW16bSTG2",
    "sw_decom",
    "The social worker episode start date does not match the open episode at the end of last year.",
)
_sw_same(
    "SW16cSTG2",
    "sw_reason",
    "The social worker reason episode changed does not match the open episode at the end of last year.",
    2025,
)


@rule(
    "SW17STG2",
    "Child looked after on 31 March, but no social worker episode is open at 31 March.",
    "Episodes SWEpisodes",
    needs="episodes",
    first_year=2026,
)
def sw17(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if looked_after_at_end(c, y) and not any(s.sw_dec is None for s in c.r.sw_episodes):
        yield Problem("SWEpisodes", ("SW_DEC",), c.r.episodes[-1].line)


# --- OC2: convictions and health promotion by age ----------------------------------------------------------------


@rule("542", "A child aged under 10 at 31 March should not have conviction information completed.", "OC2", needs="oc2")
def r542(c: Child, y: CollectionYear) -> Iterator[Problem]:
    age = age_on(c.dob, y.end)
    for o in c.r.oc2:
        if o.convicted is not None and age is not None and age < 10:
            yield Problem("OC2", ("CONVICTED",), o.line, f"aged {age} on {show(y.end)}")


@rule(
    "543",
    "Child is aged 10 or over at 31 March and has been looked after continuously for 12 months yet conviction "
    "information has not been completed.",
    "Episodes OC2",
    needs="oc2",
)
def r543(c: Child, y: CollectionYear) -> Iterator[Problem]:
    age = age_on(c.dob, y.end)
    if age is not None and age >= 10 and in_oc2_cohort(c, y):
        for o in c.r.oc2:
            if o.convicted is None:
                yield Problem("OC2", ("CONVICTED", "DOB"), o.line, f"aged {age} on {show(y.end)}")


@rule(
    "544",
    "Any child who has conviction information completed must also have immunisation, teeth check, health assessment "
    "and substance misuse problem identified fields completed.",
    "OC2",
    needs="oc2",
)
def r544(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc2:
        if o.convicted is not None and any(v is None for v in _flags(o, _OC2_CORE)):
            yield Problem("OC2", ("CONVICTED", *(n.upper() for n in _OC2_CORE)), o.line)


@rule(
    "545",
    "Child is aged under 5 at 31 March and has been looked after continuously for 12 months yet health promotion "
    "information has not been completed.",
    "OC2",
    needs="oc2",
)
def r545(c: Child, y: CollectionYear) -> Iterator[Problem]:
    age = age_on(c.dob, y.end)
    if age is not None and age < 5 and in_oc2_cohort(c, y):
        for o in c.r.oc2:
            if o.health_check is None:
                yield Problem("OC2", ("HEALTH_CHECK", "DOB"), o.line, f"aged {age} on {show(y.end)}")


@rule(
    "546",
    "Children aged 5 or over at 31 March should not have health promotion information completed.",
    "Episodes OC2",
    needs="oc2",
)
def r546(c: Child, y: CollectionYear) -> Iterator[Problem]:
    age = age_on(c.dob, y.end)
    for o in c.r.oc2:
        if o.health_check is not None and age is not None and age >= 5:
            yield Problem("OC2", ("HEALTH_CHECK", "DOB"), o.line, f"aged {age} on {show(y.end)}")


@rule(
    "547",
    "Any child who has health promotion information completed must also have immunisation, teeth check, health "
    "assessment and substance misuse problem identified fields completed.",
    "OC2",
    needs="oc2",
)
def r547(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for o in c.r.oc2:
        if o.health_check is not None and any(v is None for v in _flags(o, _OC2_CORE)):
            yield Problem("OC2", ("HEALTH_CHECK", *(n.upper() for n in _OC2_CORE)), o.line)


@rule(
    "1010",
    "This child has no episodes loaded for current year even though there was an open episode of care at the end of "
    "the previous year, and care leaver data has been entered.",
    "Episodes Episodes_last OC3",
    previous=True,
    needs="oc3",
)
def r1010(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if not c.r.episodes and _open_last_year_any(c) and _oc3_given(c):
        yield Problem("OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), c.r.oc3[0].line)


def _open_last_year_any(c: Child) -> bool:
    return c.last is not None and bool(c.last.episodes) and c.last.episodes[-1].dec is None


@rule(
    "392b",
    "Child is looked after but no postcodes are recorded.",
    "Episodes",
    needs="episodes",
    note="Not asked of a child who is or was UASC (this year or last, where given) nor of temporary and 'other' "
    "placements, which record no placement location (rule 214). The DfE notes this may still flag a child "
    "formerly UASC whom neither return shows as such.",
)
def r392b(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.r.uasc or (c.last is not None and c.last.uasc):
        return
    for e in c.r.episodes:
        if e.place not in _NO_PROVIDER and (e.home_post is None or e.pl_post is None):
            yield Problem("Episodes", ("HOME_POST", "PL_POST"), e.line, f"PLACE {e.place}")


# --- rules reading reference data (validate --reference DIR; .reference) ------------------------------------------
# Run only where the reference file they read was given; each reads the council's copy of the list named, never a
# network service.

_SHORT_BREAKS = frozenset({"V3", "V4"})
_URN_NONE = "XXXXXXX"
# PLACE codes that need no URN (2024-25 onwards): the child at home or in a setting Ofsted does not register, and the
# temporary and "other" placements.
_NO_URN_PLACES = frozenset({"P1", "P3", "R1", "R2", "R5"}) | TEMPORARY | OTHER_PLACEMENTS
# The settings whose postcode is the URN's (rule 221): children's homes, family centres, residential schools.
_URN_POSTCODE_PLACES = frozenset({"K1", "K2", "R3", "S1"})
MAX_DISTANCE_MILES = 999.9


def _ever_uasc(c: Child) -> bool:
    return uasc_flag(c.r) == "1" or (c.last is not None and uasc_flag(c.last) == "1")


def _with_urn(c: Child) -> Iterator[tuple[EpisodeRow, str]]:
    for e in c.r.episodes:
        urn = (e.urn or "").strip().upper()
        if urn and urn != _URN_NONE:
            yield e, urn


@rule(
    "164",
    "Distance is not valid. Please check a valid postcode has been entered.",
    "Episodes",
    needs="episodes",
    reference="postcodes",
    note="The distance is the DfE's, between the centroids of the home and placement postcode sectors (the "
    "reference's postcodes.csv): not valid where either sector is not a known one, or over 999.9 miles. Not asked of "
    "short breaks (V3, V4) nor of a child UASC this year or last (the DfE's note: a child formerly UASC whom the "
    "returns do not show as such may still be flagged).",
)
def r164(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None or _ever_uasc(c):
        return
    for e in c.r.episodes:
        if e.ls in _SHORT_BREAKS or e.home_post is None or e.pl_post is None:
            continue
        miles = ref.distance_miles(e.home_post, e.pl_post)
        if miles is None:
            unknown = [p for p in (e.home_post, e.pl_post) if ref.sector(p) is None]
            yield Problem("Episodes", ("HOME_POST", "PL_POST"), e.line, f"{', '.join(unknown)} not a known postcode")
        elif miles > MAX_DISTANCE_MILES:
            yield Problem("Episodes", ("HOME_POST", "PL_POST"), e.line, f"{miles:,.0f} miles")


@rule(
    "169",
    "Local Authority (LA) of placement is not valid or is missing. Please check a valid postcode has been entered.",
    "Episodes",
    needs="episodes",
    reference="postcodes",
    note="The LA of placement is the placement postcode's sector's (postcodes.csv). A placement with no postcode "
    "is rule 214's and 392b's to name; short breaks (V3, V4) are not asked.",
)
def r169(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None:
        return
    for e in c.r.episodes:
        if e.ls not in _SHORT_BREAKS and e.pl_post is not None and ref.sector(e.pl_post) is None:
            yield Problem("Episodes", ("PL_POST",), e.line, f"PL_POST {e.pl_post}")


@rule(
    "218",
    "Ofsted Unique reference number (URN) is required.",
    "Episodes",
    needs="episodes",
    reference="postcodes",
    note="For an episode open on or after 1 April in a placement Ofsted registers (not P1, P3, R1, R2, R5, the "
    "temporary and 'other' placements), unless the placement is outside England (its postcode's LA, "
    "postcodes.csv, is Welsh, Scottish or Northern Irish). XXXXXXX says there is none.",
)
def r218(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None:
        return
    for e in c.r.episodes:
        if e.urn or e.place is None or e.place in _NO_URN_PLACES or (e.dec is not None and e.dec < y.start):
            continue
        where = ref.sector(e.pl_post)
        if where is not None and not where.la.startswith("E"):
            continue
        yield Problem("Episodes", ("URN",), e.line, f"PLACE {e.place}")


@rule(
    "219",
    "The Ofsted Unique reference number (URN) provided for the child's placement does not match the placement type "
    "recorded.",
    "Episodes",
    needs="episodes",
    reference="providers",
    note="The placement types of the URN are the reference's providers.csv (the council's copy of Ofsted's "
    "register); a URN not on it matches no placement type.",
)
def r219(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None:
        return
    for e, urn in _with_urn(c):
        provider = ref.provider(urn)
        if provider is None:
            yield Problem("Episodes", ("URN", "PLACE"), e.line, f"URN {urn} is not on the provider list")
        elif e.place not in provider.place_codes:
            yield Problem("Episodes", ("URN", "PLACE"), e.line, f"PLACE {e.place or 'blank'} at URN {urn}")


@rule(
    "221",
    "The Ofsted Unique reference number (URN) provided for the child's placement does not match the placement "
    "postcode provided.",
    "Episodes",
    needs="episodes",
    reference="providers",
    note="Compared as the 903 holds postcodes (the sector: outward code and the inward code's digit), for children's "
    "homes, family centres and residential schools (K1, K2, R3, S1), not short breaks. A URN not on the list is "
    "rule 219's to name.",
)
def r221(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None:
        return
    for e, urn in _with_urn(c):
        provider = ref.provider(urn)
        if (
            provider is None
            or e.ls in _SHORT_BREAKS
            or e.place not in _URN_POSTCODE_PLACES
            or e.pl_post is None
            or provider.sector is None
        ):
            continue
        if sector_of(e.pl_post) != provider.sector:
            yield Problem("Episodes", ("PL_POST",), e.line, f"PL_POST {e.pl_post}, URN {urn} at {provider.sector}")


@rule(
    "224",
    "The Ofsted Unique reference number (URN) provided for the child's placement does not match the placement "
    "provider recorded.",
    "Episodes",
    needs="episodes",
    reference="providers",
    note="The provider types of the URN are the reference's providers.csv; a URN not on it is rule 219's to name.",
)
def r224(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None:
        return
    for e, urn in _with_urn(c):
        provider = ref.provider(urn)
        if provider is not None and e.place_provider not in provider.provider_codes:
            yield Problem(
                "Episodes", ("PLACE_PROVIDER",), e.line, f"PLACE_PROVIDER {e.place_provider or 'blank'} at URN {urn}"
            )


# --- distance and LA of placement (DfE SSDA903 validation rules 2025-26, as implemented by Data to Insight's
# validator: csc-validator-be-903, lac_validator/rules). The DfE derives PL_DISTANCE (miles between the home and
# placement postcode sectors' centroids, to one decimal place), PL_LA (the placement postcode's LA) and PL_LOCATION
# (IN the council's own LA, or OUT) from the postcodes; none is a column of the CSV tables, so these rules read
# them through the reference's postcodes.csv and the council's own code (--la), never typed.


def _miles(c: Child, e: EpisodeRow) -> float | None:
    """PL_DISTANCE as the DfE derives it (one decimal place), None where it cannot be."""
    miles = c.ref.distance_miles(e.home_post, e.pl_post) if c.ref is not None else None
    return None if miles is None else round(miles, 1)


def _location(c: Child, e: EpisodeRow) -> str | None:
    """PL_LOCATION: IN where the placement's LA is the council's own, OUT where not, None where not known."""
    ref = c.ref
    la = ref.la_of(e.pl_post) if ref is not None else None
    if la is None or ref is None or ref.authority is None:
        return None
    return "IN" if la == ref.authority else "OUT"


def _compared(now: str | None, was: str | None) -> str:
    return f"LA {now or 'not known'}, last year {was or 'not known'}"


def _open_first(c: Child) -> tuple[EpisodeRow, EpisodeRow] | None:
    """This year's first episode and last year's open one, where they are the same episode (rule 502 names it where
    they are not)."""
    before = _open_last_year(c)
    first = c.r.episodes[0]
    return (before, first) if before is not None and before.decom == first.decom else None


@rule(
    "392a",
    "Child is looked after but no distance is recorded.",
    "Episodes",
    needs="episodes",
    reference="postcodes",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): where LS is not V3 "
    "or V4 and the child is not UASC this year or last, the distance must be derivable from HOME_POST and PL_POST "
    "(both given, both known sectors). Not asked of temporary and 'other' placements, which record no placement "
    "location (rule 214; Data to Insight's reading asks them too). The DfE notes a child formerly UASC whom neither "
    "return shows as such may be flagged.",
)
def r392a(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if _ever_uasc(c):
        return
    for e in c.r.episodes:
        if e.ls not in _SHORT_BREAKS and e.place not in _NO_PROVIDER and _miles(c, e) is None:
            yield Problem("Episodes", ("HOME_POST", "PL_POST"), e.line, f"PLACE {e.place or 'blank'}")


@rule(
    "392c",
    "Postcode(s) provided are invalid.",
    "Episodes",
    needs="episodes",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): a HOME_POST or "
    "PL_POST given must be a postcode. Checked on its form (an outward code and the inward code's digit) always, "
    "and where the reference's postcodes.csv is given, against its sectors too.",
)
def r392c(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref if c.ref is not None and c.ref.sectors is not None else None
    for e in c.r.episodes:
        bad = [
            f"{column} {value}"
            for column, value in (("HOME_POST", e.home_post), ("PL_POST", e.pl_post))
            if value is not None and (sector_of(value) is None or (ref is not None and ref.sector(value) is None))
        ]
        if bad:
            yield Problem("Episodes", ("HOME_POST", "PL_POST"), e.line, ", ".join(bad))


@rule(
    "406",
    "Child is Unaccompanied Asylum-Seeking Child (UASC) or was formerly UASC. Distance should be blank.",
    "Episodes UASC",
    needs="episodes",
    reference="postcodes",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): the distance is "
    "derived from the postcodes, so for a child UASC this year or last (a UASC row, or the XML status) a home and "
    "placement postcode giving a distance is what the rule names. The DfE notes a child formerly UASC whom neither "
    "return shows as such is not found.",
)
def r406(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if not _ever_uasc(c):
        return
    for e in c.r.episodes:
        miles = _miles(c, e)
        if miles is not None:
            yield Problem("Episodes", ("HOME_POST", "PL_POST"), e.line, f"{miles:.1f} miles")


@rule(
    "452",
    "Contradiction between local authority of placement code in the last episode of the previous year and in the "
    "first episode of the current year.",
    "Episodes Episodes_last",
    previous=True,
    needs="episodes",
    reference="postcodes",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): where last year's "
    "last episode is still open and has the same reason for new episode as this year's first, the LA of "
    "placement (from PL_POST) must be the same.",
)
def r452(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None or c.last is None or not c.last.episodes:
        return
    before, first = c.last.episodes[-1], c.r.episodes[0]
    if before.dec is None and before.rne == first.rne:
        was, now = ref.la_of(before.pl_post), ref.la_of(first.pl_post)
        if was != now:
            yield Problem("Episodes", ("PL_POST",), first.line, _compared(now, was))


@rule(
    "453",
    "Contradiction between placement distance in the last episode of the previous year and in the first episode of "
    "the current year.",
    "Episodes Episodes_last",
    previous=True,
    needs="episodes",
    reference="postcodes",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): where last year's "
    "last episode is still open and has the same reason for new episode as this year's first, the two distances "
    "(each from its HOME_POST and PL_POST) must not differ by 0.2 miles or more.",
)
def r453(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.last is None or not c.last.episodes:
        return
    before, first = c.last.episodes[-1], c.r.episodes[0]
    if before.dec is None and before.rne == first.rne:
        was, now = _miles(c, before), _miles(c, first)
        if was is not None and now is not None and abs(was - now) >= 0.2:
            yield Problem("Episodes", ("HOME_POST", "PL_POST"), first.line, f"{now:.1f} miles, last year {was:.1f}")


MAX_LIKELY_MILES = 350


@rule(
    "454",
    "Placement distance from home is over 350 miles.",
    "Episodes",
    query=True,
    needs="episodes",
    reference="postcodes",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): a distance over "
    "350 miles (999.9 and beyond is rule 164's: not a valid distance). Not asked of a child UASC this year or "
    "last, whose distance is not recorded (rule 406). Read as a query: a child may rightly be placed far from "
    "home; the council is asked to confirm the distance.",
)
def r454(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if _ever_uasc(c):
        return
    for e in c.r.episodes:
        miles = _miles(c, e)
        if miles is not None and MAX_LIKELY_MILES < miles < MAX_DISTANCE_MILES:
            yield Problem("Episodes", ("HOME_POST", "PL_POST"), e.line, f"{miles:,.1f} miles")


@rule(
    "503G",
    "The distance in first episode does not match open episode at end of last year.",
    "Episodes Episodes_last",
    previous=True,
    needs="episodes",
    reference="postcodes",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): the first episode "
    "is last year's open one, so its distance must be the same (within 0.2 miles), or blank in both.",
)
def r503g(c: Child, y: CollectionYear) -> Iterator[Problem]:
    same = _open_first(c)
    if same is not None:
        before, first = same
        was, now = _miles(c, before), _miles(c, first)
        if (was is None) != (now is None) or (was is not None and now is not None and abs(was - now) >= 0.2):
            said = f"{now:.1f} miles" if now is not None else "no distance"
            last = f"{was:.1f}" if was is not None else "none"
            yield Problem("Episodes", ("HOME_POST", "PL_POST"), first.line, f"{said}, last year {last}")


@rule(
    "503H",
    "The placement LA in first episode does not match open episode at end of last year.",
    "Episodes Episodes_last",
    previous=True,
    needs="episodes",
    reference="postcodes",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): the LA of "
    "placement (from PL_POST) of the first episode and of last year's open one must be the same.",
)
def r503h(c: Child, y: CollectionYear) -> Iterator[Problem]:
    same = _open_first(c)
    ref = c.ref
    if same is not None and ref is not None:
        before, first = same
        was, now = ref.la_of(before.pl_post), ref.la_of(first.pl_post)
        if was != now:
            yield Problem("Episodes", ("PL_POST",), first.line, _compared(now, was))


@rule(
    "503J",
    "The placement location in first episode does not match open episode at end of last year.",
    "Episodes Episodes_last",
    previous=True,
    needs="episodes",
    reference="postcodes authority",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): whether the child "
    "is placed in or out of the council's area (PL_POST's LA against --la) must be the same in the first episode "
    "as in last year's open one.",
)
def r503j(c: Child, y: CollectionYear) -> Iterator[Problem]:
    same = _open_first(c)
    if same is not None:
        before, first = same
        was, now = _location(c, before), _location(c, first)
        if was != now:
            yield Problem("Episodes", ("PL_POST",), first.line, f"{now or 'not known'}, last year {was or 'not known'}")


_FOSTER_OR_ADOPTION = FOSTER | ADOPTION_PLACEMENTS


@rule(
    "1015",
    "Placement provider is own provision but child not placed in own LA.",
    "Episodes",
    needs="episodes",
    reference="postcodes authority",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): a placement the "
    "council provides itself (PR1), other than fostering and adoption (and, from 2025-26, supported accommodation "
    "K3), and not a short break, must be in the council's own LA (PL_POST's LA against --la). A placement whose "
    "postcode is not known is rule 169's to name.",
)
def r1015(c: Child, y: CollectionYear) -> Iterator[Problem]:
    exempt = _FOSTER_OR_ADOPTION | ({"K3"} if y.year >= 2026 else set())
    for e in c.r.episodes:
        if (
            e.place_provider == "PR1"
            and e.place is not None
            and e.ls is not None
            and e.place not in exempt
            and e.ls not in _SHORT_BREAKS
            and _location(c, e) == "OUT"
        ):
            yield Problem("Episodes", ("PL_POST", "PLACE_PROVIDER"), e.line, f"PLACE {e.place} at {e.pl_post}")


# --- Ofsted's register (providers.csv with REG_START/REG_END; DfE SSDA903 validation rules 2025-26, as
# implemented by Data to Insight's validator) -------------------------------------------------------------------


def _registered(c: Child) -> Iterator[tuple[EpisodeRow, str, Provider]]:
    ref = c.ref
    if ref is None:
        return
    for e, urn in _with_urn(c):
        provider = ref.provider(urn)
        if provider is not None:
            yield e, urn, provider


@rule(
    "227",
    "Ofsted Unique reference number (URN) is not valid for the episode start date.",
    "Episodes",
    needs="episodes",
    reference="providers",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): where the "
    "council's copy of Ofsted's list gives the setting's registration date (REG_START), the episode must not "
    "begin before it.",
)
def r227(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e, urn, provider in _registered(c):
        if provider.registered_on is not None and e.decom is not None and e.decom < provider.registered_on:
            yield Problem("Episodes", ("URN", "DECOM"), e.line, f"URN {urn} registered {show(provider.registered_on)}")


@rule(
    "228",
    "Ofsted Unique reference number (URN) is not valid for the episode end date.",
    "Episodes",
    needs="episodes",
    reference="providers",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): where the "
    "council's copy of Ofsted's list gives the day the setting's registration ended (REG_END), the episode must "
    "end on or before it, and an open episode's setting must still be registered at 31 March (the DfE notes this "
    "may flag an open episode at a setting that closed during the year).",
)
def r228(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e, urn, provider in _registered(c):
        closed = provider.closed_on
        if closed is not None and (e.dec if e.dec is not None else y.end) > closed:
            yield Problem("Episodes", ("URN", "DEC"), e.line, f"URN {urn} closed {show(closed)}")


@rule(
    "229",
    "Placement provider does not match between the placing authority and the local authority code of the provider.",
    "Episodes",
    needs="episodes",
    reference="providers postcodes authority",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): for a setting "
    "Ofsted registers (not K3 from 2025-26, P1, P3, R1, R2, R5, temporary or 'other' placements), own provision "
    "(PR1) must be in the council's own LA and another LA's (PR2) must not; the provider's LA is its postcode's "
    "(postcodes.csv), which the DfE notes may be inaccurate.",
)
def r229(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None or ref.authority is None:
        return
    skip = _NO_URN_PLACES | ({"K3"} if y.year >= 2026 else set())
    for e, urn, provider in _registered(c):
        if e.place in skip or provider.sector is None:
            continue
        la = ref.la_of(provider.sector)
        if la is None:
            continue
        if (e.place_provider == "PR1" and la != ref.authority) or (e.place_provider == "PR2" and la == ref.authority):
            yield Problem("Episodes", ("URN", "PLACE_PROVIDER"), e.line, f"{e.place_provider} at URN {urn} in {la}")


# --- further rules of the DfE's 2024-25 and 2025-26 lists (DfE SSDA903 validation rules 2025-26, as implemented by
# Data to Insight's validator) ----------------------------------------------------------------------------------

_SPARE_URN_PLACES = FOSTER | ADOPTION_PLACEMENTS  # where XXXXXXX may stand for a regional adoption agency's URN


@rule(
    "233",
    "Reason for placement change is not required when the episode has not ceased.",
    "Episodes",
    needs="episodes",
    first_year=2026,
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): a reason for "
    "placement change belongs to the episode whose placement ended (rule 225).",
)
def r233(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.dec is None and "dec" not in e.invalid and e.reason_place_change is not None:
            yield Problem("Episodes", ("REASON_PLACE_CHANGE",), e.line, f"REASON_PLACE_CHANGE {e.reason_place_change}")


@rule(
    "234",
    "A child aged under 10 can not change placement due to being admitted to custody.",
    "Episodes Header",
    needs="episodes",
    first_year=2026,
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): the reason CUSTOD "
    "on the episode that ended, where the child was under 10 on the day the next began (its DECOM: the DfE's "
    "wording reads the previous episode's reason; Data to Insight's reads the same row's).",
)
def r234(c: Child, y: CollectionYear) -> Iterator[Problem]:
    episodes = c.r.episodes
    for i, e in enumerate(episodes):
        if e.reason_place_change != "CUSTOD":
            continue
        changed = episodes[i + 1].decom if i + 1 < len(episodes) else e.dec
        age = age_on(c.dob, changed)
        if age is not None and age < 10:
            yield Problem("Episodes", ("REASON_PLACE_CHANGE",), e.line, f"aged {age} on {show(changed)}")


@rule(
    "241",
    "LA of placement is not an LA the provider has premises.",
    "Episodes",
    needs="episodes",
    first_year=2026,
    reference="providers postcodes",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): supported "
    "accommodation (K3) with a URN must be in an LA where the provider has premises. The council's copy of "
    "Ofsted's list holds one postcode a URN, so the LA of that postcode is the one compared (Data to Insight's "
    "reading compares with the council's own LA).",
)
def r241(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    for e, urn, provider in _registered(c):
        if e.place != "K3" or ref is None or provider.sector is None:
            continue
        placed, premises = ref.la_of(e.pl_post), ref.la_of(provider.sector)
        if placed is not None and premises is not None and placed != premises:
            yield Problem("Episodes", ("URN", "PL_POST"), e.line, f"placed in {placed}, URN {urn} in {premises}")


@rule(
    "242",
    "URN = 'XXXXXXX' can only be used for regional adoption agencies.",
    "Episodes",
    needs="episodes",
    first_year=2026,
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): XXXXXXX only for "
    "a placement for adoption or with foster carers (A3 to A6, U1 to U6).",
)
def r242(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if (e.urn or "").strip().upper() == _URN_NONE and e.place not in _SPARE_URN_PLACES:
            yield Problem("Episodes", ("URN", "PLACE"), e.line, f"PLACE {e.place or 'blank'}")


@rule(
    "243",
    "Only placements with providers registered with Ofsted should have a URN reported.",
    "Episodes",
    needs="episodes",
    first_year=2026,
    reference="postcodes",
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): a placement in "
    "Wales, Scotland or Northern Ireland (its postcode's LA) has no Ofsted URN, XXXXXXX included.",
)
def r243(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None:
        return
    for e in c.r.episodes:
        la = ref.la_of(e.pl_post)
        if e.urn is not None and la is not None and not la.startswith("E"):
            yield Problem("Episodes", ("URN",), e.line, f"URN {e.urn}, placed in {la}")


@rule(
    "348",
    "Care leaver has previously been reported as having died.",
    "OC3 OC3_last",
    needs="oc3",
    previous=True,
    first_year=2026,
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): last year's "
    "return said the young person had died (IN_TOUCH DIED); this year's must say so too.",
)
def r348(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.last is not None and any(o.in_touch == "DIED" for o in c.last.oc3):
        for o in c.r.oc3:
            if o.in_touch != "DIED":
                yield Problem("OC3", ("IN_TOUCH",), o.line, f"IN_TOUCH {o.in_touch or 'blank'}, last year DIED")


@rule(
    "398",
    "Distance field completed but child looked after under legal status V3 or V4.",
    "Episodes",
    needs="episodes",
    note="DfE SSDA903 validation rules (as implemented by Data to Insight's validator): the distance is derived "
    "from the postcodes, so a short break (V3, V4) with a home or placement postcode is what the rule names.",
)
def r398(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.ls in _SHORT_BREAKS and (e.home_post is not None or e.pl_post is not None):
            yield Problem("Episodes", ("LS", "HOME_POST", "PL_POST"), e.line, f"LS {e.ls}")


@rule(
    "420",
    "LA of placement completed but child is looked after under legal status V3 or V4.",
    "Episodes",
    needs="episodes",
    reference="postcodes",
    note="DfE SSDA903 validation rules (as implemented by Data to Insight's validator): the LA of placement is "
    "derived from PL_POST (postcodes.csv), so a short break (V3, V4) whose placement postcode places it in an LA.",
)
def r420(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None:
        return
    for e in c.r.episodes:
        if e.ls in _SHORT_BREAKS and ref.la_of(e.pl_post) is not None:
            yield Problem("Episodes", ("LS", "PL_POST"), e.line, f"LS {e.ls}")


@rule(
    "359",
    "Child being looked after following 18th birthday must be accommodated under section 20(5) of the Children Act "
    "1989 in a community home.",
    "Episodes Header",
    needs="episodes",
    note="DfE SSDA903 validation rules (as implemented by Data to Insight's validator): an episode open at 31 "
    "March of a young person 18 by then must be V2 (accommodation) in a children's home (K2).",
)
def r359(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.dob is None or birthday(c.dob, 18) >= y.end:
        return
    for e in c.r.episodes:
        if e.dec is None and "dec" not in e.invalid and not (e.ls == "V2" and e.place == "K2"):
            yield Problem("Episodes", ("LS", "PLACE"), e.line, f"LS {e.ls or 'blank'}, PLACE {e.place or 'blank'}")


@rule(
    "633",
    "Local authority code where previous permanence option was arranged is not a valid value.",
    "PrevPerm",
    needs="prev_perm",
    note="DfE SSDA903 validation rules (as implemented by Data to Insight's validator): the DfE's three-digit code "
    "of an English local authority (999 not known), or WAL, SCO, NIR, NUK (core.codes.PERMANENCE_LA_CODES).",
)
def r633(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for p in c.r.prev_perm:
        if p.la_perm is not None and p.la_perm.strip().upper() not in codes.PERMANENCE_LA_CODES:
            yield Problem("PrevPerm", ("LA_PERM",), p.line, f"LA_PERM {p.la_perm}")


@rule(
    "1016",
    "Care leaver information is not required for 17- or 18-year olds who cease to be looked after, after their "
    "birthday.",
    "Episodes OC3",
    needs="oc3",
    note="DfE SSDA903 validation rules (as implemented by Data to Insight's validator): a young person aged 17 or "
    "18 at 31 March with an episode ending on or after their 17th birthday has no care leaver information.",
)
def r1016(c: Child, y: CollectionYear) -> Iterator[Problem]:
    age = age_on(c.dob, y.end)
    if c.dob is None or age is None or not 17 <= age < 19 or not _oc3_given(c):
        return
    seventeen = birthday(c.dob, 17)
    left = [e.dec for e in c.r.episodes if e.dec is not None and e.dec >= seventeen]
    if left:
        yield Problem("OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), c.r.oc3[0].line, f"left care {show(max(left))}")


@rule(
    "197B",
    "SDQ score or reason for no SDQ should be reported for 4- or 17-year-olds.",
    "OC2 Episodes",
    needs="episodes",
    note="DfE SSDA903 validation rules (as implemented by Data to Insight's validator): a child in the OC2 cohort "
    "whose 4th or 17th birthday falls in the year has a score or a reason for none (rule 186 asks the score of "
    "those in between).",
)
def r197b(c: Child, y: CollectionYear) -> Iterator[Problem]:
    born = c.dob
    if born is None or not in_oc2_cohort(c, y):
        return
    if not any(y.start <= birthday(born, years) <= y.end for years in (4, 17)):
        return
    if not any(o.sdq_score is not None or o.sdq_reason is not None for o in c.r.oc2):
        yield Problem("OC2", ("SDQ_SCORE", "SDQ_REASON"), c.r.oc2[0].line if c.r.oc2 else c.r.episodes[-1].line)


# --- social worker episodes: the DfE's further checks (DfE SSDA903 validation rules 2025-26, as implemented by
# Data to Insight's validator) ------------------------------------------------------------------------------------

SW_GAP = 7  # days either side of the previous episode's end a new one may start (SW10aSTG2)
FIRST_CONTACT = "FCONTA"


@rule(
    "SW14STG2",
    "Social worker episode date ceased is blank.",
    "SWEpisodes",
    needs="sw_episodes",
    note="DfE SSDA903 validation rules (as implemented by Data to Insight's validator): every episode but the "
    "child's latest has an end date (SW08STG2 says it of the episode a new one follows).",
)
def sw14(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for s in c.r.sw_episodes[:-1]:
        if s.sw_dec is None and "sw_dec" not in s.invalid:
            yield Problem("SWEpisodes", ("SW_DEC",), s.line, f"began {show(s.sw_decom)}")


@rule(
    "SW15STG2",
    "Reason for social worker change is missing.",
    "SWEpisodes",
    needs="sw_episodes",
    first_year=2025,
    note="DfE SSDA903 validation rules 2024-25 (as implemented by Data to Insight's validator): an episode "
    "beginning within the year before the collection year, or since, has its reason.",
)
def sw15(c: Child, y: CollectionYear) -> Iterator[Problem]:
    since = date(y.start.year - 1, y.start.month, y.start.day)
    for s in c.r.sw_episodes:
        if s.sw_reason is None and s.sw_decom is not None and s.sw_decom >= since:
            yield Problem("SWEpisodes", ("SW_REASON",), s.line, f"began {show(s.sw_decom)}")


@rule(
    "SW10aSTG2",
    "A new social worker episode has started and it is not within +/- 7 days of a previous episode.",
    "SWEpisodes",
    needs="sw_episodes",
    first_year=2026,
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): unless its "
    "reason is FCONTA, a new episode begins within 7 days either side of the day the previous one ended.",
)
def sw10a(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for before, s in itertools.pairwise(c.r.sw_episodes):
        if s.sw_reason == FIRST_CONTACT or before.sw_dec is None or s.sw_decom is None:
            continue
        if abs((s.sw_decom - before.sw_dec).days) > SW_GAP:
            yield Problem(
                "SWEpisodes", ("SW_DECOM",), s.line, f"began {show(s.sw_decom)}, previous ended {show(before.sw_dec)}"
            )


@rule(
    "SW10bSTG2",
    "A new social worker episode has started with a reason of first contact before the previous episode has ended.",
    "SWEpisodes",
    needs="sw_episodes",
    first_year=2026,
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): an episode whose "
    "reason is FCONTA begins after the previous one ended.",
)
def sw10b(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for before, s in itertools.pairwise(c.r.sw_episodes):
        first = s.sw_reason == FIRST_CONTACT
        if first and before.sw_dec is not None and s.sw_decom is not None and s.sw_decom <= before.sw_dec:
            yield Problem(
                "SWEpisodes",
                ("SW_DECOM", "SW_REASON"),
                s.line,
                f"began {show(s.sw_decom)}, previous ended {show(before.sw_dec)}",
            )


@rule(
    "SW18STG2",
    "The end date of the social worker episode is before the start date.",
    "SWEpisodes",
    needs="sw_episodes",
    first_year=2026,
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator): where both are "
    "given, SW_DEC is after SW_DECOM (the same day is not after it).",
)
def sw18(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for s in c.r.sw_episodes:
        if s.sw_dec is not None and s.sw_decom is not None and s.sw_dec <= s.sw_decom:
            yield Problem("SWEpisodes", ("SW_DEC", "SW_DECOM"), s.line, f"{show(s.sw_decom)} to {show(s.sw_dec)}")


@rule(
    "SW19STG2",
    "There are 2 social worker episodes for the child starting on the same date.",
    "SWEpisodes",
    needs="sw_episodes",
    first_year=2026,
    note="DfE SSDA903 validation rules 2025-26 (as implemented by Data to Insight's validator).",
)
def sw19(c: Child, y: CollectionYear) -> Iterator[Problem]:
    seen: set[date] = set()
    for s in c.r.sw_episodes:
        if s.sw_decom is not None:
            if s.sw_decom in seen:
                yield Problem("SWEpisodes", ("SW_DECOM",), s.line, f"began {show(s.sw_decom)}")
            seen.add(s.sw_decom)


SW_COLLECTED_FROM = date(2023, 4, 1)  # the first social worker episodes the DfE collected in full (2023-24)


@rule(
    "SW01aSTG1",
    "For each social worker episode, information should be complete.",
    "SWEpisodes",
    needs="sw_episodes",
    first_year=2025,
    note="DfE SSDA903 validation rules 2024-25 (as implemented by Data to Insight's validator): an episode that "
    "began before 1 April 2023 has its start date and its social worker's ID (the reason may be left out).",
)
def sw01a(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for s in c.r.sw_episodes:
        if s.sw_decom is None or (s.sw_decom < SW_COLLECTED_FROM and s.sw_id is None):
            yield Problem("SWEpisodes", ("SW_DECOM", "SW_ID"), s.line, f"began {show(s.sw_decom)}")


@rule(
    "SW01bSTG1",
    "For each social worker episode, information should be complete.",
    "SWEpisodes",
    needs="sw_episodes",
    first_year=2025,
    note="DfE SSDA903 validation rules 2024-25 (as implemented by Data to Insight's validator): an episode that "
    "began on or after 1 April 2023 has its start date, its social worker's ID and the reason for the change.",
)
def sw01b(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for s in c.r.sw_episodes:
        if s.sw_decom is None or (s.sw_decom >= SW_COLLECTED_FROM and (s.sw_id is None or s.sw_reason is None)):
            yield Problem("SWEpisodes", ("SW_DECOM", "SW_ID", "SW_REASON"), s.line, f"began {show(s.sw_decom)}")


@rule(
    "231",
    "We expect that unaccompanied asylum seeking children are generally older young people. Please check the date of "
    "birth is correct. If the date of birth is correct then please provide details in a bypass request.",
    "Header UASC",
    query=True,
    needs="header",
    first_year=2025,
)
def r231(c: Child, y: CollectionYear) -> Iterator[Problem]:
    h = c.header
    if h is not None and uasc_flag(c.r) == "1" and c.dob is not None and c.dob > birthday(y.end, -11):
        yield Problem("Header", ("DOB",), h.line, f"DOB {show(c.dob)}")


@rule(
    "232",
    "Sex of the child/young person has been reported as unknown.",
    "Header",
    query=True,
    needs="header",
    first_year=2025,
)
def r232(c: Child, y: CollectionYear) -> Iterator[Problem]:
    h = c.header
    if h is not None and (h.sex or "").strip().upper() == "U":
        yield Problem("Header", ("SEX",), h.line, "SEX U")


# --- 2023-24's rules on the supported accommodation reforms (28 October 2023), and adoption decisions against last
# year's (DfE SSDA903 validation rules, as implemented by Data to Insight's validator) ----------------------------

SUPPORTED_ACCOMMODATION_REFORM = date(2023, 10, 28)  # P2 withdrawn; H5 settings registered with Ofsted from then


@rule(
    "217t",
    "Placement type 'P2' is not a valid placement type from 28 October 2023.",
    "Episodes",
    needs="episodes",
    last_year=2024,
    note="DfE SSDA903 validation rules 2023-24 (as implemented by Data to Insight's validator): an independent "
    "living placement (P2) open after 28 October 2023.",
)
def r217t(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for e in c.r.episodes:
        if e.place == "P2" and (e.dec is None or e.dec > SUPPORTED_ACCOMMODATION_REFORM):
            yield Problem("Episodes", ("PLACE", "DEC"), e.line, f"P2 to {show(e.dec)}")


@rule(
    "230",
    "Ofsted Unique reference number (URN) is required for any English H5 placements from 28 October 2023.",
    "Episodes",
    needs="episodes",
    last_year=2024,
    reference="postcodes",
    note="DfE SSDA903 validation rules 2023-24 (as implemented by Data to Insight's validator): semi-independent "
    "accommodation (H5) open on or after 29 October 2023 in England (its postcode's LA, postcodes.csv) has a URN "
    "other than XXXXXXX.",
)
def r230(c: Child, y: CollectionYear) -> Iterator[Problem]:
    ref = c.ref
    if ref is None:
        return
    for e in c.r.episodes:
        if e.place != "H5" or (e.dec is not None and e.dec <= SUPPORTED_ACCOMMODATION_REFORM):
            continue
        la = ref.la_of(e.pl_post)
        if (la is None or la.startswith("E")) and (e.urn is None or e.urn.strip().upper() == _URN_NONE):
            yield Problem("Episodes", ("URN", "PLACE"), e.line, f"H5 from {show(e.decom)}")


@rule(
    "584",
    "Date of decision that the child should be placed for adoption this year is different from that recorded last "
    "year, but the decision to placed the child for adoption changed and the child should no longer be placed for "
    "adoption.",
    "PlacedAdoption PlacedAdoption_last",
    needs="placed",
    previous=True,
    note="DfE SSDA903 validation rules (as implemented by Data to Insight's validator): where last year's return "
    "said a decision ended (its date or reason), a decision this year is a new one, made after it.",
)
def r584(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.last is None:
        return
    ended = [
        p.date_placed
        for p in c.last.placed
        if p.date_placed is not None and (p.date_placed_ceased is not None or p.reason_placed_ceased is not None)
    ]
    if not ended:
        return
    for p in c.r.placed:
        if p.date_placed is None or p.date_placed <= max(ended):
            yield Problem(
                "PlacedAdoption",
                ("DATE_PLACED",),
                p.line,
                f"DATE_PLACED {show(p.date_placed)}, ended {show(max(ended))}",
            )


# --- 700 range: deprivation of liberty orders (the DoLo table, from 2026-27) ------------------------------------
# The DfE's wording for 2026-27 as given by Data to Insight's validator (lac_validator/rules/lac2026_27, whose
# comments quote the DfE's logic). An order's days run from DOLO_START to DOLO_END; an episode's from DECOM to the
# day before DEC (the day it ends is the next one's first).

_DOLO_EXPECTED_PLACES = frozenset({"K2", "Z12", "Z13"})
_DOLO_REFUSED_PLACES = frozenset({"K1", "P1", "R5", "K3"})
_DOLO = 2027


@rule("700", "The start date of the DoLO is not a valid date.", "DoLo", needs="dolo", first_year=_DOLO)
def r700(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.dolo, "DoLo", "dolo_start", required=True)


@rule("701", "The end date of the DoLO is not a valid date.", "DoLo", needs="dolo", first_year=_DOLO)
def r701(c: Child, y: CollectionYear) -> Iterator[Problem]:
    yield from invalid_date(c.r.dolo, "DoLo", "dolo_end")


@rule(
    "702",
    "The date that the DoLO ended is before the date that it started.",
    "DoLo",
    needs="dolo",
    first_year=_DOLO,
    note="Read as the DfE words it: an order ending the day it started is not before it (Data to Insight's "
    "validator also names an order ending on its first day).",
)
def r702(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for d in c.r.dolo:
        if d.dolo_start is not None and d.dolo_end is not None and d.dolo_end < d.dolo_start:
            yield Problem("DoLo", ("DOLO_START", "DOLO_END"), d.line, f"started {show(d.dolo_start)}")


@rule(
    "703",
    "The date that the DoLO started is after the end of the collection year.",
    "DoLo",
    needs="dolo",
    first_year=_DOLO,
)
def r703(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for d in c.r.dolo:
        if d.dolo_start is not None and d.dolo_start > y.end:
            yield Problem("DoLo", ("DOLO_START",), d.line, f"DOLO_START {show(d.dolo_start)}")


@rule(
    "704",
    "The date that the DoLO ended is before the start or after the end of the collection year.",
    "DoLo",
    needs="dolo",
    first_year=_DOLO,
)
def r704(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for d in c.r.dolo:
        if d.dolo_end is not None and not y.start <= d.dolo_end <= y.end:
            yield Problem("DoLo", ("DOLO_END",), d.line, f"DOLO_END {show(d.dolo_end)}")


@rule(
    "705",
    "A DoLO cannot start when the previous DoLO is still open.",
    "DoLo",
    needs="dolo",
    first_year=_DOLO,
    note="The DfE's logic: each order starts on or after the one before, which has an end date. An order starting "
    "before the one before it ended also starts while that one is open, and is named.",
)
def r705(c: Child, y: CollectionYear) -> Iterator[Problem]:
    dated = [d for d in c.r.dolo if d.dolo_start is not None]  # in DOLO_START order (ChildRecord.sort)
    for before, d in itertools.pairwise(dated):
        if before.dolo_end is None or d.dolo_start < before.dolo_end:  # type: ignore[operator]
            yield Problem(
                "DoLo",
                ("DOLO_START", "DOLO_END"),
                d.line,
                f"the order from {show(before.dolo_start)} "
                + ("has no end date" if before.dolo_end is None else f"ended {show(before.dolo_end)}"),
            )


@rule(
    "706",
    "There is an open DoLO in last year's return and there is no corresponding DoLO recorded at the start of this "
    "year.",
    "DoLo DoLo_last",
    previous=True,
    first_year=_DOLO,
    note="The DfE's logic: an order open at the end of last year's return is in this year's with the same "
    "DOLO_START. Checked for every child in this year's return (a child not in it at all is not checked); in "
    "2026-27 last year's return has no DoLo table, so nothing is named.",
)
def r706(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if c.last is None:
        return
    starts = {d.dolo_start for d in c.r.dolo}
    for d in c.last.dolo:
        if (
            d.dolo_start is not None
            and d.dolo_end is None
            and "dolo_end" not in d.invalid
            and d.dolo_start not in starts
        ):
            yield Problem("DoLo", ("DOLO_START",), 0, f"last year's order from {show(d.dolo_start)} was open")


@rule(
    "707",
    "Child ceased to be looked after but there is a DoLO without an end date.",
    "DoLo Episodes",
    needs="dolo",
    first_year=_DOLO,
    note="Read as the DfE words it: an order begun by the day the child left care, with no end date (Data to "
    "Insight's validator also names orders ending outside a period of care).",
)
def r707(c: Child, y: CollectionYear) -> Iterator[Problem]:
    left = _left_care(c)
    if left is not None and left.dec is not None:
        for d in c.r.dolo:
            if (
                d.dolo_start is not None
                and d.dolo_end is None
                and "dolo_end" not in d.invalid
                and d.dolo_start <= left.dec
            ):
                yield Problem("DoLo", ("DOLO_END",), d.line, f"left care {show(left.dec)}")


@rule("708", "Dates of DoLOs are before child's date of birth.", "DoLo", needs="dolo", first_year=_DOLO)
def r708(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for d in c.r.dolo:
        born = d.dob or c.dob
        if d.dolo_start is not None and born is not None and d.dolo_start <= born:
            yield Problem("DoLo", ("DOLO_START",), d.line, f"born {show(born)}")


def _placements_in_order(c: Child, d: DoloRow) -> Iterator[EpisodeRow]:
    """The episodes that share a day with a closed order (the DfE's rules 709 and 710 read closed orders only)."""
    start, end = d.dolo_start, d.dolo_end
    if start is None or end is None or end < start:
        return
    for e in c.r.episodes:
        if e.decom is None:
            continue
        last_day = e.dec - _ONE_DAY if e.dec is not None and e.dec > e.decom else e.dec
        if e.decom <= end and (last_day is None or last_day >= start):
            yield e


_ONE_DAY = timedelta(days=1)


@rule(
    "709",
    "Child with a DoLO is in an unexpected placement type.",
    "DoLo Episodes",
    query=True,
    needs="dolo",
    first_year=_DOLO,
    note="Read as a query: the wording calls the placement 'unexpected', not impossible; the council is asked to "
    "confirm. The DfE's logic: where an order has both dates, every episode overlapping it is K2, Z12 or Z13 (an "
    "episode ending the day the order starts does not overlap it).",
)
def r709(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for d in c.r.dolo:
        for e in _placements_in_order(c, d):
            if e.place not in _DOLO_EXPECTED_PLACES:
                yield Problem(
                    "DoLo", ("DOLO_START", "PLACE"), d.line, f"placed {e.place or 'blank'} from {show(e.decom)}"
                )
                break


@rule(
    "710",
    "Child with a DoLO can not be placed in secure children's homes, with parents, young offender institutions, or "
    "supported accommodation.",
    "DoLo Episodes",
    needs="dolo",
    first_year=_DOLO,
    note="The DfE's logic: where an order has both dates, no episode overlapping it is K1, P1, R5 or K3 (an "
    "episode ending the day the order starts does not overlap it).",
)
def r710(c: Child, y: CollectionYear) -> Iterator[Problem]:
    for d in c.r.dolo:
        for e in _placements_in_order(c, d):
            if e.place in _DOLO_REFUSED_PLACES:
                yield Problem("DoLo", ("DOLO_START", "PLACE"), d.line, f"placed {e.place} from {show(e.decom)}")


# --- 1001 and 1002: care leaver information of a young person the episodes do not show as a care leaver ----------
# A care leaver (a relevant or former relevant child) was looked after on or after their 16th birthday. For a young
# person whose 17th birthday falls in this year, every such day falls in this year's return or last year's, so the
# two returns settle it; for older care leavers the episodes that made them one may be in earlier returns that the
# validator is not given, and these rules stay quiet rather than name them.


def _seventeen_this_year(c: Child, y: CollectionYear) -> date | None:
    """The 16th birthday of a young person whose 17th falls in this collection year, else None."""
    if c.dob is None or not y.start <= birthday(c.dob, 17) <= y.end:
        return None
    return birthday(c.dob, 16)


def _both_years(c: Child) -> list[EpisodeRow]:
    return [*(c.last.episodes if c.last is not None else ()), *c.r.episodes]


@rule(
    "1002",
    "This child has no previous episodes of care, therefore should not have care leaver information recorded.",
    "OC3 Episodes Episodes_last",
    previous=True,
    needs="oc3",
    note="Checked for a young person whose 17th birthday falls in the year, the one age at which this year's return "
    "and last year's hold every day since the 16th birthday (Data to Insight's validator names every care leaver "
    "without episodes in the two returns, and warns that older ones may be named wrongly).",
)
def r1002(c: Child, y: CollectionYear) -> Iterator[Problem]:
    if _seventeen_this_year(c, y) is not None and not _both_years(c):
        yield Problem("OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), c.r.oc3[0].line, "no episodes this year or last")


@rule(
    "1001",
    "The episodes recorded for this young person suggest they are not a relevant or a former relevant child and "
    "therefore should not have care leaver information completed.",
    "OC3 Episodes Episodes_last",
    previous=True,
    needs="oc3",
    note="Named where the two returns settle it: the young person's latest episode ended in adoption (E11, E12), or "
    "their 17th birthday falls in the year and no episode other than short breaks (V3, V4) ran on or after their "
    "16th birthday. Data to Insight's validator also asks for 13 weeks in care after the 14th birthday, which the "
    "two returns cannot show.",
)
def r1001(c: Child, y: CollectionYear) -> Iterator[Problem]:
    episodes = [e for e in _both_years(c) if e.decom is not None]
    if not episodes:
        return  # rule 1002's case
    latest = max(episodes, key=lambda e: e.decom)  # type: ignore[arg-type, return-value]
    line = c.r.oc3[0].line
    if latest.rec in ADOPTED:
        yield Problem("OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), line, f"adopted {show(latest.dec)}")
        return
    sixteen = _seventeen_this_year(c, y)
    if sixteen is not None and not any(
        e.ls not in ("V3", "V4") and (e.dec is None or e.dec > sixteen) for e in episodes
    ):
        yield Problem(
            "OC3", ("IN_TOUCH", "ACTIV", "ACCOM"), line, f"not looked after since the 16th birthday, {show(sixteen)}"
        )
