"""Partner checks: the MASH asks an agency what it knows, recording the information-sharing decision."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.calendar import LONDON
from safeguarding.core.dates import DateKind, long_date
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import datetime_field, record_id, text_field
from safeguarding.core.users import PartnerAgency, User
from safeguarding.front_door import rules
from safeguarding.front_door.contacts import (
    audit_contact,
    council_settings,
    flush_or_conflict,
    load_contact,
    require_open,
    start_screening,
    subject_of,
)
from safeguarding.front_door.models import (
    CheckConsent,
    CheckStatus,
    LawfulBasis,
    PartnerCheck,
)

QUESTION_MAX = 4000


@dataclass(frozen=True)
class CheckInput:
    agency_id: int | None
    question: str
    lawful_basis: str | None
    consent: str | None
    consent_reason: str | None = None
    due_at: datetime | None = None

    @classmethod
    def read(cls, form: Mapping[str, str]) -> CheckInput:
        """From the contact page's "ask an agency" form; a deadline that is not a date and time is refused here."""
        errors: dict[str, str] = {}
        due_at = datetime_field(
            form.get("due_at"), "due_at", "the response deadline", errors, required=False, kind=DateKind.BOOKED
        )
        if errors:
            raise ValidationFailed(errors)
        return cls(
            agency_id=record_id(form.get("agency_id")),
            question=form.get("question", ""),
            lawful_basis=form.get("lawful_basis"),
            consent=form.get("check_consent"),
            consent_reason=form.get("consent_reason"),
            due_at=due_at,
        )


def request_check(
    session: Session, database: Database, user: User, contact_id: int, data: CheckInput, now: datetime | None = None
) -> PartnerCheck:
    """Ask a partner agency for what it knows, recording the information-sharing decision (DfE "Information sharing"
    golden rule 7)."""
    contact = load_contact(session, contact_id)
    agency = session.get(PartnerAgency, data.agency_id) if data.agency_id else None
    subject = AccessSubject(
        kind=Kind.PARTNER_CHECK, agency_id=agency.id if agency else None, person_ids=subject_of(contact).person_ids
    )
    access.require(session, database, user, Action.REQUEST, subject)
    now = now or utcnow()
    default_due = rules.partner_check_deadline(now, council_settings(session))
    errors: dict[str, str] = {}
    if agency is None:
        errors["agency_id"] = "Choose the agency to ask"
    question = text_field(
        data.question, "question", "the question for the agency", errors, limit=QUESTION_MAX, noun="the question"
    )
    if data.lawful_basis not in {b.value for b in LawfulBasis}:
        errors["lawful_basis"] = "Choose the lawful basis for sharing"
    if data.consent not in {c.value for c in CheckConsent}:
        errors["check_consent"] = "Choose the consent position"
    elif rules.check_consent_needs_reason(data.consent) and (
        problem := rules.rationale_problem(data.consent_reason, "reason consent was not sought or was overridden")
    ):
        errors["consent_reason"] = problem
    if data.due_at is not None:
        if data.due_at.tzinfo is None:
            errors["due_at"] = "Enter the response deadline as a date and time"
        elif data.due_at <= now:
            errors["due_at"] = "The response deadline must be in the future"
        elif data.due_at > default_due:
            errors["due_at"] = (
                "The response deadline can be earlier than the usual one, not later "
                f"(usual: {long_date(default_due.astimezone(LONDON))} {default_due.astimezone(LONDON):%H:%M})"
            )
    if errors:
        raise ValidationFailed(errors)
    require_open(contact, "ask for checks")
    assert agency is not None and question is not None
    reason = (data.consent_reason or "").strip() or None
    check = PartnerCheck(
        contact_id=contact.id,
        agency_id=agency.id,
        question=question,
        lawful_basis=LawfulBasis(str(data.lawful_basis)),
        consent=CheckConsent(str(data.consent)),
        consent_reason=reason,
        requested_by_id=user.id,
        requested_at=now,
        due_at=data.due_at or default_due,
    )
    session.add(check)
    start_screening(contact, user)
    flush_or_conflict(session, "Someone else changed this contact while you were asking. Reload it and try again.")
    audit_contact(
        session,
        user,
        "request_check",
        contact,
        check_id=check.id,
        agency_id=agency.id,
        lawful_basis=check.lawful_basis,
        consent=check.consent,
    )
    return check


def overdue_checks(checks: Iterable[PartnerCheck], now: datetime | None = None) -> list[PartnerCheck]:
    now = now or utcnow()
    return [c for c in checks if c.status == CheckStatus.REQUESTED and c.due_at < now]
