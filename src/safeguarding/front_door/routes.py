"""MASH pages: the screening queue, the contact record and its forms, sign-off, routed contacts, the dashboard.

Routes only translate between HTTP and the front door's use-cases (``queue``, ``contact_record``, ``rating``...),
which ask the access policy and audit. Every form goes through ``web.forms.submit``: post/redirect/get, or the page
again with the errors (422).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeguarding.core import codes, local_settings
from safeguarding.core.access import Action, Kind, require_role, role_may
from safeguarding.core.calendar import now_in_london
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import record_id
from safeguarding.core.users import User
from safeguarding.front_door import (
    amendments,
    checks,
    contact_form,
    contact_record,
    dashboard,
    decisions,
    linking,
    queue,
    rating,
    recording,
    routing,
)
from safeguarding.front_door.contact_form import ContactForm
from safeguarding.front_door.models import (
    ROUTED_RESPONSE_LABELS,
    Channel,
    CheckConsent,
    ConsentPosition,
    ContactNote,
    ContactSubject,
    LawfulBasis,
    NoteKind,
    Rag,
    ReporterKind,
    SubjectRole,
)
from safeguarding.front_door.rules import OUTCOME_LABELS, REFERRAL_OUTCOMES
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import PostedForm, read_query, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
T = TypeVar("T")

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
CONSENT_LABELS = {
    ConsentPosition.CONSENT_GIVEN: "The family knows and agrees",
    ConsentPosition.AWARE_NOT_CONSENTED: "The family knows but does not agree",
    ConsentPosition.NOT_INFORMED_RISK: "Not told: telling them would put the child at risk",
    ConsentPosition.NOT_INFORMED_OTHER: "Not told, for another reason",
    ConsentPosition.UNKNOWN: "Not known",
}


def _common() -> dict[str, Any]:
    return {
        "Rag": Rag,
        "OUTCOME_LABELS": OUTCOME_LABELS,
        "CHECK_CONSENT_LABELS": CHECK_CONSENT_LABELS,
        "LAWFUL_BASIS_LABELS": LAWFUL_BASIS_LABELS,
        "CONSENT_LABELS": CONSENT_LABELS,
        # The CIN census primary need codes, N1 to N9 then N0 ("Not stated"), as the decision form offers them.
        "PRIMARY_NEED_CHOICES": [(code, f"{code}: {text}") for code, text in codes.PRIMARY_NEEDS.items()],
        "routed_responses": [(str(k), v) for k, v in ROUTED_RESPONSE_LABELS.items()],
    }


# --- queue -------------------------------------------------------------------------------------------------------


@router.get("/mash/queue", include_in_schema=False)
def queue_page(
    request: Request, db: DbSession, database: Db, user: CurrentUser, rag: str | None = None, page: str | None = None
) -> Response:
    try:
        result = queue.queue(db, database, user, rag=rag, page=record_id(page) or 1)
    except ValidationFailed as exc:
        result = queue.queue(db, database, user, page=1)
        return render(
            request,
            "front_door/mash_queue.html",
            status_code=422,
            title="MASH queue",
            result=result,
            errors=exc.errors,
            sign_off_rows=_sign_off_rows(db, database, user),
            sign_off_total=_sign_off_total(db, user),
            **_common(),
        )
    return render(
        request,
        "front_door/mash_queue.html",
        title="MASH queue",
        result=result,
        sign_off_rows=_sign_off_rows(db, database, user),
        sign_off_total=_sign_off_total(db, user),
        **_common(),
    )


# The queue shows a manager the oldest few decisions awaiting sign-off; the sign-off page lists them all.
QUEUE_SIGN_OFF_ROWS = 5


def _sign_off_rows(db: Session, database: Database, user: User) -> list[decisions.SignOffRow] | None:
    """A MASH manager's queue opens with the decisions awaiting their sign-off (None: not a manager's page)."""
    if not role_may(user, Kind.DECISION, Action.SIGN_OFF):
        return None
    return decisions.awaiting_sign_off(db, database, user, limit=QUEUE_SIGN_OFF_ROWS)


def _sign_off_total(db: Session, user: User) -> int:
    return decisions.count_awaiting_sign_off(db) if role_may(user, Kind.DECISION, Action.SIGN_OFF) else 0


# --- recording a contact -----------------------------------------------------------------------------------------


def _new_contact_page(request: Request, form: Mapping[str, str], errors: dict[str, str] | None = None) -> Response:
    return render(
        request,
        "front_door/mash_contact_new.html",
        title="Record a contact",
        form=form,
        errors=errors,
        channels=[c for c in Channel if c not in (Channel.PORTAL, Channel.API)],
        reporter_kinds=[k for k in ReporterKind if k != ReporterKind.PARTNER_AGENCY],
        sources=list(codes.REFERRAL_SOURCES.items()),
        child_rows=range(contact_form.MASH_CHILD_BLOCKS),
        adult_rows=range(
            contact_form.MASH_CHILD_BLOCKS, contact_form.MASH_CHILD_BLOCKS + contact_form.MASH_ADULT_BLOCKS
        ),
        adult_roles=[r for r in SubjectRole if r != SubjectRole.CHILD],
        **_common(),
    )


@router.get("/mash/contacts/new", include_in_schema=False)
def new_contact_page(request: Request, database: Db, user: CurrentUser) -> Response:
    require_role(database, user, Kind.CONTACT, Action.SCREEN)
    now = now_in_london()
    return _new_contact_page(
        request, {"received_date": now.date().isoformat(), "received_time": now.strftime("%H:%M"), "channel": "phone"}
    )


@router.post("/mash/contacts/new", include_in_schema=False)
async def record_contact(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: ContactForm.mash(form).send(
            staff=True,
            to=lambda data: recording.record_contact(db, database, user, data),
            check=lambda data: recording.check_contact(db, database, user, data),
        ),
        done=lambda contact: f"/mash/contacts/{contact.id}",
        again=lambda form, errors: _new_contact_page(request, form, errors),
    )


# --- the contact record ------------------------------------------------------------------------------------------


def _contact_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    contact_id: int,
    errors: dict[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    flash: str | None = None,
) -> Response:
    view = contact_record.view_contact(db, database, user, contact_id)
    return render(
        request,
        "front_door/mash_contact.html",
        title=f"Contact {view.contact.reference}",
        view=view,
        contact=view.contact,
        errors=errors,
        form=form or {},
        flash=flash,
        **_common(),
    )


@router.get("/mash/contacts/{contact_id}", include_in_schema=False)
def contact_page(
    request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser, done: str | None = None
) -> Response:
    return _contact_page(request, db, database, user, contact_id, flash=_FLASH.get(done or ""))


_FLASH = {
    "rated": "Rating saved",
    "linked": "Child linked to the person record",
    "linked_adult": "Linked to the person record",
    "created": "Person record created and linked",
    "routed": "Contact routed to the allocated worker",
    "check": "Check requested",
    "decided": "Decision recorded",
    "signed": "Decision signed off",
    "returned": "Decision returned to the MASH for screening again",
    "amended": "Amendment saved: the decision before it is kept on the contact",
    "amendment_waiting": "Amendment saved and sent to a MASH manager to agree: the decision before it is kept",
    "amendment_agreed": "Amendment agreed",
    "acknowledged": "Contact acknowledged",
    "noted": "Note added",
}


async def _on_contact(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    contact_id: int,
    save: Callable[[PostedForm], T],
    done: str | Callable[[T], str],
) -> Response:
    """One of the contact page's forms: run ``save``, then back to the contact with ``done`` said (a flash), or
    the contact page again with the errors beside the form as typed (422)."""
    back = f"/mash/contacts/{contact_id}?done="
    return await submit(
        request,
        db,
        save,
        done=back + done if isinstance(done, str) else lambda result: back + done(result),
        again=lambda form, errors: _contact_page(request, db, database, user, contact_id, errors, form),
    )


@router.post("/mash/contacts/{contact_id}/rating", include_in_schema=False)
async def rate(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await _on_contact(
        request,
        db,
        database,
        user,
        contact_id,
        lambda form: rating.rate(db, database, user, contact_id, form.get("rating"), form.get("rating_rationale")),
        "rated",
    )


@router.post("/mash/contacts/{contact_id}/link", include_in_schema=False)
async def link(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    def save(form: PostedForm) -> ContactSubject:
        chosen = linking.PersonLink.read(form)
        try:
            return linking.link_person(db, database, user, contact_id, chosen.subject_id, chosen.person_id)
        except ValidationFailed as problem:  # shown beside the picker of the person being linked
            field = linking.picker_field(chosen.subject_id)
            raise ValidationFailed(
                {field if k == "person_id" else k: v for k, v in problem.errors.items()}
            ) from problem

    def done(subject: ContactSubject) -> str:
        return "linked" if subject.role == SubjectRole.CHILD else "linked_adult"

    return await _on_contact(request, db, database, user, contact_id, save, done)


@router.post("/mash/contacts/{contact_id}/create-person", include_in_schema=False)
async def create_person(
    request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await _on_contact(
        request,
        db,
        database,
        user,
        contact_id,
        lambda form: linking.create_person_for(db, database, user, contact_id, linking.subject_chosen(form)),
        "created",
    )


@router.post("/mash/contacts/{contact_id}/route", include_in_schema=False)
async def route(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await _on_contact(
        request,
        db,
        database,
        user,
        contact_id,
        lambda form: routing.route_to_allocated_worker(db, database, user, contact_id),
        "routed",
    )


@router.post("/mash/contacts/{contact_id}/checks", include_in_schema=False)
async def request_check(
    request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await _on_contact(
        request,
        db,
        database,
        user,
        contact_id,
        lambda form: checks.request_check(db, database, user, contact_id, checks.CheckInput.read(form)),
        "check",
    )


@router.post("/mash/contacts/{contact_id}/decision", include_in_schema=False)
async def decide(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await _on_contact(
        request,
        db,
        database,
        user,
        contact_id,
        lambda form: decisions.decide(db, database, user, contact_id, decisions.DecisionInput.read(form)),
        "decided",
    )


@router.post("/mash/contacts/{contact_id}/sign-off", include_in_schema=False)
async def sign_off(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    def save(form: PostedForm) -> decisions.SignOffInput:
        answer = decisions.SignOffInput.read(form)
        decisions.sign_off(
            db,
            database,
            user,
            contact_id,
            agree=answer.agree,
            note=answer.note,
            expected_version=answer.expected_version,
            open_checks_reason=answer.open_checks_reason,
        )
        return answer

    return await _on_contact(
        request, db, database, user, contact_id, save, lambda answer: "signed" if answer.agree else "returned"
    )


# --- amending a decision in effect (front_door.amendments) --------------------------------------------------------


def _amend_page(
    request: Request,
    view: amendments.AmendmentForm,
    values: Mapping[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "front_door/mash_decision_amend.html",
        title="Amend the decision",
        view=view,
        values=values,
        errors=errors,
        levels=[(str(level), f"{level}: {name}") for level, name in view.levels.items()],
        referral=view.decision.outcome in REFERRAL_OUTCOMES,
        **_common(),
    )


@router.get("/mash/contacts/{contact_id}/decision/amend", include_in_schema=False)
def amend_decision_page(
    request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    view = amendments.amendment_form(db, database, user, contact_id)
    return _amend_page(request, view, view.values)


@router.post("/mash/contacts/{contact_id}/decision/amend", include_in_schema=False)
async def amend_decision(
    request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        return _amend_page(request, amendments.amendment_form(db, database, user, contact_id), form, errors)

    return await submit(
        request,
        db,
        lambda form: amendments.amend_decision(db, database, user, contact_id, amendments.AmendmentInput.read(form)),
        done=lambda decision: (
            f"/mash/contacts/{contact_id}?done="
            + ("amendment_waiting" if decision.amendment_awaiting_sign_off else "amended")
        ),
        again=again,
    )


@router.post("/mash/contacts/{contact_id}/decision/amendment-sign-off", include_in_schema=False)
async def agree_amendment(
    request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await _on_contact(
        request,
        db,
        database,
        user,
        contact_id,
        lambda form: amendments.agree_amendment(
            db, database, user, contact_id, expected_version=record_id(form.get("version"))
        ),
        "amendment_agreed",
    )


def _respond(db: DbSession, database: Db, user: User, contact_id: int, answer: routing.RespondInput) -> ContactNote:
    return routing.respond_to_routed(
        db, database, user, contact_id, acknowledge=answer.acknowledge, note=answer.note, response=answer.response
    )


@router.post("/mash/contacts/{contact_id}/respond", include_in_schema=False)
async def respond(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await _on_contact(
        request,
        db,
        database,
        user,
        contact_id,
        lambda form: _respond(db, database, user, contact_id, routing.RespondInput.read(form)),
        lambda note: "acknowledged" if note.kind == NoteKind.ACKNOWLEDGED else "noted",
    )


# --- lists -------------------------------------------------------------------------------------------------------


@router.get("/mash/sign-off", include_in_schema=False)
def sign_off_list(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    rows = decisions.awaiting_sign_off(db, database, user)
    return render(request, "front_door/mash_sign_off.html", title="Decisions awaiting sign-off", rows=rows, **_common())


@router.get("/my-contacts", include_in_schema=False)
def my_contacts(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    rows = routing.my_contacts(db, database, user)
    return render(request, "front_door/mash_my_contacts.html", title="My contacts", rows=rows, **_common())


@router.get("/mash/dashboard", include_in_schema=False)
def dashboard_page(
    request: Request,
    db: DbSession,
    database: Db,
    user: CurrentUser,
) -> Response:
    errors = None
    params = read_query(request)
    try:
        start, end = dashboard.parse_period(params.get("period_start"), params.get("period_end"))
    except ValidationFailed as exc:
        errors = exc.errors
        start, end = dashboard.parse_period(None, None)
    figures = dashboard.dashboard(db, database, user, start, end)
    return render(
        request,
        "front_door/mash_dashboard.html",
        status_code=422 if errors else 200,
        title="MASH dashboard",
        d=figures,
        errors=errors,
        params=params,
        settings=local_settings.get_all(db),
        **_common(),
    )
