"""From case records to clock events: the one place that knows the column names of case work's tables.

``clock_events`` reads, for a set of children (or every child whose case is open), each table whose rows start or
stop a clock, by columns only and in one query per table, and turns the rows into ``rules.ClockEvent``s. The rest
of the capability works on those events (``rules.derive`` is pure).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from safeguarding.casework.models import (
    Allocation,
    Assessment,
    CaseNote,
    ChildInNeedPlan,
    ChildInNeedReview,
    ChildProtectionConference,
    ChildProtectionPlan,
    CoreGroupMeeting,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
    Supervision,
    SupervisionCase,
    Visit,
)
from safeguarding.exploitation.models import MissingEpisode, ReturnInterview
from safeguarding.front_door.models import Contact, ContactSubject
from safeguarding.timescales.rules import ClockEvent, EventKind

E = EventKind

# Visit kinds (casework Visit.kind) and the clock each meets when the child was seen.
VISIT_EVENTS = {"cp": E.CP_VISIT, "cin": E.CIN_VISIT, "assessment": E.ASSESSMENT_VISIT}
# A section 47 outcome other than this means no initial conference is needed (CIN census ICPCnotRequired).
S47_OUTCOME_ICPC = "icpc"
# Contacts still waiting for the MASH (front_door.rules.OPEN_STATUSES).
CONTACT_OPEN_STATUSES = ("awaiting_screening", "in_screening")
CHUNK = 900  # ids per IN list (SQLite's bound-parameter limit is far above; PostgreSQL plans stay small)


@dataclass
class CaseEvents:
    """Clock events by child, and who holds each open case (for the due pages)."""

    events: dict[int, list[ClockEvent]] = field(default_factory=dict)
    worker_of: dict[int, int] = field(default_factory=dict)
    team_of: dict[int, int | None] = field(default_factory=dict)
    open_children: set[int] = field(default_factory=set)
    # The day the child's current (open) episode began: the latest referral not closed, else the open allocation.
    # Met clocks before it belong to closed episodes and are not stored (timescales/models.py).
    episode_from: dict[int, date] = field(default_factory=dict)

    def add(self, event: ClockEvent) -> None:
        self.events.setdefault(event.person_id, []).append(event)


def open_children_query() -> Any:
    """Children whose case is open: an open allocation, or an episode of need not yet closed."""
    return select(Allocation.person_id).where(Allocation.ended_at.is_(None)).union(
        select(Referral.person_id).where(Referral.closed_date.is_(None)))


def _chunks(ids: Collection[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for index in range(0, len(ordered), CHUNK):
        yield ordered[index:index + CHUNK]


def clock_events(session: Session, person_ids: Collection[int] | None, today: date) -> CaseEvents:
    """Every clock event of these children (``None``: every child whose case is open).

    A conference dated after ``today`` is booked, not held; other rows dated after today are left out (a date in
    the future meets nothing yet).
    """
    result = CaseEvents()
    if person_ids is None:
        scopes: list[Any] = [None]
    else:
        scopes = list(_chunks(set(person_ids)))
    for scope in scopes:
        _read(session, scope, today, result)
    return result


def _read(session: Session, ids: list[int] | None, today: date, out: CaseEvents) -> None:
    # Core rows on the session's connection (the same transaction, after its flush): plain tuples, no ORM loading.
    connection = session.connection()

    def fetch(statement: Any) -> Sequence[Row[Any]]:
        return connection.execute(statement).all()  # one fetchall, not a fetch per row
    open_subquery = open_children_query().subquery()

    def within(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        if ids is None:
            return column.in_(select(open_subquery.c.person_id))
        return column.in_(ids)

    if ids is None:
        out.open_children.update(connection.scalars(select(open_subquery.c.person_id)))
    else:
        out.open_children.update(connection.scalars(
            select(Allocation.person_id).where(within(Allocation.person_id), Allocation.ended_at.is_(None))))
        out.open_children.update(connection.scalars(
            select(Referral.person_id).where(within(Referral.person_id), Referral.closed_date.is_(None))))

    def add(kind: EventKind, on: date | None, source: str, source_id: int, person_id: int, **extra: Any) -> None:
        if on is None:
            return
        if on > today and extra.get("booked_for") is None:
            return
        out.add(ClockEvent(kind, on, source, source_id, person_id, **extra))

    allocated_from: dict[int, date] = {}
    for a in fetch(select(Allocation.id, Allocation.person_id, Allocation.worker_id,
                                       Allocation.team_id, Allocation.started_at)
                                .where(within(Allocation.person_id), Allocation.ended_at.is_(None))
                                .order_by(Allocation.started_at)):
        out.worker_of[a.person_id] = a.worker_id
        out.team_of[a.person_id] = a.team_id
        started = a.started_at.date()
        allocated_from.setdefault(a.person_id, started)
        add(E.CASE_OPENED, started, "allocation", a.id, a.person_id)

    referred_from: dict[int, date] = {}
    for r in fetch(select(Referral.id, Referral.person_id, Referral.referral_date, Referral.route,
                                       Referral.closed_date).where(within(Referral.person_id))):
        add(E.REFERRAL, r.referral_date, "referral", r.id, r.person_id, flags=frozenset({r.route}))
        add(E.CASE_CLOSED, r.closed_date, "referral", r.id, r.person_id)
        if r.closed_date is None and r.referral_date > referred_from.get(r.person_id, date.min):
            referred_from[r.person_id] = r.referral_date
    out.episode_from.update(allocated_from)
    out.episode_from.update(referred_from)

    # Contacts still waiting for a decision: the MASH's own deadline (RAG, working hours) is reused as it stands.
    for c in fetch(select(Contact.id, ContactSubject.person_id, Contact.received_at, Contact.due_at)
                             .join(ContactSubject, ContactSubject.contact_id == Contact.id)
                             .where(within(ContactSubject.person_id), Contact.status.in_(CONTACT_OPEN_STATUSES))
                             .distinct()):
        if c.person_id is not None:
            add(E.CONTACT_RECEIVED, c.received_at.date(), "contact", c.id, c.person_id, due_hint=c.due_at.date())

    for s in fetch(select(Assessment.id, Assessment.person_id, Assessment.started_on,
                                    Assessment.authorised_on, Assessment.late_reason)
                             .where(within(Assessment.person_id))):
        add(E.ASSESSMENT_STARTED, s.started_on, "assessment", s.id, s.person_id)
        add(E.ASSESSMENT_COMPLETED, s.authorised_on, "assessment", s.id, s.person_id,
            exceeded_reason=s.late_reason)

    s47_by_discussion: dict[int, Any] = {}
    for q in fetch(select(Section47Enquiry.id, Section47Enquiry.person_id,
                                    Section47Enquiry.strategy_discussion_id, Section47Enquiry.started_on,
                                    Section47Enquiry.completed_on, Section47Enquiry.outcome)
                             .where(within(Section47Enquiry.person_id))):
        s47_by_discussion[q.strategy_discussion_id] = q
        add(E.S47_STARTED, q.started_on, "section47_enquiry", q.id, q.person_id)
        flags = frozenset({"no_icpc"}) if q.outcome and q.outcome != S47_OUTCOME_ICPC else frozenset()
        add(E.S47_COMPLETED, q.completed_on, "section47_enquiry", q.id, q.person_id, flags=flags)

    for d in fetch(select(StrategyDiscussion.id, StrategyDiscussion.person_id,
                                    StrategyDiscussion.held_on, StrategyDiscussion.decision)
                             .where(within(StrategyDiscussion.person_id))):
        s47 = "47" in (d.decision or "") or d.id in s47_by_discussion
        add(E.STRATEGY_DISCUSSION, d.held_on, "strategy_discussion", d.id, d.person_id,
            flags=frozenset({"s47"}) if s47 else frozenset())

    for k in fetch(select(ChildProtectionConference.id, ChildProtectionConference.person_id,
                                    ChildProtectionConference.kind, ChildProtectionConference.held_on,
                                    ChildProtectionConference.plan_id)
                             .where(within(ChildProtectionConference.person_id))):
        booked = k.held_on if k.held_on > today else None
        kind = E.ICPC if k.kind == "initial" else E.REVIEW_CONFERENCE
        flags = frozenset({"plan"}) if k.kind == "initial" and k.plan_id is not None else frozenset()
        add(kind, k.held_on, "child_protection_conference", k.id, k.person_id, flags=flags, booked_for=booked)

    for p in fetch(select(ChildProtectionPlan.id, ChildProtectionPlan.person_id,
                                    ChildProtectionPlan.started_on, ChildProtectionPlan.ended_on)
                             .where(within(ChildProtectionPlan.person_id))):
        add(E.CP_PLAN_STARTED, p.started_on, "child_protection_plan", p.id, p.person_id)
        add(E.CP_PLAN_ENDED, p.ended_on, "child_protection_plan", p.id, p.person_id)

    for g in fetch(select(CoreGroupMeeting.id, CoreGroupMeeting.person_id, CoreGroupMeeting.held_on)
                             .where(within(CoreGroupMeeting.person_id))):
        add(E.CORE_GROUP, g.held_on, "core_group_meeting", g.id, g.person_id)

    for v in fetch(select(Visit.id, Visit.person_id, Visit.kind, Visit.visited_on, Visit.child_seen)
                             .where(within(Visit.person_id))):
        # A visit where the child was not seen is recorded activity, but meets no visiting standard.
        kind = VISIT_EVENTS.get(v.kind, E.CASE_NOTE) if v.child_seen else E.CASE_NOTE
        add(kind, v.visited_on, "visit", v.id, v.person_id)

    for n in fetch(select(ChildInNeedPlan.id, ChildInNeedPlan.person_id, ChildInNeedPlan.started_on,
                                    ChildInNeedPlan.ended_on).where(within(ChildInNeedPlan.person_id))):
        add(E.CIN_PLAN_STARTED, n.started_on, "child_in_need_plan", n.id, n.person_id)
        add(E.CIN_PLAN_ENDED, n.ended_on, "child_in_need_plan", n.id, n.person_id)

    for w in fetch(select(ChildInNeedReview.id, ChildInNeedReview.person_id, ChildInNeedReview.held_on)
                             .where(within(ChildInNeedReview.person_id))):
        add(E.CIN_REVIEW, w.held_on, "child_in_need_review", w.id, w.person_id)

    # Missing episodes (exploitation): the return interview is due 72 hours after the return (T32); it is met when
    # it is offered.
    for m in fetch(select(MissingEpisode.id, MissingEpisode.person_id, MissingEpisode.returned_at)
                             .where(within(MissingEpisode.person_id), MissingEpisode.returned_at.is_not(None))):
        add(E.MISSING_RETURN, m.returned_at.date(), "missing_episode", m.id, m.person_id)
    for i in fetch(select(ReturnInterview.id, ReturnInterview.episode_id, ReturnInterview.offered_at,
                                    ReturnInterview.late_reason, MissingEpisode.person_id)
                             .join(MissingEpisode, MissingEpisode.id == ReturnInterview.episode_id)
                             .where(within(MissingEpisode.person_id))):
        add(E.RETURN_INTERVIEW, i.offered_at.date(), "return_interview", i.id, i.person_id,
            stops_source_id=i.episode_id, exceeded_reason=i.late_reason)

    # Recorded activity: notes and supervision. Only the latest note of each child matters (the stalled clock).
    latest = (select(CaseNote.person_id, func.max(CaseNote.occurred_at).label("at"))
              .where(within(CaseNote.person_id)).group_by(CaseNote.person_id).subquery())
    for note in fetch(select(CaseNote.person_id, func.max(CaseNote.id).label("id"), latest.c.at)
                                .join(latest, (latest.c.person_id == CaseNote.person_id)
                                      & (latest.c.at == CaseNote.occurred_at))
                                .group_by(CaseNote.person_id, latest.c.at)):
        add(E.CASE_NOTE, note.at.date(), "case_note", note.id, note.person_id)
    for sup in fetch(select(SupervisionCase.person_id, Supervision.id, Supervision.held_on)
                               .join(Supervision, Supervision.id == SupervisionCase.supervision_id)
                               .where(within(SupervisionCase.person_id))):
        add(E.SUPERVISION, sup.held_on, "supervision", sup.id, sup.person_id)


def open_case_filter(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """``column`` (a person id) belongs to a child whose case is open."""
    return or_(column.in_(select(Allocation.person_id).where(Allocation.ended_at.is_(None))),
               column.in_(select(Referral.person_id).where(Referral.closed_date.is_(None))))
