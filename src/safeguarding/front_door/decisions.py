"""Threshold decisions and a MASH manager's sign-off; a decision in effect opens referrals in casework."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from safeguarding.casework import referrals as casework
from safeguarding.casework.models import Referral
from safeguarding.core import access, codes, record_versions
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import LONDON, working_hours_between
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import AccessDenied, Conflict, ValidationFailed
from safeguarding.core.form_fields import record_id, text_field
from safeguarding.core.users import User
from safeguarding.front_door import rules
from safeguarding.front_door.contacts import (
    NOTE_MAX,
    OPEN,
    audit_contact,
    audit_refusal,
    council_settings,
    flush_or_conflict,
    hidden_contacts,
    listed_child,
    load_contact,
    start_screening,
    subject_of,
)
from safeguarding.front_door.models import (
    CheckStatus,
    Contact,
    ContactDecision,
    ContactNote,
    ContactStatus,
    DecisionStatus,
    NoteKind,
    Outcome,
    PartnerCheck,
)
from safeguarding.people.listing import RESTRICTED, ListedPerson
from safeguarding.people.models import Person

DECIDED_ELSEWHERE = (
    "Someone else decided this contact while you were working on it. Nothing you entered was "
    "saved: reload the contact to see their decision."
)


@dataclass(frozen=True)
class DecisionInput:
    level_of_need: int | str | None
    outcome: str | None
    rationale: str | None
    expected_version: int | None
    primary_need: str | None = None
    open_checks_reason: str | None = None

    @classmethod
    def read(cls, form: Mapping[str, str]) -> DecisionInput:
        """From the contact page's decision form, with the contact's version as the worker read it."""
        return cls(
            level_of_need=form.get("level_of_need"),
            outcome=form.get("outcome"),
            rationale=form.get("rationale"),
            expected_version=record_id(form.get("version")),
            primary_need=form.get("primary_need") or None,
            open_checks_reason=form.get("open_checks_reason"),
        )


@dataclass(frozen=True)
class SignOffInput:
    """A MASH manager's answer to a decision: agree it (it takes effect) or return it with a note."""

    agree: bool
    note: str | None
    expected_version: int | None
    open_checks_reason: str | None = None

    @classmethod
    def read(cls, form: Mapping[str, str]) -> SignOffInput:
        if form.get("sign_off") not in ("agree", "return"):
            raise ValidationFailed({"sign_off": "Choose whether you agree the decision or return it"})
        return cls(
            agree=form.get("sign_off") == "agree",
            note=form.get("sign_off_note"),
            expected_version=record_id(form.get("version")),
            open_checks_reason=form.get("sign_off_checks_reason"),
        )


def _check_version(session: Session, contact: Contact, expected_version: int | None) -> None:
    if expected_version is None or contact.version == expected_version:
        return
    if contact.status not in OPEN:
        raise Conflict(
            "Someone else decided this contact while you were working on it. Nothing you entered "
            "was saved: reload the contact to see their decision.",
            field="version",
        )
    raise record_versions.conflict(
        session,
        "contact",
        contact,
        message="Someone else changed this contact while you were working on it. Nothing you entered was saved, "
        "and what you typed is still in the form: check what changed, then decide.",
    )


def _unlinked_children(contact: Contact) -> list[str]:
    return [s.full_name for s in contact.children if s.person_id is None]


def outstanding_checks(contact: Contact) -> list[PartnerCheck]:
    """The partner checks on this contact still waiting for the agency's answer."""
    return [c for c in contact.checks if c.status == CheckStatus.REQUESTED]


def _open_checks_problem(contact: Contact, reason: str | None, field: str) -> dict[str, str]:
    """Deciding (or signing off) while agencies have not answered needs a reason to go on without them."""
    waiting = outstanding_checks(contact)
    if not waiting:
        return {}
    names = ", ".join(sorted({c.agency.name for c in waiting}))
    if problem := rules.rationale_problem(reason, f"reason to go on without the answer from {names}"):
        return {field: problem}
    errors: dict[str, str] = {}
    text_field(reason, field, "the reason", errors, limit=NOTE_MAX)
    return errors


def primary_need_problem(outcome: Outcome, primary_need: str | None) -> dict[str, str]:
    """The CIN census needs a referral's primary need code (rule 8610): asked when the referral is made."""
    if outcome not in rules.REFERRAL_OUTCOMES:
        return {}
    if not primary_need:
        return {"primary_need": "Choose the child's primary need: the main reason the referral is made"}
    if primary_need not in codes.PRIMARY_NEEDS:
        return {"primary_need": "Choose a primary need from the list"}
    return {}


def close_open_checks(session: Session, user: User, contact: Contact) -> list[PartnerCheck]:
    """The contact is decided: checks still waiting close as "no longer needed", so the agency sees that rather
    than an open request (each closure audited)."""
    closed = outstanding_checks(contact)
    actor = access.actor_of(user)
    for check in closed:
        check.status = CheckStatus.NO_LONGER_NEEDED
        record(
            session,
            actor,
            "close_check",
            "partner_check",
            check.id,
            detail={"contact_id": contact.id, "agency_id": check.agency_id, "status": str(check.status)},
        )
    return closed


# CIN census rule 8606: a referral more than 40 weeks before the child's (expected) birth is an error.
BEFORE_BIRTH_LIMIT = timedelta(weeks=40)


def _census_date_problems(session: Session, contact: Contact) -> list[str]:
    """What the CIN census would refuse about a referral dated the day this contact was received, from each linked
    child's record: a referral after the recorded date of death (8555Q), or more than 40 weeks before the (expected)
    birth (8606)."""
    referral_date = contact.received_at.astimezone(LONDON).date()
    found: list[str] = []
    for child in contact.children:
        person = session.get(Person, child.person_id) if child.person_id else None
        if person is None:
            continue
        birth = person.date_of_birth or person.expected_date_of_birth
        if person.date_of_death is not None and referral_date > person.date_of_death:
            found.append(
                f"{person.full_name}'s record shows they died on {_day(person.date_of_death)}, before the contact: "
                "check the record linked"
            )
        elif birth is not None and referral_date < birth - BEFORE_BIRTH_LIMIT:
            found.append(
                f"{person.full_name}'s record shows a date of birth of {_day(birth)}, more than 40 weeks after the "
                "contact: check the record linked, or the date of birth"
            )
    return found


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _referral_blocker(contact: Contact, outcome: Outcome, session: Session | None = None) -> dict[str, str]:
    unlinked = _unlinked_children(contact)
    if outcome in rules.REFERRAL_OUTCOMES and unlinked:
        return {
            "children": "Link every child to a person record before a referral can take effect. Not linked: "
            + ", ".join(unlinked)
        }
    if (
        outcome in rules.REFERRAL_OUTCOMES
        and session is not None
        and (found := _census_date_problems(session, contact))
    ):
        return {"children": "; ".join(found)}
    return {}


def decide(
    session: Session, database: Database, user: User, contact_id: int, data: DecisionInput, now: datetime | None = None
) -> ContactDecision:
    """Record the threshold decision; it takes effect now or waits for a MASH manager's sign-off."""
    contact = load_contact(session, contact_id)
    access.require(
        session,
        database,
        user,
        Action.DECIDE,
        AccessSubject(kind=Kind.DECISION, id=contact.id, person_ids=subject_of(contact).person_ids),
    )
    _check_version(session, contact, data.expected_version)
    if contact.status not in OPEN:
        raise Conflict("Someone else decided this contact already. Nothing you entered was saved.", field="version")
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
        errors |= primary_need_problem(outcome, data.primary_need)
        errors |= _referral_blocker(contact, outcome, session)
    errors |= _open_checks_problem(contact, data.open_checks_reason, "open_checks_reason")
    if errors:
        raise ValidationFailed(errors)
    assert outcome is not None
    now = now or utcnow()
    settings = council_settings(session)
    opens, closes = rules.office_hours(settings)
    needs_sign_off = rules.sign_off_required(outcome, settings)
    decision = ContactDecision(
        contact_id=contact.id,
        level_of_need=level,
        outcome=outcome,
        rationale=(data.rationale or "").strip(),
        decided_by_id=user.id,
        decided_at=now,
        working_hours_to_decision=round(working_hours_between(contact.received_at, now, opens, closes), 2),
        within_deadline=now <= contact.due_at,
        status=DecisionStatus.AWAITING_SIGN_OFF if needs_sign_off else DecisionStatus.IN_EFFECT,
        primary_need=data.primary_need if outcome in rules.REFERRAL_OUTCOMES else None,
        open_checks_reason=(data.open_checks_reason or "").strip() or None if outstanding_checks(contact) else None,
    )
    session.add(decision)
    contact.decisions.append(decision)
    if needs_sign_off:
        contact.status = ContactStatus.AWAITING_SIGN_OFF
    else:
        _take_effect(session, user, contact, decision, now)
    start_screening(contact, user)
    flush_or_conflict(session, DECIDED_ELSEWHERE)
    audit_contact(
        session,
        user,
        "decide",
        contact,
        decision_id=decision.id,
        level_of_need=level,
        outcome=outcome.value,
        status=str(decision.status),
    )
    return decision


def _take_effect(
    session: Session, user: User, contact: Contact, decision: ContactDecision, now: datetime
) -> list[Referral]:
    """The decision stands: close the contact and, for a referral outcome, record a referral per child."""
    decision.status = DecisionStatus.IN_EFFECT
    decision.took_effect_at = now
    contact.status = ContactStatus.DECIDED
    contact.decided_at = now
    close_open_checks(session, user, contact)
    referrals: list[Referral] = []
    if decision.outcome not in rules.REFERRAL_OUTCOMES:
        return referrals
    flush_or_conflict(session, DECIDED_ELSEWHERE)  # the decision's id goes on each referral
    for child in contact.children:
        assert child.person_id is not None  # _referral_blocker refused unlinked children first
        if casework.open_allocation(session, child.person_id) is not None:
            # A referral is not recorded for a child whose case is already open (DfE CIN census methodology).
            session.add(
                ContactNote(
                    contact_id=contact.id,
                    kind=NoteKind.NOTE,
                    author_id=user.id,
                    text=f"No referral recorded for {child.full_name}: their case is already open",
                )
            )
            continue
        referral = casework.record_referral(
            session,
            casework.ReferralInput(
                person_id=child.person_id,
                # CIN census: the referral date is the date children's social care received it.
                referral_date=contact.received_at.astimezone(LONDON).date(),
                referral_source=contact.referral_source,
                route=str(decision.outcome),
                contact_id=contact.id,
                decision_id=decision.id,
                primary_need=decision.primary_need,
            ),
        )
        referrals.append(referral)
        record(
            session,
            access.actor_of(user),
            "create",
            "referral",
            referral.id,
            person_id=child.person_id,
            detail={"contact_id": contact.id, "re_referral": referral.is_re_referral},
        )
    return referrals


def sign_off(
    session: Session,
    database: Database,
    user: User,
    contact_id: int,
    *,
    agree: bool,
    note: str | None,
    expected_version: int | None,
    open_checks_reason: str | None = None,
    now: datetime | None = None,
) -> ContactDecision:
    """A MASH manager agrees the decision (it takes effect) or returns it with a note (screened again)."""
    contact = load_contact(session, contact_id)
    subject = AccessSubject(kind=Kind.DECISION, id=contact.id, person_ids=subject_of(contact).person_ids)
    access.require(session, database, user, Action.SIGN_OFF, subject)
    _check_version(session, contact, expected_version)
    decision = contact.current_decision
    if decision is None or decision.status != DecisionStatus.AWAITING_SIGN_OFF:
        raise Conflict(
            "This contact has no decision waiting for sign-off: someone else may have signed it off.", field="version"
        )
    if decision.decided_by_id == user.id:
        audit_refusal(
            session, user, "sign_off", "decision", decision.id, "a worker may not sign off their own decision"
        )
        raise AccessDenied("You made this decision, so another manager must sign it off.")
    note_text = (note or "").strip() or None
    errors: dict[str, str] = {}
    if not agree and (problem := rules.rationale_problem(note, "note saying why the decision is returned")):
        errors["sign_off_note"] = problem
    if agree:
        errors |= _referral_blocker(contact, decision.outcome, session)
        errors |= _open_checks_problem(contact, open_checks_reason, "sign_off_checks_reason")
    text_field(note, "sign_off_note", "the note", errors, limit=NOTE_MAX, required=False)
    if errors:
        raise ValidationFailed(errors)
    now = now or utcnow()
    decision.signed_off_by_id = user.id
    decision.signed_off_at = now
    decision.sign_off_note = note_text
    if agree and outstanding_checks(contact):
        decision.sign_off_open_checks_reason = (open_checks_reason or "").strip()
    if agree:
        _take_effect(session, user, contact, decision, now)
    else:
        decision.status = DecisionStatus.RETURNED
        contact.status = ContactStatus.IN_SCREENING
        contact.decided_at = None
    flush_or_conflict(
        session, "Someone else signed off this decision while you were working on it. Reload the contact."
    )
    audit_contact(session, user, "sign_off" if agree else "return_decision", contact, decision_id=decision.id)
    return decision


@dataclass(frozen=True)
class SignOffRow:
    contact: Contact
    decision: ContactDecision
    decided_by: str
    children: list[ListedPerson]
    amendment: bool = False  # an amendment of a decision in effect, waiting for a manager to agree it


def awaiting_sign_off(session: Session, database: Database, user: User, *, limit: int = 500) -> list[SignOffRow]:
    """Decisions waiting for a MASH manager, and amendments of decisions in effect waiting for one to agree them,
    oldest decision first (the first ``limit``)."""
    access.require_role(database, user, Kind.DECISION, Action.SIGN_OFF)
    loading = (
        selectinload(ContactDecision.contact).selectinload(Contact.subjects),
        selectinload(ContactDecision.decided_by),
    )
    decisions = list(
        session.scalars(
            select(ContactDecision)
            .where(ContactDecision.status == DecisionStatus.AWAITING_SIGN_OFF)
            .options(*loading)
            .order_by(ContactDecision.decided_at)
            .limit(limit)
        )
    )
    decisions += session.scalars(
        select(ContactDecision)
        .where(ContactDecision.amendment_awaiting_sign_off == True)  # noqa: E712 (the partial index's predicate)
        .options(*loading)
        .order_by(ContactDecision.decided_at)
        .limit(limit)
    )
    decisions = sorted(decisions, key=lambda d: (d.decided_at, d.id))[:limit]
    hidden = hidden_contacts(session, user, [d.contact for d in decisions])
    record(
        session, access.actor_of(user), "list", "decisions_awaiting_sign_off", None, detail={"shown": len(decisions)}
    )
    return [
        SignOffRow(
            contact=d.contact,
            decision=d,
            decided_by=d.decided_by.full_name,
            children=[RESTRICTED] if d.contact_id in hidden else [listed_child(s) for s in d.contact.children],
            amendment=d.amendment_awaiting_sign_off,
        )
        for d in decisions
    ]


def count_awaiting_sign_off(session: Session) -> int:
    """How many decisions, and amendments of decisions, await sign-off (the caller has listed some of them through
    ``awaiting_sign_off``)."""
    # Two counts, each read from its own partial index (an OR of the two would read every decision).
    return sum(
        int(session.scalar(select(func.count()).select_from(ContactDecision).where(condition)) or 0)
        for condition in (
            ContactDecision.status == DecisionStatus.AWAITING_SIGN_OFF,
            ContactDecision.amendment_awaiting_sign_off == True,  # noqa: E712
        )
    )
