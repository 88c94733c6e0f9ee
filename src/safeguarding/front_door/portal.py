"""The partner portal: an agency's practitioners make contacts, follow their outcome and answer the MASH's checks.

Every page asks the services in ``intake`` (which ask ``core.access``); nothing here decides who sees what. The
contact form works without JavaScript: "Add another child" posts the form back with one more block, and the
answers are checked on a "Check your answers" page before anything is recorded.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeguarding.core import codes
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import record_id
from safeguarding.core.users import User
from safeguarding.front_door import agency_view, intake, rules
from safeguarding.front_door.contact_form import MAX_BLOCKS, Block, ContactForm
from safeguarding.front_door.intake import ContactInput, DuplicateSubmission
from safeguarding.front_door.models import CheckStatus, ConsentPosition, ReporterKind, SubjectRole
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import PostedForm, in_thread, read_form, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

CONSENT_OPTIONS: list[tuple[str, str]] = [
    (ConsentPosition.CONSENT_GIVEN.value, "Yes, they know and agree to this contact"),
    (ConsentPosition.AWARE_NOT_CONSENTED.value, "They know but do not agree"),
    (ConsentPosition.NOT_INFORMED_RISK.value, "No: telling them could put the child at risk"),
    (ConsentPosition.NOT_INFORMED_OTHER.value, "No, for another reason (say why below)"),
    (ConsentPosition.UNKNOWN.value, "I do not know"),
]
CONSENT_LABELS = dict(CONSENT_OPTIONS)
ADULT_ROLES: list[tuple[str, str]] = [
    (SubjectRole.PARENT.value, "Parent"),
    (SubjectRole.CARER.value, "Carer"),
    (SubjectRole.HOUSEHOLD_MEMBER.value, "Lives in the household"),
    (SubjectRole.ALLEGED_PERPETRATOR.value, "Person alleged to have caused harm"),
    (SubjectRole.OTHER_ADULT.value, "Other adult"),
]
ROLE_LABELS = {SubjectRole.CHILD.value: "Child", **dict(ADULT_ROLES)}
LAWFUL_BASIS_LABELS = {
    "public_task": "Public task (UK GDPR Article 6(1)(e))",
    "legal_obligation": "Legal obligation (UK GDPR Article 6(1)(c))",
    "vital_interests": "Vital interests (UK GDPR Article 6(1)(d))",
}


def _render_form(
    request: Request, form: ContactForm, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "front_door/portal_contact_form.html",
        status_code=status_code,
        title=("Error: " if errors else "") + "Tell us about a child you are worried about",
        form=form,
        errors=errors or {},
        consent_options=CONSENT_OPTIONS,
        adult_roles=ADULT_ROLES,
        # Only the codes a professional's contact can carry (rules.source_fits_reporter).
        sources=sorted(
            (
                (code, text)
                for code, text in codes.REFERRAL_SOURCES.items()
                if rules.source_fits_reporter(ReporterKind.PARTNER_AGENCY, code)
            ),
            key=lambda kv: _source_order(kv[0]),
        ),
    )


def _source_order(code: str) -> tuple[int, str]:
    digits = "".join(c for c in code if c.isdigit())
    return int(digits or 0), code


# --- pages ------------------------------------------------------------------------------------------------------


@router.get("/portal", include_in_schema=False)
def portal_home(request: Request, db: DbSession, database: Db, user: CurrentUser, page: int = 1) -> Response:
    contacts = agency_view.agency_contacts(db, database, user, page=page)
    # The checks the MASH closed as no longer needed (the contact was decided first), newest first, so that no
    # request looks open when it is not; all of them are one filter away.
    closed_checks = agency_view.agency_checks(
        db, database, user, status=CheckStatus.NO_LONGER_NEEDED, order="newest", size=CLOSED_SHOWN
    )
    query = request.query_params
    shown = {"checks": query.get("checks", "waiting")[:40], "check_order": query.get("check_order", "urgent")[:40]}
    check_page = record_id(query.get("check_page")) or 1
    errors: dict[str, str] = {}
    try:
        checks = agency_view.agency_checks(
            db, database, user, status=shown["checks"], order=shown["check_order"], page=check_page, size=CHECKS_PAGE
        )
    except ValidationFailed as exc:
        errors = exc.errors
        shown = {"checks": "waiting", "check_order": "urgent"}
        checks = agency_view.agency_checks(db, database, user, status="waiting", size=CHECKS_PAGE)
    return render(
        request,
        "front_door/portal_home.html",
        status_code=422 if errors else 200,
        title="Your agency's contacts",
        contacts=contacts,
        checks=checks,
        closed_checks=closed_checks,
        shown=shown,
        errors=errors,
        check_filters=agency_view.CHECK_FILTERS,
        check_orders=agency_view.CHECK_ORDERS,
        status_labels=rules.PARTNER_STATUS_LABELS,
        flash=_flash(query.get("answered")),
    )


# The checks list on the portal's home page, a page at a time; how many closed checks it shows above the filter.
CHECKS_PAGE = 20
CLOSED_SHOWN = 20


def _flash(answered: str | None) -> str | None:
    return "Your answer has been sent to the MASH." if answered else None


@router.get("/portal/contacts/new", include_in_schema=False)
def new_contact_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    defaults = intake.portal_defaults(db, database, user)
    form = ContactForm.portal({})
    form.values.update(
        referral_source=defaults.referral_source,
        reporter_name=defaults.reporter_name,
        reporter_email=defaults.reporter_email,
        # A fresh key per form: a double-click or a resubmitted page records one contact.
        idempotency_key=secrets.token_urlsafe(18),
    )
    return _render_form(request, form)


def _grown(request: Request, db: Session, database: Database, user: User, posted: PostedForm, action: str) -> Response:
    """The form again with one more child's or adult's block ("change" shows it as it was)."""
    intake.portal_defaults(db, database, user)  # the portal is the partners' door; staff record at /mash
    form = ContactForm.portal(posted)
    if action != "change" and len(form.blocks) < MAX_BLOCKS:
        if action == "add_child":
            # Children come first on the page: shift the adults' blocks down by one.
            form.blocks = [*form.children, Block(len(form.children), SubjectRole.CHILD.value), *form.adults]
        else:
            form.blocks.append(Block(len(form.blocks), SubjectRole.PARENT.value))
        for index, block in enumerate(form.blocks):
            block.index = index
    return _render_form(request, form)


def _send(db: Session, database: Database, user: User, posted: PostedForm) -> int:
    """Record the contact; the id of the contact made (the one already made, when the same form comes again)."""
    intake.portal_defaults(db, database, user)
    try:
        return ContactForm.portal(posted).send(
            staff=False,
            to=lambda data: intake.submit_contact(db, database, user, data).id,
            check=lambda data: intake.check_contact(db, database, user, data),
        )
    except DuplicateSubmission as exc:
        # The same form sent twice (a double-click, the back button): show the contact already made.
        return exc.contact_id


def _checked(db: Session, database: Database, user: User, posted: PostedForm) -> ContactInput:
    """The contact as intake will take it, checked and not recorded (the "check your answers" step)."""
    intake.portal_defaults(db, database, user)

    def check(data: ContactInput) -> ContactInput:
        intake.check_contact(db, database, user, data)
        return data

    return ContactForm.portal(posted).send(staff=False, to=check, check=check)


def _answers_page(request: Request, user: User, posted: PostedForm, data: ContactInput) -> Response:
    return render(
        request,
        "front_door/portal_contact_check.html",
        title="Check your answers before sending",
        form=ContactForm.portal(posted),
        data=posted.as_dict(),
        consent_labels=CONSENT_LABELS,
        role_labels=ROLE_LABELS,
        source_label=codes.label(
            codes.REFERRAL_SOURCES,
            data.referral_source or (user.agency.default_referral_source if user.agency else None),
        ),
    )


@router.post("/portal/contacts/new", include_in_schema=False)
async def new_contact(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    posted = await read_form(request)
    action = posted.get("action", "check")
    if action in ("add_child", "add_adult", "change"):
        return await in_thread(_grown, request, db, database, user, posted, action)

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        return _render_form(request, ContactForm.portal(form), errors)

    if action == "submit":
        return await submit(
            request,
            db,
            lambda form: _send(db, database, user, form),
            done=lambda contact_id: f"/portal/contacts/{contact_id}?sent=1",
            again=again,
        )
    return await submit(
        request,
        db,
        lambda form: _checked(db, database, user, form),
        done=lambda data: _answers_page(request, user, posted, data),
        again=again,
    )


@router.get("/portal/contacts/{contact_id}", include_in_schema=False)
def contact_page(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    contact = agency_view.contact_outcome(db, database, user, contact_id)
    sent = request.query_params.get("sent")
    return render(
        request,
        "front_door/portal_contact.html",
        title=f"Contact {contact.reference}",
        contact=contact,
        consent_labels=CONSENT_LABELS,
        role_labels=ROLE_LABELS,
        status_labels=rules.PARTNER_STATUS_LABELS,
        flash=f"Your contact has been sent. Its reference is {contact.reference}." if sent else None,
    )


def _render_check(
    request: Request,
    user: User,
    check: agency_view.CheckForAgency,
    errors: dict[str, str] | None = None,
    response_text: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "front_door/portal_check.html",
        status_code=status_code,
        title=("Error: " if errors else "") + f"Check for {check.contact_reference}",
        check=check,
        errors=errors or {},
        response_text=response_text,
        lawful_basis_labels=LAWFUL_BASIS_LABELS,
        awaiting=check.status == CheckStatus.REQUESTED,
    )


@router.get("/portal/checks/{check_id}", include_in_schema=False)
def check_page(request: Request, check_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _render_check(request, user, agency_view.view_check(db, database, user, check_id))


@router.post("/portal/checks/{check_id}", include_in_schema=False)
async def answer_check(
    request: Request, check_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        # A form without its version is treated as stale.
        lambda form: intake.respond_to_check(
            db, database, user, check_id, form.get("response", ""), record_id(form.get("version")) or -1
        ),
        done="/portal?answered=1",
        again=lambda form, errors: _render_check(
            request, user, agency_view.view_check(db, database, user, check_id), errors, form.get("response", "")
        ),
    )
