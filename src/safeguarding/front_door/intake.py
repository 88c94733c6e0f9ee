"""Contacts coming in through the front door, and partner checks answered by the agency asked.

Use-cases (each asks ``core.access`` and writes to ``core.audit``; none commits):

- :func:`submit_contact`: a partner practitioner (portal or API) or a MASH worker (a call, e-mail or visit) records
  a contact about one or more children. Everything is validated before anything is written; the children are
  linked to people where exactly one person matches; the decision deadline is set; a child whose case is open (or
  recently closed, a local setting) sends the contact to the allocated worker instead of the MASH queue.
- :func:`respond_to_check`: the agency asked for a partner check answers it, once.

What the referring agency may see afterwards is ``front_door.agency_view``'s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguarding.casework import referrals as casework_service
from safeguarding.core import access, local_settings
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import LONDON
from safeguarding.core.codes import REFERRAL_SOURCES
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import Conflict, NotFound, ValidationFailed
from safeguarding.core.form_fields import text_field
from safeguarding.core.users import User
from safeguarding.front_door import routing, rules
from safeguarding.front_door.models import (
    Channel,
    CheckStatus,
    ConsentPosition,
    Contact,
    ContactNote,
    ContactStatus,
    ContactSubject,
    NoteKind,
    PartnerCheck,
    ReporterKind,
    SubjectRole,
)
from safeguarding.people import rules as people_rules  # NHS modulus-11 and postcode checks
from safeguarding.people.search import exact_matches

IDEMPOTENCY_FIELD = "Idempotency-Key"
_SOURCE_MISFIT = {
    ReporterKind.ANONYMOUS: "An anonymous contact has referral source 9 (Anonymous)",
    ReporterKind.PUBLIC: "A contact from a member of the public has an individual referral source (1A to 1D)",
    ReporterKind.PRACTITIONER: "A contact from a professional has an agency referral source, not an individual (1A "
    "to 1D) or anonymous (9) one",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,30}$")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII, no spaces


@dataclass(frozen=True)
class SubjectInput:
    role: SubjectRole
    first_name: str
    last_name: str
    date_of_birth: date | None = None
    nhs_number: str | None = None
    address: str | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class ContactInput:
    channel: Channel
    reporter_kind: ReporterKind
    referral_source: str
    worry: str
    consent: ConsentPosition
    subjects: tuple[SubjectInput, ...]
    received_at: datetime | None = None
    reporter_name: str | None = None
    reporter_role: str | None = None
    reporter_phone: str | None = None
    reporter_email: str | None = None
    consent_notes: str | None = None
    idempotency_key: str | None = None


class DuplicateSubmission(Conflict):
    """The same submission (same user, same Idempotency-Key) arrived again; names the contact already made."""

    def __init__(self, contact_id: int, reference: str) -> None:
        super().__init__(
            f"This contact was already submitted as {reference} (the same {IDEMPOTENCY_FIELD} was "
            "used again); nothing new was recorded.",
            field=IDEMPOTENCY_FIELD,
        )
        self.contact_id = contact_id
        self.reference = reference


# --- validation -------------------------------------------------------------------------------------------------


def _clean(value: str | None) -> str | None:
    """Trimmed text, or None when nothing was given."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _nhs_number(errors: dict[str, str], field: str, value: str | None) -> str | None:
    cleaned = _clean(value)
    if cleaned is None:
        return None
    if (problem := people_rules.nhs_number_problem(cleaned)) is not None:
        errors[field] = problem
        return None
    return people_rules.normalise_nhs_number(cleaned)


def _postcode(errors: dict[str, str], field: str, value: str | None) -> str | None:
    cleaned = _clean(value)
    if cleaned is None:
        return None
    if (problem := people_rules.postcode_problem(cleaned)) is not None:
        errors[field] = problem
        return None
    return people_rules.normalise_postcode(cleaned)


@dataclass(frozen=True)
class _CleanSubject:
    role: SubjectRole
    first_name: str
    last_name: str
    date_of_birth: date | None
    nhs_number: str | None
    address: str | None
    postcode: str | None


def _as_aware(moment: datetime) -> datetime | None:
    return moment if moment.tzinfo is not None and moment.utcoffset() is not None else None


def _validate(user: User, data: ContactInput, now: datetime) -> tuple[dict[str, Any], list[_CleanSubject]]:
    """Check every field at once; raise ValidationFailed naming each one at fault. Returns the clean values."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    # Who is reporting, by which channel, and when.
    received_at: datetime | None = None
    if user.is_partner:
        if data.channel not in rules.PARTNER_CHANNELS:
            errors["channel"] = "Partner practitioners send contacts through the portal or the API"
        if data.reporter_kind != ReporterKind.PARTNER_AGENCY:
            errors["reporter_kind"] = "A contact from a partner practitioner is made on behalf of their agency"
        if data.received_at is not None:
            errors["received_at"] = "A partner's contact is received when it is sent; the time received cannot be given"
        received_at = now
    else:
        if data.channel not in rules.STAFF_CHANNELS:
            errors["channel"] = "Choose how the contact came in: phone, e-mail or in person"
        if data.reporter_kind not in rules.STAFF_REPORTER_KINDS:
            errors["reporter_kind"] = (
                "Choose who made the contact: a practitioner, a member of the public, or "
                "anonymous (partner agencies send theirs through the portal)"
            )
        if data.received_at is None:
            errors["received_at"] = "Enter when the contact was received"
        elif (aware := _as_aware(data.received_at)) is None:
            errors["received_at"] = "Time received must include its time zone"
        elif aware > now + rules.CLOCK_SKEW:
            errors["received_at"] = "Time received cannot be in the future"
        elif aware < now - rules.OLDEST_RECORDED_CONTACT:
            errors["received_at"] = "Time received must be within the last year"
        else:
            received_at = aware
    values["received_at"] = received_at

    source = _clean(data.referral_source)
    if source is None and user.is_partner and user.agency is not None:
        source = user.agency.default_referral_source  # the agency's usual DfE code pre-fills it
    if source is None:
        errors["referral_source"] = "Choose the referral source"
    elif source not in REFERRAL_SOURCES:
        errors["referral_source"] = "Referral source must be a DfE CIN census code (for example 2A Schools)"
    elif "reporter_kind" not in errors and not rules.source_fits_reporter(data.reporter_kind, source):
        errors["referral_source"] = _SOURCE_MISFIT.get(data.reporter_kind, _SOURCE_MISFIT[ReporterKind.PRACTITIONER])
    values["referral_source"] = source

    name = text_field(
        data.reporter_name,
        "reporter_name",
        "the reporter's name",
        errors,
        limit=rules.REPORTER_TEXT_MAX_CHARS,
        required=False,
    )
    if user.is_partner and name is None and "reporter_name" not in errors:
        name = user.full_name
    if data.reporter_kind == ReporterKind.ANONYMOUS and name is not None:
        errors["reporter_name"] = "An anonymous reporter has no name: leave the name blank or choose another kind"
    elif data.reporter_kind in rules.REPORTER_NAME_REQUIRED and name is None and "reporter_name" not in errors:
        errors["reporter_name"] = "Enter the reporter's name"
    values["reporter_name"] = name
    values["reporter_role"] = text_field(
        data.reporter_role,
        "reporter_role",
        "the reporter's role",
        errors,
        limit=rules.REPORTER_TEXT_MAX_CHARS,
        required=False,
    )
    phone = _clean(data.reporter_phone)
    if phone is not None and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        errors["reporter_phone"] = "Enter a telephone number, like 01632 960 001 or +44 1632 960 001"
    values["reporter_phone"] = phone
    email = _clean(data.reporter_email)
    if email is None and user.is_partner:
        email = _clean(user.email)
    if email is not None and (len(email) > 254 or not _EMAIL.match(email)):
        errors["reporter_email"] = "Enter an e-mail address in the correct format, like name@example.org"
    values["reporter_email"] = email

    # What the worry is, and whether the family knows.
    values["worry"] = text_field(data.worry, "worry", "what you are worried about", errors, limit=rules.WORRY_MAX_CHARS)
    notes = text_field(
        data.consent_notes,
        "consent_notes",
        "the notes on consent",
        errors,
        limit=rules.CONSENT_NOTES_MAX_CHARS,
        required=False,
    )
    try:
        consent = ConsentPosition(data.consent)
    except ValueError:
        errors["consent"] = "Choose whether the family knows about this contact"
    else:
        if consent in rules.CONSENT_NEEDS_NOTES and notes is None and "consent_notes" not in errors:
            errors["consent_notes"] = "Say why the family has not been told"
    values["consent_notes"] = notes

    key = data.idempotency_key
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        errors[IDEMPOTENCY_FIELD] = f"{IDEMPOTENCY_FIELD} must be 1 to 100 printable characters without spaces"
    values["idempotency_key"] = key

    # Who the contact is about.
    subjects: list[_CleanSubject] = []
    if len(data.subjects) > rules.MAX_SUBJECTS:
        errors["subjects"] = f"A contact can name at most {rules.MAX_SUBJECTS} people"
    elif not any(s.role == SubjectRole.CHILD for s in data.subjects):
        errors["subjects"] = "Name at least one child"
    today = (received_at or now).astimezone(LONDON).date()
    for index, subject in enumerate(data.subjects[: rules.MAX_SUBJECTS]):
        prefix = f"subjects.{index}."
        try:
            role = SubjectRole(subject.role)
        except ValueError:
            errors[prefix + "role"] = "Choose who this person is"
            role = SubjectRole.OTHER_ADULT
        first = text_field(
            subject.first_name, prefix + "first_name", "a first name", errors, limit=rules.NAME_MAX_CHARS
        )
        last = text_field(subject.last_name, prefix + "last_name", "a last name", errors, limit=rules.NAME_MAX_CHARS)
        born = subject.date_of_birth
        if born is not None:
            if born > now.astimezone(LONDON).date():
                errors[prefix + "date_of_birth"] = "Date of birth cannot be in the future"
            elif born > today:
                errors[prefix + "date_of_birth"] = "Date of birth cannot be after the contact was received"
            elif born.year < 1900:
                errors[prefix + "date_of_birth"] = "Date of birth must be after 1900"
        subjects.append(
            _CleanSubject(
                role=role,
                first_name=first or "",
                last_name=last or "",
                date_of_birth=born,
                nhs_number=_nhs_number(errors, prefix + "nhs_number", subject.nhs_number),
                address=text_field(
                    subject.address,
                    prefix + "address",
                    "an address",
                    errors,
                    limit=rules.ADDRESS_MAX_CHARS,
                    required=False,
                ),
                postcode=_postcode(errors, prefix + "postcode", subject.postcode),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return values, subjects


def check_contact(session: Session, database: Database, user: User, data: ContactInput) -> None:
    """Validate a contact without recording it (the "check your answers" step); raises ValidationFailed."""
    access.require(session, database, user, Action.CREATE, AccessSubject(kind=Kind.CONTACT, agency_id=user.agency_id))
    _validate(user, data, utcnow())


@dataclass(frozen=True)
class PortalDefaults:
    """What the partner's contact form starts with."""

    referral_source: str
    reporter_name: str
    reporter_email: str


def portal_defaults(session: Session, database: Database, user: User) -> PortalDefaults:
    """The contact form of the partner portal: partners only, pre-filled from their agency and account."""
    access.require_role(database, user, Kind.CONTACT_OUTCOME, Action.LIST)  # the portal is the referrer's side
    access.require(session, database, user, Action.CREATE, AccessSubject(kind=Kind.CONTACT, agency_id=user.agency_id))
    return PortalDefaults(
        referral_source=user.agency.default_referral_source if user.agency else "",
        reporter_name=user.full_name,
        reporter_email=user.email or "",
    )


# --- submitting a contact ---------------------------------------------------------------------------------------


def _link(session: Session, subject: _CleanSubject) -> int | None:
    """The one person these details match exactly, or None (no match, or more than one: a worker decides)."""
    if subject.nhs_number is None and subject.date_of_birth is None:
        return None  # a name alone is never enough to link
    matches = exact_matches(
        session,
        nhs_number=subject.nhs_number,
        first_name=subject.first_name,
        last_name=subject.last_name,
        date_of_birth=subject.date_of_birth,
    )
    ids = {person.id for person in matches}
    return ids.pop() if len(ids) == 1 else None


def _allocated_worker(session: Session, child_ids: list[int], recently_closed_days: int, now: datetime) -> int | None:
    """The allocated worker of the first linked child whose case is open (or closed within the setting)."""
    for person_id in child_ids:
        allocation = casework_service.open_allocation(session, person_id)
        if allocation is not None:
            return allocation.worker_id
    for person_id in child_ids:
        allocation = casework_service.recently_closed_allocation(session, person_id, recently_closed_days, now)
        if allocation is not None:
            return allocation.worker_id
    return None


def _any_open(session: Session, child_ids: list[int]) -> bool:
    return any(casework_service.open_allocation(session, person_id) is not None for person_id in child_ids)


def _existing(session: Session, user: User, key: str) -> Contact | None:
    return session.scalar(select(Contact).where(Contact.submitted_by_id == user.id, Contact.idempotency_key == key))


def submit_contact(
    session: Session,
    database: Database,
    user: User,
    data: ContactInput,
    *,
    known_people: Mapping[int, int] | None = None,
) -> Contact:
    """Record a contact and everyone it names. Raises ValidationFailed naming each bad field, writing nothing.

    ``known_people`` (the subject's place in ``data.subjects`` to a person id) is for a contact made from a record
    that already knows who the family are (an early help step-up, early_help/transitions.py): those subjects are
    linked to their records, not matched; the caller has checked the user acts for that family."""
    access.require(session, database, user, Action.CREATE, AccessSubject(kind=Kind.CONTACT, agency_id=user.agency_id))
    now = utcnow()
    values, subjects = _validate(user, data, now)
    if values["idempotency_key"] is not None:
        earlier = _existing(session, user, values["idempotency_key"])
        if earlier is not None:
            raise DuplicateSubmission(earlier.id, earlier.reference)

    settings = local_settings.get_all(session)
    received_at: datetime = values["received_at"]
    contact = Contact(
        received_at=received_at,
        channel=data.channel,
        reporter_kind=data.reporter_kind,
        reporting_agency_id=user.agency_id if user.is_partner else None,
        submitted_by_id=user.id,
        reporter_name=values["reporter_name"],
        reporter_role=values["reporter_role"],
        reporter_phone=values["reporter_phone"],
        reporter_email=values["reporter_email"],
        referral_source=values["referral_source"],
        worry=values["worry"],
        consent=ConsentPosition(data.consent),
        consent_notes=values["consent_notes"],
        status=ContactStatus.AWAITING_SCREENING,
        due_at=rules.rag_deadline(received_at, None, settings),
        idempotency_key=values["idempotency_key"],
    )
    for index, subject in enumerate(subjects):
        known = (known_people or {}).get(index)
        contact.subjects.append(
            ContactSubject(
                role=subject.role,
                first_name=subject.first_name,
                last_name=subject.last_name,
                date_of_birth=subject.date_of_birth,
                nhs_number=subject.nhs_number,
                address=subject.address,
                postcode=subject.postcode,
                person_id=known if known is not None else _link(session, subject),
            )
        )

    # Open-case routing (a local standard, docs/front-door.md): a new worry about a child already allocated goes to
    # their worker.
    child_ids = list(dict.fromkeys(s.person_id for s in contact.children if s.person_id is not None))
    worker_id = _allocated_worker(session, child_ids, int(settings["open_case.recently_closed_days"]), now)
    if worker_id is not None:
        routing.mark_routed(contact, worker_id, now, settings)

    try:
        # A savepoint, so a concurrent duplicate caught by the unique constraint leaves the request usable. The
        # contact is added inside it: opening a savepoint flushes what is already pending.
        with session.begin_nested():
            session.add(contact)
            session.flush()
    except IntegrityError:
        earlier = _existing(session, user, values["idempotency_key"]) if values["idempotency_key"] else None
        if earlier is None:
            raise
        raise DuplicateSubmission(earlier.id, earlier.reference) from None

    if worker_id is not None:
        # The contact's timeline shows why it never reached the MASH queue.
        session.add(
            ContactNote(
                contact_id=contact.id,
                kind=NoteKind.ROUTED,
                author_id=user.id,
                text=(
                    "Routed at intake to the allocated worker: a child named "
                    + ("has an open case" if _any_open(session, child_ids) else "had a case closed recently")
                ),
            )
        )
        session.flush()

    detail = {
        "reference": contact.reference,
        "channel": str(contact.channel),
        "referral_source": contact.referral_source,
        "children": len(contact.children),
        "adults": len(contact.adults),
        "status": str(contact.status),
        "routed_to_id": contact.routed_to_id,
    }
    actor = access.actor_of(user)
    audited: list[int | None] = [*child_ids] or [None]
    for person_id in audited:
        record(session, actor, "create", "contact", contact.id, person_id=person_id, detail=detail)
    return contact


# --- partner checks ---------------------------------------------------------------------------------------------


def check_subject(check: PartnerCheck) -> AccessSubject:
    return AccessSubject(kind=Kind.PARTNER_CHECK, id=check.id, agency_id=check.agency_id)


def respond_to_check(
    session: Session, database: Database, user: User, check_id: int, response_text: str, expected_version: int
) -> PartnerCheck:
    """The agency asked answers a partner check, once. A stale form or a second answer is a Conflict."""
    check = session.get(PartnerCheck, check_id)
    if check is None:
        raise NotFound("There is no such check.")
    access.require(session, database, user, Action.RESPOND, check_subject(check))
    if check.status == CheckStatus.ANSWERED:
        raise Conflict(
            "This check has already been answered; an answer cannot be changed here. Contact the MASH to add to it.",
            field="response",
        )
    if check.status == CheckStatus.WITHDRAWN:
        raise Conflict("The MASH has withdrawn this check; no answer is needed.", field="response")
    if check.status == CheckStatus.NO_LONGER_NEEDED:
        raise Conflict(
            "The MASH decided this contact before your answer was needed: the check is closed as no longer needed.",
            field="response",
        )
    if check.version != expected_version:
        raise Conflict(
            "This check changed while you were answering it. Nothing was saved: reload the page and try again.",
            field="version",
        )
    errors: dict[str, str] = {}
    text = text_field(response_text, "response", "your answer", errors, limit=rules.CHECK_RESPONSE_MAX_CHARS)
    if errors:
        raise ValidationFailed(errors)
    check.response = text
    check.status = CheckStatus.ANSWERED
    check.responded_by_id = user.id
    check.responded_at = utcnow()
    session.flush()
    record(
        session,
        access.actor_of(user),
        "respond",
        "partner_check",
        check.id,
        detail={"contact_id": check.contact_id, "agency_id": check.agency_id, "characters": len(text or "")},
    )
    return check
