"""The front door's JSON API for partner systems (mounted under /api/v1): make contacts, follow them, answer checks.

Authentication is a bearer token (``ApiUser``). Access and audit are the services' (``intake``), exactly as for
the portal's pages: the API is another door into the same use-cases.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from safeguarding.core.users import User
from safeguarding.front_door import agency_view, intake, rules
from safeguarding.front_door.intake import ContactInput, SubjectInput
from safeguarding.front_door.models import Channel, Contact, ReporterKind
from safeguarding.front_door.schemas import (
    CheckOut,
    CheckPage,
    CheckResponseIn,
    ChildNamed,
    ContactCreated,
    ContactIn,
    ContactOut,
    ContactOutcomeOut,
    ContactPage,
    Problem,
)
from safeguarding.web.deps import ApiUser, Db, DbSession, RecordId, TransactionalRoute

router = APIRouter(route_class=TransactionalRoute, tags=["front door"])
# Record ids are 32-bit integers in both databases; anything else cannot name a record.

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "Not allowed: for example another agency's record"},
    404: {"model": Problem, "description": "No such record"},
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=100,
        description="Optional. A repeat of the same key by the same user is refused with 409 naming the contact "
        "already made, so a retried request never makes a second contact.",
    ),
]


def _outcome_out(view: agency_view.ContactOutcome) -> ContactOutcomeOut:
    return ContactOutcomeOut.model_validate(view)


def _full_out(contact: Contact) -> ContactOut:
    return ContactOut.model_validate(contact)


def _check_out(check: agency_view.CheckForAgency) -> CheckOut:
    return CheckOut(
        id=check.id,
        version=check.version,
        contact_reference=check.contact_reference,
        question=check.question,
        lawful_basis=check.lawful_basis,
        consent=check.consent,
        consent_reason=check.consent_reason,
        requested_at=check.requested_at,
        due_at=check.due_at,
        status=check.status,
        response=check.response,
        responded_at=check.responded_at,
        children=[ChildNamed(name=name, date_of_birth=born) for name, born in check.children],
    )


@router.post(
    "/contacts",
    status_code=201,
    response_model=ContactCreated,
    summary="Make a contact",
    responses={**_ERRORS, 409: {"model": Problem, "description": "Idempotency-Key already used"}},
)
def create_contact(
    body: ContactIn, db: DbSession, database: Db, user: ApiUser, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Tell the MASH about one or more children. Returns the reference and when the decision is due."""
    data = ContactInput(
        # Left out, these are a partner's; staff must say how the contact came in (the service names the field).
        channel=body.channel or Channel.API,
        reporter_kind=body.reporter_kind or ReporterKind.PARTNER_AGENCY,
        referral_source=body.referral_source or "",
        worry=body.worry,
        consent=body.consent,
        subjects=tuple(
            SubjectInput(
                role=s.role,
                first_name=s.first_name,
                last_name=s.last_name,
                date_of_birth=s.date_of_birth,
                nhs_number=s.nhs_number,
                address=s.address,
                postcode=s.postcode,
            )
            for s in body.subjects
        ),
        received_at=body.received_at,
        reporter_name=body.reporter_name,
        reporter_role=body.reporter_role,
        reporter_phone=body.reporter_phone,
        reporter_email=body.reporter_email,
        consent_notes=body.consent_notes,
        idempotency_key=idempotency_key,
    )
    contact = intake.submit_contact(db, database, user, data)
    created = ContactCreated(
        id=contact.id, reference=contact.reference, status=_status_for(user, contact), due_at=contact.due_at
    )
    return JSONResponse(
        created.model_dump(mode="json"), status_code=201, headers={"Location": f"/api/v1/contacts/{contact.id}"}
    )


def _status_for(user: User, contact: Contact) -> str:
    # A partner is never told that a contact went to an allocated worker: that would reveal an open case.
    if user.is_partner:
        return str(rules.partner_status(contact.status, outcome_in_effect=False))
    return str(contact.status)


@router.get("/contacts", response_model=ContactPage, summary="Your agency's contacts", responses=_ERRORS)
def list_contacts(
    db: DbSession,
    database: Db,
    user: ApiUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 25,
) -> ContactPage:
    """Partners: the contacts their agency made, newest first, with their outcome once in effect."""
    result = agency_view.agency_contacts(db, database, user, page=page, size=size)
    return ContactPage(
        items=[_outcome_out(v) for v in result.items], page=result.page, size=result.size, total=result.total
    )


@router.get(
    "/contacts/{contact_id}", response_model=ContactOutcomeOut | ContactOut, summary="One contact", responses=_ERRORS
)
def get_contact(contact_id: RecordId, db: DbSession, database: Db, user: ApiUser) -> ContactOutcomeOut | ContactOut:
    """Partners get what they sent and its outcome (``view: outcome``); staff get the contact in full
    (``view: full``)."""
    if user.is_partner:
        return _outcome_out(agency_view.contact_outcome(db, database, user, contact_id))
    return _full_out(agency_view.staff_contact(db, database, user, contact_id))


@router.get("/checks", response_model=CheckPage, summary="Checks addressed to your agency", responses=_ERRORS)
def list_checks(
    db: DbSession,
    database: Db,
    user: ApiUser,
    status: Annotated[str, Query(pattern="^(awaiting|all)$")] = "awaiting",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 25,
) -> CheckPage:
    """Partners: the MASH's requests for information to their agency, those awaiting an answer first."""
    result = agency_view.agency_checks(db, database, user, awaiting_only=status == "awaiting", page=page, size=size)
    return CheckPage(
        items=[_check_out(c) for c in result.items], page=result.page, size=result.size, total=result.total
    )


@router.post(
    "/checks/{check_id}/response",
    response_model=CheckOut,
    summary="Answer a check",
    responses={**_ERRORS, 409: {"model": Problem, "description": "Already answered, or changed since read"}},
)
def answer_check(check_id: RecordId, body: CheckResponseIn, db: DbSession, database: Db, user: ApiUser) -> CheckOut:
    """Answer a check addressed to your agency, once, sending back the version you read."""
    check = intake.respond_to_check(db, database, user, check_id, body.response, body.version)
    return _check_out(agency_view.check_for_agency(check))
