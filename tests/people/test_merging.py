"""Merging two records of one person and unmerging them (issue 17).

The property: over generated histories (identifiers, other names, addresses, family ties, network links, CIN census
disabilities, contacts, restrictions, and things recorded on the survivor after the merge), a merge leaves nothing
naming the merged-away record, and an unmerge puts every row of both records back exactly as it was, each thing
recorded since going where the officer chose. The state compared is read from the metadata (every table that names
a person), so a table added later is compared too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, insert, select

from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, DomainError, ValidationFailed
from safeguarding.core.restrictions import PersonRestriction, PersonRestrictionGrant
from safeguarding.core.users import Role, User
from safeguarding.people import rules
from safeguarding.people.duplicates import merging
from safeguarding.people.duplicates.models import PersonMergeRow, RowFate
from safeguarding.people.duplicates.references import (
    BY_RULE,
    UPKEEP_COLUMNS,
    UPKEEP_TABLES,
    all_references,
    movable_references,
    referencing_rows,
)
from safeguarding.people.duplicates.rows import key_of, key_text
from safeguarding.people.models import Address, FamilyRelationship, Person, PersonAlias, PersonKind, RelationshipKind
from safeguarding.schema import metadata
from tests.support import Factory

_numbers = count(1)
FIRST = ("Ava", "Ben", "Cara")
LAST = ("Stone", "Stoen", "Hart")
CODES = ("MOB", "HAND", "PC")

# Where the two records differ, the survivor's value is kept (a choice every merge must make).
KEEP = {name: merging.SURVIVOR for name, _label in merging.CHOOSABLE}


def _nhs() -> str:
    return f"{900_000_0000 + next(_numbers) * 7919 % 99_999_999:010d}"


def _person(s: Any, first: str = "Ava", last: str = "Stone", **fields: Any) -> Person:
    person = Person(kind=PersonKind.CHILD, first_name=first, last_name=last, **fields)
    person.first_name_key, person.last_name_key = rules.name_key(first), rules.name_key(last)
    person.first_name_sound, person.last_name_sound = rules.sound_key(first), rules.sound_key(last)
    s.add(person)
    s.flush()
    return person


def _table(name: str) -> Table:
    return metadata.tables[name]


def _contact(s: Any, person_ids: Iterable[int]) -> None:
    now = datetime(2026, 11, 2, 10, tzinfo=UTC)
    contact_id = s.execute(
        insert(_table("contact"))
        .values(
            received_at=now,
            channel="phone",
            reporter_kind="public",
            referral_source="1B",
            worry="Synthetic worry",
            consent="consent_given",
            due_at=now,
            status="awaiting_screening",
        )
        .returning(_table("contact").c.id)
    ).scalar_one()
    for person_id in person_ids:
        s.execute(
            insert(_table("contact_subject")).values(
                contact_id=contact_id, role="child", first_name="Ava", last_name="Stone", person_id=person_id
            )
        )


def _link(s: Any, from_id: int, to_id: int, user_id: int) -> None:
    s.execute(
        insert(_table("exploitation_association")).values(
            from_kind="person",
            from_id=from_id,
            to_kind="person",
            to_id=to_id,
            link_type="associate",
            source_kind="worker",
            recorded_by_id=user_id,
            confidence="possible",
        )
    )


def _disability(s: Any, person_id: int, code: str) -> None:
    s.execute(insert(_table("child_disability")).values(person_id=person_id, code=code, created_at=datetime.now(UTC)))


def _canonical(row: Any, leave_out: Iterable[str] = ()) -> str:
    return repr(sorted((k, v) for k, v in dict(row).items() if k not in leave_out))


def state(database: Database, people: Iterable[int]) -> dict[str, set[str]]:
    """Every row naming these people, in every table that names a person (read from the metadata), and the
    people's own rows (but for the count of their edits), restrictions and named users."""
    ids = sorted(set(people))
    found: dict[str, set[str]] = {}
    with database.transaction() as s:
        for ref in all_references():
            if ref.table.name in UPKEEP_TABLES:
                continue
            rows = s.execute(select(ref.table).where(ref.column.in_(ids))).mappings()
            key = f"{ref.table.name}.{ref.column.name}"
            found[key] = {_canonical(r) for r in rows if ref.kind_column is None or r[ref.kind_column.name] == "person"}
        found["person"] = {
            _canonical(r, {"version"}) for r in s.execute(select(Person.__table__).where(Person.id.in_(ids))).mappings()
        }
        found["grant"] = {
            repr((g.person_id, g.user_id))
            for g in s.scalars(select(PersonRestrictionGrant).where(PersonRestrictionGrant.person_id.in_(ids)))
        }
    return found


def _officer(factory: Factory) -> User:
    return factory.user(Role.DATA_QUALITY_OFFICER, username=f"dq{next(_numbers)}")


# --- every reference is handled ------------------------------------------------------------------------------------


def test_every_foreign_key_to_a_person_is_moved_by_a_merge_or_named_as_handled_otherwise() -> None:
    moved = {ref.name for ref in movable_references()}
    for table in metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != "person":
                continue
            name = (table.name, fk.parent.name)
            assert (
                f"{table.name}.{fk.parent.name}" in moved or table.name in UPKEEP_TABLES or name in UPKEEP_COLUMNS
            ) or name in BY_RULE, f"{table.name}.{fk.parent.name} names a person and no merge handles it"
    # The network's links and intelligence subjects name people through (kind, id) columns: moved too.
    assert {"exploitation_association.from_id", "exploitation_association.to_id"} <= moved
    assert "exploitation_intelligence_subject.node_id" in moved


def test_no_moved_reference_is_a_key_other_rows_hang_from() -> None:
    """Moving a row's person changes that row only: no reference moved is itself pointed at by another table
    (the restriction, whose named users hang from its person, is merged by rule instead)."""
    for ref in movable_references():
        hanging = [(t.name, c.name) for t, c, target in referencing_rows(ref.table) if target == ref.column.name]
        assert not hanging, f"{ref.name} is moved but {hanging} point at it"


def test_a_table_added_later_is_found_without_being_named() -> None:
    later = MetaData()
    Table("person", later, Column("id", Integer, primary_key=True))
    Table(
        "school_roll_entry",
        later,
        Column("id", Integer, primary_key=True),
        Column("pupil_id", Integer, ForeignKey("person.id")),
        Column("school", String(100)),
    )
    assert [ref.name for ref in movable_references(later)] == ["school_roll_entry.pupil_id"]


# --- the property: merge, then unmerge, is the identity -------------------------------------------------------------

CHOOSABLE = [name for name, _label in merging.CHOOSABLE]
people_fields = st.fixed_dictionaries(
    {
        "first": st.sampled_from(FIRST),
        "last": st.sampled_from(LAST),
        "date_of_birth": st.one_of(st.none(), st.dates(date(2008, 1, 1), date(2024, 12, 31))),
        "sex": st.sampled_from([None, "M", "F"]),
        "nhs": st.booleans(),
        "notes": st.sampled_from([None, "Known to the school nurse", "Moved from another council"]),
    }
)
histories = st.fixed_dictionaries(
    {
        "a": people_fields,
        "b": people_fields,
        "aliases": st.lists(
            st.tuples(st.sampled_from("ab"), st.sampled_from(FIRST), st.sampled_from(LAST)), max_size=3
        ),
        "addresses": st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from(["NB1 1AA", "NB2 2BB"])), max_size=3),
        "ties": st.lists(
            st.tuples(st.sampled_from("abc"), st.sampled_from("abc"), st.sampled_from(list(RelationshipKind))).filter(
                lambda t: t[0] != t[1]
            ),
            max_size=4,
        ),
        "links": st.lists(
            st.tuples(st.sampled_from("abc"), st.sampled_from("abc")).filter(lambda t: t[0] != t[1]), max_size=3
        ),
        "disabilities": st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from(CODES)), max_size=4, unique=True),
        "contacts": st.lists(st.sets(st.sampled_from("abc"), min_size=1), max_size=2),
        "referrals": st.lists(st.sampled_from("ab"), max_size=2),
        "restricted": st.sampled_from(["", "a", "b", "ab"]),
        "survivor": st.sampled_from("ab"),
        "choices": st.fixed_dictionaries(
            {name: st.sampled_from([merging.SURVIVOR, merging.MERGED]) for name in CHOOSABLE}
        ),
        "since": st.lists(
            st.tuples(
                st.sampled_from(["address", "alias", "tie"]), st.sampled_from([merging.SURVIVOR, merging.MERGED])
            ),
            max_size=3,
        ),
    }
)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=histories)
def test_merge_then_unmerge_puts_both_records_back_exactly(
    database: Database, factory: Factory, history: dict[str, Any]
) -> None:
    officer, other_worker = _officer(factory), factory.user(Role.SOCIAL_WORKER, username=f"sw{next(_numbers)}")
    ids: dict[str, int] = {}
    with database.transaction() as s:
        for who in "ab":
            f = history[who]
            ids[who] = _person(
                s,
                f["first"],
                f["last"],
                date_of_birth=f["date_of_birth"],
                sex=f["sex"],
                nhs_number=_nhs() if f["nhs"] else None,
                notes=f["notes"],
            ).id
        ids["c"] = _person(s, "Carer", "Hart").id
        for who, first, last in history["aliases"]:
            s.add(PersonAlias(person_id=ids[who], first_name=first, last_name=last))
        for who, postcode in history["addresses"]:
            s.add(Address(person_id=ids[who], line1="1 Synthetic Street", postcode=postcode, moved_in=date(2020, 1, 1)))
        for one, other, kind in history["ties"]:
            s.add(FamilyRelationship(from_person_id=ids[one], to_person_id=ids[other], kind=kind))
        s.flush()
        for one, other in history["links"]:
            _link(s, ids[one], ids[other], officer.id)
        for who, code in history["disabilities"]:
            _disability(s, ids[who], code)
        for subjects in history["contacts"]:
            _contact(s, [ids[w] for w in sorted(subjects)])
        for who in history["referrals"]:
            _referral(s, ids[who])
        for who in history["restricted"]:
            s.add(PersonRestriction(person_id=ids[who], reason="Synthetic: a relative of a member of staff"))
            s.flush()
            s.add(PersonRestrictionGrant(person_id=ids[who], user_id=officer.id))
            if who == "b":
                s.add(PersonRestrictionGrant(person_id=ids[who], user_id=other_worker.id))
    survivor = ids[history["survivor"]]
    merged = ids["b" if history["survivor"] == "a" else "a"]
    everyone = ids.values()
    before = state(database, everyone)

    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        found = merging.merge(s, database, user, survivor, merged, history["choices"], "Synthetic: one child")
        merge_id = found.id
    with database.transaction() as s:
        # Nothing names the merged-away record but what the merge set aside (it would have named one person twice).
        set_aside = {
            (r.table_name, r.row_key)
            for r in s.scalars(select(PersonMergeRow).where(PersonMergeRow.merge_id == merge_id))
            if r.fate == RowFate.SET_ASIDE
        }
        still = {
            (ref.table.name, key_text(key_of(ref.table, row)))
            for ref in movable_references()
            for row in s.execute(select(ref.table).where(ref.names(merged))).mappings()
        }
        assert still <= set_aside, f"rows still name the merged-away record: {still - set_aside}"
    with database.transaction() as s:
        assert s.get_one(Person, merged).merged_into_id == survivor
        if history["restricted"]:
            assert s.get(PersonRestriction, survivor) is not None, "the restriction was lost in the merge"
        if "b" in history["restricted"]:
            named_on = set(
                s.scalars(select(PersonRestrictionGrant.user_id).where(PersonRestrictionGrant.person_id == survivor))
            )
            assert {officer.id, other_worker.id} <= named_on

    # Recorded on the survivor since the merge, each to go where the officer chooses.
    since: list[tuple[str, int, str]] = []
    with database.transaction() as s:
        for what, goes_to in history["since"]:
            if what == "address":
                row: Any = Address(person_id=survivor, line1="2 Later Road", postcode="NB3 3CC")
            elif what == "alias":
                row = PersonAlias(person_id=survivor, first_name="Later", last_name="Name")
            else:
                row = FamilyRelationship(from_person_id=ids["c"], to_person_id=survivor, kind=RelationshipKind.CARER)
            s.add(row)
            s.flush()
            since.append((row.__tablename__, row.id, goes_to))
    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        plan = merging.unmerge_preview(s, database, user, merge_id)
        tokens = {(item.ref.table.name, item.key.get("id")): item.token for item in plan.since}
        assert {(table, row_id) for table, row_id, _ in since} <= set(tokens)
        destinations = {tokens[(table, row_id)]: goes_to for table, row_id, goes_to in since}
        merging.unmerge(s, database, user, merge_id, "Synthetic: two children after all", destinations)

    after = state(database, everyone)
    with database.transaction() as s:
        for table, row_id, goes_to in since:
            column = "to_person_id" if table == "family_relationship" else "person_id"
            owner = s.execute(select(_table(table).c[column]).where(_table(table).c.id == row_id)).scalar_one()
            assert owner == (merged if goes_to == merging.MERGED else survivor)
    for key in before:
        table = key.split(".")[0]
        recorded_since = {r for r in after[key] if any(f"('id', {i})" in r for t, i, _g in since if t == table)}
        if key.split(".")[0] in {t for t, _i, _g in since}:
            assert after[key] - recorded_since == before[key], f"{key} differs after the unmerge"
        else:
            assert after[key] == before[key], f"{key} differs after the unmerge"


# --- collisions, restrictions, refusals ----------------------------------------------------------------------------


def test_a_tie_between_the_two_records_and_a_shared_code_stay_with_the_other_record(
    database: Database, factory: Factory
) -> None:
    officer = _officer(factory)
    with database.transaction() as s:
        a, b = _person(s, "Ava", "Stone").id, _person(s, "Ava", "Stoen").id
        s.add(FamilyRelationship(from_person_id=a, to_person_id=b, kind=RelationshipKind.SIBLING))
        _disability(s, a, "MOB")
        _disability(s, b, "MOB")
        _disability(s, b, "HAND")
    before = state(database, [a, b])
    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        plan = merging.merge_preview(s, database, user, a, b)
        notes = sorted(row.note or "" for row in plan.set_aside)
        assert notes == [
            "Both records have this child disability: the survivor's is kept and the other record's stays with it",
            "Family relationship between the two records themselves: it cannot name one person twice, so it stays "
            "with the other record",
        ]
        merge_id = merging.merge(s, database, user, a, b, KEEP, "Synthetic: one child").id
    disability = _table("child_disability")
    with database.transaction() as s:
        assert set(s.scalars(select(disability.c.code).where(disability.c.person_id == a))) == {"MOB", "HAND"}
        assert set(s.scalars(select(disability.c.code).where(disability.c.person_id == b))) == {"MOB"}
        assert [
            t.from_person_id for t in s.scalars(select(FamilyRelationship).where(FamilyRelationship.to_person_id == b))
        ] == [a]
        merging.unmerge(s, database, s.get_one(User, officer.id), merge_id, "Synthetic: two children after all")
    assert state(database, [a, b]) == before


def test_a_tie_set_aside_by_a_merge_does_not_show_the_merged_away_record_as_family(
    database: Database, factory: Factory
) -> None:
    """A tie between the two records stays with the merged-away record, and both records had the same sister: the
    merge gives her two ties to the survivor. Neither her family nor the survivor's shows the child twice, or as
    their own sibling; the unmerge gives each record its tie back."""
    from safeguarding.people.family import family_of, siblings_of

    officer = _officer(factory)
    with database.transaction() as s:
        a, b, sister = _person(s, "Ava", "Stone").id, _person(s, "Ava", "Stoen").id, _person(s, "Mia", "Stone").id
        s.add(FamilyRelationship(from_person_id=a, to_person_id=b, kind=RelationshipKind.SIBLING))
        s.add(FamilyRelationship(from_person_id=a, to_person_id=sister, kind=RelationshipKind.SIBLING))
        s.add(FamilyRelationship(from_person_id=b, to_person_id=sister, kind=RelationshipKind.SIBLING))
    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        plan = merging.merge_preview(s, database, user, a, b)
        assert len(plan.set_aside) == 1
        merge_id = merging.merge(s, database, user, a, b, KEEP, "Synthetic: one child").id
    with database.transaction() as s:
        assert [r.person_id for r in family_of(s, sister)] == [a]
        assert [r.person_id for r in family_of(s, a)] == [sister]
        assert [p.id for p in siblings_of(s, sister)] == [a]
        merging.unmerge(s, database, s.get_one(User, officer.id), merge_id, "Synthetic: two children after all")
    with database.transaction() as s:
        assert sorted(r.person_id for r in family_of(s, sister)) == sorted([a, b])
        assert sorted(p.id for p in siblings_of(s, sister)) == sorted([a, b])


def test_the_other_name_becomes_an_also_known_as_and_identifiers_move_to_the_survivor(
    database: Database, factory: Factory
) -> None:
    officer = _officer(factory)
    nhs = _nhs()
    with database.transaction() as s:
        a = _person(s, "Ava", "Stone").id
        b = _person(s, "Ava", "Stoen", nhs_number=nhs, date_of_birth=date(2015, 4, 3)).id
    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        merging.merge(s, database, user, a, b, KEEP | {"nhs_number": "merged"}, "Synthetic: one child")
    with database.transaction() as s:
        survivor = s.get_one(Person, a)
        assert survivor.nhs_number == nhs
        # Empty on the survivor, so the other record's date of birth is taken without being asked.
        assert survivor.date_of_birth == date(2015, 4, 3)
        assert ("Ava", "Stoen") in {(x.first_name, x.last_name) for x in survivor.aliases}
        assert s.get_one(Person, b).nhs_number is None


def test_a_merge_is_audited_for_both_people_with_who_and_why_and_the_log_keeps_its_person_ids(
    database: Database, factory: Factory
) -> None:
    officer = _officer(factory)
    with database.transaction() as s:
        a, b = _person(s).id, _person(s, "Ava", "Stoen").id
    with database.transaction() as s:
        merging.merge(s, database, s.get_one(User, officer.id), a, b, KEEP, "Synthetic: one child")
    with database.transaction() as s:
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "merge")))
        assert {r.person_id for r in rows} == {a, b}
        assert {r.actor_id for r in rows} == {officer.id}
        assert {r.reason for r in rows} == {"Synthetic: one child"}
        assert merging.merged_into(s, a) == [b]
        assert merging.survivor_of(s, b) == a


def test_only_a_data_quality_officer_merges_and_a_restriction_they_are_not_named_on_refuses(
    database: Database, factory: Factory
) -> None:
    officer, manager = _officer(factory), factory.user(Role.TEAM_MANAGER)
    with database.transaction() as s:
        a, b = _person(s).id, _person(s, "Ava", "Stoen").id
        s.add(PersonRestriction(person_id=b, reason="Synthetic: a relative of a member of staff"))
    for user_id in (manager.id, officer.id):
        with database.transaction() as s, pytest.raises(AccessDenied):
            merging.merge(s, database, s.get_one(User, user_id), a, b, KEEP, "Synthetic: one child")


def test_a_reason_is_required_and_a_record_cannot_be_merged_twice(database: Database, factory: Factory) -> None:
    officer = _officer(factory)
    with database.transaction() as s:
        a, b, c = _person(s).id, _person(s, "Ava", "Stoen").id, _person(s, "Ava", "Ston").id
    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        with pytest.raises(ValidationFailed) as refused:
            merging.merge(s, database, user, a, b, KEEP, "short")
        assert refused.value.errors == {
            "reason": "Give the reason these two records are one person (at least 10 characters)"
        }
        merging.merge(s, database, user, a, b, KEEP, "Synthetic: one child")
    with database.transaction() as s, pytest.raises(DomainError, match="already been merged into record"):
        merging.merge(s, database, s.get_one(User, officer.id), c, b, KEEP, "Synthetic: one child")


def test_an_earlier_merge_is_undone_only_after_a_later_one_into_the_same_record(
    database: Database, factory: Factory
) -> None:
    officer = _officer(factory)
    with database.transaction() as s:
        a, b, c = _person(s).id, _person(s, "Ava", "Stoen").id, _person(s, "Ava", "Ston").id
    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        first = merging.merge(s, database, user, a, b, KEEP, "Synthetic: one child").id
        second = merging.merge(s, database, user, a, c, KEEP, "Synthetic: one child").id
    with database.transaction() as s, pytest.raises(DomainError, match="unmerge that merge first"):
        merging.unmerge(s, database, s.get_one(User, officer.id), first, "Synthetic: two children")
    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        merging.unmerge(s, database, user, second, "Synthetic: two children")
        merging.unmerge(s, database, user, first, "Synthetic: two children")
    with database.transaction() as s:
        assert [s.get_one(Person, i).merged_into_id for i in (a, b, c)] == [None, None, None]


def _referral(s: Any, person_id: int) -> int:
    return int(
        s.execute(
            insert(_table("referral"))
            .values(person_id=person_id, referral_date=date(2026, 10, 1), referral_source="1B", route="referral")
            .returning(_table("referral").c.id)
        ).scalar_one()
    )


def test_something_recorded_since_on_a_case_that_came_from_the_other_record_goes_back_with_it(
    database: Database, factory: Factory
) -> None:
    """An assessment recorded after the merge on the other record's referral is offered back to the other record;
    an address recorded on the survivor stays with it, unless the officer chooses otherwise."""
    officer = _officer(factory)
    with database.transaction() as s:
        a, b = _person(s).id, _person(s, "Ava", "Stoen").id
        referral = _referral(s, b)
    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        merge_id = merging.merge(s, database, user, a, b, KEEP, "Synthetic: one child").id
    with database.transaction() as s:
        assert (
            s.execute(select(_table("referral").c.person_id).where(_table("referral").c.id == referral)).scalar() == a
        )
        s.execute(insert(_table("assessment")).values(person_id=a, referral_id=referral, started_on=date(2026, 11, 3)))
        s.add(Address(person_id=a, line1="3 After Street"))
    with database.transaction() as s:
        plan = merging.unmerge_preview(s, database, s.get_one(User, officer.id), merge_id)
        assert sorted((i.description, i.goes_to) for i in plan.since) == [
            ("Address", merging.SURVIVOR),
            ("Assessment, 3 November 2026", merging.MERGED),
        ]
        assert ("Referral", ["Referral, 1 October 2026"]) in plan.moving_back
        merging.unmerge(s, database, s.get_one(User, officer.id), merge_id, "Synthetic: two children after all")
    with database.transaction() as s:
        assessment = _table("assessment")
        assert s.execute(select(assessment.c.person_id).where(assessment.c.referral_id == referral)).scalar() == b
        assert s.execute(select(Address.person_id).where(Address.line1 == "3 After Street")).scalar() == a


def test_a_detail_changed_on_the_survivor_since_the_merge_is_named_before_the_unmerge_sets_it_back(
    database: Database, factory: Factory
) -> None:
    officer = _officer(factory)
    with database.transaction() as s:
        a = _person(s, "Ava", "Stone", date_of_birth=date(2015, 4, 3)).id
        b = _person(s, "Ava", "Stoen", date_of_birth=date(2015, 4, 3)).id
    with database.transaction() as s:
        merge_id = merging.merge(s, database, s.get_one(User, officer.id), a, b, KEEP, "Synthetic: one child").id
    with database.transaction() as s:
        s.get_one(Person, a).date_of_birth = date(2015, 3, 4)
    with database.transaction() as s:
        plan = merging.unmerge_preview(s, database, s.get_one(User, officer.id), merge_id)
        assert plan.changed_since == [("Date of birth", "4 March 2015", "3 April 2015")]
        merging.unmerge(s, database, s.get_one(User, officer.id), merge_id, "Synthetic: two children after all")
    with database.transaction() as s:
        assert s.get_one(Person, a).date_of_birth == date(2015, 4, 3)
