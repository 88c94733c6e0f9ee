"""MASH use-cases: the screening queue, the contact record, RAG rating, partner checks, threshold decisions,
manager sign-off, contacts routed to allocated workers, and the MASH dashboard.

Each function is one unit of work inside the caller's transaction: it asks ``core.access`` first, validates
everything before writing, writes, and queues its audit rows. Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from math import ceil
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from safeguarding.casework import service as casework
from safeguarding.casework.models import Allocation, Referral
from safeguarding.core import access, local_settings
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record, record_search
from safeguarding.core.calendar import LONDON, today_in_london, working_hours_between
from safeguarding.core.codes import REFERRAL_SOURCES, label
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field, in_england, text_field, time_field
from safeguarding.core.users import PartnerAgency, Role, User
from safeguarding.front_door import rules
from safeguarding.front_door.models import (
    CheckConsent,
    CheckStatus,
    Contact,
    ContactDecision,
    ContactNote,
    ContactStatus,
    ContactSubject,
    DecisionStatus,
    LawfulBasis,
    NoteKind,
    Outcome,
    PartnerCheck,
    Rag,
    RagRating,
    SubjectRole,
)
from safeguarding.people import service as people
from safeguarding.people.models import Person, PersonKind

OPEN = (ContactStatus.AWAITING_SCREENING, ContactStatus.IN_SCREENING)
PAGE_SIZE = 50
RESTRICTED_LABEL = "Restricted record"
QUESTION_MAX = 4000
NOTE_MAX = 4000
DECIDED_ELSEWHERE = ("Someone else decided this contact while you were working on it. Nothing you entered was "
                     "saved: reload the contact to see their decision.")


# --- access ------------------------------------------------------------------------------------------------------


def subject_of(contact: Contact) -> AccessSubject:
    """The facts the access policy needs about a contact: the reporting agency and the people it names."""
    person_ids = tuple(sorted({s.person_id for s in contact.subjects if s.person_id is not None}))
    allocated = (contact.routed_to_id,) if contact.routed_to_id else ()
    return AccessSubject(kind=Kind.CONTACT, id=contact.id, agency_id=contact.reporting_agency_id,
                         person_ids=person_ids, allocated_user_ids=allocated)


def _audit(session: Session, user: User, action: str, contact: Contact, **detail: Any) -> None:
    """One audit row per linked person, so each child's "who has looked at this record" shows the contact."""
    person_ids = subject_of(contact).person_ids or (None,)
    for person_id in person_ids:
        record(session, access.actor_of(user), action, "contact", contact.id, person_id=person_id, detail=detail)


def _load(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"There is no contact {contact_id}.")
    return contact


def _settings(session: Session) -> dict[str, Any]:
    return local_settings.get_all(session)


def _flush(session: Session, message: str) -> None:
    """Write now, turning a concurrent change (version column) into a clear 409."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(message, field="version") from None


def _refuse(session: Session, user: User, action: str, target_type: str, target_id: object, reason: str) -> None:
    """Audit a refusal the policy table cannot express; the row survives the refused request's rollback (queued
    on the request's own session: a second connection would wait on SQLite's write lock)."""
    record(session, access.actor_of(user), action, target_type, target_id, reason=reason, outcome="refused",
           survive_rollback=True)


def _start_screening(contact: Contact, user: User) -> None:
    if contact.status == ContactStatus.AWAITING_SCREENING:
        contact.status = ContactStatus.IN_SCREENING
    if contact.screened_by_id is None:
        contact.screened_by_id = user.id


def _require_open(contact: Contact, doing: str) -> None:
    if contact.status not in OPEN:
        state = str(contact.status).replace("_", " ")
        raise Conflict(f"This contact is {state}, so you cannot {doing} now.", field="status")


# --- the queue ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    contact: Contact
    children: list[str]
    source: str
    hours_left: float  # working hours until the decision is due; negative when overdue
    # Past the deadline by the clock: a deadline that fell at close of office is overdue in the evening although
    # no working time has passed since.
    overdue: bool


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    page: int
    pages: int
    total: int
    rag: str | None


def _parse_rag_filter(rag: str | None) -> str | None:
    if rag in (None, "", "all"):
        return None
    if rag == "unrated" or rag in {r.value for r in Rag}:
        return rag
    raise ValidationFailed({"rag": "Choose red, amber, green, not rated or all"})


def _source_of(contact: Contact) -> str:
    who = contact.reporting_agency.name if contact.reporting_agency else (contact.reporter_name or "")
    source = label(REFERRAL_SOURCES, contact.referral_source)
    return f"{source} ({who})" if who else source


def _hidden_contacts(session: Session, user: User, contacts: Iterable[Contact]) -> set[int]:
    """Contacts on a list naming a restricted child this user may not open: shown without names.

    One query for the whole page; the per-contact policy check runs only for the (rare) restricted ones."""
    contacts = list(contacts)
    all_ids = {s.person_id for c in contacts for s in c.subjects if s.person_id is not None}
    restricted = access.restricted_among(session, all_ids)
    hidden: set[int] = set()
    for contact in contacts:
        if restricted & set(subject_of(contact).person_ids) and not access.authorize(
                session, user, Action.VIEW, subject_of(contact)).allowed:
            hidden.add(contact.id)
    return hidden


def _hours_left(due_at: datetime, now: datetime, opens: time, closes: time) -> float:
    return working_hours_between(now, due_at, opens, closes)


def queue(session: Session, database: Database, user: User, *, rag: str | None = None, page: int = 1,
          now: datetime | None = None) -> QueuePage:
    """Open contacts (awaiting or in screening), earliest deadline first; read on the ``ix_contact_queue`` index."""
    access.require_role(database, user, Kind.CONTACT, Action.SCREEN)
    rag_filter = _parse_rag_filter(rag)
    now = now or utcnow()
    conditions: list[Any] = [Contact.status.in_([s.value for s in OPEN])]
    if rag_filter == "unrated":
        conditions.append(Contact.rag.is_(None))
    elif rag_filter:
        conditions.append(Contact.rag == rag_filter)
    total = session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0
    pages = max(1, ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    contacts = list(session.scalars(
        select(Contact).where(*conditions)
        .options(selectinload(Contact.subjects))
        .order_by(Contact.due_at, Contact.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    opens, closes = rules.office_hours(_settings(session))
    hidden = _hidden_contacts(session, user, contacts)
    rows = [QueueRow(
        contact=c,
        children=[RESTRICTED_LABEL] if c.id in hidden else [s.full_name for s in c.children],
        source=_source_of(c),
        hours_left=_hours_left(c.due_at, now, opens, closes),
        overdue=c.due_at < now,
    ) for c in contacts]
    record(session, access.actor_of(user), "list", "contact_queue", None,
           detail={"rag": rag_filter or "all", "page": page, "shown": len(rows)})
    return QueuePage(rows=rows, page=page, pages=pages, total=total, rag=rag_filter)


# --- the contact record ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateView:
    person_id: int
    name: str
    date_of_birth: date | None
    score: float
    reasons: list[str]
    restricted: bool = False


@dataclass(frozen=True)
class HistoryItem:
    """An earlier contact or referral of the child or a sibling."""

    at: date
    kind: str  # "contact" or "referral"
    whose: str  # the child's or sibling's name
    description: str
    contact_id: int | None = None
    re_referral: bool = False


@dataclass
class ChildView:
    subject: ContactSubject
    person: Person | None = None
    candidates: list[CandidateView] = field(default_factory=list)
    history: list[HistoryItem] = field(default_factory=list)
    allocation: Allocation | None = None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str
    what: str
    detail: str = ""


@dataclass
class ContactView:
    contact: Contact
    children: list[ChildView]
    adults: list[ContactSubject]
    timeline: list[TimelineEntry]
    hours_left: float
    overdue: bool
    overdue_check_ids: set[int]
    agencies: list[PartnerAgency]
    level_labels: dict[int, str]
    default_check_due: datetime
    may_screen: bool
    may_sign_off: bool
    may_respond: bool
    open_case_allocations: list[Allocation]

    @property
    def awaiting_sign_off(self) -> ContactDecision | None:
        decision = self.contact.current_decision
        return decision if decision and decision.status == DecisionStatus.AWAITING_SIGN_OFF else None


def _candidate_views(session: Session, user: User, subject: ContactSubject) -> list[CandidateView]:
    """People who may be this child (people.service.find_candidates); restricted ones the user may not open are
    shown without details, so a duplicate is not created but nothing leaks."""
    matched = people.find_candidates(
        session, first_name=subject.first_name, last_name=subject.last_name, date_of_birth=subject.date_of_birth,
        nhs_number=subject.nhs_number, postcode=subject.postcode)[:10]
    found = people.visible_to(session, user, matched)
    # Looking for the child among people records is a search: audited with its terms and what it found.
    terms = {"first_name": subject.first_name, "last_name": subject.last_name,
             "date_of_birth": subject.date_of_birth.isoformat() if subject.date_of_birth else None,
             "nhs_number": subject.nhs_number, "postcode": subject.postcode}
    record_search(session, access.actor_of(user), "person", {k: v for k, v in terms.items() if v},
                  [c.person_id for c in matched], detail={"contact_id": subject.contact_id})
    return [CandidateView(
        person_id=0 if c.person is None else c.person_id,  # a hidden record's id is not sent to the page
        name=c.person.full_name if c.person is not None else RESTRICTED_LABEL,
        date_of_birth=c.person.date_of_birth if c.person is not None else None,
        score=float(c.score), reasons=list(c.reasons), restricted=c.person is None) for c in found[:10]]


def _history(session: Session, contact: Contact, person: Person) -> list[HistoryItem]:
    """Earlier contacts and referrals of this child and of their siblings, newest first."""
    family = {person.id: person.full_name} | {s.id: s.full_name for s in people.siblings_of(session, person.id)}
    items: list[HistoryItem] = []
    # Columns, not whole contacts: a child with a long history would otherwise load up to 50 contacts with their
    # agencies and every decision, on every view of the page.
    earlier = session.execute(
        select(ContactSubject.person_id, Contact.id, Contact.received_at, Contact.status)
        .join(Contact, Contact.id == ContactSubject.contact_id)
        .where(ContactSubject.person_id.in_(family), Contact.id != contact.id)
        .order_by(Contact.received_at.desc()).limit(50)).all()
    # Each earlier contact's current decision (Contact.current_decision: the last one not returned).
    current: dict[int, tuple[Outcome, int]] = {}
    if earlier:
        for contact_id, decided_outcome, level in session.execute(
                select(ContactDecision.contact_id, ContactDecision.outcome, ContactDecision.level_of_need)
                .where(ContactDecision.contact_id.in_({row.id for row in earlier}),
                       ContactDecision.status != DecisionStatus.RETURNED)
                .order_by(ContactDecision.decided_at, ContactDecision.id)):
            current[contact_id] = (decided_outcome, level)
    for person_id, other_id, received_at, status in earlier:
        decided = current.get(other_id)
        outcome = (f"{decided[0].replace('_', ' ')} (level {decided[1]})"
                   if decided else str(status).replace("_", " "))
        items.append(HistoryItem(at=received_at.astimezone(LONDON).date(), kind="contact",
                                 whose=family.get(person_id or 0, ""),
                                 description=f"{Contact.reference_of(other_id)}: {outcome}", contact_id=other_id))
    for referral in casework.referrals_of(session, list(family)):
        if referral.contact_id == contact.id:
            continue
        closed = f", closed {referral.closed_date:%-d %b %Y}" if referral.closed_date else ", open"
        items.append(HistoryItem(at=referral.referral_date, kind="referral", whose=family[referral.person_id],
                                 description=f"Referral: {referral.route.replace('_', ' ')}{closed}",
                                 contact_id=referral.contact_id, re_referral=referral.is_re_referral))
    items.sort(key=lambda i: i.at, reverse=True)
    return items


def _timeline(session: Session, contact: Contact) -> list[TimelineEntry]:
    notes = list(session.scalars(select(ContactNote).where(ContactNote.contact_id == contact.id)))
    names = _user_names(session, _timeline_user_ids(contact, notes))
    entries = [TimelineEntry(contact.received_at, contact.reporter_name or (
        contact.reporting_agency.name if contact.reporting_agency else "Reporter"),
        f"Contact received by {contact.channel.replace('_', ' ')}")]
    for rating in contact.ratings:
        entries.append(TimelineEntry(rating.rated_at, names.get(rating.rated_by_id, ""),
                                     f"Rated {rating.rating}", rating.rationale))
    for check in contact.checks:
        entries.append(TimelineEntry(check.requested_at, names.get(check.requested_by_id, ""),
                                     f"Check requested from {check.agency.name}", check.question))
        if check.responded_at:
            entries.append(TimelineEntry(check.responded_at, check.agency.name, "Check answered",
                                         check.response or ""))
    for decision in contact.decisions:
        entries.append(TimelineEntry(
            decision.decided_at, names.get(decision.decided_by_id, ""),
            f"Decision: {decision.outcome.replace('_', ' ')}, level {decision.level_of_need}", decision.rationale))
        if decision.signed_off_at and decision.signed_off_by_id:
            verb = "Returned" if decision.status == DecisionStatus.RETURNED else "Signed off"
            entries.append(TimelineEntry(decision.signed_off_at, names.get(decision.signed_off_by_id, ""),
                                         f"{verb} by manager", decision.sign_off_note or ""))
    for note in notes:
        entries.append(TimelineEntry(note.at, names.get(note.author_id, ""),
                                     _NOTE_LABELS.get(note.kind, str(note.kind).replace("_", " ").capitalize()),
                                     note.text))
    entries.sort(key=lambda e: e.at)
    return entries


_NOTE_LABELS = {NoteKind.NOTE: "Note", NoteKind.ACKNOWLEDGED: "Acknowledged by allocated worker",
                NoteKind.PERSON_LINKED: "Child linked to a person record", NoteKind.ROUTED: "Routed"}


def _timeline_user_ids(contact: Contact, notes: list[ContactNote]) -> set[int]:
    ids = {r.rated_by_id for r in contact.ratings} | {c.requested_by_id for c in contact.checks}
    ids |= {d.decided_by_id for d in contact.decisions} | {
        d.signed_off_by_id for d in contact.decisions if d.signed_off_by_id}
    ids |= {note.author_id for note in notes}
    return ids


def _user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def _may_respond(user: User, contact: Contact) -> bool:
    """The worker the contact was routed to, or a team manager of that worker's team."""
    if not access.role_may(user, Kind.CONTACT, Action.RESPOND) or contact.routed_to_id is None:
        return False
    if contact.routed_to_id == user.id:
        return True
    routed = contact.routed_to
    return user.role == Role.TEAM_MANAGER and routed is not None and routed.team_id is not None \
        and routed.team_id == user.team_id


def view_contact(session: Session, database: Database, user: User, contact_id: int,
                 now: datetime | None = None) -> ContactView:
    """Everything the MASH page shows about one contact (an audited view)."""
    contact = _load(session, contact_id)
    access.require(session, database, user, Action.VIEW, subject_of(contact))
    now = now or utcnow()
    settings = _settings(session)
    opens, closes = rules.office_hours(settings)
    may_screen = access.role_may(user, Kind.CONTACT, Action.SCREEN)
    children: list[ChildView] = []
    allocations: list[Allocation] = []
    for subject in contact.children:
        view = ChildView(subject=subject)
        if subject.person_id is not None:
            view.person = session.get(Person, subject.person_id)
            if view.person is not None:
                view.history = _history(session, contact, view.person)
            view.allocation = casework.open_allocation(session, subject.person_id)
            if view.allocation:
                allocations.append(view.allocation)
        elif may_screen and contact.status in OPEN:
            view.candidates = _candidate_views(session, user, subject)
        children.append(view)
    _audit(session, user, "view", contact)
    return ContactView(
        contact=contact,
        children=children,
        adults=contact.adults,
        timeline=_timeline(session, contact),
        hours_left=_hours_left(contact.due_at, now, opens, closes),
        overdue=contact.due_at < now,
        overdue_check_ids={c.id for c in contact.checks if c.status == CheckStatus.REQUESTED and c.due_at < now},
        agencies=list(session.scalars(select(PartnerAgency).order_by(PartnerAgency.name))) if may_screen else [],
        level_labels=level_labels(settings),
        default_check_due=rules.partner_check_deadline(now, settings),
        may_screen=may_screen,
        may_sign_off=access.role_may(user, Kind.DECISION, Action.SIGN_OFF),
        may_respond=_may_respond(user, contact),
        open_case_allocations=allocations,
    )


def level_labels(settings: Mapping[str, Any]) -> dict[int, str]:
    """The council's own names for levels of need 1-4 (local threshold document)."""
    return {level: str(settings[f"threshold.level{level}"]) for level in range(1, 5)}


# --- linking children to people ----------------------------------------------------------------------------------


def _subject_on(contact: Contact, subject_id: int) -> ContactSubject:
    subject = next((s for s in contact.subjects if s.id == subject_id), None)
    if subject is None:
        raise NotFound("That person is not named on this contact.")
    return subject


def link_person(session: Session, database: Database, user: User, contact_id: int, subject_id: int,
                person_id: int) -> ContactSubject:
    """Link a child or adult named on the contact to an existing person record."""
    contact = _load(session, contact_id)
    access.require(session, database, user, Action.SCREEN, subject_of(contact))
    subject = _subject_on(contact, subject_id)
    person = session.get(Person, person_id)
    if person is None:
        raise ValidationFailed({"person_id": "Choose a person record to link"})
    # Linking reveals the record to the page, so the person's own restriction applies.
    access.require(session, database, user, Action.VIEW, people.access_subject(person))
    _require_open(contact, "link people")
    if subject.role == SubjectRole.CHILD and person.kind != "child":
        raise ValidationFailed({"person_id": f"{person.full_name} is recorded as an adult, not a child"})
    subject.person_id = person.id
    _start_screening(contact, user)
    session.add(ContactNote(contact_id=contact.id, kind=NoteKind.PERSON_LINKED, author_id=user.id,
                            text=f"{subject.full_name} linked to person record {person.id}"))
    record(session, access.actor_of(user), "link_person", "contact", contact.id, person_id=person.id,
           detail={"subject_id": subject.id})
    _flush(session, "Someone else changed this contact while you were linking. Reload it and try again.")
    return subject


def create_person_for(session: Session, database: Database, user: User, contact_id: int,
                      subject_id: int) -> Person:
    """Create a new person record from the details the reporter gave, and link it."""
    contact = _load(session, contact_id)
    access.require(session, database, user, Action.SCREEN, subject_of(contact))
    subject = _subject_on(contact, subject_id)
    _require_open(contact, "create people")
    if subject.person_id is not None:
        raise Conflict(f"{subject.full_name} is already linked to a person record.", field="subject_id")
    person = people.create_person(session, database, user, _person_input(subject))
    link_person(session, database, user, contact_id, subject_id, person.id)
    return person


def _person_input(subject: ContactSubject) -> people.PersonInput:
    """The people service's input built from what the reporter described."""
    address = people.AddressInput(line1=subject.address, postcode=subject.postcode or "") if subject.address \
        else None
    return people.PersonInput(first_name=subject.first_name, last_name=subject.last_name,
                              kind=PersonKind.CHILD if subject.role == SubjectRole.CHILD else PersonKind.ADULT,
                              date_of_birth=subject.date_of_birth, nhs_number=subject.nhs_number, address=address)


def route_to_allocated_worker(session: Session, database: Database, user: User, contact_id: int) -> Contact:
    """Open case: pass the contact to the child's allocated worker instead of deciding it in the MASH
    (front-door.md section 7)."""
    contact = _load(session, contact_id)
    access.require(session, database, user, Action.SCREEN, subject_of(contact))
    _require_open(contact, "route it")
    allocation = next((a for s in contact.children if s.person_id is not None
                       if (a := casework.open_allocation(session, s.person_id))), None)
    if allocation is None:
        raise ValidationFailed({"route": "No child on this contact has an open case with an allocated worker"})
    contact.status = ContactStatus.ROUTED_TO_ALLOCATED_WORKER
    contact.routed_to_id = allocation.worker_id
    session.add(ContactNote(contact_id=contact.id, kind=NoteKind.ROUTED, author_id=user.id,
                            text=f"Open case: routed to {allocation.worker.full_name}"))
    _audit(session, user, "route", contact, routed_to_id=allocation.worker_id)
    _flush(session, "Someone else changed this contact while you were routing it. Reload it and try again.")
    return contact


# --- RAG rating --------------------------------------------------------------------------------------------------


def rate(session: Session, database: Database, user: User, contact_id: int, rating: str | None,
         rationale: str | None) -> RagRating:
    """Rate or re-rate a contact. The history is kept; the deadline is recomputed from when it was received."""
    contact = _load(session, contact_id)
    access.require(session, database, user, Action.SCREEN, subject_of(contact))
    errors: dict[str, str] = {}
    if rating not in {r.value for r in Rag}:
        errors["rating"] = "Choose a rating: red, amber or green"
    if problem := rules.rationale_problem(rationale, "rationale for the rating"):
        errors["rating_rationale"] = problem
    if errors:
        raise ValidationFailed(errors)
    _require_open(contact, "rate it")
    rag = Rag(str(rating))
    due_at = rules.rag_deadline(contact.received_at, rag, _settings(session))
    row = RagRating(contact_id=contact.id, rating=rag, rationale=" ".join((rationale or "").split()),
                    rated_by_id=user.id, due_at=due_at)
    session.add(row)
    previous = contact.rag
    contact.rag = rag
    contact.due_at = due_at
    _start_screening(contact, user)
    _audit(session, user, "rate", contact, rating=rag.value, previous=previous, due_at=due_at.isoformat())
    _flush(session, "Someone else changed this contact while you were rating it. Reload it and try again.")
    return row


# --- partner checks ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInput:
    agency_id: int | None
    question: str
    lawful_basis: str | None
    consent: str | None
    consent_reason: str | None = None
    due_at: datetime | None = None


def request_check(session: Session, database: Database, user: User, contact_id: int, data: CheckInput,
                  now: datetime | None = None) -> PartnerCheck:
    """Ask a partner agency for what it knows, recording the information-sharing decision (front-door.md 6.3)."""
    contact = _load(session, contact_id)
    agency = session.get(PartnerAgency, data.agency_id) if data.agency_id else None
    subject = AccessSubject(kind=Kind.PARTNER_CHECK, agency_id=agency.id if agency else None,
                            person_ids=subject_of(contact).person_ids)
    access.require(session, database, user, Action.REQUEST, subject)
    now = now or utcnow()
    default_due = rules.partner_check_deadline(now, _settings(session))
    errors: dict[str, str] = {}
    if agency is None:
        errors["agency_id"] = "Choose the agency to ask"
    question = text_field(data.question, "question", "the question for the agency", errors, limit=QUESTION_MAX,
                          noun="the question")
    if data.lawful_basis not in {b.value for b in LawfulBasis}:
        errors["lawful_basis"] = "Choose the lawful basis for sharing"
    if data.consent not in {c.value for c in CheckConsent}:
        errors["check_consent"] = "Choose the consent position"
    elif rules.check_consent_needs_reason(data.consent) and (
            problem := rules.rationale_problem(data.consent_reason, "reason consent was not sought or was "
                                                                     "overridden")):
        errors["consent_reason"] = problem
    if data.due_at is not None:
        if data.due_at.tzinfo is None:
            errors["due_at"] = "Enter the response deadline as a date and time"
        elif data.due_at <= now:
            errors["due_at"] = "The response deadline must be in the future"
        elif data.due_at > default_due:
            errors["due_at"] = ("The response deadline can be earlier than the usual one, not later "
                                f"(usual: {default_due.astimezone(LONDON):%-d %b %Y %H:%M})")
    if errors:
        raise ValidationFailed(errors)
    _require_open(contact, "ask for checks")
    assert agency is not None and question is not None
    reason = (data.consent_reason or "").strip() or None
    check = PartnerCheck(contact_id=contact.id, agency_id=agency.id, question=question,
                         lawful_basis=LawfulBasis(str(data.lawful_basis)), consent=CheckConsent(str(data.consent)),
                         consent_reason=reason, requested_by_id=user.id, requested_at=now,
                         due_at=data.due_at or default_due)
    session.add(check)
    _start_screening(contact, user)
    _flush(session, "Someone else changed this contact while you were asking. Reload it and try again.")
    _audit(session, user, "request_check", contact, check_id=check.id, agency_id=agency.id,
           lawful_basis=check.lawful_basis, consent=check.consent)
    return check


def overdue_checks(checks: Iterable[PartnerCheck], now: datetime | None = None) -> list[PartnerCheck]:
    now = now or utcnow()
    return [c for c in checks if c.status == CheckStatus.REQUESTED and c.due_at < now]


# --- decisions and sign-off --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionInput:
    level_of_need: int | str | None
    outcome: str | None
    rationale: str | None
    expected_version: int | None


def _check_version(contact: Contact, expected_version: int | None) -> None:
    if expected_version is None or contact.version == expected_version:
        return
    if contact.status not in OPEN:
        raise Conflict("Someone else decided this contact while you were working on it. Nothing you entered "
                       "was saved: reload the contact to see their decision.", field="version")
    raise Conflict("Someone else changed this contact while you were working on it. Nothing you entered was "
                   "saved: reload the contact, check what changed, then decide.", field="version")


def _unlinked_children(contact: Contact) -> list[str]:
    return [s.full_name for s in contact.children if s.person_id is None]


def _referral_blocker(contact: Contact, outcome: Outcome) -> dict[str, str]:
    unlinked = _unlinked_children(contact)
    if outcome in rules.REFERRAL_OUTCOMES and unlinked:
        return {"children": "Link every child to a person record before a referral can take effect. Not linked: "
                + ", ".join(unlinked)}
    return {}


def decide(session: Session, database: Database, user: User, contact_id: int, data: DecisionInput,
           now: datetime | None = None) -> ContactDecision:
    """Record the threshold decision; it takes effect now or waits for a MASH manager's sign-off."""
    contact = _load(session, contact_id)
    access.require(session, database, user, Action.DECIDE,
                   AccessSubject(kind=Kind.DECISION, id=contact.id, person_ids=subject_of(contact).person_ids))
    _check_version(contact, data.expected_version)
    if contact.status not in OPEN:
        raise Conflict("Someone else decided this contact already. Nothing you entered was saved.",
                       field="version")
    errors: dict[str, str] = {}
    try:
        level = int(str(data.level_of_need))
        if not 1 <= level <= 4:
            raise ValueError
    except ValueError:
        level = 0
        errors["level_of_need"] = "Choose the level of need (1 to 4)"
    outcome = Outcome(data.outcome) if data.outcome in {o.value for o in Outcome} else None
    if outcome is None:
        errors["outcome"] = "Choose the outcome"
    if problem := rules.rationale_problem(data.rationale, "rationale for the decision"):
        errors["rationale"] = problem
    if outcome is not None:
        errors |= _referral_blocker(contact, outcome)
    if errors:
        raise ValidationFailed(errors)
    assert outcome is not None
    now = now or utcnow()
    settings = _settings(session)
    opens, closes = rules.office_hours(settings)
    needs_sign_off = rules.sign_off_required(outcome, settings)
    decision = ContactDecision(
        contact_id=contact.id, level_of_need=level, outcome=outcome,
        rationale=(data.rationale or "").strip(), decided_by_id=user.id, decided_at=now,
        working_hours_to_decision=round(working_hours_between(contact.received_at, now, opens, closes), 2),
        within_deadline=now <= contact.due_at,
        status=DecisionStatus.AWAITING_SIGN_OFF if needs_sign_off else DecisionStatus.IN_EFFECT)
    session.add(decision)
    contact.decisions.append(decision)
    if needs_sign_off:
        contact.status = ContactStatus.AWAITING_SIGN_OFF
    else:
        _take_effect(session, user, contact, decision, now)
    _start_screening(contact, user)
    _flush(session, DECIDED_ELSEWHERE)
    _audit(session, user, "decide", contact, decision_id=decision.id, level_of_need=level, outcome=outcome.value,
           status=str(decision.status))
    return decision


def _take_effect(session: Session, user: User, contact: Contact, decision: ContactDecision,
                 now: datetime) -> list[Referral]:
    """The decision stands: close the contact and, for a referral outcome, record a referral per child."""
    decision.status = DecisionStatus.IN_EFFECT
    decision.took_effect_at = now
    contact.status = ContactStatus.DECIDED
    contact.decided_at = now
    referrals: list[Referral] = []
    if decision.outcome not in rules.REFERRAL_OUTCOMES:
        return referrals
    _flush(session, DECIDED_ELSEWHERE)  # the decision's id goes on each referral
    for child in contact.children:
        assert child.person_id is not None  # _referral_blocker refused unlinked children first
        if casework.open_allocation(session, child.person_id) is not None:
            # A referral is not recorded for a child whose case is already open (DfE CIN census methodology).
            session.add(ContactNote(contact_id=contact.id, kind=NoteKind.NOTE, author_id=user.id,
                                    text=f"No referral recorded for {child.full_name}: their case is already open"))
            continue
        referral = casework.record_referral(session, casework.ReferralInput(
            person_id=child.person_id,
            # CIN census: the referral date is the date children's social care received it.
            referral_date=contact.received_at.astimezone(LONDON).date(),
            referral_source=contact.referral_source, route=str(decision.outcome), contact_id=contact.id,
            decision_id=decision.id))
        referrals.append(referral)
        record(session, access.actor_of(user), "create", "referral", referral.id, person_id=child.person_id,
               detail={"contact_id": contact.id, "re_referral": referral.is_re_referral})
    return referrals


def sign_off(session: Session, database: Database, user: User, contact_id: int, *, agree: bool,
             note: str | None, expected_version: int | None, now: datetime | None = None) -> ContactDecision:
    """A MASH manager agrees the decision (it takes effect) or returns it with a note (screened again)."""
    contact = _load(session, contact_id)
    subject = AccessSubject(kind=Kind.DECISION, id=contact.id, person_ids=subject_of(contact).person_ids)
    access.require(session, database, user, Action.SIGN_OFF, subject)
    _check_version(contact, expected_version)
    decision = contact.current_decision
    if decision is None or decision.status != DecisionStatus.AWAITING_SIGN_OFF:
        raise Conflict("This contact has no decision waiting for sign-off: someone else may have signed it off.",
                       field="version")
    if decision.decided_by_id == user.id:
        _refuse(session, user, "sign_off", "decision", decision.id, "a worker may not sign off their own decision")
        raise AccessDenied("You made this decision, so another manager must sign it off.")
    note_text = (note or "").strip() or None
    errors: dict[str, str] = {}
    if not agree and (problem := rules.rationale_problem(note, "note saying why the decision is returned")):
        errors["sign_off_note"] = problem
    if agree:
        errors |= _referral_blocker(contact, decision.outcome)
    text_field(note, "sign_off_note", "the note", errors, limit=NOTE_MAX, required=False)
    if errors:
        raise ValidationFailed(errors)
    now = now or utcnow()
    decision.signed_off_by_id = user.id
    decision.signed_off_at = now
    decision.sign_off_note = note_text
    if agree:
        _take_effect(session, user, contact, decision, now)
    else:
        decision.status = DecisionStatus.RETURNED
        contact.status = ContactStatus.IN_SCREENING
        contact.decided_at = None
    _flush(session, "Someone else signed off this decision while you were working on it. Reload the contact.")
    _audit(session, user, "sign_off" if agree else "return_decision", contact, decision_id=decision.id)
    return decision


@dataclass(frozen=True)
class SignOffRow:
    contact: Contact
    decision: ContactDecision
    decided_by: str
    children: list[str]


def awaiting_sign_off(session: Session, database: Database, user: User) -> list[SignOffRow]:
    """Decisions waiting for a MASH manager, oldest first."""
    access.require_role(database, user, Kind.DECISION, Action.SIGN_OFF)
    decisions = list(session.scalars(
        select(ContactDecision).where(ContactDecision.status == DecisionStatus.AWAITING_SIGN_OFF)
        .options(selectinload(ContactDecision.contact).selectinload(Contact.subjects),
                 selectinload(ContactDecision.decided_by))
        .order_by(ContactDecision.decided_at).limit(500)))
    hidden = _hidden_contacts(session, user, [d.contact for d in decisions])
    record(session, access.actor_of(user), "list", "decisions_awaiting_sign_off", None,
           detail={"shown": len(decisions)})
    return [SignOffRow(contact=d.contact, decision=d, decided_by=d.decided_by.full_name,
                       children=[RESTRICTED_LABEL] if d.contact_id in hidden else
                       [s.full_name for s in d.contact.children]) for d in decisions]


# --- contacts routed to allocated workers ------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutedRow:
    contact: Contact
    children: list[str]
    acknowledged_at: datetime | None
    routed_to: str


def my_contacts(session: Session, database: Database, user: User) -> list[RoutedRow]:
    """Contacts on open cases routed to this worker (a team manager sees their team's), unacknowledged first."""
    access.require_role(database, user, Kind.CONTACT, Action.RESPOND)
    query = select(Contact).where(
        Contact.status == ContactStatus.ROUTED_TO_ALLOCATED_WORKER)
    if user.role == Role.TEAM_MANAGER and user.team_id is not None:
        team_ids = select(User.id).where(User.team_id == user.team_id)
        query = query.where(or_(Contact.routed_to_id == user.id, Contact.routed_to_id.in_(team_ids)))
    else:
        query = query.where(Contact.routed_to_id == user.id)
    contacts = list(session.scalars(query.options(selectinload(Contact.subjects), selectinload(Contact.routed_to))
                                    .order_by(Contact.received_at.desc()).limit(500)))
    acknowledged = dict(session.execute(
        select(ContactNote.contact_id, func.min(ContactNote.at))
        .where(ContactNote.kind == NoteKind.ACKNOWLEDGED, ContactNote.contact_id.in_([c.id for c in contacts]))
        .group_by(ContactNote.contact_id)).all()) if contacts else {}
    hidden = _hidden_contacts(session, user, contacts)
    rows = [RoutedRow(contact=c, children=[RESTRICTED_LABEL] if c.id in hidden else
                      [s.full_name for s in c.children], acknowledged_at=acknowledged.get(c.id),
                      routed_to=c.routed_to.full_name if c.routed_to else "") for c in contacts]
    rows.sort(key=lambda r: (r.acknowledged_at is not None, -r.contact.received_at.timestamp()))
    record(session, access.actor_of(user), "list", "my_contacts", None, detail={"shown": len(rows)})
    return rows


def respond_to_routed(session: Session, database: Database, user: User, contact_id: int, *,
                      acknowledge: bool, note: str | None) -> ContactNote:
    """The allocated worker acknowledges a contact routed to them, or adds a note to it."""
    contact = _load(session, contact_id)
    access.require(session, database, user, Action.RESPOND, subject_of(contact))
    if not _may_respond(user, contact):
        _refuse(session, user, "respond", "contact", contact.id, "contact not routed to this user or their team")
        raise AccessDenied("This contact was not routed to you or your team.")
    errors: dict[str, str] = {}
    text = text_field(note, "note", "the note", errors, limit=NOTE_MAX, required=not acknowledge)
    if errors:
        raise ValidationFailed(errors)
    row = ContactNote(contact_id=contact.id, kind=NoteKind.ACKNOWLEDGED if acknowledge else NoteKind.NOTE,
                      text=text or "Acknowledged", author_id=user.id)
    session.add(row)
    session.flush()
    _audit(session, user, "acknowledge" if acknowledge else "note", contact, note_id=row.id)
    return row


# --- recording a phone or e-mail contact -------------------------------------------------------------------------


def _text(form: Mapping[str, Any], key: str) -> str | None:
    value = form.get(key)
    text = str(value).strip() if value is not None else ""
    return text or None


MAX_CHILD_ROWS = 4
MAX_ADULT_ROWS = 3


def contact_input_from_form(form: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """Turn the MASH "record a contact" form into intake's ContactInput; blank person rows are skipped.
    Also returns the form prefix of each subject, so intake's errors can be shown beside the right field.

    ``received_date`` and ``received_time`` are London local time (what the worker reads off the call log)."""
    from safeguarding.front_door import intake  # written alongside; see intake.submit_contact

    errors: dict[str, str] = {}
    received_at: datetime | None = None
    received_day = date_field(_text(form, "received_date"), "received_date", "the date the contact was received",
                              errors)
    clock = time_field(_text(form, "received_time"), "received_time", "the time the contact was received", errors)
    if received_day is not None and clock is not None:
        received_at = in_england(received_day, clock)
    subjects = []
    prefixes: list[str] = []
    for i in range(1, MAX_CHILD_ROWS + MAX_ADULT_ROWS + 1):
        prefix = f"child{i}" if i <= MAX_CHILD_ROWS else f"adult{i - MAX_CHILD_ROWS}"
        first, last = _text(form, f"{prefix}_first_name"), _text(form, f"{prefix}_last_name")
        dob_raw = _text(form, f"{prefix}_date_of_birth")
        if not (first or last or dob_raw):
            continue
        role = SubjectRole.CHILD if prefix.startswith("child") else SubjectRole(
            _text(form, f"{prefix}_role") or SubjectRole.PARENT)
        prefixes.append(prefix)
        subjects.append(intake.SubjectInput(
            role=role, first_name=first or "", last_name=last or "",
            date_of_birth=date_field(dob_raw, f"{prefix}_date_of_birth", "date of birth", errors, required=False),
            nhs_number=_text(form, f"{prefix}_nhs_number"), address=_text(form, f"{prefix}_address"),
            postcode=_text(form, f"{prefix}_postcode")))
    if errors:
        raise ValidationFailed(errors)
    from safeguarding.front_door.models import Channel, ConsentPosition, ReporterKind

    def choice(key: str, enum: Any, default: str) -> Any:
        raw = _text(form, key) or default
        try:
            return enum(raw)
        except ValueError:
            raise ValidationFailed({key: f"Choose a {key.replace('_', ' ')} from the list"}) from None

    return intake.ContactInput(
        channel=choice("channel", Channel, "phone"),
        reporter_kind=choice("reporter_kind", ReporterKind, "public"),
        referral_source=_text(form, "referral_source") or "",
        worry=str(form.get("worry") or ""),
        consent=choice("consent", ConsentPosition, "unknown"),
        subjects=tuple(subjects),
        received_at=received_at,
        reporter_name=_text(form, "reporter_name"),
        reporter_role=_text(form, "reporter_role"),
        reporter_phone=_text(form, "reporter_phone"),
        reporter_email=_text(form, "reporter_email"),
        consent_notes=_text(form, "consent_notes"),
    ), prefixes


def record_contact(session: Session, database: Database, user: User, form: Mapping[str, Any]) -> Contact:
    """A phone, e-mail or in-person contact typed in by MASH staff, through the same intake as the portal."""
    from safeguarding.front_door import intake

    access.require_role(database, user, Kind.CONTACT, Action.SCREEN)
    data, prefixes = contact_input_from_form(form)
    try:
        contact: Contact = intake.submit_contact(session, database, user, data)
    except ValidationFailed as exc:
        raise ValidationFailed({_form_field(key, prefixes): message for key, message in exc.errors.items()}) \
            from None
    return contact


def _form_field(key: str, prefixes: list[str]) -> str:
    """Intake's field names ("subjects.0.first_name", "received_at") as this form's ("child1_first_name")."""
    if key == "received_at":
        return "received_date"
    if key == "subjects":
        return "child1_first_name"
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "subjects" and parts[1].isdigit() and int(parts[1]) < len(prefixes):
        return f"{prefixes[int(parts[1])]}_{parts[2]}"
    return key


# --- the dashboard -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerRow:
    name: str
    decisions: int
    by_level: dict[int, int]
    by_outcome: dict[str, int]

    def level_share(self, level: int) -> float:
        return self.by_level.get(level, 0) / self.decisions if self.decisions else 0.0

    def outcome_share(self, outcome: str) -> float:
        return self.by_outcome.get(outcome, 0) / self.decisions if self.decisions else 0.0


@dataclass(frozen=True)
class Dashboard:
    period_start: date
    period_end: date
    waiting: dict[tuple[str, int], int]  # (rag or "unrated", age band index) -> contacts
    waiting_total: int
    overdue: dict[str, int]  # rag or "unrated" -> open contacts past their decision deadline
    overdue_total: int
    workers: list[WorkerRow]
    team: WorkerRow
    decisions: int
    within_deadline: int
    median_working_hours: float | None
    referrals: int
    re_referrals: int
    level_labels: dict[int, str]
    age_bands: tuple[tuple[str, float, float | None], ...] = rules.AGE_BANDS
    national_re_referral_rate: float = rules.NATIONAL_RE_REFERRAL_RATE
    national_source: str = rules.NATIONAL_RE_REFERRAL_SOURCE

    @property
    def within_deadline_rate(self) -> float | None:
        return self.within_deadline / self.decisions if self.decisions else None

    @property
    def re_referral_rate(self) -> float | None:
        return self.re_referrals / self.referrals if self.referrals else None


def _period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """London days [start, end] as UTC instants [from, to)."""
    return (datetime.combine(start, time(0), LONDON).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(0), LONDON).astimezone(UTC))


def parse_period(start: str | None, end: str | None, today: date | None = None) -> tuple[date, date]:
    """The dashboard's period; by default the last 30 days up to today."""
    today = today or today_in_london()
    errors: dict[str, str] = {}
    period_end = date_field(end, "period_end", "the end of the period", errors, required=False) or today
    period_start = date_field(start, "period_start", "the start of the period", errors, required=False) or (
        period_end - timedelta(days=29))
    if not errors and period_start > period_end:
        errors["period_start"] = "The start of the period must be on or before its end"
    if errors:
        raise ValidationFailed(errors)
    return period_start, period_end


def dashboard(session: Session, database: Database, user: User, period_start: date, period_end: date,
              now: datetime | None = None) -> Dashboard:
    """The MASH's figures, each aggregated in SQL."""
    access.require_role(database, user, Kind.MASH_DASHBOARD, Action.VIEW)
    now = now or utcnow()
    open_statuses = [s.value for s in OPEN]
    rag_key = func.coalesce(Contact.rag, "unrated")

    # Contacts waiting, by RAG and by age (calendar hours since receipt).
    band_whens = []
    for index, (_label, _low, high) in enumerate(rules.AGE_BANDS):
        if high is not None:
            band_whens.append((Contact.received_at > now - timedelta(hours=high), index))
    band = case(*band_whens, else_=len(rules.AGE_BANDS) - 1)
    waiting = {(str(r), int(b)): int(n) for r, b, n in session.execute(
        select(rag_key, band, func.count()).where(Contact.status.in_(open_statuses)).group_by(rag_key, band))}
    overdue = {str(r): int(n) for r, n in session.execute(
        select(rag_key, func.count()).where(Contact.status.in_(open_statuses), Contact.due_at < now)
        .group_by(rag_key))}

    # Decisions made in the period (returned ones were replaced by the decision made after them).
    since, until = _period_bounds(period_start, period_end)
    in_period = and_(ContactDecision.decided_at >= since, ContactDecision.decided_at < until,
                     ContactDecision.status != DecisionStatus.RETURNED)
    by_level: dict[int, dict[int, int]] = defaultdict(dict)
    by_outcome: dict[int, dict[str, int]] = defaultdict(dict)
    for worker_id, level, n in session.execute(
            select(ContactDecision.decided_by_id, ContactDecision.level_of_need, func.count())
            .where(in_period).group_by(ContactDecision.decided_by_id, ContactDecision.level_of_need)):
        by_level[worker_id][int(level)] = int(n)
    for worker_id, outcome, n in session.execute(
            select(ContactDecision.decided_by_id, ContactDecision.outcome, func.count())
            .where(in_period).group_by(ContactDecision.decided_by_id, ContactDecision.outcome)):
        by_outcome[worker_id][str(outcome)] = int(n)
    names = _user_names(session, set(by_level))
    workers = sorted((WorkerRow(name=names.get(w, str(w)), decisions=sum(levels.values()), by_level=levels,
                                by_outcome=by_outcome[w]) for w, levels in by_level.items()),
                     key=lambda row: row.name)
    team_levels: dict[int, int] = defaultdict(int)
    team_outcomes: dict[str, int] = defaultdict(int)
    for row in workers:
        for level, n in row.by_level.items():
            team_levels[level] += n
        for outcome_key, n in row.by_outcome.items():
            team_outcomes[outcome_key] += n
    decisions, within = session.execute(select(
        func.count(), func.coalesce(func.sum(case((ContactDecision.within_deadline.is_(True), 1), else_=0)), 0))
        .where(in_period)).one()
    median = _median_hours(session, in_period, int(decisions))

    referral_rows = session.execute(select(
        func.count(), func.coalesce(func.sum(case((Referral.is_re_referral.is_(True), 1), else_=0)), 0))
        .where(Referral.referral_date >= period_start, Referral.referral_date <= period_end)).one()
    record(session, access.actor_of(user), "view", "mash_dashboard", None,
           detail={"period_start": period_start.isoformat(), "period_end": period_end.isoformat()})
    return Dashboard(
        period_start=period_start, period_end=period_end,
        waiting=waiting, waiting_total=sum(waiting.values()), overdue=overdue, overdue_total=sum(overdue.values()),
        workers=workers,
        team=WorkerRow(name="Whole MASH", decisions=sum(team_levels.values()), by_level=dict(team_levels),
                       by_outcome=dict(team_outcomes)),
        decisions=int(decisions), within_deadline=int(within), median_working_hours=median,
        referrals=int(referral_rows[0]), re_referrals=int(referral_rows[1]),
        level_labels=level_labels(_settings(session)),
    )


def _median_hours(session: Session, condition: Any, count: int) -> float | None:
    """Median working hours to decision, by the middle row(s) in SQL (portable: SQLite has no percentile)."""
    if count == 0:
        return None
    ordered = select(ContactDecision.working_hours_to_decision).where(condition).order_by(
        ContactDecision.working_hours_to_decision)
    middle = [float(session.scalar(ordered.offset(k).limit(1)) or 0.0)
              for k in sorted({(count - 1) // 2, count // 2})]
    return sum(middle) / len(middle)
