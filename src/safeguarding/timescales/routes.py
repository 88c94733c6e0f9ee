"""Pages (``router``) and JSON (``api_router``) of the timescales capability. Every route is declared in the
authorization matrix (tests/timescales/authorization.py).

``/due`` is a worker's own page, ``/due/team`` a team manager's across their team, ``/due/service`` the council's
(team managers see the children, performance analysts the figures), ``/due/deadlines/{id}`` one deadline explained.
Routes only translate between HTTP and ``timescales.service``, which asks the access policy and audits.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from safeguarding.core.calendar import today_in_london
from safeguarding.core.errors import ValidationFailed
from safeguarding.timescales import service
from safeguarding.timescales.rules import RULE_IDS, State, rule_for
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)


def _int(value: str | None, field: str, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        errors[field] = f"{field.capitalize()} must be a number"
        return None


def _common() -> dict[str, Any]:
    return {"rule_choices": [(rid, rule_for(rid, today_in_london()).name) for rid in RULE_IDS], "State": State}


@router.get("/due", include_in_schema=False)
def my_due(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    page = service.my_due(db, database, user)
    return render(request, "timescales/due_mine.html", title="What is due", page=page, **_common())


@router.get("/due/team", include_in_schema=False)
def team_due(
    request: Request,
    db: DbSession,
    database: Db,
    user: CurrentUser,
    worker: str | None = None,
    rule: str | None = None,
    order: str = "due",
    page: str | None = None,
) -> Response:
    errors: dict[str, str] = {}
    worker_id = _int(worker, "worker", errors)
    page_number = _int(page, "page", errors) or 1
    descending = order == "-due"
    if not errors:
        try:
            result, workers = service.team_due(
                db, database, user, worker_id=worker_id, rule_id=rule or None, page=page_number, descending=descending
            )
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        result, workers = service.team_due(db, database, user, descending=descending)
    return render(
        request,
        "timescales/due_team.html",
        status_code=422 if errors else 200,
        title="Team timescales",
        page=result,
        workers=workers,
        errors=errors or None,
        descending=descending,
        **_common(),
    )


@router.get("/due/service", include_in_schema=False)
def service_due(
    request: Request,
    db: DbSession,
    database: Db,
    user: CurrentUser,
    team: str | None = None,
    rule: str | None = None,
    state: str | None = None,
    page: str | None = None,
    order: str = "due",
) -> Response:
    errors: dict[str, str] = {}
    team_id = _int(team, "team", errors)
    page_number = _int(page, "page", errors) or 1
    descending = order == "-due"
    try:
        result, figures, teams = service.service_due(
            db,
            database,
            user,
            team_id=team_id,
            rule_id=rule or None,
            state=state or None,
            page=page_number,
            descending=descending,
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        result, figures, teams = service.service_due(db, database, user)
    return render(
        request,
        "timescales/due_service.html",
        status_code=422 if errors else 200,
        title="Timescales across the service",
        page=result,
        figures=figures,
        teams=teams,
        by_timescale=service.by_timescale(figures),
        by_team=service.by_team(figures),
        filters={} if errors else {"team": team_id, "rule": rule or None, "state": state or None},
        errors=errors or None,
        descending=descending,
        **_common(),
    )


@router.get("/due/deadlines/{deadline_id}", include_in_schema=False)
def deadline_detail(
    request: Request, deadline_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    detail = service.deadline_detail(db, database, user, deadline_id)
    return render(
        request,
        "timescales/deadline.html",
        title=f"{detail.row.rule.name}: due date explained",
        detail=detail,
        row=detail.row,
    )
