"""The MASH dashboard: contacts waiting and overdue, decisions by worker, time to decision, re-referrals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from safeguarding.casework.models import Referral
from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import LONDON, today_in_london
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field
from safeguarding.core.users import User
from safeguarding.front_door import rules
from safeguarding.front_door.contacts import (
    OPEN,
    council_settings,
    level_labels,
    user_names,
)
from safeguarding.front_door.models import (
    Contact,
    ContactDecision,
    DecisionStatus,
)


@dataclass(frozen=True)
class WorkerRow:
    name: str
    decisions: int
    by_level: dict[int, int]
    by_outcome: dict[str, int]

    def level_share(self, level: int) -> float:
        return self.by_level.get(level, 0) / self.decisions if self.decisions else 0.0

    def outcome_share(self, outcome: str) -> float:
        return self.by_outcome.get(outcome, 0) / self.decisions if self.decisions else 0.0


@dataclass(frozen=True)
class Dashboard:
    period_start: date
    period_end: date
    waiting: dict[tuple[str, int], int]  # (rag or "unrated", age band index) -> contacts
    waiting_total: int
    overdue: dict[str, int]  # rag or "unrated" -> open contacts past their decision deadline
    overdue_total: int
    workers: list[WorkerRow]
    team: WorkerRow
    decisions: int
    within_deadline: int
    median_working_hours: float | None
    referrals: int
    re_referrals: int
    level_labels: dict[int, str]
    age_bands: tuple[tuple[str, float, float | None], ...] = rules.AGE_BANDS
    national_re_referral_rate: float = rules.NATIONAL_RE_REFERRAL_RATE
    national_source: str = rules.NATIONAL_RE_REFERRAL_SOURCE

    @property
    def within_deadline_rate(self) -> float | None:
        return self.within_deadline / self.decisions if self.decisions else None

    @property
    def re_referral_rate(self) -> float | None:
        return self.re_referrals / self.referrals if self.referrals else None


def _period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """London days [start, end] as UTC instants [from, to)."""
    return (
        datetime.combine(start, time(0), LONDON).astimezone(UTC),
        datetime.combine(end + timedelta(days=1), time(0), LONDON).astimezone(UTC),
    )


def parse_period(start: str | None, end: str | None, today: date | None = None) -> tuple[date, date]:
    """The dashboard's period; by default the last 30 days up to today."""
    today = today or today_in_london()
    errors: dict[str, str] = {}
    period_end = date_field(end, "period_end", "the end of the period", errors, required=False) or today
    period_start = date_field(start, "period_start", "the start of the period", errors, required=False) or (
        period_end - timedelta(days=29)
    )
    if not errors and period_start > period_end:
        errors["period_start"] = "The start of the period must be on or before its end"
    if errors:
        raise ValidationFailed(errors)
    return period_start, period_end


def dashboard(
    session: Session, database: Database, user: User, period_start: date, period_end: date, now: datetime | None = None
) -> Dashboard:
    """The MASH's figures, each aggregated in SQL."""
    access.require_role(database, user, Kind.MASH_DASHBOARD, Action.VIEW)
    now = now or utcnow()
    open_statuses = [s.value for s in OPEN]
    rag_key = func.coalesce(Contact.rag, "unrated")

    # Contacts waiting, by RAG and by age (calendar hours since receipt).
    band_whens = []
    for index, (_label, _low, high) in enumerate(rules.AGE_BANDS):
        if high is not None:
            band_whens.append((Contact.received_at > now - timedelta(hours=high), index))
    band = case(*band_whens, else_=len(rules.AGE_BANDS) - 1)
    waiting = {
        (str(r), int(b)): int(n)
        for r, b, n in session.execute(
            select(rag_key, band, func.count()).where(Contact.status.in_(open_statuses)).group_by(rag_key, band)
        )
    }
    overdue = {
        str(r): int(n)
        for r, n in session.execute(
            select(rag_key, func.count())
            .where(Contact.status.in_(open_statuses), Contact.due_at < now)
            .group_by(rag_key)
        )
    }

    # Decisions made in the period (returned ones were replaced by the decision made after them).
    since, until = _period_bounds(period_start, period_end)
    in_period = and_(
        ContactDecision.decided_at >= since,
        ContactDecision.decided_at < until,
        ContactDecision.status != DecisionStatus.RETURNED,
    )
    by_level: dict[int, dict[int, int]] = defaultdict(dict)
    by_outcome: dict[int, dict[str, int]] = defaultdict(dict)
    for worker_id, level, n in session.execute(
        select(ContactDecision.decided_by_id, ContactDecision.level_of_need, func.count())
        .where(in_period)
        .group_by(ContactDecision.decided_by_id, ContactDecision.level_of_need)
    ):
        by_level[worker_id][int(level)] = int(n)
    for worker_id, outcome, n in session.execute(
        select(ContactDecision.decided_by_id, ContactDecision.outcome, func.count())
        .where(in_period)
        .group_by(ContactDecision.decided_by_id, ContactDecision.outcome)
    ):
        by_outcome[worker_id][str(outcome)] = int(n)
    names = user_names(session, set(by_level))
    workers = sorted(
        (
            WorkerRow(
                name=names.get(w, str(w)), decisions=sum(levels.values()), by_level=levels, by_outcome=by_outcome[w]
            )
            for w, levels in by_level.items()
        ),
        key=lambda row: row.name,
    )
    team_levels: dict[int, int] = defaultdict(int)
    team_outcomes: dict[str, int] = defaultdict(int)
    for row in workers:
        for level, n in row.by_level.items():
            team_levels[level] += n
        for outcome_key, n in row.by_outcome.items():
            team_outcomes[outcome_key] += n
    decisions, within = session.execute(
        select(
            func.count(), func.coalesce(func.sum(case((ContactDecision.within_deadline.is_(True), 1), else_=0)), 0)
        ).where(in_period)
    ).one()
    median = _median_hours(session, in_period, int(decisions))

    referral_rows = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Referral.is_re_referral.is_(True), 1), else_=0)), 0)).where(
            Referral.referral_date >= period_start, Referral.referral_date <= period_end
        )
    ).one()
    record(
        session,
        access.actor_of(user),
        "view",
        "mash_dashboard",
        None,
        detail={"period_start": period_start.isoformat(), "period_end": period_end.isoformat()},
    )
    return Dashboard(
        period_start=period_start,
        period_end=period_end,
        waiting=waiting,
        waiting_total=sum(waiting.values()),
        overdue=overdue,
        overdue_total=sum(overdue.values()),
        workers=workers,
        team=WorkerRow(
            name="Whole MASH",
            decisions=sum(team_levels.values()),
            by_level=dict(team_levels),
            by_outcome=dict(team_outcomes),
        ),
        decisions=int(decisions),
        within_deadline=int(within),
        median_working_hours=median,
        referrals=int(referral_rows[0]),
        re_referrals=int(referral_rows[1]),
        level_labels=level_labels(council_settings(session)),
    )


def _median_hours(session: Session, condition: Any, count: int) -> float | None:
    """Median working hours to decision, by the middle row(s) in SQL (portable: SQLite has no percentile)."""
    if count == 0:
        return None
    ordered = (
        select(ContactDecision.working_hours_to_decision)
        .where(condition)
        .order_by(ContactDecision.working_hours_to_decision)
    )
    middle = [float(session.scalar(ordered.offset(k).limit(1)) or 0.0) for k in sorted({(count - 1) // 2, count // 2})]
    return sum(middle) / len(middle)
