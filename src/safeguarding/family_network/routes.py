"""Pages of the family network on the child's record: the page (FGDM offers and family network meetings,
pre-proceedings, kinship arrangements with the support offered) and its forms. Every route is declared in the
authorization matrix (tests/family_network/authorization.py).

Routes only translate between HTTP and ``service``, which asks the access policy and audits. Every form goes
through ``web.forms.submit``: shown again with its errors in field order (422), else post/redirect/get.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.family_network import rules, service
from safeguarding.people.models import Person
from safeguarding.web.deps import (
    CurrentUser,
    Db,
    DbSession,
    RecordId,
    TransactionalRoute,
    csrf_protect,
    path_record_id,
)
from safeguarding.web.forms import PostedForm, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

FLASH = {
    "offer": "FGDM offer recorded",
    "meeting": "Family network meeting recorded",
    "pre_proceedings": "Pre-proceedings saved",
    "kinship": "Kinship arrangement saved",
    "support": "Support from the kinship local offer recorded",
}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    type: str = "text"  # text | textarea | date | select | radios | yesno | number | person (the person picker)
    options: Mapping[str, str] = field(default_factory=dict)
    hint: str | None = None
    blank: str | None = None


OFFER_FIELDS = (
    FormField("offered_on", "Date of the offer", "date"),
    FormField(
        "offered_to",
        "Who was it offered to",
        hint="The parents and anyone with parental responsibility the offer was made to",
    ),
    FormField(
        "in_letter_before_proceedings",
        "Was the offer made in the letter before proceedings?",
        "yesno",
        hint="The Children's Wellbeing and Schools Act 2026 asks for the offer in the letter",
    ),
    FormField("response", "The family's answer", "radios", rules.OFFER_RESPONSES),
    FormField("declined_reason", "Why the family declined", "textarea", hint="Only if they declined"),
)
MEETING_FIELDS = (
    FormField("held_on", "Date of the family network meeting", "date"),
    FormField("offer_id", "The offer it was arranged from", "select", blank="Not from a recorded offer"),
    FormField("who_came", "Who came", "textarea", hint="Names and how each is connected to the child"),
    FormField("family_plan", "The family plan", "textarea", hint="What the family network agreed to do"),
)
PP_FIELDS = (
    FormField("decided_on", "Date of the decision to start pre-proceedings", "date", hint="The legal planning meeting"),
    FormField("letter_sent_on", "Date the letter before proceedings was sent", "date", hint="Leave blank if not yet"),
    FormField("first_meeting_on", "Date of the first pre-proceedings meeting", "date", hint="Leave blank if not yet"),
    FormField("review_meetings", "Review meetings held after the first meeting", "number", hint="0 if none yet"),
    FormField("step_decided_on", "Date of the decision to step up or down", "date", hint="Leave blank if not yet"),
    FormField("outcome", "Outcome", "radios", rules.PP_OUTCOMES, hint="Answer with the decision to step up or down"),
    FormField("court_application_on", "Date of the court application", "date", hint="Only after a decision to apply"),
    FormField("proceedings_letter_on", "Date of the letter saying care proceedings are issued", "date"),
    FormField("notes", "Notes", "textarea"),
)
KINSHIP_FIELDS = (
    FormField(
        "carer_person_id",
        "The kinship carer",
        "person",
        hint="Type their name and choose Find, then choose them. Not found? Add them to the council's records first",
    ),
    FormField("carer_relationship", "Their relationship to the child", hint="For example, maternal grandmother"),
    FormField("kind", "Type of arrangement", "radios", rules.KINSHIP_ARRANGEMENTS),
    FormField("started_on", "Date the arrangement started", "date"),
    FormField("ended_on", "Date the arrangement ended", "date", hint="Leave blank while it continues"),
)
SUPPORT_FIELDS = (
    FormField("item", "What was offered", "radios", hint="The items of the council's kinship local offer"),
    FormField("offered_on", "Date it was offered", "date"),
    FormField("taken_up", "Did the carer take it up?", "yesno"),
    FormField("note", "Note", "textarea"),
)


def _in_order(errors: dict[str, str], fields: tuple[FormField, ...]) -> dict[str, str]:
    """The errors in the order of the form's fields (the error summary's order), anything else after."""
    order = {f.name: i for i, f in enumerate(fields)}
    return dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order))))


def _form(
    request: Request,
    person: Person,
    *,
    heading: str,
    action: str,
    fields: tuple[FormField, ...],
    button: str,
    values: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    intro: str | None = None,
) -> Response:
    person_id = person.id
    return render(
        request,
        "family_network/form.html",
        title=heading,
        person=person,
        heading=heading,
        action=action,
        fields=fields,
        button=button,
        values=dict(values or {}),
        errors=_in_order(errors, fields) if errors else None,
        intro=intro,
        back=f"/cases/{person_id}/family-network",
    )


@router.get("/cases/{person_id}/family-network", include_in_schema=False)
def family_network_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    view = service.family_network(db, database, user, person_id)
    return render(
        request,
        "family_network/record.html",
        title=f"Family network and kinship: {view.person.full_name}",
        view=view,
        rules=rules,
        flash=FLASH.get(request.query_params.get("done", "")),
        may_open_people=access.role_may(user, Kind.PERSON, Action.VIEW),
    )


Page = Callable[[Request, Session, Database, User, int, Mapping[str, str] | None, dict[str, str] | None], Response]


def _mount(
    path: str, page: Page, save: Callable[[Session, Database, User, int, PostedForm], object], done: str, name: str
) -> None:
    """GET shows the form (to whoever may record on the case), POST saves it through ``submit``."""

    def show(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        return page(request, db, database, user, person_id, None, None)

    async def post(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        return await submit(
            request,
            db,
            lambda form: save(db, database, user, person_id, form),
            done=f"/cases/{person_id}/family-network?done={done}",
            again=lambda form, errors: page(request, db, database, user, person_id, form.as_dict(), errors),
        )

    show.__name__, post.__name__ = f"{name}_page", f"{name}_submit"
    router.add_api_route(path, show, methods=["GET"], include_in_schema=False)
    router.add_api_route(path, post, methods=["POST"], include_in_schema=False)


def _record_id(request: Request, name: str) -> int:
    return path_record_id(request, name)


def _offer_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    values: Mapping[str, str] | None,
    errors: dict[str, str] | None,
) -> Response:
    person = service.may_write(db, database, user, person_id)
    return _form(
        request,
        person,
        heading="Record an FGDM offer",
        action=f"/cases/{person_id}/family-network/offers/new",
        fields=OFFER_FIELDS,
        button="Save the offer",
        values=values,
        errors=errors,
        intro=(
            "A family group decision-making meeting offered to the parents and those with parental responsibility, "
            "before the council applies to court."
        ),
    )


def _meeting_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    values: Mapping[str, str] | None,
    errors: dict[str, str] | None,
) -> Response:
    person = service.may_write(db, database, user, person_id)
    offers = service.accepted_offers(db, person_id)
    fields = tuple(
        FormField(f.name, f.label, f.type, offers, f.hint, f.blank) if f.name == "offer_id" else f
        for f in MEETING_FIELDS
    )
    return _form(
        request,
        person,
        heading="Record a family network meeting",
        action=f"/cases/{person_id}/family-network/meetings/new",
        fields=fields,
        button="Save the meeting",
        values=values,
        errors=errors,
    )


def _pp_new_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    values: Mapping[str, str] | None,
    errors: dict[str, str] | None,
) -> Response:
    person = service.may_write(db, database, user, person_id)
    return _form(
        request,
        person,
        heading="Start pre-proceedings",
        action=f"/cases/{person_id}/pre-proceedings/new",
        fields=PP_FIELDS,
        button="Save pre-proceedings",
        values=values,
        errors=errors,
        intro=(
            "Pre-proceedings under the Public Law Outline in the child's open episode. Add the later dates as they "
            "happen."
        ),
    )


def _kinship_new_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    values: Mapping[str, str] | None,
    errors: dict[str, str] | None,
) -> Response:
    person = service.may_write(db, database, user, person_id)
    return _form(
        request,
        person,
        heading="Record a kinship arrangement",
        action=f"/cases/{person_id}/kinship/new",
        fields=KINSHIP_FIELDS,
        button="Save the arrangement",
        values=values,
        errors=errors,
    )


_mount("/cases/{person_id}/family-network/offers/new", _offer_page, service.record_offer, "offer", "new_fgdm_offer")
_mount(
    "/cases/{person_id}/family-network/meetings/new",
    _meeting_page,
    service.record_meeting,
    "meeting",
    "new_family_network_meeting",
)
_mount(
    "/cases/{person_id}/pre-proceedings/new",
    _pp_new_page,
    service.record_pre_proceedings,
    "pre_proceedings",
    "new_pre_proceedings",
)
_mount(
    "/cases/{person_id}/kinship/new",
    _kinship_new_page,
    service.record_arrangement,
    "kinship",
    "new_kinship_arrangement",
)


# --- the forms of a saved record: pre-proceedings and kinship arrangements changed, support offered -----------------


@router.get("/cases/{person_id}/pre-proceedings/{pp_id}/edit", include_in_schema=False)
def edit_pre_proceedings_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    pp_id = _record_id(request, "pp_id")
    person = service.may_write(db, database, user, person_id)
    row = service.pre_proceedings_of(db, person_id, pp_id)
    return _pp_edit(request, person, row.id, service.pp_values(row), None)


def _pp_edit(
    request: Request, person: Person, pp_id: int, values: Mapping[str, str], errors: dict[str, str] | None
) -> Response:
    person_id = person.id
    return _form(
        request,
        person,
        heading="Change pre-proceedings",
        action=f"/cases/{person_id}/pre-proceedings/{pp_id}/edit",
        fields=PP_FIELDS,
        button="Save pre-proceedings",
        values=values,
        errors=errors,
    )


@router.post("/cases/{person_id}/pre-proceedings/{pp_id}/edit", include_in_schema=False)
async def edit_pre_proceedings_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    pp_id = _record_id(request, "pp_id")

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        person = service.may_write(db, database, user, person_id)
        return _pp_edit(request, person, pp_id, form.as_dict(), errors)

    return await submit(
        request,
        db,
        lambda form: service.record_pre_proceedings(db, database, user, person_id, form, pp_id),
        done=f"/cases/{person_id}/family-network?done=pre_proceedings",
        again=again,
    )


@router.get("/cases/{person_id}/kinship/{arrangement_id}/edit", include_in_schema=False)
def edit_kinship_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    arrangement_id = _record_id(request, "arrangement_id")
    person = service.may_write(db, database, user, person_id)
    row = service.arrangement_of(db, person_id, arrangement_id)
    return _kinship_edit(request, person, row.id, service.arrangement_values(row), None)


def _kinship_edit(
    request: Request, person: Person, arrangement_id: int, values: Mapping[str, str], errors: dict[str, str] | None
) -> Response:
    person_id = person.id
    return _form(
        request,
        person,
        heading="Change a kinship arrangement",
        action=f"/cases/{person_id}/kinship/{arrangement_id}/edit",
        fields=KINSHIP_FIELDS,
        button="Save the arrangement",
        values=values,
        errors=errors,
    )


@router.post("/cases/{person_id}/kinship/{arrangement_id}/edit", include_in_schema=False)
async def edit_kinship_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    arrangement_id = _record_id(request, "arrangement_id")

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        person = service.may_write(db, database, user, person_id)
        return _kinship_edit(request, person, arrangement_id, form.as_dict(), errors)

    return await submit(
        request,
        db,
        lambda form: service.record_arrangement(db, database, user, person_id, form, arrangement_id),
        done=f"/cases/{person_id}/family-network?done=kinship",
        again=again,
    )


def _support_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    arrangement_id: int,
    values: Mapping[str, str] | None,
    errors: dict[str, str] | None,
) -> Response:
    person = service.may_write(db, database, user, person_id)
    arrangement = service.arrangement_of(db, person_id, arrangement_id)
    items = {item: item for item in service.local_offer(db)}
    fields = tuple(FormField(f.name, f.label, f.type, items, f.hint) if f.name == "item" else f for f in SUPPORT_FIELDS)
    return _form(
        request,
        person,
        heading=f"Support offered to {arrangement.carer_name}",
        action=f"/cases/{person_id}/kinship/{arrangement_id}/support/new",
        fields=fields,
        button="Save the support offered",
        values=values,
        errors=errors,
    )


@router.get("/cases/{person_id}/kinship/{arrangement_id}/support/new", include_in_schema=False)
def new_support_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _support_page(request, db, database, user, person_id, _record_id(request, "arrangement_id"), None, None)


@router.post("/cases/{person_id}/kinship/{arrangement_id}/support/new", include_in_schema=False)
async def new_support_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    arrangement_id = _record_id(request, "arrangement_id")
    return await submit(
        request,
        db,
        lambda form: service.record_support(db, database, user, person_id, arrangement_id, form),
        done=f"/cases/{person_id}/family-network?done=support",
        again=lambda form, errors: _support_page(
            request, db, database, user, person_id, arrangement_id, form.as_dict(), errors
        ),
    )
