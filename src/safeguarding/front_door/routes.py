"""MASH pages: the screening queue, the contact record and its forms, sign-off, routed contacts, the dashboard.

Routes only translate between HTTP and the front door's use-cases (``queue``, ``contact_record``, ``rating``...),
which ask the access policy and audit. Every form goes through ``web.forms.submit``: post/redirect/get, or the page
again with the errors (422).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from safeguarding.core import codes, local_settings
from safeguarding.core.access import Action, Kind, require_role
from safeguarding.core.calendar import now_in_london
from safeguarding.core.dates import DateKind
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import datetime_field, record_id
from safeguarding.front_door import (
    checks,
    contact_record,
    dashboard,
    decisions,
    linking,
    queue,
    rating,
    recording,
    routing,
)
from safeguarding.front_door.models import (
    Channel,
    CheckConsent,
    ConsentPosition,
    LawfulBasis,
    Outcome,
    Rag,
    ReporterKind,
    SubjectRole,
)
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)

CHECK_CONSENT_LABELS = {
    CheckConsent.SOUGHT: "Consent sought (waiting for an answer)",
    CheckConsent.OBTAINED: "Consent obtained",
    CheckConsent.NOT_SOUGHT: "Consent not sought (give the reason)",
    CheckConsent.OVERRIDDEN: "Consent refused and overridden (give the reason)",
}
LAWFUL_BASIS_LABELS = {
    LawfulBasis.PUBLIC_TASK: "Public task – UK GDPR Art 6(1)(e)",
    LawfulBasis.LEGAL_OBLIGATION: "Legal obligation – UK GDPR Art 6(1)(c)",
    LawfulBasis.VITAL_INTERESTS: "Vital interests – UK GDPR Art 6(1)(d)",
}
OUTCOME_LABELS = {
    Outcome.NO_FURTHER_ACTION: "No further action",
    Outcome.INFORMATION_AND_ADVICE: "Information, advice and signposting",
    Outcome.EARLY_HELP: "Early help",
    Outcome.REFERRAL_FOR_ASSESSMENT: "Referral for a child and family assessment (section 17)",
    Outcome.STRATEGY_DISCUSSION: "Strategy discussion (possible section 47 enquiry)",
    Outcome.IMMEDIATE_PROTECTION: "Immediate protection",
}
CONSENT_LABELS = {
    ConsentPosition.CONSENT_GIVEN: "The family knows and agrees",
    ConsentPosition.AWARE_NOT_CONSENTED: "The family knows but does not agree",
    ConsentPosition.NOT_INFORMED_RISK: "Not told: telling them would put the child at risk",
    ConsentPosition.NOT_INFORMED_OTHER: "Not told, for another reason",
    ConsentPosition.UNKNOWN: "Not known",
}


def _form_dict(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _common() -> dict[str, Any]:
    return {"Rag": Rag, "OUTCOME_LABELS": OUTCOME_LABELS, "CHECK_CONSENT_LABELS": CHECK_CONSENT_LABELS,
            "LAWFUL_BASIS_LABELS": LAWFUL_BASIS_LABELS, "CONSENT_LABELS": CONSENT_LABELS}


# --- queue -------------------------------------------------------------------------------------------------------


@router.get("/mash/queue", include_in_schema=False)
def queue_page(request: Request, db: DbSession, database: Db, user: CurrentUser, rag: str | None = None,
               page: str | None = None) -> Response:
    try:
        result = queue.queue(db, database, user, rag=rag, page=record_id(page) or 1)
    except ValidationFailed as exc:
        result = queue.queue(db, database, user, page=1)
        return render(request, "front_door/mash_queue.html", status_code=422, title="MASH queue",
                      result=result, errors=exc.errors, **_common())
    return render(request, "front_door/mash_queue.html", title="MASH queue", result=result, **_common())


# --- recording a contact -----------------------------------------------------------------------------------------


def _new_contact_page(request: Request, form: dict[str, str], errors: dict[str, str] | None = None,
                      status_code: int = 200) -> Response:
    return render(request, "front_door/mash_contact_new.html", status_code=status_code, title="Record a contact",
                  form=form, errors=errors, channels=[c for c in Channel if c not in (Channel.PORTAL, Channel.API)],
                  reporter_kinds=[k for k in ReporterKind if k != ReporterKind.PARTNER_AGENCY],
                  sources=list(codes.REFERRAL_SOURCES.items()), child_rows=range(1, recording.MAX_CHILD_ROWS + 1),
                  adult_rows=range(1, recording.MAX_ADULT_ROWS + 1),
                  adult_roles=[r for r in SubjectRole if r != SubjectRole.CHILD], **_common())


@router.get("/mash/contacts/new", include_in_schema=False)
def new_contact_page(request: Request, database: Db, user: CurrentUser) -> Response:
    require_role(database, user, Kind.CONTACT, Action.SCREEN)
    now = now_in_london()
    return _new_contact_page(request, {"received_date": now.date().isoformat(),
                                       "received_time": now.strftime("%H:%M"), "channel": "phone"})


@router.post("/mash/contacts/new", include_in_schema=False)
async def record_contact(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    form = _form_dict(await request.form())
    try:
        contact = await _in_thread(recording.record_contact, db, database, user, form)
    except ValidationFailed as exc:
        return _new_contact_page(request, form, exc.errors, 422)
    return RedirectResponse(f"/mash/contacts/{contact.id}", status_code=303)


async def _in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    # SQLAlchemy is synchronous: run service calls off the event loop once the form has been read.
    return await run_in_threadpool(fn, *args, **kwargs)


# --- the contact record ------------------------------------------------------------------------------------------


def _contact_page(request: Request, db: Any, database: Any, user: Any, contact_id: int,
                  errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                  status_code: int = 200, flash: str | None = None) -> Response:
    view = contact_record.view_contact(db, database, user, contact_id)
    return render(request, "front_door/mash_contact.html", status_code=status_code,
                  title=f"Contact {view.contact.reference}", view=view, contact=view.contact, errors=errors,
                  form=form or {}, flash=flash, **_common())


@router.get("/mash/contacts/{contact_id}", include_in_schema=False)
def contact_page(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser,
                 done: str | None = None) -> Response:
    return _contact_page(request, db, database, user, contact_id, flash=_FLASH.get(done or ""))


_FLASH = {"rated": "Rating saved", "linked": "Child linked to the person record", "created": "Person record created "
          "and linked", "routed": "Contact routed to the allocated worker", "check": "Check requested",
          "decided": "Decision recorded", "signed": "Decision signed off", "returned": "Decision returned to the "
          "MASH for screening again", "acknowledged": "Contact acknowledged", "noted": "Note added"}


async def _post(request: Request, db: Any, database: Any, user: Any, contact_id: int, action: Any,
                done: str) -> Response:
    """Run one form's service call; on a validation error show the contact again with the errors (422)."""
    form = _form_dict(await request.form())
    try:
        await _in_thread(action, form)
    except ValidationFailed as exc:
        return await _in_thread(_contact_page, request, db, database, user, contact_id, exc.errors, form, 422)
    return RedirectResponse(f"/mash/contacts/{contact_id}?done={done}", status_code=303)


@router.post("/mash/contacts/{contact_id}/rating", include_in_schema=False)
async def rate(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await _post(request, db, database, user, contact_id, lambda f: rating.rate(
        db, database, user, contact_id, f.get("rating"), f.get("rating_rationale")), "rated")


@router.post("/mash/contacts/{contact_id}/link", include_in_schema=False)
async def link(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    def action(f: dict[str, str]) -> None:
        subject_id, person_id = record_id(f.get("subject_id")), record_id(f.get("person_id"))
        if subject_id is None or person_id is None:
            raise ValidationFailed({"person_id": "Choose a person record to link"})
        linking.link_person(db, database, user, contact_id, subject_id, person_id)

    return await _post(request, db, database, user, contact_id, action, "linked")


@router.post("/mash/contacts/{contact_id}/create-person", include_in_schema=False)
async def create_person(request: Request, contact_id: RecordId, db: DbSession, database: Db,
                        user: CurrentUser) -> Response:
    def action(f: dict[str, str]) -> None:
        subject_id = record_id(f.get("subject_id"))
        if subject_id is None:
            raise ValidationFailed({"subject_id": "Choose the child to create a record for"})
        linking.create_person_for(db, database, user, contact_id, subject_id)

    return await _post(request, db, database, user, contact_id, action, "created")


@router.post("/mash/contacts/{contact_id}/route", include_in_schema=False)
async def route(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await _post(request, db, database, user, contact_id, lambda f: routing.route_to_allocated_worker(
        db, database, user, contact_id), "routed")


@router.post("/mash/contacts/{contact_id}/checks", include_in_schema=False)
async def request_check(request: Request, contact_id: RecordId, db: DbSession, database: Db,
                        user: CurrentUser) -> Response:
    def action(f: dict[str, str]) -> None:
        errors: dict[str, str] = {}
        due_at = datetime_field(f.get("due_at"), "due_at", "the response deadline", errors, required=False,
                                kind=DateKind.BOOKED)
        if errors:
            raise ValidationFailed(errors)
        checks.request_check(db, database, user, contact_id, checks.CheckInput(
            agency_id=record_id(f.get("agency_id")), question=f.get("question", ""),
            lawful_basis=f.get("lawful_basis"), consent=f.get("check_consent"),
            consent_reason=f.get("consent_reason"), due_at=due_at))

    return await _post(request, db, database, user, contact_id, action, "check")


@router.post("/mash/contacts/{contact_id}/decision", include_in_schema=False)
async def decide(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await _post(request, db, database, user, contact_id, lambda f: decisions.decide(
        db, database, user, contact_id, decisions.DecisionInput(
            level_of_need=f.get("level_of_need"), outcome=f.get("outcome"), rationale=f.get("rationale"),
            expected_version=record_id(f.get("version")))), "decided")


@router.post("/mash/contacts/{contact_id}/sign-off", include_in_schema=False)
async def sign_off(request: Request, contact_id: RecordId, db: DbSession, database: Db,
                   user: CurrentUser) -> Response:
    form = _form_dict(await request.form())
    agree = form.get("sign_off") == "agree"
    if form.get("sign_off") not in ("agree", "return"):
        return await _in_thread(_contact_page, request, db, database, user, contact_id,
                                {"sign_off": "Choose whether you agree the decision or return it"}, form, 422)
    try:
        await _in_thread(decisions.sign_off, db, database, user, contact_id, agree=agree,
                         note=form.get("sign_off_note"), expected_version=record_id(form.get("version")))
    except ValidationFailed as exc:
        return await _in_thread(_contact_page, request, db, database, user, contact_id, exc.errors, form, 422)
    return RedirectResponse(f"/mash/contacts/{contact_id}?done={'signed' if agree else 'returned'}",
                            status_code=303)


@router.post("/mash/contacts/{contact_id}/respond", include_in_schema=False)
async def respond(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    acknowledge = False

    def action(f: dict[str, str]) -> None:
        nonlocal acknowledge
        acknowledge = f.get("respond") == "acknowledge"
        routing.respond_to_routed(db, database, user, contact_id, acknowledge=acknowledge, note=f.get("note"))

    response = await _post(request, db, database, user, contact_id, action, "noted")
    if acknowledge and response.status_code == 303:
        return RedirectResponse(f"/mash/contacts/{contact_id}?done=acknowledged", status_code=303)
    return response


# --- lists -------------------------------------------------------------------------------------------------------


@router.get("/mash/sign-off", include_in_schema=False)
def sign_off_list(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    rows = decisions.awaiting_sign_off(db, database, user)
    return render(request, "front_door/mash_sign_off.html", title="Decisions awaiting sign-off", rows=rows,
                  **_common())


@router.get("/my-contacts", include_in_schema=False)
def my_contacts(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    rows = routing.my_contacts(db, database, user)
    return render(request, "front_door/mash_my_contacts.html", title="My contacts", rows=rows, **_common())


@router.get("/mash/dashboard", include_in_schema=False)
def dashboard_page(request: Request, db: DbSession, database: Db, user: CurrentUser,
              period_start: str | None = None, period_end: str | None = None) -> Response:
    errors = None
    try:
        start, end = dashboard.parse_period(period_start, period_end)
    except ValidationFailed as exc:
        errors = exc.errors
        start, end = dashboard.parse_period(None, None)
    figures = dashboard.dashboard(db, database, user, start, end)
    return render(request, "front_door/mash_dashboard.html", status_code=422 if errors else 200,
                  title="MASH dashboard", d=figures, errors=errors, settings=local_settings.get_all(db),
                  **_common())
