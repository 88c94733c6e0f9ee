"""Person records as linkage sees them, and the prepared columns every engine compares.

The features are computed here, in Python, once per record (search keys, sound keys and postcodes by the people
rules, known short forms from ``short_forms``), so that the engines compare prepared columns with plain SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache

from safeguarding.people import rules
from safeguarding.people.linkage.short_forms import full_names

SEXES = frozenset({"M", "F"})  # anything else (U, unknown, blank) says nothing about a match


@dataclass(frozen=True)
class PersonRecord:
    """One record of a person from one source (a row of a partner's file, or a person in the index)."""

    record_id: str
    source: str
    first_name: str | None
    surname: str | None
    dob: date | None
    sex: str | None
    postcode: str | None
    nhs_number: str | None
    upn: str | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """The columns a comparison reads. ``None`` is a missing value (SQL NULL). ``rid`` numbers the records of one
    run, so that pairs are formed once (``l.rid < r.rid``)."""

    rid: int
    record_id: str
    first_key: str | None
    first_ascii: bool
    first_full_1: str | None
    first_full_2: str | None
    first_block: str | None
    first_sound: str | None
    first_count: int  # how many records of the file have this first name (1 for a record scored on its own)
    surname_key: str | None
    surname_ascii: bool
    surname_sound: str | None
    surname_count: int  # how many records of the file have this surname (1 for a record scored on its own)
    dob: str | None
    dob_year: int | None
    dob_month: int | None
    dob_day: int | None
    dob_unordered: str | None
    sex: str | None
    postcode: str | None
    postcode_sector: str | None
    postcode_district: str | None
    nhs_number: str | None
    upn: str | None


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Prepared))
SQL_TYPES: dict[str, str] = {
    name: "BOOLEAN"
    if name.endswith("_ascii")
    else "INTEGER"
    if name in {"rid", "dob_year", "dob_month", "dob_day", "first_count", "surname_count"}
    else "VARCHAR"
    for name in COLUMNS
}


# Names and postcodes repeat (a region has thousands of Olivers, a household shares its postcode): each is worked out
# once, and the records share one string for it, which keeps a million prepared records small.
@lru_cache(maxsize=262_144)
def _key(value: str | None) -> str | None:
    key = rules.name_key(value or "")
    return key or None


@lru_cache(maxsize=262_144)
def _postcode_parts(raw: str | None) -> tuple[str | None, str | None, str | None]:
    """The postcode, its sector and its district; all None for a missing or invalid one."""
    if not raw or not rules.is_valid_postcode(raw):
        return None, None, None
    postcode = rules.normalise_postcode(raw)
    return postcode, postcode[:-2], postcode.split(" ")[0]


@lru_cache(maxsize=65_536)
def _date_parts(dob: date) -> tuple[str, str]:
    """The date as ISO text, and the same for it and its day-month swap (3 April and 4 March): one block finds both."""
    return dob.isoformat(), f"{dob.year}-{min(dob.day, dob.month):02d}-{max(dob.day, dob.month):02d}"


def prepare(record: PersonRecord, rid: int = 0, first_count: int = 1) -> Prepared:
    """The record's columns. ``first_count`` is how often its first name is seen among the records linked together
    (``linking.prepare_all`` counts them, and the surnames); a record scored on its own counts 1."""
    first = _key(record.first_name)
    surname = _key(record.surname)
    fulls = full_names(first) if first else ()
    postcode, sector, district = _postcode_parts(record.postcode)
    nhs = rules.normalise_nhs_number(record.nhs_number or "")
    upn = rules.normalise_upn(record.upn or "")
    dob = record.dob
    sex = (record.sex or "").strip().upper()[:1]
    return Prepared(
        rid=rid,
        record_id=record.record_id,
        first_key=first,
        first_ascii=first is not None and first.isascii(),
        first_full_1=fulls[0] if fulls else None,
        first_full_2=fulls[1] if len(fulls) > 1 else None,
        first_block=fulls[0] if fulls else first,
        first_sound=rules.sound_of_key(first) or None if first else None,
        first_count=first_count if first else 0,
        surname_key=surname,
        surname_ascii=surname is not None and surname.isascii(),
        surname_sound=rules.sound_of_key(surname) or None if surname else None,
        surname_count=1 if surname else 0,
        dob=_date_parts(dob)[0] if dob else None,
        dob_year=dob.year if dob else None,
        dob_month=dob.month if dob else None,
        dob_day=dob.day if dob else None,
        dob_unordered=_date_parts(dob)[1] if dob else None,
        sex=sex if sex in SEXES else None,
        postcode=postcode,
        postcode_sector=sector,
        postcode_district=district,
        nhs_number=nhs if nhs and rules.is_valid_nhs_number(nhs) else None,
        upn=upn if upn and rules.is_valid_upn(upn) else None,
    )
