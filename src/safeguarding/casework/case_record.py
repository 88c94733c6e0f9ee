"""The child's case page: episodes, status, allocation, plans, conferences, visits, oversight, deadlines and the
automatic chronology (front-door contacts come from the chronology sources other capabilities supply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, Integer, bindparam, select
from sqlalchemy.orm import Session, joinedload

from safeguarding.casework import events, rules
from safeguarding.casework.case_access import assessment_due_on, case_subject_with, in_scope, person_of
from safeguarding.casework.episode import episode_from_rows
from safeguarding.casework.models import (
    Allocation,
    Assessment,
    CaseNote,
    ChildInNeedPlan,
    ChildInNeedReview,
    ChildProtectionConference,
    ChildProtectionPlan,
    Chronology,
    ClosureRequest,
    CoreGroupMeeting,
    ProtectionTeamMember,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
    Supervision,
    SupervisionCase,
    Visit,
)
from safeguarding.casework.protection_team import members_of_each
from safeguarding.casework.recording import signed_off
from safeguarding.core import access, codes, record_versions
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import LONDON
from safeguarding.core.db import Database
from safeguarding.core.record_versions import Amendment
from safeguarding.core.users import User
from safeguarding.people.models import Person
from safeguarding.timescales.service import ChildDeadlines, deadlines_of_child

# --- the case page ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChronologyItem:
    key: str  # "<kind>:<id>"
    on: date
    kind: str
    title: str
    detail: str = ""
    href: str | None = None


# The case page opens on the newest entries of the chronology, the rest a click away: a long history's full list is
# most of the page's weight (issue 12) and rarely what a worker opening the case looks for first.
CHRONOLOGY_NEWEST = 30

# The chronology's kinds, in the order its filter lists them; a capability that supplies entries (the front door's
# contacts) adds its kind at the front (``supply_chronology``).
CHRONOLOGY_KINDS: dict[str, str] = {
    "referral": "Referrals and closures",
    "allocation": "Allocation",
    "assessment": "Assessments",
    "strategy_discussion": "Strategy discussions",
    "section47": "Section 47",
    "conference": "Conferences",
    "cp_plan": "Child protection plans",
    "core_group": "Core groups",
    "visit": "Visits",
    "cin_plan": "Child in need plans",
    "cin_review": "Child in need reviews",
    "note": "Case notes",
    "supervision": "Management oversight",
}

# What happened to the child outside case work (a contact to the front door), by chronology kind: each reads the
# child's entries of its kind. Supplied by the capability that holds them: case work imports none of them.
ChronologySource = Callable[[Session, int], list[ChronologyItem]]
_chronology_sources: dict[str, ChronologySource] = {}


def supply_chronology(kind: str, label: str, source: ChronologySource) -> None:
    """Add a capability's entries to every child's chronology, under ``kind`` (listed first in the filter)."""
    _chronology_sources[kind] = source
    ordered = {kind: label, **{k: v for k, v in CHRONOLOGY_KINDS.items() if k != kind}}
    CHRONOLOGY_KINDS.clear()
    CHRONOLOGY_KINDS.update(ordered)


# The lists the page only reads are Row tuples of their model's columns (``_columns_of_child``), typed ``Row``:
# attributes named as the model's, no relationships.
Row = Any


@dataclass
class CaseRecord:
    person: Person
    referrals: list[Row]  # Referral's columns
    current: Row | None
    status: str
    allocation: Allocation | None
    assessments: list[tuple[Assessment, date]]  # with the due date
    discussions: list[StrategyDiscussion]
    enquiries: list[Row]  # Section47Enquiry's columns
    conferences: list[Row]  # ChildProtectionConference's
    cp_plans: list[tuple[Row, list[Row]]]  # ChildProtectionPlan's, with its CoreGroupMeeting's
    visits: list[Row]  # Visit's
    cin_plans: list[tuple[Row, list[Row]]]  # ChildInNeedPlan's, with its ChildInNeedReview's
    oversight: list[Row]  # each decision in supervision: id, decision, held_on, supervisor_id
    chronology: list[ChronologyItem]
    chronologies: list[Row]  # id, title
    may_write: bool
    may_sign_off: bool
    may_allocate: bool
    may_read_notes: bool
    kind_filter: str | None = None
    users: dict[int, str] = field(default_factory=dict)
    deadlines: ChildDeadlines | None = None  # derived from the events above (timescales)
    # Amendments of signed-off assessments, by assessment id, newest first (each with the content before it).
    amendments: dict[int, list[Amendment]] = field(default_factory=dict)
    # Amendments of authorised child in need plans, by plan id, newest first.
    plan_amendments: dict[int, list[Amendment]] = field(default_factory=dict)
    # The worker's request to close the current episode, waiting for the team manager (casework.closure).
    closure_request: ClosureRequest | None = None
    # Each section 47 enquiry's multi-agency child protection team (casework.protection_team), by enquiry id.
    protection_teams: dict[int, list[ProtectionTeamMember]] = field(default_factory=dict)
    chronology_limit: int | None = None  # show only the newest entries (None: all of them)

    @property
    def chronology_shown(self) -> list[ChronologyItem]:
        return self.chronology if self.chronology_limit is None else self.chronology[: self.chronology_limit]

    @property
    def child_protection(self) -> list[tuple[date, str, Any]]:
        """Strategy discussions, section 47 enquiries and conferences in one list, newest first; on one day the
        later step of the process first (a conference, then its enquiry, then the discussion that started it)."""
        steps: list[tuple[date, int, str, Any]] = [
            *((d.held_on, 0, "strategy_discussion", d) for d in self.discussions),
            *((q.started_on, 1, "section_47", q) for q in self.enquiries),
            *((c.held_on, 2, "conference", c) for c in self.conferences),
        ]
        steps.sort(key=lambda step: (step[0], step[1], step[3].id), reverse=True)
        return [(on, kind, row) for on, _stage, kind, row in steps]


# The case page's statements, built once (building a statement costs more CPU than running it; issue 12): each
# reads one kind of the child's records, newest first.
_CHILD: BindParameter[int] = bindparam("person_id", type_=Integer)


def _of_child(model: Any, order: Any, *options: Any) -> Any:
    return select(model).where(model.person_id == _CHILD).options(*options).order_by(order.desc(), model.id.desc())


def _columns_of_child(model: Any, order: Any) -> Any:
    """The child's rows of a kind the page only reads, as columns: Row tuples (attributes named as the model's)
    cost a fraction of ORM objects to load (no identity map, no instance state; issue 12)."""
    table = model.__table__
    return select(table).where(table.c.person_id == _CHILD).order_by(table.c[order.key].desc(), table.c.id.desc())


# Read as objects: their related rows come joined (an allocation's worker and team, an assessment's factors, a
# discussion's participants).
_ALLOCATIONS = (
    select(Allocation)
    .where(Allocation.person_id == _CHILD)
    .options(joinedload(Allocation.team))
    .order_by(Allocation.started_at.desc(), Allocation.id.desc())
)
_ASSESSMENTS = _of_child(Assessment, Assessment.started_on, joinedload(Assessment.factors))
_DISCUSSIONS = _of_child(StrategyDiscussion, StrategyDiscussion.held_on, joinedload(StrategyDiscussion.participants))
# Read as columns.
_REFERRALS = _columns_of_child(Referral, Referral.referral_date)
_ENQUIRIES = _columns_of_child(Section47Enquiry, Section47Enquiry.started_on)
_CONFERENCES = _columns_of_child(ChildProtectionConference, ChildProtectionConference.held_on)
_CP_PLANS = _columns_of_child(ChildProtectionPlan, ChildProtectionPlan.started_on)
_CORE_GROUPS = _columns_of_child(CoreGroupMeeting, CoreGroupMeeting.held_on)
_VISITS = _columns_of_child(Visit, Visit.visited_on)
_CIN_PLANS = _columns_of_child(ChildInNeedPlan, ChildInNeedPlan.started_on)
_CIN_REVIEWS = _columns_of_child(ChildInNeedReview, ChildInNeedReview.held_on)
_NOTES = _columns_of_child(CaseNote, CaseNote.occurred_at)
# Each decision about the child in supervision: the case's row (id, decision) with its supervision's date and
# supervisor.
_OVERSIGHT = (
    select(SupervisionCase.id, SupervisionCase.decision, Supervision.held_on, Supervision.supervisor_id)
    .join(Supervision, Supervision.id == SupervisionCase.supervision_id)
    .where(SupervisionCase.person_id == _CHILD)
    .order_by(Supervision.held_on.desc())
)
_CHRONOLOGIES = (
    select(Chronology.id, Chronology.title).where(Chronology.person_id == _CHILD).order_by(Chronology.id.desc())
)
_USER_NAMES = select(User.id, User.full_name).where(User.id.in_(bindparam("user_ids", expanding=True)))
_CLOSURE_REQUEST = select(ClosureRequest).where(
    ClosureRequest.referral_id == bindparam("referral_id", type_=Integer), ClosureRequest.status == "awaiting"
)


def case_record(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    kind_filter: str | None = None,
    *,
    deadline_history: bool = False,
) -> CaseRecord:
    """The child's case: episodes, status, allocation, plans, conferences, visits, oversight and the automatic
    chronology (newest first, filterable by kind). Notes and oversight only for those who may read notes."""
    person = person_of(session, person_id)
    # Every allocation once (the open one is the policy's fact and the page's; all of them are the chronology's).
    allocations = list(session.scalars(_ALLOCATIONS, {"person_id": person_id}))
    allocation = next((a for a in allocations if a.ended_at is None), None)
    subject = case_subject_with(person_id, allocation)
    # The page's five questions of the policy, the child's restriction read once; viewing is required.
    asks = [
        (Action.VIEW, subject),
        (Action.VIEW, replace(subject, kind=Kind.CASE_NOTE)),
        (Action.CREATE, subject),
        (Action.SIGN_OFF, subject),
        (Action.CREATE, replace(subject, kind=Kind.ALLOCATION)),
    ]
    decisions = access.authorize_each(session, user, asks)
    access.enforce(session, user, Action.VIEW, subject, decisions[0])
    answers = zip(asks[1:], decisions[1:], strict=True)
    may_read_notes, may_write, may_sign_off, may_allocate = (
        in_scope(user, action, asked, decision) for (action, asked), decision in answers
    )

    def of_person(statement: Any) -> list[Any]:
        # unique(): a joined collection (an assessment's factors) repeats its record once a row.
        return list(session.scalars(statement, {"person_id": person_id}).unique())

    def columns(statement: Any) -> list[Any]:
        return list(session.execute(statement, {"person_id": person_id}))

    referrals = columns(_REFERRALS)
    current = referrals[0] if referrals else None
    assessments = of_person(_ASSESSMENTS)
    referral_dates = {r.id: r.referral_date for r in referrals}
    discussions = of_person(_DISCUSSIONS)
    enquiries = columns(_ENQUIRIES)
    conferences = columns(_CONFERENCES)
    plans = columns(_CP_PLANS)
    core_groups = columns(_CORE_GROUPS)
    visits = columns(_VISITS)
    cin_plans = columns(_CIN_PLANS)
    cin_reviews = columns(_CIN_REVIEWS)
    notes = columns(_NOTES) if may_read_notes else []
    oversight = columns(_OVERSIGHT) if may_read_notes else []
    chronologies = columns(_CHRONOLOGIES) if may_read_notes else []
    items = _chronology(
        session,
        person_id,
        referrals,
        allocations,
        assessments,
        discussions,
        enquiries,
        conferences,
        plans,
        core_groups,
        visits,
        cin_plans,
        cin_reviews,
        notes,
        oversight,
    )
    if kind_filter in CHRONOLOGY_KINDS:
        items = [i for i in items if i.kind == kind_filter]
    user_ids = (
        {a.worker_id for a in [allocation] if a}
        | {o.supervisor_id for o in oversight}
        | {n.author_id for n in notes if n.author_id}
        | {a.authorised_by_id for a in assessments if a.authorised_by_id}
        | {i for p in cin_plans for i in (p.authorised_by_id, p.returned_by_id) if i}
    )
    names = {i: n for i, n in session.execute(_USER_NAMES, {"user_ids": list(user_ids)})} if user_ids else {}
    record(
        session,
        access.actor_of(user),
        "view",
        "case",
        person_id,
        person_id=person_id,
        detail={"filter": kind_filter} if kind_filter else None,
    )
    return CaseRecord(
        person=person,
        referrals=referrals,
        current=current,
        status=rules.case_status(
            _current_episode(
                current,
                assessments,
                discussions,
                enquiries,
                conferences,
                plans,
                core_groups,
                visits,
                cin_plans,
                cin_reviews,
            )
            if current
            else None
        ),
        allocation=allocation,
        assessments=[(a, assessment_due_on(referral_dates[a.referral_id])) for a in assessments],
        discussions=discussions,
        enquiries=enquiries,
        conferences=conferences,
        cp_plans=[(p, [c for c in core_groups if c.plan_id == p.id]) for p in plans],
        visits=visits,
        cin_plans=[(p, [r for r in cin_reviews if r.plan_id == p.id]) for p in cin_plans],
        oversight=oversight,
        chronology=items,
        chronologies=chronologies,
        may_write=may_write,
        may_sign_off=may_sign_off,
        may_allocate=may_allocate,
        may_read_notes=may_read_notes,
        kind_filter=kind_filter if kind_filter in CHRONOLOGY_KINDS else None,
        users=names,
        deadlines=deadlines_of_child(session, user, person_id, with_history=deadline_history),
        # Only a signed-off assessment is amended: no question to ask of a child with none.
        amendments=record_versions.amendments(session, "assessment", [a.id for a in assessments if a.authorised_on])
        if any(a.authorised_on for a in assessments)
        else {},
        closure_request=session.scalar(_CLOSURE_REQUEST, {"referral_id": current.id})
        if current is not None and current.closed_date is None
        else None,
        plan_amendments=record_versions.amendments(
            session, "child_in_need_plan", [p.id for p in cin_plans if p.authorised_on]
        )
        if any(p.authorised_on for p in cin_plans)
        else {},
        protection_teams=members_of_each(session, [q.id for q in enquiries]),
    )


def _current_episode(
    current: Row,
    assessments: list[Assessment],
    discussions: list[StrategyDiscussion],
    enquiries: list[Row],
    conferences: list[Row],
    plans: list[Row],
    core_groups: list[Row],
    visits: list[Row],
    cin_plans: list[Row],
    cin_reviews: list[Row],
) -> rules.Episode:
    """``episode_facts`` of the current referral from the rows the case page has loaded already (newest first):
    the same facts without reading them all again."""

    def of_episode(rows: list[Any], on: str) -> list[Any]:
        return sorted((r for r in rows if r.referral_id == current.id), key=lambda r: (getattr(r, on), r.id))

    cp_plans = of_episode(plans, "started_on")
    episode_cin_plans = of_episode(cin_plans, "started_on")
    cp_ids, cin_ids = {p.id for p in cp_plans}, {p.id for p in episode_cin_plans}
    other = [v.visited_on for v in visits if v.referral_id == current.id]
    other += [c.held_on for c in core_groups if c.plan_id in cp_ids]
    other += [r.held_on for r in cin_reviews if r.plan_id in cin_ids]
    return episode_from_rows(
        current,
        of_episode(assessments, "started_on"),
        of_episode(discussions, "held_on"),
        of_episode(enquiries, "started_on"),
        of_episode(conferences, "held_on"),
        cp_plans,
        episode_cin_plans,
        other,
    )


def _chronology(
    session: Session,
    person_id: int,
    referrals: list[Row],
    allocations: list[Allocation],
    assessments: list[Assessment],
    discussions: list[StrategyDiscussion],
    enquiries: list[Row],
    conferences: list[Row],
    plans: list[Row],
    core_groups: list[Row],
    visits: list[Row],
    cin_plans: list[Row],
    cin_reviews: list[Row],
    notes: list[Row],
    oversight: list[Row],
) -> list[ChronologyItem]:
    """Every event on the child, from what other capabilities supply (front-door contacts) through case events and
    notes, newest first."""
    items: list[ChronologyItem] = []
    for kind in sorted(_chronology_sources):
        items.extend(_chronology_sources[kind](session, person_id))
    for r in referrals:
        items.append(
            ChronologyItem(
                f"referral:{r.id}",
                r.referral_date,
                "referral",
                "Re-referral" if r.is_re_referral else "Referral",
                codes.label(codes.PRIMARY_NEEDS, r.primary_need),
            )
        )
        if r.closed_date:
            items.append(
                ChronologyItem(
                    f"closure:{r.id}",
                    r.closed_date,
                    "referral",
                    "Episode closed",
                    codes.label(codes.CLOSURE_REASONS, r.closure_reason),
                )
            )
    for a in allocations:
        items.append(
            ChronologyItem(
                f"allocation:{a.id}",
                a.started_at.astimezone(LONDON).date(),
                "allocation",
                f"Allocated to {a.worker.full_name}",
                a.team.name if a.team else "",
            )
        )
    base = f"/cases/{person_id}"
    groups: list[tuple[str, list[Any]]] = [
        ("assessments", assessments),
        ("strategy-discussions", discussions),
        ("section-47s", enquiries),
        ("conferences", conferences),
        ("cp-plans", plans),
        ("core-groups", core_groups),
        ("visits", visits),
        ("cin-plans", cin_plans),
        ("cin-reviews", cin_reviews),
        ("notes", notes),
    ]
    for kind, rows in groups:
        spec = events.KINDS[kind]
        for row in rows:
            detail = ""
            if kind == "notes":
                detail = row.text[:300]
            elif kind == "strategy-discussions":
                detail = ", ".join(f"{p.agency}: {p.name}" for p in row.participants)
            items.append(
                ChronologyItem(
                    f"{spec.chronology_kind}:{row.id}",
                    events.event_date(spec, row),
                    spec.chronology_kind,
                    spec.summary(row),
                    detail,
                    f"{base}/{kind}/{row.id}/{'amend' if signed_off(kind, row) else 'edit'}",
                )
            )
        if kind == "assessments":
            for row in rows:
                if row.authorised_on:
                    items.append(
                        ChronologyItem(
                            f"assessment_authorised:{row.id}",
                            row.authorised_on,
                            "assessment",
                            "Assessment authorised",
                            rules.ASSESSMENT_OUTCOMES.get(row.outcome or "", ""),
                        )
                    )
        if kind == "cp-plans":
            for row in rows:
                if row.ended_on:
                    items.append(
                        ChronologyItem(
                            f"cp_plan_end:{row.id}",
                            row.ended_on,
                            "cp_plan",
                            "Child protection plan ended",
                            codes.label(codes.CP_PLAN_END_REASONS, row.end_reason),
                        )
                    )
        if kind == "cin-plans":
            for row in rows:
                if row.ended_on:
                    items.append(
                        ChronologyItem(f"cin_plan_end:{row.id}", row.ended_on, "cin_plan", "Child in need plan ended")
                    )
    for decision in oversight:
        items.append(
            ChronologyItem(
                f"supervision:{decision.id}",
                decision.held_on,
                "supervision",
                "Management oversight in supervision",
                decision.decision[:300],
            )
        )
    items.sort(key=lambda i: (i.on, i.key), reverse=True)
    return items


def chronology_for(session: Session, database: Database, user: User, person_id: int) -> list[ChronologyItem]:
    """The automatic chronology alone (for building a curated one)."""
    return case_record(session, database, user, person_id).chronology
