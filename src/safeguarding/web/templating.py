"""Jinja2 templates from every capability's ``templates/`` folder, with the filters pages share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from safeguarding.core import codes
from safeguarding.core.calendar import LONDON, today_in_london
from safeguarding.core.dates import age_on, long_date, long_month
from safeguarding.core.form_fields import DateText
from safeguarding.core.settings import get_settings
from safeguarding.core.users import ROLE_LABELS, Role
from safeguarding.web.navigation import navigation

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# Each capability keeps its pages in <capability>/templates/<capability>/...; the web package holds the layout, the
# shared macros and error page, and the static files every page loads.
STATIC_DIR = PACKAGE_ROOT / "web" / "static"
TEMPLATE_DIRS = sorted(p for p in PACKAGE_ROOT.glob("*/templates") if p.is_dir())


def _in_london(value: datetime) -> datetime:
    # A moment at the very edge of what Python holds (year 1 or 9999, stored before dates were checked) cannot move
    # to London's clock: show it as stored rather than fail the page.
    try:
        return value.astimezone(LONDON)
    except (OverflowError, ValueError):
        return value


def _london(value: datetime | None, fmt: str = "%-d %B %Y %H:%M") -> str:
    if value is None:
        return ""
    return _in_london(value).strftime(fmt)


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _in_london(value).date()
    return long_date(value)


def _month(value: date | str | None) -> str:
    """A month ("2026-03", or any day in it) as "March 2026"; text that names no month is shown as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return long_month(value)
    try:
        return long_month(date.fromisoformat(f"{str(value)[:7]}-01"))
    except ValueError:
        return str(value)


def _date_parts(value: Any, name: str) -> dict[str, str]:
    """What the boxes of a GOV.UK date input show: the boxes as typed (a form shown again after an error), or the
    day, month and year of a stored date (or its ISO text), and the time of a date and time."""
    if isinstance(value, Mapping):
        if f"{name}-day" in value:
            return {part: str(value.get(f"{name}-{part}") or "") for part in ("day", "month", "year", "time")}
        value = value.get(name)
    if isinstance(value, DateText):
        day, month, year = value.parts
        clock = value.partition("T")[2] if not value.problem else ""
        return {"day": day, "month": month, "year": year, "time": clock}
    if isinstance(value, datetime):
        moment = _in_london(value)
        return {"day": str(moment.day), "month": str(moment.month), "year": str(moment.year), "time": f"{moment:%H:%M}"}
    if isinstance(value, date):
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year), "time": ""}
    text = str(value or "").strip()
    day_text, _, clock = text.replace(" ", "T", 1).partition("T")
    try:
        stored = date.fromisoformat(day_text)
    except ValueError:
        return {"day": "", "month": "", "year": "", "time": ""}
    return {"day": str(stored.day), "month": str(stored.month), "year": str(stored.year), "time": clock[:5]}


def _date_parts_in_error(message: str | None) -> list[str]:
    """Which boxes of a date input a message is about ("must include a month": the month), in page order."""
    if not message:
        return []
    text = message.lower()
    if "must include a" in text and "time" not in text.split("must include a", 1)[1]:
        named = text.split("must include a", 1)[1]
        parts = [part for part in ("day", "month", "year") if part in named]
        return parts or ["day", "month", "year"]
    if "year must" in text:
        return ["year"]
    if "must include a time" in text:
        return ["time"]
    return ["day", "month", "year"]


def _born(value: date | None) -> str:
    """A person's date of birth with their age today, to tell two people of one name apart."""
    if value is None:
        return "Date of birth not known"
    today = today_in_london()
    age = age_on(value, today)
    return f"Born {value.day} {value:%B %Y}" + (f" (age {age})" if value <= today else "")


class Listed(Protocol):
    """One person in a list (``people.listing.ListedPerson``)."""

    name: str
    born: date | None
    district: str | None
    restricted: bool


def person_name(name: str, href: str | None = None, born: date | None = None, district: str | None = None) -> Markup:
    """A person as lists show them: the name (linked where ``href``) over what tells two of one name apart.

    What tells them apart: the date of birth and age, and the postcode district of the address ("address in LS8",
    from ``people.rules.postcode_district``): enough for a worker to know the area, without the address on a list.
    Python, not a template macro: lists call it for every row, and a macro call costs ten times as much."""
    shown = Markup('<a class="govuk-link" href="{}">{}</a>').format(href, name) if href else escape(name)
    where = f"address in {district}" if district else "no address recorded"
    return Markup('{}<br><span class="govuk-body-s app-person-details">{}, {}</span>').format(shown, _born(born), where)


def people_names(people: Iterable[Listed]) -> Markup:
    """Several people in one cell (``people.listing.ListedPerson``); a restricted record by its label alone."""
    return Markup("<br>").join(
        escape(p.name) if p.restricted else person_name(p.name, None, p.born, p.district) for p in people
    )


def _hours(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) < 1:
        return f"{round(value * 60)} min"
    return f"{value:.1f} h"


def _label(value: Any) -> str:
    return str(value).replace("_", " ").capitalize() if value is not None else ""


templates = Jinja2Templates(directory=str(PACKAGE_ROOT / "web" / "templates"))
templates.env.loader = ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS])
templates.env.autoescape = select_autoescape(default=True, default_for_string=True)
# Compiled templates stay cached for the life of the process; checking every template file's modification time on
# every page is for development (SAFEGUARDING_TEMPLATE_RELOAD=true).
templates.env.auto_reload = get_settings().template_reload
templates.env.filters.update(london=_london, day=_day, month=_month, hours=_hours, label=_label, born=_born)
# The layout asks for the header's sections with the request path, so every page (error pages too) gets them.
templates.env.globals.update(
    codes=codes,
    ROLE_LABELS=ROLE_LABELS,
    Role=Role,
    navigation=navigation,
    date_parts=_date_parts,
    date_parts_in_error=_date_parts_in_error,
    person_name=person_name,
    people_names=people_names,
)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the signed-in user and CSRF token available to the layout."""
    user = getattr(request.state, "user", None)
    user_session = getattr(request.state, "user_session", None)
    context.setdefault("user", user)
    context.setdefault(
        "csrf_token",
        user_session.csrf_token
        if user_session
        else request.cookies.get("sg_pre", getattr(request.state, "pre_csrf", "")),
    )
    context.setdefault("is_htmx", request.headers.get("HX-Request") == "true")
    # A form shown again because someone else saved first (web.forms.submit): the saved version, beside the form.
    context.setdefault("conflict", getattr(request.state, "conflict", None))
    return templates.TemplateResponse(request, template, context, status_code=status_code)
