"""Case work use-cases: is a child's case open, recording a referral (the front door calls these), and the
statutory case work of a child's episode of need (assessments, strategy discussions, section 47s, conferences,
plans, core groups, visits, child in need plans and reviews, notes, closure, allocation, supervision, curated
chronologies, the family and its genogram).

Every read and change asks ``core.access`` and is written to the audit log; after every change to a case event the
child's deadlines are recomputed (``timescales.service.recompute_for_child``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from safeguarding.casework import events, rules
from safeguarding.casework.models import (
    Allocation,
    Assessment,
    AssessmentFactor,
    CaseNote,
    ChildInNeedPlan,
    ChildInNeedReview,
    ChildProtectionConference,
    ChildProtectionPlan,
    Chronology,
    ChronologyEntry,
    CoreGroupMeeting,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
    StrategyParticipant,
    Supervision,
    SupervisionCase,
    Visit,
)
from safeguarding.core import access, codes
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.audit import record_view as audit_view
from safeguarding.core.calendar import LONDON, today_in_london
from safeguarding.core.dates import DateKind
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.users import Role, Team, User
from safeguarding.people.models import FamilyRelationship, Person, RelationshipKind
from safeguarding.timescales.rules import due_on
from safeguarding.timescales.service import ChildDeadlines, deadlines_of_child, recompute_for_child

# DfE: a re-referral is a referral within 12 months of a previous referral (shared/domain/front-door.md 1).
RE_REFERRAL_WINDOW_MONTHS = 12


def open_allocation(session: Session, person_id: int) -> Allocation | None:
    """The child's current allocation, if their case is open."""
    return session.scalar(
        select(Allocation)
        .where(Allocation.person_id == person_id, Allocation.ended_at.is_(None))
        .order_by(Allocation.started_at.desc())
        .limit(1)
    )


def recently_closed_allocation(session: Session, person_id: int, within_days: int,
                               now: datetime | None = None) -> Allocation | None:
    """An allocation that ended within ``within_days`` (a local setting; 0 turns this routing off)."""
    if within_days <= 0:
        return None
    since = (now or utcnow()) - timedelta(days=within_days)
    return session.scalar(
        select(Allocation)
        .where(Allocation.person_id == person_id, Allocation.ended_at.is_not(None), Allocation.ended_at >= since)
        .order_by(Allocation.ended_at.desc())
        .limit(1)
    )


def twelve_months_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def previous_referral_within_window(session: Session, person_id: int, referral_date: date) -> Referral | None:
    """The latest earlier referral of this child within 12 months before ``referral_date``."""
    return session.scalar(
        select(Referral)
        .where(Referral.person_id == person_id,
               Referral.referral_date >= twelve_months_before(referral_date),
               Referral.referral_date <= referral_date)
        .order_by(Referral.referral_date.desc(), Referral.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class ReferralInput:
    person_id: int
    referral_date: date
    referral_source: str
    route: str
    contact_id: int | None = None
    decision_id: int | None = None
    primary_need: str | None = None


def record_referral(session: Session, data: ReferralInput) -> Referral:
    """Record a referral (one episode of need), flagging a re-referral within 12 months of the last."""
    previous = previous_referral_within_window(session, data.person_id, data.referral_date)
    referral = Referral(
        person_id=data.person_id,
        contact_id=data.contact_id,
        decision_id=data.decision_id,
        referral_date=data.referral_date,
        referral_source=data.referral_source,
        primary_need=data.primary_need,
        route=data.route,
        is_re_referral=previous is not None,
        previous_referral_id=previous.id if previous else None,
    )
    session.add(referral)
    session.flush()
    # The referral starts the assessment clock (and ends any earlier episode's): the child's deadlines follow now.
    _recompute(session, data.person_id)
    return referral


def referrals_of(session: Session, person_ids: list[int]) -> list[Referral]:
    if not person_ids:
        return []
    return list(session.scalars(select(Referral).where(Referral.person_id.in_(person_ids))
                                .order_by(Referral.referral_date.desc())))


# =====================================================================================================================
# Statutory case work: the access checks, the episode, the events, the case page, allocation, closure, supervision,
# chronologies and the family. Every read and change asks core.access and is audited; services never commit.
# =====================================================================================================================

WRITE_ACTIONS = frozenset({Action.CREATE, Action.UPDATE})
CONFLICT_MESSAGE = ("Someone else changed this record since you opened it. Nothing you entered was saved: reload "
                    "the page to see their change, then try again.")


# Event dates are local dates.
today = today_in_london


def _recompute(session: Session, person_id: int) -> None:
    """Derive and store the child's deadlines from their events, in the same transaction as the change."""
    recompute_for_child(session, person_id)


def assessment_due_on(referral_date: date) -> date:
    """45 working days from the referral (WT2023 ch.3; timescales rule ``assessment``)."""
    return due_on("assessment", referral_date)


def case_subject(session: Session, person_id: int, kind: Kind = Kind.CASE, record_id: object = None
                 ) -> AccessSubject:
    allocation = open_allocation(session, person_id)
    return AccessSubject(kind=kind, id=record_id if record_id is not None else person_id, person_ids=(person_id,),
                         allocated_user_ids=(allocation.worker_id,) if allocation else (),
                         team_id=allocation.team_id if allocation else None)


def _require(session: Session, database: Database, user: User, action: Action, subject: AccessSubject) -> None:
    """The policy, then the allocation scope: a social worker changes only the cases allocated to them (team
    managers change any case: they cover for absent workers and authorise). Refusals are audited."""
    access.require(session, database, user, action, subject)
    if action in WRITE_ACTIONS and Role(user.role) == Role.SOCIAL_WORKER and \
            user.id not in subject.allocated_user_ids:
        reason = "not the allocated worker"
        record(session, access.actor_of(user), str(action), str(subject.kind), subject.id,
               person_id=subject.person_ids[0] if subject.person_ids else None, reason=reason, outcome="refused",
               survive_rollback=True)
        raise AccessDenied("Only the child's allocated worker or a team manager may change this case.")


def _audit(session: Session, user: User, action: str, target: str, target_id: object, person_id: int,
           **detail: Any) -> None:
    record(session, access.actor_of(user), action, target, target_id, person_id=person_id, detail=detail or None)


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    return person


def _check_version(row: Any, expected_version: int | None) -> None:
    if expected_version is not None and row.version != expected_version:
        raise Conflict(CONFLICT_MESSAGE, field="version")


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(CONFLICT_MESSAGE, field="version") from exc


# --- the episode ------------------------------------------------------------------------------------------------------


def latest_referral(session: Session, person_id: int) -> Referral | None:
    return session.scalar(select(Referral).where(Referral.person_id == person_id)
                          .order_by(Referral.referral_date.desc(), Referral.id.desc()).limit(1))


def _open_referral(session: Session, person_id: int) -> Referral:
    referral = latest_referral(session, person_id)
    if referral is None or referral.closed_date is not None:
        raise ValidationFailed({"referral": "This child has no open episode of need: a referral through the front "
                                            f"door opens one ({rules.message('episode-closed')})"})
    return referral


def _rows(session: Session, model: Any, referral_id: int, order: Any) -> list[Any]:
    return list(session.scalars(select(model).where(model.referral_id == referral_id).order_by(order, model.id)))


def episode_facts(session: Session, referral: Referral) -> rules.Episode:
    rid = referral.id
    assessments = _rows(session, Assessment, rid, Assessment.started_on)
    discussions = _rows(session, StrategyDiscussion, rid, StrategyDiscussion.held_on)
    enquiries = _rows(session, Section47Enquiry, rid, Section47Enquiry.started_on)
    conferences = _rows(session, ChildProtectionConference, rid, ChildProtectionConference.held_on)
    cp_plans = _rows(session, ChildProtectionPlan, rid, ChildProtectionPlan.started_on)
    cin_plans = _rows(session, ChildInNeedPlan, rid, ChildInNeedPlan.started_on)
    other: list[date] = list(session.scalars(select(Visit.visited_on).where(Visit.referral_id == rid)))
    if cp_plans:
        other += session.scalars(select(CoreGroupMeeting.held_on).where(
            CoreGroupMeeting.plan_id.in_([p.id for p in cp_plans])))
    if cin_plans:
        other += session.scalars(select(ChildInNeedReview.held_on).where(
            ChildInNeedReview.plan_id.in_([p.id for p in cin_plans])))
    other += [c.held_on for c in conferences if c.kind == "review"]
    return rules.Episode(
        referral_date=referral.referral_date, closed_date=referral.closed_date,
        assessments=tuple(rules.Span(a.id, a.started_on, a.authorised_on, a.outcome) for a in assessments),
        strategy_discussions=tuple(rules.Span(d.id, d.held_on, None, d.decision) for d in discussions),
        section47s=tuple(rules.Span(s.id, s.started_on, s.completed_on, s.outcome) for s in enquiries),
        initial_conferences=tuple(rules.Span(c.id, c.held_on, None, c.outcome)
                                  for c in conferences if c.kind == "initial"),
        cp_plans=tuple(rules.Span(p.id, p.started_on, p.ended_on) for p in cp_plans),
        cin_plans=tuple(rules.Span(p.id, p.started_on, p.ended_on) for p in cin_plans),
        other_dates=tuple(other))


def dynamic_options(session: Session, referral: Referral | None) -> dict[str, dict[str, str]]:
    """The choices that depend on the child's episode: its discussions, conferences and plans."""
    if referral is None:
        return {"strategy_discussions": {}, "cp_plans": {}, "cin_plans": {}, "initial_conferences": {}}
    rid = referral.id
    return {
        "strategy_discussions": {
            str(d.id): f"{d.held_on:%-d %b %Y}: {rules.STRATEGY_DECISIONS.get(d.decision, d.decision)}"
            for d in _rows(session, StrategyDiscussion, rid, StrategyDiscussion.held_on)},
        "cp_plans": {str(p.id): f"Plan from {p.started_on:%-d %b %Y}" + (f" to {p.ended_on:%-d %b %Y}"
                                                                         if p.ended_on else " (open)")
                     for p in _rows(session, ChildProtectionPlan, rid, ChildProtectionPlan.started_on)},
        "cin_plans": {str(p.id): f"Plan from {p.started_on:%-d %b %Y}" + (f" to {p.ended_on:%-d %b %Y}"
                                                                          if p.ended_on else " (open)")
                      for p in _rows(session, ChildInNeedPlan, rid, ChildInNeedPlan.started_on)},
        "initial_conferences": {
            str(c.id): f"Initial conference {c.held_on:%-d %b %Y}"
            for c in _rows(session, ChildProtectionConference, rid, ChildProtectionConference.held_on)
            if c.kind == "initial" and c.outcome == "plan"},
    }


# --- events: create and edit ------------------------------------------------------------------------------------------


def _kind(slug: str) -> events.EventKind:
    kind = events.KINDS.get(slug)
    if kind is None:
        raise NotFound("There is no such kind of case record.")
    return kind


def _event(session: Session, kind: events.EventKind, person_id: int, event_id: int) -> Any:
    row = session.get(kind.model, event_id)
    if row is None or row.person_id != person_id:
        raise NotFound(f"There is no such {kind.label} on this child's record.")
    return row


@dataclass
class EventForm:
    """What an event's form needs: the child, the kind, the values shown, the choices, the version loaded."""

    person: Person
    kind: events.EventKind
    values: dict[str, str]
    options: dict[str, dict[str, str]]
    event_id: int | None = None
    version: int | None = None


def event_form(session: Session, database: Database, user: User, person_id: int, slug: str,
               event_id: int | None = None) -> EventForm:
    """The blank form for a new event, or a saved event's values for an edit (audited as a view)."""
    kind = _kind(slug)
    person = _person(session, person_id)
    kind_of_record = Kind.CASE_NOTE if slug == "notes" else Kind.CASE
    action = Action.CREATE if event_id is None else Action.UPDATE
    _require(session, database, user, action, case_subject(session, person_id, kind_of_record, event_id))
    options = dynamic_options(session, latest_referral(session, person_id))
    if event_id is None:
        values: dict[str, str] = {}
        if slug == "visits":
            values["child_seen"] = "1"
        # The blank form shows the child's name and case: a view of their record.
        _audit(session, user, "view", "person", person_id, person_id, form=slug)
        return EventForm(person, kind, values, options)
    row = _event(session, kind, person_id, event_id)
    values = events.form_values(kind, row)
    if slug == "cp-plans":
        made_by = session.scalar(select(ChildProtectionConference.id).where(
            ChildProtectionConference.plan_id == row.id, ChildProtectionConference.kind == "initial"))
        values["conference_id"] = str(made_by or "")
    _audit(session, user, "view", kind.target, row.id, person_id)
    return EventForm(person, kind, values, options, row.id, row.version)


def save_event(session: Session, database: Database, user: User, person_id: int, slug: str,
               form: Mapping[str, Any], *, event_id: int | None = None, expected_version: int | None = None,
               now: date | None = None) -> Any:
    """Create or edit one event of the child's case: check the fields and the order rules, write, recompute the
    child's deadlines in the same transaction, audit. Nothing is written when anything is refused."""
    kind = _kind(slug)
    _person(session, person_id)
    kind_of_record = Kind.CASE_NOTE if slug == "notes" else Kind.CASE
    editing = event_id is not None
    _require(session, database, user, Action.UPDATE if editing else Action.CREATE,
             case_subject(session, person_id, kind_of_record, event_id))
    row = _event(session, kind, person_id, event_id) if event_id is not None else None
    if row is not None:
        _check_version(row, expected_version)
    day = now or today()
    if slug == "notes":
        referral = latest_referral(session, person_id)
    else:
        referral = row_referral(session, row) if row is not None else _open_referral(session, person_id)
    options = dynamic_options(session, referral)
    values, errors = events.parse(kind, form, editing=editing, options=options)
    if errors:
        raise ValidationFailed(errors)
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
    changed = _apply(session, slug, row, values, user)
    _flush(session)
    if slug == "cp-plans" and values.get("conference_id"):
        conference = session.get(ChildProtectionConference, values["conference_id"])
        if conference is not None and conference.plan_id != row.id:
            conference.plan_id = row.id
            _flush(session)
    if slug != "notes":
        _recompute(session, person_id)
    _audit(session, user, "update" if editing else "create", kind.target, row.id, person_id, changed=changed)
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


def _order_refusals(session: Session, slug: str, episode: rules.Episode, v: dict[str, Any], row: Any,
                    day: date) -> list[rules.Refusal]:
    row_id = row.id if row is not None else None
    if slug == "assessments":
        return rules.check_assessment(episode, assessment_id=row_id, started_on=v["started_on"],
                                      authorised_on=row.authorised_on if row is not None else None, today=day)
    if slug == "strategy-discussions":
        return rules.check_strategy_discussion(episode, held_on=v["held_on"], today=day)
    if slug == "section-47s":
        return rules.check_section47(episode, section47_id=row_id,
                                     strategy_discussion_id=v["strategy_discussion_id"], started_on=v["started_on"],
                                     completed_on=v["completed_on"], outcome=v["outcome"], today=day)
    if slug == "conferences":
        return rules.check_conference(episode.without("initial_conferences", row_id), kind=v["kind"],
                                      held_on=v["held_on"], plan_id=v["plan_id"], today=day)
    if slug == "cp-plans":
        conference = session.get(ChildProtectionConference, v["conference_id"]) if v["conference_id"] else None
        return rules.check_cp_plan(episode, plan_id=row_id,
                                   conference_date=conference.held_on if conference else None,
                                   started_on=v["started_on"], ended_on=v.get("ended_on"),
                                   end_reason=v.get("end_reason"), today=day)
    if slug == "core-groups":
        return rules.check_core_group(episode, plan_id=v["plan_id"], held_on=v["held_on"], today=day)
    if slug == "visits":
        return rules.check_visit(episode, visited_on=v["visited_on"], child_seen=v["child_seen"],
                                 seen_alone=v["seen_alone"], today=day)
    if slug == "cin-plans":
        return rules.check_cin_plan(episode, plan_id=row_id, started_on=v["started_on"], ended_on=v.get("ended_on"),
                                    today=day)
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
    if slug == "strategy-discussions":
        wanted = [(a, n, r or None) for a, n, r in v["participants"]]
        current = [(p.agency, p.name, p.role) for p in row.participants]
        if wanted != current:
            row.participants = [StrategyParticipant(agency=a, name=n, role=r) for a, n, r in wanted]
            changed.append("participants")
    return changed


# --- assessment authorisation -----------------------------------------------------------------------------------------


@dataclass
class AuthorisationForm:
    person: Person
    assessment: Assessment
    due_on: date
    values: dict[str, Any]


def authorisation_form(session: Session, database: Database, user: User, person_id: int,
                       assessment_id: int) -> AuthorisationForm:
    person = _person(session, person_id)
    _require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id, Kind.CASE, assessment_id))
    assessment = _event(session, events.KINDS["assessments"], person_id, assessment_id)
    referral = row_referral(session, assessment)
    _audit(session, user, "view", "assessment", assessment.id, person_id)
    return AuthorisationForm(person, assessment, assessment_due_on(referral.referral_date), {
        "authorised_on": (assessment.authorised_on or today()).isoformat(),
        "factors": [f.code for f in assessment.factors], "late_reason": assessment.late_reason or "",
        "outcome": assessment.outcome or ""})


def authorise_assessment(session: Session, database: Database, user: User, person_id: int, assessment_id: int,
                         form: Mapping[str, Any], factors: list[str], *, expected_version: int | None,
                         now: date | None = None) -> Assessment:
    """A team manager authorises (completes) the assessment with its factors and outcome; when authorised after
    the 45-working-day due date the late reason is required. Recomputes the child's deadlines."""
    _person(session, person_id)
    _require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id, Kind.CASE, assessment_id))
    assessment: Assessment = _event(session, events.KINDS["assessments"], person_id, assessment_id)
    _check_version(assessment, expected_version)
    day = now or today()
    errors: dict[str, str] = {}
    authorised_on = date_field(str(form.get("authorised_on", "") or ""), "authorised_on", "the date of authorisation",
                               errors, noun="date of authorisation")
    outcome = str(form.get("outcome", "") or "").strip()
    if outcome not in rules.ASSESSMENT_OUTCOMES:
        errors["outcome"] = "Choose the outcome of the assessment"
    unknown = [c for c in factors if c not in codes.ASSESSMENT_FACTORS]
    if unknown:
        errors["factors"] = f"Unknown factor code {unknown[0]}: choose from the list"
    late_reason = text_field(str(form.get("late_reason", "") or ""), "late_reason", "the reason for lateness", errors,
                             limit=rules.REASON_MAX, required=False)
    if errors:
        raise ValidationFailed(errors)
    assert authorised_on is not None
    referral = row_referral(session, assessment)
    episode = episode_facts(session, referral)
    refusals = [r for r in rules.check_assessment(episode.without("assessments", assessment.id),
                                                  assessment_id=assessment.id, started_on=assessment.started_on,
                                                  authorised_on=authorised_on, today=day)
                if r.field != "started_on"]
    refusals += rules.check_authorisation(authorised_on=authorised_on,
                                          due_on=assessment_due_on(referral.referral_date),
                                          late_reason=late_reason, factors=factors)
    if refusals:
        raise ValidationFailed(rules.as_errors(refusals))
    assessment.authorised_on = authorised_on
    assessment.authorised_by_id = user.id
    assessment.outcome = outcome
    assessment.late_reason = late_reason
    if sorted(f.code for f in assessment.factors) != sorted(set(factors)):
        assessment.factors = [AssessmentFactor(code=c) for c in sorted(set(factors))]
    _flush(session)
    _recompute(session, person_id)
    _audit(session, user, "authorise", "assessment", assessment.id, person_id, factors=sorted(set(factors)),
           late=authorised_on > assessment_due_on(referral.referral_date))
    return assessment


# --- closure ----------------------------------------------------------------------------------------------------------


@dataclass
class ClosureForm:
    person: Person
    referral: Referral
    blockers: list[str]


def closure_form(session: Session, database: Database, user: User, person_id: int) -> ClosureForm:
    person = _person(session, person_id)
    _require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id))
    referral = _open_referral(session, person_id)
    episode = episode_facts(session, referral)
    blockers = [r.text for r in rules.check_closure(episode, closed_on=today(), reason="RC7", today=today())
                if r.rule_id.startswith("closure-open")]
    _audit(session, user, "view", "referral", referral.id, person_id)
    return ClosureForm(person, referral, blockers)


def close_episode(session: Session, database: Database, user: User, person_id: int, form: Mapping[str, Any], *,
                  expected_version: int | None, now: date | None = None) -> Referral:
    """A team manager closes the episode of need with the DfE reason; refused while a plan, an assessment or a
    section 47 is open. The open allocation ends with it."""
    _person(session, person_id)
    _require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id))
    referral = _open_referral(session, person_id)
    _check_version(referral, expected_version)
    day = now or today()
    errors: dict[str, str] = {}
    closed_on = date_field(str(form.get("closed_on", "") or ""), "closed_on", "the date of closure", errors,
                           noun="date of closure")
    reason = str(form.get("reason", "") or "").strip() or None
    note = text_field(str(form.get("note", "") or ""), "note", "the closure note", errors, limit=4000,
                      required=False)
    if errors:
        raise ValidationFailed(errors)
    assert closed_on is not None
    refusals = rules.check_closure(episode_facts(session, referral), closed_on=closed_on, reason=reason, today=day)
    if refusals:
        raise ValidationFailed(rules.as_errors(refusals))
    referral.closed_date = closed_on
    referral.closure_reason = reason
    referral.closed_by_id = user.id
    referral.closure_note = note
    allocation = open_allocation(session, person_id)
    if allocation is not None:
        allocation.ended_at = utcnow()
    _flush(session)
    _recompute(session, person_id)
    _audit(session, user, "close", "referral", referral.id, person_id, reason=reason)
    return referral


# --- allocation -------------------------------------------------------------------------------------------------------


@dataclass
class AllocationForm:
    person: Person
    current: Allocation | None
    workers: list[User]
    teams: list[Team]


def _allocatable_workers(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role.in_([Role.SOCIAL_WORKER, Role.TEAM_MANAGER]),
                                                   User.active.is_(True)).order_by(User.full_name)))


def allocation_form(session: Session, database: Database, user: User, person_id: int) -> AllocationForm:
    person = _person(session, person_id)
    _require(session, database, user, Action.CREATE, case_subject(session, person_id, Kind.ALLOCATION))
    teams = list(session.scalars(select(Team).order_by(Team.name)))
    _audit(session, user, "view", "allocation", person_id, person_id)
    return AllocationForm(person, open_allocation(session, person_id), _allocatable_workers(session), teams)


def allocate(session: Session, database: Database, user: User, person_id: int, form: Mapping[str, Any], *,
             expected_version: int | None = None) -> Allocation:
    """Allocate the child to a worker (and their team), or transfer them: the open allocation ends with the
    handover note and the new one starts, in one transaction."""
    _person(session, person_id)
    _require(session, database, user, Action.CREATE, case_subject(session, person_id, Kind.ALLOCATION))
    current = open_allocation(session, person_id)
    if current is not None:
        _check_version(current, expected_version)
    errors: dict[str, str] = {}
    worker_id = record_id(form.get("worker_id"))
    worker = session.get(User, worker_id) if worker_id else None
    if worker is None or Role(worker.role) not in (Role.SOCIAL_WORKER, Role.TEAM_MANAGER) or not worker.active:
        errors["worker_id"] = "Choose the social worker to allocate the child to"
    team_id = record_id(form.get("team_id"))
    if team_id is None and worker is not None:
        team_id = worker.team_id
    if team_id is not None and session.get(Team, team_id) is None:
        errors["team_id"] = "Choose the team from the list"
    note = text_field(str(form.get("handover_note", "") or ""), "handover_note", "the handover note", errors,
                      limit=4000, required=False)
    if current is not None and not note and "handover_note" not in errors:
        errors["handover_note"] = "Write the handover note for the new worker"
    if current is not None and worker is not None and current.worker_id == worker.id:
        errors["worker_id"] = f"The child is already allocated to {worker.full_name}"
    if errors:
        raise ValidationFailed(errors)
    assert worker is not None
    if current is not None:
        current.ended_at = utcnow()
        current.handover_note = note
    allocation = Allocation(person_id=person_id, worker_id=worker.id, team_id=team_id, allocated_by_id=user.id)
    session.add(allocation)
    _flush(session)
    _recompute(session, person_id)
    _audit(session, user, "transfer" if current else "allocate", "allocation", allocation.id, person_id,
           worker_id=worker.id, team_id=team_id, previous_worker_id=current.worker_id if current else None)
    return allocation


@dataclass(frozen=True)
class UnallocatedRow:
    person_id: int
    name: str
    referral_date: date
    route: str
    days_waiting: int


def unallocated(session: Session, database: Database, user: User, *, limit: int = 200) -> list[UnallocatedRow]:
    """Children with an open referral and no open allocation, longest waiting first (restricted records left
    out unless the user may open them)."""
    access.require_role(database, user, Kind.ALLOCATION, Action.LIST)
    open_alloc = select(Allocation.id).where(Allocation.person_id == Referral.person_id,
                                             Allocation.ended_at.is_(None)).exists()
    rows = session.execute(
        select(Referral.person_id, Person.first_name, Person.last_name, Referral.referral_date, Referral.route)
        .join(Person, Person.id == Referral.person_id)
        .where(Referral.closed_date.is_(None), ~open_alloc)
        .order_by(Referral.referral_date, Referral.id).limit(limit)).all()
    restricted = access.restricted_among(session, {r.person_id for r in rows})
    day = today()
    found = [UnallocatedRow(r.person_id, f"{r.first_name} {r.last_name}", r.referral_date, r.route,
                            (day - r.referral_date).days)
             for r in rows if r.person_id not in restricted or
             access.authorize(session, user, Action.VIEW, AccessSubject(Kind.PERSON, r.person_id,
                                                                        person_ids=(r.person_id,))).allowed]
    record(session, access.actor_of(user), "list", "allocation", None, detail={"unallocated": len(found)})
    return found


# --- the case page ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChronologyItem:
    key: str  # "<kind>:<id>"
    on: date
    kind: str
    title: str
    detail: str = ""
    href: str | None = None


CHRONOLOGY_KINDS: dict[str, str] = {
    "contact": "Contacts", "referral": "Referrals and closures", "allocation": "Allocation",
    "assessment": "Assessments", "strategy_discussion": "Strategy discussions", "section47": "Section 47",
    "conference": "Conferences", "cp_plan": "Child protection plans", "core_group": "Core groups",
    "visit": "Visits", "cin_plan": "Child in need plans", "cin_review": "Child in need reviews", "note": "Case notes",
    "supervision": "Management oversight",
}


@dataclass
class CaseRecord:
    person: Person
    referrals: list[Referral]
    current: Referral | None
    status: str
    allocation: Allocation | None
    assessments: list[tuple[Assessment, date]]  # with the due date
    discussions: list[StrategyDiscussion]
    enquiries: list[Section47Enquiry]
    conferences: list[ChildProtectionConference]
    cp_plans: list[tuple[ChildProtectionPlan, list[CoreGroupMeeting]]]
    visits: list[Visit]
    cin_plans: list[tuple[ChildInNeedPlan, list[ChildInNeedReview]]]
    oversight: list[tuple[Supervision, SupervisionCase]]
    chronology: list[ChronologyItem]
    chronologies: list[Chronology]
    may_write: bool
    may_sign_off: bool
    may_allocate: bool
    may_read_notes: bool
    kind_filter: str | None = None
    users: dict[int, str] = field(default_factory=dict)
    deadlines: ChildDeadlines | None = None  # derived from the events above (timescales)

    @property
    def child_protection(self) -> list[tuple[date, str, Any]]:
        """Strategy discussions, section 47 enquiries and conferences in one list, newest first; on one day the
        later step of the process first (a conference, then its enquiry, then the discussion that started it)."""
        steps: list[tuple[date, int, str, Any]] = [
            *((d.held_on, 0, "strategy_discussion", d) for d in self.discussions),
            *((q.started_on, 1, "section_47", q) for q in self.enquiries),
            *((c.held_on, 2, "conference", c) for c in self.conferences)]
        steps.sort(key=lambda step: (step[0], step[1], step[3].id), reverse=True)
        return [(on, kind, row) for on, _stage, kind, row in steps]


def _may(session: Session, user: User, action: Action, subject: AccessSubject) -> bool:
    if not access.authorize(session, user, action, subject).allowed:
        return False
    return not (action in WRITE_ACTIONS and Role(user.role) == Role.SOCIAL_WORKER
                and user.id not in subject.allocated_user_ids)


def case_record(session: Session, database: Database, user: User, person_id: int,
                kind_filter: str | None = None) -> CaseRecord:
    """The child's case: episodes, status, allocation, plans, conferences, visits, oversight and the automatic
    chronology (newest first, filterable by kind). Notes and oversight only for those who may read notes."""
    person = _person(session, person_id)
    subject = case_subject(session, person_id)
    _require(session, database, user, Action.VIEW, subject)
    may_read_notes = access.authorize(session, user, Action.VIEW, replace(subject, kind=Kind.CASE_NOTE)).allowed
    referrals = list(session.scalars(select(Referral).where(Referral.person_id == person_id)
                                     .order_by(Referral.referral_date.desc(), Referral.id.desc())))
    current = referrals[0] if referrals else None
    allocation = open_allocation(session, person_id)

    def of_person(model: Any, order: Any) -> list[Any]:
        return list(session.scalars(select(model).where(model.person_id == person_id)
                                    .order_by(order.desc(), model.id.desc())))

    assessments = of_person(Assessment, Assessment.started_on)
    referral_dates = {r.id: r.referral_date for r in referrals}
    discussions = list(session.scalars(select(StrategyDiscussion).where(StrategyDiscussion.person_id == person_id)
                                       .options(selectinload(StrategyDiscussion.participants))
                                       .order_by(StrategyDiscussion.held_on.desc())))
    enquiries = of_person(Section47Enquiry, Section47Enquiry.started_on)
    conferences = of_person(ChildProtectionConference, ChildProtectionConference.held_on)
    plans = of_person(ChildProtectionPlan, ChildProtectionPlan.started_on)
    core_groups = of_person(CoreGroupMeeting, CoreGroupMeeting.held_on)
    visits = of_person(Visit, Visit.visited_on)
    cin_plans = of_person(ChildInNeedPlan, ChildInNeedPlan.started_on)
    cin_reviews = of_person(ChildInNeedReview, ChildInNeedReview.held_on)
    notes = of_person(CaseNote, CaseNote.occurred_at) if may_read_notes else []
    oversight: list[tuple[Supervision, SupervisionCase]] = []
    if may_read_notes:
        oversight = [(s, c) for c, s in session.execute(
            select(SupervisionCase, Supervision).join(Supervision, Supervision.id == SupervisionCase.supervision_id)
            .where(SupervisionCase.person_id == person_id).order_by(Supervision.held_on.desc())).all()]
    chronologies = list(session.scalars(select(Chronology).where(Chronology.person_id == person_id)
                                        .order_by(Chronology.id.desc()))) if may_read_notes else []
    items = _chronology(session, person_id, referrals, assessments, discussions, enquiries, conferences, plans,
                        core_groups, visits, cin_plans, cin_reviews, notes, oversight)
    if kind_filter in CHRONOLOGY_KINDS:
        items = [i for i in items if i.kind == kind_filter]
    user_ids = {a.worker_id for a in [allocation] if a} | {s.supervisor_id for s, _c in oversight} | \
        {n.author_id for n in notes if n.author_id} | {a.authorised_by_id for a in assessments if a.authorised_by_id}
    names = {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids \
        else {}
    record(session, access.actor_of(user), "view", "case", person_id, person_id=person_id,
           detail={"filter": kind_filter} if kind_filter else None)
    return CaseRecord(
        person=person, referrals=referrals, current=current, status=rules.case_status(
            episode_facts(session, current) if current else None),
        allocation=allocation,
        assessments=[(a, assessment_due_on(referral_dates[a.referral_id])) for a in assessments],
        discussions=discussions, enquiries=enquiries, conferences=conferences,
        cp_plans=[(p, [c for c in core_groups if c.plan_id == p.id]) for p in plans], visits=visits,
        cin_plans=[(p, [r for r in cin_reviews if r.plan_id == p.id]) for p in cin_plans], oversight=oversight,
        chronology=items, chronologies=chronologies,
        may_write=_may(session, user, Action.CREATE, subject),
        may_sign_off=_may(session, user, Action.SIGN_OFF, subject),
        may_allocate=_may(session, user, Action.CREATE, replace(subject, kind=Kind.ALLOCATION)),
        may_read_notes=may_read_notes, kind_filter=kind_filter if kind_filter in CHRONOLOGY_KINDS else None,
        users=names, deadlines=deadlines_of_child(session, user, person_id))


def _chronology(session: Session, person_id: int, referrals: list[Referral], assessments: list[Assessment],
                discussions: list[StrategyDiscussion], enquiries: list[Section47Enquiry],
                conferences: list[ChildProtectionConference], plans: list[ChildProtectionPlan],
                core_groups: list[CoreGroupMeeting], visits: list[Visit], cin_plans: list[ChildInNeedPlan],
                cin_reviews: list[ChildInNeedReview], notes: list[CaseNote],
                oversight: list[tuple[Supervision, SupervisionCase]]) -> list[ChronologyItem]:
    """Every event on the child, from front-door contacts through case events and notes, newest first."""
    from safeguarding.front_door.models import Contact, ContactSubject

    items: list[ChronologyItem] = []
    for contact_id, received_at, referral_source in session.execute(
            select(Contact.id, Contact.received_at, Contact.referral_source)
            .join(ContactSubject, ContactSubject.contact_id == Contact.id)
            .where(ContactSubject.person_id == person_id).order_by(Contact.received_at.desc()).limit(200)):
        items.append(ChronologyItem(f"contact:{contact_id}", received_at.astimezone(LONDON).date(), "contact",
                                    f"Contact {Contact.reference_of(contact_id)}",
                                    codes.label(codes.REFERRAL_SOURCES, referral_source),
                                    f"/mash/contacts/{contact_id}"))
    for r in referrals:
        items.append(ChronologyItem(f"referral:{r.id}", r.referral_date, "referral",
                                    "Re-referral" if r.is_re_referral else "Referral",
                                    codes.label(codes.PRIMARY_NEEDS, r.primary_need)))
        if r.closed_date:
            items.append(ChronologyItem(f"closure:{r.id}", r.closed_date, "referral", "Episode closed",
                                        codes.label(codes.CLOSURE_REASONS, r.closure_reason)))
    for a in session.scalars(select(Allocation).where(Allocation.person_id == person_id)):
        items.append(ChronologyItem(f"allocation:{a.id}", a.started_at.astimezone(LONDON).date(), "allocation",
                                    f"Allocated to {a.worker.full_name}", a.team.name if a.team else ""))
    base = f"/cases/{person_id}"
    groups: list[tuple[str, list[Any]]] = [("assessments", assessments), ("strategy-discussions", discussions),
                       ("section-47s", enquiries), ("conferences", conferences), ("cp-plans", plans),
                       ("core-groups", core_groups), ("visits", visits), ("cin-plans", cin_plans),
                       ("cin-reviews", cin_reviews), ("notes", notes)]
    for kind, rows in groups:
        spec = events.KINDS[kind]
        for row in rows:
            detail = ""
            if kind == "notes":
                detail = row.text[:300]
            elif kind == "strategy-discussions":
                detail = ", ".join(f"{p.agency}: {p.name}" for p in row.participants)
            items.append(ChronologyItem(f"{spec.chronology_kind}:{row.id}", events.event_date(spec, row),
                                        spec.chronology_kind, spec.summary(row), detail,
                                        f"{base}/{kind}/{row.id}/edit"))
        if kind == "assessments":
            for row in rows:
                if row.authorised_on:
                    items.append(ChronologyItem(f"assessment_authorised:{row.id}", row.authorised_on, "assessment",
                                                "Assessment authorised",
                                                rules.ASSESSMENT_OUTCOMES.get(row.outcome or "", "")))
        if kind == "cp-plans":
            for row in rows:
                if row.ended_on:
                    items.append(ChronologyItem(f"cp_plan_end:{row.id}", row.ended_on, "cp_plan",
                                                "Child protection plan ended",
                                                codes.label(codes.CP_PLAN_END_REASONS, row.end_reason)))
        if kind == "cin-plans":
            for row in rows:
                if row.ended_on:
                    items.append(ChronologyItem(f"cin_plan_end:{row.id}", row.ended_on, "cin_plan",
                                                "Child in need plan ended"))
    for supervision, case in oversight:
        items.append(ChronologyItem(f"supervision:{case.id}", supervision.held_on, "supervision",
                                    "Management oversight in supervision", case.decision[:300]))
    items.sort(key=lambda i: (i.on, i.key), reverse=True)
    return items


def chronology_for(session: Session, database: Database, user: User, person_id: int) -> list[ChronologyItem]:
    """The automatic chronology alone (for building a curated one)."""
    return case_record(session, database, user, person_id).chronology


# --- curated chronologies ---------------------------------------------------------------------------------------------


def chronology_start(session: Session, database: Database, user: User, person_id: int) -> Person:
    """The child, for the form that starts a curated chronology (asks the CREATE permission)."""
    person = _person(session, person_id)
    _require(session, database, user, Action.CREATE, case_subject(session, person_id, Kind.CHRONOLOGY))
    _audit(session, user, "view", "case", person_id, person_id)
    return person


def create_chronology(session: Session, database: Database, user: User, person_id: int,
                      form: Mapping[str, Any]) -> Chronology:
    _person(session, person_id)
    _require(session, database, user, Action.CREATE, case_subject(session, person_id, Kind.CHRONOLOGY))
    errors: dict[str, str] = {}
    title = text_field(str(form.get("title", "") or ""), "title", "the title", errors, limit=200)
    purpose = text_field(str(form.get("purpose", "") or ""), "purpose", "the purpose", errors,
                         limit=rules.REASON_MAX, required=False)
    if errors:
        raise ValidationFailed(errors)
    chronology = Chronology(person_id=person_id, title=title, purpose=purpose, created_by_id=user.id)
    session.add(chronology)
    _flush(session)
    _audit(session, user, "create", "chronology", chronology.id, person_id)
    return chronology


@dataclass
class ChronologyView:
    chronology: Chronology
    person: Person
    available: list[ChronologyItem]
    picked: set[str]


def view_chronology(session: Session, database: Database, user: User, chronology_id: int) -> ChronologyView:
    chronology = session.get(Chronology, chronology_id)
    if chronology is None:
        raise NotFound("There is no such chronology.")
    _require(session, database, user, Action.VIEW,
             case_subject(session, chronology.person_id, Kind.CHRONOLOGY, chronology.id))
    person = _person(session, chronology.person_id)
    available = case_record(session, database, user, person.id).chronology
    _audit(session, user, "view", "chronology", chronology.id, person.id)
    return ChronologyView(chronology, person, available, {e.source_key for e in chronology.entries})


def update_chronology(session: Session, database: Database, user: User, chronology_id: int,
                      picked: list[str], commentary: Mapping[str, str], *,
                      expected_version: int | None) -> Chronology:
    """Pick entries from the automatic chronology and write commentary on each (entries not picked are removed)."""
    chronology = session.get(Chronology, chronology_id)
    if chronology is None:
        raise NotFound("There is no such chronology.")
    _require(session, database, user, Action.UPDATE,
             case_subject(session, chronology.person_id, Kind.CHRONOLOGY, chronology.id))
    _check_version(chronology, expected_version)
    available = {i.key: i for i in case_record(session, database, user, chronology.person_id).chronology}
    errors: dict[str, str] = {}
    for key, text in commentary.items():
        text_field(text, f"commentary.{key}", "the commentary", errors, limit=rules.TEXT_MAX, required=False)
    unknown = [k for k in picked if k not in available and k not in {e.source_key for e in chronology.entries}]
    if unknown:
        errors["picked"] = "An entry you picked is no longer on the child's record: reload the page"
    if errors:
        raise ValidationFailed(errors)
    existing = {e.source_key: e for e in chronology.entries}
    keep: list[ChronologyEntry] = []
    for key in dict.fromkeys(picked):
        entry = existing.get(key)
        if entry is None:
            item = available[key]
            entry = ChronologyEntry(source_key=key, occurred_on=item.on, kind=item.kind,
                                    summary=f"{item.title}{': ' + item.detail if item.detail else ''}")
        entry.commentary = (commentary.get(key) or "").strip() or None
        keep.append(entry)
    chronology.entries = keep
    # A change to the entries alone does not update the chronology's row: mark it changed, so its version moves on
    # and a second editor working from the old version is told.
    flag_modified(chronology, "title")
    _flush(session)
    _audit(session, user, "update", "chronology", chronology.id, chronology.person_id, entries=len(keep))
    return chronology


# --- supervision ------------------------------------------------------------------------------------------------------


@dataclass
class SupervisionForm:
    workers: list[User]
    worker: User | None
    cases: list[tuple[int, str]]  # the worker's allocated children


def supervision_form(session: Session, database: Database, user: User, worker_id: int | None
                     ) -> SupervisionForm:
    access.require_role(database, user, Kind.SUPERVISION, Action.CREATE)
    workers = list(session.scalars(select(User).where(User.role.in_([Role.SOCIAL_WORKER, Role.TEAM_MANAGER]),
                                                      User.active.is_(True), User.id != user.id)
                                   .order_by(User.full_name)))
    worker = session.get(User, worker_id) if worker_id else None
    cases: list[tuple[int, str]] = []
    if worker is not None:
        cases = [(pid, f"{first} {last}") for pid, first, last in session.execute(
            select(Person.id, Person.first_name, Person.last_name).join(Allocation, Allocation.person_id == Person.id)
            .where(Allocation.worker_id == worker.id, Allocation.ended_at.is_(None)).order_by(Person.last_name))]
    return SupervisionForm(workers, worker, cases)


def record_supervision(session: Session, database: Database, user: User, form: Mapping[str, Any]) -> Supervision:
    """A team manager records a supervision: date, worker, each case discussed with its decision, next date."""
    access.require_role(database, user, Kind.SUPERVISION, Action.CREATE)
    errors: dict[str, str] = {}
    worker_id = record_id(form.get("worker_id"))
    worker = session.get(User, worker_id) if worker_id else None
    if worker is None or worker.id == user.id:
        errors["worker_id"] = "Choose the worker supervised"
    held_on = date_field(str(form.get("held_on", "") or ""), "held_on", "the date of the supervision", errors,
                         noun="date of the supervision")
    next_on = date_field(str(form.get("next_on", "") or ""), "next_on", "the date of the next supervision", errors,
                         required=False, noun="date of the next supervision", kind=DateKind.BOOKED)
    notes = text_field(str(form.get("notes", "") or ""), "notes", "the notes", errors, limit=rules.TEXT_MAX,
                       required=False)
    discussed: list[tuple[int, str | None, str]] = []
    allocated = {pid for pid, _n in supervision_form(session, database, user, worker_id).cases} if worker else set()
    for key in form:
        if not key.startswith("decision."):
            continue
        person_id = record_id(key.split(".", 1)[1])
        decision = str(form.get(key, "") or "").strip()
        discussion = str(form.get(f"discussion.{person_id}", "") or "").strip() or None
        if person_id is None or not (decision or discussion):
            continue
        if person_id not in allocated:
            errors[key] = "This child is not allocated to the worker"
            continue
        if not decision:
            errors[key] = "Write the decision for each case discussed"
        else:
            text_field(decision, key, "the decision", errors, limit=rules.TEXT_MAX)
        text_field(discussion, f"discussion.{person_id}", "the discussion", errors, limit=rules.TEXT_MAX,
                   required=False)
        discussed.append((person_id, discussion, decision))
    if held_on is not None:
        for r in rules.check_supervision(held_on=held_on, next_on=next_on, today=today()):
            errors.setdefault(r.field, r.text)
    if errors:
        raise ValidationFailed(errors)
    assert worker is not None and held_on is not None
    supervision = Supervision(worker_id=worker.id, supervisor_id=user.id, held_on=held_on, next_on=next_on,
                              notes=notes)
    supervision.cases = [SupervisionCase(person_id=p, discussion=d, decision=dec) for p, d, dec in discussed]
    session.add(supervision)
    _flush(session)
    for person_id, _d, _dec in discussed:
        _recompute(session, person_id)
        _audit(session, user, "oversight", "supervision", supervision.id, person_id)
    record(session, access.actor_of(user), "create", "supervision", supervision.id,
           detail={"worker_id": worker.id, "cases": len(discussed)})
    return supervision


def supervisions(session: Session, database: Database, user: User) -> list[Supervision]:
    """A manager's supervisions given and a worker's received, newest first."""
    access.require_role(database, user, Kind.SUPERVISION, Action.LIST)
    rows = list(session.scalars(select(Supervision).where(
        or_(Supervision.supervisor_id == user.id, Supervision.worker_id == user.id))
        .order_by(Supervision.held_on.desc(), Supervision.id.desc()).limit(200)))
    record(session, access.actor_of(user), "list", "supervision", None, detail={"count": len(rows)})
    return rows


def view_supervision(session: Session, database: Database, user: User, supervision_id: int) -> Supervision:
    access.require_role(database, user, Kind.SUPERVISION, Action.VIEW)
    supervision = session.get(Supervision, supervision_id)
    if supervision is None:
        raise NotFound("There is no such supervision record.")
    if user.id not in (supervision.worker_id, supervision.supervisor_id) and Role(user.role) != Role.TEAM_MANAGER:
        record(session, access.actor_of(user), "view", "supervision", supervision.id,
               reason="neither the supervisor nor the worker supervised", outcome="refused", survive_rollback=True)
        raise AccessDenied("Only the worker supervised and managers may read a supervision record.")
    # One row per child discussed: the record shows each one's case.
    audit_view(session, access.actor_of(user), "supervision", supervision.id, [c.person_id for c in supervision.cases])
    return supervision


def case_names(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    ids = set(person_ids)
    if not ids:
        return {}
    return {pid: f"{first} {last}" for pid, first, last in session.execute(
        select(Person.id, Person.first_name, Person.last_name).where(Person.id.in_(ids)))}


# --- family and genogram ----------------------------------------------------------------------------------------------


@dataclass
class FamilyView:
    person: Person
    genogram: rules.Genogram
    members: list[rules.GenogramPerson]
    hidden: int


def family(session: Session, database: Database, user: User, person_id: int) -> FamilyView:
    """The child's family group (two steps of recorded relationships) and its genogram. Restricted relatives the
    user may not open are left out and counted."""
    person = _person(session, person_id)
    access.require(session, database, user, Action.VIEW, case_subject(session, person_id, Kind.PERSON))
    ids = {person_id}
    ties: dict[int, FamilyRelationship] = {}
    frontier = {person_id}
    for _step in range(2):
        found = list(session.scalars(select(FamilyRelationship).where(or_(
            FamilyRelationship.from_person_id.in_(frontier), FamilyRelationship.to_person_id.in_(frontier)))))
        frontier = set()
        for tie in found:
            ties[tie.id] = tie
            for pid in (tie.from_person_id, tie.to_person_id):
                if pid not in ids and len(ids) < 40:
                    ids.add(pid)
                    frontier.add(pid)
    restricted = access.restricted_among(session, ids - {person_id})
    hidden = {pid for pid in restricted if not access.authorize(
        session, user, Action.VIEW, AccessSubject(Kind.PERSON, pid, person_ids=(pid,))).allowed}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids - hidden)))}
    members = [rules.GenogramPerson(p.id, p.full_name, str(p.kind), p.sex,
                                    p.date_of_birth.year if p.date_of_birth else None, p.id == person_id)
               for p in people.values()]
    links: list[rules.GenogramTie] = []
    for tie in ties.values():
        if tie.from_person_id not in people or tie.to_person_id not in people:
            continue
        if tie.kind in (RelationshipKind.PARENT, RelationshipKind.CARER):
            links.append(rules.GenogramTie(tie.from_person_id, tie.to_person_id, kind=str(tie.kind),
                                           ended=tie.ended is not None))
        else:
            links.append(rules.GenogramTie(None, None, tie.from_person_id, tie.to_person_id, str(tie.kind),
                                           tie.ended is not None))
    record(session, access.actor_of(user), "view", "family", person_id, person_id=person_id,
           detail={"members": len(members)})
    return FamilyView(person, rules.layout_genogram(members, links), sorted(members, key=lambda m: m.born or 0),
                      len(hidden))
