"""Pages (``router``) and JSON (``api_router``) of the returns capability. Every route is declared in the
authorization matrix (tests/returns/authorization.py and, for Annex A, tests/returns/authorization_insight.py).

``/returns/cin-census`` is the analysts' page: the latest check of the live record against the CIN census rules
(counts by rule with the rule text, the findings with a link to each child's case, filtered by rule and severity,
a page at a time); ``POST /returns/cin-census/run`` re-runs the check now (the nightly run is the command
``safeguarding returns cin-census check-live``). ``/returns/ssda903`` is the same for the SSDA903 return (``POST
/returns/ssda903/run`` re-runs the check; the nightly run is ``safeguarding returns ssda903 check-live``), and ``POST
/returns/ssda903/export`` downloads the return from the live record (the DfE's CSV tables in a zip, or the XML form).
``/returns/annex-a`` downloads Ofsted's Annex A for a period. Routes only translate between HTTP and the use-cases
(``returns.cin_census.service``, ``returns.ssda903.service``, ``returns.annex_a.export``), which ask the access policy
and audit.
"""

from __future__ import annotations

import io
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.calendar import add_calendar_months, today_in_london
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.users import User
from safeguarding.returns.annex_a.export import export_annex_a, parse_period
from safeguarding.returns.annex_a.spec import LISTS
from safeguarding.returns.cin_census import service
from safeguarding.returns.cin_census.census import FIRST_YEAR, LATEST_YEAR
from safeguarding.returns.cin_census.rules import RULES
from safeguarding.returns.cin_census.validator import SCHEMA_CODE
from safeguarding.returns.ssda903 import service as ssda903
from safeguarding.web.deps import CurrentUser, Db, DbSession, TransactionalRoute, csrf_protect
from safeguarding.web.forms import PostedForm, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)

DONE = {"run": "The live record has been checked again. The findings below are from this run."}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the CIN census checked on the live record ----------------------------------------------------------------------


def _year_choices() -> list[tuple[str, str]]:
    return [
        (str(y), f"{y - 1} to {y % 100:02d} (1 April {y - 1} to 31 March {y})")
        for y in range(LATEST_YEAR + 1, FIRST_YEAR - 1, -1)
    ]


def _rule_choices() -> list[tuple[str, str]]:
    # What each rule says, in the DfE's words; the code travels in the value only (shown in each row's details).
    return [(code, rule.text[:120]) for code, rule in sorted(RULES.items(), key=lambda item: item[1].text)] + [
        (SCHEMA_CODE, "A value is not of its type in the DfE's schema")
    ]


def _page(
    request: Request,
    db: DbSession,
    database: Db,
    user: CurrentUser,
    *,
    rule: str | None,
    severity: str | None,
    page: str | None,
    errors: dict[str, str] | None = None,
    when: str | None = None,
) -> Response:
    """The findings, filtered as asked; a filter that cannot be read is named (422) above every finding."""
    errors = dict(errors or {})
    number = 1
    if page not in (None, ""):
        if page.isdigit() and len(page) < 7:
            number = int(page)
        else:
            errors["page"] = "Page must be a whole number"
    try:
        if errors:
            raise ValidationFailed(errors)
        view = service.latest_findings(db, database, user, rule=rule, severity=severity, page=number, when=when)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        view = service.latest_findings(db, database, user)
    return render(
        request,
        "returns/cin_census.html",
        status_code=422 if errors else 200,
        title="CIN census: the live record checked",
        view=view,
        errors=errors or None,
        rule_choices=_rule_choices(),
        year_choices=_year_choices(),
        this_year=str(service.current_year(today_in_london()).year),
        flash=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/returns/cin-census", include_in_schema=False)
def cin_census_page(
    request: Request,
    db: DbSession,
    database: Db,
    user: CurrentUser,
    rule: str | None = None,
    severity: str | None = None,
    page: str | None = None,
    when: str | None = None,
) -> Response:
    return _page(request, db, database, user, rule=rule, severity=severity, page=page, when=when)


@router.post("/returns/cin-census/run", include_in_schema=False)
async def cin_census_run(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: service.check_now(db, database, user, service.chosen_year(form.get("year"), today_in_london())),
        done="/returns/cin-census?done=run",
        again=lambda form, errors: _page(
            request, db, database, user, rule=None, severity=None, page=None, errors=errors
        ),
    )


# --- the SSDA903 return checked on the live record ----------------------------------------------------------------

DONE_903 = {"run": "The live record has been checked again. The findings below are from this run."}


def _ssda903_page(
    request: Request,
    db: DbSession,
    database: Db,
    user: CurrentUser,
    *,
    rule: str | None,
    severity: str | None,
    page: str | None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """The findings, filtered as asked; a filter that cannot be read is named (422) above every finding."""
    errors = dict(errors or {})
    number = 1
    if page not in (None, ""):
        if page.isdigit() and len(page) < 7:
            number = int(page)
        else:
            errors["page"] = "Page must be a whole number"
    try:
        view = ssda903.latest_findings(db, database, user, rule=rule, severity=severity, page=number)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:  # every filter that cannot be read is named, and the whole run shown
        view = ssda903.latest_findings(db, database, user)
    this_year = str(ssda903.current_year(today_in_london()).year)
    return render(
        request,
        "returns/ssda903.html",
        status_code=422 if errors else 200,
        title="SSDA903: the live record checked",
        view=view,
        errors=errors or None,
        rule_choices=ssda903.rule_choices(),
        year_choices=ssda903.year_choices(),
        this_year=(form or {}).get("year") or this_year,
        chosen_format=(form or {}).get("format") or "csv",
        may_export=access.role_may(user, Kind.STATUTORY_RETURN, Action.EXPORT),
        flash=DONE_903.get(request.query_params.get("done", "")),
    )


@router.get("/returns/ssda903", include_in_schema=False)
def ssda903_page(
    request: Request,
    db: DbSession,
    database: Db,
    user: CurrentUser,
    rule: str | None = None,
    severity: str | None = None,
    page: str | None = None,
) -> Response:
    return _ssda903_page(request, db, database, user, rule=rule, severity=severity, page=page)


@router.post("/returns/ssda903/run", include_in_schema=False)
async def ssda903_run(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: ssda903.check_now(db, database, user, ssda903.chosen_year(form.get("year"), today_in_london())),
        done="/returns/ssda903?done=run",
        again=lambda form, errors: _ssda903_page(
            request, db, database, user, rule=None, severity=None, page=None, errors=errors, form=form.as_dict()
        ),
    )


def _ssda903_download(db: Session, database: Database, user: User, form: PostedForm) -> Response:
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    year = ssda903.chosen_year(form.get("year"), today_in_london())
    got = ssda903.download(db, database, user, year, (form.get("format") or "csv").strip())
    return Response(
        got.body,
        media_type=got.media_type,
        headers={"Content-Disposition": f'attachment; filename="{got.name}"', "Cache-Control": "no-store"},
    )


@router.post("/returns/ssda903/export", include_in_schema=False)
async def ssda903_export(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: _ssda903_download(db, database, user, form),
        done=lambda got: got,
        again=lambda form, errors: _ssda903_page(
            request, db, database, user, rule=None, severity=None, page=None, errors=errors, form=form.as_dict()
        ),
    )


# --- Ofsted Annex A ---------------------------------------------------------------------------------------------


def _annex_page(request: Request, form: dict[str, str], errors: dict[str, str] | None = None) -> Response:
    return render(request, "returns/annex_a.html", form=form, errors=errors, lists=LISTS)


@router.get("/returns/annex-a")
def annex_a_form(request: Request, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    today = today_in_london()
    start = add_calendar_months(today, -6) + timedelta(days=1)
    return _annex_page(request, {"from": start.isoformat(), "to": today.isoformat()})


def _annex_workbook(db: Session, database: Database, user: User, form: PostedForm) -> Response:
    """The workbook as a download; a period with no children in any list is refused naming ``from``."""
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    period = parse_period(form.get("from"), form.get("to"))
    buffer = io.BytesIO()
    annex = export_annex_a(db, period, buffer, user=user, database=database)
    if not annex.child_rows:
        raise ValidationFailed(
            {
                "from": f"Nothing to export: no contacts, referrals, assessments, enquiries, plans, "
                f"missing episodes, screenings, children in care or care leavers from {period.start:%-d %B %Y} to "
                f"{period.end:%-d %B %Y}."
            }
        )
    name = f"annex-a-{period.start.isoformat()}-to-{period.end.isoformat()}.xlsx"
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post("/returns/annex-a")
async def annex_a_download(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: _annex_workbook(db, database, user, form),
        done=lambda workbook: workbook,
        again=lambda form, errors: _annex_page(request, form.as_dict(), errors),
    )
