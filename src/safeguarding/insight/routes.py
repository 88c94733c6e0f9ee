"""Pages (``router``) and JSON (``api_router``) of the leaders' insight: indicators, workforce and the improvement
plan, at their addresses under /returns/. Every route is declared in the authorization matrix
(tests/returns/authorization_insight.py)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.users import Team, User
from safeguarding.insight import improvement, indicators, workforce
from safeguarding.insight.improvement import ActionDone, ActionInput, ItemInput
from safeguarding.insight.workforce import ContractEnd, ContractInput, VacancyFilled, VacancyInput
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import read_query, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)


def _may(kind: Kind, action: Action) -> Any:
    """A route's own access check, before its form is read: a role that may not change the page is refused (403,
    audited) whatever it sent."""

    def check(database: Db, user: CurrentUser) -> None:
        access.require_role(database, user, kind, action)

    return Depends(check)


KEEPS_WORKFORCE = _may(Kind.WORKFORCE, Action.UPDATE)
KEEPS_PLAN = _may(Kind.IMPROVEMENT_PLAN, Action.UPDATE)


# --- indicators ------------------------------------------------------------------------------------------------


def _filters(request: Request, db: Session) -> indicators.Filters:
    q = read_query(request)
    return indicators.parse_filters(db, q.get("from"), q.get("to"), q.get("team"))


def _teams(db: Session) -> list[tuple[str, str]]:
    return [(str(t.id), t.name) for t in db.scalars(select(Team).order_by(Team.name))]


def _filter_query(filters: indicators.Filters) -> str:
    return urlencode(
        {"from": filters.period.start.isoformat(), "to": filters.period.end.isoformat(), "team": filters.team_id or ""}
    )


@router.get("/returns/indicators")
def indicators_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.INDICATORS, Action.VIEW)
    q = read_query(request)
    form = {"from": q.get("from", ""), "to": q.get("to", ""), "team": q.get("team", "")}
    try:
        filters = _filters(request, db)
    except ValidationFailed as exc:
        return render(
            request,
            "insight/indicators.html",
            status_code=422,
            errors=exc.errors,
            form=form,
            teams=_teams(db),
            results=[],
            filters=None,
            query="",
        )
    results = indicators.figures(db, database, user, filters)
    form = {
        "from": filters.period.start.isoformat(),
        "to": filters.period.end.isoformat(),
        "team": str(filters.team_id or ""),
    }
    return render(
        request,
        "insight/indicators.html",
        form=form,
        teams=_teams(db),
        filters=filters,
        results=[(f, indicators.chart_spec(f)) for f in results],
        query=_filter_query(filters),
    )


@router.get("/returns/indicators/csv")
def indicators_csv(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.INDICATORS, Action.VIEW)
    key = request.query_params.get("indicator") or None
    try:
        filters = _filters(request, db)
        if key is not None and key not in indicators.BY_KEY:
            raise ValidationFailed({"indicator": "Choose an indicator from the page"})
    except ValidationFailed as exc:
        return Response(
            "\n".join(f"{name}: {message}" for name, message in exc.errors.items()) + "\n",
            status_code=422,
            media_type="text/plain; charset=utf-8",
        )
    body = indicators.export_csv(db, database, user, filters, [key] if key else None)
    name = f"indicators-{key or 'all'}-{filters.period.start.isoformat()}-to-{filters.period.end.isoformat()}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/returns/indicators/children")
def indicator_children(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.INDICATORS, Action.VIEW)
    q = read_query(request)
    month = q.get("month") or None
    try:
        filters = _filters(request, db)
        if month is not None and not re.fullmatch(r"\d{4}-\d{2}", month):
            raise ValidationFailed({"month": "The month must look like 2026-03"})
        fig, rows = indicators.children_behind(db, database, user, filters, q.get("indicator", ""), month)
    except ValidationFailed as exc:
        return render(
            request,
            "insight/indicators_children.html",
            status_code=422,
            errors=exc.errors,
            fig=None,
            rows=[],
            filters=None,
            month=month,
            query="",
        )
    return render(
        request,
        "insight/indicators_children.html",
        fig=fig,
        rows=rows,
        filters=filters,
        month=month,
        query=_filter_query(filters),
        errors=None,
    )


# --- workforce -------------------------------------------------------------------------------------------------

CONTRACTS = "/returns/workforce/contracts"


@router.get("/returns/workforce")
def workforce_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.WORKFORCE, Action.VIEW)
    raw = read_query(request).get("on", "")
    try:
        on = workforce.parse_day(raw, today_in_london())
    except ValidationFailed as exc:
        return render(request, "insight/workforce.html", status_code=422, errors=exc.errors, picture=None, on=raw)
    return render(
        request,
        "insight/workforce.html",
        picture=workforce.picture(db, database, user, on),
        on=on.isoformat(),
        errors=None,
    )


def _contracts_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    rows, vacancies = workforce.contracts(db, database, user)
    return render(
        request,
        "insight/workforce_contracts.html",
        contracts=rows,
        vacancies=vacancies,
        errors=errors,
        form=form or {},
        staff=workforce.staff_choices(db),
        teams=_teams(db),
        types=list(workforce.EMPLOYMENT_TYPES.items()),
        may_edit=access.role_may(user, Kind.WORKFORCE, Action.UPDATE),
    )


@router.get(CONTRACTS)
def workforce_contracts(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _contracts_page(request, db, database, user)


@router.post(CONTRACTS, dependencies=[KEEPS_WORKFORCE])
async def workforce_add_contract(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: workforce.add_contract(db, database, user, ContractInput.read(form)),
        done=CONTRACTS,
        again=lambda form, errors: _contracts_page(request, db, database, user, errors, form.as_dict()),
    )


@router.post(CONTRACTS + "/{contract_id}/end", dependencies=[KEEPS_WORKFORCE])
async def workforce_end_contract(
    request: Request, contract_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: workforce.end_contract(db, database, user, contract_id, ContractEnd.read(form)),
        done=CONTRACTS,
        again=lambda form, errors: _contracts_page(request, db, database, user, errors, form.as_dict()),
    )


@router.post("/returns/workforce/vacancies", dependencies=[KEEPS_WORKFORCE])
async def workforce_add_vacancy(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: workforce.add_vacancy(db, database, user, VacancyInput.read(form)),
        done=CONTRACTS,
        again=lambda form, errors: _contracts_page(request, db, database, user, errors, form.as_dict()),
    )


@router.post("/returns/workforce/vacancies/{vacancy_id}/filled", dependencies=[KEEPS_WORKFORCE])
async def workforce_fill_vacancy(
    request: Request, vacancy_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: workforce.fill_vacancy(db, database, user, vacancy_id, VacancyFilled.read(form)),
        done=CONTRACTS,
        again=lambda form, errors: _contracts_page(request, db, database, user, errors, form.as_dict()),
    )


# --- improvement plan ------------------------------------------------------------------------------------------

PLAN = "/returns/improvement"


def _plan_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    today = today_in_london()
    return render(
        request,
        "insight/improvement.html",
        items=improvement.plan(db, database, user, today),
        errors=errors,
        form=form or {},
        kinds=list(improvement.ITEM_KINDS.items()),
        choices=[(i.key, i.title) for i in indicators.INDICATORS],
        may_edit=access.role_may(user, Kind.IMPROVEMENT_PLAN, Action.UPDATE),
        today=today,
    )


@router.get(PLAN)
def improvement_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _plan_page(request, db, database, user)


@router.post(PLAN + "/items", dependencies=[KEEPS_PLAN])
async def improvement_add_item(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: improvement.add_item(db, database, user, ItemInput.read(form)),
        done=PLAN,
        again=lambda form, errors: _plan_page(request, db, database, user, errors, form.as_dict()),
    )


@router.post(PLAN + "/items/{improvement_item_id}/actions", dependencies=[KEEPS_PLAN])
async def improvement_add_action(
    request: Request, improvement_item_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: improvement.add_action(db, database, user, improvement_item_id, ActionInput.read(form)),
        done=PLAN,
        again=lambda form, errors: _plan_page(request, db, database, user, errors, form.as_dict()),
    )


@router.post(PLAN + "/actions/{improvement_action_id}/done", dependencies=[KEEPS_PLAN])
async def improvement_action_done(
    request: Request, improvement_action_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: improvement.complete_action(db, database, user, improvement_action_id, ActionDone.read(form)),
        done=PLAN,
        again=lambda form, errors: _plan_page(request, db, database, user, errors, form.as_dict()),
    )
