"""Pages of the family network on the child's record: the page (FGDM offers and family network meetings,
pre-proceedings, kinship arrangements with the support offered) and its forms. Every route is declared in the
authorization matrix (tests/family_network/authorization.py).

Routes only translate between HTTP and ``service``, which asks the access policy and audits. Every form goes
through ``web.forms.submit``: shown again with its errors in field order (422), else post/redirect/get.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class NewForm:
    """A form that records something new on the child's case (GET shows it, POST saves it)."""

    path: str  # with {person_id}
    heading: str
    fields: tuple[FormField, ...]
    button: str
    save: Callable[[Session, Database, User, int, PostedForm], object]
    done: str  # the family network page's flash
    name: str
    intro: str | None = None
    # The options of a field read from the record when the page is drawn (name -> options).
    options: Callable[[Session, int], Mapping[str, Mapping[str, str]]] | None = None


@dataclass(frozen=True)
class RecordForm:
    """A form on one of the child's saved records (pre-proceedings, a kinship arrangement): its changes, or
    something recorded against it (support offered)."""

    path: str  # with {person_id} and the record's {<id_name>}
    id_name: str
    load: Callable[[Session, int, int], Any]  # the child's record; another child's is refused (NotFound)
    heading: Callable[[Any], str]
    fields: Callable[[Session], tuple[FormField, ...]]
    button: str
    saved: Callable[[Any], Mapping[str, str]]  # what the form shows when opened
    save: Callable[[Session, Database, User, int, int, PostedForm], object]
    done: str
    name: str


def _with_options(fields: tuple[FormField, ...], options: Mapping[str, Mapping[str, str]]) -> tuple[FormField, ...]:
    return tuple(
        FormField(f.name, f.label, f.type, options[f.name], f.hint, f.blank) if f.name in options else f for f in fields
    )


def _mount(form: NewForm) -> None:
    """GET shows the form (to whoever may record on the case), POST saves it through ``submit``."""

    def page(
        request: Request,
        db: Session,
        database: Database,
        user: User,
        person_id: int,
        values: Mapping[str, str] | None,
        errors: dict[str, str] | None,
    ) -> Response:
        person = service.may_write(db, database, user, person_id)
        fields = _with_options(form.fields, form.options(db, person_id)) if form.options else form.fields
        return _form(
            request,
            person,
            heading=form.heading,
            action=form.path.format(person_id=person_id),
            fields=fields,
            button=form.button,
            values=values,
            errors=errors,
            intro=form.intro,
        )

    def show(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        return page(request, db, database, user, person_id, None, None)

    async def post(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        return await submit(
            request,
            db,
            lambda posted: form.save(db, database, user, person_id, posted),
            done=f"/cases/{person_id}/family-network?done={form.done}",
            again=lambda posted, errors: page(request, db, database, user, person_id, posted.as_dict(), errors),
        )

    show.__name__, post.__name__ = f"{form.name}_page", f"{form.name}_submit"
    router.add_api_route(form.path, show, methods=["GET"], include_in_schema=False)
    router.add_api_route(form.path, post, methods=["POST"], include_in_schema=False)


def _mount_on_record(form: RecordForm) -> None:
    """GET shows the form with the saved record's values, POST saves it through ``submit`` (a second editor is told,
    keeping what they typed); both only for whoever may record on the case, and only for this child's record."""

    def page(
        request: Request,
        db: Session,
        database: Database,
        user: User,
        person_id: int,
        number: int,
        values: Mapping[str, str] | None,
        errors: dict[str, str] | None,
    ) -> Response:
        person = service.may_write(db, database, user, person_id)
        row = form.load(db, person_id, number)
        return _form(
            request,
            person,
            heading=form.heading(row),
            action=form.path.format(person_id=person_id, **{form.id_name: number}),
            fields=form.fields(db),
            button=form.button,
            values=form.saved(row) if values is None else values,
            errors=errors,
        )

    def show(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        number = path_record_id(request, form.id_name)
        return page(request, db, database, user, person_id, number, None, None)

    async def post(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        number = path_record_id(request, form.id_name)
        return await submit(
            request,
            db,
            lambda posted: form.save(db, database, user, person_id, number, posted),
            done=f"/cases/{person_id}/family-network?done={form.done}",
            again=lambda posted, errors: page(request, db, database, user, person_id, number, posted.as_dict(), errors),
        )

    show.__name__, post.__name__ = f"{form.name}_page", f"{form.name}_submit"
    router.add_api_route(form.path, show, methods=["GET"], include_in_schema=False)
    router.add_api_route(form.path, post, methods=["POST"], include_in_schema=False)


def _offer_options(db: Session, person_id: int) -> Mapping[str, Mapping[str, str]]:
    return {"offer_id": service.accepted_offers(db, person_id)}


def _support_fields(db: Session) -> tuple[FormField, ...]:
    return _with_options(SUPPORT_FIELDS, {"item": {item: item for item in service.local_offer(db)}})


for _new in (
    NewForm(
        "/cases/{person_id}/family-network/offers/new",
        "Record an FGDM offer",
        OFFER_FIELDS,
        "Save the offer",
        service.record_offer,
        "offer",
        "new_fgdm_offer",
        intro=(
            "A family group decision-making meeting offered to the parents and those with parental responsibility, "
            "before the council applies to court."
        ),
    ),
    NewForm(
        "/cases/{person_id}/family-network/meetings/new",
        "Record a family network meeting",
        MEETING_FIELDS,
        "Save the meeting",
        service.record_meeting,
        "meeting",
        "new_family_network_meeting",
        options=_offer_options,
    ),
    NewForm(
        "/cases/{person_id}/pre-proceedings/new",
        "Start pre-proceedings",
        PP_FIELDS,
        "Save pre-proceedings",
        service.record_pre_proceedings,
        "pre_proceedings",
        "new_pre_proceedings",
        intro=(
            "Pre-proceedings under the Public Law Outline in the child's open episode. Add the later dates as they "
            "happen."
        ),
    ),
    NewForm(
        "/cases/{person_id}/kinship/new",
        "Record a kinship arrangement",
        KINSHIP_FIELDS,
        "Save the arrangement",
        service.record_arrangement,
        "kinship",
        "new_kinship_arrangement",
    ),
):
    _mount(_new)


# --- the forms of a saved record: pre-proceedings and kinship arrangements changed, support offered -----------------

for _on_record in (
    RecordForm(
        "/cases/{person_id}/pre-proceedings/{pp_id}/edit",
        "pp_id",
        service.pre_proceedings_of,
        lambda row: "Change pre-proceedings",
        lambda db: PP_FIELDS,
        "Save pre-proceedings",
        service.pp_values,
        lambda db, database, user, person_id, number, posted: service.record_pre_proceedings(
            db, database, user, person_id, posted, number
        ),
        "pre_proceedings",
        "edit_pre_proceedings",
    ),
    RecordForm(
        "/cases/{person_id}/kinship/{arrangement_id}/edit",
        "arrangement_id",
        service.arrangement_of,
        lambda row: "Change a kinship arrangement",
        lambda db: KINSHIP_FIELDS,
        "Save the arrangement",
        service.arrangement_values,
        lambda db, database, user, person_id, number, posted: service.record_arrangement(
            db, database, user, person_id, posted, number
        ),
        "kinship",
        "edit_kinship",
    ),
    RecordForm(
        "/cases/{person_id}/kinship/{arrangement_id}/support/new",
        "arrangement_id",
        service.arrangement_of,
        lambda row: f"Support offered to {row.carer_name}",
        _support_fields,
        "Save the support offered",
        lambda row: {},
        service.record_support,
        "support",
        "new_support",
    ),
):
    _mount_on_record(_on_record)
