"""Use-cases of the timescales capability: deriving and storing deadlines, and the due pages' reads.

Deadlines are derived from events (``events.clock_events`` -> ``derive.derive``) and stored in ``deadline``
(``store.py``: only the difference from the child's previous set is written), in the caller's transaction. Case
work and missing episodes call ``recompute_for_child`` after every write of an event; ``recompute_all`` derives the
whole council in the caller's transaction (the demo loader); the nightly job is ``store.refresh``. Deadlines are
held for children whose case is open.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, bindparam, case, func, select
from sqlalchemy.orm import Session, aliased

from safeguarding.core import access, local_settings
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, NotFound, ValidationFailed
from safeguarding.core.local_settings import get_all
from safeguarding.core.users import Role, Team, User
from safeguarding.people.listing import RESTRICTED_LABEL
from safeguarding.people.models import Person, current_postcode
from safeguarding.people.rules import postcode_district
from safeguarding.timescales import store
from safeguarding.timescales.models import Deadline
from safeguarding.timescales.rules import (
    FORECASTS,
    RULE_IDS,
    EventKind,
    Explanation,
    Forecast,
    Rule,
    State,
    explain,
    rule_for,
    state_of,
)
from safeguarding.timescales.store import RecomputeResult

log = logging.getLogger(__name__)


def recompute(
    session: Session,
    person_ids: Collection[int],
    *,
    today: date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> RecomputeResult:
    """Bring these children's stored deadlines in line with their events now (caller's transaction)."""
    if not person_ids:
        return RecomputeResult(0, 0)
    today = today or today_in_london()
    settings = settings if settings is not None else get_all(session)
    session.flush()  # the caller's pending case writes are part of what is derived
    result = store.recompute_children(session.connection(), sorted(set(person_ids)), today, settings)
    _forget_loaded_deadlines(session)
    return result


def recompute_for_child(session: Session, person_id: int, *, today: date | None = None) -> None:
    """Derive one child's deadlines from their events and store them, replacing the previous set.

    Case work calls this after every write of a case event, in the same transaction. A child whose case is not
    open keeps no deadlines.
    """
    recompute(session, [person_id], today=today)


def recompute_all(
    session: Session, *, today: date | None = None, settings: Mapping[str, Any] | None = None
) -> RecomputeResult:
    """Every open child's deadlines from every event, in the caller's transaction and process (the demo loader,
    whose events are not yet committed). The nightly job is ``store.refresh``: the same, in workers."""
    today = today or today_in_london()
    settings = settings if settings is not None else get_all(session)
    session.flush()
    result = store.recompute_in_transaction(session.connection(), today, settings)
    _forget_loaded_deadlines(session)
    return result


def rederive_council_now(database: Database) -> bool:
    """Run the nightly job now, in a process of its own (as cron runs it: ``safeguarding timescales recompute``),
    and wait for it: after a change of a timescales setting, so that every child's deadlines follow it at once
    (about 2 s for a large council) instead of at the next night's run. A process of its own, because the job
    forks worker processes and derives for seconds, which a web server's threads should do neither of. An
    in-memory database is not shared with another process: the next nightly run applies the change there.
    Returns whether the run succeeded (a failure is logged; the next nightly run puts it right)."""
    url = database.engine.url
    if database.is_sqlite and url.database in (None, "", ":memory:"):
        return False
    environment = {**os.environ, "SAFEGUARDING_DATABASE_URL": url.render_as_string(hide_password=False)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "safeguarding.cli", "timescales", "recompute"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.error("Deriving every child's deadlines again failed: %s", exc)
        return False
    if done.returncode != 0:
        log.error(
            "Deriving every child's deadlines again failed (exit %s): %s", done.returncode, done.stderr.strip()[-2000:]
        )
        return False
    log.info("%s", done.stdout.strip())
    return True


def _forget_loaded_deadlines(session: Session) -> None:
    """The store writes on the connection, under the ORM: deadlines already loaded in this session are read again
    (a deleted row's id can be given to an inserted one)."""
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, Deadline):
            session.expire(loaded)


# --- the due pages ------------------------------------------------------------------------------------------------

PAGE_SIZE = 50
# The team page lists fewer rows a page: it is a manager's start page, opened many times a day, and its figures
# (counted by the database) already give the whole team.
TEAM_PAGE_SIZE = 25


@dataclass(frozen=True)
class DueRow:
    """One deadline as the pages show it (columns only, no ORM objects)."""

    id: int
    person_id: int
    child: str
    rule: Rule
    start_event: EventKind
    started_on: date
    due_on: date
    met_on: date | None
    state: State
    forecast: Forecast | None
    worker: str
    team: str
    explanation: Explanation
    # The child's date of birth and their address's postcode district, to tell two children of one name apart
    # (none for a restricted record).
    born: date | None = None
    district: str | None = None

    @property
    def stalled(self) -> bool:
        return self.rule.id == STALLED and self.state is State.OVERDUE

    @property
    def status_text(self) -> str:
        """The state as the pages label it; a lapsed clock names the day its plan ended."""
        if self.state is State.LAPSED and self.met_on is not None:
            return f"Not met: plan ended on {long_date(self.met_on)}"
        return self.state.label


STALLED = "stalled-case"


@dataclass
class DuePage:
    """The sections of a due page, and what it was filtered by."""

    overdue: list[DueRow]
    due_soon: list[DueRow]
    due: list[DueRow]
    forecast: list[DueRow]
    stalled: list[DueRow]
    today: date
    total: int = 0
    page: int = 1
    pages: int = 1
    filters: dict[str, Any] = field(default_factory=dict)
    # The team page: the figures of the whole selection (counted by the database), the page of rows it lists in
    # due order, and how many forecast and stalled rows there are beyond those listed.
    counts: dict[str, int] = field(default_factory=dict)
    listed: list[DueRow] = field(default_factory=list)

    @property
    def rows(self) -> list[DueRow]:
        return self.overdue + self.due_soon + self.due


@dataclass(frozen=True)
class Figure:
    team: str
    rule: Rule
    overdue: int
    due_soon: int
    due: int
    forecast: int
    team_id: int | None = None


@dataclass(frozen=True)
class TeamFigures:
    """One team's open deadlines across every timescale: the service page's first view for a senior leader."""

    team: str
    team_id: int | None
    overdue: int  # stalled cases apart
    due_soon: int
    forecast: int
    stalled: int


def by_timescale(figures: list[Figure]) -> list[Figure]:
    """The council's figures for each timescale, every team added together (rule order)."""
    totals: dict[str, Figure] = {}
    for f in figures:
        held = totals.get(f.rule.id, Figure("All teams", f.rule, 0, 0, 0, 0))
        totals[f.rule.id] = replace(
            held,
            overdue=held.overdue + f.overdue,
            due_soon=held.due_soon + f.due_soon,
            due=held.due + f.due,
            forecast=held.forecast + f.forecast,
        )
    return sorted(totals.values(), key=lambda f: RULE_IDS.index(f.rule.id))


def by_team(figures: list[Figure]) -> list[TeamFigures]:
    """Each team's figures, every timescale added together (stalled cases counted apart), the most overdue first
    and then by name, with numbers in names in their order (team 2 before team 10)."""
    teams: dict[tuple[str, int | None], list[Figure]] = {}
    for f in figures:
        teams.setdefault((f.team, f.team_id), []).append(f)
    rows = [
        TeamFigures(
            name,
            team_id,
            sum(f.overdue for f in held if f.rule.id != STALLED),
            sum(f.due_soon for f in held if f.rule.id != STALLED),
            sum(f.forecast for f in held),
            sum(f.overdue for f in held if f.rule.id == STALLED),
        )
        for (name, team_id), held in teams.items()
    ]
    return sorted(rows, key=lambda t: (-t.overdue, -t.stalled, -t.due_soon, _in_number_order(t.team)))


def _in_number_order(name: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name))


def _filters(rule_id: str | None) -> None:
    if rule_id and rule_id not in RULE_IDS:
        raise ValidationFailed({"rule": f"There is no timescale called {rule_id}"})


def _query(open_only: bool = True) -> Any:
    worker = aliased(User)
    query = (
        select(
            Deadline.id,
            Deadline.person_id,
            Deadline.rule_id,
            Deadline.start_event,
            Deadline.started_on,
            Deadline.due_on,
            Deadline.met_on,
            Deadline.length,
            Deadline.forecast,
            Deadline.status,
            Person.first_name,
            Person.last_name,
            Person.date_of_birth,
            current_postcode(Person.id).label("postcode"),
            worker.full_name.label("worker"),
            Team.name.label("team"),
        )
        .join(Person, Person.id == Deadline.person_id)
        .outerjoin(worker, worker.id == Deadline.worker_id)
        .outerjoin(Team, Team.id == Deadline.team_id)
    )
    if open_only:
        query = query.where(Deadline.met_on.is_(None))
    return query


# Built once (building a statement costs more than running it): a child's deadlines for their case page.
_CHILD_DEADLINES = (
    _query(open_only=False).where(Deadline.person_id == bindparam("person_id")).order_by(Deadline.due_on, Deadline.id)
)

FORECAST_BY_KEY = {f"{f.rule_id}:{f.kind.value}": f for f in FORECASTS}


def _row(session: Session, user: User, row: Any, today: date, due_soon: int, hidden: set[int]) -> DueRow:
    rule = rule_for(row.rule_id, row.started_on)
    kind = EventKind(row.start_event)
    return DueRow(
        row.id,
        row.person_id,
        RESTRICTED_LABEL if row.person_id in hidden else f"{row.first_name} {row.last_name}",
        rule,
        kind,
        row.started_on,
        row.due_on,
        row.met_on,
        # A stopped clock's stored status is final (only open ones move with the date): "lapsed" is
        # one stopped by its plan's end, not met (store._row).
        state_of(row.due_on, row.met_on, today, due_soon, lapsed=row.met_on is not None and row.status == State.LAPSED),
        FORECAST_BY_KEY.get(row.forecast) if row.forecast else None,
        row.worker or "Unallocated",
        row.team or "",
        explain(
            rule.id,
            row.started_on,
            rule=rule,
            length=row.length,
            start_event=f"{kind.label} on {long_date(row.started_on)}",
        ),
        None if row.person_id in hidden else row.date_of_birth,
        None if row.person_id in hidden else postcode_district(row.postcode),
    )


@dataclass(frozen=True)
class ChildDeadlines:
    """One child's deadlines, for their case page: what is open, earliest first, and what was met, met late or
    missed (lapsed) in the current episode, latest first."""

    open: list[DueRow]
    history: list[DueRow]  # empty unless asked for (``with_history``); ``stopped`` and ``missed`` count them
    stopped: int = 0
    missed: int = 0  # met late or lapsed


def deadlines_of_child(
    session: Session, user: User, person_id: int, *, with_history: bool = True, today: date | None = None
) -> ChildDeadlines:
    """The child's stored deadlines: the open ones, and how many were met, met late or missed. The stopped ones
    themselves only ``with_history`` (a long episode has dozens, rarely what a case page is opened for). Read as
    part of their case record: the caller (``casework.case_record``) has asked the access policy for the case and
    audited the view."""
    today = today or today_in_london()
    due_soon = int(local_settings.get(session, "timescales.due_soon.working_days"))
    raws = list(session.execute(_CHILD_DEADLINES, {"person_id": person_id}))
    stopped = [raw for raw in reversed(raws) if raw.met_on is not None]
    rows = [_row(session, user, raw, today, due_soon, set()) for raw in raws if raw.met_on is None]
    missed = sum(
        1
        for raw in stopped
        if state_of(raw.due_on, raw.met_on, today, due_soon, lapsed=raw.status == State.LAPSED)
        in (State.MET_LATE, State.LAPSED)
    )
    return ChildDeadlines(
        [row for row in rows if (row.state.open and row.rule.id != STALLED) or row.stalled],
        [_row(session, user, raw, today, due_soon, set()) for raw in stopped] if with_history else [],
        len(stopped),
        missed,
    )


def _page(session: Session, user: User, rows: list[Any], today: date, **page: Any) -> DuePage:
    due_soon = int(local_settings.get(session, "timescales.due_soon.working_days"))
    hidden = access.hidden_people(session, user, {r.person_id for r in rows})
    result = DuePage([], [], [], [], [], today, **page)
    for raw in rows:
        row = _row(session, user, raw, today, due_soon, hidden)
        if row.rule.id == STALLED:
            if row.state is State.OVERDUE:
                result.stalled.append(row)
            continue
        {State.OVERDUE: result.overdue, State.DUE_SOON: result.due_soon}.get(row.state, result.due).append(row)
        if row.forecast is not None and row.state is not State.OVERDUE:
            result.forecast.append(row)
    return result


def my_due(session: Session, database: Database, user: User, *, today: date | None = None) -> DuePage:
    """The worker's own open deadlines (children allocated to them): overdue, due soon, due, forecast, stalled."""
    access.require_role(database, user, Kind.DUE_WORK, Action.VIEW)
    today = today or today_in_london()
    rows = list(session.execute(_query().where(Deadline.worker_id == user.id).order_by(Deadline.due_on, Deadline.id)))
    page = _page(session, user, rows, today)
    record(session, access.actor_of(user), "list", "due_work", user.id, detail={"page": "mine", "shown": len(rows)})
    return page


def held_for(
    session: Session,
    user: User,
    person_ids: Collection[int],
    rule_ids: Collection[str],
    *,
    today: date | None = None,
) -> DuePage:
    """The open deadlines of these timescales that this user holds, for these children only, sectioned as ``my_due``
    sections them (overdue, due soon, due later, forecast): a capability's own due page, whose service has chosen the
    children by its own access (early help: the families a lead practitioner leads) and audits the read."""
    today = today or today_in_london()
    if not person_ids or not rule_ids:
        return _page(session, user, [], today)
    rows = list(
        session.execute(
            _query()
            .where(
                Deadline.worker_id == user.id,
                Deadline.rule_id.in_(list(rule_ids)),
                Deadline.person_id.in_(list(person_ids)),
            )
            .order_by(Deadline.due_on, Deadline.id)
        )
    )
    return _page(session, user, rows, today)


@dataclass(frozen=True)
class _TeamStatements:
    counts: Any
    listed: Any
    forecast: Any
    stalled: Any


@lru_cache(maxsize=8)
def _team_statements(by_worker: bool, by_rule: bool, descending: bool) -> _TeamStatements:
    """The team page's four statements for one shape of filter, built once with bound parameters: building a
    statement costs more of the page's CPU than running it (issue 12)."""
    scope: list[Any] = [Deadline.team_id == bindparam("team_id")]
    if by_worker:
        scope.append(Deadline.worker_id == bindparam("worker_id"))
    if by_rule:
        scope.append(Deadline.rule_id == bindparam("rule_id"))
    today, soon = bindparam("today", type_=Date), bindparam("soon", type_=Date)
    not_stalled = Deadline.rule_id != STALLED
    counts = select(
        func.sum(case((not_stalled, 1), else_=0)),
        func.sum(case((not_stalled & (Deadline.due_on < today), 1), else_=0)),
        func.sum(case((not_stalled & (Deadline.due_on >= today) & (Deadline.due_on <= soon), 1), else_=0)),
        func.sum(case((not_stalled & Deadline.forecast.is_not(None) & (Deadline.due_on >= today), 1), else_=0)),
        func.sum(case(((Deadline.rule_id == STALLED) & (Deadline.due_on < today), 1), else_=0)),
    ).where(Deadline.met_on.is_(None), *scope)
    order = (Deadline.due_on.desc(), Deadline.id.desc()) if descending else (Deadline.due_on, Deadline.id)
    listed = _query().where(*scope, not_stalled).order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))
    forecast = (
        _query()
        .where(*scope, not_stalled, Deadline.forecast.is_not(None), Deadline.due_on >= today)
        .order_by(Deadline.due_on, Deadline.id)
        .limit(bindparam("limit"))
    )
    stalled = (
        _query()
        .where(*scope, Deadline.rule_id == STALLED, Deadline.due_on < today)
        .order_by(Deadline.due_on, Deadline.id)
        .limit(bindparam("limit"))
    )
    return _TeamStatements(counts, listed, forecast, stalled)


def team_due(
    session: Session,
    database: Database,
    user: User,
    *,
    worker_id: int | None = None,
    rule_id: str | None = None,
    page: int = 1,
    descending: bool = False,
    today: date | None = None,
) -> tuple[DuePage, list[tuple[int, str]]]:
    """A team manager's view across their team, filterable by worker and rule. Returns the page and the team's
    workers (for the filter).

    The figures (overdue, due soon, forecast, stalled) are counted by the database over the whole selection; the
    open deadlines are listed a page at a time in due order, and the forecast and stalled lists show their first
    ``TEAM_PAGE_SIZE`` rows: a large team's page stays the same size however many children it holds."""
    access.require_role(database, user, Kind.DUE_WORK, Action.MANAGE)
    _filters(rule_id)
    if page < 1:
        raise ValidationFailed({"page": "Page must be 1 or more"})
    today = today or today_in_london()
    workers: list[tuple[int, str]] = []
    result = DuePage([], [], [], [], [], today, filters={"worker": worker_id, "rule": rule_id})
    if user.team_id is not None:
        workers = [
            (w_id, name)
            for w_id, name in session.execute(
                select(User.id, User.full_name)
                .where(User.team_id == user.team_id, User.active.is_(True))
                .order_by(User.full_name)
            )
        ]
        due_soon_days = int(local_settings.get(session, "timescales.due_soon.working_days"))
        statements = _team_statements(worker_id is not None, bool(rule_id), descending)
        params = {
            "team_id": user.team_id,
            "worker_id": worker_id,
            "rule_id": rule_id,
            "today": today,
            "soon": store.due_soon_until(today, due_soon_days),
            "limit": TEAM_PAGE_SIZE,
        }
        counted = session.execute(statements.counts, params).one()
        total, overdue, due_soon, forecast_count, stalled = (int(value or 0) for value in counted)
        result.counts = {"overdue": overdue, "due_soon": due_soon, "forecast": forecast_count, "stalled": stalled}
        result.total, result.pages = total, max(1, -(-total // TEAM_PAGE_SIZE))
        result.page = min(page, result.pages)
        listed = list(session.execute(statements.listed, {**params, "offset": (result.page - 1) * TEAM_PAGE_SIZE}))
        forecast_rows = list(session.execute(statements.forecast, params)) if forecast_count else []
        stalled_rows = list(session.execute(statements.stalled, params)) if stalled else []
        hidden = access.hidden_people(session, user, {r.person_id for r in (*listed, *forecast_rows, *stalled_rows)})
        result.listed = [_row(session, user, r, today, due_soon_days, hidden) for r in listed]
        result.forecast = [_row(session, user, r, today, due_soon_days, hidden) for r in forecast_rows]
        result.stalled = [_row(session, user, r, today, due_soon_days, hidden) for r in stalled_rows]
    record(
        session,
        access.actor_of(user),
        "list",
        "due_work",
        user.team_id,
        detail={
            "page": "team",
            "worker": worker_id,
            "rule": rule_id,
            "page_number": result.page,
            "shown": len(result.listed),
        },
    )
    return result, workers


def service_due(
    session: Session,
    database: Database,
    user: User,
    *,
    team_id: int | None = None,
    rule_id: str | None = None,
    state: str | None = None,
    page: int = 1,
    descending: bool = False,
    today: date | None = None,
) -> tuple[DuePage | None, list[Figure], list[tuple[int, str]]]:
    """Across the council: figures by team and rule for everyone allowed; the children (paginated, overdue first)
    for those who may see case work (team managers). Filter by team, rule and state."""
    access.require_role(database, user, Kind.DUE_WORK, Action.LIST)
    _filters(rule_id)
    if state and state not in {s.value for s in State if s.open}:
        raise ValidationFailed({"state": "Choose overdue, due soon or due"})
    if page < 1:
        raise ValidationFailed({"page": "Page must be 1 or more"})
    today = today or today_in_london()
    teams = [(t.id, t.name) for t in session.scalars(select(Team).order_by(Team.name))]
    figures = _figures(session, today, team_id, rule_id)
    result: DuePage | None = None
    if access.role_may(user, Kind.DUE_WORK, Action.VIEW):
        query = _query().where(Deadline.rule_id != STALLED)
        if team_id is not None:
            query = query.where(Deadline.team_id == team_id)
        if rule_id:
            query = query.where(Deadline.rule_id == rule_id)
        soon = store.due_soon_until(today, int(local_settings.get(session, "timescales.due_soon.working_days")))
        if state == State.OVERDUE:
            query = query.where(Deadline.due_on < today)
        elif state == State.DUE_SOON:
            query = query.where(Deadline.due_on >= today, Deadline.due_on <= soon)
        elif state == State.DUE:
            query = query.where(Deadline.due_on > soon)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        order = (Deadline.due_on.desc(), Deadline.id.desc()) if descending else (Deadline.due_on, Deadline.id)
        rows = list(session.execute(query.order_by(*order).limit(PAGE_SIZE).offset((min(page, pages) - 1) * PAGE_SIZE)))
        result = _page(
            session,
            user,
            rows,
            today,
            total=total,
            page=min(page, pages),
            pages=pages,
            filters={"team": team_id, "rule": rule_id, "state": state},
        )
    record(
        session,
        access.actor_of(user),
        "list",
        "due_work",
        None,
        detail={
            "page": "service",
            "team": team_id,
            "rule": rule_id,
            "state": state,
            "page_number": page,
            "children_shown": result is not None,
        },
    )
    return result, figures, teams


def _figures(session: Session, today: date, team_id: int | None, rule_id: str | None) -> list[Figure]:
    soon = store.due_soon_until(today, int(local_settings.get(session, "timescales.due_soon.working_days")))
    overdue = func.sum(case((Deadline.due_on < today, 1), else_=0))
    due_soon = func.sum(case(((Deadline.due_on >= today) & (Deadline.due_on <= soon), 1), else_=0))
    due = func.sum(case((Deadline.due_on > soon, 1), else_=0))
    forecast = func.sum(case((Deadline.forecast.is_not(None) & (Deadline.due_on >= today), 1), else_=0))
    query = (
        select(Team.name, Deadline.rule_id, overdue, due_soon, due, forecast, Deadline.team_id)
        .select_from(Deadline)
        .outerjoin(Team, Team.id == Deadline.team_id)
        .where(Deadline.met_on.is_(None))
        .group_by(Deadline.team_id, Team.name, Deadline.rule_id)
    )
    if team_id is not None:
        query = query.where(Deadline.team_id == team_id)
    if rule_id:
        query = query.where(Deadline.rule_id == rule_id)
    figures = [
        Figure(name or "Unallocated", rule_for(rid, today), int(o or 0), int(s or 0), int(d or 0), int(f or 0), team)
        for name, rid, o, s, d, f, team in session.execute(query)
    ]
    return sorted(figures, key=lambda f: (_in_number_order(f.team), RULE_IDS.index(f.rule.id)))


@dataclass(frozen=True)
class DeadlineDetail:
    row: DueRow
    met_source: str | None
    exceeded_reason: str | None
    forecast: Forecast | None
    # A lapsed clock: the plan's end that stopped it ("child protection plan 12 on 2026-03-02"); it was not met.
    plan_ended: str | None = None


def deadline_detail(
    session: Session, database: Database, user: User, deadline_id: int, *, today: date | None = None
) -> DeadlineDetail:
    """One deadline explained: the rule in force, the event that started it, what the count skipped."""
    deadline = session.get(Deadline, deadline_id)
    if deadline is None:
        raise NotFound("There is no such deadline.")
    subject = AccessSubject(
        Kind.DUE_WORK,
        deadline.id,
        person_ids=(deadline.person_id,),
        allocated_user_ids=(deadline.worker_id,) if deadline.worker_id else (),
        team_id=deadline.team_id,
    )
    access.require(session, database, user, Action.VIEW, subject)
    if Role(user.role) != Role.TEAM_MANAGER and deadline.worker_id != user.id:
        reason = "deadline of a child not allocated to this worker"
        record(
            session,
            access.actor_of(user),
            "view",
            "due_work",
            deadline.id,
            person_id=deadline.person_id,
            reason=reason,
            outcome="refused",
            survive_rollback=True,
        )
        raise AccessDenied("You do not have access to this deadline.")
    today = today or today_in_london()
    raw = session.execute(_query(open_only=False).where(Deadline.id == deadline_id)).one()
    due_soon = int(local_settings.get(session, "timescales.due_soon.working_days"))
    row = _row(session, user, raw, today, due_soon, set())
    met = (
        f"{deadline.met_source_kind.replace('_', ' ')} on {long_date(deadline.met_on)}"
        if deadline.met_on and deadline.met_source_kind
        else None
    )
    ended = None
    if row.state is State.LAPSED:
        ended, met = met, None
    record(
        session,
        access.actor_of(user),
        "view",
        "deadline",
        deadline.id,
        person_id=deadline.person_id,
        detail={"rule": deadline.rule_id},
    )
    return DeadlineDetail(row, met, deadline.exceeded_reason, row.forecast, ended)
