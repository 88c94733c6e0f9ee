"""Contacts routed to an allocated worker are never lost (issue 14): they appear on the worker's home page with the
day to acknowledge them by, are acknowledged with a recorded response, go visibly overdue past that day, and an
unacknowledged one appears on the worker's team manager's home page, the overdue first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core import local_settings
from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import add_working_days, today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.front_door import routing
from safeguarding.front_door.models import Contact, ContactNote, NoteKind
from tests.front_door.test_screening_helpers import Child, allocate, make_contact, make_person, rename, staff
from tests.support import Factory, sign_in_as


def _routed(database: Database, factory: Factory, first_name: str = "Amira") -> tuple[User, User, int]:
    """A contact about a child allocated to a social worker, routed by the MASH; returns worker, manager, contact."""
    mash_worker, _ = staff(factory)
    team = factory.team("Assessment West", service="assessment")
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    rename(database, worker, "Wendy Worker")
    child_id = make_person(database, mash_worker, first_name, "Testchild", date(2016, 5, 4))
    allocate(database, child_id, worker)
    contact_id = make_contact(database, children=[Child(first_name, "Testchild", date(2016, 5, 4), person_id=child_id)])
    with database.transaction() as s:
        routing.route_to_allocated_worker(s, database, mash_worker, contact_id)
    return worker, manager, contact_id


def _later(monkeypatch: pytest.MonkeyPatch, days: int) -> date:
    """Move "today" on, as the routed lists read it."""
    moved = today_in_london() + timedelta(days=days)
    monkeypatch.setattr(routing, "today_in_london", lambda: moved)
    return moved


def test_routing_sets_the_day_to_acknowledge_by_in_working_days(database: Database, factory: Factory) -> None:
    with database.transaction() as s:
        local_settings.put(s, "routing.acknowledge.working_days", 2, None)
    _worker, _manager, contact_id = _routed(database, factory)
    with database.transaction() as s:
        contact = s.get_one(Contact, contact_id)
        assert contact.routed_at is not None
        assert contact.acknowledge_by == add_working_days(today_in_london(), 2)


def test_a_routed_contact_is_on_the_workers_home_page_with_its_deadline_and_is_acknowledged_with_a_response(
    client: TestClient, database: Database, factory: Factory
) -> None:
    worker, _manager, contact_id = _routed(database, factory)
    with database.transaction() as s:
        due = s.get_one(Contact, contact_id).acknowledge_by
    assert due is not None
    token = sign_in_as(client, database, worker)
    assert client.get("/", follow_redirects=False).headers["location"] == "/home"
    home = client.get("/home")
    assert home.status_code == 200
    assert Contact.reference_of(contact_id) in home.text and ">New</strong>" in home.text
    assert f"{due.day} {due:%b}" in home.text  # the day to acknowledge by ("3 Nov" or "3 November")
    # Same-named children are told apart: the date of birth and age are shown.
    assert "Amira Testchild" in home.text and "Born 4 May 2016 (age" in home.text
    assert 'govuk-tag--red">Overdue' not in home.text

    # Acknowledging needs what was done; no further action needs its reason.
    page = client.post(f"/mash/contacts/{contact_id}/respond", data={"csrf_token": token, "respond": "acknowledge"})
    assert page.status_code == 422 and "Select what you did about this contact" in page.text
    page = client.post(
        f"/mash/contacts/{contact_id}/respond",
        data={"csrf_token": token, "respond": "acknowledge", "response": "no_further_action"},
    )
    assert page.status_code == 422 and "Enter the reason for no further action" in page.text
    done = client.post(
        f"/mash/contacts/{contact_id}/respond",
        data={
            "csrf_token": token,
            "respond": "acknowledge",
            "response": "no_further_action",
            "response_detail": "Already known: the school's worry is covered by the current plan.",
        },
    )
    assert done.status_code == 303
    with database.transaction() as s:
        note = s.scalars(select(ContactNote).where(ContactNote.kind == NoteKind.ACKNOWLEDGED)).one()
        assert note.response == "no_further_action" and "covered by the current plan" in note.text
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "acknowledge")).one()
        assert '"response": "no_further_action"' in (audit.detail or "")
    after = client.get("/home").text
    assert ">New</strong>" not in after and "No further action" in after


def test_an_unacknowledged_contact_goes_overdue_and_reaches_the_team_managers_home_page(
    client: TestClient, database: Database, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker, manager, contact_id = _routed(database, factory)
    with database.transaction() as s:
        due = s.get_one(Contact, contact_id).acknowledge_by
    assert due is not None
    sign_in_as(client, database, manager)
    on_time = client.get("/home").text
    assert Contact.reference_of(contact_id) in on_time and "Wendy Worker" in on_time
    assert 'govuk-tag--red">Overdue' not in on_time.split('id="awaiting-heading"')[0]

    _later(monkeypatch, (due - today_in_london()).days + 1)
    late = client.get("/home").text
    routed_part = late.split('id="awaiting-heading"')[0]
    assert Contact.reference_of(contact_id) in routed_part and 'govuk-tag--red">Overdue' in routed_part
    client.cookies.clear()
    sign_in_as(client, database, worker)
    assert 'govuk-tag--red">Overdue' in client.get("/home").text.split('id="due-heading"')[0]


def test_the_overdue_come_first_and_an_acknowledged_contact_leaves_the_managers_list(
    database: Database, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker, manager, first = _routed(database, factory)
    with database.transaction() as s:
        # An older contact, routed two weeks ago and never acknowledged.
        older = s.get_one(Contact, first)
        older.acknowledge_by = today_in_london() - timedelta(days=14)
    mash_worker, _ = staff(factory)
    child_id = make_person(database, mash_worker, "Bea", "Testchild", date(2015, 1, 2))
    allocate(database, child_id, worker)
    second = make_contact(database, children=[Child("Bea", "Testchild", date(2015, 1, 2), person_id=child_id)])
    with database.transaction() as s:
        routing.route_to_allocated_worker(s, database, mash_worker, second)
    with database.transaction() as s:
        rows = routing.team_unacknowledged(s, database, s.get_one(User, manager.id))
        assert [r.contact.id for r in rows] == [first, second]
        assert [r.overdue for r in rows] == [True, False]
    with database.transaction() as s:
        routing.respond_to_routed(
            s, database, s.get_one(User, worker.id), first, acknowledge=True, note=None, response="visit_arranged"
        )
    with database.transaction() as s:
        rows = routing.team_unacknowledged(s, database, s.get_one(User, manager.id))
        assert [r.contact.id for r in rows] == [second]
        mine = routing.my_contacts(s, database, s.get_one(User, worker.id))
        assert [r.contact.id for r in mine] == [second, first]  # unacknowledged first
        assert mine[1].response == "Visit arranged" and not mine[1].overdue


def test_same_named_children_are_told_apart_on_the_queue_and_the_routed_lists_by_where_they_live(
    client: TestClient, database: Database, factory: Factory
) -> None:
    """The postcode district comes from the contact as the reporter gave it (its own row: no query a child)."""
    mash_worker, _ = staff(factory)
    worker, manager, _contact_id = _routed(database, factory)
    twins_of_name = [
        Child("Jordan", "Smith", date(2012, 11, 3), postcode="ls8 2ab"),
        Child("Jordan", "Smith", date(2012, 11, 3), postcode="YO1 7HH"),
        Child("Jordan", "Smith", date(2012, 11, 3)),
    ]
    make_contact(database, children=twins_of_name)
    sign_in_as(client, database, mash_worker)
    queue_page = client.get("/mash/queue").text
    assert queue_page.count("Born 3 November 2012 (age") == 3
    assert "address in LS8" in queue_page and "address in YO1" in queue_page and "no address recorded" in queue_page
    sign_in_as(client, database, worker)
    assert "Born 4 May 2016 (age" in client.get("/home").text
    sign_in_as(client, database, manager)
    assert "Born 4 May 2016 (age" in client.get("/home").text
