"""Amending a threshold decision in effect: it is locked, and changes only by an amendment with a reason.

A decision that has taken effect (signed off by a MASH manager, or one the council does not ask a manager to sign
off) is the record a referral, a strategy discussion or a family's early help rests on. It is corrected, never
rewritten: the amendment form (``amend_decision``) takes the corrected level of need, primary need and rationale with
the reason for the amendment, keeps the decision as it was before as a ``record_version`` (core.record_versions, the
same store as an authorised assessment's amendments) and audits the change as ``amend``.

Who may amend: the worker who made the decision, or a MASH manager. An amendment by someone who is not a manager
waits for a manager to agree it (``agree_amendment``), and the decisions awaiting sign-off list it; the first
sign-off stays on the record (the decision keeps who signed it off and when, and each version keeps it too).

The outcome is not amended: it has taken effect (a referral opened, checks closed, the referrer told), so a
different outcome is a new decision on a new contact, not a correction of this one. A primary need amended on a
referral outcome is carried to the referrals the decision opened (the CIN census reads it there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.casework.models import Referral
from safeguarding.core import access, codes
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import LONDON
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import AccessDenied, Conflict, ValidationFailed
from safeguarding.core.form_fields import record_id
from safeguarding.core.record_versions import (
    Amendment,
    Change,
    SavedField,
    amendments,
    changes_made,
    check_version,
    keep_version,
    reason_problem,
)
from safeguarding.core.users import User
from safeguarding.front_door import rules
from safeguarding.front_door.contacts import audit_refusal, council_settings, level_labels, load_contact, subject_of
from safeguarding.front_door.decisions import primary_need_problem
from safeguarding.front_door.models import Contact, ContactDecision, DecisionStatus

TARGET = "contact_decision"
NOT_IN_EFFECT = (
    "This contact has no decision in effect to amend. A decision waiting for sign-off is agreed or returned by a "
    "MASH manager; a returned one is decided again."
)
NOTHING_CHANGED = "The amendment changes nothing: change the level of need, the primary need or the rationale"
NOT_YOURS = "Only the worker who made this decision, or a MASH manager, may amend it."


def is_manager(user: User) -> bool:
    """A MASH manager: their amendment needs nobody's agreement, and they agree the amendments of others."""
    return access.role_may(user, Kind.DECISION, Action.SIGN_OFF)


def may_amend(user: User, decision: ContactDecision) -> bool:
    """The decision maker or a MASH manager (the role's access is asked of the policy as well)."""
    return decision.status == DecisionStatus.IN_EFFECT and (decision.decided_by_id == user.id or is_manager(user))


def _when(at: datetime) -> str:
    local = at.astimezone(LONDON)
    return f"{long_date(local.date())} at {local:%H:%M}"


def form_fields(decision: ContactDecision, levels: Mapping[int, str]) -> list[SavedField]:
    """The fields the amendment form holds, as a second editor is shown them beside what they typed."""
    return [
        SavedField(
            "level_of_need",
            "Level of need",
            str(decision.level_of_need),
            {str(level): f"{level}: {name}" for level, name in levels.items()},
        ),
        SavedField(
            "primary_need",
            "Primary need",
            decision.primary_need or "",
            {code: f"{code}: {text}" for code, text in codes.PRIMARY_NEEDS.items()},
        ),
        SavedField("rationale", "Rationale", decision.rationale),
    ]


def kept_fields(decision: ContactDecision, levels: Mapping[int, str]) -> list[SavedField]:
    """The decision as its page shows it, with the manager's oversight: what a version keeps."""
    kept = form_fields(decision, levels)
    kept.insert(1, SavedField("outcome", "Outcome", rules.OUTCOME_LABELS.get(decision.outcome, str(decision.outcome))))
    if decision.signed_off_by is not None and decision.signed_off_at is not None:
        signed = f"{decision.signed_off_by.full_name}, {_when(decision.signed_off_at)}"
        if decision.sign_off_note:
            signed += f": {decision.sign_off_note}"
        kept.append(SavedField("signed_off", "Signed off by", signed))
    if decision.amendment_signed_off_by is not None and decision.amendment_signed_off_at is not None:
        agreed = f"{decision.amendment_signed_off_by.full_name}, {_when(decision.amendment_signed_off_at)}"
        kept.append(SavedField("amendment_signed_off", "Latest amendment agreed by", agreed))
    elif decision.amendment_awaiting_sign_off:
        kept.append(SavedField("amendment_signed_off", "Latest amendment agreed by", "Waiting for a manager"))
    return kept


def _decision_in_effect(contact: Contact) -> ContactDecision:
    decision = contact.current_decision
    if decision is None or decision.status != DecisionStatus.IN_EFFECT:
        raise Conflict(NOT_IN_EFFECT)
    return decision


def _require(session: Session, database: Database, user: User, contact: Contact, action: Action) -> None:
    access.require(
        session,
        database,
        user,
        action,
        AccessSubject(kind=Kind.DECISION, id=contact.id, person_ids=subject_of(contact).person_ids),
    )


def _require_amender(session: Session, user: User, decision: ContactDecision) -> None:
    if decision.decided_by_id != user.id and not is_manager(user):
        audit_refusal(session, user, "amend", TARGET, decision.id, "neither the decision maker nor a MASH manager")
        raise AccessDenied(NOT_YOURS)


def _audit(
    session: Session, user: User, action: str, contact: Contact, decision: ContactDecision, **detail: object
) -> None:
    """One row per linked child, so each child's record shows who changed the decision about them."""
    for person_id in subject_of(contact).person_ids or (None,):
        record(
            session,
            access.actor_of(user),
            action,
            TARGET,
            decision.id,
            person_id=person_id,
            detail={"contact_id": contact.id, **detail},
        )


# --- the amendment form -----------------------------------------------------------------------------------------------


@dataclass
class AmendmentForm:
    """What the amendment page shows: the contact, its decision in effect, the values in the form, the levels."""

    contact: Contact
    decision: ContactDecision
    values: dict[str, str]
    levels: dict[int, str]
    needs_agreement: bool  # the amender is not a manager: a manager must agree the amendment


def amendment_form(session: Session, database: Database, user: User, contact_id: int) -> AmendmentForm:
    """The decision in effect, as its amendment form shows it (audited as a view)."""
    contact = load_contact(session, contact_id)
    _require(session, database, user, contact, Action.DECIDE)
    decision = _decision_in_effect(contact)
    _require_amender(session, user, decision)
    levels = level_labels(council_settings(session))
    values = {f.name: f.value for f in form_fields(decision, levels)} | {"version": str(decision.version)}
    _audit(session, user, "view", contact, decision)
    return AmendmentForm(contact, decision, values, levels, needs_agreement=not is_manager(user))


@dataclass(frozen=True)
class AmendmentInput:
    """The amendment form as typed."""

    level_of_need: str | None
    primary_need: str | None
    rationale: str | None
    reason: str | None
    expected_version: int | None

    @classmethod
    def read(cls, form: Mapping[str, str]) -> AmendmentInput:
        return cls(
            level_of_need=form.get("level_of_need"),
            primary_need=form.get("primary_need") or None,
            rationale=form.get("rationale"),
            reason=form.get("amendment_reason"),
            expected_version=record_id(form.get("version")),
        )


def amend_decision(
    session: Session,
    database: Database,
    user: User,
    contact_id: int,
    data: AmendmentInput,
    now: datetime | None = None,
) -> ContactDecision:
    """Amend the decision in effect with a reason: the version before is kept, the change audited as ``amend``.
    A manager's amendment stands; anyone else's waits for a manager to agree it. An amendment loaded at an older
    version of the decision is refused with the saved version beside what was typed (``EditConflict``)."""
    contact = load_contact(session, contact_id)
    _require(session, database, user, contact, Action.DECIDE)
    decision = _decision_in_effect(contact)
    _require_amender(session, user, decision)
    levels = level_labels(council_settings(session))
    check_version(session, TARGET, decision, data.expected_version, form_fields(decision, levels))
    errors: dict[str, str] = {}
    level = str(data.level_of_need or "").strip()
    if level not in {str(n) for n in levels}:
        errors["level_of_need"] = "Choose the level of need (1 to 4)"
    errors |= primary_need_problem(decision.outcome, data.primary_need)
    if problem := rules.rationale_problem(data.rationale, "rationale for the decision"):
        errors["rationale"] = problem
    if problem := reason_problem(data.reason):
        errors["amendment_reason"] = problem
    if errors:
        raise ValidationFailed(errors)
    wanted = {
        "level_of_need": int(level),
        "primary_need": data.primary_need if decision.outcome in rules.REFERRAL_OUTCOMES else None,
        "rationale": (data.rationale or "").strip(),
    }
    changed = [name for name, value in wanted.items() if getattr(decision, name) != value]
    if not changed:
        raise ValidationFailed({"level_of_need": NOTHING_CHANGED})
    assert data.reason is not None
    keep_version(session, user, TARGET, decision, kept_fields(decision, levels), data.reason)
    for name in changed:
        setattr(decision, name, wanted[name])
    manager = is_manager(user)
    decision.amendment_awaiting_sign_off = not manager
    decision.amendment_signed_off_by_id = user.id if manager else None
    decision.amendment_signed_off_at = (now or utcnow()) if manager else None
    if "primary_need" in changed:
        _carry_primary_need(session, user, decision)
    session.flush()
    _audit(
        session,
        user,
        "amend",
        contact,
        decision,
        changed=changed,
        reason=data.reason.strip(),
        awaiting_sign_off=not manager,
    )
    return decision


def _carry_primary_need(session: Session, user: User, decision: ContactDecision) -> None:
    """The referrals this decision opened carry its primary need (the CIN census reads it there)."""
    for referral in session.scalars(select(Referral).where(Referral.decision_id == decision.id)):
        if referral.primary_need != decision.primary_need:
            referral.primary_need = decision.primary_need
            record(
                session,
                access.actor_of(user),
                "update",
                "referral",
                referral.id,
                person_id=referral.person_id,
                detail={"changed": ["primary_need"], "decision_id": decision.id},
            )


# --- a manager agrees an amendment ------------------------------------------------------------------------------------


def agree_amendment(
    session: Session,
    database: Database,
    user: User,
    contact_id: int,
    *,
    expected_version: int | None,
    now: datetime | None = None,
) -> ContactDecision:
    """A MASH manager agrees the amendment waiting on a decision. To disagree, they amend it themselves, with
    their reason (their amendment stands, and the version they corrected is kept)."""
    contact = load_contact(session, contact_id)
    _require(session, database, user, contact, Action.SIGN_OFF)
    decision = contact.current_decision
    if decision is None or not decision.amendment_awaiting_sign_off:
        raise Conflict(
            "This decision has no amendment waiting for sign-off: someone else may have agreed it.", field="version"
        )
    if expected_version is not None and decision.version != expected_version:
        raise Conflict(
            "Someone else changed this decision since you opened it: read the amendment again before you agree it.",
            field="version",
        )
    decision.amendment_awaiting_sign_off = False
    decision.amendment_signed_off_by_id = user.id
    decision.amendment_signed_off_at = now or utcnow()
    session.flush()
    _audit(session, user, "sign_off", contact, decision, amendment=True)
    return decision


# --- what the contact page shows ----------------------------------------------------------------------------------


def history(
    session: Session, decision: ContactDecision, levels: Mapping[int, str]
) -> list[tuple[Amendment, list[Change]]]:
    """The decision's amendments, newest first, each with what it changed (the caller audited the view)."""
    found = amendments(session, TARGET, [decision.id]).get(decision.id, [])
    if not found:
        return []
    return changes_made(
        found,
        [(f.label, f.shown) for f in kept_fields(decision, levels)],
        compared=[f.label for f in form_fields(decision, levels)],
    )
