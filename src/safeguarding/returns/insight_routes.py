"""Pages (``router``) and JSON (``api_router``) of Annex A, indicators, workforce and the improvement plan.
Every route is declared in the authorization matrix (tests/returns/authorization_insight.py)."""

from __future__ import annotations

import io
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.calendar import LONDON, add_calendar_months
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.users import User
from safeguarding.returns import annex_a
from safeguarding.web.deps import CurrentUser, Db, DbSession, TransactionalRoute, csrf_protect
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
    today = utcnow().astimezone(LONDON).date()
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
