"""One contact's record as the MASH page shows it: the children with their person records, possible matches and
history, the adults, the timeline, the deadline and what the user may do (``view_contact``, an audited view)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from safeguarding.casework import referrals as casework
from safeguarding.casework.models import Allocation
from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record_search
from safeguarding.core.calendar import LONDON
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database, utcnow
from safeguarding.core.record_versions import Amendment, Change
from safeguarding.core.users import PartnerAgency, User
from safeguarding.front_door import amendments, rules
from safeguarding.front_door.contacts import (
    OPEN,
    audit_contact,
    council_settings,
    hours_left,
    level_labels,
    load_contact,
    subject_of,
    user_names,
)
from safeguarding.front_door.history_panels import Panel, panels_for
from safeguarding.front_door.models import (
    CheckStatus,
    Contact,
    ContactDecision,
    ContactNote,
    ContactSubject,
    DecisionStatus,
    NoteKind,
    Outcome,
    PartnerCheck,
)
from safeguarding.front_door.routing import may_respond
from safeguarding.people.family import siblings_of_each
from safeguarding.people.listing import RESTRICTED_LABEL
from safeguarding.people.models import Person
from safeguarding.people.search import find_candidates, visible_to


@dataclass(frozen=True)
class CandidateView:
    person_id: int
    name: str
    date_of_birth: date | None
    score: float
    reasons: list[str]
    restricted: bool = False
    evidence: tuple[str, ...] = ()  # the linkage model's evidence in words (none for a restricted record)


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
    # What other capabilities know of the child (their early help history), each within the user's access.
    panels: list[Panel] = field(default_factory=list)


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
    # A routed contact past its acknowledge-by day with no acknowledgement.
    acknowledge_overdue: bool = False
    # The decision's amendments, newest first, each with what it changed; whether this user may amend it.
    amendments: list[tuple[Amendment, list[Change]]] = field(default_factory=list)
    may_amend: bool = False

    @property
    def outstanding_checks(self) -> list[PartnerCheck]:
        """Partner checks not answered yet: the decision and sign-off forms name them and ask why go on."""
        return [c for c in self.contact.checks if c.status == CheckStatus.REQUESTED]

    @property
    def awaiting_sign_off(self) -> ContactDecision | None:
        decision = self.contact.current_decision
        return decision if decision and decision.status == DecisionStatus.AWAITING_SIGN_OFF else None


def _candidate_views(session: Session, user: User, subject: ContactSubject) -> list[CandidateView]:
    """People who may be this child (people.search.find_candidates); restricted ones the user may not open are
    shown without details, so a duplicate is not created but nothing leaks."""
    matched = find_candidates(
        session,
        first_name=subject.first_name,
        last_name=subject.last_name,
        date_of_birth=subject.date_of_birth,
        nhs_number=subject.nhs_number,
        postcode=subject.postcode,
    )[:10]
    found = visible_to(session, user, matched)
    # Looking for the child among people records is a search: audited with its terms and what it found.
    terms = {
        "first_name": subject.first_name,
        "last_name": subject.last_name,
        "date_of_birth": subject.date_of_birth.isoformat() if subject.date_of_birth else None,
        "nhs_number": subject.nhs_number,
        "postcode": subject.postcode,
    }
    record_search(
        session,
        access.actor_of(user),
        "person",
        {k: v for k, v in terms.items() if v},
        [c.person_id for c in matched],
        detail={"contact_id": subject.contact_id},
    )
    return [
        CandidateView(
            person_id=0 if c.person is None else c.person_id,  # a hidden record's id is not sent to the page
            name=c.person.full_name if c.person is not None else RESTRICTED_LABEL,
            date_of_birth=c.person.date_of_birth if c.person is not None else None,
            score=float(c.score),
            reasons=list(c.reasons),
            restricted=c.person is None,
            evidence=c.evidence if c.person is not None else (),
        )
        for c in found[:10]
    ]


HISTORY_LIMIT = 50  # earlier contacts shown per child: a long history does not make the page long


@functools.cache
def _earlier_contacts_statement() -> Any:
    """Each of some people's newest HISTORY_LIMIT contacts but one, as columns. Built once: building it cost more CPU
    than running it."""
    ranked = (
        select(
            ContactSubject.person_id,
            Contact.id,
            Contact.received_at,
            Contact.status,
            func.row_number()
            .over(partition_by=ContactSubject.person_id, order_by=(Contact.received_at.desc(), Contact.id.desc()))
            .label("rank"),
        )
        .join(Contact, Contact.id == ContactSubject.contact_id)
        .where(
            ContactSubject.person_id.in_(bindparam("members", expanding=True)), Contact.id != bindparam("contact_id")
        )
    ).subquery()
    return select(ranked.c.person_id, ranked.c.id, ranked.c.received_at, ranked.c.status).where(
        ranked.c.rank <= HISTORY_LIMIT
    )


def _histories(session: Session, contact: Contact, children: Iterable[Person]) -> dict[int, list[HistoryItem]]:
    """Each child's earlier contacts and referrals, and their siblings', newest first.

    A fixed number of statements however many children the contact names and however long their histories
    (siblings, earlier contacts, their decisions, referrals: one each), so a busy MASH's page costs the same for a
    family of five as for one child."""
    by_id = {person.id: person for person in children}
    if not by_id:
        return {}
    siblings = siblings_of_each(session, by_id)
    families = {
        child_id: {child_id: person.full_name} | {s.id: s.full_name for s in siblings[child_id]}
        for child_id, person in by_id.items()
    }
    members = {member for family in families.values() for member in family}
    # Columns, not whole contacts: a child with a long history would otherwise load every contact with its agency
    # and decisions. Each family member's newest HISTORY_LIMIT hold every child's newest HISTORY_LIMIT.
    earlier = session.execute(
        _earlier_contacts_statement(), {"members": sorted(members), "contact_id": contact.id}
    ).all()
    # Each earlier contact's current decision (Contact.current_decision: the last one not returned).
    current: dict[int, tuple[Outcome, int]] = {}
    if earlier:
        for contact_id, decided_outcome, level in session.execute(
            select(ContactDecision.contact_id, ContactDecision.outcome, ContactDecision.level_of_need)
            .where(
                ContactDecision.contact_id.in_({row.id for row in earlier}),
                ContactDecision.status != DecisionStatus.RETURNED,
            )
            .order_by(ContactDecision.decided_at, ContactDecision.id)
        ):
            current[contact_id] = (decided_outcome, level)
    referrals = [r for r in casework.referrals_of(session, list(members)) if r.contact_id != contact.id]
    histories: dict[int, list[HistoryItem]] = {}
    for child_id, family in families.items():
        rows = sorted(
            (row for row in earlier if row.person_id in family), key=lambda row: (row.received_at, row.id), reverse=True
        )[:HISTORY_LIMIT]
        items: list[HistoryItem] = []
        for person_id, other_id, received_at, status in rows:
            decided = current.get(other_id)
            outcome = (
                f"{decided[0].replace('_', ' ')} (level {decided[1]})" if decided else str(status).replace("_", " ")
            )
            items.append(
                HistoryItem(
                    at=received_at.astimezone(LONDON).date(),
                    kind="contact",
                    whose=family.get(person_id or 0, ""),
                    description=f"{Contact.reference_of(other_id)}: {outcome}",
                    contact_id=other_id,
                )
            )
        for referral in referrals:
            if referral.person_id not in family:
                continue
            closed = f", closed {long_date(referral.closed_date)}" if referral.closed_date else ", open"
            items.append(
                HistoryItem(
                    at=referral.referral_date,
                    kind="referral",
                    whose=family[referral.person_id],
                    description=f"Referral: {referral.route.replace('_', ' ')}{closed}",
                    contact_id=referral.contact_id,
                    re_referral=referral.is_re_referral,
                )
            )
        items.sort(key=lambda i: i.at, reverse=True)
        histories[child_id] = items
    return histories


def _timeline(session: Session, contact: Contact) -> list[TimelineEntry]:
    notes = list(session.scalars(select(ContactNote).where(ContactNote.contact_id == contact.id)))
    names = user_names(session, _timeline_user_ids(contact, notes))
    entries = [
        TimelineEntry(
            contact.received_at,
            contact.reporter_name or (contact.reporting_agency.name if contact.reporting_agency else "Reporter"),
            f"Contact received by {contact.channel.replace('_', ' ')}",
        )
    ]
    for rating in contact.ratings:
        entries.append(
            TimelineEntry(
                rating.rated_at, names.get(rating.rated_by_id, ""), f"Rated {rating.rating}", rating.rationale
            )
        )
    for check in contact.checks:
        entries.append(
            TimelineEntry(
                check.requested_at,
                names.get(check.requested_by_id, ""),
                f"Check requested from {check.agency.name}",
                check.question,
            )
        )
        if check.responded_at:
            entries.append(TimelineEntry(check.responded_at, check.agency.name, "Check answered", check.response or ""))
    for decision in contact.decisions:
        entries.append(
            TimelineEntry(
                decision.decided_at,
                names.get(decision.decided_by_id, ""),
                f"Decision: {decision.outcome.replace('_', ' ')}, level {decision.level_of_need}",
                decision.rationale,
            )
        )
        if decision.signed_off_at and decision.signed_off_by_id:
            verb = "Returned" if decision.status == DecisionStatus.RETURNED else "Signed off"
            entries.append(
                TimelineEntry(
                    decision.signed_off_at,
                    names.get(decision.signed_off_by_id, ""),
                    f"{verb} by manager",
                    decision.sign_off_note or "",
                )
            )
    for note in notes:
        entries.append(
            TimelineEntry(
                note.at,
                names.get(note.author_id, ""),
                _NOTE_LABELS.get(note.kind, str(note.kind).replace("_", " ").capitalize()),
                note.text,
            )
        )
    entries.sort(key=lambda e: e.at)
    return entries


_NOTE_LABELS = {
    NoteKind.NOTE: "Note",
    NoteKind.ACKNOWLEDGED: "Acknowledged by allocated worker",
    NoteKind.PERSON_LINKED: "Child linked to a person record",
    NoteKind.ROUTED: "Routed",
}


def _timeline_user_ids(contact: Contact, notes: list[ContactNote]) -> set[int]:
    ids = {r.rated_by_id for r in contact.ratings} | {c.requested_by_id for c in contact.checks}
    ids |= {d.decided_by_id for d in contact.decisions} | {
        d.signed_off_by_id for d in contact.decisions if d.signed_off_by_id
    }
    ids |= {note.author_id for note in notes}
    return ids


def view_contact(
    session: Session, database: Database, user: User, contact_id: int, now: datetime | None = None
) -> ContactView:
    """Everything the MASH page shows about one contact (an audited view)."""
    contact = load_contact(session, contact_id)
    access.require(session, database, user, Action.VIEW, subject_of(contact))
    now = now or utcnow()
    settings = council_settings(session)
    opens, closes = rules.office_hours(settings)
    may_screen = access.role_may(user, Kind.CONTACT, Action.SCREEN)
    # The linked children's records, histories and open cases in a fixed number of statements, however many.
    linked = [s.person_id for s in contact.children if s.person_id is not None]
    persons = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(linked)))} if linked else {}
    histories = _histories(session, contact, persons.values())
    open_cases = casework.open_allocations(session, linked)
    panels = panels_for(session, database, user, sorted(persons))
    children: list[ChildView] = []
    allocations: list[Allocation] = []
    for subject in contact.children:
        view = ChildView(subject=subject)
        if subject.person_id is not None:
            view.person = persons.get(subject.person_id)
            view.history = histories.get(subject.person_id, [])
            view.allocation = open_cases.get(subject.person_id)
            view.panels = panels.get(subject.person_id, [])
            if view.allocation:
                allocations.append(view.allocation)
        elif may_screen and contact.status in OPEN:
            view.candidates = _candidate_views(session, user, subject)
        children.append(view)
    audit_contact(session, user, "view", contact)
    decision = contact.current_decision
    return ContactView(
        contact=contact,
        children=children,
        adults=contact.adults,
        timeline=_timeline(session, contact),
        hours_left=hours_left(contact.due_at, now, opens, closes),
        overdue=contact.due_at < now,
        overdue_check_ids={c.id for c in contact.checks if c.status == CheckStatus.REQUESTED and c.due_at < now},
        agencies=list(session.scalars(select(PartnerAgency).order_by(PartnerAgency.name))) if may_screen else [],
        level_labels=level_labels(settings),
        default_check_due=rules.partner_check_deadline(now, settings),
        may_screen=may_screen,
        may_sign_off=access.role_may(user, Kind.DECISION, Action.SIGN_OFF),
        may_respond=may_respond(user, contact),
        open_case_allocations=allocations,
        acknowledge_overdue=contact.acknowledge_by is not None
        and now.astimezone(LONDON).date() > contact.acknowledge_by
        and session.scalar(
            select(ContactNote.id)
            .where(ContactNote.contact_id == contact.id, ContactNote.kind == NoteKind.ACKNOWLEDGED)
            .limit(1)
        )
        is None,
        amendments=amendments.history(session, decision, level_labels(settings)) if decision is not None else [],
        may_amend=decision is not None and may_screen and amendments.may_amend(user, decision),
    )
