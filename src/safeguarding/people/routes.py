"""People pages (search before create, the person record and its forms, restriction, break-glass) and JSON API.

Routes only translate between HTTP and the people services (``records``, ``family``, ``search``, ``restriction``);
the services ask the access policy and audit. Every form goes through ``web.forms.submit``: shown again with its
errors (422), else post/redirect/get.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from safeguarding.core import access, codes
from safeguarding.core.access import Action, Kind
from safeguarding.core.dates import BirthDate
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_parts_field, record_id
from safeguarding.core.users import User, UserSession
from safeguarding.people import family, picker, records, restriction, search, viewing
from safeguarding.people.duplicates import merging
from safeguarding.people.inputs import SEARCH_FIELDS, AddressInput, PersonChange, PersonInput, SearchQuery, form_date
from safeguarding.people.models import FamilyRelationship, Person, PersonKind
from safeguarding.web.api_errors import Problem
from safeguarding.web.deps import (
    ApiUser,
    CurrentUser,
    Db,
    DbSession,
    RecordId,
    TransactionalRoute,
    csrf_protect,
    renew_session,
    set_session_cookie,
)
from safeguarding.web.forms import PICK_SEARCH, PostedForm, in_thread, read_form, read_query, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)

FLASH = {
    "created": "Person record created",
    "updated": "Changes saved",
    "address": "Address recorded",
    "alias": "Other name added",
    "alias_removed": "Other name removed",
    "relationship": "Relationship recorded",
    "relationship_ended": 'Relationship recorded as ended. If that was a mistake, choose "Undo: not ended" beside it',
    "relationship_restored": "The relationship is current again: its end was undone",
    "restricted": "Record restricted",
    "lifted": "Restriction lifted",
    "break_glass": "You have broken the glass: this access is recorded and shown to managers",
}


def _common() -> dict[str, Any]:
    return {
        "sexes": list(codes.SEXES.items()),
        "ethnicities": list(codes.ETHNICITIES.items()),
        "upn_unknown_reasons": list(codes.UPN_UNKNOWN_REASONS.items()),
        "kinds": [(PersonKind.CHILD.value, "Child"), (PersonKind.ADULT.value, "Adult")],
        "relation_choices": [(k, v[2]) for k, v in family.RELATION_CHOICES.items()],
    }


def _done(person_id: int, what: str) -> str:
    return f"/people/{person_id}?done={what}"


# --- search ----------------------------------------------------------------------------------------------------------


@router.get("/people", include_in_schema=False)
def search_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.PERSON, Action.SEARCH)
    params = {k: v for k, v in read_query(request).items() if k in SEARCH_FIELDS}
    query, errors = SearchQuery.read(params)
    searched = bool(query.terms()) and not errors
    results = search.search(db, database, user, query) if searched else []
    template = "people/_results.html" if request.headers.get("HX-Request") == "true" else "people/search.html"
    return render(
        request,
        template,
        status_code=422 if errors else 200,
        title="Find a person",
        form=params,
        errors=errors,
        results=results,
        searched=searched,
    )


@router.get("/people/pick", include_in_schema=False)
def pick_page(request: Request, db: DbSession, database: Db, user: CurrentUser, name: str = "") -> Response:
    """A person picker's results alone (htmx asks for them when the picker's Find button is pressed; without
    JavaScript the form itself is posted and shown again with them)."""
    access.require_role(database, user, Kind.PERSON, Action.SEARCH)
    name = name.strip()[:100]
    params = {f"{name}.q": request.query_params.get(f"{name}.q", ""), PICK_SEARCH: name}
    pick = picker.picker_view(db, database, user, name, params)
    return render(request, "people/picker_results.html", pick=pick)


# --- create ----------------------------------------------------------------------------------------------------------


def _new_page(
    request: Request,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    candidates: list[search.Candidate] | None = None,
) -> Response:
    return render(
        request,
        "people/new.html",
        title="Add a person",
        form=form,
        errors=errors,
        candidates=candidates or [],
        **_common(),
    )


@router.get("/people/new", include_in_schema=False)
def new_page(request: Request, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.PERSON, Action.CREATE)
    return _new_page(request, {k: v for k, v in request.query_params.items() if k in SEARCH_FIELDS})


def _likely_duplicates(
    request: Request, db: Session, database: Database, user: User, form: PostedForm
) -> Response | None:
    """Search before create: the existing records these details may be, offered before a new one is made (creating
    anyway needs a tick). None when there are none, or the details are refused anyway."""
    access.require_role(database, user, Kind.PERSON, Action.CREATE)
    if form.get("confirm_new") == "yes":
        return None
    try:
        data = PersonInput.read(form)
    except ValidationFailed:
        return None  # refused with every problem by the save that follows
    candidates = search.search(
        db,
        database,
        user,
        SearchQuery(
            first_name=data.first_name,
            last_name=data.last_name,
            date_of_birth=data.date_of_birth,
            nhs_number=data.nhs_number or "",
            postcode=data.address.postcode if data.address else "",
        ),
    )
    if not candidates:
        return None
    return _new_page(
        request,
        form.as_dict(),
        candidates=candidates,
        errors={
            "confirm_new": "Check these existing records first. If none is this person, tick the box to confirm and "
            "add a new record"
        },
    )


@router.post("/people/new", include_in_schema=False)
async def create_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    offered = await in_thread(_likely_duplicates, request, db, database, user, await read_form(request))
    if offered is not None:
        return offered
    return await submit(
        request,
        db,
        lambda form: records.create_person(
            db, database, user, PersonInput.read(form, problems=lambda data: records.person_problems(db, user, data))
        ),
        done=lambda person: _done(person.id, "created"),
        again=lambda form, errors: _new_page(request, form.as_dict(), errors=errors),
    )


# --- the record ------------------------------------------------------------------------------------------------------


@router.get("/people/{person_id}", include_in_schema=False)
def record_page(
    request: Request,
    person_id: RecordId,
    db: DbSession,
    database: Db,
    user: CurrentUser,
    done: str | None = None,
    contact: str | None = None,
) -> Response:
    """The person's record. ``contact`` (a MASH contact's number) is where it was opened from as a possible match
    of someone the contact names: the page leads back to that contact, to link or not. A record merged into another
    leads to the survivor (old links keep working)."""
    survivor = merging.survivor_of(db, person_id)
    if survivor != person_id:
        return RedirectResponse(f"/people/{survivor}", status_code=303)
    record = viewing.view_person(db, database, user, person_id)
    from_contact = record_id(contact)
    may_manage = access.role_may(user, Kind.PERSON, Action.MANAGE)
    return render(
        request,
        "people/record.html",
        title=record.person.full_name,
        record=record,
        person=record.person,
        addresses=records.address_history(record.person),
        may_manage=may_manage,
        may_update=access.role_may(user, Kind.PERSON, Action.UPDATE),
        may_open_case=access.role_may(user, Kind.CASE, Action.VIEW),
        flash=FLASH.get(done or ""),
        back_to_contact=f"/mash/contacts/{from_contact}" if from_contact is not None else None,
        merged_records=merging.merged_into(db, person_id),
        **_common(),
    )


# --- edit ------------------------------------------------------------------------------------------------------------


def _person_form(person: Person) -> dict[str, str]:
    def iso(value: date | None) -> str:
        return value.isoformat() if value else ""

    return {
        "kind": person.kind,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "date_of_birth": iso(person.date_of_birth),
        "expected_date_of_birth": iso(person.expected_date_of_birth),
        "date_of_death": iso(person.date_of_death),
        "sex": person.sex or "",
        "ethnicity": person.ethnicity or "",
        "nhs_number": person.nhs_number or "",
        "upn": person.upn or "",
        "upn_unknown": person.upn_unknown or "",
        "la_child_id": person.la_child_id or "",
        "notes": person.notes or "",
        "version": str(person.version),
    }


def _edit_page(
    request: Request, person: Person, form: dict[str, str], errors: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "people/edit.html",
        title=f"Change {person.full_name}",
        person=person,
        form=form,
        errors=errors,
        **_common(),
    )


def _edit_again(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    form: dict[str, str],
    errors: dict[str, str],
) -> Response:
    return _edit_page(request, viewing.person_for_edit(db, database, user, person_id), form, errors)


@router.get("/people/{person_id}/edit", include_in_schema=False)
def edit_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    person = viewing.person_for_edit(db, database, user, person_id)
    return _edit_page(request, person, _person_form(person))


def _update(db: Session, database: Database, user: User, person_id: int, form: PostedForm) -> Person:
    person = viewing.person_for_edit(db, database, user, person_id)
    change = PersonChange.read(form, problems=lambda data: records.person_problems(db, user, data, existing=person))
    return records.update_person(db, database, user, person_id, change.version, change.details)


@router.post("/people/{person_id}/edit", include_in_schema=False)
async def update_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: _update(db, database, user, person_id, form),
        done=_done(person_id, "updated"),
        again=lambda form, errors: _edit_again(request, db, database, user, person_id, form.as_dict(), errors),
    )


def _alias_again(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    form: PostedForm,
    errors: dict[str, str],
) -> Response:
    person = viewing.person_for_edit(db, database, user, person_id)
    return _edit_page(request, person, _person_form(person) | form.as_dict(), errors)


@router.post("/people/{person_id}/aliases", include_in_schema=False)
async def add_alias_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: records.add_alias(
            db, database, user, person_id, form.get("alias_first_name", ""), form.get("alias_last_name", "")
        ),
        done=_done(person_id, "alias"),
        again=lambda form, errors: _alias_again(request, db, database, user, person_id, form, errors),
    )


@router.post("/people/{person_id}/aliases/{alias_id}/remove", include_in_schema=False)
def remove_alias_page(
    person_id: RecordId, alias_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    records.remove_alias(db, database, user, person_id, alias_id)
    return RedirectResponse(_done(person_id, "alias_removed"), status_code=303)


# --- addresses -------------------------------------------------------------------------------------------------------


def _address_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    person = viewing.person_for_edit(db, database, user, person_id)
    return render(request, "people/address_new.html", title="Record a move", person=person, form=form, errors=errors)


@router.get("/people/{person_id}/addresses/new", include_in_schema=False)
def new_address_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _address_page(request, db, database, user, person_id, {})


@router.post("/people/{person_id}/addresses/new", include_in_schema=False)
async def add_address_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: records.add_address(
            db, database, user, person_id, AddressInput.read(form, problems=records.address_problems)
        ),
        done=_done(person_id, "address"),
        again=lambda form, errors: _address_page(request, db, database, user, person_id, form.as_dict(), errors),
    )


# --- relationships ---------------------------------------------------------------------------------------------------


def _relationship_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    params: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    person = viewing.person_for_edit(db, database, user, person_id)
    query, search_errors = SearchQuery.read({k: v for k, v in params.items() if k in SEARCH_FIELDS})
    searched = bool(query.terms()) and not search_errors
    results = [c for c in search.search(db, database, user, query) if c.person_id != person_id] if searched else []
    return render(
        request,
        "people/relationship_new.html",
        status_code=422 if search_errors else 200,
        title="Add a family member",
        person=person,
        form=params,
        results=results,
        searched=searched,
        errors=(search_errors | dict(errors or {})) or None,
        **_common(),
    )


@router.get("/people/{person_id}/relationships/new", include_in_schema=False)
def new_relationship_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return _relationship_page(request, db, database, user, person_id, dict(request.query_params))


def _add_relationship(
    db: Session, database: Database, user: User, person_id: int, form: PostedForm
) -> FamilyRelationship:
    errors: dict[str, str] = {}
    started = form_date(form, "started", errors)
    other_id = record_id(form.get("other_person_id"))
    if other_id is None:
        errors["other_person_id"] = "Choose the person they are related to"
    if errors or other_id is None:
        raise ValidationFailed(errors)
    return family.add_relationship(db, database, user, person_id, other_id, form.get("relation", ""), started)


@router.post("/people/{person_id}/relationships/new", include_in_schema=False)
async def add_relationship_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: _add_relationship(db, database, user, person_id, form),
        done=_done(person_id, "relationship"),
        again=lambda form, errors: _relationship_page(request, db, database, user, person_id, form.as_dict(), errors),
    )


def _end_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    relationship_id: int,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    """The check before a tie is recorded as ended: whose tie, and the date it ended (asked, never assumed)."""
    person = viewing.person_for_edit(db, database, user, person_id)
    relative = family.relative_to_change(db, database, user, person_id, relationship_id)
    return render(
        request,
        "people/relationship_end.html",
        title=f"End this relationship: {person.full_name}",
        person=person,
        relative=relative,
        form=form,
        errors=errors or None,
        **_common(),
    )


@router.get("/people/{person_id}/relationships/{relationship_id}/end", include_in_schema=False)
def end_relationship_confirm_page(
    request: Request, person_id: RecordId, relationship_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return _end_page(request, db, database, user, person_id, relationship_id, {})


def _end_relationship(
    db: Session, database: Database, user: User, person_id: int, relationship_id: int, form: PostedForm
) -> FamilyRelationship:
    errors: dict[str, str] = {}
    ended = date_parts_field(
        form.get("ended-day"), form.get("ended-month"), form.get("ended-year"), "ended", "the date it ended", errors
    )
    if errors:
        raise ValidationFailed(errors)
    return family.end_relationship(db, database, user, person_id, relationship_id, ended)


@router.post("/people/{person_id}/relationships/{relationship_id}/end", include_in_schema=False)
async def end_relationship_page(
    request: Request, person_id: RecordId, relationship_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: _end_relationship(db, database, user, person_id, relationship_id, form),
        done=_done(person_id, "relationship_ended"),
        again=lambda form, errors: _end_page(
            request, db, database, user, person_id, relationship_id, form.as_dict(), errors
        ),
    )


@router.post("/people/{person_id}/relationships/{relationship_id}/restore", include_in_schema=False)
async def restore_relationship_page(
    request: Request, person_id: RecordId, relationship_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    # A refusal (nothing to undo) is shown on the app's error page: the button sits on the record page.
    await read_form(request)
    await in_thread(family.restore_relationship, db, database, user, person_id, relationship_id)
    return RedirectResponse(_done(person_id, "relationship_restored"), status_code=303)


# --- break-glass and restriction -------------------------------------------------------------------------------------


def _break_glass_page(
    request: Request, person_id: int, form: dict[str, str], errors: dict[str, str] | None = None
) -> Response:
    return render(
        request, "people/break_glass.html", title="Break the glass", person_id=person_id, form=form, errors=errors
    )


@router.get("/people/{person_id}/break-glass", include_in_schema=False)
def break_glass_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.PERSON, Action.BREAK_GLASS)
    return _break_glass_page(request, person_id, {})


@router.post("/people/{person_id}/break-glass", include_in_schema=False)
async def break_glass_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    renewed: list[UserSession] = []

    def save(form: PostedForm) -> None:
        restriction.break_glass(db, database, user, person_id, form.get("reason", ""))
        # The session now opens a restricted record: it goes on under a new id (an id seen before is worth
        # nothing).
        renewed.append(renew_session(request, db, request.state.user_session))

    response = await submit(
        request,
        db,
        save,
        done=_done(person_id, "break_glass"),
        again=lambda form, errors: _break_glass_page(request, person_id, form.as_dict(), errors),
    )
    if renewed:
        set_session_cookie(response, renewed[0])
    return response


def _restriction_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    form: PostedForm | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    person, current, named = restriction.restriction_of(db, database, user, person_id)
    if form is not None:
        named = _named_user_ids(form)
    users = restriction.nameable_users(db)
    return render(
        request,
        "people/restriction.html",
        title="Restriction",
        person=person,
        restriction=current,
        named=set(named),
        users=users,
        users_by_id={u.id: u for u in users},
        log=restriction.break_glass_log(db, database, user, person_id),
        form=form.as_dict() if form is not None else {"reason": current.reason if current else ""},
        errors=errors,
    )


@router.get("/people/{person_id}/restriction", include_in_schema=False)
def restriction_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _restriction_page(request, db, database, user, person_id)


def _named_user_ids(form: PostedForm) -> list[int]:
    return [i for i in (record_id(v) for v in form.all("named_user_ids")) if i is not None]


def _change_restriction(db: Session, database: Database, user: User, person_id: int, form: PostedForm) -> str:
    """Restrict (or re-restrict) the record, or lift its restriction; what was done, for the page's message."""
    if form.get("action") == "lift":
        restriction.lift_restriction(db, database, user, person_id, form.get("reason", ""))
        return "lifted"
    restriction.restrict(db, database, user, person_id, form.get("reason", ""), _named_user_ids(form))
    return "restricted"


@router.post("/people/{person_id}/restriction", include_in_schema=False)
async def restriction_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: _change_restriction(db, database, user, person_id, form),
        done=lambda what: _done(person_id, what),
        again=lambda form, errors: _restriction_page(request, db, database, user, person_id, form, errors),
    )


# --- JSON API --------------------------------------------------------------------------------------------------------


_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "model": Problem,
        "description": "Not allowed: partner agencies never open people's records; a "
        "restricted record is open only to the people named on it",
    },
    404: {"model": Problem, "description": "No such person"},
}
# Record ids are 32-bit integers in both databases; anything else cannot name a record.


class CandidateOut(BaseModel):
    """A search result. A restricted record the caller may not open is listed only when the search identifies it
    (the same NHS number, or the same name and date of birth), with no id, name or details: only that it matches."""

    id: int | None
    score: int
    reasons: list[str]
    restricted: bool
    # The record-linkage model's probability that this is the person searched for, and its evidence in words.
    probability: float | None = None
    evidence: list[str] = []
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None


class AddressOut(BaseModel):
    line1: str
    line2: str | None
    town: str | None
    postcode: str | None
    moved_in: date | None
    moved_out: date | None


class AliasOut(BaseModel):
    first_name: str
    last_name: str


class RelativeOut(BaseModel):
    id: int
    relationship: str
    name: str | None


class PersonOut(BaseModel):
    id: int
    kind: str
    first_name: str
    last_name: str
    date_of_birth: date | None
    expected_date_of_birth: date | None
    date_of_death: date | None
    sex: str | None
    ethnicity: str | None
    nhs_number: str | None
    upn: str | None
    la_child_id: str | None
    restricted: bool
    aliases: list[AliasOut]
    addresses: list[AddressOut]
    family: list[RelativeOut]


@api_router.get(
    "/people/search",
    response_model=list[CandidateOut],
    tags=["people"],
    responses=_ERRORS,
    summary="Search before create",
)
def api_search(
    db: DbSession,
    database: Db,
    user: ApiUser,
    first_name: str = "",
    last_name: str = "",
    date_of_birth: BirthDate | None = None,
    nhs_number: str = "",
    postcode: str = "",
) -> list[CandidateOut]:
    """Search before create. Staff tokens only; partner agencies are refused."""
    results = search.search(
        db,
        database,
        user,
        SearchQuery(
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            nhs_number=nhs_number,
            postcode=postcode,
        ),
    )
    return [
        CandidateOut(
            id=None if c.hidden else c.person_id,
            score=c.score,
            reasons=list(c.reasons),
            restricted=c.restricted,
            probability=None if c.probability is None else round(c.probability, 4),
            evidence=list(c.evidence),
            first_name=c.person.first_name if c.person else None,
            last_name=c.person.last_name if c.person else None,
            date_of_birth=c.person.date_of_birth if c.person else None,
        )
        for c in results
    ]


@api_router.get(
    "/people/{person_id}", response_model=PersonOut, tags=["people"], responses=_ERRORS, summary="A person's record"
)
def api_person(person_id: RecordId, db: DbSession, database: Db, user: ApiUser) -> PersonOut:
    record = viewing.view_person(db, database, user, person_id)
    p = record.person
    return PersonOut(
        id=p.id,
        kind=p.kind,
        first_name=p.first_name,
        last_name=p.last_name,
        date_of_birth=p.date_of_birth,
        expected_date_of_birth=p.expected_date_of_birth,
        date_of_death=p.date_of_death,
        sex=p.sex,
        ethnicity=p.ethnicity,
        nhs_number=p.nhs_number,
        upn=p.upn,
        la_child_id=p.la_child_id,
        restricted=record.restriction is not None,
        aliases=[AliasOut(first_name=a.first_name, last_name=a.last_name) for a in p.aliases],
        addresses=[
            AddressOut(
                line1=a.line1,
                line2=a.line2,
                town=a.town,
                postcode=a.postcode,
                moved_in=a.moved_in,
                moved_out=a.moved_out,
            )
            for a in records.address_history(p)
        ],
        family=[
            RelativeOut(id=r.person_id, relationship=r.label, name=r.person.full_name if r.person else None)
            for r in record.family
        ],
    )
