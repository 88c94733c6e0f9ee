"""Use-cases of the timescales capability: deriving and storing deadlines, and the due pages' reads.

Deadlines are derived from events (``events.clock_events`` -> ``rules.derive``) and stored in ``deadline``,
replacing the child's previous set in the caller's transaction. Case work calls ``recompute_for_child`` after
every write of a case event; ``recompute_all`` rebuilds the whole council (the nightly job and the benchmark).
Deadlines are held for children whose case is open.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from safeguarding.core.db import utcnow
from safeguarding.core.local_settings import get_all
from safeguarding.timescales.events import CaseEvents, clock_events
from safeguarding.timescales.models import Deadline
from safeguarding.timescales.rules import DUE_SOON_DEFAULT, Derived, Lengths, derive, forecast


def today_in_london() -> date:
    from safeguarding.core.calendar import LONDON

    return utcnow().astimezone(LONDON).date()


@dataclass(frozen=True)
class RecomputeResult:
    children: int
    deadlines: int


def _rows(case_events: CaseEvents, person_ids: Iterable[int], settings: Mapping[str, Any], today: date
          ) -> list[dict[str, Any]]:
    lengths = Lengths(settings)
    due_soon = int(settings.get("timescales.due_soon.working_days", DUE_SOON_DEFAULT))
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for person_id in person_ids:
        events = case_events.events.get(person_id, [])
        worker, team = case_events.worker_of.get(person_id), case_events.team_of.get(person_id)
        for item in derive(person_id, events, lengths):
            rows.append(_row(item, events, today, due_soon, worker, team, now))
    return rows


def _row(item: Derived, events: list[Any], today: date, due_soon: int, worker: int | None, team: int | None,
         now: Any) -> dict[str, Any]:
    predicted = forecast(item, events, today)
    return {
        "person_id": item.person_id, "rule_id": item.rule.id, "source_kind": item.start.source_kind,
        "source_id": item.start.source_id, "start_event": item.start.kind.value, "started_on": item.start.on,
        "length": item.length, "due_on": item.due, "met_on": item.met_on,
        "met_source_kind": item.met_by.source_kind if item.met_by else None,
        "met_source_id": item.met_by.source_id if item.met_by else None,
        "status": item.state(today, due_soon).value,
        "forecast": f"{predicted.rule_id}:{predicted.kind.value}" if predicted else None,
        "exceeded_reason": item.exceeded_reason, "worker_id": worker, "team_id": team, "computed_at": now,
    }


def recompute(session: Session, person_ids: Collection[int], *, today: date | None = None,
              settings: Mapping[str, Any] | None = None) -> RecomputeResult:
    """Replace the deadlines of these children with those derived from their events now (caller's transaction)."""
    if not person_ids:
        return RecomputeResult(0, 0)
    today = today or today_in_london()
    settings = settings if settings is not None else get_all(session)
    session.flush()  # the caller's pending case writes are part of what is derived
    case_events = clock_events(session, person_ids, today)
    ids = sorted(set(person_ids))
    for index in range(0, len(ids), 900):
        session.execute(delete(Deadline).where(Deadline.person_id.in_(ids[index:index + 900])))
    rows = _rows(case_events, sorted(case_events.open_children & set(ids)), settings, today)
    if rows:
        session.execute(insert(Deadline), rows)
    return RecomputeResult(len(ids), len(rows))


def recompute_for_child(session: Session, person_id: int, *, today: date | None = None) -> None:
    """Derive one child's deadlines from their events and store them, replacing the previous set.

    Case work calls this after every write of a case event, in the same transaction. A child whose case is not
    open keeps no deadlines.
    """
    recompute(session, [person_id], today=today)


def recompute_all(session: Session, *, today: date | None = None,
                  settings: Mapping[str, Any] | None = None) -> RecomputeResult:
    """Every open child's deadlines from every event: a few queries, then the pure rules in Python."""
    today = today or today_in_london()
    settings = settings if settings is not None else get_all(session)
    session.flush()
    case_events = clock_events(session, None, today)
    session.execute(delete(Deadline))
    rows = _rows(case_events, sorted(case_events.open_children), settings, today)
    if rows:
        session.execute(insert(Deadline), rows)
    return RecomputeResult(len(case_events.open_children), len(rows))
