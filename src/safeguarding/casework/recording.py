"""Recording the events of a child's case (assessments, strategy discussions, section 47s, conferences, plans,
core groups, visits, child in need plans and reviews, notes): the form, and the create or edit with its checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.casework import events, rules
from safeguarding.casework.case_access import audit, case_subject, flush, person_of, recompute, require
from safeguarding.casework.episode import dynamic_options, episode_facts, latest_referral, open_referral
from safeguarding.casework.models import (
    ChildInNeedPlan,
    ChildInNeedReview,
    ChildProtectionConference,
    ChildProtectionPlan,
    CoreGroupMeeting,
    Referral,
    StrategyParticipant,
)
from safeguarding.core.access import Action, Kind
from safeguarding.core.calendar import LONDON, today_in_london
from safeguarding.core.db import Database
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.record_versions import RecordLocked, SavedField, check_version, keep_version, reason_problem
from safeguarding.core.users import User
from safeguarding.people.models import Person

# --- events: create and edit ------------------------------------------------------------------------------------------


def _kind(slug: str) -> events.EventKind:
    kind = events.KINDS.get(slug)
    if kind is None:
        raise NotFound("There is no such kind of case record.")
    return kind


def event_of(session: Session, kind: events.EventKind, person_id: int, event_id: int) -> Any:
    row = session.get(kind.model, event_id)
    if row is None or row.person_id != person_id:
        raise NotFound(f"There is no such {kind.label} on this child's record.")
    return row


# --- signed-off records: locked, changed only by an amendment with a reason ----------------------------------------

# The kinds whose records are signed off, and when: an authorised assessment is the manager's completed record, an
# authorised child in need plan the plan the manager agreed (casework.plan_authorisation).
#
# The other records of a case, and why they are not here: strategy discussions, section 47 enquiries, conferences,
# core groups, visits, reviews and notes are recorded by the worker, with no manager's sign-off in the record (a
# section 47's outcome is agreed at the strategy discussion or conference it leads to, recorded as those events); a
# child protection plan is made by the conference that decided it, not signed off by a manager here; a closed
# episode has no edit form at all (casework.closure: a team manager closes it, and nothing reopens it); a MASH
# decision in effect is amended in the front door (front_door.amendments).
SIGNED_OFF: dict[str, Callable[[Any], bool]] = {
    "assessments": lambda row: row.authorised_on is not None,
    "cin-plans": lambda row: row.authorised_on is not None,
}
# What the ordinary form may still record on a signed-off record: ending an authorised plan is the plan's next
# event, not a change to what the manager agreed.
STILL_RECORDED: dict[str, frozenset[str]] = {"cin-plans": frozenset({"ended_on"})}


def signed_off(slug: str, row: Any) -> bool:
    test = SIGNED_OFF.get(slug)
    return row is not None and test is not None and test(row)


def refuse_locked(kind: events.EventKind, person_id: int, row: Any) -> RecordLocked:
    when = f" on {row.authorised_on:%-d %B %Y}" if getattr(row, "authorised_on", None) else ""
    return RecordLocked(
        f"This {kind.label} was authorised{when}, so it cannot be changed with its ordinary form. "
        f"An authorised {kind.label} is changed only by an amendment, with the reason for it.",
        amend_url=f"/cases/{person_id}/{kind.slug}/{row.id}/amend",
        back_url=f"/cases/{person_id}",
    )


def saved_fields(kind: events.EventKind, row: Any, options: Mapping[str, Mapping[str, str]]) -> list[SavedField]:
    """A saved event's fields as its form holds them and a reader sees them: what a second editor is shown beside
    their own text, and what an amendment keeps of the content before it."""
    values = events.form_values(kind, row)
    shown: list[SavedField] = []
    for f in kind.fields:
        if f.type == "participants":
            i = 0
            while f"participants.{i}.name" in values:
                for part in ("agency", "name", "role"):
                    key = f"participants.{i}.{part}"
                    shown.append(SavedField(key, f"{f.label}: person {i + 1}, {part}", values[key]))
                i += 1
            continue
        if f.name not in values:
            continue
        choices: Mapping[str, str] = (options.get(f.dynamic, {}) if f.dynamic else f.options) or {}
        if f.type == "checkbox":
            choices = {"1": "Yes", "": "No"}
        shown.append(SavedField(f.name, f.label, values[f.name], choices, is_date=f.type == "date"))
    return shown


@dataclass
class EventForm:
    """What an event's form needs: the child, the kind, the values shown, the choices, the version loaded."""

    person: Person
    kind: events.EventKind
    values: dict[str, str]
    options: dict[str, dict[str, str]]
    event_id: int | None = None
    version: int | None = None
    amending: bool = False
    locked: bool = False  # signed off: the ordinary form records only what STILL_RECORDED names


def event_form(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    slug: str,
    event_id: int | None = None,
    *,
    amending: bool = False,
) -> EventForm:
    """The blank form for a new event, or a saved event's values for an edit (audited as a view). A signed-off
    event is not edited (``RecordLocked``, naming its amendment form) but amended (``amending``)."""
    kind = _kind(slug)
    person = person_of(session, person_id)
    kind_of_record = Kind.CASE_NOTE if slug == "notes" else Kind.CASE
    action = Action.CREATE if event_id is None else Action.UPDATE
    require(session, database, user, action, case_subject(session, person_id, kind_of_record, event_id))
    options = dynamic_options(session, latest_referral(session, person_id))
    if event_id is None:
        values: dict[str, str] = {}  # every answer starts unanswered: "child seen" is asked, never assumed
        # The blank form shows the child's name and case: a view of their record.
        audit(session, user, "view", "person", person_id, person_id, form=slug)
        return EventForm(person, kind, values, options)
    row = event_of(session, kind, person_id, event_id)
    if signed_off(slug, row) and not amending and not STILL_RECORDED.get(slug):
        raise refuse_locked(kind, person_id, row)
    values = events.form_values(kind, row)
    if slug == "cp-plans":
        made_by = session.scalar(
            select(ChildProtectionConference.id).where(
                ChildProtectionConference.plan_id == row.id, ChildProtectionConference.kind == "initial"
            )
        )
        values["conference_id"] = str(made_by or "")
    audit(session, user, "view", kind.target, row.id, person_id)
    locked = signed_off(slug, row) and not amending
    return EventForm(person, kind, values, options, row.id, row.version, amending, locked)


@dataclass(frozen=True)
class EventInput:
    """An event's form as typed, field by field: a kind's fields are data (``events.KINDS``), so they are read by
    ``events.parse`` against the choices of the child's episode, once the service knows the user may record it."""

    fields: Mapping[str, str]

    @classmethod
    def read(cls, form: Mapping[str, str]) -> EventInput:
        return cls(MappingProxyType(dict(form)))


def save_event(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    slug: str,
    data: EventInput,
    *,
    event_id: int | None = None,
    expected_version: int | None = None,
    amendment_reason: str | None = None,
    now: date | None = None,
) -> Any:
    """Create or edit one event of the child's case: check the fields and the order rules, write, recompute the
    child's deadlines in the same transaction, audit. Nothing is written when anything is refused.

    A signed-off event is refused (``RecordLocked``) unless this is its amendment (``amendment_reason`` given, and
    required): the content before it is kept as a version, and the change is audited as an amendment. An edit
    loaded at an older version is refused with the saved version (``EditConflict``)."""
    kind = _kind(slug)
    person_of(session, person_id)
    kind_of_record = Kind.CASE_NOTE if slug == "notes" else Kind.CASE
    editing = event_id is not None
    require(
        session,
        database,
        user,
        Action.UPDATE if editing else Action.CREATE,
        case_subject(session, person_id, kind_of_record, event_id),
    )
    row = event_of(session, kind, person_id, event_id) if event_id is not None else None
    amending = amendment_reason is not None
    locked = signed_off(slug, row) and not amending
    if locked and not STILL_RECORDED.get(slug):
        raise refuse_locked(kind, person_id, row)
    day = now or today_in_london()
    if slug == "notes":
        referral = latest_referral(session, person_id)
    else:
        referral = row_referral(session, row) if row is not None else open_referral(session, person_id)
    options = dynamic_options(session, referral)
    before = saved_fields(kind, row, options) if row is not None else []
    if row is not None:
        check_version(session, kind.target, row, expected_version, before)
    values, errors = events.parse(kind, data.fields, editing=editing, options=options)
    if amending and (problem := reason_problem(amendment_reason)):
        errors["amendment_reason"] = problem
    if errors:
        raise ValidationFailed(errors)
    if locked and any(
        getattr(row, name, None) != value
        for name, value in values.items()
        if name not in STILL_RECORDED[slug] and hasattr(row, name)
    ):
        raise refuse_locked(kind, person_id, row)
    if referral is not None and slug != "notes":
        episode = episode_facts(session, referral)
        refusals = _order_refusals(session, slug, episode, values, row, day)
        if refusals:
            raise ValidationFailed(rules.as_errors(refusals))
    if row is None:
        row = kind.model(person_id=person_id)
        if hasattr(row, "referral_id"):
            assert referral is not None
            row.referral_id = referral.id
        session.add(row)
    elif amending:
        assert amendment_reason is not None
        keep_version(session, user, kind.target, row, before, amendment_reason)
    changed = _apply(session, slug, row, values, user)
    flush(session)
    if slug == "cp-plans" and values.get("conference_id"):
        conference = session.get(ChildProtectionConference, values["conference_id"])
        if conference is not None and conference.plan_id != row.id:
            conference.plan_id = row.id
            flush(session)
    if slug != "notes":
        recompute(session, person_id)
    if amending:
        audit(session, user, "amend", kind.target, row.id, person_id, changed=changed, reason=amendment_reason)
    else:
        audit(session, user, "update" if editing else "create", kind.target, row.id, person_id, changed=changed)
    return row


def row_referral(session: Session, row: Any) -> Referral:
    """The episode an event belongs to (core groups and reviews through their plan)."""
    if isinstance(row, CoreGroupMeeting):
        row = session.get(ChildProtectionPlan, row.plan_id)
    elif isinstance(row, ChildInNeedReview):
        row = session.get(ChildInNeedPlan, row.plan_id)
    referral = session.get(Referral, row.referral_id)
    assert referral is not None
    return referral


def _order_refusals(
    session: Session, slug: str, episode: rules.Episode, v: dict[str, Any], row: Any, day: date
) -> list[rules.Refusal]:
    row_id = row.id if row is not None else None
    if slug == "assessments":
        return rules.check_assessment(
            episode,
            assessment_id=row_id,
            started_on=v["started_on"],
            authorised_on=row.authorised_on if row is not None else None,
            today=day,
        )
    if slug == "strategy-discussions":
        return rules.check_strategy_discussion(episode, held_on=v["held_on"], today=day)
    if slug == "section-47s":
        return rules.check_section47(
            episode,
            section47_id=row_id,
            strategy_discussion_id=v["strategy_discussion_id"],
            started_on=v["started_on"],
            completed_on=v["completed_on"],
            outcome=v["outcome"],
            today=day,
        )
    if slug == "conferences":
        return rules.check_conference(
            episode.without("initial_conferences", row_id),
            kind=v["kind"],
            held_on=v["held_on"],
            plan_id=v["plan_id"],
            today=day,
        )
    if slug == "cp-plans":
        conference = session.get(ChildProtectionConference, v["conference_id"]) if v["conference_id"] else None
        return rules.check_cp_plan(
            episode,
            plan_id=row_id,
            conference_date=conference.held_on if conference else None,
            started_on=v["started_on"],
            ended_on=v.get("ended_on"),
            end_reason=v.get("end_reason"),
            today=day,
        )
    if slug == "core-groups":
        return rules.check_core_group(episode, plan_id=v["plan_id"], held_on=v["held_on"], today=day)
    if slug == "visits":
        return rules.check_visit(
            episode, visited_on=v["visited_on"], child_seen=v["child_seen"], seen_alone=v["seen_alone"], today=day
        )
    if slug == "cin-plans":
        return rules.check_cin_plan(
            episode, plan_id=row_id, started_on=v["started_on"], ended_on=v.get("ended_on"), today=day
        )
    if slug == "cin-reviews":
        return rules.check_cin_review(episode, plan_id=v["plan_id"], held_on=v["held_on"], today=day)
    return []


def _apply(session: Session, slug: str, row: Any, v: dict[str, Any], user: User) -> list[str]:
    """Copy the values onto the row; the names of the fields that changed (for the audit)."""
    changed: list[str] = []
    for name, value in v.items():
        if name in ("participants", "conference_id", "occurred_on", "occurred_time"):
            continue
        if name == "latest_category" and value is None:
            value = v.get("initial_category")
        if getattr(row, name, None) != value:
            setattr(row, name, value)
            changed.append(name)
    if slug == "notes":
        occurred = datetime.combine(v["occurred_on"], v["occurred_time"], tzinfo=LONDON).astimezone(UTC)
        if row.occurred_at is None or row.occurred_at != occurred:
            row.occurred_at = occurred
            changed.append("occurred_at")
        if row.author_id is None:
            row.author_id = user.id
    elif slug == "visits":
        if row.worker_id is None:
            row.worker_id = user.id
    elif hasattr(row, "recorded_by_id") and row.recorded_by_id is None:
        row.recorded_by_id = user.id
    if slug == "cin-plans" and changed and row.returned_note is not None:
        # The worker changed the plan the manager returned: it goes back to the manager's list.
        row.returned_note = row.returned_by_id = row.returned_at = None
    if slug == "strategy-discussions":
        wanted = [(a, n, r or None) for a, n, r in v["participants"]]
        current = [(p.agency, p.name, p.role) for p in row.participants]
        if wanted != current:
            row.participants = [StrategyParticipant(agency=a, name=n, role=r) for a, n, r in wanted]
            changed.append("participants")
    return changed
