"""Where people are listed, same-named people are told apart by date of birth and the postcode district of their
current address (people.listing, people.rules.postcode_district), read in one statement for the whole list."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event

from safeguarding.core.db import Database
from safeguarding.people import rules
from safeguarding.people.listing import listed_people
from safeguarding.people.models import Address
from tests.timescales import records

AREAS = st.sampled_from(["B", "E", "EC", "LS", "M", "N", "NW", "SW", "W", "YO"])
DIGITS = st.integers(min_value=1, max_value=99)
INWARD = st.tuples(st.integers(0, 9), st.sampled_from("ABDEFGHJLNPQRSTUWXYZ"), st.sampled_from("ABDEFGHJLNPQRSTUWXYZ"))


@given(AREAS, DIGITS, INWARD, st.sampled_from(["", " ", "  "]), st.booleans())
def test_the_district_is_the_outward_code_however_the_postcode_was_typed(
    area: str, district: int, inward: tuple[int, str, str], gap: str, lower: bool
) -> None:
    outward = f"{area}{district}"
    typed = f"{outward}{gap}{inward[0]}{inward[1]}{inward[2]}"
    assert rules.postcode_district(typed.lower() if lower else typed) == outward


@given(st.text(max_size=10))
def test_the_district_of_anything_not_a_postcode_is_not_shown(text: str) -> None:
    district = rules.postcode_district(text)
    assert district is None or (rules.is_valid_postcode(text) and rules.normalise_postcode(text).startswith(district))


def test_a_list_reads_the_current_address_not_a_former_one(database: Database) -> None:
    with database.transaction() as s:
        moved = records.child(s, "Jordan", "Smith")
        s.add(
            Address(
                person_id=moved.id,
                line1="1 Old Road",
                postcode="LS8 2AB",
                moved_in=date(2015, 1, 1),
                moved_out=date(2020, 1, 1),
            )
        )
        s.add(Address(person_id=moved.id, line1="9 New Street", postcode="YO1 7HH", moved_in=date(2020, 1, 1)))
        homeless = records.child(s, "Jordan", "Smith")
        ids = (moved.id, homeless.id)
    with database.transaction() as s:
        found = listed_people(s, ids)
    assert found[ids[0]].district == "YO1"
    assert found[ids[1]].district is None
    assert found[ids[0]].name == found[ids[1]].name == "Jordan Smith"


def test_a_list_of_people_is_one_statement_however_long(database: Database) -> None:
    def statements_for(n: int) -> int:
        with database.transaction() as s:
            ids = []
            for i in range(n):
                child = records.child(s, "Jordan", "Smith")
                s.add(Address(person_id=child.id, line1=f"{i} Any Road", postcode=f"LS{i % 9 + 1} 2AB"))
                ids.append(child.id)
        sent: list[str] = []
        listener = lambda *args: sent.append(args[2])  # noqa: E731
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            with database.transaction() as s:
                found = listed_people(s, ids)
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        assert {p.district for p in found.values()} >= {f"LS{i % 9 + 1}" for i in range(n)}
        return len([sql for sql in sent if sql.lstrip().upper().startswith("SELECT")])

    assert statements_for(2) == statements_for(12) == 1
