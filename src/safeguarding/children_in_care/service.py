"""Use-cases of children in care, one transaction each (the request's or the command's): every read and change asks
``core.access`` (through case work's allocation scope) and is audited; services never commit.

Public for other parts of the capability (care leavers) and for the returns: ``periods_of_care``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from safeguarding.casework.case_access import case_subject
from safeguarding.casework.case_access import may_each as case_may_each
from safeguarding.casework.case_access import require as case_require
from safeguarding.casework.episode import latest_referral, open_protection_plans
from safeguarding.children_in_care import adoption_timeline, rules
from safeguarding.children_in_care.models import (
    CareEvent,
    CarePeriod,
    CareVisit,
    EducationPlan,
    HealthAssessment,
    LookedAfterReview,
)
from safeguarding.core import access, audit, record_versions
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import age_on, long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.record_versions import SavedField
from safeguarding.core.users import Role, User
from safeguarding.people.models import Person, PersonKind
from safeguarding.timescales.service import recompute_for_child

K = Kind.CARE_RECORD


@dataclass(frozen=True)
class PeriodOfCare:
    """One period of care of a child: the day they started to be looked after, the day they left (None while in
    care) and the SSDA903 reason it ended (REC)."""

    id: int
    started_on: date
    ended_on: date | None
    reason_ended: str | None
    unaccompanied_asylum_seeking: bool

    def looked_after_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


def periods_of_care(session: Session, person_id: int) -> list[PeriodOfCare]:
    """Every period of care of the child, earliest first. No access check or audit: a helper for services that
    have already asked the policy about this child (care leavers' eligibility, the returns)."""
    rows = session.execute(
        select(
            CarePeriod.id,
            CarePeriod.started_on,
            CarePeriod.ended_on,
            CarePeriod.reason_ended,
            CarePeriod.unaccompanied_asylum_seeking,
        )
        .where(CarePeriod.person_id == person_id)
        .order_by(CarePeriod.started_on, CarePeriod.id)
    )
    return [PeriodOfCare(*row) for row in rows]


# --- reading the forms ------------------------------------------------------------------------------------------

TEXT_MAX = 4000
YES_NO = {"yes": True, "no": False}


def _choice(
    form: Mapping[str, str], name: str, codes: Mapping[str, str], message: str, problems: dict[str, str]
) -> str:
    value = (form.get(name, "") or "").strip()
    if value not in codes:
        problems[name] = message
    return value


def _yes_no(form: Mapping[str, str], name: str, message: str, problems: dict[str, str]) -> bool | None:
    value = (form.get(name, "") or "").strip()
    if value not in YES_NO:
        problems[name] = message
        return None
    return YES_NO[value]


def _postcode(form: Mapping[str, str], name: str, label: str, problems: dict[str, str]) -> str | None:
    text = text_field(form.get(name, ""), name, f"the {label}", problems, limit=10)
    if text is None:
        return None
    postcode = rules.normal_postcode(text)
    if postcode is None:
        problems[name] = f"The {label} must be a real postcode, like SW1A 1AA"
    return postcode


def _day(
    form: Mapping[str, str], name: str, label: str, problems: dict[str, str], *, required: bool = True
) -> date | None:
    day = date_field(form.get(name, ""), name, label, problems, required=required, noun=label.removeprefix("the "))
    if day is not None and day > today_in_london():
        problems[name] = f"{label.removeprefix('the ').capitalize()} cannot be in the future"
        return None
    return day


@dataclass(frozen=True)
class PlacementInput:
    """A placement as the form gives it (SSDA903 PLACE, PLACE_PROVIDER, PL_POST, URN, and the carer)."""

    placement_type: str
    placement_provider: str | None
    carer: str | None
    placement_postcode: str | None
    urn: str | None
    long_term: bool | None
    placement_plan_on: date | None

    @classmethod
    def read(cls, form: Mapping[str, str], problems: dict[str, str]) -> PlacementInput:
        place = _choice(form, "placement_type", rules.PLACEMENT_TYPES, "Choose the type of placement", problems)
        provider = (form.get("placement_provider", "") or "").strip() or None
        needed = bool(place) and place not in rules.NO_PROVIDER_PLACEMENTS
        if (provider is not None and provider not in rules.PLACEMENT_PROVIDERS) or (provider is None and needed):
            problems["placement_provider"] = "Choose who provides the placement"
        carer = text_field(
            form.get("carer", ""),
            "carer",
            "the carer's name, or the name of the home",
            problems,
            limit=200,
            noun="the carer's name",
        )
        postcode = _postcode(form, "placement_postcode", "placement's postcode", problems)
        urn_text = text_field(form.get("urn", ""), "urn", "the URN", problems, limit=12, required=False)
        urn = None
        if urn_text:
            urn = rules.normal_urn(urn_text)
            if urn is None:
                problems["urn"] = (
                    "The URN must be the setting's Ofsted number: 6 or 7 numbers, with SC before a children's home's"
                )
            elif place in rules.NO_URN_PLACEMENTS:
                problems["urn"] = (
                    "Leave the URN blank: Ofsted does not register a placement with parents, in employment, in "
                    "custody, temporary or other placement"
                )
        long_term = _yes_no(
            form,
            "long_term",
            "Select yes if the placement is intended to last until the child is 18, or no",
            problems,
        )
        plan = _day(form, "placement_plan_on", "the date of the placement plan", problems, required=False)
        return cls(place, provider, carer, postcode, urn, long_term, plan)


@dataclass(frozen=True)
class EntryInput:
    """The form of a child coming into care. Nothing is assumed: every question is asked."""

    started_on: date | None
    legal_status: str
    category_of_need: str
    placement: PlacementInput
    home_postcode: str | None
    unaccompanied_asylum_seeking: bool | None
    iro_id: int | None
    care_plan_on: date | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> EntryInput:
        problems: dict[str, str] = {}
        started = _day(form, "started_on", "the date the child came into care", problems)
        legal_status = _choice(form, "legal_status", rules.LEGAL_STATUSES, "Choose the child's legal status", problems)
        need = _choice(form, "category_of_need", rules.CATEGORIES_OF_NEED, "Choose the category of need", problems)
        placement = PlacementInput.read(form, problems)
        home = _postcode(form, "home_postcode", "child's home postcode", problems)
        uasc = _yes_no(
            form,
            "unaccompanied_asylum_seeking",
            "Select yes if the child is an unaccompanied asylum-seeking child, or no",
            problems,
        )
        iro_text = (form.get("iro_id", "") or "").strip()
        iro_id = record_id(iro_text) if iro_text else None
        if iro_text and iro_id is None:
            problems["iro_id"] = "Choose the independent reviewing officer from the list"
        care_plan = _day(form, "care_plan_on", "the date of the care plan", problems, required=False)
        return cls(started, legal_status, need, placement, home, uasc, iro_id, care_plan, problems)


@dataclass(frozen=True)
class ChangeInput:
    """A change of legal status, placement or carer, or leaving care: its date and what it changes."""

    kind: str
    on: date | None
    legal_status: str | None = None
    placement: PlacementInput | None = None
    carer: str | None = None
    reason_place_change: str | None = None
    reason_ended: str | None = None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, kind: str, form: Mapping[str, str]) -> ChangeInput:
        problems: dict[str, str] = {}
        label = {
            rules.LEGAL_STATUS: "the date the legal status changed",
            rules.PLACEMENT: "the date of the move",
            rules.CARER: "the date the carer changed",
            rules.LEAVE: "the date the child left care",
        }[kind]
        on = _day(form, "on", label, problems)
        if kind == rules.LEGAL_STATUS:
            ls = _choice(form, "legal_status", rules.LEGAL_STATUSES, "Choose the new legal status", problems)
            return cls(kind, on, legal_status=ls, problems=problems)
        if kind == rules.LEAVE:
            rec = _choice(form, "reason_ended", rules.REASONS_LEFT_CARE, "Choose why the child left care", problems)
            return cls(kind, on, reason_ended=rec, problems=problems)
        placement = PlacementInput.read(form, problems) if kind == rules.PLACEMENT else None
        carer = None
        if kind == rules.CARER:
            carer = text_field(form.get("carer", ""), "carer", "the new carer's name", problems, limit=200)
        reason = _choice(
            form,
            "reason_place_change",
            rules.REASONS_PLACEMENT_CHANGED,
            "Choose the reason for the change",
            problems,
        )
        return cls(kind, on, placement=placement, carer=carer, reason_place_change=reason, problems=problems)


@dataclass(frozen=True)
class PlanInput:
    """The care plan of the current period: its date and the IRO it names."""

    care_plan_on: date | None
    iro_id: int | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> PlanInput:
        problems: dict[str, str] = {}
        care_plan = _day(form, "care_plan_on", "the date of the care plan", problems, required=False)
        iro_text = (form.get("iro_id", "") or "").strip()
        iro_id = record_id(iro_text) if iro_text else None
        if iro_text and iro_id is None:
            problems["iro_id"] = "Choose the independent reviewing officer from the list"
        return cls(care_plan, iro_id, problems)


@dataclass(frozen=True)
class ReviewInput:
    held_on: date | None
    participation: str
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> ReviewInput:
        problems: dict[str, str] = {}
        held = _day(form, "held_on", "the date of the review", problems)
        code = _choice(
            form, "participation", rules.REVIEW_PARTICIPATION, "Choose how the child took part in the review", problems
        )
        return cls(held, code, problems)


@dataclass(frozen=True)
class VisitInput:
    visited_on: date | None
    child_seen: bool | None
    seen_alone: bool | None
    notes: str | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> VisitInput:
        problems: dict[str, str] = {}
        visited = _day(form, "visited_on", "the date of the visit", problems)
        seen = _yes_no(form, "child_seen", "Select yes if the child was seen, or no", problems)
        alone = None
        if seen:
            alone = _yes_no(form, "seen_alone", "Select yes if the child was seen alone, or no", problems)
        notes = text_field(
            form.get("notes", ""), "notes", "notes of the visit", problems, limit=TEXT_MAX, required=False
        )
        return cls(visited, seen, alone, notes, problems)


@dataclass(frozen=True)
class DatedInput:
    """A health assessment (``kind``: initial or review) or a personal education plan: its date, and a school."""

    on: date | None
    kind: str = ""
    school: str | None = None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def health(cls, form: Mapping[str, str]) -> DatedInput:
        problems: dict[str, str] = {}
        kind = _choice(
            form, "kind", HEALTH_KINDS, "Choose whether this was the initial health assessment or a review", problems
        )
        on = _day(form, "on", "the date of the health assessment", problems)
        return cls(on, kind, None, problems)

    @classmethod
    def education(cls, form: Mapping[str, str]) -> DatedInput:
        problems: dict[str, str] = {}
        on = _day(form, "on", "the date of the personal education plan", problems)
        school = text_field(form.get("school", ""), "school", "the school", problems, limit=200, required=False)
        return cls(on, "", school, problems)


HEALTH_KINDS: Final = MappingProxyType({"initial": "Initial health assessment", "review": "Review health assessment"})


# --- access -----------------------------------------------------------------------------------------------------


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    return person


def _named_iro(session: Session, user: User, person_id: int) -> bool:
    return (
        session.scalar(
            select(CarePeriod.id).where(CarePeriod.person_id == person_id, CarePeriod.iro_id == user.id).limit(1)
        )
        is not None
    )


def _require(
    session: Session, database: Database, user: User, action: Action, person_id: int, kind: Kind = K
) -> AccessSubject:
    """The policy, then the scopes: a social worker changes only the children allocated to them (case work's
    rule), and an IRO reaches only the children named to them. Refusals are audited."""
    subject = case_subject(session, person_id, kind)
    case_require(session, database, user, action, subject)
    if Role(user.role) == Role.INDEPENDENT_REVIEWING_OFFICER and not _named_iro(session, user, person_id):
        audit.record(
            session,
            access.actor_of(user),
            str(action),
            str(kind),
            person_id,
            person_id=person_id,
            reason="not the child's independent reviewing officer",
            outcome="refused",
            survive_rollback=True,
        )
        raise AccessDenied("Only the child's own independent reviewing officer may see this record.")
    return subject


def _audit(
    session: Session, user: User, action: str, target: str, target_id: object, person_id: int, **detail: Any
) -> None:
    audit.record(session, access.actor_of(user), action, target, target_id, person_id=person_id, detail=detail or None)


def form_person(
    session: Session, database: Database, user: User, person_id: int, action: Action, kind: Kind = K
) -> Person:
    """The child a form is about, once the user may use it (a refusal is audited before the form is shown). The form
    shows the child's name: a view of their record, audited."""
    person = _person(session, person_id)
    _require(session, database, user, action, person_id, kind)
    _audit(session, user, "view", str(kind), person_id, person_id)
    return person


# --- a child protection plan at the entry to care -----------------------------------------------------------------
# Decided here, following the published text: coming into care does NOT end a child protection plan; the worker is
# told at the entry (on the form and on the care record while the plan is open) that a review conference should
# decide whether it is still needed, and how to record its end. Working Together to Safeguard Children: a plan is
# discontinued by the decision of a child protection review conference (or when the child moves to another
# council, reaches 18, dies or leaves the UK), and "in most cases where a child who is the subject of a child
# protection plan becomes looked after it will no longer be necessary to maintain the child protection plan" (WT
# 2010 5.144, kept in local procedures since) -- "in most cases", so some looked-after children keep one (an interim
# care order with the child still at home). The CIN census records the plan's end date as the conference decided
# it (CPPendDate) and counts a child on a plan and looked after in both. So the system never ends a plan itself:
# the end is recorded on the plan, after the conference, with the reason "Child became looked after"
# (core.codes.CP_PLAN_END_REASONS).


@dataclass(frozen=True)
class ProtectionPlanToReview:
    """A child protection plan still open for a child coming into care, or in care."""

    id: int
    started_on: date


def protection_plans_to_review(session: Session, person_id: int) -> list[ProtectionPlanToReview]:
    """The child's open child protection plans (after the policy was asked about the child)."""
    return [ProtectionPlanToReview(p.id, p.started_on) for p in open_protection_plans(session, person_id)]


# --- reading the record -----------------------------------------------------------------------------------------


def _changes(session: Session, period_ids: Sequence[int]) -> list[CareEvent]:
    if not period_ids:
        return []
    return list(
        session.scalars(
            select(CareEvent).where(CareEvent.period_id.in_(period_ids)).order_by(CareEvent.occurred_on, CareEvent.id)
        )
    )


def as_change(event: CareEvent) -> rules.CareChange:
    """A stored event as the plain value ``rules.episodes`` reads."""
    return rules.CareChange(
        kind=event.kind,
        on=event.occurred_on,
        legal_status=event.legal_status,
        category_of_need=event.category_of_need,
        placement_type=event.placement_type,
        placement_provider=event.placement_provider,
        carer=event.carer,
        placement_postcode=event.placement_postcode,
        home_postcode=event.home_postcode,
        urn=event.urn,
        reason_place_change=event.reason_place_change,
        reason_ended=event.reason_ended,
        id=event.id,
    )


def care_changes(session: Session, person_id: int) -> list[rules.CareChange]:
    """Every event of every period of care of the child, as plain values: what ``rules.episodes`` derives the
    SSDA903 episodes from. No access check: for services that have asked the policy (the returns' export)."""
    ids = [p.id for p in periods_of_care(session, person_id)]
    return [as_change(e) for e in _changes(session, ids)]


@dataclass(frozen=True)
class CareRecord:
    """What the child's care record page shows."""

    person: Person
    periods: list[CarePeriod]
    events: list[CareEvent]
    episodes: list[rules.Episode]
    now: rules.CareNow | None
    reviews: list[LookedAfterReview]
    visits: list[CareVisit]
    health: list[HealthAssessment]
    education: list[EducationPlan]
    iro: User | None
    may_change: bool
    may_move: bool
    may_review: bool
    may_educate: bool
    # Open child protection plans of a child in care: the page asks for the plan to be reviewed (see above).
    protection_plans: list[ProtectionPlanToReview] = field(default_factory=list)

    @property
    def current(self) -> CarePeriod | None:
        return self.periods[-1] if self.periods and self.periods[-1].ended_on is None else None

    @property
    def latest_placement(self) -> CareEvent | None:
        """The event that set the current placement (a start or a change of placement), which can be corrected."""
        current = self.current
        if current is None:
            return None
        for event in reversed(self.events):
            if event.period_id == current.id and event.kind in (rules.START, rules.PLACEMENT):
                return event
        return None


def care_record(session: Session, database: Database, user: User, person_id: int) -> CareRecord:
    """The child's care record: periods, current legal status and placement, the episodes derived, the IRO, reviews
    and visits. A view of the child's record, audited."""
    person = _person(session, person_id)
    subject = _require(session, database, user, Action.VIEW, person_id)
    periods = list(
        session.scalars(select(CarePeriod).where(CarePeriod.person_id == person_id).order_by(CarePeriod.started_on))
    )
    events = _changes(session, [p.id for p in periods])
    current = periods[-1] if periods and periods[-1].ended_on is None else None
    now = rules.care_now([as_change(e) for e in events if e.period_id == periods[-1].id]) if periods else None

    def rows(model: Any, column: Any) -> list[Any]:
        return list(session.scalars(select(model).where(model.person_id == person_id).order_by(column, model.id)))

    may = case_may_each(
        session,
        user,
        [
            (Action.CREATE, subject),
            (Action.UPDATE, subject),
            (Action.CREATE, case_subject(session, person_id, Kind.LOOKED_AFTER_REVIEW)),
            (Action.CREATE, case_subject(session, person_id, Kind.CARE_EDUCATION)),
        ],
    )
    iro = session.get(User, current.iro_id) if current is not None and current.iro_id else None
    _audit(session, user, "view", str(K), person_id, person_id)
    return CareRecord(
        person=person,
        periods=periods,
        events=events,
        episodes=rules.episodes(as_change(e) for e in events),
        now=now,
        reviews=rows(LookedAfterReview, LookedAfterReview.held_on),
        visits=rows(CareVisit, CareVisit.visited_on),
        health=rows(HealthAssessment, HealthAssessment.assessed_on),
        education=rows(EducationPlan, EducationPlan.held_on),
        iro=iro,
        may_change=may[0],
        may_move=may[1],
        may_review=may[2],
        may_educate=may[3],
        protection_plans=protection_plans_to_review(session, person_id) if current is not None else [],
    )


def reviewing_officers(session: Session) -> dict[str, str]:
    """The active IROs a care plan may name: {id: name}."""
    return {
        str(u.id): u.full_name
        for u in session.scalars(
            select(User)
            .where(User.role == Role.INDEPENDENT_REVIEWING_OFFICER, User.active.is_(True))
            .order_by(User.full_name)
        )
    }


# --- coming into care, the changes, leaving ---------------------------------------------------------------------


def _fail(problems: Mapping[str, str]) -> None:
    if problems:
        raise ValidationFailed(dict(problems))


def _current_period(session: Session, person_id: int) -> CarePeriod:
    period = session.scalar(
        select(CarePeriod)
        .where(CarePeriod.person_id == person_id, CarePeriod.ended_on.is_(None))
        .order_by(CarePeriod.started_on.desc())
        .limit(1)
    )
    if period is None:
        raise ValidationFailed({"on": "The child is not in care: record them coming into care first"})
    return period


def enter_care(session: Session, database: Database, user: User, person_id: int, data: EntryInput) -> CarePeriod:
    """The child comes into care: the period of care and its first event (legal status, category of need, the
    placement, the home postcode), from the child's episode of need when they have one, or directly (an
    unaccompanied asylum-seeking child). The child's deadlines are derived again in the same transaction."""
    person = _person(session, person_id)
    _require(session, database, user, Action.CREATE, person_id)
    problems = dict(data.problems)
    if person.kind != PersonKind.CHILD:
        problems["started_on"] = "Only a child can come into care"
    if data.iro_id is not None and data.iro_id not in {int(i) for i in reviewing_officers(session)}:
        problems["iro_id"] = "Choose the independent reviewing officer from the list"
    for name, message in adoption_timeline.entry_problems(data.legal_status, data.placement.placement_type).items():
        problems.setdefault(name, message)
    started = data.started_on
    if started is not None and "started_on" not in problems:
        for earlier in periods_of_care(session, person_id):
            if earlier.ended_on is None:
                problems["started_on"] = f"The child is already in care, since {long_date(earlier.started_on)}"
            elif started <= earlier.ended_on:
                problems["started_on"] = (
                    f"The date the child came into care must be after they last left care, on "
                    f"{long_date(earlier.ended_on)}"
                )
        if person.date_of_birth and started < person.date_of_birth:
            problems["started_on"] = "The date the child came into care cannot be before they were born"
    _fail(problems)
    assert started is not None and data.unaccompanied_asylum_seeking is not None
    referral = latest_referral(session, person_id)
    period = CarePeriod(
        person_id=person_id,
        referral_id=referral.id if referral is not None and referral.closed_date is None else None,
        started_on=started,
        unaccompanied_asylum_seeking=data.unaccompanied_asylum_seeking,
        iro_id=data.iro_id,
        care_plan_on=data.care_plan_on,
        recorded_by_id=user.id,
    )
    session.add(period)
    session.flush()
    p = data.placement
    event = CareEvent(
        period_id=period.id,
        person_id=person_id,
        kind=rules.START,
        occurred_on=started,
        legal_status=data.legal_status,
        category_of_need=data.category_of_need,
        placement_type=p.placement_type,
        placement_provider=p.placement_provider,
        carer=p.carer,
        placement_postcode=p.placement_postcode,
        home_postcode=data.home_postcode,
        urn=p.urn,
        long_term=p.long_term,
        placement_plan_on=p.placement_plan_on,
        recorded_by_id=user.id,
    )
    session.add(event)
    session.flush()
    recompute_for_child(session, person_id)
    plans = [p.id for p in protection_plans_to_review(session, person_id)]
    _audit(
        session,
        user,
        "create",
        "care_period",
        period.id,
        person_id,
        legal_status=data.legal_status,
        **({"protection_plans_to_review": plans} if plans else {}),
    )
    return period


# The events that say where and with whom the child lives (what the move and new carer forms add to).
_PLACED: Final = (rules.START, rules.PLACEMENT, rules.CARER)


def placement_version(events: Sequence[CareEvent]) -> str:
    """A short digest of the child's placements and carers in the period: the "version" the move and new carer
    forms carry (the events are added, not edited, so no one row's version counter says it), so that a move or
    carer someone else recorded or corrected since the form was loaded is caught instead of silently followed."""
    rows = [
        (
            e.id,
            e.version,
            e.occurred_on.isoformat(),
            e.placement_type,
            e.placement_provider,
            e.carer,
            e.placement_postcode,
            e.urn,
        )
        for e in events
        if e.kind in _PLACED
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def change_form(session: Session, person_id: int, kind: str) -> dict[str, str]:
    """What a change form first carries: for a move or a new carer, the version of the child's placement (none
    where the child is not in care: the form's save says so)."""
    if kind not in (rules.PLACEMENT, rules.CARER):
        return {}
    period = session.scalar(
        select(CarePeriod)
        .where(CarePeriod.person_id == person_id, CarePeriod.ended_on.is_(None))
        .order_by(CarePeriod.started_on.desc())
        .limit(1)
    )
    return {} if period is None else {"version": placement_version(_changes(session, [period.id]))}


def _placement_changed(session: Session, events: Sequence[CareEvent], kind: str) -> record_versions.EditConflict:
    """The refusal of a move or new carer recorded against an older version of the child's placement: the
    placement as it stands now, as the form names its fields, and who recorded its latest change and when."""
    placed = [e for e in events if e.kind in _PLACED]
    now = rules.care_now([as_change(e) for e in events])
    latest = placed[-1]
    fields = [SavedField("on", "Date of the latest move or new carer", latest.occurred_on.isoformat(), is_date=True)]
    if kind == rules.PLACEMENT and now is not None:
        fields += [
            SavedField("placement_type", "Type of placement", now.placement_type or "", rules.PLACEMENT_TYPES),
            SavedField("placement_provider", "Provider", now.placement_provider or "", rules.PLACEMENT_PROVIDERS),
            SavedField("placement_postcode", "Placement postcode", now.placement_postcode or ""),
            SavedField("urn", "URN", now.urn or ""),
        ]
    fields.append(SavedField("carer", "Carer or home", (now.carer if now is not None else None) or ""))
    with session.no_autoflush:
        saved_by, saved_at = record_versions.last_change(session, "care_event", latest.id)
    return record_versions.EditConflict(
        record_versions.changed_message("child's placement"),
        record_versions.SavedVersion(placement_version(events), tuple(fields), saved_by, saved_at),
    )


def record_change(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    data: ChangeInput,
    *,
    expected_version: str | None = None,
) -> CareEvent:
    """A change of legal status, placement or carer, or leaving care, in the child's current period of care. Refused
    out of order (``rules.order_problem``) or when it changes nothing. A move or a new carer is refused
    (``EditConflict``) where the child's placement changed since the form was loaded (``expected_version``:
    :func:`placement_version`; None skips the check, for callers with no form)."""
    _person(session, person_id)
    action = Action.UPDATE if data.kind in (rules.PLACEMENT, rules.CARER) else Action.CREATE
    _require(session, database, user, action, person_id)
    problems = dict(data.problems)
    period = _current_period(session, person_id)
    if data.kind in (rules.PLACEMENT, rules.CARER):
        # One move or new carer at a time for a child: a second one waits here for the first to commit (PostgreSQL),
        # then sees it and is told.
        session.execute(select(CarePeriod.id).where(CarePeriod.id == period.id).with_for_update())
    events = _changes(session, [period.id])
    moving = data.kind in (rules.PLACEMENT, rules.CARER)
    if moving and expected_version is not None and placement_version(events) != expected_version:
        raise _placement_changed(session, events, data.kind)
    existing = [as_change(e) for e in events]
    now = rules.care_now(existing)
    if data.on is not None and "on" not in problems:
        if not (data.kind == rules.PLACEMENT and "placement_type" in problems):
            # The adoption timeline first (its message names the step out of order): the same checks as the
            # permanence page's (``adoption_timeline``).
            for name, message in adoption_timeline.change_problems(
                session, period.id, events, _change_of(data), now
            ).items():
                problems.setdefault(name, message)
        problem = rules.order_problem(existing, _change_of(data))
        if problem:
            problems.setdefault("on", problem)
    if now is not None:
        if data.kind == rules.LEGAL_STATUS and data.legal_status == now.legal_status:
            problems["legal_status"] = "This is the child's legal status already: choose the new one"
        if data.kind == rules.CARER and data.carer and data.carer == now.carer:
            problems["carer"] = "This is the child's carer already: enter the new carer's name"
    _fail(problems)
    assert data.on is not None
    placement = data.placement
    event = CareEvent(
        period_id=period.id,
        person_id=person_id,
        kind=data.kind,
        occurred_on=data.on,
        legal_status=data.legal_status,
        carer=placement.carer if placement else data.carer,
        placement_type=placement.placement_type if placement else None,
        placement_provider=placement.placement_provider if placement else None,
        placement_postcode=placement.placement_postcode if placement else None,
        urn=placement.urn if placement else None,
        long_term=placement.long_term if placement else None,
        placement_plan_on=placement.placement_plan_on if placement else None,
        reason_place_change=data.reason_place_change,
        reason_ended=data.reason_ended,
        recorded_by_id=user.id,
    )
    session.add(event)
    if data.kind == rules.LEAVE:
        period.ended_on, period.reason_ended = data.on, data.reason_ended
    session.flush()
    recompute_for_child(session, person_id)
    _audit(session, user, "create", "care_event", event.id, person_id, kind=data.kind)
    return event


def _change_of(data: ChangeInput, id: int = 0) -> rules.CareChange:
    assert data.on is not None
    p = data.placement
    return rules.CareChange(
        kind=data.kind,
        on=data.on,
        legal_status=data.legal_status,
        placement_type=p.placement_type if p else None,
        placement_provider=p.placement_provider if p else None,
        carer=p.carer if p else data.carer,
        placement_postcode=p.placement_postcode if p else None,
        urn=p.urn if p else None,
        reason_place_change=data.reason_place_change,
        reason_ended=data.reason_ended,
        id=id,
    )


def placement_fields(event: CareEvent) -> list[SavedField]:
    """The placement as saved, field by field, for the second of two editors (``EditConflict``)."""
    return [
        SavedField("on", "Date of the placement", event.occurred_on.isoformat(), is_date=True),
        SavedField("placement_type", "Type of placement", event.placement_type or "", rules.PLACEMENT_TYPES),
        SavedField("placement_provider", "Provider", event.placement_provider or "", rules.PLACEMENT_PROVIDERS),
        SavedField("carer", "Carer or home", event.carer or ""),
        SavedField("placement_postcode", "Placement postcode", event.placement_postcode or ""),
        SavedField("urn", "URN", event.urn or ""),
        SavedField(
            "long_term",
            "Intended to last until 18",
            {True: "yes", False: "no", None: ""}[event.long_term],
            {"yes": "Yes", "no": "No"},
        ),
    ]


def placement_form(event: CareEvent) -> dict[str, str]:
    """A placement as its correction form first shows it."""
    return {
        "version": str(event.version),
        "on": event.occurred_on.isoformat(),
        "placement_type": event.placement_type or "",
        "placement_provider": event.placement_provider or "",
        "carer": event.carer or "",
        "placement_postcode": event.placement_postcode or "",
        "urn": event.urn or "",
        "long_term": {True: "yes", False: "no", None: ""}[event.long_term],
        "placement_plan_on": event.placement_plan_on.isoformat() if event.placement_plan_on else "",
        "reason_place_change": event.reason_place_change or "",
    }


def placement_event(
    session: Session, database: Database, user: User, event_id: int, action: Action = Action.VIEW
) -> CareEvent:
    event = session.get(CareEvent, event_id)
    if event is None or event.kind not in (rules.START, rules.PLACEMENT):
        raise NotFound("There is no such placement.")
    _require(session, database, user, action, event.person_id)
    return event


def correct_placement(
    session: Session,
    database: Database,
    user: User,
    event_id: int,
    data: ChangeInput,
    *,
    expected_version: int | None,
) -> CareEvent:
    """Correct a placement as recorded (its date, type, provider, carer, postcode, URN). Someone else's correction
    saved since the form was loaded is not overwritten: the second editor is shown it beside what they typed."""
    event = placement_event(session, database, user, event_id, Action.UPDATE)
    record_versions.check_version(session, "care_event", event, expected_version, placement_fields(event))
    problems = dict(data.problems)
    if event.kind == rules.START:
        problems.pop("reason_place_change", None)  # the first placement of a period ends nothing
    events = _changes(session, [event.period_id])
    existing = [as_change(e) for e in events]
    if data.on is not None and "on" not in problems:
        if event.kind == rules.START:
            if data.on != event.occurred_on:
                problems["on"] = (
                    f"The first placement began the day the child came into care, {long_date(event.occurred_on)}: "
                    "that date is not changed here"
                )
            elif data.placement is not None:
                for name, message in adoption_timeline.entry_problems("", data.placement.placement_type).items():
                    problems.setdefault(name, message)
        else:
            problem = rules.order_problem(existing, _change_of(data, event.id), replacing=event.id)
            if problem:
                problems["on"] = problem
            elif "placement_type" not in problems:
                # A placement corrected into (or within) a placement for adoption: the adoption timeline's checks,
                # against the record as it stood before this placement.
                others = [e for e in events if e.id != event.id]
                before = rules.care_now([as_change(e) for e in others if (e.occurred_on, e.id) < (data.on, event.id)])
                for name, message in adoption_timeline.change_problems(
                    session, event.period_id, others, _change_of(data, event.id), before
                ).items():
                    problems.setdefault(name, message)
    _fail(problems)
    assert data.on is not None and data.placement is not None
    p = data.placement
    event.occurred_on = data.on
    event.placement_type, event.placement_provider, event.carer = p.placement_type, p.placement_provider, p.carer
    event.placement_postcode, event.urn, event.long_term = p.placement_postcode, p.urn, p.long_term
    event.placement_plan_on = p.placement_plan_on
    if event.kind == rules.PLACEMENT:
        event.reason_place_change = data.reason_place_change
    try:
        session.flush()
    except StaleDataError as exc:
        raise record_versions.conflict(session, "care_event", event, placement_fields(event)) from exc
    recompute_for_child(session, event.person_id)
    _audit(session, user, "update", "care_event", event.id, event.person_id, kind=event.kind)
    return event


def plan_fields(period: CarePeriod, iros: Mapping[str, str]) -> list[SavedField]:
    return [
        SavedField(
            "care_plan_on",
            "Date of the care plan",
            period.care_plan_on.isoformat() if period.care_plan_on else "",
            is_date=True,
        ),
        SavedField("iro_id", "Independent reviewing officer", str(period.iro_id or ""), iros),
    ]


def current_period(session: Session, database: Database, user: User, person_id: int) -> CarePeriod:
    """The child's current period of care, for its care plan form (refused when the user may not change it)."""
    _person(session, person_id)
    _require(session, database, user, Action.CREATE, person_id)
    return _current_period(session, person_id)


def record_plan(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    data: PlanInput,
    *,
    expected_version: int | None,
) -> CarePeriod:
    """The care plan's date and the IRO it names, for the current period of care. Someone else's change saved since
    the form was loaded is not overwritten: the second editor is shown it beside what they typed."""
    period = current_period(session, database, user, person_id)
    iros = reviewing_officers(session)
    record_versions.check_version(session, "care_period", period, expected_version, plan_fields(period, iros))
    problems = dict(data.problems)
    if data.iro_id is not None and str(data.iro_id) not in iros and data.iro_id != period.iro_id:
        problems["iro_id"] = "Choose the independent reviewing officer from the list"
    _fail(problems)
    period.care_plan_on, period.iro_id = data.care_plan_on, data.iro_id
    try:
        session.flush()
    except StaleDataError as exc:
        raise record_versions.conflict(session, "care_period", period, plan_fields(period, iros)) from exc
    recompute_for_child(session, person_id)
    _audit(session, user, "update", "care_period", period.id, person_id)
    return period


# --- reviews, visits, health, education -------------------------------------------------------------------------


def _within_care(
    session: Session, person_id: int, on: date | None, name: str, what: str, problems: dict[str, str]
) -> int | None:
    """The period of care ``on`` falls in, or a message naming the field when it falls in none."""
    if on is None or name in problems:
        return None
    periods = periods_of_care(session, person_id)
    problem = rules.dated_within_care([(p.started_on, p.ended_on) for p in periods], on, what)
    if problem:
        problems[name] = problem
        return None
    return next(p.id for p in periods if p.looked_after_on(on))


def record_review(
    session: Session, database: Database, user: User, person_id: int, data: ReviewInput
) -> LookedAfterReview:
    """A looked-after review the IRO chaired, with the child's participation (SSDA903 REVIEW_CODE)."""
    person = _person(session, person_id)
    _require(session, database, user, Action.CREATE, person_id, Kind.LOOKED_AFTER_REVIEW)
    problems = dict(data.problems)
    period_id = _within_care(session, person_id, data.held_on, "held_on", "review", problems)
    if (
        data.held_on is not None
        and data.participation == "PN0"
        and person.date_of_birth is not None
        and age_on(person.date_of_birth, data.held_on) >= 4
    ):
        problems["participation"] = "The child was 4 or older at the review: choose how they took part"
    _fail(problems)
    assert data.held_on is not None and period_id is not None
    review = LookedAfterReview(
        period_id=period_id,
        person_id=person_id,
        held_on=data.held_on,
        participation=data.participation,
        chaired_by_id=user.id if Role(user.role) == Role.INDEPENDENT_REVIEWING_OFFICER else None,
        recorded_by_id=user.id,
    )
    session.add(review)
    session.flush()
    recompute_for_child(session, person_id)
    _audit(session, user, "create", "looked_after_review", review.id, person_id)
    return review


def record_visit(session: Session, database: Database, user: User, person_id: int, data: VisitInput) -> CareVisit:
    """A statutory visit to a child in care (CPPCR 2010 reg 28): was the child seen, and seen alone."""
    _person(session, person_id)
    _require(session, database, user, Action.CREATE, person_id)
    problems = dict(data.problems)
    period_id = _within_care(session, person_id, data.visited_on, "visited_on", "visit", problems)
    _fail(problems)
    assert data.visited_on is not None and data.child_seen is not None and period_id is not None
    visit = CareVisit(
        period_id=period_id,
        person_id=person_id,
        visited_on=data.visited_on,
        child_seen=data.child_seen,
        seen_alone=data.seen_alone if data.child_seen else None,
        notes=data.notes,
        recorded_by_id=user.id,
    )
    session.add(visit)
    session.flush()
    recompute_for_child(session, person_id)
    _audit(session, user, "create", "care_visit", visit.id, person_id)
    return visit


def record_health_assessment(
    session: Session, database: Database, user: User, person_id: int, data: DatedInput
) -> HealthAssessment:
    """An initial or review health assessment (CPPCR 2010 reg 7)."""
    _person(session, person_id)
    _require(session, database, user, Action.CREATE, person_id)
    problems = dict(data.problems)
    period_id = _within_care(session, person_id, data.on, "on", "health assessment", problems)
    _fail(problems)
    assert data.on is not None and period_id is not None
    row = HealthAssessment(
        period_id=period_id, person_id=person_id, kind=data.kind, assessed_on=data.on, recorded_by_id=user.id
    )
    session.add(row)
    session.flush()
    recompute_for_child(session, person_id)
    _audit(session, user, "create", "care_health_assessment", row.id, person_id, kind=data.kind)
    return row


def record_education_plan(
    session: Session, database: Database, user: User, person_id: int, data: DatedInput
) -> EducationPlan:
    """A personal education plan held (the virtual school's record: education only)."""
    _person(session, person_id)
    _require(session, database, user, Action.CREATE, person_id, Kind.CARE_EDUCATION)
    problems = dict(data.problems)
    period_id = _within_care(session, person_id, data.on, "on", "personal education plan", problems)
    _fail(problems)
    assert data.on is not None and period_id is not None
    row = EducationPlan(
        period_id=period_id, person_id=person_id, held_on=data.on, school=data.school, recorded_by_id=user.id
    )
    session.add(row)
    session.flush()
    recompute_for_child(session, person_id)
    _audit(session, user, "create", "personal_education_plan", row.id, person_id)
    return row


# --- lists --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildInCare:
    person_id: int
    name: str
    date_of_birth: date | None
    in_care_since: date
    iro_id: int | None
    last_review: date | None = None
    last_plan: date | None = None
    school: str | None = None


def children_in_care(session: Session, database: Database, user: User, *, kind: Kind = K) -> list[ChildInCare]:
    """The children in care now, for the placements team, team managers and IROs (an IRO: the children named to
    them), or the virtual school (``kind``: education; the last personal education plan). Restricted children are
    left out for those who may not open them. Audited as a list."""
    access.require_role(database, user, kind, Action.LIST)
    query = (
        select(CarePeriod, Person)
        .join(Person, Person.id == CarePeriod.person_id)
        .where(CarePeriod.ended_on.is_(None))
        .order_by(Person.last_name, Person.first_name, Person.id)
    )
    if Role(user.role) == Role.INDEPENDENT_REVIEWING_OFFICER:
        query = query.where(CarePeriod.iro_id == user.id)
    rows = list(session.execute(query))
    locked = access.locked_for(session, user, [person.id for _, person in rows])
    ids = [person.id for _, person in rows if person.id not in locked]
    reviews: dict[int, date] = {
        pid: held  # in date order: each child's latest is kept
        for pid, held in session.execute(
            select(LookedAfterReview.person_id, LookedAfterReview.held_on)
            .where(LookedAfterReview.person_id.in_(ids))
            .order_by(LookedAfterReview.held_on)
        )
    }
    plans: dict[int, tuple[date, str | None]] = {}
    for pid, held, school in session.execute(
        select(EducationPlan.person_id, EducationPlan.held_on, EducationPlan.school)
        .where(EducationPlan.person_id.in_(ids))
        .order_by(EducationPlan.held_on, EducationPlan.id)
    ):
        plans[pid] = (held, school)
    out = [
        ChildInCare(
            person.id,
            person.full_name,
            person.date_of_birth,
            period.started_on,
            period.iro_id,
            reviews.get(person.id),
            plans.get(person.id, (None, None))[0],
            plans.get(person.id, (None, None))[1],
        )
        for period, person in rows
        if person.id not in locked
    ]
    audit.record(session, access.actor_of(user), "list", str(kind), detail={"count": len(out)})
    return out
