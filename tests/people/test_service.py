"""The people service as other parts of the system and its pages use it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from safeguarding.core import access
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, Conflict, ValidationFailed
from safeguarding.core.users import Role, User
from safeguarding.people import family, records, restriction, search, viewing
from safeguarding.people.inputs import AddressInput, AliasInput, PersonInput, SearchQuery
from safeguarding.people.models import Address, Person, PersonAlias
from tests.people.conftest import People, valid_nhs, valid_upn
from tests.support import Factory


def _count(database: Database, model: type[Any]) -> int:
    with database.transaction() as s:
        return s.scalars(select(func.count()).select_from(model)).one()


def _audit(database: Database, action: str) -> list[AuditEvent]:
    with database.transaction() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _search(database: Database, user: User, **terms: Any) -> list[tuple[int, tuple[str, ...], str | None]]:
    with database.transaction() as s:
        results = search.search(s, database, user, SearchQuery(**terms))
        return [(c.person_id, c.reasons, c.person.full_name if c.person else None) for c in results]


# --- create and validation -------------------------------------------------------------------------------------------


def test_create_keeps_identifiers_in_stored_form_and_is_audited(database: Database, worker: User) -> None:
    data = PersonInput(
        first_name="  Amara  ",
        last_name="Okafor",
        date_of_birth=date(2016, 6, 1),
        sex="F",
        ethnicity="BAFR",
        nhs_number="943 476 5919",
        upn=valid_upn(5).lower(),
        aliases=[AliasInput("Mara", "Okafor")],
        address=AddressInput(line1="2 Oak Road", postcode="b33 8th", moved_in=date(2020, 1, 1)),
    )
    with database.transaction() as s:
        person = records.create_person(s, database, worker, data)
        person_id = person.id
    with database.transaction() as s:
        stored = s.get_one(Person, person_id)
        assert stored.first_name == "Amara"
        assert stored.nhs_number == "9434765919"
        assert stored.upn == valid_upn(5)
        assert stored.la_child_id is not None
        assert stored.la_child_id.startswith("SG") and len(stored.la_child_id) == 14
        assert stored.version == 1
        assert stored.current_address is not None and stored.current_address.postcode == "B33 8TH"
        assert [a.first_name for a in stored.aliases] == ["Mara"]
        assert stored.last_name_sound == "OKFR"
    [event] = _audit(database, "create")
    assert event.person_id == person_id and event.actor_id == worker.id


def test_every_bad_field_is_named_and_nothing_is_written(database: Database, worker: User) -> None:
    data = PersonInput(
        first_name="",
        last_name="x" * 101,
        sex="Q",
        ethnicity="NOPE",
        nhs_number="1234567890",
        upn="A123",
        date_of_birth=date.today() + timedelta(days=3),
        aliases=[AliasInput("", "Z" * 101)],
        address=AddressInput(line1="", postcode="NOT A POSTCODE"),
    )
    with database.transaction() as s, pytest.raises(ValidationFailed) as failure:
        records.create_person(s, database, worker, data)
    errors = failure.value.errors
    assert errors["first_name"] == "Enter the first name"
    assert errors["last_name"] == "Last name must be 100 characters or fewer"
    assert "sex" in errors and "ethnicity" in errors
    assert errors["nhs_number"].startswith("NHS number is not valid")
    assert errors["upn"].startswith("UPN must be 13 characters")
    assert errors["date_of_birth"] == "Date of birth must be today or in the past"
    assert "aliases.0.first_name" in errors and "aliases.0.last_name" in errors
    assert errors["address.line1"] == "Enter the first line of the address"
    assert errors["address.postcode"].startswith("Postcode must be a UK postcode")
    assert _count(database, Person) == 0 and _count(database, Address) == 0 and _count(database, PersonAlias) == 0
    assert _audit(database, "create") == []


def test_duplicate_nhs_number_names_the_existing_person_to_someone_who_may_see_them(
    database: Database, worker: User, people: People
) -> None:
    existing = people.add("Leo", "Hart", nhs_number=valid_nhs(11))
    with database.transaction() as s, pytest.raises(ValidationFailed) as failure:
        records.create_person(s, database, worker, PersonInput(first_name="L", last_name="H", nhs_number=valid_nhs(11)))
    assert "Leo Hart" in failure.value.errors["nhs_number"]
    assert f"record {existing.id}" in failure.value.errors["nhs_number"]


def test_duplicate_upn_on_a_restricted_record_does_not_name_them(
    database: Database, worker: User, manager: User, people: People
) -> None:
    existing = people.add("Nadia", "Rahman", upn=valid_upn(77))
    with database.transaction() as s:
        restriction.restrict(s, database, manager, existing.id, "Relative of a member of staff", [])
    with database.transaction() as s, pytest.raises(ValidationFailed) as failure:
        records.create_person(s, database, worker, PersonInput(first_name="N", last_name="R", upn=valid_upn(77)))
    message = failure.value.errors["upn"]
    assert "restricted record" in message and "Nadia" not in message and "Rahman" not in message


def test_partner_practitioners_may_not_create_people(database: Database, factory: Factory) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    with database.transaction() as s, pytest.raises(AccessDenied):
        records.create_person(s, database, partner, PersonInput(first_name="A", last_name="B"))
    [refusal] = _audit(database, "create")
    assert refusal.outcome == "refused"


def test_stale_version_is_refused_and_nothing_changes(database: Database, worker: User, people: People) -> None:
    person = people.add("Ruby", "Stone")
    with database.transaction() as s:
        records.update_person(s, database, worker, person.id, 1, PersonInput(first_name="Rubi", last_name="Stone"))
    with database.transaction() as s, pytest.raises(Conflict):
        records.update_person(s, database, worker, person.id, 1, PersonInput(first_name="Roo", last_name="Stone"))
    with database.transaction() as s:
        stored = s.get_one(Person, person.id)
        assert stored.first_name == "Rubi" and stored.version == 2
        assert stored.first_name_key == "rubi"


# --- addresses and aliases -------------------------------------------------------------------------------------------


def test_moving_house_closes_the_old_address(database: Database, worker: User, people: People) -> None:
    person = people.add("Ivy", "Lane", postcode="M1 1AE")
    with database.transaction() as s:
        records.add_address(
            s,
            database,
            worker,
            person.id,
            AddressInput(line1="9 New Street", postcode="m11ae", moved_in=date(2024, 5, 1)),
        )
    with database.transaction() as s:
        stored = s.get_one(Person, person.id)
        history = records.address_history(stored)
        assert [a.line1 for a in history] == ["9 New Street", "1 Test Street"]
        assert history[1].moved_out == date(2024, 5, 1) and history[0].moved_out is None
        assert stored.current_address is not None and stored.current_address.line1 == "9 New Street"


def test_alias_add_and_remove(database: Database, worker: User, people: People) -> None:
    person = people.add("Kai", "Moss")
    with database.transaction() as s:
        alias = records.add_alias(s, database, worker, person.id, "K", "Walker")
        alias_id = alias.id
    assert [c[0] for c in _search(database, worker, last_name="Walker")] == [person.id]
    with database.transaction() as s:
        records.remove_alias(s, database, worker, person.id, alias_id)
    assert _search(database, worker, last_name="Walker") == []


# --- search ----------------------------------------------------------------------------------------------------------


def test_search_finds_misspelt_names(database: Database, worker: User, people: People) -> None:
    john = people.add("John", "Smith")
    people.add("Aisha", "Khan")
    results = _search(database, worker, first_name="Jon", last_name="Smyth")
    assert [r[0] for r in results] == [john.id]
    assert "name sounds like" in results[0][1]


def test_search_finds_transposed_names(database: Database, worker: User, people: People) -> None:
    john = people.add("John", "Smith")
    results = _search(database, worker, first_name="Smith", last_name="John")
    assert results[0][0] == john.id and "names transposed" in results[0][1]


def test_search_by_nhs_number_alone_and_ranked_first(database: Database, worker: User, people: People) -> None:
    other = people.add("Sam", "Reed", nhs_number=valid_nhs(3))
    target = people.add("Sam", "Reid", nhs_number=valid_nhs(200))
    results = _search(database, worker, first_name="Sam", last_name="Reed", nhs_number=valid_nhs(200))
    assert results[0][0] == target.id and "NHS number matches" in results[0][1]
    assert other.id in [r[0] for r in results]
    assert [r[0] for r in _search(database, worker, nhs_number=valid_nhs(200))] == [target.id]


def test_search_by_postcode_and_date_of_birth(database: Database, worker: User, people: People) -> None:
    here = people.add("Ada", "Wu", postcode="CR2 6XH", date_of_birth=date(2012, 2, 2))
    people.add("Ben", "Wu", postcode="SW1A 1AA", date_of_birth=date(2013, 3, 3))
    assert [r[0] for r in _search(database, worker, postcode="cr26xh")] == [here.id]
    results = _search(database, worker, date_of_birth=date(2012, 2, 2), postcode="CR2 6XH")
    assert results[0][0] == here.id and set(results[0][1]) == {"same date of birth", "same postcode"}


def test_search_finds_people_by_their_other_names(database: Database, worker: User, people: People) -> None:
    person = people.add("Jasmine", "Cole", aliases=(("Jaz", "Price"),))
    results = _search(database, worker, first_name="Jaz", last_name="Price")
    assert results[0][0] == person.id and "matches a name they are also known by" in results[0][1]


def test_search_is_audited_with_its_terms(database: Database, worker: User, people: People) -> None:
    people.add("John", "Smith")
    _search(database, worker, first_name="Jon", last_name="Smyth")
    [event] = _audit(database, "search")
    assert '"last_name": "Smyth"' in event.detail and '"results": 1' in event.detail


def test_restricted_people_appear_only_as_restricted_records(
    database: Database, worker: User, manager: User, factory: Factory, people: People
) -> None:
    hidden = people.add("Olivia", "Grant", nhs_number=valid_nhs(55))
    with database.transaction() as s:
        restriction.restrict(s, database, manager, hidden.id, "Child of a council employee", [])
    # A search by name alone says nothing about a restricted record, not even that one has a similar name.
    assert _search(database, worker, first_name="Olivia", last_name="Grant") == []
    # A search that identifies it (NHS number, or name and date of birth) says a restricted record matches.
    [(_person_id, reasons, name)] = _search(database, worker, nhs_number=valid_nhs(55))
    assert name is None and reasons == (search.RESTRICTED_MATCH,)
    [(_person_id, reasons, name)] = _search(
        database, worker, first_name="olivia", last_name="GRANT", date_of_birth=date(2015, 3, 14)
    )
    assert name is None and reasons == (search.RESTRICTED_MATCH,)
    # The manager who restricted it is named on the restriction and sees the name.
    [(_, _, name)] = _search(database, manager, first_name="Olivia", last_name="Grant")
    assert name == "Olivia Grant"


def test_find_candidates_marks_restriction_for_the_caller(
    database: Database, manager: User, worker: User, people: People
) -> None:
    person = people.add("Theo", "Banks")
    with database.transaction() as s:
        restriction.restrict(s, database, manager, person.id, "Relative of a member of staff", [])
    with database.transaction() as s:
        [candidate] = search.find_candidates(
            s, first_name="Theo", last_name="Banks", date_of_birth=date(2015, 3, 14), nhs_number=None, postcode=None
        )
        assert candidate.restricted and candidate.identified
        [shown] = search.visible_to(s, worker, [candidate])
        assert shown.hidden and shown.score == 0


def test_exact_matches_by_nhs_or_name_and_birthday(database: Database, people: People) -> None:
    person = people.add("Zoë", "O'Neill", nhs_number=valid_nhs(9), date_of_birth=date(2018, 8, 8))
    with database.transaction() as s:
        assert [p.id for p in search.exact_matches(s, nhs_number=valid_nhs(9))] == [person.id]
        assert [
            p.id for p in search.exact_matches(s, first_name="zoe", last_name="oneill", date_of_birth=date(2018, 8, 8))
        ] == [person.id]
        assert search.exact_matches(s, first_name="zoe", last_name="oneill", date_of_birth=date(2018, 8, 9)) == []
        assert search.exact_matches(s) == []


# --- family ----------------------------------------------------------------------------------------------------------


def test_relationships_read_both_ways(database: Database, worker: User, people: People) -> None:
    mum = people.add("Grace", "Hill", date_of_birth=date(1990, 1, 1), kind="adult")
    child = people.add("Ella", "Hill", date_of_birth=date(2015, 1, 1))
    brother = people.add("Max", "Hill", date_of_birth=date(2017, 1, 1))
    with database.transaction() as s:
        family.add_relationship(s, database, worker, child.id, mum.id, "parent")
        family.add_relationship(s, database, worker, brother.id, child.id, "sibling")
        family.add_relationship(s, database, worker, mum.id, brother.id, "child")
    with database.transaction() as s:
        assert {(r.person_id, r.label) for r in family.family_of(s, child.id)} == {
            (mum.id, "parent of"),
            (brother.id, "sibling"),
        }
        assert {(r.person_id, r.label) for r in family.family_of(s, mum.id)} == {
            (child.id, "child of"),
            (brother.id, "child of"),
        }
        assert {(r.person_id, r.label) for r in family.family_of(s, brother.id)} == {
            (child.id, "sibling"),
            (mum.id, "parent of"),
        }
        assert [p.id for p in family.siblings_of(s, child.id)] == [brother.id]


def test_an_ended_tie_can_be_restored_unless_recorded_again(database: Database, worker: User, people: People) -> None:
    child = people.add("Ella", "Hill", date_of_birth=date(2015, 1, 1))
    brother = people.add("Max", "Hill", date_of_birth=date(2017, 1, 1))
    with database.transaction() as s:
        tie_id = family.add_relationship(s, database, worker, child.id, brother.id, "sibling").id
    with database.transaction() as s, pytest.raises(ValidationFailed):
        family.restore_relationship(s, database, worker, child.id, tie_id)  # not ended: nothing to undo
    with database.transaction() as s:
        family.end_relationship(s, database, worker, child.id, tie_id, date(2026, 1, 5))
    with database.transaction() as s:
        assert family.siblings_of(s, child.id) == []
        family.restore_relationship(s, database, worker, brother.id, tie_id)
    with database.transaction() as s:
        assert [p.id for p in family.siblings_of(s, child.id)] == [brother.id]
        restored = s.scalars(select(AuditEvent).where(AuditEvent.action == "restore_relationship")).all()
        assert {e.person_id for e in restored} == {child.id, brother.id}
        family.end_relationship(s, database, worker, child.id, tie_id, date(2026, 1, 5))
    with database.transaction() as s:
        family.add_relationship(s, database, worker, child.id, brother.id, "sibling")
    with database.transaction() as s, pytest.raises(ValidationFailed) as refused:
        family.restore_relationship(s, database, worker, child.id, tie_id)
    assert "recorded again" in refused.value.errors["ended"]


def test_a_symmetric_tie_is_stored_once_and_contradictions_refused(
    database: Database, worker: User, people: People
) -> None:
    a = people.add("Ann", "Lee", date_of_birth=date(2010, 1, 1))
    b = people.add("Bob", "Lee", date_of_birth=date(2012, 1, 1))
    with database.transaction() as s:
        family.add_relationship(s, database, worker, a.id, b.id, "half_sibling")
    with database.transaction() as s, pytest.raises(ValidationFailed) as failure:
        family.add_relationship(s, database, worker, b.id, a.id, "half_sibling")
    assert failure.value.errors["relation"] == "This relationship is already recorded"
    with database.transaction() as s, pytest.raises(ValidationFailed) as failure:
        family.add_relationship(s, database, worker, a.id, b.id, "parent")  # b is parent of a: b is younger
    assert "born before" in failure.value.errors["relation"]
    with database.transaction() as s, pytest.raises(ValidationFailed):
        family.add_relationship(s, database, worker, a.id, a.id, "sibling")


# --- viewing and restriction ---------------------------------------------------------------------------------------


def test_viewing_is_audited_and_restriction_refuses_with_break_glass_possible(
    database: Database, worker: User, manager: User, people: People
) -> None:
    person = people.add("Noah", "Quinn")
    with database.transaction() as s:
        record = viewing.view_person(s, database, worker, person.id)
        assert record.person.full_name == "Noah Quinn"
    assert [e.person_id for e in _audit(database, "view")] == [person.id]
    with database.transaction() as s:
        restriction.restrict(s, database, manager, person.id, "Relative of a member of staff", [])
    with database.transaction() as s, pytest.raises(AccessDenied) as refused:
        viewing.view_person(s, database, worker, person.id)
    assert refused.value.decision.break_glass_possible  # type: ignore[attr-defined]  # set by access.require
    with database.transaction() as s:
        restriction.break_glass(s, database, worker, person.id, "Police at the door with the child now")
    with database.transaction() as s:
        assert viewing.view_person(s, database, worker, person.id).restriction is not None
    [event] = _audit(database, "break_glass")
    assert event.actor_id == worker.id and "Police" in (event.reason or "")


def test_named_users_may_open_and_lifting_opens_to_all(
    database: Database, worker: User, manager: User, factory: Factory, people: People
) -> None:
    person = people.add("Mia", "Ford")
    social_worker = factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s:
        restriction.restrict(s, database, manager, person.id, "Relative of a member of staff", [social_worker.id])
    with database.transaction() as s:
        assert records.may_open(s, social_worker, person.id)
        assert not records.may_open(s, worker, person.id)
    with database.transaction() as s, pytest.raises(ValidationFailed):
        restriction.lift_restriction(s, database, manager, person.id, "")
    with database.transaction() as s:
        restriction.lift_restriction(s, database, manager, person.id, "Staff member has left the council")
    with database.transaction() as s:
        assert records.may_open(s, worker, person.id)
        assert access.restricted_among(s, [person.id]) == set()


def test_only_managers_restrict(database: Database, worker: User, people: People) -> None:
    person = people.add("Lily", "Marsh")
    with database.transaction() as s, pytest.raises(AccessDenied):
        restriction.restrict(s, database, worker, person.id, "Because I would like to", [])


def test_siblings_include_children_of_the_same_recorded_parent(
    database: Database, worker: User, people: People
) -> None:
    dad = people.add("Tom", "Vale", kind="adult", date_of_birth=date(1985, 1, 1))
    first = people.add("Ava", "Vale", date_of_birth=date(2012, 1, 1))
    second = people.add("Eli", "Vale", date_of_birth=date(2014, 1, 1))
    people.add("Unrelated", "Vale", date_of_birth=date(2013, 1, 1))
    with database.transaction() as s:
        family.add_relationship(s, database, worker, first.id, dad.id, "parent")
        family.add_relationship(s, database, worker, dad.id, second.id, "child")
    with database.transaction() as s:
        assert [p.id for p in family.siblings_of(s, first.id)] == [second.id]
        assert [p.id for p in family.siblings_of(s, second.id)] == [first.id]


def test_a_restricted_relative_is_not_named_on_the_family_list(
    database: Database, worker: User, manager: User, people: People
) -> None:
    child = people.add("Ella", "Hill", date_of_birth=date(2015, 1, 1))
    aunt = people.add("Secret", "Relative", kind="adult", date_of_birth=date(1980, 1, 1))
    with database.transaction() as s:
        family.add_relationship(s, database, worker, child.id, aunt.id, "household_member")
        restriction.restrict(s, database, manager, aunt.id, "Relative of a member of staff", [])
    with database.transaction() as s:
        [relative] = viewing.view_person(s, database, worker, child.id).family
        assert relative.person is None and relative.label == "household member"
    with database.transaction() as s:
        [relative] = viewing.view_person(s, database, manager, child.id).family
        assert relative.person is not None and relative.person.full_name == "Secret Relative"


def test_an_unborn_child_has_an_expected_date_and_sex_unknown(database: Database, worker: User) -> None:
    due = date.today() + timedelta(days=90)
    with database.transaction() as s, pytest.raises(ValidationFailed) as failure:
        records.create_person(
            s, database, worker, PersonInput(first_name="Baby", last_name="Unborn", expected_date_of_birth=due, sex="F")
        )
    assert "sex" in failure.value.errors
    with database.transaction() as s:
        person = records.create_person(
            s, database, worker, PersonInput(first_name="Baby", last_name="Unborn", expected_date_of_birth=due, sex="U")
        )
        assert person.expected_date_of_birth == due
    with database.transaction() as s, pytest.raises(ValidationFailed) as failure:
        records.create_person(
            s,
            database,
            worker,
            PersonInput(first_name="Adult", last_name="Unborn", kind="adult", expected_date_of_birth=due),
        )
    assert failure.value.errors["expected_date_of_birth"] == "Only an unborn child has an expected date of birth"


def test_upn_and_reason_unknown_are_not_both_given(database: Database, worker: User) -> None:
    with database.transaction() as s, pytest.raises(ValidationFailed) as failure:
        records.create_person(
            s, database, worker, PersonInput(first_name="A", last_name="B", upn=valid_upn(3), upn_unknown="UN1")
        )
    assert "upn_unknown" in failure.value.errors


def test_a_move_cannot_predate_the_current_address(database: Database, worker: User, people: People) -> None:
    person = people.add("Ivy", "Lane")
    with database.transaction() as s:
        records.add_address(s, database, worker, person.id, AddressInput(line1="1 First St", moved_in=date(2023, 1, 1)))
    with database.transaction() as s, pytest.raises(ValidationFailed) as failure:
        records.add_address(
            s, database, worker, person.id, AddressInput(line1="2 Second St", moved_in=date(2022, 1, 1))
        )
    assert "1 January 2023" in failure.value.errors["moved_in"]


def test_restricting_names_only_staff(database: Database, manager: User, factory: Factory, people: People) -> None:
    person = people.add("Lily", "Marsh")
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    with database.transaction() as s, pytest.raises(ValidationFailed) as failure:
        restriction.restrict(s, database, manager, person.id, "Relative of a member of staff", [partner.id])
    assert failure.value.errors["named_user_ids"] == "Name only active staff users"
    with database.transaction() as s:
        assert access.restricted_among(s, [person.id]) == set()


def test_an_identifier_recorded_by_someone_else_meanwhile_is_a_conflict(
    database: Database, worker: User, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    people.add("Leo", "Hart", nhs_number=valid_nhs(11))
    # The other worker's record lands between our duplicate check and our write: the check sees nothing.
    monkeypatch.setattr(records, "_identifier_owner", lambda *args, **kwargs: None)
    with pytest.raises(Conflict), database.transaction() as s:
        records.create_person(
            s, database, worker, PersonInput(first_name="Leo", last_name="Hart", nhs_number=valid_nhs(11))
        )
    assert _count(database, Person) == 1
