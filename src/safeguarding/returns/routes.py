"""Pages (``router``) and JSON (``api_router``) of the returns capability. Every route is declared in the
authorization matrix (tests/returns/authorization.py).

``/returns/cin-census`` is the analysts' page: the latest check of the live record against the CIN census rules
(counts by rule with the rule text, the findings with a link to each child's case, filtered by rule and severity,
a page at a time); ``POST /returns/cin-census/run`` re-runs the check now (the nightly run is the command
``safeguarding returns cin-census check-live``). Routes only translate between HTTP and ``returns.service``, which
asks the access policy and audits.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from safeguarding.core.calendar import today_in_london
from safeguarding.core.errors import ValidationFailed
from safeguarding.returns import service
from safeguarding.returns.cin_census.census import FIRST_YEAR, LATEST_YEAR, CensusYear
from safeguarding.returns.cin_census.rules import RULES
from safeguarding.returns.cin_census.validator import SCHEMA_CODE
from safeguarding.web.deps import CurrentUser, Db, DbSession, TransactionalRoute, csrf_protect
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)

DONE = {"run": "The live record has been checked again. The findings below are from this run."}


def _year_choices() -> list[tuple[str, str]]:
    return [(str(y), f"{y - 1} to {y % 100:02d} (1 April {y - 1} to 31 March {y})")
            for y in range(LATEST_YEAR + 1, FIRST_YEAR - 1, -1)]


def _rule_choices() -> list[tuple[str, str]]:
    return [(code, f"{code}: {rule.text[:90]}") for code, rule in sorted(RULES.items())] + [
        (SCHEMA_CODE, f"{SCHEMA_CODE}: value not of its schema type")]


def _page(request: Request, db: DbSession, database: Db, user: CurrentUser, *, rule: str | None,
          severity: str | None, page: str | None, errors: dict[str, str] | None = None) -> Response:
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
        view = service.latest_findings(db, database, user, rule=rule, severity=severity, page=number)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        view = service.latest_findings(db, database, user)
    return render(request, "returns/cin_census.html", status_code=422 if errors else 200,
                  title="CIN census: the live record checked", view=view, errors=errors or None,
                  rule_choices=_rule_choices(), year_choices=_year_choices(),
                  this_year=str(service.current_year(today_in_london()).year),
                  flash=DONE.get(request.query_params.get("done", "")))


@router.get("/returns/cin-census", include_in_schema=False)
def cin_census_page(request: Request, db: DbSession, database: Db, user: CurrentUser, rule: str | None = None,
                    severity: str | None = None, page: str | None = None) -> Response:
    return _page(request, db, database, user, rule=rule, severity=severity, page=page)


@router.post("/returns/cin-census/run", include_in_schema=False)
def cin_census_run(request: Request, db: DbSession, database: Db, user: CurrentUser,
                   year: Annotated[str, Form()] = "") -> Response:
    chosen = year.strip() or str(service.current_year(today_in_london()).year)
    try:
        census_year = CensusYear(int(chosen)) if chosen.isdigit() and len(chosen) == 4 else None
    except ValueError:
        census_year = None
    if census_year is None:
        return _page(request, db, database, user, rule=None, severity=None, page=None,
                     errors={"year": f"Choose a collection year from {FIRST_YEAR} to {LATEST_YEAR + 1}"})
    service.check_now(db, database, user, census_year)
    return RedirectResponse("/returns/cin-census?done=run", status_code=303)
