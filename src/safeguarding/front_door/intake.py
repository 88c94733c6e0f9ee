"""Contacts coming in through the front door, and what the referring agency may see of them afterwards.

Use-cases (each asks ``core.access`` and writes to ``core.audit``; none commits):

- :func:`submit_contact`: a partner practitioner (portal or API) or a MASH worker (a call, e-mail or visit) records
  a contact about one or more children. Everything is validated before anything is written; the children are
  linked to people where exactly one person matches; the decision deadline is set; a child whose case is open (or
  recently closed, a local setting) sends the contact to the allocated worker instead of the MASH queue.
- :func:`respond_to_check`: the agency asked for a partner check answers it, once.
- the partner's reads: :func:`agency_contacts`, :func:`contact_outcome`, :func:`agency_checks`, :func:`view_check`:
  a referrer sees what they sent and its outcome, never anything else about the child.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from safeguarding.casework import service as casework_service
from safeguarding.core import access, local_settings
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import LONDON
from safeguarding.core.codes import REFERRAL_SOURCES
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from safeguarding.core.form_fields import text_field
from safeguarding.core.settings import get_settings
from safeguarding.core.users import User
from safeguarding.front_door import rules
from safeguarding.front_door.models import (
    Channel,
    CheckStatus,
    ConsentPosition,
    Contact,
    ContactNote,
    ContactStatus,
    ContactSubject,
    DecisionStatus,
    NoteKind,
    Outcome,
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
        super().__init__(f"This contact was already submitted as {reference} (the same {IDEMPOTENCY_FIELD} was "
                         "used again); nothing new was recorded.", field=IDEMPOTENCY_FIELD)
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
            errors["received_at"] = ("A partner's contact is received when it is sent; the time received cannot "
                                     "be given")
        received_at = now
    else:
        if data.channel not in rules.STAFF_CHANNELS:
            errors["channel"] = "Choose how the contact came in: phone, e-mail or in person"
        if data.reporter_kind not in rules.STAFF_REPORTER_KINDS:
            errors["reporter_kind"] = ("Choose who made the contact: a practitioner, a member of the public, or "
                                       "anonymous (partner agencies send theirs through the portal)")
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

    name = text_field(data.reporter_name, "reporter_name", "the reporter's name", errors,
                      limit=rules.REPORTER_TEXT_MAX_CHARS, required=False)
    if user.is_partner and name is None and "reporter_name" not in errors:
        name = user.full_name
    if data.reporter_kind == ReporterKind.ANONYMOUS and name is not None:
        errors["reporter_name"] = "An anonymous reporter has no name: leave the name blank or choose another kind"
    elif data.reporter_kind in rules.REPORTER_NAME_REQUIRED and name is None and "reporter_name" not in errors:
        errors["reporter_name"] = "Enter the reporter's name"
    values["reporter_name"] = name
    values["reporter_role"] = text_field(data.reporter_role, "reporter_role", "the reporter's role", errors,
                                         limit=rules.REPORTER_TEXT_MAX_CHARS, required=False)
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
    values["worry"] = text_field(data.worry, "worry", "what you are worried about", errors,
                                 limit=rules.WORRY_MAX_CHARS)
    notes = text_field(data.consent_notes, "consent_notes", "the notes on consent", errors,
                       limit=rules.CONSENT_NOTES_MAX_CHARS, required=False)
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
        first = text_field(subject.first_name, prefix + "first_name", "a first name", errors,
                           limit=rules.NAME_MAX_CHARS)
        last = text_field(subject.last_name, prefix + "last_name", "a last name", errors, limit=rules.NAME_MAX_CHARS)
        born = subject.date_of_birth
        if born is not None:
            if born > now.astimezone(LONDON).date():
                errors[prefix + "date_of_birth"] = "Date of birth cannot be in the future"
            elif born > today:
                errors[prefix + "date_of_birth"] = "Date of birth cannot be after the contact was received"
            elif born.year < 1900:
                errors[prefix + "date_of_birth"] = "Date of birth must be after 1900"
        subjects.append(_CleanSubject(
            role=role,
            first_name=first or "",
            last_name=last or "",
            date_of_birth=born,
            nhs_number=_nhs_number(errors, prefix + "nhs_number", subject.nhs_number),
            address=text_field(subject.address, prefix + "address", "an address", errors,
                               limit=rules.ADDRESS_MAX_CHARS, required=False),
            postcode=_postcode(errors, prefix + "postcode", subject.postcode),
        ))
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
    return PortalDefaults(referral_source=user.agency.default_referral_source if user.agency else "",
                          reporter_name=user.full_name, reporter_email=user.email or "")


# --- submitting a contact ---------------------------------------------------------------------------------------


def _link(session: Session, subject: _CleanSubject) -> int | None:
    """The one person these details match exactly, or None (no match, or more than one: a worker decides)."""
    if subject.nhs_number is None and subject.date_of_birth is None:
        return None  # a name alone is never enough to link
    matches = exact_matches(session, nhs_number=subject.nhs_number, first_name=subject.first_name,
                                           last_name=subject.last_name, date_of_birth=subject.date_of_birth)
    ids = {person.id for person in matches}
    return ids.pop() if len(ids) == 1 else None


def _allocated_worker(session: Session, child_ids: list[int], recently_closed_days: int, now: datetime
                      ) -> int | None:
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
    return session.scalar(select(Contact).where(Contact.submitted_by_id == user.id,
                                                Contact.idempotency_key == key))


def submit_contact(session: Session, database: Database, user: User, data: ContactInput) -> Contact:
    """Record a contact and everyone it names. Raises ValidationFailed naming each bad field, writing nothing."""
    access.require(session, database, user, Action.CREATE,
                   AccessSubject(kind=Kind.CONTACT, agency_id=user.agency_id))
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
    for subject in subjects:
        contact.subjects.append(ContactSubject(
            role=subject.role, first_name=subject.first_name, last_name=subject.last_name,
            date_of_birth=subject.date_of_birth, nhs_number=subject.nhs_number, address=subject.address,
            postcode=subject.postcode, person_id=_link(session, subject)))

    # Open-case routing (front-door.md 7): a new worry about a child already allocated goes to their worker.
    child_ids = list(dict.fromkeys(s.person_id for s in contact.children if s.person_id is not None))
    worker_id = _allocated_worker(session, child_ids, int(settings["open_case.recently_closed_days"]), now)
    if worker_id is not None:
        contact.status = ContactStatus.ROUTED_TO_ALLOCATED_WORKER
        contact.routed_to_id = worker_id

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
        session.add(ContactNote(contact_id=contact.id, kind=NoteKind.ROUTED, author_id=user.id, text=(
            "Routed at intake to the allocated worker: a child named "
            + ("has an open case" if _any_open(session, child_ids) else "had a case closed recently"))))
        session.flush()

    detail = {"reference": contact.reference, "channel": str(contact.channel),
              "referral_source": contact.referral_source, "children": len(contact.children),
              "adults": len(contact.adults), "status": str(contact.status),
              "routed_to_id": contact.routed_to_id}
    actor = access.actor_of(user)
    audited: list[int | None] = [*child_ids] or [None]
    for person_id in audited:
        record(session, actor, "create", "contact", contact.id, person_id=person_id, detail=detail)
    return contact


# --- partner checks ---------------------------------------------------------------------------------------------


def _check_subject(check: PartnerCheck) -> AccessSubject:
    return AccessSubject(kind=Kind.PARTNER_CHECK, id=check.id, agency_id=check.agency_id)


def respond_to_check(session: Session, database: Database, user: User, check_id: int, response_text: str,
                     expected_version: int) -> PartnerCheck:
    """The agency asked answers a partner check, once. A stale form or a second answer is a Conflict."""
    check = session.get(PartnerCheck, check_id)
    if check is None:
        raise NotFound("There is no such check.")
    access.require(session, database, user, Action.RESPOND, _check_subject(check))
    if check.status == CheckStatus.ANSWERED:
        raise Conflict("This check has already been answered; an answer cannot be changed here. Contact the "
                       "MASH to add to it.", field="response")
    if check.status == CheckStatus.WITHDRAWN:
        raise Conflict("The MASH has withdrawn this check; no answer is needed.", field="response")
    if check.version != expected_version:
        raise Conflict("This check changed while you were answering it. Nothing was saved: reload the page and "
                       "try again.", field="version")
    errors: dict[str, str] = {}
    text = text_field(response_text, "response", "your answer", errors, limit=rules.CHECK_RESPONSE_MAX_CHARS)
    if errors:
        raise ValidationFailed(errors)
    check.response = text
    check.status = CheckStatus.ANSWERED
    check.responded_by_id = user.id
    check.responded_at = utcnow()
    session.flush()
    record(session, access.actor_of(user), "respond", "partner_check", check.id,
           detail={"contact_id": check.contact_id, "agency_id": check.agency_id, "characters": len(text or "")})
    return check


# --- what the referring agency may see --------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectAsSent:
    role: SubjectRole
    first_name: str
    last_name: str
    date_of_birth: date | None
    nhs_number: str | None
    address: str | None
    postcode: str | None


@dataclass(frozen=True)
class ContactOutcome:
    """A contact as its referrer may know it: what they sent, where it is, and its outcome once in effect.

    Deliberately holds nothing the MASH learned: no RAG rating, notes, checks, links to person records, or the
    routing to an allocated worker (which would reveal an open case).
    """

    id: int
    reference: str
    received_at: datetime
    channel: Channel
    referral_source: str
    reporter_name: str | None
    reporter_role: str | None
    reporter_phone: str | None
    reporter_email: str | None
    worry: str
    consent: ConsentPosition
    consent_notes: str | None
    subjects: tuple[SubjectAsSent, ...]
    status: rules.PartnerStatus
    outcome: Outcome | None
    outcome_label: str | None
    outcome_at: datetime | None

    @property
    def children(self) -> list[SubjectAsSent]:
        return [s for s in self.subjects if s.role == SubjectRole.CHILD]


def outcome_of(contact: Contact) -> ContactOutcome:
    decision = contact.current_decision
    in_effect = decision is not None and decision.status == DecisionStatus.IN_EFFECT
    return ContactOutcome(
        id=contact.id, reference=contact.reference, received_at=contact.received_at, channel=contact.channel,
        referral_source=contact.referral_source, reporter_name=contact.reporter_name,
        reporter_role=contact.reporter_role, reporter_phone=contact.reporter_phone,
        reporter_email=contact.reporter_email, worry=contact.worry, consent=contact.consent,
        consent_notes=contact.consent_notes,
        subjects=tuple(SubjectAsSent(role=s.role, first_name=s.first_name, last_name=s.last_name,
                                     date_of_birth=s.date_of_birth, nhs_number=s.nhs_number, address=s.address,
                                     postcode=s.postcode) for s in contact.subjects),
        status=rules.partner_status(contact.status, in_effect),
        outcome=decision.outcome if in_effect and decision else None,
        outcome_label=rules.PARTNER_OUTCOME_LABELS[decision.outcome] if in_effect and decision else None,
        outcome_at=(decision.took_effect_at or decision.signed_off_at or decision.decided_at)
        if in_effect and decision else None,
    )


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def _page_bounds(page: int, size: int | None) -> tuple[int, int]:
    limit = get_settings().max_page_size
    size = min(max(1, size or 25), limit)
    return max(1, page), size


def contact_outcome(session: Session, database: Database, user: User, contact_id: int) -> ContactOutcome:
    """The referrer's view of one contact their agency made (partners only; audited as a view)."""
    contact = session.get(Contact, contact_id, options=[selectinload(Contact.subjects),
                                                        selectinload(Contact.decisions)])
    if contact is None:
        raise NotFound("There is no such contact.")
    access.require(session, database, user, Action.VIEW, AccessSubject(
        kind=Kind.CONTACT_OUTCOME, id=contact.id, agency_id=contact.reporting_agency_id))
    record(session, access.actor_of(user), "view", "contact", contact.id, detail={"view": "outcome"})
    return outcome_of(contact)


def agency_contacts(session: Session, database: Database, user: User, page: int = 1, size: int | None = None
                    ) -> Page[ContactOutcome]:
    """The contacts the user's agency made, newest first (partners only; scoped to their agency)."""
    access.require_role(database, user, Kind.CONTACT_OUTCOME, Action.LIST)
    if user.agency_id is None:
        raise AccessDenied("You do not belong to a partner agency.")
    page, size = _page_bounds(page, size)
    scope = Contact.reporting_agency_id == user.agency_id
    total = session.scalar(select(func.count(Contact.id)).where(scope)) or 0
    contacts = session.scalars(
        select(Contact).where(scope).order_by(Contact.received_at.desc(), Contact.id.desc())
        .offset((page - 1) * size).limit(size)
        .options(selectinload(Contact.subjects), selectinload(Contact.decisions))).all()
    record(session, access.actor_of(user), "list", "contact", None,
           detail={"agency_id": user.agency_id, "page": page, "size": size})
    return Page([outcome_of(c) for c in contacts], page, size, total)


@dataclass(frozen=True)
class CheckForAgency:
    """A partner check as the agency asked sees it: the question and who it is about, not the contact's worry."""

    id: int
    version: int
    contact_reference: str
    question: str
    lawful_basis: str
    consent: str
    consent_reason: str | None
    requested_at: datetime
    due_at: datetime
    status: CheckStatus
    response: str | None
    responded_at: datetime | None
    # Name and date of birth of the children it concerns, so the agency can find its own records.
    children: tuple[tuple[str, date | None], ...]


def check_for_agency(check: PartnerCheck) -> CheckForAgency:
    return CheckForAgency(
        id=check.id, version=check.version, contact_reference=check.contact.reference, question=check.question,
        lawful_basis=str(check.lawful_basis), consent=str(check.consent), consent_reason=check.consent_reason,
        requested_at=check.requested_at, due_at=check.due_at, status=CheckStatus(check.status),
        response=check.response, responded_at=check.responded_at,
        children=tuple((s.full_name, s.date_of_birth) for s in check.contact.children))


def agency_checks(session: Session, database: Database, user: User, *, awaiting_only: bool = False,
                  page: int = 1, size: int | None = None) -> Page[CheckForAgency]:
    """Checks addressed to the user's agency, soonest due first (partners only)."""
    if not user.is_partner:
        # The MASH sees checks on the contact page; this list is the agency's in-tray.
        access.require_role(database, user, Kind.CONTACT_OUTCOME, Action.LIST)
    access.require_role(database, user, Kind.PARTNER_CHECK, Action.LIST)
    if user.agency_id is None:
        raise AccessDenied("You do not belong to a partner agency.")
    page, size = _page_bounds(page, size)
    scope = [PartnerCheck.agency_id == user.agency_id]
    if awaiting_only:
        scope.append(PartnerCheck.status == CheckStatus.REQUESTED)
    total = session.scalar(select(func.count(PartnerCheck.id)).where(*scope)) or 0
    checks = session.scalars(
        select(PartnerCheck).where(*scope)
        .order_by((PartnerCheck.status == CheckStatus.REQUESTED).desc(), PartnerCheck.due_at, PartnerCheck.id)
        .offset((page - 1) * size).limit(size)
        .options(selectinload(PartnerCheck.contact).selectinload(Contact.subjects))).all()
    record(session, access.actor_of(user), "list", "partner_check", None,
           detail={"agency_id": user.agency_id, "awaiting_only": awaiting_only, "page": page})
    return Page([check_for_agency(c) for c in checks], page, size, total)


def view_check(session: Session, database: Database, user: User, check_id: int) -> CheckForAgency:
    """One check, for the agency it was addressed to (audited as a view)."""
    check = session.get(PartnerCheck, check_id)
    if check is None:
        raise NotFound("There is no such check.")
    if not user.is_partner:
        access.require_role(database, user, Kind.CONTACT_OUTCOME, Action.VIEW)
    access.require(session, database, user, Action.VIEW, _check_subject(check))
    record(session, access.actor_of(user), "view", "partner_check", check.id,
           detail={"contact_id": check.contact_id})
    return check_for_agency(check)


# --- the full contact, for staff through the API ----------------------------------------------------------------


def access_subject(contact: Contact) -> AccessSubject:
    """The policy's facts about a contact: the agency that made it and the people linked to it."""
    return AccessSubject(kind=Kind.CONTACT, id=contact.id, agency_id=contact.reporting_agency_id,
                         person_ids=tuple(sorted({s.person_id for s in contact.subjects if s.person_id})),
                         allocated_user_ids=(contact.routed_to_id,) if contact.routed_to_id else ())


def staff_contact(session: Session, database: Database, user: User, contact_id: int) -> Contact:
    """A contact in full, for staff allowed to view contacts (restricted children stay restricted); audited."""
    contact = session.get(Contact, contact_id, options=[selectinload(Contact.subjects),
                                                        selectinload(Contact.decisions)])
    if contact is None:
        raise NotFound("There is no such contact.")
    subject = access_subject(contact)
    access.require(session, database, user, Action.VIEW, subject)
    actor = access.actor_of(user)
    for person_id in subject.person_ids or (None,):
        record(session, actor, "view", "contact", contact.id, person_id=person_id, detail={"via": "api"})
    return contact
