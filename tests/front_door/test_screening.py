"""Screening: RAG deadlines across weekends and bank holidays, re-rating history, the queue's order, filters and
paging, linking children to people, their history, and open-case routing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select, text

from safeguarding.casework import referrals as casework
from safeguarding.core import local_settings
from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import LONDON, _office_hours_by_day, is_working_day, working_hours_between
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, Conflict, ValidationFailed
from safeguarding.core.local_settings import DEFINITIONS
from safeguarding.core.users import Role
from safeguarding.front_door import rules
from safeguarding.front_door.contact_record import view_contact
from safeguarding.front_door.linking import create_person_for, link_person
from safeguarding.front_door.models import Contact, ContactStatus, Rag, RagRating
from safeguarding.front_door.queue import PAGE_SIZE, queue
from safeguarding.front_door.rating import rate
from safeguarding.front_door.routing import my_contacts, respond_to_routed, route_to_allocated_worker
from safeguarding.people.listing import RESTRICTED
from tests.front_door.test_screening_helpers import (
    Child,
    allocate,
    london,
    make_contact,
    make_person,
    make_siblings,
    staff,
)
from tests.support import Factory

DEFAULTS = {key: d.default for key, d in DEFINITIONS.items()}


# --- deadline rules ----------------------------------------------------------------------------------------------


def test_red_received_friday_afternoon_is_due_monday_midday() -> None:
    # Friday 14 Nov 2025 16:00: one working hour on Friday, three on Monday morning.
    due = rules.rag_deadline(london(2025, 11, 14, 16, 0), Rag.RED, DEFAULTS)
    assert due.astimezone(LONDON) == london(2025, 11, 17, 12, 0)


def test_red_received_christmas_eve_skips_christmas_boxing_day_and_the_weekend() -> None:
    # Wednesday 24 Dec 2025 15:00: two hours that day; 25 and 26 Dec are bank holidays, 27-28 the weekend.
    due = rules.rag_deadline(london(2025, 12, 24, 15, 0), Rag.RED, DEFAULTS)
    assert due.astimezone(LONDON) == london(2025, 12, 29, 11, 0)


def test_amber_is_24_working_hours() -> None:
    # Friday 19 Dec 2025 10:00: 7 h Friday, 8 h Monday, 8 h Tuesday, the last hour on Christmas Eve morning.
    due = rules.rag_deadline(london(2025, 12, 19, 10, 0), Rag.AMBER, DEFAULTS)
    assert due.astimezone(LONDON) == london(2025, 12, 24, 10, 0)


def test_green_is_72_calendar_hours_by_default() -> None:
    received = london(2025, 12, 24, 15, 0)
    assert rules.rag_deadline(received, Rag.GREEN, DEFAULTS) == received + timedelta(hours=72)


def test_unrated_contact_on_a_saturday_is_due_at_close_on_monday() -> None:
    due = rules.rag_deadline(london(2025, 12, 27, 11, 0), None, DEFAULTS)
    assert due.astimezone(LONDON) == london(2025, 12, 29, 17, 0)


def test_received_overnight_red_clock_starts_at_opening() -> None:
    due = rules.rag_deadline(london(2025, 11, 18, 22, 30), Rag.RED, DEFAULTS)
    assert due.astimezone(LONDON) == london(2025, 11, 19, 13, 0)


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)
office = st.tuples(st.integers(6, 10), st.integers(15, 20))


@settings(max_examples=300, deadline=None)
@given(received=moments, rag=st.sampled_from([None, *Rag]), hours=office)
def test_due_at_is_never_before_received(received: datetime, rag: Rag | None, hours: tuple[int, int]) -> None:
    values = DEFAULTS | {"office.opens": f"{hours[0]:02d}:00", "office.closes": f"{hours[1]:02d}:00"}
    assert rules.rag_deadline(received, rag, values) >= received


@settings(max_examples=300, deadline=None)
@given(
    received=moments,
    rag=st.sampled_from([Rag.RED, Rag.AMBER]),
    hours=office,
    length=st.floats(min_value=0.5, max_value=200),
)
def test_working_time_deadlines_land_in_office_hours_on_a_working_day(
    received: datetime, rag: Rag, hours: tuple[int, int], length: float
) -> None:
    values = DEFAULTS | {
        "office.opens": f"{hours[0]:02d}:00",
        "office.closes": f"{hours[1]:02d}:00",
        f"rag.{rag.value}.hours": length,
    }
    due = rules.rag_deadline(received, rag, values).astimezone(LONDON)
    assert is_working_day(due.date())
    assert time(hours[0], 0) < due.time() <= time(hours[1], 0)


@settings(max_examples=200, deadline=None)
@given(received=moments, hours=office)
def test_partner_check_deadline_lands_in_office_hours(received: datetime, hours: tuple[int, int]) -> None:
    values = DEFAULTS | {"office.opens": f"{hours[0]:02d}:00", "office.closes": f"{hours[1]:02d}:00"}
    due = rules.partner_check_deadline(received, values).astimezone(LONDON)
    assert due > received and is_working_day(due.date()) and time(hours[0]) < due.time() <= time(hours[1])


@given(st.text(max_size=200))
def test_rationale_rule_accepts_only_sentences(text_value: str) -> None:
    problem = rules.rationale_problem(text_value)
    words = text_value.split()
    if len(words) >= rules.RATIONALE_MIN_WORDS and len(" ".join(words)) >= rules.RATIONALE_MIN_CHARS:
        assert problem is None
    else:
        assert problem is not None and "rationale" in problem


# --- rating ------------------------------------------------------------------------------------------------------


def test_re_rating_keeps_history_and_resets_the_deadline_from_receipt(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    received = london(2025, 11, 14, 16, 0)
    contact_id = make_contact(database, received_at=received)
    with database.transaction() as s:
        rate(s, database, worker, contact_id, "amber", "Neglect concerns but child seen safe today.")
    with database.transaction() as s:
        rate(s, database, worker, contact_id, "red", "Police now report a disclosure of an assault.")
    with database.transaction() as s:
        contact = s.get_one(Contact, contact_id)
        assert contact.rag == Rag.RED
        assert contact.status == ContactStatus.IN_SCREENING
        assert contact.due_at.astimezone(LONDON) == london(2025, 11, 17, 12, 0)
        history = s.scalars(select(RagRating).where(RagRating.contact_id == contact_id).order_by(RagRating.id))
        assert [(r.rating, r.due_at.astimezone(LONDON)) for r in history] == [
            (Rag.AMBER, london(2025, 11, 19, 16, 0)),
            (Rag.RED, london(2025, 11, 17, 12, 0)),
        ]
        audited = s.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "contact")).all()
        assert audited.count("rate") == 2


def test_rating_needs_a_rating_and_a_rationale_and_writes_nothing_otherwise(
    database: Database, factory: Factory
) -> None:
    worker, _ = staff(factory)
    contact_id = make_contact(database)
    with database.transaction() as s, pytest.raises(ValidationFailed) as failed:
        rate(s, database, worker, contact_id, "purple", "ok")
    assert set(failed.value.errors) == {"rating", "rating_rationale"}
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(RagRating)) == 0
        assert s.get_one(Contact, contact_id).rag is None


def test_a_decided_contact_cannot_be_re_rated(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    contact_id = make_contact(database, status=ContactStatus.DECIDED)
    with database.transaction() as s, pytest.raises(Conflict):
        rate(s, database, worker, contact_id, "red", "Police now report a disclosure of an assault.")


def test_social_workers_cannot_rate(database: Database, factory: Factory) -> None:
    contact_id = make_contact(database)
    social_worker = factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s, pytest.raises(AccessDenied):
        rate(s, database, social_worker, contact_id, "red", "Police report a disclosure of an assault.")


# --- the queue ---------------------------------------------------------------------------------------------------


def test_queue_is_in_deadline_order_with_only_open_contacts(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    base = datetime.now(UTC) - timedelta(days=2)
    later = make_contact(database, received_at=base, due_at=base + timedelta(hours=30))
    first = make_contact(database, received_at=base, rag=Rag.RED, due_at=base + timedelta(hours=1))
    middle = make_contact(
        database, received_at=base, status=ContactStatus.IN_SCREENING, due_at=base + timedelta(hours=5)
    )
    make_contact(database, received_at=base, status=ContactStatus.DECIDED, due_at=base)
    make_contact(database, received_at=base, status=ContactStatus.AWAITING_SIGN_OFF, due_at=base)
    make_contact(database, received_at=base, status=ContactStatus.ROUTED_TO_ALLOCATED_WORKER, due_at=base)
    with database.transaction() as s:
        page = queue(s, database, worker)
        assert [r.contact.id for r in page.rows] == [first, middle, later]
        assert page.total == 3
        assert page.rows[0].overdue
        red = queue(s, database, worker, rag="red")
        assert [r.contact.id for r in red.rows] == [first]
        unrated = queue(s, database, worker, rag="unrated")
        assert [r.contact.id for r in unrated.rows] == [middle, later]


def test_a_deadline_at_close_of_office_is_overdue_that_evening(database: Database, factory: Factory) -> None:
    """Due Wednesday 17:00 and looked at 21:00: no working time has passed since, but the decision is late."""
    worker, _ = staff(factory)
    due = london(2025, 11, 19, 17, 0)
    contact_id = make_contact(database, received_at=london(2025, 11, 18, 17, 0), due_at=due)
    with database.transaction() as s:
        row = queue(s, database, worker, now=london(2025, 11, 19, 21, 0)).rows[0]
        assert row.contact.id == contact_id
        assert row.overdue and row.hours_left == 0
        earlier = queue(s, database, worker, now=london(2025, 11, 19, 16, 0)).rows[0]
        assert not earlier.overdue and earlier.hours_left == pytest.approx(1)


def test_queue_pages(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    start = datetime.now(UTC)
    ids = [
        make_contact(database, received_at=start - timedelta(hours=1), due_at=start + timedelta(minutes=i))
        for i in range(PAGE_SIZE + 3)
    ]
    with database.transaction() as s:
        first = queue(s, database, worker, page=1)
        second = queue(s, database, worker, page=2)
        beyond = queue(s, database, worker, page=99)
    assert (first.pages, len(first.rows), len(second.rows)) == (2, PAGE_SIZE, 3)
    assert [r.contact.id for r in first.rows + second.rows] == ids
    assert beyond.page == 2


def test_queue_refuses_an_unknown_filter(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    with database.transaction() as s, pytest.raises(ValidationFailed) as failed:
        queue(s, database, worker, rag="purple")
    assert "rag" in failed.value.errors


def test_queue_page_runs_the_same_number_of_queries_however_many_rows(database: Database, factory: Factory) -> None:
    """No N+1: the children named on each row are loaded with the page, not one query per contact."""
    worker, _ = staff(factory)

    def statements_for(n: int) -> int:
        for _ in range(n):
            make_contact(database, children=[Child("Ben", "Testchild"), Child("Cara", "Testchild")])
        counted = []
        listener = lambda *args: counted.append(1)  # noqa: E731
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            with database.transaction() as s:
                queue(s, database, worker)
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        return len(counted)

    assert statements_for(2) == statements_for(20)


def test_queue_query_reads_the_queue_index(database: Database, factory: Factory) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans depend on table statistics; the plan is checked on SQLite")
    with database.transaction() as s:
        compiled = (
            select(Contact.id)
            .where(Contact.status.in_(["awaiting_screening", "in_screening"]))
            .order_by(Contact.due_at)
            .limit(50)
            .compile(s.get_bind(), compile_kwargs={"literal_binds": True})
        )
        plan = " ".join(str(row[-1]) for row in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_contact_queue" in plan


def test_queue_hides_names_of_restricted_children(database: Database, factory: Factory) -> None:
    worker, manager = staff(factory)
    person_id = make_person(database, manager, "Hidden", "Testchild")
    make_contact(database, children=[Child("Hidden", "Testchild", person_id=person_id)])
    with database.transaction() as s:
        from safeguarding.core.restrictions import PersonRestriction

        s.add(PersonRestriction(person_id=person_id, reason="Relative of a member of staff"))
    with database.transaction() as s:
        rows = queue(s, database, worker).rows
    assert rows[0].children == [RESTRICTED]


# --- linking, history and routing --------------------------------------------------------------------------------


def test_candidates_are_offered_and_linking_shows_earlier_contacts_and_referrals_of_child_and_siblings(
    database: Database, factory: Factory
) -> None:
    worker, _ = staff(factory)
    child_id = make_person(database, worker, "Amira", "Testchild", date(2016, 5, 4))
    sister_id = make_person(database, worker, "Bella", "Testchild", date(2014, 1, 2))
    make_siblings(database, child_id, sister_id)
    earlier = make_contact(
        database,
        received_at=london(2025, 3, 3, 10, 0),
        status=ContactStatus.DECIDED,
        children=[Child("Bella", "Testchild", date(2014, 1, 2), person_id=sister_id)],
    )
    with database.transaction() as s:
        casework.record_referral(
            s,
            casework.ReferralInput(
                person_id=sister_id,
                referral_date=date(2025, 3, 3),
                referral_source="2A",
                route="referral_for_assessment",
                contact_id=earlier,
            ),
        )
    contact_id = make_contact(database, children=[Child("Amira", "Testchild", date(2016, 5, 4))])
    with database.transaction() as s:
        view = view_contact(s, database, worker, contact_id)
        candidates = view.children[0].candidates
        assert candidates and candidates[0].person_id == child_id and candidates[0].reasons
        subject_id = view.children[0].subject.id
    with database.transaction() as s:
        link_person(s, database, worker, contact_id, subject_id, child_id)
    with database.transaction() as s:
        view = view_contact(s, database, worker, contact_id)
        history = view.children[0].history
        assert {(h.kind, h.whose) for h in history} == {("contact", "Bella Testchild"), ("referral", "Bella Testchild")}
        assert view.contact.status == ContactStatus.IN_SCREENING
        assert any(e.what == "Child linked to a person record" for e in view.timeline)


def test_a_new_person_can_be_created_from_the_described_child(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    contact_id = make_contact(database, children=[Child("Newly", "Testchild", date(2019, 9, 9))])
    with database.transaction() as s:
        subject_id = s.get_one(Contact, contact_id).children[0].id
    with database.transaction() as s:
        person = create_person_for(s, database, worker, contact_id, subject_id)
        person_id = person.id
    with database.transaction() as s:
        child = s.get_one(Contact, contact_id).children[0]
        assert child.person_id == person_id
    with database.transaction() as s, pytest.raises(Conflict):
        create_person_for(s, database, worker, contact_id, subject_id)


def test_open_case_contact_is_routed_to_the_allocated_worker(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    social_worker = factory.user(Role.SOCIAL_WORKER)
    child_id = make_person(database, worker)
    allocate(database, child_id, social_worker)
    contact_id = make_contact(database, children=[Child(person_id=child_id)])
    with database.transaction() as s:
        view = view_contact(s, database, worker, contact_id)
        assert [a.worker_id for a in view.open_case_allocations] == [social_worker.id]
    with database.transaction() as s:
        route_to_allocated_worker(s, database, worker, contact_id)
    with database.transaction() as s:
        contact = s.get_one(Contact, contact_id)
        assert contact.status == ContactStatus.ROUTED_TO_ALLOCATED_WORKER
        assert contact.routed_to_id == social_worker.id
        rows = my_contacts(s, database, social_worker)
        assert [r.contact.id for r in rows] == [contact_id] and rows[0].acknowledged_at is None
    with database.transaction() as s:
        respond_to_routed(
            s, database, social_worker, contact_id, acknowledge=True, note=None, response="visit_arranged"
        )
    with database.transaction() as s:
        assert my_contacts(s, database, social_worker)[0].acknowledged_at is not None
    other = factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s, pytest.raises(AccessDenied):
        respond_to_routed(s, database, other, contact_id, acknowledge=True, note=None, response="visit_arranged")


def test_routing_without_an_open_case_is_refused(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    contact_id = make_contact(database)
    with database.transaction() as s, pytest.raises(ValidationFailed) as failed:
        route_to_allocated_worker(s, database, worker, contact_id)
    assert "route" in failed.value.errors


def test_settings_office_hours_change_the_deadline(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    with database.transaction() as s:
        local_settings.put(s, "office.closes", "18:00", None)
    contact_id = make_contact(database, received_at=london(2025, 11, 14, 16, 0))
    with database.transaction() as s:
        rate(s, database, worker, contact_id, "red", "Disclosure of an assault by a parent today.")
    with database.transaction() as s:
        assert s.get_one(Contact, contact_id).due_at.astimezone(LONDON) == london(2025, 11, 17, 11, 0)


@settings(max_examples=300, deadline=None)
@given(start=moments, span=st.floats(min_value=-2000, max_value=2000), hours=office)
def test_quick_working_hours_agree_with_counting_day_by_day(
    start: datetime, span: float, hours: tuple[int, int]
) -> None:
    end = start + timedelta(hours=span)
    opens, closes = time(hours[0]), time(hours[1])
    low, high = min(start, end), max(start, end)
    by_day = _office_hours_by_day(low, high, opens, closes).total_seconds() / 3600
    assert working_hours_between(start, end, opens, closes) == pytest.approx(
        by_day if end >= start else -by_day, abs=1e-6
    )


def test_looking_for_the_child_among_people_is_audited_as_a_search_with_its_hits(
    database: Database, factory: Factory
) -> None:
    worker, _ = staff(factory)
    child_id = make_person(database, worker, "Amira", "Testchild", date(2016, 5, 4))
    contact_id = make_contact(database, children=[Child("Amira", "Testchild", date(2016, 5, 4))])
    with database.transaction() as s:
        view_contact(s, database, worker, contact_id)
    with database.transaction() as s:
        search = s.scalars(select(AuditEvent).where(AuditEvent.action == "search")).one()
    assert '"last_name": "Testchild"' in search.detail and f'"hit_person_ids": [{child_id}]' in search.detail
