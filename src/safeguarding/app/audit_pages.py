"""The audit pages: search the log, "who has looked at this record", break-glass review, CSV export.

Managers and administrators only (Kind.AUDIT_LOG); the services in ``core.audit_reading`` ask the policy and record
every reading of the log in the log itself.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from safeguarding.core import audit_reading
from safeguarding.core.access import AccessSubject, Action, Kind, authorize, role_may
from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import LONDON
from safeguarding.core.db import utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.spreadsheet import spreadsheet_text
from safeguarding.core.users import User
from safeguarding.people.duplicates import merging
from safeguarding.people.models import Person
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import read_query
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

FILTER_FIELDS = ("username", "action", "target_type", "target_id", "person_id", "date_from", "date_to", "outcome")
# Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").


def _raw_filter(request: Request) -> dict[str, str]:
    query = read_query(request)
    # A date's boxes are read into one value that says what is wrong with them: kept whole, not cut.
    return {k: v if len(v := query.get(k, "")) <= 200 else v[:200] for k in FILTER_FIELDS}


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1


def _person_label(db: DbSession, user: User, person_id: int) -> str | None:
    """The person's name when this user may open their record; otherwise None (the page shows the number only).

    Asked of the policy without recording a refusal: the page is about the log, not a request to open the record.
    """
    decision = authorize(db, user, Action.VIEW, AccessSubject(Kind.PERSON, id=person_id, person_ids=(person_id,)))
    if not decision.allowed:
        return None
    person = db.get(Person, person_id)
    return f"{person.first_name} {person.last_name}" if person else None


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    raw = _raw_filter(request)
    try:
        f = audit_reading.parse_filter(raw)
    except ValidationFailed as exc:
        # Ask the policy before saying anything about the log, even about a badly typed search.
        audit_reading.require_log_reader(database, user)
        return render(
            request,
            "app/audit_search.html",
            status_code=422,
            title="Audit log",
            raw=raw,
            errors=exc.errors,
            result=None,
            terms={},
            query="",
            outcomes=audit_reading.OUTCOMES,
        )
    result = audit_reading.search_events(db, database, user, f, page=_page_number(request))
    terms = f.terms()
    return render(
        request,
        "app/audit_search.html",
        title="Audit log",
        raw=raw,
        result=result,
        terms=terms,
        query=urlencode(terms),
        outcomes=audit_reading.OUTCOMES,
        page_link=_page_link(terms),
    )


def _page_link(terms: dict[str, str]) -> Any:
    def link(page: int) -> str:
        return "?" + urlencode({**terms, "page": str(page)})

    return link


@router.get("/audit/export.csv", include_in_schema=False)
def audit_export(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    f = audit_reading.parse_filter(_raw_filter(request))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "id",
            "at (UK time)",
            "username",
            "role",
            "action",
            "target type",
            "target id",
            "person id",
            "outcome",
            "reason",
            "detail",
        ]
    )
    for event, hidden in audit_reading.export_events(db, database, user, f):
        reason, detail = (_hidden_reason(event), audit_reading.HIDDEN_TEXT) if hidden else (event.reason, event.detail)
        writer.writerow(
            [
                spreadsheet_text(v)
                for v in (
                    event.id,
                    event.at.astimezone(LONDON).isoformat(timespec="seconds"),
                    event.actor_username,
                    event.actor_role,
                    event.action,
                    event.target_type,
                    event.target_id,
                    event.person_id,
                    event.outcome,
                    reason,
                    detail,
                )
            ]
        )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


def _hidden_reason(event: AuditEvent) -> str | None:
    # A refusal's reason is the policy's own words; any other reason was typed by a user and may name the child.
    return event.reason if event.outcome == "refused" else (audit_reading.HIDDEN_TEXT if event.reason else None)


@router.get("/audit/people/{person_id}", include_in_schema=False)
def person_audit_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    merged = merging.merged_into(db, person_id)
    result = audit_reading.person_history(db, database, user, person_id, page=_page_number(request), also=merged)
    return render(
        request,
        "app/audit_person.html",
        title=f"Who has looked at record {person_id}",
        person_id=person_id,
        person_name=_person_label(db, user, person_id),
        merged_records=merged,
        result=result,
        is_search_hit=audit_reading.is_search_hit,
        page_link=lambda page: f"?page={page}",
    )


def _break_glass_page(
    request: Request,
    db: DbSession,
    database: Db,
    user: User,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    flash: str | None = None,
    failed_id: int | None = None,
) -> Response:
    only_unreviewed = request.query_params.get("show") == "unreviewed"
    accesses = audit_reading.break_glass_accesses(db, database, user, only_unreviewed=only_unreviewed)
    ids = {a.user_id for a in accesses} | {a.reviewed_by_id for a in accesses if a.reviewed_by_id}
    names = {u.id: f"{u.full_name} ({u.username})" for u in db.scalars(select(User).where(User.id.in_(ids)))}
    return render(
        request,
        "app/audit_break_glass.html",
        status_code=status_code,
        title="Break-glass access",
        accesses=accesses,
        names=names,
        only_unreviewed=only_unreviewed,
        errors=errors,
        flash=flash,
        failed_id=failed_id,
        now=utcnow(),
        can_review=role_may(user, Kind.AUDIT_LOG, Action.SIGN_OFF),
    )


@router.get("/audit/break-glass", include_in_schema=False)
def break_glass_page(
    request: Request, db: DbSession, database: Db, user: CurrentUser, done: str | None = None
) -> Response:
    return _break_glass_page(
        request, db, database, user, flash="The break-glass access is marked reviewed." if done == "reviewed" else None
    )


@router.post("/audit/break-glass/{access_id}/review", include_in_schema=False)
def review_break_glass_page(
    request: Request,
    access_id: RecordId,
    db: DbSession,
    database: Db,
    user: CurrentUser,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        audit_reading.review_break_glass(db, database, user, access_id, note)
    except ValidationFailed as exc:
        return _break_glass_page(
            request,
            db,
            database,
            user,
            status_code=422,
            errors={f"note-{access_id}": m for m in exc.errors.values()},
            failed_id=access_id,
        )
    return RedirectResponse("/audit/break-glass?done=reviewed", status_code=303)
