"""The demo council's duplicates: a few children recorded twice as councils really do it (a surname typed with two
letters swapped, a first name given as its short form, a date of birth with day and month swapped), and a pair of
twins who share a surname, an address and a birthday. Then the duplicate check runs over the whole index, as it
does each night, so the data quality officer's queue has work and the twins are visibly not in it.

A stage of ``demo.council.build_council``, run last, with its own random sequence (so every earlier row is
unchanged).
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from safeguarding.core.db import Base
from safeguarding.demo.picture import table_of
from safeguarding.people import rules
from safeguarding.people.duplicates.models import DuplicatePair
from safeguarding.people.duplicates.queue import index_pairs
from safeguarding.people.linkage.short_forms import FULL_NAMES
from safeguarding.people.models import Address, Person, PersonKind

TABLES: list[Table] = [table_of(DuplicatePair)]
# Children recorded twice, one of each kind of slip.
SLIPS = ("surname_typo", "short_first_name", "day_month_swapped")
TWINS = (("Amara", "Zara"), "Whitlock")


def _swap_letters(name: str) -> str:
    """Two neighbouring letters swapped in the middle: "Okafor" becomes "Okfaor"."""
    if len(name) < 4:
        return name + name[-1]
    i = len(name) // 2
    return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]


def _short_form(first: str) -> str | None:
    forms = FULL_NAMES.get(first.lower())
    return forms[0].capitalize() if forms else None


def _swapped(day: date) -> date | None:
    if day.day > 12 or day.day == day.month:
        return None
    return day.replace(month=day.day, day=day.month)


def _person_row(builder: Any, writer: Any, first: str, last: str, born: date | None, sex: str | None) -> int:
    table = table_of(Person)
    person_id = writer.new_id(table)
    writer.add(
        table,
        {
            "id": person_id,
            "kind": PersonKind.CHILD.value,
            "first_name": first,
            "last_name": last,
            "date_of_birth": born,
            "sex": sex,
            # Recorded in a hurry at the front door: the school's number not yet known (the CIN census's UN4).
            "upn_unknown": "UN4",
            "first_name_key": rules.name_key(first),
            "last_name_key": rules.name_key(last),
            "first_name_sound": rules.sound_key(first),
            "last_name_sound": rules.sound_key(last),
            "created_at": builder.now,
            "version": 1,
        },
    )
    return person_id


def _address_row(writer: Any, person_id: int, home: Any, moved_in: date | None, line1: str | None = None) -> None:
    table = table_of(Address)
    writer.add(
        table,
        {
            "id": writer.new_id(table),
            "person_id": person_id,
            "line1": line1 or home.line1,
            "line2": home.line2,
            "town": home.town,
            "postcode": home.postcode,
            "moved_in": moved_in,
        },
    )


def _census_codes(builder: Any, writer: Any, person_id: int, codes: list[str]) -> None:
    """The CIN census disability codes the returns stage gives every born demo child (by table name: people does not
    import returns), copied from the record a duplicate was made from; "NONE" for the twins."""
    table = Base.metadata.tables["child_disability"]
    for code in codes or ["NONE"]:
        writer.add(table, {"person_id": person_id, "code": code, "created_at": builder.now})


def build(builder: Any, writer: Any) -> dict[str, int]:
    rng = random.Random(f"{builder.seed}:duplicates")
    conn = writer.connection
    disability = Base.metadata.tables["child_disability"]
    person, address = table_of(Person), table_of(Address)
    children = conn.execute(
        select(person.c.id, person.c.first_name, person.c.last_name, person.c.date_of_birth, person.c.sex)
        .where(person.c.kind == PersonKind.CHILD.value, person.c.date_of_birth.is_not(None))
        .order_by(person.c.id)
    ).all()
    homes = {
        row.person_id: row
        for row in conn.execute(
            select(
                address.c.person_id,
                address.c.line1,
                address.c.line2,
                address.c.town,
                address.c.postcode,
                address.c.moved_in,
            ).where(address.c.moved_out.is_(None))
        )
    }
    planted = 0
    for slip in SLIPS:
        for child in rng.sample(list(children), k=min(len(children), 60)):
            first, last, born = child.first_name, child.last_name, child.date_of_birth
            if slip == "surname_typo":
                last = _swap_letters(last)
            elif slip == "short_first_name":
                short = _short_form(first)
                if short is None:
                    continue
                first = short
            else:
                swapped = _swapped(born)
                if swapped is None:
                    continue
                born = swapped
            copy = _person_row(builder, writer, first, last, born, child.sex)
            codes = list(
                conn.scalars(
                    select(disability.c.code).where(disability.c.person_id == child.id).order_by(disability.c.code)
                )
            )
            _census_codes(builder, writer, copy, codes)
            home = homes.get(child.id)
            if home is not None:
                _address_row(writer, copy, home, home.moved_in)
            planted += 1
            break
    # The twins live further along the street of a home drawn from the council's (a house of their own).
    (twin_one, twin_two), surname = TWINS
    born = date(2016, 7, 2)
    street_home = homes[rng.choice(sorted(homes))]
    number, street = street_home.line1.split(" ", 1)
    for first in (twin_one, twin_two):
        twin = _person_row(builder, writer, first, surname, born, "F")
        _census_codes(builder, writer, twin, [])
        _address_row(writer, twin, street_home, date(2016, 8, 1), line1=f"{int(number) + 101} {street}")
    writer.flush()
    # The nightly check, over the whole index as it now stands.
    proposed = 0
    with Session(bind=conn) as session:
        found = index_pairs(session)
    for scored in found:
        left, right = sorted((int(scored.left_id), int(scored.right_id)))
        writer.add(
            table_of(DuplicatePair),
            {
                "id": writer.new_id(table_of(DuplicatePair)),
                "left_id": left,
                "right_id": right,
                "match_weight": float(scored.match_weight),
                "probability": float(scored.probability),
                "evidence": "\n".join(scored.evidence),
                "status": "proposed",
                "proposed_at": builder.now,
                "version": 1,
            },
        )
        proposed += 1
    return {"planted_duplicates": planted, "twins_planted": 1, "proposed_duplicates": proposed}
