"""Pages (``router``) and JSON (``api_router``) of Annex A, indicators, workforce and the improvement plan.
Every route is declared in the authorization matrix (tests/returns/authorization_insight.py)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.calendar import add_calendar_months, today_in_london
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.users import Team, User
from safeguarding.returns import annex_a, improvement, indicators, workforce
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Annex A ------------------------------------------------------------------------------------------------------


def _annex_page(request: Request, form: dict[str, str], errors: dict[str, str] | None = None,
                status_code: int = 200) -> Response:
    return render(request, "returns/annex_a.html", status_code=status_code, form=form, errors=errors,
                  lists=annex_a.LISTS, not_held=annex_a.NOT_HELD)


@router.get("/returns/annex-a")
def annex_a_form(request: Request, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    today = today_in_london()
    start = add_calendar_months(today, -6) + timedelta(days=1)
    return _annex_page(request, {"from": start.isoformat(), "to": today.isoformat()})


@router.post("/returns/annex-a")
async def annex_a_download(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    raw = await request.form()
    form = {name: str(raw.get(name) or "") for name in ("from", "to")}
    result: Response = await run_in_threadpool(_annex_download, request, db, database, user, form)
    return result


def _annex_download(request: Request, db: Session, database: Database, user: User, form: dict[str, str]
                    ) -> Response:
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    try:
        period = annex_a.parse_period(form["from"], form["to"])
    except ValidationFailed as exc:
        return _annex_page(request, form, exc.errors, 422)
    buffer = io.BytesIO()
    annex = annex_a.export_annex_a(db, period, buffer, user=user, database=database)
    if not annex.child_rows:
        return _annex_page(request, form, {"from": f"Nothing to export: no contacts, referrals, assessments, "
                                                   f"enquiries, plans, missing episodes or screenings from "
                                                   f"{period.start:%-d %B %Y} to {period.end:%-d %B %Y}."}, 422)
    name = f"annex-a-{period.start.isoformat()}-to-{period.end.isoformat()}.xlsx"
    return Response(buffer.getvalue(), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# --- indicators ------------------------------------------------------------------------------------------------

def _filters(request: Request, db: Session) -> indicators.Filters:
    q = request.query_params
    return indicators.parse_filters(db, q.get("from"), q.get("to"), q.get("team"))


def _teams(db: Session) -> list[tuple[str, str]]:
    return [(str(t.id), t.name) for t in db.scalars(select(Team).order_by(Team.name))]


def _filter_query(filters: indicators.Filters) -> str:
    return urlencode({"from": filters.period.start.isoformat(), "to": filters.period.end.isoformat(),
                      "team": filters.team_id or ""})


@router.get("/returns/indicators")
def indicators_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.INDICATORS, Action.VIEW)
    q = request.query_params
    form = {"from": q.get("from", ""), "to": q.get("to", ""), "team": q.get("team", "")}
    try:
        filters = _filters(request, db)
    except ValidationFailed as exc:
        return render(request, "returns/indicators.html", status_code=422, errors=exc.errors, form=form,
                      teams=_teams(db), results=[], filters=None, query="")
    results = indicators.figures(db, database, user, filters)
    form = {"from": filters.period.start.isoformat(), "to": filters.period.end.isoformat(),
            "team": str(filters.team_id or "")}
    return render(request, "returns/indicators.html", form=form, teams=_teams(db), filters=filters,
                  results=[(f, indicators.chart_spec(f)) for f in results], query=_filter_query(filters))


@router.get("/returns/indicators/csv")
def indicators_csv(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.INDICATORS, Action.VIEW)
    key = request.query_params.get("indicator") or None
    try:
        filters = _filters(request, db)
        if key is not None and key not in indicators.BY_KEY:
            raise ValidationFailed({"indicator": "Choose an indicator from the page"})
    except ValidationFailed as exc:
        return Response("\n".join(f"{name}: {message}" for name, message in exc.errors.items()) + "\n",
                        status_code=422, media_type="text/plain; charset=utf-8")
    body = indicators.export_csv(db, database, user, filters, [key] if key else None)
    name = f"indicators-{key or 'all'}-{filters.period.start.isoformat()}-to-{filters.period.end.isoformat()}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/returns/indicators/children")
def indicator_children(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.INDICATORS, Action.VIEW)
    q = request.query_params
    month = q.get("month") or None
    try:
        filters = _filters(request, db)
        if month is not None and not re.fullmatch(r"\d{4}-\d{2}", month):
            raise ValidationFailed({"month": "The month must look like 2026-03"})
        fig, rows = indicators.children_behind(db, database, user, filters, q.get("indicator", ""), month)
    except ValidationFailed as exc:
        return render(request, "returns/indicators_children.html", status_code=422, errors=exc.errors, fig=None,
                      rows=[], filters=None, month=month, query="")
    return render(request, "returns/indicators_children.html", fig=fig, rows=rows, filters=filters, month=month,
                  query=_filter_query(filters), errors=None)


# --- workforce -------------------------------------------------------------------------------------------------


@router.get("/returns/workforce")
def workforce_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.WORKFORCE, Action.VIEW)
    raw = request.query_params.get("on", "")
    try:
        on = workforce.parse_day(raw, today_in_london())
    except ValidationFailed as exc:
        return render(request, "returns/workforce.html", status_code=422, errors=exc.errors, picture=None, on=raw)
    return render(request, "returns/workforce.html", picture=workforce.picture(db, database, user, on),
                  on=on.isoformat(), errors=None)


def _contracts_page(request: Request, db: Session, database: Database, user: User,
                    errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                    status_code: int = 200) -> Response:
    rows, vacancies = workforce.contracts(db, database, user)
    return render(request, "returns/workforce_contracts.html", status_code=status_code, contracts=rows,
                  vacancies=vacancies, errors=errors, form=form or {}, staff=workforce.staff_choices(db),
                  teams=_teams(db), types=list(workforce.EMPLOYMENT_TYPES.items()),
                  may_edit=access.role_may(user, Kind.WORKFORCE, Action.UPDATE))


@router.get("/returns/workforce/contracts")
def workforce_contracts(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _contracts_page(request, db, database, user)


async def _form_of(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {name: value for name, value in raw.items() if isinstance(value, str) and name != "csrf_token"}


def _workforce_change(request: Request, db: Session, database: Database, user: User, form: dict[str, str],
                      change: Callable[[], object]) -> Response:
    access.require_role(database, user, Kind.WORKFORCE, Action.UPDATE)
    try:
        change()
    except ValidationFailed as exc:  # refused before anything was written
        return _contracts_page(request, db, database, user, exc.errors, form, 422)
    return RedirectResponse("/returns/workforce/contracts", status_code=303)


@router.post("/returns/workforce/contracts")
async def workforce_add_contract(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    form = await _form_of(request)
    result: Response = await run_in_threadpool(_workforce_change, request, db, database, user, form,
                                               lambda: workforce.add_contract(db, database, user, form))
    return result


@router.post("/returns/workforce/contracts/{contract_id}/end")
async def workforce_end_contract(request: Request, contract_id: RecordId, db: DbSession, database: Db,
                                 user: CurrentUser) -> Response:
    form = await _form_of(request)
    result: Response = await run_in_threadpool(
        _workforce_change, request, db, database, user, form,
        lambda: workforce.end_contract(db, database, user, contract_id, form))
    return result


@router.post("/returns/workforce/vacancies")
async def workforce_add_vacancy(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    form = await _form_of(request)
    result: Response = await run_in_threadpool(_workforce_change, request, db, database, user, form,
                                               lambda: workforce.add_vacancy(db, database, user, form))
    return result


@router.post("/returns/workforce/vacancies/{vacancy_id}/filled")
async def workforce_fill_vacancy(request: Request, vacancy_id: RecordId, db: DbSession, database: Db,
                                 user: CurrentUser) -> Response:
    form = await _form_of(request)
    result: Response = await run_in_threadpool(
        _workforce_change, request, db, database, user, form,
        lambda: workforce.fill_vacancy(db, database, user, vacancy_id, form))
    return result


# --- improvement plan ------------------------------------------------------------------------------------------


def _plan_page(request: Request, db: Session, database: Database, user: User, errors: dict[str, str] | None = None,
               form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    today = today_in_london()
    return render(request, "returns/improvement.html", status_code=status_code,
                  items=improvement.plan(db, database, user, today), errors=errors, form=form or {},
                  kinds=list(improvement.ITEM_KINDS.items()), choices=[(i.key, i.title) for i in indicators.INDICATORS],
                  may_edit=access.role_may(user, Kind.IMPROVEMENT_PLAN, Action.UPDATE), today=today)


@router.get("/returns/improvement")
def improvement_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _plan_page(request, db, database, user)


def _plan_change(request: Request, db: Session, database: Database, user: User, form: dict[str, str],
                 change: Callable[[], object]) -> Response:
    access.require_role(database, user, Kind.IMPROVEMENT_PLAN, Action.UPDATE)
    try:
        change()
    except ValidationFailed as exc:  # refused before anything was written
        return _plan_page(request, db, database, user, exc.errors, form, 422)
    return RedirectResponse("/returns/improvement", status_code=303)


@router.post("/returns/improvement/items")
async def improvement_add_item(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    raw = await request.form()
    form = await _form_of(request)
    chosen = [v for v in raw.getlist("indicators") if isinstance(v, str)]
    result: Response = await run_in_threadpool(_plan_change, request, db, database, user, form,
                                               lambda: improvement.add_item(db, database, user, form, chosen))
    return result


@router.post("/returns/improvement/items/{improvement_item_id}/actions")
async def improvement_add_action(request: Request, improvement_item_id: RecordId, db: DbSession, database: Db,
                                 user: CurrentUser) -> Response:
    form = await _form_of(request)
    result: Response = await run_in_threadpool(
        _plan_change, request, db, database, user, form,
        lambda: improvement.add_action(db, database, user, improvement_item_id, form))
    return result


@router.post("/returns/improvement/actions/{improvement_action_id}/done")
async def improvement_action_done(request: Request, improvement_action_id: RecordId, db: DbSession, database: Db,
                                  user: CurrentUser) -> Response:
    form = await _form_of(request)
    result: Response = await run_in_threadpool(
        _plan_change, request, db, database, user, form,
        lambda: improvement.complete_action(db, database, user, improvement_action_id, form))
    return result
