"""Closing an episode of need with the DfE reason; the open allocation ends with it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from safeguarding.casework import rules
from safeguarding.casework.case_access import audit, case_subject, check_version, flush, person_of, recompute, require
from safeguarding.casework.episode import episode_facts, open_referral
from safeguarding.casework.models import Referral
from safeguarding.casework.referrals import open_allocation
from safeguarding.core.access import Action
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field, text_field
from safeguarding.core.users import User
from safeguarding.people.models import Person

# --- closure ----------------------------------------------------------------------------------------------------------


@dataclass
class ClosureForm:
    person: Person
    referral: Referral
    blockers: list[str]


def closure_form(session: Session, database: Database, user: User, person_id: int) -> ClosureForm:
    person = person_of(session, person_id)
    require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id))
    referral = open_referral(session, person_id)
    episode = episode_facts(session, referral)
    day = today_in_london()
    blockers = [
        r.text
        for r in rules.check_closure(episode, closed_on=day, reason="RC7", today=day)
        if r.rule_id.startswith("closure-open")
    ]
    audit(session, user, "view", "referral", referral.id, person_id)
    return ClosureForm(person, referral, blockers)


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
    flush(session)
    recompute(session, person_id)
    audit(session, user, "close", "referral", referral.id, person_id, reason=reason)
    return referral
