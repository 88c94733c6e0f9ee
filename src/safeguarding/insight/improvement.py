"""The improvement plan: inspection findings and recommendations, their actions, and the live evidence.

An item is a finding, a recommendation or an area for priority action as written in an Ofsted letter or report (a
monitoring visit of a council judged inadequate, a focused visit, an inspection under Ofsted's ILACS framework).
Each has actions (what, who owns it, by when, done when) and the indicators (insight/indicators.py) that show
progress. The board's page puts plan and evidence together: for each indicator, the figure in the six months
before the letter beside the figure since, and the national figure.

Who (core/access.py IMPROVEMENT_PLAN): analysts and managers read it; analysts and team managers keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import add_calendar_months
from safeguarding.core.dates import DateKind
from safeguarding.core.db import Database
from safeguarding.core.errors import Conflict, NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.users import User
from safeguarding.insight import indicators
from safeguarding.insight.models import ImprovementAction, ImprovementItem
from safeguarding.insight.period import Period
from safeguarding.web.forms import PostedForm

ITEM_KINDS: Final = MappingProxyType(
    {
        "priority_action": "Area for priority action",
        "finding": "Finding",
        "recommendation": "Recommendation",
    }
)
SOURCE_MAX = 200
TEXT_MAX = 4000
OWNER_MAX = 200
BASELINE_MONTHS = 6


def action_state(due_on: date, done_on: date | None, today: date) -> str:
    """done | overdue | due (pure)."""
    if done_on is not None:
        return "done"
    return "overdue" if due_on < today else "due"


def progress(before: float | None, since: float | None, better: str) -> str:
    """Whether a rate moved the right way (pure): improving | worsening | unchanged | not known."""
    if before is None or since is None or not better:
        return "not known"
    if abs(since - before) < 0.005:
        return "unchanged"
    return "improving" if (since > before) == (better == "higher") else "worsening"


@dataclass(frozen=True)
class Evidence:
    indicator: indicators.Indicator
    before: indicators.Figure
    since: indicators.Figure | None
    direction: str


@dataclass(frozen=True)
class PlanItem:
    item: ImprovementItem
    actions: list[tuple[ImprovementAction, str]]
    evidence: list[Evidence]

    @property
    def done(self) -> int:
        return sum(1 for _a, state in self.actions if state == "done")

    @property
    def overdue(self) -> int:
        return sum(1 for _a, state in self.actions if state == "overdue")


def plan(session: Session, database: Database, user: User, today: date) -> list[PlanItem]:
    access.require_role(database, user, Kind.IMPROVEMENT_PLAN, Action.VIEW)
    items = session.scalars(
        select(ImprovementItem).order_by(ImprovementItem.reported_on.desc(), ImprovementItem.id)
    ).all()
    cache: dict[tuple[date, date], indicators.Facts] = {}

    def figure_for(key: str, period: Period) -> indicators.Figure:
        facts = cache.get((period.start, period.end))
        if facts is None:
            facts = cache[(period.start, period.end)] = indicators.load_facts(session, period, today=today)
        (fig,) = indicators.compute(facts, period, today, [key])
        return fig

    out = []
    for item in items:
        baseline = Period(add_calendar_months(item.reported_on, -BASELINE_MONTHS) + timedelta(days=1), item.reported_on)
        since = Period(item.reported_on + timedelta(days=1), today) if today > item.reported_on else None
        evidence = []
        for key in item.indicators:
            indicator = indicators.BY_KEY.get(key)
            if indicator is None:
                continue
            before = figure_for(key, baseline)
            after = figure_for(key, since) if since else None
            evidence.append(
                Evidence(
                    indicator,
                    before,
                    after,
                    progress(
                        before.rate if indicator.kind == "rate" else None,
                        after.rate if after and indicator.kind == "rate" else None,
                        indicator.better,
                    ),
                )
            )
        out.append(PlanItem(item, [(a, action_state(a.due_on, a.done_on, today)) for a in item.actions], evidence))
    record(session, access.actor_of(user), "view", "improvement_plan", None, detail={"items": len(out)})
    return out


@dataclass(frozen=True)
class ItemInput:
    """A finding, recommendation or area for priority action as written in the letter, with the indicators that
    show progress on it."""

    kind: str
    source: str
    reported_on: date
    text: str
    indicators: tuple[str, ...]

    @classmethod
    def read(cls, form: PostedForm) -> ItemInput:
        errors: dict[str, str] = {}
        kind = form.get("kind", "")
        if kind not in ITEM_KINDS:
            errors["kind"] = "Choose finding, recommendation or area for priority action"
        source = text_field(
            form.get("source"),
            "source",
            "where it comes from (the letter or report and its date)",
            errors,
            limit=SOURCE_MAX,
        )
        reported = date_field(form.get("reported_on"), "reported_on", "the date of the letter or report", errors)
        text = text_field(form.get("text"), "text", "the finding or recommendation as written", errors, limit=TEXT_MAX)
        chosen = form.all("indicators")
        if any(key not in indicators.BY_KEY for key in chosen):
            errors["indicators"] = "Choose indicators from the list"
        if errors:
            raise ValidationFailed(errors)
        assert source and reported and text
        return cls(kind, source, reported, text, tuple(dict.fromkeys(chosen)))


@dataclass(frozen=True)
class ActionInput:
    description: str
    owner: str
    due_on: date

    @classmethod
    def read(cls, form: PostedForm) -> ActionInput:
        errors: dict[str, str] = {}
        description = text_field(form.get("description"), "description", "the action", errors, limit=TEXT_MAX)
        owner = text_field(form.get("owner"), "owner", "who owns the action", errors, limit=OWNER_MAX)
        due = date_field(form.get("due_on"), "due_on", "the date it is due", errors, kind=DateKind.BOOKED)
        if errors:
            raise ValidationFailed(errors)
        assert description and owner and due
        return cls(description, owner, due)


@dataclass(frozen=True)
class ActionDone:
    """The day an action was done, and its version as the page showed it (None: not checked)."""

    done_on: date
    version: int | None

    @classmethod
    def read(cls, form: PostedForm) -> ActionDone:
        errors: dict[str, str] = {}
        done = date_field(form.get("done_on"), "done_on", "the date it was done", errors)
        if errors:
            raise ValidationFailed(errors)
        assert done
        return cls(done, record_id(form.get("version")))


def add_item(session: Session, database: Database, user: User, entered: ItemInput) -> ImprovementItem:
    access.require_role(database, user, Kind.IMPROVEMENT_PLAN, Action.UPDATE)
    item = ImprovementItem(
        kind=entered.kind,
        source=entered.source,
        reported_on=entered.reported_on,
        text=entered.text,
        indicators=list(entered.indicators),
        recorded_by_id=user.id,
    )
    session.add(item)
    session.flush()
    record(
        session,
        access.actor_of(user),
        "create",
        "improvement_item",
        item.id,
        detail={"kind": entered.kind, "indicators": item.indicators},
    )
    return item


def add_action(
    session: Session, database: Database, user: User, item_id: int, entered: ActionInput
) -> ImprovementAction:
    access.require_role(database, user, Kind.IMPROVEMENT_PLAN, Action.UPDATE)
    item = session.get(ImprovementItem, item_id)
    if item is None:
        raise NotFound("No such item in the improvement plan.")
    if item.reported_on and entered.due_on < item.reported_on:
        raise ValidationFailed({"due_on": "The action cannot be due before the letter or report it answers"})
    action = ImprovementAction(
        item_id=item.id, description=entered.description, owner=entered.owner, due_on=entered.due_on
    )
    session.add(action)
    session.flush()
    record(
        session,
        access.actor_of(user),
        "create",
        "improvement_action",
        action.id,
        detail={"item_id": item.id, "due_on": entered.due_on.isoformat()},
    )
    return action


def complete_action(
    session: Session, database: Database, user: User, action_id: int, done: ActionDone
) -> ImprovementAction:
    access.require_role(database, user, Kind.IMPROVEMENT_PLAN, Action.UPDATE)
    action = session.get(ImprovementAction, action_id)
    if action is None:
        raise NotFound("No such action in the improvement plan.")
    if done.version is not None and done.version != action.version:
        raise Conflict("Someone changed this action since you opened the page. Reload it and try again.")
    if action.done_on is not None:
        raise ValidationFailed({"done_on": "This action is already done"})
    action.done_on = done.done_on
    record(
        session,
        access.actor_of(user),
        "update",
        "improvement_action",
        action.id,
        detail={"done_on": done.done_on.isoformat()},
    )
    return action
