"""Every SSDA903 rule both ways: quiet on a clean synthetic return (and last year's), and made to fire by one change
to one child, as a council's data would go wrong. A rule added without a case here fails ``test_every_rule_has_a_case``.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from safeguarding.returns.ssda903.reference import Provider, Reference, Sector, sector_of
from safeguarding.returns.ssda903.rules import RULES, Child, Problem, age_on, birthday, care_began, in_oc2_cohort
from safeguarding.returns.ssda903.tables import (
    Ad1Row,
    ChildRecord,
    CollectionYear,
    DoloRow,
    EpisodeRow,
    HeaderRow,
    MissingRow,
    Oc2Row,
    Oc3Row,
    PlacedAdoptionRow,
    ReviewRow,
    UascRow,
)
from safeguarding.returns.ssda903.validator import Finding, Validator

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from ssda903_data import generate

Y = CollectionYear(2026)
START, END = Y.start, Y.end
D = timedelta(days=1)


@cache
def baseline(year: int) -> tuple[dict[str, ChildRecord], dict[str, ChildRecord]]:
    current, previous = generate(400, 11, CollectionYear(year))
    return {c.child: c for c in current}, {c.child: c for c in previous}


@dataclass
class Case:
    """A copy-on-change view of the baseline: ``pick`` copies the first child matching into this case."""

    year: CollectionYear
    cur: dict[str, ChildRecord]
    prev: dict[str, ChildRecord]
    touched: list[str] = field(default_factory=list)
    reference: Reference | None = None  # given to the validator (the rules reading reference data run only then)

    def pick(self, test: Callable[[ChildRecord], bool] = lambda c: True, skip: int = 0) -> ChildRecord:
        found = [c for c in self.cur.values() if c.child not in self.touched and test(c)]
        record = copy.deepcopy(found[skip])
        self.cur[record.child] = record
        self.touched.append(record.child)
        return record

    def last(self, child: str) -> ChildRecord:
        record = copy.deepcopy(self.prev[child])
        self.prev[child] = record
        return record

    def new(self, child: str) -> ChildRecord:
        record = ChildRecord(child)
        self.cur[child] = record
        self.touched.append(child)
        return record

    def view(self, record: ChildRecord) -> Child:
        return Child(record, self.prev.get(record.child))


def start_case(year: int = 2026) -> Case:
    cur, prev = baseline(year)
    return Case(CollectionYear(year), dict(cur), dict(prev))


def findings(case: Case, with_previous: bool = True) -> list[Finding]:
    validator = Validator(case.year, with_previous, case.reference)
    found: list[Finding] = []
    for child in case.touched:
        found += validator.child(case.cur[child], case.prev.get(child) if with_previous else None)
    return found


# --- what the cases pick --------------------------------------------------------------------------------------


def eps(n: int = 1) -> Callable[[ChildRecord], bool]:
    return lambda c: len(c.episodes) >= n


def looked_after_at_end(c: ChildRecord) -> bool:
    return bool(c.episodes) and c.episodes[-1].dec is None


def cohort(c: ChildRecord) -> bool:
    return bool(c.episodes) and in_oc2_cohort(Child(c), Y)


def aged(low: int, high: int, on: date = END) -> Callable[[ChildRecord], bool]:
    return lambda c: bool(c.header) and low <= (age_on(c.header[0].dob, on) or -1) <= high and bool(c.episodes)


def started_in_year(c: ChildRecord) -> bool:
    return (
        bool(c.episodes)
        and c.episodes[0].rne == "S"
        and c.episodes[0].decom is not None
        and c.episodes[0].decom >= START
    )


def has(attribute: str) -> Callable[[ChildRecord], bool]:
    return lambda c: bool(getattr(c, attribute))


def adopted(c: ChildRecord) -> bool:
    return bool(c.ad1)


def in_both(case: Case) -> Callable[[ChildRecord], bool]:
    return lambda c: c.child in case.prev and bool(case.prev[c.child].episodes) and bool(c.episodes)


def open_last_year(case: Case) -> Callable[[ChildRecord], bool]:
    def test(c: ChildRecord) -> bool:
        before = case.prev.get(c.child)
        return before is not None and bool(before.episodes) and before.episodes[-1].dec is None and bool(c.episodes)

    return test


def girl(c: ChildRecord) -> bool:
    return bool(c.header) and c.header[0].sex == "2"


def placement_move(c: ChildRecord) -> bool:
    return any(b.rec == "X1" and e.rne == "P" for b, e in zip(c.episodes, c.episodes[1:], strict=False))


def left_care(c: ChildRecord) -> bool:
    return bool(c.episodes) and c.episodes[-1].rec not in (None, "X1")


def on(day: date | None) -> date:
    assert day is not None
    return day


def dob(c: ChildRecord) -> date:
    value = c.header[0].dob
    assert value is not None
    return value


def row_of(c: ChildRecord, attribute: str) -> object:
    return getattr(c, attribute)[0]


# --- the cases: rule code -> a change that breaks it, naming the child ------------------------------------------

CASES: dict[str, Callable[[Case], str]] = {}
YEAR_OF: dict[str, int] = {}


def case(*codes: str, year: int = 2026) -> Callable[[Callable[[Case], str]], Callable[[Case], str]]:
    def register(make: Callable[[Case], str]) -> Callable[[Case], str]:
        for code in codes:
            CASES[code] = make
            YEAR_OF[code] = year
        return make

    return register


_TABLE_LISTS = {
    "INT01": "ad1",
    "INT02": "placed",
    "INT03": "episodes",
    "INT04": "missing",
    "INT05": "oc2",
    "INT06": "oc3",
    "INT07": "prev_perm",
    "INT08": "reviews",
    "INT09": "uasc",
}
for _code, _attribute in _TABLE_LISTS.items():

    def _orphan(k: Case, attribute: str = _attribute) -> str:
        source = k.pick(has(attribute))
        k.touched.remove(source.child)
        record = k.new("ORPHAN1")
        row = copy.deepcopy(getattr(source, attribute)[0])
        row.child = "ORPHAN1"
        getattr(record, attribute).append(row)
        return "ORPHAN1"

    case(_code)(_orphan)

_DOB_LISTS = {
    "INT11": "ad1",
    "INT12": "placed",
    "INT13": "missing",
    "INT14": "oc2",
    "INT15": "oc3",
    "INT16": "prev_perm",
    "INT17": "reviews",
    "INT18": "uasc",
}
for _code, _attribute in _DOB_LISTS.items():

    def _other_dob(k: Case, attribute: str = _attribute) -> str:
        c = k.pick(has(attribute))
        getattr(c, attribute)[0].dob = dob(c) - D
        return c.child

    case(_code)(_other_dob)

_ONCE_LISTS = {"INT31": "ad1", "INT32": "header", "INT33": "oc2", "INT34": "oc3", "INT35": "prev_perm", "INT36": "uasc"}
for _code, _attribute in _ONCE_LISTS.items():

    def _twice(k: Case, attribute: str = _attribute) -> str:
        c = k.pick(has(attribute))
        getattr(c, attribute).append(copy.deepcopy(getattr(c, attribute)[0]))
        return c.child

    case(_code)(_twice)


@case("INT21")
def _(k: Case) -> str:
    c = k.pick(has("uasc"))
    c.uasc[0].sex = "1" if c.header[0].sex == "2" else "2"
    return c.child


@case("EPI")
def _(k: Case) -> str:
    record = k.new("HEADERONLY")
    record.header.append(HeaderRow("HEADERONLY", sex="1", dob=date(2015, 1, 1), ethnic="WBRI", upn="UN5"))
    return "HEADERONLY"


@case("NoE")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.episodes) and c.episodes[0].decom is not None and c.episodes[0].decom < START)
    k.prev.pop(c.child, None)
    return c.child


def _set(
    attribute: str, column: str, value: object, test: Callable[[ChildRecord], bool] | None = None
) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(test or has(attribute))
        setattr(getattr(c, attribute)[0], column, value)
        return c.child

    return make


def _invalid(attribute: str, column: str) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(has(attribute))
        row = getattr(c, attribute)[0]
        setattr(row, column, None)
        row.invalid = (column,)
        return c.child

    return make


case("101")(_set("header", "sex", "3"))
case("102")(_invalid("header", "dob"))
case("103")(_set("header", "ethnic", "XXXX"))
case("104")(_invalid("uasc", "duc"))
case("112")(_invalid("ad1", "date_int"))
case("113")(_invalid("ad1", "date_match"))
case("114")(_set("ad1", "foster_care", "2"))
case("115")(_invalid("placed", "date_placed"))
case("116")(_invalid("placed", "date_placed_ceased"))
case("117")(_set("placed", "date_placed", END + D))
case("131")(_set("oc3", "in_touch", "MAYBE"))
case("132")(_set("oc3", "activ", "Z9"))
case("133")(_set("oc3", "accom", "Q1"))
case("141")(_invalid("episodes", "decom"))
case("143")(_set("episodes", "rne", "Q"))
case("144")(_set("episodes", "ls", "ZZ"))
case("145")(_set("episodes", "cin", "N9"))
case("146")(_set("episodes", "place", "H5"))
case("147")(_invalid("episodes", "dec"))
case("149")(_set("episodes", "rec", "E99", left_care))
case("151")(_set("ad1", "date_match", None))
case("153")(_set("oc3", "activ", None))
case("165")(_set("header", "mother", "2"))
case("166")(_set("reviews", "review", None))
case("167")(_set("reviews", "review_code", "PN9"))
case("168")(_set("header", "upn", "A123"))
case("171")(_invalid("header", "mc_dob"))
case("175")(_set("ad1", "nb_adoptr", "3"))
case("176")(_set("ad1", "sex_adoptr", "XX"))
case("177")(_set("ad1", "ls_adoptr", "L9"))
case("178")(_set("episodes", "place_provider", "PR9"))
case("180")(_set("oc2", "sdq_score", "41", lambda c: bool(c.oc2) and c.oc2[0].sdq_score is not None))
case("181")(_set("oc2", "immunisations", "2"))
case("182")(_set("oc2", "teeth_check", None))
case("196")(_set("oc2", "sdq_reason", "SDQ9"))
case("442")(_set("header", "upn", None, eps()))
case("631")(_set("prev_perm", "prev_perm", "P9"))
case("632")(_invalid("prev_perm", "date_perm"))
case("1004")(_invalid("missing", "mis_start"))
case("1005")(_invalid("missing", "mis_end"))
case("1006")(_set("missing", "missing", "X"))
case("1008")(_set("episodes", "urn", "ABC123"))
case("1009")(_set("episodes", "reason_place_change", "XXXXX", placement_move))
case("SW02STG1")(_set("sw_episodes", "sw_id", "AB123"))
case("SW03STG1")(_set("sw_episodes", "sw_id", None))
case("SW04STG1")(_invalid("sw_episodes", "sw_decom"))
case("SW05STG1")(_invalid("sw_episodes", "sw_dec"))
case("SW13STG1")(_set("sw_episodes", "sw_reason", "XYZ"))


@case("118")
def _(k: Case) -> str:
    c = k.pick(has("placed"))
    c.placed[0].date_placed_ceased, c.placed[0].reason_placed_ceased = START - 10 * D, "RD1"
    return c.child


@case("119")
def _(k: Case) -> str:
    c = k.pick(has("placed"))
    c.placed[0].date_placed_ceased = END - D
    return c.child


@case("120")
def _(k: Case) -> str:
    c = k.pick(has("placed"))
    c.placed[0].date_placed_ceased, c.placed[0].reason_placed_ceased = END - D, "RD9"
    return c.child


@case("134")
def _(k: Case) -> str:
    c = k.pick(has("oc3"))
    c.ad1.append(
        Ad1Row(
            c.child,
            dob=dob(c),
            date_int=START,
            date_match=START + D,
            foster_care="0",
            nb_adoptr="1",
            sex_adoptr="F1",
            ls_adoptr="L0",
        )
    )
    return c.child


@case("142")
def _(k: Case) -> str:
    c = k.pick(eps(2))
    c.episodes[0].dec, c.episodes[0].rec = None, None
    return c.child


@case("148")
def _(k: Case) -> str:
    c = k.pick(eps(2))
    c.episodes[0].rec = None
    return c.child


@case("157")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.oc2) and c.oc2[0].sdq_score is not None)
    c.oc2[0].sdq_score, c.oc2[0].sdq_reason = None, "SDQ1"
    return c.child


@case("158")
def _(k: Case) -> str:
    c = k.pick(has("oc2"))
    c.oc2[0].substance_misuse, c.oc2[0].intervention_received, c.oc2[0].intervention_offered = "1", "1", "0"
    return c.child


@case("159")
def _(k: Case) -> str:
    c = k.pick(has("oc2"))
    c.oc2[0].substance_misuse, c.oc2[0].intervention_received = "1", "0"
    return c.child


@case("174")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.header) and c.header[0].sex == "1")
    c.header[0].mc_dob = END - D
    return c.child


@case("184")
def _(k: Case) -> str:
    c = k.pick(has("placed"))
    c.placed[0].date_placed = dob(c) - D
    return c.child


def _not_in_cohort(c: ChildRecord) -> bool:
    return bool(c.episodes) and not cohort(c) and not c.oc2


@case("185")
def _(k: Case) -> str:
    c = k.pick(_not_in_cohort)
    c.oc2.append(Oc2Row(c.child, dob=dob(c), sdq_score="10"))
    return c.child


@case("186")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.oc2) and c.oc2[0].sdq_score is not None)
    c.oc2[0].sdq_score = None
    return c.child


@case("187")
def _(k: Case) -> str:
    c = k.pick(cohort)
    c.ad1.append(
        Ad1Row(
            c.child,
            dob=dob(c),
            date_int=START,
            date_match=START + D,
            foster_care="0",
            nb_adoptr="1",
            sex_adoptr="F1",
            ls_adoptr="L0",
        )
    )
    return c.child


@case("188")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.oc2) and (age_on(dob(c), END) or 0) < 4)
    c.oc2[0].sdq_reason = "SDQ1"
    return c.child


@case("189")
def _(k: Case) -> str:
    c = k.pick(eps())
    c.header[0].dob = birthday(START, -17) - 5 * D
    c.oc2.append(Oc2Row(c.child, dob=dob(c), sdq_reason="SDQ4"))
    return c.child


@case("190")
def _(k: Case) -> str:
    c = k.pick(_not_in_cohort)
    c.oc2.append(Oc2Row(c.child, dob=dob(c), immunisations="1"))
    return c.child


@case("191")
def _(k: Case) -> str:
    c = k.pick(cohort)
    c.oc2.clear()
    return c.child


@case("192")
def _(k: Case) -> str:
    c = k.pick(has("oc2"))
    c.oc2[0].substance_misuse = "1"
    return c.child


@case("193")
def _(k: Case) -> str:
    c = k.pick(has("oc2"))
    c.oc2[0].intervention_received = "1"
    return c.child


@case("197a")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.oc2) and c.oc2[0].sdq_score is not None)
    c.oc2[0].sdq_reason = "SDQ4"
    return c.child


@case("198")
def _(k: Case) -> str:
    c = k.pick(_not_in_cohort)
    c.oc2.append(Oc2Row(c.child, dob=dob(c), sdq_reason="SDQ4"))
    return c.child


@case("199")
def _(k: Case) -> str:
    c = k.pick(eps(2))
    c.episodes[0].rec = "E11"
    return c.child


def _last_header(attribute: str, value: object) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(lambda c: c.child in k.prev and bool(k.prev[c.child].header))
        setattr(k.last(c.child).header[0], attribute, value)
        return c.child

    return make


case("203")(_last_header("dob", date(2000, 1, 1)))
case("204")(_last_header("ethnic", "CHNE"))


@case("202")
def _(k: Case) -> str:
    c = k.pick(lambda c: c.child in k.prev and bool(k.prev[c.child].header))
    before = k.last(c.child).header[0]
    before.sex = "1" if c.header[0].sex == "2" else "2"
    return c.child


@case("205A")
def _(k: Case) -> str:
    c = k.pick(lambda c: c.child in k.prev and not c.uasc)
    k.last(c.child).uasc.append(UascRow(c.child, sex=c.header[0].sex, dob=dob(c)))
    return c.child


@case("205B")
def _(k: Case) -> str:
    c = k.pick(lambda c: c.child in k.prev and not c.uasc)
    k.last(c.child).uasc.append(UascRow(c.child, sex=c.header[0].sex, dob=dob(c), duc=START - D))
    c.uasc.append(UascRow(c.child, sex=c.header[0].sex, dob=dob(c), duc=START + D))
    return c.child


@case("205D")
def _(k: Case) -> str:
    c = k.pick(lambda c: c.child in k.prev and not c.uasc and not k.prev[c.child].uasc)
    c.uasc.append(UascRow(c.child, sex=c.header[0].sex, dob=dob(c), duc=START - 5 * D))
    return c.child


@case("205C")
def _(k: Case) -> str:
    # An XML return coding the child 0 (not UASC) this year, last year not UASC either, beside a DUC.
    c = k.pick(lambda c: c.child in k.prev and not c.uasc and not k.prev[c.child].uasc)
    c.header[0].uasc = "0"
    c.uasc.append(UascRow(c.child, sex=c.header[0].sex, dob=dob(c), duc=START + D))
    return c.child


@case("105")
def _(k: Case) -> str:
    c = k.pick()
    c.header[0].uasc = ""  # the XML form's HEADER with no UASC item
    return c.child


@case("303")
def _(k: Case) -> str:
    c = k.pick(lambda c: not c.uasc)
    c.header[0].uasc = "0"
    c.uasc.append(UascRow(c.child, sex=c.header[0].sex, dob=dob(c), duc=START + 10 * D))
    return c.child


def test_the_uasc_status_rules_are_quiet_where_the_xml_status_agrees_with_the_row() -> None:
    k = start_case()
    coded = k.pick(lambda c: c.child in k.prev and not c.uasc and not k.prev[c.child].uasc)
    coded.header[0].uasc = "1"
    coded.uasc.append(UascRow(coded.child, sex=coded.header[0].sex, dob=dob(coded), duc=START + D))
    not_uasc = k.pick(lambda c: not c.uasc)
    not_uasc.header[0].uasc = "0"
    from_csv = k.pick(lambda c: not c.uasc)  # the CSV form: no status item, the row is the status
    from_csv.uasc.append(UascRow(from_csv.child, sex=from_csv.header[0].sex, dob=dob(from_csv), duc=START + D))
    assert not {f.code for f in findings(k)} & {"105", "205C", "303"}


@cache
def reference_for(year: int) -> Reference:
    """Reference data that knows every postcode sector and URN of the synthetic return (the council's copy of the
    lists, as it would hold them), all in one English LA, each sector at its own place near London."""
    cur, prev = baseline(year)
    sectors: dict[str, Sector] = {}
    providers: dict[str, Provider] = {}
    for record in (*cur.values(), *prev.values()):
        for e in record.episodes:
            for postcode in (e.home_post, e.pl_post):
                key = sector_of(postcode)
                if key is not None:
                    n = sum(map(ord, key))
                    sectors[key] = Sector("E09000027", 51.3 + (n % 50) / 100, -0.5 + (n % 37) / 100)
            if e.urn and e.urn != "XXXXXXX":
                had = providers.get(e.urn)
                providers[e.urn] = Provider(
                    e.urn,
                    sector_of(e.pl_post),
                    (had.place_codes if had else frozenset()) | {e.place or ""},
                    (had.provider_codes if had else frozenset()) | {e.place_provider or ""},
                )
    return Reference(providers, sectors, "test", frozenset({"providers", "postcodes"}))


def _with_reference(make: Callable[[Case], str]) -> Callable[[Case], str]:
    def run(k: Case) -> str:
        k.reference = reference_for(k.year.year)
        return make(k)

    return run


def _urned(c: ChildRecord) -> bool:
    return any(e.urn and e.urn != "XXXXXXX" for e in c.episodes)


@case("164")
@_with_reference
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.episodes) and not c.uasc and all(e.ls not in ("V3", "V4") for e in c.episodes))
    c.episodes[-1].pl_post = "QQ9 9"  # no such sector
    return c.child


@case("169")
@_with_reference
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.episodes) and all(e.ls not in ("V3", "V4") for e in c.episodes))
    c.episodes[-1].pl_post = "QQ8 8"
    return c.child


@case("218")
@_with_reference
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.episodes) and c.episodes[-1].dec is None)
    c.episodes[-1].place, c.episodes[-1].urn = "K2", None
    return c.child


@case("219")
@_with_reference
def _(k: Case) -> str:
    c = k.pick(_urned)
    e = next(e for e in c.episodes if e.urn and e.urn != "XXXXXXX")
    e.place = "R3"  # the URN's setting is a children's home, not a family centre
    return c.child


@case("221")
@_with_reference
def _(k: Case) -> str:
    c = k.pick(lambda c: any(e.urn and e.place == "K2" and e.ls not in ("V3", "V4") for e in c.episodes))
    e = next(e for e in c.episodes if e.urn and e.place == "K2")
    e.pl_post = "NW1 1" if sector_of(e.pl_post) != "NW1 1" else "NW2 2"
    return c.child


@case("224")
@_with_reference
def _(k: Case) -> str:
    c = k.pick(_urned)
    e = next(e for e in c.episodes if e.urn and e.urn != "XXXXXXX")
    e.place_provider = "PR0"
    return c.child


@case("207")
def _(k: Case) -> str:
    c = k.pick(lambda c: c.child in k.prev and girl(c) and c.header[0].mother == "0")
    k.last(c.child).header[0].mother = "1"
    return c.child


@case("208")
def _(k: Case) -> str:
    c = k.pick(lambda c: c.child in k.prev and (c.header[0].upn or "").startswith(tuple("ABCDEFGHJKLMNPQRTUVWXYZ")))
    k.last(c.child).header[0].upn = "A" + "0" * 12
    return c.child


@case("209")
def _(k: Case) -> str:
    c = k.pick(aged(6, 15))
    c.header[0].upn = "UN1"
    return c.child


@case("210")
def _(k: Case) -> str:
    c = k.pick(cohort)
    c.header[0].upn = "UN4"
    return c.child


def _episode(
    change: Callable[[EpisodeRow], None], test: Callable[[ChildRecord], bool] = eps(), index: int = 0
) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(test)
        change(c.episodes[index])
        return c.child

    return make


def _with(**values: object) -> Callable[[Any], None]:
    def change(e: Any) -> None:
        for name, value in values.items():
            setattr(e, name, value)

    return change


case("213")(_episode(_with(place="Z11")))
case("214")(_episode(_with(place="Z12", place_provider=None)))
case("217")(_episode(_with(place="A3", ls="E1", rne="P"), eps(2), 1))
case("222")(_episode(_with(place="P1", place_provider="PR0", urn="SC123456")))
case("226")(_episode(_with(place="T1", place_provider=None, pl_post=None, urn=None, reason_place_change="CARPL")))


@case("215")
def _(k: Case) -> str:
    c = k.pick(has("oc3"))
    c.oc2.append(Oc2Row(c.child, dob=dob(c), immunisations="1"))
    return c.child


@case("225")
def _(k: Case) -> str:
    c = k.pick(placement_move)
    for b, e in zip(c.episodes, c.episodes[1:], strict=False):
        if b.rec == "X1" and e.rne == "P":
            b.reason_place_change = None
    return c.child


@case("301")
def _(k: Case) -> str:
    c = k.pick(eps())
    c.header[0].dob = END + D
    return c.child


@case("302")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.episodes) and c.episodes[0].decom is not None and c.episodes[0].decom < END - 10 * D)
    c.header[0].dob = on(c.episodes[0].decom) + D
    return c.child


@case("304")
def _(k: Case) -> str:
    c = k.pick(has("uasc"))
    c.uasc[0].duc = birthday(dob(c), 18) + D
    return c.child


def _adopted_episode(c: ChildRecord) -> EpisodeRow:
    return next(e for e in c.episodes if e.place == "A6")


@case("331")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.ad1[0].date_match = on(_adopted_episode(c).decom) + D
    return c.child


@case("333")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.ad1[0].date_int = on(c.ad1[0].date_match) + D
    return c.child


@case("334")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.episodes[0].rne = "S"
    c.ad1[0].date_int = on(c.episodes[0].decom) - D
    return c.child


@case("335")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.ad1[0].foster_care = "1"
    return c.child


@case("336")
def _(k: Case) -> str:
    c = k.pick(eps(2))
    c.episodes[0].place = "K2"
    c.episodes[1].place, c.episodes[1].ls = "A5", "E1"
    return c.child


case("344")(_set("oc3", "in_touch", "DIED"))
case("345")(_set("oc3", "activ", "0"))


@case("347")
def _(k: Case) -> str:
    c = k.pick(has("oc3"))
    c.header[0].dob = c.oc3[0].dob = birthday(END, -17) - 10 * D
    c.oc3[0].accom = "T1"
    return c.child


@case("351")
def _(k: Case) -> str:
    c = k.pick(has("oc3"))
    c.header[0].dob = c.oc3[0].dob = date(START.year - 26, 1, 1)
    return c.child


@case("352")
def _(k: Case) -> str:
    c = k.pick(started_in_year)
    c.header[0].dob = birthday(on(c.episodes[0].decom), -19)
    return c.child


case("353")(_episode(_with(decom=date(1990, 1, 1))))
case("355")(_episode(lambda e: setattr(e, "dec", e.decom), eps(2)))
case("356")(_episode(lambda e: setattr(e, "dec", on(e.decom) - D), eps(2)))
case("357")(_episode(_with(rne="P"), started_in_year))
case("358")(_episode(_with(ls="J1"), aged(0, 8)))
case("366")(_episode(_with(ls="V3", rne="P"), eps(2), 1))
case("378")(_episode(_with(place="P1", ls="V2", place_provider="PR0", urn=None)))
case("380")(_episode(_with(place="T0", place_provider=None, urn=None, pl_post=None), started_in_year))
case("382")(_episode(_with(ls="V3", place="T1", place_provider=None, urn=None, pl_post=None)))
case("384")(_episode(_with(ls="V4", place="U4")))
case("385")(_episode(_with(dec=END + D), eps(2)))
case("392d")(_episode(lambda e: setattr(e, "pl_post", e.home_post)))
case("408")(_episode(_with(place="A6", ls="C2")))


@case("354")
def _(k: Case) -> str:
    c = k.pick(eps())
    c.episodes[-1].decom = END + D
    return c.child


def _long_status(status: str, days: int) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(lambda c: len(c.episodes) >= 2 and c.episodes[0].decom is not None and c.episodes[0].decom >= START)
        e = c.episodes[0]
        e.ls, e.dec = status, on(e.decom) + timedelta(days=days)
        c.episodes[1].decom = e.dec
        return c.child

    return make


case("361")(_long_status("L1", 4))
case("362")(_long_status("L2", 22))
case("363")(_long_status("L3", 8))
case("365")(_long_status("V3", 18))
case("367")(_long_status("V3", 80))


def _young(place: str, years: int) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(eps())
        e = c.episodes[0]
        e.place = place
        c.header[0].dob = birthday(on(e.decom), -(years - 1))
        return c.child

    return make


case("371")(_young("K3", 16))
case("372")(_young("R5", 10))
case("373")(_young("S1", 4))
case("374")(_young("P3", 14))


def _long_place(place: str, days: int) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(lambda c: len(c.episodes) >= 2 and c.episodes[0].decom is not None and c.episodes[0].decom >= START)
        e = c.episodes[0]
        e.place, e.dec = place, on(e.decom) + timedelta(days=days)
        c.episodes[1].decom = e.dec
        return c.child

    return make


case("375")(_long_place("T1", 43))
case("376")(_long_place("T3", 22))
case("379")(_long_place("T4", 8))


@case("377")
def _(k: Case) -> str:
    c = k.pick(started_in_year)
    first = c.episodes[0]
    for n in range(3):
        c.episodes.append(EpisodeRow(c.child, decom=on(first.decom) + timedelta(days=2 + n), place="T3", rne="P"))
    return c.child


@case("381")
def _(k: Case) -> str:
    c = k.pick(left_care)
    c.episodes[-1].place = "T1"
    return c.child


@case("383")
def _(k: Case) -> str:
    c = k.pick(eps(3))
    c.episodes[1].place = "T2"
    c.episodes[2].place = "K1" if c.episodes[0].place != "K1" else "K2"
    return c.child


def _ceased_at(rec: str, years: int) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(left_care)
        e = c.episodes[-1]
        e.rec = rec
        c.header[0].dob = birthday(on(e.dec), -years)
        return c.child

    return make


case("386")(_ceased_at("E11", 18))
case("387")(_ceased_at("E5", 13))
case("389")(_ceased_at("E7", 15))
case("407")(_ceased_at("E45", 18))
case("460")(_ceased_at("E17", 17))


@case("388")
def _(k: Case) -> str:
    c = k.pick(left_care)
    c.episodes[-1].rec = "X1"
    return c.child


@case("390")
def _(k: Case) -> str:
    c = k.pick(left_care)
    c.episodes[-1].rec, c.episodes[-1].place = "E12", "U4"
    return c.child


@case("391")
def _(k: Case) -> str:
    c = k.pick(has("oc3"))
    c.header[0].dob = c.oc3[0].dob = date(START.year - 23, 1, 1)
    return c.child


@case("393")
def _(k: Case) -> str:
    c = k.pick(lambda c: girl(c) and c.header[0].mother == "0")
    c.header[0].mother = None
    return c.child


@case("399")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.reviews) and len(c.episodes) == 1)
    c.episodes[0].ls = "V3"
    return c.child


@case("426")
def _(k: Case) -> str:
    c = k.pick(eps(2))
    c.episodes[0].ls, c.episodes[1].ls = "V3", "V4"
    return c.child


@case("431")
def _(k: Case) -> str:
    c = k.pick(placement_move)
    c.episodes[1].rne = "S"
    return c.child


@case("432")
def _(k: Case) -> str:
    c = k.pick(placement_move)
    c.episodes[0].rec = "E13"
    return c.child


@case("433")
def _(k: Case) -> str:
    c = k.pick(placement_move)
    c.episodes[1].decom = on(c.episodes[0].dec) + D
    return c.child


@case("434")
def _(k: Case) -> str:
    c = k.pick(placement_move)
    c.episodes[1].rne = "L"
    return c.child


@case("435")
def _(k: Case) -> str:
    c = k.pick(placement_move)
    c.episodes[1].ls = "C1" if c.episodes[0].ls != "C1" else "C2"
    return c.child


@case("436")
def _(k: Case) -> str:
    c = k.pick(placement_move)
    c.episodes[1].rne = "B"
    return c.child


@case("437")
def _(k: Case) -> str:
    c = k.pick(placement_move)
    c.episodes[0].rec = "E2"
    return c.child


@case("440")
def _(k: Case) -> str:
    c = k.pick(lambda c: any(r.review_code == "PN1" for r in c.reviews))
    c.reviews[0].review_code = "PN0"
    return c.child


@case("441")
def _(k: Case) -> str:
    c = k.pick(lambda c: any(r.review_code == "PN0" for r in c.reviews))
    c.reviews[0].review_code = "PN1"
    return c.child


@case("445", year=2024)
def _(k: Case) -> str:
    c = k.pick(eps())
    c.episodes[0].ls = "D1"
    return c.child


@case("446", year=2024)
def _(k: Case) -> str:
    c = k.pick(eps())
    c.episodes[0].ls, c.episodes[0].decom = "E1", date(2004, 1, 1)
    return c.child


@case("501")
def _(k: Case) -> str:
    c = k.pick(placement_move)
    c.episodes[1].decom = on(c.episodes[0].dec) - D
    return c.child


@case("502")
def _(k: Case) -> str:
    c = k.pick(open_last_year(k))
    before = k.last(c.child).episodes[-1]
    before.decom = on(before.decom) - D
    return c.child


def _last_year_differs(column: str, value: str) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(open_last_year(k))
        setattr(k.last(c.child).episodes[-1], column, value)
        return c.child

    return make


case("503A")(_last_year_differs("rne", "B"))
case("503B")(_last_year_differs("ls", "J3"))
case("503C")(_last_year_differs("cin", "N7"))
case("503D")(_last_year_differs("place", "R3"))
case("503E")(_last_year_differs("place_provider", "PR3"))
case("503F")(_last_year_differs("urn", "1234567"))


@case("504")
def _(k: Case) -> str:
    c = k.pick(placement_move)
    c.episodes[1].cin = "N8" if c.episodes[0].cin != "N8" else "N1"
    return c.child


@case("562")
def _(k: Case) -> str:
    c = k.pick(lambda c: in_both(k)(c) and c.episodes[0].decom is not None and c.episodes[0].decom < START)
    for e in k.last(c.child).episodes:
        e.decom = on(e.decom) - D
    return c.child


def _provider(code: str, place: str) -> Callable[[Case], str]:
    return _episode(_with(place_provider=code, place=place, urn=None))


case("527")(_provider("PR1", "R2"))
case("528")(_provider("PR2", "R5"))
case("529")(_provider("PR3", "U4"))
case("530")(_provider("PR4", "P1"))
case("531")(_provider("PR5", "P1"))
case("550")(_provider("PR0", "U4"))
case("526")(_episode(_with(place_provider=None)))


def _adopters(**values: str) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(adopted)
        for name, value in values.items():
            setattr(c.ad1[0], name, value)
        return c.child

    return make


case("511")(_adopters(nb_adoptr="2", sex_adoptr="M1"))
case("514")(_adopters(ls_adoptr="L0", sex_adoptr="MF"))
case("517")(_adopters(ls_adoptr="L3", sex_adoptr="MM"))
case("518")(_adopters(ls_adoptr="L4", sex_adoptr="MF"))
case("519")(_adopters(ls_adoptr="L2", sex_adoptr="M1"))
case("520")(_adopters(ls_adoptr="L11", sex_adoptr="MM"))
case("524")(_adopters(ls_adoptr="L12", sex_adoptr="MF"))


@case("516")
def _(k: Case) -> str:
    c = k.pick(left_care)
    c.episodes[-1].rec, c.episodes[-1].place = "E45", "K2"
    return c.child


@case("521")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.ad1[0].date_int = on(_adopted_episode(c).decom) + D
    return c.child


@case("522")
def _(k: Case) -> str:
    c = k.pick(has("placed"))
    p = c.placed[0]
    p.date_placed_ceased, p.reason_placed_ceased = on(p.date_placed) - D, "RD1"
    return c.child


@case("523")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.ad1[0].date_int = on(c.ad1[0].date_int) - D
    return c.child


@case("525")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.placed[-1].date_placed_ceased, c.placed[-1].reason_placed_ceased = END - D, "RD1"
    return c.child


@case("551")
def _(k: Case) -> str:
    c = k.pick(lambda c: any(e.place == "A6" for e in c.episodes))
    c.placed.clear()
    return c.child


@case("552")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.placed[0].date_placed = on(_adopted_episode(c).decom) + D
    return c.child


@case("553")
def _(k: Case) -> str:
    c = k.pick(lambda c: any(e.ls == "E1" for e in c.episodes))
    c.placed.clear()
    return c.child


@case("554")
def _(k: Case) -> str:
    c = k.pick(lambda c: any(e.ls == "E1" for e in c.episodes) and bool(c.placed))
    order = next(e for e in c.episodes if e.ls == "E1")
    c.placed[0].date_placed = on(order.decom) + D
    return c.child


@case("555", year=2024)
def _(k: Case) -> str:
    c = k.pick(lambda c: len(c.episodes) >= 1 and not c.placed)
    c.episodes[0].ls = "D1"
    return c.child


@case("556", year=2024)
def _(k: Case) -> str:
    c = k.pick(eps())
    c.episodes[0].ls = "D1"
    c.placed.append(PlacedAdoptionRow(c.child, dob=dob(c), date_placed=on(c.episodes[0].decom) + D))
    return c.child


@case("557")
def _(k: Case) -> str:
    c = k.pick(lambda c: left_care(c) and c.episodes[-1].rec not in ("E11", "E12") and not c.placed)
    c.placed.append(PlacedAdoptionRow(c.child, dob=dob(c), date_placed=c.episodes[-1].decom))
    return c.child


@case("558")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.placed[-1].date_placed_ceased, c.placed[-1].reason_placed_ceased = _adopted_episode(c).dec, "RD4"
    return c.child


@case("559")
def _(k: Case) -> str:
    c = k.pick(lambda c: in_both(k)(c) and not c.placed and not k.prev[c.child].placed)
    c.placed.append(PlacedAdoptionRow(c.child, dob=dob(c), date_placed=START - 30 * D))
    return c.child


@case("560")
def _(k: Case) -> str:
    c = k.pick(lambda c: in_both(k)(c) and not c.placed)
    k.last(c.child).placed.append(PlacedAdoptionRow(c.child, dob=dob(c), date_placed=START - 30 * D))
    c.placed.append(PlacedAdoptionRow(c.child, dob=dob(c), date_placed=START - 31 * D))
    return c.child


@case("561")
def _(k: Case) -> str:
    c = k.pick(lambda c: in_both(k)(c) and not c.placed)
    day = START - 30 * D
    k.last(c.child).placed.append(
        PlacedAdoptionRow(c.child, dob=dob(c), date_placed=day, date_placed_ceased=day + D, reason_placed_ceased="RD1")
    )
    c.placed.append(PlacedAdoptionRow(c.child, dob=dob(c), date_placed=day))
    return c.child


@case("563")
def _(k: Case) -> str:
    c = k.pick(has("placed"))
    c.placed[0].date_placed, c.placed[0].date_placed_ceased, c.placed[0].reason_placed_ceased = None, END - D, "RD1"
    return c.child


@case("579", "583")
def _(k: Case) -> str:
    c = k.pick(has("placed"))
    c.placed.append(PlacedAdoptionRow(c.child, dob=dob(c), date_placed=on(c.placed[0].date_placed) + D))
    return c.child


@case("582")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.ad1[0].date_match = _adopted_episode(c).dec
    return c.child


@case("1003")
def _(k: Case) -> str:
    c = k.pick(started_in_year)
    c.placed.append(PlacedAdoptionRow(c.child, dob=dob(c), date_placed=on(c.episodes[0].decom) - D))
    return c.child


@case("601")
def _(k: Case) -> str:
    c = k.pick(adopted)
    c.ad1.clear()
    return c.child


@case("602")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.episodes) and not c.ad1 and not any(e.rec in ("E11", "E12") for e in c.episodes))
    c.ad1.append(
        Ad1Row(
            c.child,
            dob=dob(c),
            date_int=START,
            date_match=START + D,
            foster_care="0",
            nb_adoptr="1",
            sex_adoptr="F1",
            ls_adoptr="L0",
        )
    )
    return c.child


def _missing(change: Callable[[MissingRow], None]) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(has("missing"))
        change(c.missing[0])
        return c.child

    return make


case("564")(_missing(_with(mis_start=None)))
case("565")(_missing(_with(missing=None)))
case("567")(_missing(lambda m: setattr(m, "mis_end", on(m.mis_start) - D)))
case("570")(_missing(_with(mis_start=END + D, mis_end=None)))
case("571")(_missing(_with(mis_end=START - D)))
case("586")(_missing(lambda m: setattr(m, "mis_start", date(1990, 1, 1))))


@case("566")
def _(k: Case) -> str:
    c = k.pick(has("missing"))
    c.missing[0].missing, c.missing[0].mis_start = None, None
    return c.child


@case("574")
def _(k: Case) -> str:
    c = k.pick(has("missing"))
    m = c.missing[0]
    c.missing.append(MissingRow(c.child, dob=m.dob, missing="M", mis_start=on(m.mis_start) + D, mis_end=m.mis_end))
    return c.child


@case("575")
def _(k: Case) -> str:
    c = k.pick(lambda c: len(c.episodes) >= 2 and c.episodes[0].dec is not None and c.episodes[0].dec > START + 5 * D)
    c.missing.append(MissingRow(c.child, dob=dob(c), missing="A", mis_start=max(START, on(c.episodes[0].decom)) + D))
    return c.child


@case("576")
def _(k: Case) -> str:
    c = k.pick(lambda c: c.child in k.prev)
    k.last(c.child).missing.append(MissingRow(c.child, dob=dob(c), missing="M", mis_start=START - 5 * D))
    return c.child


@case("577", "580")
def _(k: Case) -> str:
    c = k.pick(lambda c: left_care(c) and c.episodes[-1].rec != "E8")
    c.missing.append(MissingRow(c.child, dob=dob(c), missing="M", mis_start=on(c.episodes[-1].dec) - D))
    return c.child


@case("578")
def _(k: Case) -> str:
    c = k.pick(lambda c: left_care(c) and c.episodes[-1].dec is not None and c.episodes[-1].dec < END - 5 * D)
    day = on(c.episodes[-1].dec) + D
    c.missing.append(MissingRow(c.child, dob=dob(c), missing="M", mis_start=day, mis_end=day + D))
    return c.child


@case("581")
def _(k: Case) -> str:
    c = k.pick(started_in_year)
    day = on(c.episodes[0].decom) - 3 * D
    c.missing.append(MissingRow(c.child, dob=dob(c), missing="M", mis_start=day, mis_end=day + D))
    return c.child


@case("607")
def _(k: Case) -> str:
    c = k.pick(lambda c: girl(c) and left_care(c) and c.episodes[-1].dec is not None and c.episodes[-1].dec >= START)
    c.header[0].dob = birthday(on(c.episodes[-1].dec), -12)
    c.header[0].mother = None
    return c.child


def _header(**values: object) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(lambda c: girl(c) and bool(c.episodes))
        for name, value in values.items():
            setattr(c.header[0], name, value)
        return c.child

    return make


case("611")(_header(mother="1", mc_dob=None))
case("612")(_header(mother="0", mc_dob=START))
case("625")(_header(mother="1", mc_dob=END + D))


@case("620")
def _(k: Case) -> str:
    c = k.pick(lambda c: girl(c) and aged(0, 9)(c))
    c.header[0].mother, c.header[0].mc_dob = "1", START
    return c.child


@case("621")
def _(k: Case) -> str:
    c = k.pick(lambda c: girl(c) and bool(c.episodes))
    c.header[0].mother, c.header[0].mc_dob = "1", dob(c) - D
    return c.child


@case("624")
def _(k: Case) -> str:
    c = k.pick(lambda c: girl(c) and c.child in k.prev)
    c.header[0].mother, c.header[0].mc_dob = "1", START
    before = k.last(c.child).header[0]
    before.mother, before.mc_dob = "1", START - D
    return c.child


@case("626")
def _(k: Case) -> str:
    c = k.pick(lambda c: girl(c) and c.child in k.prev and c.header[0].mother == "0")
    k.last(c.child).header[0].mother = "0"
    c.header[0].mother, c.header[0].mc_dob = "1", START - 20 * D
    return c.child


@case("628")
def _(k: Case) -> str:
    c = k.pick(has("oc3"))
    c.header[0].mother = "0"
    return c.child


@case("630")
def _(k: Case) -> str:
    c = k.pick(started_in_year)
    c.prev_perm.clear()
    return c.child


@case("634")
def _(k: Case) -> str:
    c = k.pick(started_in_year)
    c.episodes[0].decom = date(2015, 6, 1)
    return c.child


@case("635")
def _(k: Case) -> str:
    c = k.pick(has("prev_perm"))
    c.prev_perm[0].la_perm = "202"
    return c.child


def _oc3_for(
    test: Callable[[ChildRecord], bool], change: Callable[[ChildRecord], None] = lambda c: None
) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(test)
        change(c)
        c.oc3.append(Oc3Row(c.child, dob=dob(c), in_touch="YES", activ="F2", accom="U1"))
        return c.child

    return make


case("1000")(_oc3_for(left_care, lambda c: setattr(c.episodes[-1], "rec", "E2")))
case("1011")(_oc3_for(left_care, lambda c: setattr(c.episodes[-1], "rec", "E3")))


@case("1007")
def _(k: Case) -> str:
    c = k.pick(cohort)
    c.header[0].dob = birthday(START + 10 * D, -17)
    for row in c.oc2 + c.reviews + c.sw_episodes:
        row.dob = c.header[0].dob
    c.oc3.append(Oc3Row(c.child, dob=c.header[0].dob, in_touch="YES", activ="F2", accom="U1"))
    return c.child


@case("1012")
def _(k: Case) -> str:
    c = k.pick(has("oc3"))
    c.reviews.append(ReviewRow(c.child, dob=dob(c), review=START + D, review_code="PN1"))
    return c.child


@case("1014")
def _(k: Case) -> str:
    c = k.pick(has("oc3"))
    c.uasc.append(UascRow(c.child, sex=c.header[0].sex, dob=dob(c)))
    return c.child


@case("3001")
def _(k: Case) -> str:
    c = k.pick(has("oc3"))
    c.header[0].dob = c.oc3[0].dob = birthday(START + 30 * D, -17)
    c.oc3[0].accom = "Z1"
    return c.child


def _sw(
    change: Callable[[ChildRecord], None], test: Callable[[ChildRecord], bool] = has("sw_episodes")
) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        c = k.pick(test)
        change(c)
        return c.child

    return make


def _two_sw(c: ChildRecord) -> bool:
    return len(c.sw_episodes) >= 2


def _sw_at_end(c: ChildRecord) -> bool:
    return looked_after_at_end(c) and bool(c.sw_episodes)


case("SW01STG1", year=2024)(_sw(lambda c: c.sw_episodes.clear(), _sw_at_end))
case("SW06STG2")(_sw(lambda c: setattr(c.sw_episodes[-1], "sw_decom", END + D)))
case("SW07STG2")(_sw(lambda c: setattr(c.sw_episodes[0], "sw_dec", START - D), _two_sw))
case("SW08STG2")(_sw(lambda c: setattr(c.sw_episodes[0], "sw_dec", None), _two_sw))
case("SW09STG2")(_sw(lambda c: setattr(c.sw_episodes[0], "sw_dec", c.sw_episodes[0].sw_decom), _two_sw))
case("SW10STG2")(_sw(lambda c: setattr(c.sw_episodes[1], "sw_decom", on(c.sw_episodes[0].sw_dec) - D), _two_sw))
case("SW11STG2")(_sw(lambda c: setattr(c.sw_episodes[-1], "sw_dec", END - 5 * D), _sw_at_end))
case("SW12STG2")(_sw(lambda c: setattr(c.sw_episodes[0], "sw_decom", START + 5 * D), _sw_at_end))
case("SW17STG2")(_sw(lambda c: setattr(c.sw_episodes[-1], "sw_dec", END), _sw_at_end))


@case("SW01aSTG1")
def _(k: Case) -> str:
    c = k.pick(has("sw_episodes"))
    c.sw_episodes[0].sw_decom, c.sw_episodes[0].sw_id = date(2022, 9, 1), None  # before April 2023, with no ID
    return c.child


case("SW01bSTG1")(
    _sw(
        lambda c: setattr(c.sw_episodes[-1], "sw_reason", None),
        lambda c: bool(c.sw_episodes) and (c.sw_episodes[-1].sw_decom or date.min) >= date(2023, 4, 1),
    )
)
case("SW14STG2")(_sw(lambda c: setattr(c.sw_episodes[0], "sw_dec", None), _two_sw))
case("SW15STG2")(_sw(lambda c: setattr(c.sw_episodes[-1], "sw_reason", None), _two_sw))
case("SW10aSTG2")(_sw(lambda c: setattr(c.sw_episodes[1], "sw_decom", on(c.sw_episodes[0].sw_dec) + 20 * D), _two_sw))
case("SW18STG2")(_sw(lambda c: setattr(c.sw_episodes[0], "sw_dec", on(c.sw_episodes[0].sw_decom) - D), _two_sw))


@case("SW10bSTG2")
def _(k: Case) -> str:
    c = k.pick(_two_sw)
    c.sw_episodes[1].sw_reason = "FCONTA"  # a first contact while the previous social worker still held the case
    c.sw_episodes[1].sw_decom = on(c.sw_episodes[0].sw_dec) - D
    return c.child


@case("SW19STG2")
def _(k: Case) -> str:
    c = k.pick(_two_sw)
    c.sw_episodes[1].sw_decom = c.sw_episodes[0].sw_decom
    return c.child


def _sw_last_year(column: str, value: object) -> Callable[[Case], str]:
    def make(k: Case) -> str:
        def test(c: ChildRecord) -> bool:
            before = k.prev.get(c.child)
            return (
                before is not None
                and bool(before.sw_episodes)
                and before.sw_episodes[-1].sw_dec is None
                and bool(c.sw_episodes)
            )

        c = k.pick(test)
        setattr(k.last(c.child).sw_episodes[-1], column, value)
        return c.child

    return make


case("SW16aSTG2", year=2025)(_sw_last_year("sw_id", "SW00000"))
case("SW16bSTG2")(_sw_last_year("sw_decom", date(2001, 1, 1)))
case("SW16cSTG2", year=2025)(_sw_last_year("sw_reason", "SWDIED"))


# The distance and LA of placement rules (DfE SSDA903 validation rules 2025-26, as implemented by Data to Insight's
# validator): each sector below is one the synthetic return does not use, placed where the rule needs it.
OWN_LA, OTHER_LA = "E09000027", "E09000001"
NEXT_DOOR, FAR, OVER_350, WALES = "QQ6 6", "QQ5 5", "QQ4 4", "LL5 5"


def reference_with_authority(year: int) -> Reference:
    """:func:`reference_for` with three more sectors (one in another LA, one far north, one 380 miles away) and the
    council's own ONS code, so that every rule reading reference data runs. A copy: the cases that change a
    provider (227, 228) leave the cached reference as it was for the tests after them."""
    cached = reference_for(year)
    assert cached.sectors is not None and cached.providers is not None
    ref = replace(cached, providers=dict(cached.providers), sectors=dict(cached.sectors))
    assert ref.sectors is not None
    ref.sectors[NEXT_DOOR] = Sector(OTHER_LA, 51.52, -0.09)
    ref.sectors[FAR] = Sector(OWN_LA, 52.40, -0.40)
    ref.sectors[OVER_350] = Sector(OWN_LA, 57.0, -3.0)
    ref.sectors[WALES] = Sector("W06000001", 53.2, -4.1)
    ref.authority = OWN_LA
    ref.parts = ref.parts | {"authority"}
    return ref


def _with_authority(make: Callable[[Case], str]) -> Callable[[Case], str]:
    def run(k: Case) -> str:
        k.reference = reference_with_authority(k.year.year)
        return make(k)

    return run


def _not_uasc_placed(c: ChildRecord) -> bool:
    return (
        bool(c.episodes)
        and not c.uasc
        and all(e.ls not in ("V3", "V4") and e.place not in ("T0", "T1", "T2", "T3", "T4") for e in c.episodes)
    )


@case("392a")
@_with_authority
def _(k: Case) -> str:
    c = k.pick(_not_uasc_placed)
    c.episodes[-1].home_post = "QQ9 9"  # a sector the reference does not know: no distance
    return c.child


case("392c")(_episode(_with(home_post="HOME")))


@case("406")
@_with_authority
def _(k: Case) -> str:
    c = k.pick(_not_uasc_placed)
    c.uasc.append(UascRow(c.child, sex=c.header[0].sex, dob=c.header[0].dob))  # an unaccompanied child...
    c.episodes[0].home_post = NEXT_DOOR  # ...with a home postcode, so a distance, which should be blank
    return c.child


def _last_years_open(change: Callable[[EpisodeRow], None]) -> Callable[[Case], str]:
    @_with_authority
    def make(k: Case) -> str:
        c = k.pick(lambda c: open_last_year(k)(c) and not c.uasc and c.episodes[0].ls not in ("V3", "V4"))
        change(k.last(c.child).episodes[-1])
        return c.child

    return make


case("452", "503H", "503J")(_last_years_open(_with(pl_post=NEXT_DOOR)))
case("453", "503G")(_last_years_open(_with(home_post=FAR)))
case("454")(_with_authority(_episode(_with(pl_post=OVER_350), _not_uasc_placed, -1)))


@case("1015")
@_with_authority
def _(k: Case) -> str:
    c = k.pick(_not_uasc_placed)
    e = c.episodes[-1]
    e.place, e.place_provider, e.pl_post, e.urn = "K2", "PR1", NEXT_DOOR, None  # the council's own home, elsewhere
    return c.child


def _registration(change: Callable[[Provider, date], Provider]) -> Callable[[Case], str]:
    @_with_authority
    def make(k: Case) -> str:
        c = k.pick(lambda c: any(e.place == "K2" and e.urn and e.dec is None for e in c.episodes))
        e = next(e for e in c.episodes if e.place == "K2" and e.urn and e.dec is None)
        assert k.reference is not None and k.reference.providers is not None and e.urn is not None
        k.reference.providers[e.urn] = change(k.reference.providers[e.urn], on(e.decom) + D)
        return c.child

    return make


case("227")(_registration(lambda p, day: replace(p, registered_on=day)))  # registered after the child was placed
case("228")(_registration(lambda p, day: replace(p, closed_on=day)))  # closed while the child is still there


@case("229")
@_with_authority
def _(k: Case) -> str:
    c = k.pick(lambda c: any(e.place == "K2" and e.urn for e in c.episodes))
    next(e for e in c.episodes if e.place == "K2" and e.urn).place_provider = "PR2"  # another LA's, in our own
    return c.child


# Further rules of the DfE's 2024-25 and 2025-26 lists (as implemented by Data to Insight's validator).
case("233")(_episode(_with(reason_place_change="CARPL"), looked_after_at_end, -1))
case("242")(_episode(_with(urn="XXXXXXX", place="K2", place_provider="PR4")))
case("398")(_episode(_with(ls="V3")))
case("420")(_with_authority(_episode(_with(ls="V4"), _not_uasc_placed)))
case("633")(_set("prev_perm", "la_perm", "E09000027"))


case("232")(_set("header", "sex", "U"))


@case("231")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.header) and bool(c.episodes))
    c.header[0].dob = END - 3000 * D  # about 8: younger than the DfE expects of an unaccompanied child
    c.uasc.append(UascRow(c.child, sex=c.header[0].sex, dob=c.header[0].dob))
    return c.child


@case("234")
def _(k: Case) -> str:
    c = k.pick(lambda c: len(c.episodes) >= 2 and bool(c.header))
    c.header[0].dob = birthday(on(c.episodes[1].decom), -6)  # 6 when the placement changed
    c.episodes[0].reason_place_change = "CUSTOD"
    return c.child


def _k2_with_urn(c: ChildRecord) -> bool:
    return any(e.place == "K2" and e.urn for e in c.episodes)


@case("241")
@_with_authority
def _(k: Case) -> str:
    c = k.pick(_k2_with_urn)
    e = next(e for e in c.episodes if e.place == "K2" and e.urn)
    e.place, e.pl_post = "K3", NEXT_DOOR  # supported accommodation in an LA the provider has no premises in
    return c.child


@case("243")
@_with_authority
def _(k: Case) -> str:
    c = k.pick(_k2_with_urn)
    next(e for e in c.episodes if e.place == "K2" and e.urn).pl_post = WALES
    return c.child


@case("348")
def _(k: Case) -> str:
    c = k.pick(
        lambda c: bool(c.oc3) and c.child in k.prev and bool(k.prev[c.child].oc3) and c.oc3[0].in_touch != "DIED"
    )
    k.last(c.child).oc3[0].in_touch = "DIED"
    return c.child


@case("359")
def _(k: Case) -> str:
    c = k.pick(looked_after_at_end)
    c.header[0].dob = date(END.year - 19, 1, 1)  # 18 before 31 March, still looked after, not V2 in a home
    return c.child


@case("1016")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.header) and bool(c.oc3) and c.oc3[0].in_touch is not None)
    c.header[0].dob = c.oc3[0].dob = birthday(END - 40 * D, -17)  # 17 at 31 March
    seventeen = birthday(dob(c), 17)
    c.episodes.append(
        EpisodeRow(c.child, decom=seventeen - 100 * D, rne="S", ls="C2", cin="N1", place="U4", dec=seventeen + D)
    )
    return c.child


@case("197B")
def _(k: Case) -> str:
    c = k.pick(lambda c: cohort(c) and bool(c.oc2))
    c.header[0].dob = c.oc2[0].dob = birthday(START + 30 * D, -17)  # 17 in May
    c.oc2[0].sdq_score = c.oc2[0].sdq_reason = None
    return c.child


case("217t", year=2024)(_episode(_with(place="P2", place_provider="PR4"), looked_after_at_end, -1))
case("230", year=2024)(
    _with_reference(_episode(_with(place="H5", place_provider="PR4", urn=None), looked_after_at_end, -1))
)


@case("370", year=2024)
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.episodes) and bool(c.header))
    c.episodes[0].place = "P2"
    c.header[0].dob = birthday(on(c.episodes[0].decom), -14)  # 14 in independent living
    return c.child


@case("584")
def _(k: Case) -> str:
    c = k.pick(lambda c: bool(c.placed) and c.placed[0].date_placed is not None)
    before = k.last(c.child) if c.child in k.prev else k.prev.setdefault(c.child, ChildRecord(c.child))
    decided = on(c.placed[0].date_placed)
    # last year's return said this decision ended; this year's gives it again rather than a new one
    before.placed = [
        PlacedAdoptionRow(c.child, date_placed=decided, date_placed_ceased=decided + 20 * D, reason_placed_ceased="RD1")
    ]
    return c.child


# --- the tests ---------------------------------------------------------------------------------------------------


def test_every_rule_has_a_case() -> None:
    assert sorted(set(RULES) - set(CASES)) == []


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_a_clean_return_breaks_no_rule(year: int) -> None:
    cur, prev = baseline(year)
    validator = Validator(CollectionYear(year), with_previous=year > 2024)
    found = [f for c in cur.values() for f in validator.child(c, prev.get(c.child))]
    assert [(f.code, f.child, f.message) for f in found] == []


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_rule_fires_on_the_child_that_breaks_it(code: str) -> None:
    k = start_case(YEAR_OF[code])
    child = CASES[code](k)
    found = findings(k, with_previous=k.year.year > 2024)
    assert any(f.code == code and f.child == child for f in found), sorted({f.code for f in found})
    assert all(f.message for f in found)


def test_rules_comparing_years_are_skipped_without_last_years_return() -> None:
    k = start_case()
    child = CASES["502"](k)
    assert not any(f.code == "502" for f in findings(k, with_previous=False))
    assert any(f.code == "502" and f.child == child for f in findings(k))


def test_the_recoding_of_withdrawn_placements_is_not_a_mismatch_with_last_year() -> None:
    k = start_case()
    c = k.pick(open_last_year(k))
    k.last(c.child).episodes[-1].place = "Z1"
    c.episodes[0].place, c.episodes[0].place_provider = "Z12", None
    codes = {f.code for f in findings(k)}
    assert "503D" not in codes
    assert "213" not in codes


def test_a_code_of_another_year_is_named_as_such() -> None:
    k = start_case()
    _set("episodes", "place", "P2")(k)
    message = next(f.message for f in findings(k) if f.code == "146")
    assert "withdrawn from 2024-25" in message
    k = start_case(2024)
    _set("episodes", "place", "Z12")(k)
    message = next(f.message for f in findings(k, with_previous=False) if f.code == "146")
    assert "introduced in 2024-25" in message


def test_deleted_rules_run_only_in_their_years() -> None:
    assert RULES["445"].applies_to(2024) and not RULES["445"].applies_to(2025)
    assert RULES["SW17STG2"].applies_to(2026) and not RULES["SW17STG2"].applies_to(2025)


def test_every_rule_says_what_is_wrong_in_plain_words() -> None:
    for r in RULES.values():
        assert r.text.endswith((".", "]")), r.code
        assert r.tables, r.code


def test_care_began_only_where_the_return_shows_the_start() -> None:
    c = ChildRecord("X", episodes=[EpisodeRow("X", decom=date(2025, 5, 1), rne="L", ls="C2")])
    assert care_began(Child(c)) is None
    c.episodes[0].rne = "S"
    assert care_began(Child(c)) == date(2025, 5, 1)


def test_a_rule_that_cannot_check_a_child_is_said_and_the_others_still_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot(c: Child, y: CollectionYear) -> Iterator[Problem]:
        raise TypeError("a combination no rule foresaw")
        yield

    monkeypatch.setitem(RULES, "101", replace(RULES["101"], check=cannot))
    k = start_case()
    child = CASES["103"](k)
    found = findings(k)
    said = [f for f in found if f.code == "101"]
    assert [(f.child, f.severity) for f in said] == [(child, "query")]
    assert "could not be checked" in said[0].message
    assert any(f.code == "103" for f in found)


def _cohort_aged(low: int, high: int) -> Callable[[ChildRecord], bool]:
    return lambda c: cohort(c) and bool(c.oc2) and low <= (age_on(dob(c), END) or -1) <= high


case("542")(_set("oc2", "convicted", "0", lambda c: bool(c.oc2) and (age_on(dob(c), END) or 0) < 10))
case("543")(_set("oc2", "convicted", None, _cohort_aged(10, 17)))
case("544")(_set("oc2", "teeth_check", None, lambda c: bool(c.oc2) and c.oc2[0].convicted is not None))
case("545")(_set("oc2", "health_check", None, _cohort_aged(0, 4)))
case("546")(_set("oc2", "health_check", "1", _cohort_aged(5, 17)))
case("547")(_set("oc2", "immunisations", None, lambda c: bool(c.oc2) and c.oc2[0].health_check is not None))


@case("1010")
def _(k: Case) -> str:
    c = k.pick(has("oc3"))
    before = k.last(c.child) if c.child in k.prev else k.prev.setdefault(c.child, ChildRecord(c.child))
    before.episodes.append(EpisodeRow(c.child, decom=START - 100 * D, rne="S", ls="C2", cin="N1", place="U4"))
    return c.child


case("392b")(_episode(_with(home_post=None), lambda c: bool(c.episodes) and not c.uasc))


def test_the_deleted_social_worker_rules_end_in_2024_25() -> None:
    """D2I's lac2025_26 ruleset deletes SW16aSTG2 and SW16cSTG2; SW16bSTG2 stays."""
    assert RULES["SW16aSTG2"].applies_to(2025) and not RULES["SW16aSTG2"].applies_to(2026)
    assert RULES["SW16cSTG2"].applies_to(2025) and not RULES["SW16cSTG2"].applies_to(2026)
    assert RULES["SW16bSTG2"].applies_to(2027)


def test_each_query_says_why_it_is_one_and_every_other_rule_is_an_error() -> None:
    """The stored sources give no rule's type: a query is one this module reads as such from its wording, with
    the reason in its note; a rule whose text says a record "appears" so is a query."""
    from safeguarding.returns.ssda903.rules import QUERY_READINGS, Severity

    queries = {code for code, r in RULES.items() if r.severity is Severity.QUERY}
    assert queries == set(QUERY_READINGS)
    assert all(RULES[code].note for code in queries)
    assert {code for code, r in RULES.items() if " appears " in r.text} <= queries


# A sample of the DfE's rules as Data to Insight's validator holds them (output_data/903_2024_25_rule_info.csv and
# lac_validator/rules: code, message, fields, tables). Neither holds an error or query type, so each type here is
# the one the wording gives: a query where it says a record "appears" so or "in most circumstances", an error
# where it states what must be.
SOURCE_SAMPLE = {
    "355": ("Episode appears to have lasted for less than 24 hours", "query"),
    "SW09STG2": ("Social worker episode appears to have lasted for less than 24 hours", "query"),
    "582": ("In most circumstances we expect the date the child is matched with adopters to be before", "query"),
    "142": ("A new episode has started, but the previous episode has not ended.", "error"),
    "392a": ("Child is looked after but no distance is recorded.", "error"),
    "503G": ("The distance in first episode does not match open episode at end of last year.", "error"),
    "1015": ("Placement provider is own provision but child not placed in own LA.", "error"),
    "228": ("Ofsted Unique reference number (URN) is not valid for the episode end date", "error"),
}


def test_a_sample_of_the_classification_is_what_the_sources_wording_says() -> None:
    for code, (words, severity) in SOURCE_SAMPLE.items():
        assert words in RULES[code].text, code
        assert RULES[code].severity == severity, code


# --- deprivation of liberty orders (2026-27) and the care leaver rules 1001 and 1002 ---------------------------


def closed_order(c: ChildRecord) -> bool:
    return any(d.dolo_start is not None and d.dolo_end is not None for d in c.dolo)


def _closed(c: ChildRecord) -> DoloRow:
    return next(d for d in c.dolo if d.dolo_end is not None)


def _held_in(c: ChildRecord, d: DoloRow) -> EpisodeRow:
    return next(
        e
        for e in c.episodes
        if e.decom is not None and e.decom <= on(d.dolo_start) and (e.dec is None or e.dec > on(d.dolo_start))
    )


@case("700", year=2027)
def _(k: Case) -> str:
    c = k.pick(has("dolo"))
    c.dolo[0].dolo_start, c.dolo[0].invalid = None, ("dolo_start",)
    return c.child


@case("701", year=2027)
def _(k: Case) -> str:
    c = k.pick(has("dolo"))
    c.dolo[0].dolo_end, c.dolo[0].invalid = None, ("dolo_end",)
    return c.child


@case("702", year=2027)
def _(k: Case) -> str:
    c = k.pick(closed_order)
    d = _closed(c)
    d.dolo_end = on(d.dolo_start) - D
    return c.child


@case("703", year=2027)
def _(k: Case) -> str:
    c = k.pick(has("dolo"))
    c.dolo[0].dolo_start, c.dolo[0].dolo_end = END + D, None
    return c.child


@case("704", year=2027)
def _(k: Case) -> str:
    c = k.pick(has("dolo"))
    c.dolo[0].dolo_end = CollectionYear(2027).start - D
    return c.child


@case("705", year=2027)
def _(k: Case) -> str:
    c = k.pick(has("dolo"))
    first = c.dolo[0]
    first.dolo_end = None
    c.dolo.append(replace(first, dolo_start=on(first.dolo_start) + D))
    return c.child


@case("706", year=2027)
def _(k: Case) -> str:
    c = k.pick(lambda c: c.child in k.prev and bool(c.episodes) and not c.dolo)
    before = k.last(c.child)
    before.dolo.append(DoloRow(c.child, dob=dob(c), dolo_start=CollectionYear(2026).end - 10 * D))
    return c.child


@case("707", year=2027)
def _(k: Case) -> str:
    c = k.pick(has("dolo"))
    d = c.dolo[0]
    last = c.episodes[-1]
    last.dec, last.rec = max(on(d.dolo_start), on(last.decom)) + D, "E13"
    d.dolo_end = None
    return c.child


@case("708", year=2027)
def _(k: Case) -> str:
    c = k.pick(has("dolo"))
    c.dolo[0].dolo_start = dob(c)
    return c.child


@case("709", year=2027)
def _(k: Case) -> str:
    c = k.pick(closed_order)
    _held_in(c, _closed(c)).place = "U6"
    return c.child


@case("710", year=2027)
def _(k: Case) -> str:
    c = k.pick(closed_order)
    _held_in(c, _closed(c)).place = "K1"
    return c.child


def _turning_17(k: Case, child: str, days_after_start: int = 30) -> ChildRecord:
    """A care leaver whose 17th birthday falls in the year, with an OC3 row and no episodes this year."""
    born = birthday(START + days_after_start * D, -17)
    record = k.new(child)
    record.header.append(HeaderRow(child, sex="2", dob=born, ethnic="WBRI", upn="UN5"))
    record.oc3.append(Oc3Row(child, dob=born, in_touch="YES", activ="F2", accom="U1"))
    return record


@case("1002")
def _(k: Case) -> str:
    return _turning_17(k, "LEAVER1").child


@case("1001")
def _(k: Case) -> str:
    record = _turning_17(k, "LEAVER2")
    sixteen = birthday(dob(record), 16)
    k.prev["LEAVER2"] = ChildRecord(
        "LEAVER2",
        episodes=[EpisodeRow("LEAVER2", decom=sixteen - 30 * D, rne="S", ls="V2", dec=sixteen, rec="E13")],
    )
    return record.child


def _codes(k: Case) -> set[str]:
    return {f.code for f in findings(k)}


def test_a_care_leaver_looked_after_after_the_16th_birthday_is_one() -> None:
    k = start_case()
    record = _turning_17(k, "LEAVER3")
    sixteen = birthday(dob(record), 16)
    k.prev["LEAVER3"] = ChildRecord(
        "LEAVER3",
        episodes=[EpisodeRow("LEAVER3", decom=sixteen - 30 * D, rne="S", ls="V2", dec=sixteen + D, rec="E13")],
    )
    assert not _codes(k) & {"1001", "1002"}


def test_an_adopted_child_has_no_care_leaver_information() -> None:
    k = start_case()
    record = _turning_17(k, "LEAVER4")
    sixteen = birthday(dob(record), 16)
    k.prev["LEAVER4"] = ChildRecord(
        "LEAVER4",
        episodes=[EpisodeRow("LEAVER4", decom=sixteen - 30 * D, rne="S", ls="E1", dec=sixteen + 5 * D, rec="E11")],
    )
    assert "1001" in _codes(k)


def test_older_care_leavers_without_episodes_in_the_two_returns_are_not_named() -> None:
    """Their time in care may be in returns before last year's: the two returns cannot settle it."""
    k = start_case()
    _turning_17(k, "LEAVER5", days_after_start=-400)  # 17 last year, 18 this year
    assert not _codes(k) & {"1001", "1002"}


def test_1001_and_1002_need_last_years_return() -> None:
    k = start_case()
    _turning_17(k, "LEAVER6")
    assert "1002" not in {f.code for f in findings(k, with_previous=False)}


def test_the_deprivation_of_liberty_rules_run_from_2026_27() -> None:
    assert all(RULES[code].applies_to(2027) and not RULES[code].applies_to(2026) for code in map(str, range(700, 711)))


def test_a_move_on_the_day_an_order_starts_is_not_a_placement_during_it() -> None:
    """The episode ending the day the order begins is the one before it (its DEC is the next one's DECOM)."""
    k = start_case(2027)
    c = k.pick(closed_order)
    d = _closed(c)
    held = _held_in(c, d)
    i = c.episodes.index(held)
    if i > 0:
        c.episodes[i - 1].place = "P1"
    held.decom = d.dolo_start
    if i > 0:
        c.episodes[i - 1].dec = d.dolo_start
    assert not _codes(k) & {"709", "710"}
