"""The SSDA903 return as plain typed rows, one dataclass per DfE table, grouped by child.

The reader (:mod:`.reader`, from the DfE's CSV tables or the XML form) and an exporter from the live record produce
the same structure, so a return can be validated from a file or in memory. Columns are named as the DfE names them
(lower-cased); ``line`` is where the row was read (the CSV line, or the XML line of its element), 0 in memory.

A value that is not a date is kept as absent and its column named in the row's ``invalid``: the "is not a valid
date" rules (102, 141, 147...) report it, the others see no date, as the DfE's own validator does.
Sources: the DfE's SSDA903 guidance and validation rules for the collection year (code sets by year below).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from types import MappingProxyType
from typing import Final

from safeguarding.core import codes

# Code sets (the DfE's SSDA903 guidance). Each changes only where the DfE says; PLACE changes by year.
SEX_CODES: Final = frozenset({"1", "2"})
RNE_CODES: Final = frozenset({"S", "L", "P", "T", "B", "U"})
LS_CODES: Final = frozenset({"C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"})
CIN_CODES: Final = frozenset({f"N{n}" for n in range(1, 9)})
TEMPORARY: Final = frozenset({"T0", "T1", "T2", "T3", "T4"})
FOSTER: Final = frozenset({"U1", "U2", "U3", "U4", "U5", "U6"})
ADOPTION_PLACEMENTS: Final = frozenset({"A3", "A4", "A5", "A6"})
OTHER_PLACEMENTS: Final = frozenset({"Z1", "Z11", "Z12", "Z13", "Z14"})
_PLACE_BASE: Final = frozenset(
    {"A3", "A4", "A5", "A6", "K1", "K2", "P1", "P3", "R1", "R2", "R3", "R5", "S1"} | TEMPORARY | FOSTER
)
PROVIDER_CODES: Final = frozenset({"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"})
REC_CODES: Final = frozenset(
    {"X1", "E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E4A", "E4B", "E41", "E45", "E46", "E47"}
    | {"E48", "E5", "E6", "E7", "E8", "E9"}
)
ADOPTED: Final = frozenset({"E11", "E12"})
PLACE_CHANGE_REASONS: Final = frozenset(
    {"CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ", "PLACE", "CUSTOD", "OTHER"}
)
REVIEW_CODES: Final = frozenset({f"PN{n}" for n in range(8)})
MISSING_CODES: Final = frozenset({"M", "A"})
IN_TOUCH_CODES: Final = frozenset({"YES", "NO", "DIED", "REFU", "NREQ", "RHOM"})
ACTIV_CODES: Final = frozenset({"F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5", "G4", "G5", "G6", "0"})
ACCOM_CODES: Final = frozenset({f"{letter}{digit}" for letter in "BCDEGHKRSTUVWXYZ" for digit in "12"} | {"0"})
SDQ_REASONS: Final = frozenset({"SDQ1", "SDQ2", "SDQ3", "SDQ4", "SDQ5"})
YES_NO: Final = frozenset({"0", "1"})
SEX_ADOPTR_CODES: Final = frozenset({"M1", "F1", "MM", "FF", "MF"})
COUPLES: Final = frozenset({"MM", "FF", "MF"})
LS_ADOPTR_CODES: Final = frozenset({"L0", "L11", "L12", "L2", "L3", "L4"})
PLACED_CEASED_REASONS: Final = frozenset({"RD1", "RD2", "RD3", "RD4"})
PREV_PERM_CODES: Final = frozenset({"P1", "P2", "P3", "P4", "Z1"})
UPN_UNKNOWN: Final = frozenset({"UN1", "UN2", "UN3", "UN4", "UN5"})
SW_REASONS: Final = frozenset(codes.SOCIAL_WORKER_CHANGE_REASONS)

EARLIEST_YEAR: Final = 2024  # 2023-24, the first year with social worker episodes
LATEST_YEAR: Final = 2027  # 2026-27


def place_codes(year: int) -> frozenset[str]:
    """The PLACE codes valid in the collection year ending in ``year`` (the DfE's guidance for each year): K3 from
    2024-25; H5, P2 and Z1 withdrawn and Z11 to Z14 introduced in 2025-26."""
    if year <= 2024:
        return _PLACE_BASE | {"H5", "P2", "Z1"} | ({"K3"} if year == 2024 else set())
    return _PLACE_BASE | {"K3", "Z11", "Z12", "Z13", "Z14"}


PLACE_WITHDRAWN: Final = MappingProxyType({"H5": 2025, "P2": 2025, "Z1": 2025})  # code: first year it is invalid
PLACE_INTRODUCED: Final = MappingProxyType({"K3": 2024, "Z11": 2025, "Z12": 2025, "Z13": 2025, "Z14": 2025})


@dataclass(frozen=True)
class CollectionYear:
    """A collection year named by its end: 2026 is 1 April 2025 to 31 March 2026."""

    year: int
    start: date = field(init=False, compare=False)
    end: date = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if not EARLIEST_YEAR <= self.year <= LATEST_YEAR:
            raise ValueError(
                f"the SSDA903 years held are {EARLIEST_YEAR} to {LATEST_YEAR} (named by the year they end in)"
            )
        # Read by every rule for every child: held, not computed each time.
        object.__setattr__(self, "start", date(self.year - 1, 4, 1))
        object.__setattr__(self, "end", date(self.year, 3, 31))

    @property
    def ruleset(self) -> str:
        return f"lac{self.year - 1}_{self.year % 100:02d}"

    @property
    def name(self) -> str:
        return f"{self.year - 1}-{self.year % 100:02d}"


@dataclass(slots=True)
class Row:
    child: str
    line: int = 0
    invalid: tuple[str, ...] = ()  # columns whose text is not a date


@dataclass(slots=True)
class HeaderRow(Row):
    sex: str | None = None
    dob: date | None = None
    ethnic: str | None = None
    upn: str | None = None
    mother: str | None = None
    mc_dob: date | None = None
    # The XML form's UASC flag (HEADER/UASC, 0 or 1; the CSV tables have no such column: a UASC row says it). Read
    # from XML as written, "" where the item is missing or blank (rule 105 names it); None from CSV or in memory.
    uasc: str | None = None


# Fields of a row that the XML form holds but the CSV tables do not (Table.columns leaves them out).
XML_ONLY: Final = frozenset({"uasc"})


@dataclass(slots=True)
class EpisodeRow(Row):
    decom: date | None = None
    rne: str | None = None
    ls: str | None = None
    cin: str | None = None
    place: str | None = None
    place_provider: str | None = None
    dec: date | None = None
    rec: str | None = None
    reason_place_change: str | None = None
    home_post: str | None = None
    pl_post: str | None = None
    urn: str | None = None


@dataclass(slots=True)
class ReviewRow(Row):
    dob: date | None = None
    review: date | None = None
    review_code: str | None = None


@dataclass(slots=True)
class UascRow(Row):
    sex: str | None = None
    dob: date | None = None
    duc: date | None = None


@dataclass(slots=True)
class Oc2Row(Row):
    dob: date | None = None
    sdq_score: str | None = None
    sdq_reason: str | None = None
    convicted: str | None = None
    health_check: str | None = None
    immunisations: str | None = None
    teeth_check: str | None = None
    health_assessment: str | None = None
    substance_misuse: str | None = None
    intervention_received: str | None = None
    intervention_offered: str | None = None


@dataclass(slots=True)
class Oc3Row(Row):
    dob: date | None = None
    in_touch: str | None = None
    activ: str | None = None
    accom: str | None = None


@dataclass(slots=True)
class Ad1Row(Row):
    dob: date | None = None
    date_int: date | None = None
    date_match: date | None = None
    foster_care: str | None = None
    nb_adoptr: str | None = None
    sex_adoptr: str | None = None
    ls_adoptr: str | None = None


@dataclass(slots=True)
class PlacedAdoptionRow(Row):
    dob: date | None = None
    date_placed: date | None = None
    date_placed_ceased: date | None = None
    reason_placed_ceased: str | None = None


@dataclass(slots=True)
class PrevPermRow(Row):
    dob: date | None = None
    prev_perm: str | None = None
    la_perm: str | None = None
    date_perm: date | None = None


@dataclass(slots=True)
class MissingRow(Row):
    dob: date | None = None
    missing: str | None = None
    mis_start: date | None = None
    mis_end: date | None = None


@dataclass(slots=True)
class SwEpisodeRow(Row):
    dob: date | None = None
    sw_id: str | None = None
    sw_decom: date | None = None
    sw_dec: date | None = None
    sw_reason: str | None = None


@dataclass(slots=True)
class DoloRow(Row):
    """A deprivation of liberty order (the DoLo table, from 2026-27; DfE rules 700-710)."""

    dob: date | None = None
    dolo_start: date | None = None
    dolo_end: date | None = None


DOLO_FIRST_YEAR: Final = 2027  # 2026-27, the first year with the DoLo table


@dataclass(frozen=True)
class Table:
    name: str  # as the DfE (and the rule texts) name it
    file: str
    row: type[Row]
    xml_group: str  # the element holding one row in the XML form (its items named as the columns)
    attribute: str  # the list on ChildRecord

    @property
    def columns(self) -> tuple[str, ...]:
        return (
            "CHILD",
            *(
                f.name.upper()
                for f in fields(self.row)
                if f.name not in ("child", "line", "invalid") and f.name not in XML_ONLY
            ),
        )

    @property
    def date_columns(self) -> frozenset[str]:
        return frozenset(f.name for f in fields(self.row) if "date" in str(f.type))


TABLES: Final = (
    Table("Header", "header.csv", HeaderRow, "HEADER", "header"),
    Table("Episodes", "episodes.csv", EpisodeRow, "EPISODE", "episodes"),
    Table("Reviews", "reviews.csv", ReviewRow, "AREVIEW", "reviews"),
    Table("UASC", "uasc.csv", UascRow, "UASC", "uasc"),
    Table("OC2", "oc2.csv", Oc2Row, "OC2", "oc2"),
    Table("OC3", "oc3.csv", Oc3Row, "OC3", "oc3"),
    Table("AD1", "ad1.csv", Ad1Row, "AD1", "ad1"),
    Table("PlacedAdoption", "placed_for_adoption.csv", PlacedAdoptionRow, "AD_PLACED", "placed"),
    Table("PrevPerm", "previous_permanence.csv", PrevPermRow, "PERMANENCE", "prev_perm"),
    Table("Missing", "missing.csv", MissingRow, "AMISSING", "missing"),
    Table("SWEpisodes", "sw_episodes.csv", SwEpisodeRow, "SW_EPISODE", "sw_episodes"),
    # The XML group's name is this system's: the stored sources give the DfE's CSV columns, not its 2026-27 schema.
    Table("DoLo", "dolo.csv", DoloRow, "DOLO", "dolo"),
)
TABLE_BY_FILE: Final = MappingProxyType({t.file: t for t in TABLES})


def tables_for(year: int) -> tuple[Table, ...]:
    """The tables of the collection year's return: the DoLo table from 2026-27."""
    return TABLES if year >= DOLO_FIRST_YEAR else tuple(t for t in TABLES if t.name != "DoLo")


@dataclass(slots=True)
class ChildRecord:
    """Every row of one child in one return (a row of each table may repeat: the INT rules check that)."""

    child: str
    header: list[HeaderRow] = field(default_factory=list)
    episodes: list[EpisodeRow] = field(default_factory=list)
    reviews: list[ReviewRow] = field(default_factory=list)
    uasc: list[UascRow] = field(default_factory=list)
    oc2: list[Oc2Row] = field(default_factory=list)
    oc3: list[Oc3Row] = field(default_factory=list)
    ad1: list[Ad1Row] = field(default_factory=list)
    placed: list[PlacedAdoptionRow] = field(default_factory=list)
    prev_perm: list[PrevPermRow] = field(default_factory=list)
    missing: list[MissingRow] = field(default_factory=list)
    sw_episodes: list[SwEpisodeRow] = field(default_factory=list)
    dolo: list[DoloRow] = field(default_factory=list)

    def add(self, row: Row) -> None:
        getattr(self, ATTRIBUTE_OF[type(row)]).append(row)

    def sort(self) -> None:
        """Episodes, missing periods, decisions and social worker episodes in date order (undated last), as each
        rule reads them."""
        far = date.max
        if len(self.episodes) > 1:
            self.episodes.sort(key=lambda e: e.decom or far)
        if len(self.missing) > 1:
            self.missing.sort(key=lambda m: m.mis_start or far)
        if len(self.placed) > 1:
            self.placed.sort(key=lambda p: p.date_placed or far)
        if len(self.sw_episodes) > 1:
            self.sw_episodes.sort(key=lambda s: s.sw_decom or far)
        if len(self.reviews) > 1:
            self.reviews.sort(key=lambda r: r.review or far)
        if len(self.dolo) > 1:
            self.dolo.sort(key=lambda d: d.dolo_start or far)


ATTRIBUTE_OF: Final = MappingProxyType({t.row: t.attribute for t in TABLES})
TABLE_OF: Final = MappingProxyType({t.row: t for t in TABLES})


@dataclass
class Return:
    """A whole return: the children in the order first met, each with all their rows."""

    children: dict[str, ChildRecord] = field(default_factory=dict)
    source: str = ""

    def add(self, row: Row) -> None:
        record = self.children.get(row.child)
        if record is None:
            record = self.children[row.child] = ChildRecord(row.child)
        record.add(row)
