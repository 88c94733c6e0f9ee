"""Closing an episode of need with the DfE reason; the open allocation ends with it.

A team manager closes the episode. The worker asks for it (``request_closure``: the date, the reason and the summary
they propose, checked against the same rules); the request waits on the manager's home page, and the manager closes
the episode from it (the request is then authorised) or returns it to the worker with the reason
(``return_closure``). A manager may also close an episode without a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.casework import rules
from safeguarding.casework.case_access import audit, case_subject, check_version, flush, person_of, recompute, require
from safeguarding.casework.episode import episode_facts, open_referral
from safeguarding.casework.models import ClosureRequest, Referral
from safeguarding.casework.referrals import open_allocation
from safeguarding.core.access import Action
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import Conflict, ValidationFailed
from safeguarding.core.form_fields import date_field, text_field
from safeguarding.core.users import User
from safeguarding.people.models import Person

AWAITING, AUTHORISED, RETURNED = "awaiting", "authorised", "returned"

# --- closure ----------------------------------------------------------------------------------------------------------


@dataclass
class ClosureForm:
    person: Person
    referral: Referral
    blockers: list[str]
    request: ClosureRequest | None = None  # the worker's request waiting for the manager
    returned: ClosureRequest | None = None  # the latest request the manager returned, with the reason


def waiting_request(session: Session, referral_id: int) -> ClosureRequest | None:
    return session.scalar(
        select(ClosureRequest).where(ClosureRequest.referral_id == referral_id, ClosureRequest.status == AWAITING)
    )


def closure_form(
    session: Session, database: Database, user: User, person_id: int, *, requesting: bool = False
) -> ClosureForm:
    """The closure form: the manager's (closing the episode, with the worker's request if one waits) or, with
    ``requesting``, the worker's request for it."""
    person = person_of(session, person_id)
    require(session, database, user, Action.UPDATE if requesting else Action.SIGN_OFF, case_subject(session, person_id))
    referral = open_referral(session, person_id)
    episode = episode_facts(session, referral)
    day = today_in_london()
    blockers = [
        r.text
        for r in rules.check_closure(episode, closed_on=day, reason="RC7", today=day)
        if r.rule_id.startswith("closure-open")
    ]
    audit(session, user, "view", "referral", referral.id, person_id)
    returned = session.scalar(
        select(ClosureRequest)
        .where(ClosureRequest.referral_id == referral.id, ClosureRequest.status == RETURNED)
        .order_by(ClosureRequest.id.desc())
        .limit(1)
    )
    return ClosureForm(person, referral, blockers, waiting_request(session, referral.id), returned)


@dataclass(frozen=True)
class ClosureInput:
    """The closure form read: the date, the DfE reason code, the note, and what was wrong with them (raised by the
    service once it has checked the user may close the episode)."""

    closed_on: date | None
    reason: str | None
    note: str | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> ClosureInput:
        problems: dict[str, str] = {}
        closed_on = date_field(
            form.get("closed_on", "") or "", "closed_on", "the date of closure", problems, noun="date of closure"
        )
        note = text_field(form.get("note", "") or "", "note", "the closure note", problems, limit=4000, required=False)
        return cls(closed_on, (form.get("reason", "") or "").strip() or None, note, problems)


def close_episode(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    data: ClosureInput,
    *,
    expected_version: int | None,
    now: date | None = None,
) -> Referral:
    """A team manager closes the episode of need with the DfE reason; refused while a plan, an assessment or a
    section 47 is open. The open allocation ends with it."""
    child = person_of(session, person_id)
    require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id))
    referral = open_referral(session, person_id)
    check_version(session, "referral", referral, expected_version)
    day = now or today_in_london()
    if data.problems:
        raise ValidationFailed(dict(data.problems))
    closed_on, reason, note = data.closed_on, data.reason, data.note
    assert closed_on is not None
    refusals = rules.check_closure(
        episode_facts(session, referral), closed_on=closed_on, reason=reason, today=day, death_date=child.date_of_death
    )
    if refusals:
        raise ValidationFailed(rules.as_errors(refusals))
    referral.closed_date = closed_on
    referral.closure_reason = reason
    referral.closed_by_id = user.id
    referral.closure_note = note
    allocation = open_allocation(session, person_id)
    if allocation is not None:
        allocation.ended_at = utcnow()
    request = waiting_request(session, referral.id)
    if request is not None:  # the worker's request is authorised by the closure
        request.status, request.answered_by_id, request.answered_at = AUTHORISED, user.id, utcnow()
    flush(session)
    recompute(session, person_id)
    audit(
        session,
        user,
        "close",
        "referral",
        referral.id,
        person_id,
        reason=reason,
        closure_request_id=request.id if request is not None else None,
    )
    return referral


# --- the worker's request, and the manager returning it -----------------------------------------------------------


def request_closure(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    data: ClosureInput,
    *,
    now: date | None = None,
) -> ClosureRequest:
    """The worker asks their team manager to close the episode: the proposed date, reason and summary, checked as the
    closure itself is (an open plan, assessment or section 47 refuses it). One request waits at a time."""
    person = person_of(session, person_id)
    require(session, database, user, Action.UPDATE, case_subject(session, person_id))
    referral = open_referral(session, person_id)
    if waiting_request(session, referral.id) is not None:
        raise Conflict("A request to close this episode is already waiting for the team manager.", field="version")
    if data.problems:
        raise ValidationFailed(dict(data.problems))
    assert data.closed_on is not None
    refusals = rules.check_closure(
        episode_facts(session, referral),
        closed_on=data.closed_on,
        reason=data.reason,
        today=now or today_in_london(),
        death_date=person.date_of_death,
    )
    if refusals:
        raise ValidationFailed(rules.as_errors(refusals))
    assert data.reason is not None
    request = ClosureRequest(
        person_id=person_id,
        referral_id=referral.id,
        requested_by_id=user.id,
        closed_on=data.closed_on,
        reason=data.reason,
        note=data.note,
        status=AWAITING,
    )
    session.add(request)
    flush(session)
    audit(session, user, "request_closure", "closure_request", request.id, person_id, reason=data.reason)
    return request


def return_closure(
    session: Session, database: Database, user: User, person_id: int, note: str | None
) -> ClosureRequest:
    """The team manager returns the worker's request with the reason; the episode stays open."""
    person_of(session, person_id)
    require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id))
    referral = open_referral(session, person_id)
    request = waiting_request(session, referral.id)
    if request is None:
        raise Conflict("No request to close this episode is waiting: someone may have answered it.", field="version")
    problems: dict[str, str] = {}
    text = text_field(note or "", "return_note", "the reason for returning the request", problems, limit=4000)
    if problems:
        raise ValidationFailed(problems)
    request.status, request.answered_by_id, request.answered_at, request.return_note = RETURNED, user.id, utcnow(), text
    flush(session)
    audit(session, user, "return_closure", "closure_request", request.id, person_id, note=text)
    return request
