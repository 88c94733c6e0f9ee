"""Contact intake: validation naming every bad field with nothing written, linking, open-case routing,
idempotency, partner checks answered once by the agency asked, and the decision deadline."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeguarding.casework.models import Allocation
from safeguarding.core import local_settings
from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import LONDON, add_working_days, is_working_day
from safeguarding.core.codes import REFERRAL_SOURCES
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import AccessDenied, Conflict, ValidationFailed
from safeguarding.core.users import Role, User
from safeguarding.front_door import agency_view, intake, rules
from safeguarding.front_door.intake import ContactInput, DuplicateSubmission, SubjectInput
from safeguarding.front_door.models import (
    Channel,
    CheckConsent,
    CheckStatus,
    ConsentPosition,
    Contact,
    ContactStatus,
    ContactSubject,
    LawfulBasis,
    PartnerCheck,
    ReporterKind,
    SubjectRole,
)
from safeguarding.people import rules as people_rules
from safeguarding.people.models import Person, PersonKind
from tests.support import Factory

# Synthetic NHS numbers valid under the modulus-11 check.
VALID_NHS = "9434765919"
VALID_NHS_2 = "4010232137"


def child(first: str = "Amira", last: str = "Testchild", **extra: Any) -> SubjectInput:
    return SubjectInput(role=SubjectRole.CHILD, first_name=first, last_name=last, **extra)


def partner_input(**changes: object) -> ContactInput:
    values: dict[str, Any] = dict(
        channel=Channel.PORTAL,
        reporter_kind=ReporterKind.PARTNER_AGENCY,
        referral_source="",
        worry="Child arrived at school with bruising on both arms and said she was scared to go home.",
        consent=ConsentPosition.CONSENT_GIVEN,
        subjects=(child(date_of_birth=date(2015, 3, 4)),),
        reporter_role="Designated safeguarding lead",
    )
    values.update(changes)
    return ContactInput(**values)


def phone_input(**changes: object) -> ContactInput:
    values: dict[str, Any] = dict(
        channel=Channel.PHONE,
        reporter_kind=ReporterKind.PUBLIC,
        referral_source="1B",
        worry="Neighbour hears a young child crying for hours every night and nobody answers the door.",
        consent=ConsentPosition.UNKNOWN,
        subjects=(child(),),
        reporter_name="A Neighbour",
        received_at=utcnow() - timedelta(hours=2),
    )
    values.update(changes)
    return ContactInput(**values)


def submit(database: Database, user: User, data: ContactInput) -> Contact:
    with database.transaction() as s:
        contact = intake.submit_contact(s, database, s.get_one(User, user.id), data)
        s.flush()
        s.refresh(contact)
        for subject in contact.subjects:
            s.expunge(subject)
        s.expunge(contact)
        return contact


def counts(database: Database) -> tuple[int, int, int]:
    with database.transaction() as s:
        return (
            s.scalar(select(func.count(Contact.id))) or 0,
            s.scalar(select(func.count(ContactSubject.id))) or 0,
            s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.outcome == "allowed")) or 0,
        )


def add_person(database: Database, first: str, last: str, born: date | None = None, nhs: str | None = None) -> int:
    with database.transaction() as s:
        person = Person(
            kind=PersonKind.CHILD,
            first_name=first,
            last_name=last,
            date_of_birth=born,
            nhs_number=nhs,
            first_name_key=people_rules.name_key(first),
            last_name_key=people_rules.name_key(last),
            first_name_sound=people_rules.sound_key(first),
            last_name_sound=people_rules.sound_key(last),
        )
        s.add(person)
        s.flush()
        return person.id


def allocate(database: Database, person_id: int, worker_id: int, ended_at: datetime | None = None) -> None:
    with database.transaction() as s:
        s.add(
            Allocation(
                person_id=person_id, worker_id=worker_id, started_at=utcnow() - timedelta(days=90), ended_at=ended_at
            )
        )


def add_check(database: Database, contact_id: int, agency_id: int, requested_by_id: int) -> int:
    with database.transaction() as s:
        check = PartnerCheck(
            contact_id=contact_id,
            agency_id=agency_id,
            question="Is the family known to you? Any incidents at the home address?",
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            consent=CheckConsent.NOT_SOUGHT,
            consent_reason="Seeking consent could place the child at risk",
            requested_by_id=requested_by_id,
            due_at=utcnow() + timedelta(hours=8),
        )
        s.add(check)
        s.flush()
        return check.id


# --- happy paths ------------------------------------------------------------------------------------------------


def test_partner_contact_is_recorded_for_their_agency_with_its_default_source(
    database: Database, factory: Factory
) -> None:
    agency = factory.agency("Northgate Primary", referral_source="2A")
    teacher = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    contact = submit(database, teacher, partner_input())
    assert contact.reference == f"CON-{contact.id:07d}"
    assert contact.reporting_agency_id == agency.id
    assert contact.referral_source == "2A"
    assert contact.reporter_name == teacher.full_name
    assert contact.status == ContactStatus.AWAITING_SCREENING
    assert contact.due_at > contact.received_at
    assert [s.first_name for s in contact.subjects] == ["Amira"]
    with database.transaction() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "create"))
        assert event is not None and event.target_type == "contact" and event.target_id == str(contact.id)


def test_mash_worker_records_a_phone_call_with_the_time_it_came_in(database: Database, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    received = utcnow() - timedelta(days=3)
    contact = submit(database, worker, phone_input(received_at=received))
    assert contact.received_at == received
    assert contact.reporting_agency_id is None
    assert contact.channel == Channel.PHONE


def test_siblings_and_adults_in_one_contact(database: Database, factory: Factory) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    contact = submit(
        database,
        partner,
        partner_input(
            subjects=(
                child("Ava", "Sibling"),
                child("Ben", "Sibling"),
                SubjectInput(role=SubjectRole.PARENT, first_name="Cara", last_name="Sibling", postcode="sw1a1aa"),
            )
        ),
    )
    assert [s.role for s in contact.subjects] == [SubjectRole.CHILD, SubjectRole.CHILD, SubjectRole.PARENT]
    assert contact.subjects[2].postcode == "SW1A 1AA"


def test_spaced_nhs_number_is_stored_as_ten_digits(database: Database, factory: Factory) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    contact = submit(database, partner, partner_input(subjects=(child(nhs_number="943 476 5919"),)))
    assert contact.subjects[0].nhs_number == VALID_NHS


# --- validation: every bad field named at once, nothing written -----------------------------------------------


def test_every_bad_field_is_named_and_nothing_is_written(database: Database, factory: Factory) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    before = counts(database)
    tomorrow = (utcnow() + timedelta(days=2)).date()
    bad = partner_input(
        referral_source="ZZ",
        worry="   ",
        consent=ConsentPosition.NOT_INFORMED_OTHER,
        reporter_email="not-an-email",
        reporter_phone="call me",
        subjects=(
            child("", "X" * 101, nhs_number="9434765918", date_of_birth=tomorrow, postcode="NOTAPOST"),
            SubjectInput(role=SubjectRole.PARENT, first_name="P", last_name="Q", address="a" * 401),
        ),
    )
    with pytest.raises(ValidationFailed) as caught:
        submit(database, partner, bad)
    errors = caught.value.errors
    assert set(errors) >= {
        "referral_source",
        "worry",
        "consent_notes",
        "reporter_email",
        "reporter_phone",
        "subjects.0.first_name",
        "subjects.0.last_name",
        "subjects.0.nhs_number",
        "subjects.0.date_of_birth",
        "subjects.0.postcode",
        "subjects.1.address",
    }
    assert "DfE" in errors["referral_source"]
    assert "future" in errors["subjects.0.date_of_birth"]
    assert "100" in errors["subjects.0.last_name"]
    assert counts(database) == before


def test_a_contact_must_name_a_child(database: Database, factory: Factory) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    adult_only = (SubjectInput(role=SubjectRole.PARENT, first_name="Dana", last_name="Adult"),)
    with pytest.raises(ValidationFailed) as caught:
        submit(database, partner, partner_input(subjects=adult_only))
    assert caught.value.errors == {"subjects": "Name at least one child"}
    assert counts(database)[0] == 0


def test_worry_longer_than_twenty_thousand_characters_is_refused(database: Database, factory: Factory) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    with pytest.raises(ValidationFailed) as caught:
        submit(database, partner, partner_input(worry="w" * 20_001))
    assert "20,000" in caught.value.errors["worry"]
    submit(database, partner, partner_input(worry="w" * 20_000))  # the limit itself is accepted


def test_partner_cannot_backdate_or_claim_a_phone_call(database: Database, factory: Factory) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    with pytest.raises(ValidationFailed) as caught:
        submit(
            database,
            partner,
            partner_input(
                channel=Channel.PHONE, reporter_kind=ReporterKind.PUBLIC, received_at=utcnow() - timedelta(days=3)
            ),
        )
    assert set(caught.value.errors) == {"channel", "reporter_kind", "received_at"}
    assert counts(database)[0] == 0


def test_birth_after_the_contact_was_received_is_refused(database: Database, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    received = utcnow() - timedelta(days=30)
    born = (received + timedelta(days=5)).astimezone(LONDON).date()
    with pytest.raises(ValidationFailed) as caught:
        submit(database, worker, phone_input(received_at=received, subjects=(child(date_of_birth=born),)))
    assert caught.value.errors == {"subjects.0.date_of_birth": "Date of birth cannot be after the contact was received"}


def test_staff_contact_needs_its_time_received_and_not_in_the_future(database: Database, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    for received_at, message in [
        (None, "Enter when"),
        (utcnow() + timedelta(minutes=10), "future"),
        (datetime(2025, 1, 1, 9, 0), "time zone"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            submit(database, worker, phone_input(received_at=received_at))
        assert message in caught.value.errors["received_at"]
    # A partner system's clock a minute or two fast is tolerated.
    submit(database, worker, phone_input(received_at=utcnow() + timedelta(minutes=2)))


def test_anonymous_reporter_has_no_name_and_named_kinds_do(database: Database, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    with pytest.raises(ValidationFailed) as caught:
        submit(database, worker, phone_input(reporter_kind=ReporterKind.ANONYMOUS, referral_source="9"))
    assert "anonymous" in caught.value.errors["reporter_name"].lower()
    with pytest.raises(ValidationFailed) as caught:
        submit(
            database,
            worker,
            phone_input(reporter_kind=ReporterKind.PRACTITIONER, reporter_name=" ", referral_source="3A"),
        )
    assert caught.value.errors == {"reporter_name": "Enter the reporter's name"}
    contact = submit(
        database, worker, phone_input(reporter_kind=ReporterKind.ANONYMOUS, referral_source="9", reporter_name=None)
    )
    assert contact.reporter_name is None


def test_referral_source_must_fit_who_made_the_contact(database: Database, factory: Factory) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    worker = factory.user(Role.MASH_WORKER)
    misfits = [
        (partner, partner_input(referral_source="1A")),  # a police officer filing as the family
        (partner, partner_input(referral_source="9")),
        (worker, phone_input(reporter_kind=ReporterKind.PUBLIC, referral_source="6")),
        (worker, phone_input(reporter_kind=ReporterKind.ANONYMOUS, reporter_name=None, referral_source="1B")),
        (worker, phone_input(reporter_kind=ReporterKind.PRACTITIONER, referral_source="1C")),
    ]
    for user, data in misfits:
        with pytest.raises(ValidationFailed) as caught:
            submit(database, user, data)
        assert set(caught.value.errors) == {"referral_source"}, data
    assert counts(database)[0] == 0
    submit(database, partner, partner_input(referral_source="3E"))  # another professional code is accepted


def test_staff_cannot_record_a_contact_as_from_a_partner_agency(database: Database, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    with pytest.raises(ValidationFailed) as caught:
        submit(database, worker, phone_input(reporter_kind=ReporterKind.PARTNER_AGENCY, channel=Channel.PORTAL))
    assert set(caught.value.errors) == {"channel", "reporter_kind"}


def test_roles_without_intake_are_refused_and_the_refusal_audited(database: Database, factory: Factory) -> None:
    social_worker = factory.user(Role.SOCIAL_WORKER)
    with pytest.raises(AccessDenied):
        submit(database, social_worker, phone_input())
    with database.transaction() as s:
        refused = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert [(e.action, e.target_type) for e in refused] == [("create", "contact")]
    assert counts(database)[0] == 0


def test_text_is_stored_exactly_as_typed(database: Database, factory: Factory) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    script = "<script>alert('x')</script> & \"quotes\""
    contact = submit(database, partner, partner_input(worry=script, subjects=(child(first=script[:100]),)))
    assert contact.worry == script
    assert contact.subjects[0].first_name == script[:100]


# --- linking and open-case routing ------------------------------------------------------------------------------


def test_child_is_linked_when_exactly_one_person_matches(database: Database, factory: Factory) -> None:
    person_id = add_person(database, "Amira", "Testchild", date(2015, 3, 4), VALID_NHS)
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    contact = submit(database, partner, partner_input(subjects=(child(nhs_number=VALID_NHS),)))
    assert contact.subjects[0].person_id == person_id
    with database.transaction() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "create"))
        assert event is not None and event.person_id == person_id


def test_no_link_when_nothing_matches(database: Database, factory: Factory) -> None:
    add_person(database, "Someone", "Else", date(2012, 1, 1), VALID_NHS_2)
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    contact = submit(database, partner, partner_input())
    assert contact.subjects[0].person_id is None


def test_open_case_goes_to_the_allocated_worker_not_the_queue(database: Database, factory: Factory) -> None:
    social_worker = factory.user(Role.SOCIAL_WORKER)
    person_id = add_person(database, "Amira", "Testchild", date(2015, 3, 4), VALID_NHS)
    allocate(database, person_id, social_worker.id)
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    contact = submit(database, partner, partner_input(subjects=(child("Zed", "Other"), child(nhs_number=VALID_NHS))))
    assert contact.status == ContactStatus.ROUTED_TO_ALLOCATED_WORKER
    assert contact.routed_to_id == social_worker.id
    # It is the worker's to acknowledge by the next working day (the default local standard), never lost.
    assert contact.routed_at is not None
    assert contact.acknowledge_by == add_working_days(contact.routed_at.astimezone(LONDON).date(), 1)


def test_closed_case_routes_only_within_the_local_setting(database: Database, factory: Factory) -> None:
    social_worker = factory.user(Role.SOCIAL_WORKER)
    person_id = add_person(database, "Amira", "Testchild", date(2015, 3, 4), VALID_NHS)
    allocate(database, person_id, social_worker.id, ended_at=utcnow() - timedelta(days=10))
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    data = partner_input(subjects=(child(nhs_number=VALID_NHS),))
    assert submit(database, partner, data).status == ContactStatus.AWAITING_SCREENING  # setting off by default
    with database.transaction() as s:
        local_settings.put(s, "open_case.recently_closed_days", 28, None)
    contact = submit(database, partner, data)
    assert contact.status == ContactStatus.ROUTED_TO_ALLOCATED_WORKER
    assert contact.routed_to_id == social_worker.id


# --- idempotency ------------------------------------------------------------------------------------------------


def test_same_idempotency_key_twice_makes_one_contact(database: Database, factory: Factory) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    first = submit(database, partner, partner_input(idempotency_key="form-7f3a"))
    before = counts(database)
    with pytest.raises(DuplicateSubmission) as caught:
        submit(database, partner, partner_input(idempotency_key="form-7f3a"))
    assert isinstance(caught.value, Conflict)
    assert caught.value.field == "Idempotency-Key"
    assert first.reference in caught.value.message
    assert counts(database) == before
    # Another user may use the same key: keys are per submitter.
    other = factory.user(Role.PARTNER_PRACTITIONER)
    submit(database, other, partner_input(idempotency_key="form-7f3a"))


# --- partner checks ---------------------------------------------------------------------------------------------


def _contact_with_check(database: Database, factory: Factory) -> tuple[User, User, int]:
    police = factory.agency("Testshire Police", referral_source="6")
    officer = factory.user(Role.PARTNER_PRACTITIONER, agency_id=police.id)
    worker = factory.user(Role.MASH_WORKER)
    contact = submit(database, factory.user(Role.PARTNER_PRACTITIONER), partner_input())
    return officer, worker, add_check(database, contact.id, police.id, worker.id)


def test_agency_asked_answers_its_check_once(database: Database, factory: Factory) -> None:
    officer, _worker, check_id = _contact_with_check(database, factory)
    with database.transaction() as s:
        check = intake.respond_to_check(
            s,
            database,
            s.get_one(User, officer.id),
            check_id,
            "  Two domestic incidents attended at the address in 2025.  ",
            1,
        )
        assert check.status == CheckStatus.ANSWERED
    with database.transaction() as s:
        saved = s.get_one(PartnerCheck, check_id)
        assert saved is not None and saved.response == "Two domestic incidents attended at the address in 2025."
        assert saved.responded_by_id == officer.id
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "respond")) is not None
    with pytest.raises(Conflict), database.transaction() as s:
        intake.respond_to_check(s, database, s.get_one(User, officer.id), check_id, "again", 2)


def test_another_agency_cannot_answer_or_see_the_check(database: Database, factory: Factory) -> None:
    _officer, _worker, check_id = _contact_with_check(database, factory)
    stranger = factory.user(Role.PARTNER_PRACTITIONER)
    with pytest.raises(AccessDenied), database.transaction() as s:
        intake.respond_to_check(s, database, s.get_one(User, stranger.id), check_id, "x", 1)
    with pytest.raises(AccessDenied), database.transaction() as s:
        agency_view.view_check(s, database, s.get(User, stranger.id), check_id)  # type: ignore[arg-type]
    with database.transaction() as s:
        assert s.get_one(PartnerCheck, check_id).status == CheckStatus.REQUESTED


def test_stale_or_empty_answer_is_refused(database: Database, factory: Factory) -> None:
    officer, _worker, check_id = _contact_with_check(database, factory)
    with pytest.raises(Conflict) as stale, database.transaction() as s:
        intake.respond_to_check(s, database, s.get_one(User, officer.id), check_id, "answer", 0)
    assert stale.value.field == "version"
    with pytest.raises(ValidationFailed) as empty, database.transaction() as s:
        intake.respond_to_check(s, database, s.get_one(User, officer.id), check_id, "  ", 1)
    assert set(empty.value.errors) == {"response"}


# --- the decision deadline --------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hours_ago=st.floats(min_value=0, max_value=24 * 360, allow_nan=False))
def test_any_accepted_contact_is_due_after_receipt_on_a_working_day(
    database: Database, factory_worker: User, hours_ago: float
) -> None:
    received = utcnow() - timedelta(hours=hours_ago)
    session = Session(database.engine)
    try:
        user = session.get_one(User, factory_worker.id)
        contact = intake.submit_contact(session, database, user, phone_input(received_at=received))
        assert contact.due_at > contact.received_at
        assert is_working_day(contact.due_at.astimezone(LONDON).date())
    finally:
        session.rollback()
        session.close()


@pytest.fixture()
def factory_worker(factory: Factory) -> User:
    return factory.user(Role.MASH_WORKER)


def test_a_duplicate_that_slips_past_the_check_is_caught_by_the_constraint(
    database: Database, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests with one key at the same moment: the second's look-up misses the first, the unique
    constraint catches it, and it becomes the same 409 naming the contact already made."""
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    first = submit(database, partner, partner_input(idempotency_key="race-1"))
    before = counts(database)
    real = intake._existing
    calls: list[str] = []

    def missed_once(session: Session, user: User, key: str) -> Contact | None:
        calls.append(key)
        return None if len(calls) == 1 else real(session, user, key)

    monkeypatch.setattr(intake, "_existing", missed_once)
    with pytest.raises(DuplicateSubmission) as caught:
        submit(database, partner, partner_input(idempotency_key="race-1"))
    assert caught.value.contact_id == first.id and len(calls) == 2
    assert counts(database) == before


@given(code=st.sampled_from(sorted(REFERRAL_SOURCES)))
def test_every_referral_source_fits_exactly_one_kind_of_reporter(code: str) -> None:
    professional = rules.source_fits_reporter(ReporterKind.PRACTITIONER, code)
    assert professional == rules.source_fits_reporter(ReporterKind.PARTNER_AGENCY, code)
    fits = [
        rules.source_fits_reporter(ReporterKind.PUBLIC, code),
        rules.source_fits_reporter(ReporterKind.ANONYMOUS, code),
        professional,
    ]
    assert fits.count(True) == 1
