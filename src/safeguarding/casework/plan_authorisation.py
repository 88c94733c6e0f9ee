"""A team manager authorises a child in need plan, or returns it to the worker with the reason.

A child in need plan is the multi-agency plan a manager agrees before it is the child's plan (Working Together 2023
ch.3, "Child in need plans": the lead practitioner's plan, with management oversight of its content). Once
authorised it is locked like an authorised assessment (casework.recording.SIGNED_OFF): its content changes only by
an amendment with a reason, the version before kept; recording the date it ended stays with the ordinary form. A
returned plan waits for the worker to change it; changing it sends it back to the manager's list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from safeguarding.casework import events
from safeguarding.casework.case_access import audit, case_subject, check_version, flush, person_of, require
from safeguarding.casework.models import ChildInNeedPlan
from safeguarding.casework.recording import event_of, refuse_locked
from safeguarding.core.access import Action, Kind
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import record_id, text_field
from safeguarding.core.users import User
from safeguarding.people.models import Person

KIND = events.KINDS["cin-plans"]
NOTE_MAX = 2000


@dataclass
class PlanAuthorisationForm:
    person: Person
    plan: ChildInNeedPlan
    recorded_by: str | None


def plan_authorisation_form(
    session: Session, database: Database, user: User, person_id: int, plan_id: int
) -> PlanAuthorisationForm:
    """The plan as the manager reads it before authorising or returning it (audited as a view)."""
    person = person_of(session, person_id)
    require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id, Kind.CASE, plan_id))
    plan: ChildInNeedPlan = event_of(session, KIND, person_id, plan_id)
    if plan.authorised_on is not None:
        raise refuse_locked(KIND, person_id, plan)
    recorded_by = session.get(User, plan.recorded_by_id) if plan.recorded_by_id else None
    audit(session, user, "view", KIND.target, plan.id, person_id)
    return PlanAuthorisationForm(person, plan, recorded_by.full_name if recorded_by else None)


@dataclass(frozen=True)
class PlanAuthorisationInput:
    """The manager's answer: authorise the plan, or return it with the reason."""

    authorise: bool
    note: str | None
    expected_version: int | None
    problems: Mapping[str, str]

    @classmethod
    def read(cls, form: Mapping[str, str]) -> PlanAuthorisationInput:
        problems: dict[str, str] = {}
        answer = form.get("answer", "") or ""
        if answer not in ("authorise", "return"):
            problems["answer"] = "Choose whether you authorise the plan or return it to the worker"
        note = text_field(
            form.get("note", "") or "",
            "note",
            "the reason for returning the plan",
            problems,
            limit=NOTE_MAX,
            required=answer == "return",
        )
        return cls(answer == "authorise", note, record_id(form.get("version")), problems)


def answer_plan(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    plan_id: int,
    data: PlanAuthorisationInput,
    *,
    now: date | None = None,
) -> ChildInNeedPlan:
    """Authorise the plan (it is locked from now on) or return it to the worker with the reason; audited as
    ``authorise`` or ``return_plan``. A plan changed since the manager read it is refused (``EditConflict``)."""
    person_of(session, person_id)
    require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id, Kind.CASE, plan_id))
    plan: ChildInNeedPlan = event_of(session, KIND, person_id, plan_id)
    if plan.authorised_on is not None:
        raise refuse_locked(KIND, person_id, plan)
    check_version(session, KIND.target, plan, data.expected_version)
    if data.problems:
        raise ValidationFailed(dict(data.problems))
    if data.authorise:
        plan.authorised_on = now or today_in_london()
        plan.authorised_by_id = user.id
        plan.returned_note = plan.returned_by_id = plan.returned_at = None
    else:
        plan.returned_note = data.note
        plan.returned_by_id = user.id
        plan.returned_at = utcnow()
    flush(session)
    if data.authorise:
        audit(session, user, "authorise", KIND.target, plan.id, person_id)
    else:
        audit(session, user, "return_plan", KIND.target, plan.id, person_id, note=data.note)
    return plan
