"""What the referring agency may see of the contacts it made and of the checks addressed to it (partners, through
the portal and the API), and the full contact for staff through the API. Each read asks ``core.access`` and is
audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from safeguarding.core import access
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, NotFound, ValidationFailed
from safeguarding.core.settings import get_settings
from safeguarding.core.users import User
from safeguarding.front_door import rules
from safeguarding.front_door.contacts import subject_of
from safeguarding.front_door.intake import check_subject
from safeguarding.front_door.models import (
    Channel,
    CheckStatus,
    ConsentPosition,
    Contact,
    DecisionStatus,
    Outcome,
    PartnerCheck,
    SubjectRole,
)


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
        id=contact.id,
        reference=contact.reference,
        received_at=contact.received_at,
        channel=contact.channel,
        referral_source=contact.referral_source,
        reporter_name=contact.reporter_name,
        reporter_role=contact.reporter_role,
        reporter_phone=contact.reporter_phone,
        reporter_email=contact.reporter_email,
        worry=contact.worry,
        consent=contact.consent,
        consent_notes=contact.consent_notes,
        subjects=tuple(
            SubjectAsSent(
                role=s.role,
                first_name=s.first_name,
                last_name=s.last_name,
                date_of_birth=s.date_of_birth,
                nhs_number=s.nhs_number,
                address=s.address,
                postcode=s.postcode,
            )
            for s in contact.subjects
        ),
        status=rules.partner_status(contact.status, in_effect),
        outcome=decision.outcome if in_effect and decision else None,
        outcome_label=rules.PARTNER_OUTCOME_LABELS[decision.outcome] if in_effect and decision else None,
        outcome_at=(decision.took_effect_at or decision.signed_off_at or decision.decided_at)
        if in_effect and decision
        else None,
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
    contact = session.get(
        Contact, contact_id, options=[selectinload(Contact.subjects), selectinload(Contact.decisions)]
    )
    if contact is None:
        raise NotFound("There is no such contact.")
    access.require(
        session,
        database,
        user,
        Action.VIEW,
        AccessSubject(kind=Kind.CONTACT_OUTCOME, id=contact.id, agency_id=contact.reporting_agency_id),
    )
    record(session, access.actor_of(user), "view", "contact", contact.id, detail={"view": "outcome"})
    return outcome_of(contact)


def agency_contacts(
    session: Session, database: Database, user: User, page: int = 1, size: int | None = None
) -> Page[ContactOutcome]:
    """The contacts the user's agency made, newest first (partners only; scoped to their agency)."""
    access.require_role(database, user, Kind.CONTACT_OUTCOME, Action.LIST)
    if user.agency_id is None:
        raise AccessDenied("You do not belong to a partner agency.")
    page, size = _page_bounds(page, size)
    scope = Contact.reporting_agency_id == user.agency_id
    total = session.scalar(select(func.count(Contact.id)).where(scope)) or 0
    contacts = session.scalars(
        select(Contact)
        .where(scope)
        .order_by(Contact.received_at.desc(), Contact.id.desc())
        .offset((page - 1) * size)
        .limit(size)
        .options(selectinload(Contact.subjects), selectinload(Contact.decisions))
    ).all()
    record(
        session,
        access.actor_of(user),
        "list",
        "contact",
        None,
        detail={"agency_id": user.agency_id, "page": page, "size": size},
    )
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
        id=check.id,
        version=check.version,
        contact_reference=check.contact.reference,
        question=check.question,
        lawful_basis=str(check.lawful_basis),
        consent=str(check.consent),
        consent_reason=check.consent_reason,
        requested_at=check.requested_at,
        due_at=check.due_at,
        status=CheckStatus(check.status),
        response=check.response,
        responded_at=check.responded_at,
        children=tuple((s.full_name, s.date_of_birth) for s in check.contact.children),
    )


# How the portal's list of checks can be filtered: waiting (not yet answered), each other status the checks have, or
# all. Built from CheckStatus, so a status added later (for example "no longer needed") is offered too.
CHECK_FILTERS: dict[str, str] = {"waiting": "Waiting for your answer", "all": "All checks"} | {
    str(status): status.replace("_", " ").capitalize() for status in CheckStatus if status != CheckStatus.REQUESTED
}
CHECK_ORDERS: dict[str, str] = {
    "urgent": "Most urgent first (answer-by date, then newest)",
    "newest": "Newest first",
}


def agency_checks(
    session: Session,
    database: Database,
    user: User,
    *,
    awaiting_only: bool = False,
    status: str | None = None,
    order: str = "urgent",
    page: int = 1,
    size: int | None = None,
) -> Page[CheckForAgency]:
    """Checks addressed to the user's agency (partners only): the most urgent first (the soonest answer-by date,
    then the newest), or the newest first; filtered to those waiting (``awaiting_only``) or to one status."""
    if not user.is_partner:
        # The MASH sees checks on the contact page; this list is the agency's in-tray.
        access.require_role(database, user, Kind.CONTACT_OUTCOME, Action.LIST)
    access.require_role(database, user, Kind.PARTNER_CHECK, Action.LIST)
    if user.agency_id is None:
        raise AccessDenied("You do not belong to a partner agency.")
    if status is not None and status not in CHECK_FILTERS:
        raise ValidationFailed({"checks": "Choose which checks to show from the list"})
    if order not in CHECK_ORDERS:
        raise ValidationFailed({"check_order": "Choose an order from the list"})
    page, size = _page_bounds(page, size)
    scope = [PartnerCheck.agency_id == user.agency_id]
    if awaiting_only or status == "waiting":
        scope.append(PartnerCheck.status == CheckStatus.REQUESTED)
    elif status not in (None, "all"):
        scope.append(PartnerCheck.status == status)
    total = session.scalar(select(func.count(PartnerCheck.id)).where(*scope)) or 0
    sort = (
        (PartnerCheck.requested_at.desc(), PartnerCheck.id.desc())
        if order == "newest"
        else (
            (PartnerCheck.status == CheckStatus.REQUESTED).desc(),
            PartnerCheck.due_at,
            PartnerCheck.requested_at.desc(),
            PartnerCheck.id.desc(),
        )
    )
    checks = session.scalars(
        select(PartnerCheck)
        .where(*scope)
        .order_by(*sort)
        .offset((page - 1) * size)
        .limit(size)
        .options(selectinload(PartnerCheck.contact).selectinload(Contact.subjects))
    ).all()
    record(
        session,
        access.actor_of(user),
        "list",
        "partner_check",
        None,
        detail={
            "agency_id": user.agency_id,
            "awaiting_only": awaiting_only,
            "status": status,
            "order": order,
            "page": page,
        },
    )
    return Page([check_for_agency(c) for c in checks], page, size, total)


def view_check(session: Session, database: Database, user: User, check_id: int) -> CheckForAgency:
    """One check, for the agency it was addressed to (audited as a view)."""
    check = session.get(PartnerCheck, check_id)
    if check is None:
        raise NotFound("There is no such check.")
    if not user.is_partner:
        access.require_role(database, user, Kind.CONTACT_OUTCOME, Action.VIEW)
    access.require(session, database, user, Action.VIEW, check_subject(check))
    record(session, access.actor_of(user), "view", "partner_check", check.id, detail={"contact_id": check.contact_id})
    return check_for_agency(check)


# --- the full contact, for staff through the API ----------------------------------------------------------------


def staff_contact(session: Session, database: Database, user: User, contact_id: int) -> Contact:
    """A contact in full, for staff allowed to view contacts (restricted children stay restricted); audited."""
    contact = session.get(
        Contact, contact_id, options=[selectinload(Contact.subjects), selectinload(Contact.decisions)]
    )
    if contact is None:
        raise NotFound("There is no such contact.")
    subject = subject_of(contact)
    access.require(session, database, user, Action.VIEW, subject)
    actor = access.actor_of(user)
    for person_id in subject.person_ids or (None,):
        record(session, actor, "view", "contact", contact.id, person_id=person_id, detail={"via": "api"})
    return contact
