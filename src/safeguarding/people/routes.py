"""People pages (search before create, the person record and its forms, restriction, break-glass) and JSON API.

Routes only translate between HTTP and ``people.service``; the service asks the access policy and audits. Every
form posts and redirects (post/redirect/get); a form with errors is shown again with them (422).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from safeguarding.core import access, codes
from safeguarding.core.access import Action, Kind
from safeguarding.core.dates import BirthDate
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field, record_id
from safeguarding.people import rules, service
from safeguarding.people.models import Person, PersonKind
from safeguarding.people.service import AddressInput, AliasInput, PersonInput, SearchQuery
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
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)

SEARCH_FIELDS = ("first_name", "last_name", "date_of_birth", "nhs_number", "postcode")
DATE_LABELS = {"date_of_birth": "Date of birth", "expected_date_of_birth": "Expected date of birth",
               "date_of_death": "Date of death", "address.moved_in": "Date moved in", "moved_in": "Date moved in",
               "started": "Date the relationship started", "ended": "Date it ended"}
FLASH = {"created": "Person record created", "updated": "Changes saved", "address": "Address recorded",
         "alias": "Other name added", "alias_removed": "Other name removed", "relationship": "Relationship recorded",
         "relationship_ended": "Relationship recorded as ended",
         "restricted": "Record restricted", "lifted": "Restriction lifted",
         "break_glass": "You have broken the glass: this access is recorded and shown to managers"}


def _form_dict(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _date(form: dict[str, str], name: str, errors: dict[str, str]) -> date | None:
    return date_field(form.get(name), name, DATE_LABELS.get(name, "Date"), errors, required=False)


def _common() -> dict[str, Any]:
    return {"sexes": list(codes.SEXES.items()), "ethnicities": list(codes.ETHNICITIES.items()),
            "upn_unknown_reasons": list(codes.UPN_UNKNOWN_REASONS.items()),
            "kinds": [(PersonKind.CHILD.value, "Child"), (PersonKind.ADULT.value, "Adult")],
            "relation_choices": [(k, v[2]) for k, v in service.RELATION_CHOICES.items()]}


def _search_query(params: dict[str, str], errors: dict[str, str]) -> SearchQuery:
    # A mistyped NHS number or postcode is pointed out rather than silently matching nobody.
    if params.get("nhs_number", "").strip() and (problem := rules.nhs_number_problem(params["nhs_number"])):
        errors["nhs_number"] = problem
    if params.get("postcode", "").strip() and (problem := rules.postcode_problem(params["postcode"])):
        errors["postcode"] = problem
    return SearchQuery(first_name=params.get("first_name", "").strip(), last_name=params.get("last_name", "").strip(),
                       date_of_birth=_date(params, "date_of_birth", errors),
                       nhs_number=params.get("nhs_number", "").strip(), postcode=params.get("postcode", "").strip())


def _person_input(form: dict[str, str], errors: dict[str, str], *, with_extras: bool) -> PersonInput:
    address = None
    aliases: list[AliasInput] = []
    if with_extras:
        if any(form.get(f"address.{k}", "").strip() for k in ("line1", "line2", "town", "postcode")):
            address = AddressInput(line1=form.get("address.line1", ""), line2=form.get("address.line2", ""),
                                   town=form.get("address.town", ""), postcode=form.get("address.postcode", ""),
                                   moved_in=_date(form, "address.moved_in", errors))
        aliases = [AliasInput(form.get("aliases.0.first_name", ""), form.get("aliases.0.last_name", ""))]
    return PersonInput(
        kind=form.get("kind", PersonKind.CHILD), first_name=form.get("first_name", ""),
        last_name=form.get("last_name", ""), date_of_birth=_date(form, "date_of_birth", errors),
        expected_date_of_birth=_date(form, "expected_date_of_birth", errors),
        date_of_death=_date(form, "date_of_death", errors), sex=form.get("sex") or None,
        ethnicity=form.get("ethnicity") or None, nhs_number=form.get("nhs_number") or None,
        upn=form.get("upn") or None, upn_unknown=form.get("upn_unknown") or None,
        la_child_id=form.get("la_child_id") or None, notes=form.get("notes") or None,
        aliases=aliases, address=address)


# --- search ----------------------------------------------------------------------------------------------------------


@router.get("/people", include_in_schema=False)
def search_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.PERSON, Action.SEARCH)
    params = {k: v for k, v in request.query_params.items() if k in SEARCH_FIELDS}
    errors: dict[str, str] = {}
    query = _search_query(params, errors)
    searched = bool(query.terms()) and not errors
    results = service.search(db, database, user, query) if searched else []
    template = "people/_results.html" if request.headers.get("HX-Request") == "true" else "people/search.html"
    return render(request, template, status_code=422 if errors else 200, title="Find a person", form=params,
                  errors=errors, results=results, searched=searched)


# --- create ----------------------------------------------------------------------------------------------------------


def _new_page(request: Request, form: dict[str, str], *, errors: dict[str, str] | None = None,
              candidates: list[service.Candidate] | None = None, status_code: int = 200) -> Response:
    return render(request, "people/new.html", status_code=status_code, title="Add a person", form=form,
                  errors=errors, candidates=candidates or [], **_common())


@router.get("/people/new", include_in_schema=False)
def new_page(request: Request, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.PERSON, Action.CREATE)
    return _new_page(request, {k: v for k, v in request.query_params.items() if k in SEARCH_FIELDS})


def _create(request: Request, db: Any, database: Any, user: Any, form: dict[str, str]) -> Response:
    access.require_role(database, user, Kind.PERSON, Action.CREATE)
    errors: dict[str, str] = {}
    data = _person_input(form, errors, with_extras=True)
    if errors:
        errors = errors | {k: v for k, v in service.person_problems(db, user, data).items() if k not in errors}
        return _new_page(request, form, errors=errors, status_code=422)
    if form.get("confirm_new") != "yes":
        # Search before create: likely duplicates are offered first, and creating anyway needs a tick.
        candidates = service.search(db, database, user, SearchQuery(
            first_name=data.first_name, last_name=data.last_name, date_of_birth=data.date_of_birth,
            nhs_number=data.nhs_number or "", postcode=data.address.postcode if data.address else ""))
        if candidates:
            return _new_page(request, form, candidates=candidates, errors={
                "confirm_new": "Check these existing records first. If none is this person, tick the box to "
                               "confirm and add a new record"}, status_code=200)
    try:
        person = service.create_person(db, database, user, data)
    except ValidationFailed as exc:
        return _new_page(request, form, errors=exc.errors, status_code=422)
    return RedirectResponse(f"/people/{person.id}?done=created", status_code=303)


@router.post("/people/new", include_in_schema=False)
async def create_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    form = _form_dict(await request.form())
    result: Response = await run_in_threadpool(_create, request, db, database, user, form)
    return result


# --- the record ------------------------------------------------------------------------------------------------------


@router.get("/people/{person_id}", include_in_schema=False)
def record_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser,
                done: str | None = None) -> Response:
    record = service.view_person(db, database, user, person_id)
    may_manage = access.role_may(user, Kind.PERSON, Action.MANAGE)
    return render(request, "people/record.html", title=record.person.full_name, record=record,
                  person=record.person, addresses=service.address_history(record.person), may_manage=may_manage,
                  flash=FLASH.get(done or ""), **_common())


# --- edit ------------------------------------------------------------------------------------------------------------


def _person_form(person: Person) -> dict[str, str]:
    def iso(value: date | None) -> str:
        return value.isoformat() if value else ""

    return {"kind": person.kind, "first_name": person.first_name, "last_name": person.last_name,
            "date_of_birth": iso(person.date_of_birth), "expected_date_of_birth": iso(person.expected_date_of_birth),
            "date_of_death": iso(person.date_of_death), "sex": person.sex or "", "ethnicity": person.ethnicity or "",
            "nhs_number": person.nhs_number or "", "upn": person.upn or "", "upn_unknown": person.upn_unknown or "",
            "la_child_id": person.la_child_id or "", "notes": person.notes or "", "version": str(person.version)}


def _edit_page(request: Request, person: Person, form: dict[str, str], errors: dict[str, str] | None = None,
               status_code: int = 200) -> Response:
    return render(request, "people/edit.html", status_code=status_code, title=f"Change {person.full_name}",
                  person=person, form=form, errors=errors, **_common())


@router.get("/people/{person_id}/edit", include_in_schema=False)
def edit_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    person = service.person_for_edit(db, database, user, person_id)
    return _edit_page(request, person, _person_form(person))


def _update(request: Request, db: Any, database: Any, user: Any, person_id: int, form: dict[str, str]) -> Response:
    person = service.person_for_edit(db, database, user, person_id)
    errors: dict[str, str] = {}
    data = _person_input(form, errors, with_extras=False)
    version = record_id(form.get("version"))
    if version is None:
        errors["version"] = "The form is missing the record's version: reload the page and try again"
    if errors:
        errors = errors | {k: v for k, v in service.person_problems(db, user, data, existing=person).items()
                           if k not in errors}
        return _edit_page(request, person, form, errors, 422)
    assert version is not None
    try:
        service.update_person(db, database, user, person_id, version, data)
    except ValidationFailed as exc:
        return _edit_page(request, person, form, exc.errors, 422)
    return RedirectResponse(f"/people/{person_id}?done=updated", status_code=303)


@router.post("/people/{person_id}/edit", include_in_schema=False)
async def update_page(request: Request, person_id: RecordId, db: DbSession, database: Db,
                      user: CurrentUser) -> Response:
    form = _form_dict(await request.form())
    result: Response = await run_in_threadpool(_update, request, db, database, user, person_id, form)
    return result


def _add_alias(request: Request, db: Any, database: Any, user: Any, person_id: int, form: dict[str, str]) -> Response:
    try:
        service.add_alias(db, database, user, person_id, form.get("alias_first_name", ""),
                          form.get("alias_last_name", ""))
    except ValidationFailed as exc:
        person = service.person_for_edit(db, database, user, person_id)
        return _edit_page(request, person, _person_form(person) | form, exc.errors, 422)
    return RedirectResponse(f"/people/{person_id}?done=alias", status_code=303)


@router.post("/people/{person_id}/aliases", include_in_schema=False)
async def add_alias_page(request: Request, person_id: RecordId, db: DbSession, database: Db,
                         user: CurrentUser) -> Response:
    form = _form_dict(await request.form())
    result: Response = await run_in_threadpool(_add_alias, request, db, database, user, person_id, form)
    return result


@router.post("/people/{person_id}/aliases/{alias_id}/remove", include_in_schema=False)
def remove_alias_page(person_id: RecordId, alias_id: RecordId, db: DbSession, database: Db,
                      user: CurrentUser) -> Response:
    service.remove_alias(db, database, user, person_id, alias_id)
    return RedirectResponse(f"/people/{person_id}?done=alias_removed", status_code=303)


# --- addresses -------------------------------------------------------------------------------------------------------


@router.get("/people/{person_id}/addresses/new", include_in_schema=False)
def new_address_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    person = service.person_for_edit(db, database, user, person_id)
    return render(request, "people/address_new.html", title="Record a move", person=person, form={})


def _add_address(request: Request, db: Any, database: Any, user: Any, person_id: int,
                 form: dict[str, str]) -> Response:
    errors: dict[str, str] = {}
    data = AddressInput(line1=form.get("line1", ""), line2=form.get("line2", ""), town=form.get("town", ""),
                        postcode=form.get("postcode", ""), moved_in=_date(form, "moved_in", errors))
    try:
        if errors:
            raise ValidationFailed(errors | {k: v for k, v in service.address_problems(data).items()
                                             if k not in errors})
        service.add_address(db, database, user, person_id, data)
    except ValidationFailed as exc:
        person = service.person_for_edit(db, database, user, person_id)
        return render(request, "people/address_new.html", status_code=422, title="Record a move", person=person,
                      form=form, errors=exc.errors)
    return RedirectResponse(f"/people/{person_id}?done=address", status_code=303)


@router.post("/people/{person_id}/addresses/new", include_in_schema=False)
async def add_address_page(request: Request, person_id: RecordId, db: DbSession, database: Db,
                           user: CurrentUser) -> Response:
    form = _form_dict(await request.form())
    result: Response = await run_in_threadpool(_add_address, request, db, database, user, person_id, form)
    return result


# --- relationships ---------------------------------------------------------------------------------------------------


def _relationship_page(request: Request, db: Any, database: Any, user: Any, person_id: int,
                       params: dict[str, str], errors: dict[str, str] | None = None,
                       status_code: int = 200) -> Response:
    person = service.person_for_edit(db, database, user, person_id)
    errors = dict(errors or {})
    search_errors: dict[str, str] = {}
    query = _search_query({k: v for k, v in params.items() if k in SEARCH_FIELDS}, search_errors)
    searched = bool(query.terms()) and not search_errors
    results = [c for c in service.search(db, database, user, query) if c.person_id != person_id] if searched else []
    return render(request, "people/relationship_new.html", status_code=422 if search_errors else status_code,
                  title="Add a family member", person=person, form=params, results=results, searched=searched,
                  errors=(search_errors | errors) or None, **_common())


@router.get("/people/{person_id}/relationships/new", include_in_schema=False)
def new_relationship_page(request: Request, person_id: RecordId, db: DbSession, database: Db,
                          user: CurrentUser) -> Response:
    return _relationship_page(request, db, database, user, person_id, dict(request.query_params))


def _add_relationship(request: Request, db: Any, database: Any, user: Any, person_id: int,
                      form: dict[str, str]) -> Response:
    errors: dict[str, str] = {}
    started = _date(form, "started", errors)
    other_id = record_id(form.get("other_person_id"))
    if other_id is None:
        errors["other_person_id"] = "Choose the person they are related to"
    try:
        if errors:
            raise ValidationFailed(errors)
        assert other_id is not None
        service.add_relationship(db, database, user, person_id, other_id, form.get("relation", ""), started)
    except ValidationFailed as exc:
        return _relationship_page(request, db, database, user, person_id, form, exc.errors, 422)
    return RedirectResponse(f"/people/{person_id}?done=relationship", status_code=303)


@router.post("/people/{person_id}/relationships/new", include_in_schema=False)
async def add_relationship_page(request: Request, person_id: RecordId, db: DbSession, database: Db,
                                user: CurrentUser) -> Response:
    form = _form_dict(await request.form())
    result: Response = await run_in_threadpool(_add_relationship, request, db, database, user, person_id, form)
    return result


def _end_relationship(request: Request, db: Any, database: Any, user: Any, person_id: int, relationship_id: int,
                      form: dict[str, str]) -> Response:
    errors: dict[str, str] = {}
    ended = _date(form, "ended", errors)
    if errors:
        raise ValidationFailed(errors)
    service.end_relationship(db, database, user, person_id, relationship_id, ended)
    return RedirectResponse(f"/people/{person_id}?done=relationship_ended", status_code=303)


@router.post("/people/{person_id}/relationships/{relationship_id}/end", include_in_schema=False)
async def end_relationship_page(request: Request, person_id: RecordId, relationship_id: RecordId, db: DbSession,
                                database: Db, user: CurrentUser) -> Response:
    form = _form_dict(await request.form())
    result: Response = await run_in_threadpool(_end_relationship, request, db, database, user, person_id,
                                               relationship_id, form)
    return result


# --- break-glass and restriction -------------------------------------------------------------------------------------


@router.get("/people/{person_id}/break-glass", include_in_schema=False)
def break_glass_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.PERSON, Action.BREAK_GLASS)
    return render(request, "people/break_glass.html", title="Break the glass", person_id=person_id, form={})


def _break_glass(request: Request, db: Any, database: Any, user: Any, person_id: int,
                 form: dict[str, str]) -> Response:
    try:
        service.break_glass(db, database, user, person_id, form.get("reason", ""))
    except ValidationFailed as exc:
        return render(request, "people/break_glass.html", status_code=422, title="Break the glass",
                      person_id=person_id, form=form, errors=exc.errors)
    # The session now opens a restricted record: it goes on under a new id (an id seen before is worth nothing).
    renewed = renew_session(request, db, request.state.user_session)
    response = RedirectResponse(f"/people/{person_id}?done=break_glass", status_code=303)
    set_session_cookie(response, renewed)
    return response


@router.post("/people/{person_id}/break-glass", include_in_schema=False)
async def break_glass_submit(request: Request, person_id: RecordId, db: DbSession, database: Db,
                             user: CurrentUser) -> Response:
    form = _form_dict(await request.form())
    result: Response = await run_in_threadpool(_break_glass, request, db, database, user, person_id, form)
    return result


def _restriction_page(request: Request, db: Any, database: Any, user: Any, person_id: int,
                      form: dict[str, str] | None = None, named: list[int] | None = None,
                      errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    person, restriction, current = service.restriction_of(db, database, user, person_id)
    users = service.nameable_users(db)
    return render(request, "people/restriction.html", status_code=status_code, title="Restriction", person=person,
                  restriction=restriction, named=set(named if named is not None else current),
                  users=users, users_by_id={u.id: u for u in users},
                  log=service.break_glass_log(db, database, user, person_id),
                  form=form or {"reason": restriction.reason if restriction else ""}, errors=errors)


@router.get("/people/{person_id}/restriction", include_in_schema=False)
def restriction_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _restriction_page(request, db, database, user, person_id)


def _change_restriction(request: Request, db: Any, database: Any, user: Any, person_id: int,
                        form: dict[str, str], named: list[int]) -> Response:
    try:
        if form.get("action") == "lift":
            service.lift_restriction(db, database, user, person_id, form.get("reason", ""))
            done = "lifted"
        else:
            service.restrict(db, database, user, person_id, form.get("reason", ""), named)
            done = "restricted"
    except ValidationFailed as exc:
        return _restriction_page(request, db, database, user, person_id, form, named, exc.errors, 422)
    return RedirectResponse(f"/people/{person_id}?done={done}", status_code=303)


@router.post("/people/{person_id}/restriction", include_in_schema=False)
async def restriction_submit(request: Request, person_id: RecordId, db: DbSession, database: Db,
                             user: CurrentUser) -> Response:
    raw = await request.form()
    named = [i for i in (record_id(v) for v in raw.getlist("named_user_ids") if isinstance(v, str)) if i is not None]
    result: Response = await run_in_threadpool(_change_restriction, request, db, database, user, person_id,
                                               _form_dict(raw), named)
    return result


# --- JSON API --------------------------------------------------------------------------------------------------------


_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "Not allowed: partner agencies never open people's records; a "
                                           "restricted record is open only to the people named on it"},
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


@api_router.get("/people/search", response_model=list[CandidateOut], tags=["people"], responses=_ERRORS,
                summary="Search before create")
def api_search(db: DbSession, database: Db, user: ApiUser, first_name: str = "", last_name: str = "",
               date_of_birth: BirthDate | None = None, nhs_number: str = "", postcode: str = "") -> list[CandidateOut]:
    """Search before create. Staff tokens only; partner agencies are refused."""
    results = service.search(db, database, user, SearchQuery(first_name=first_name, last_name=last_name,
                                                              date_of_birth=date_of_birth, nhs_number=nhs_number,
                                                              postcode=postcode))
    return [CandidateOut(id=None if c.hidden else c.person_id, score=c.score, reasons=list(c.reasons),
                         restricted=c.restricted,
                         first_name=c.person.first_name if c.person else None,
                         last_name=c.person.last_name if c.person else None,
                         date_of_birth=c.person.date_of_birth if c.person else None) for c in results]


@api_router.get("/people/{person_id}", response_model=PersonOut, tags=["people"], responses=_ERRORS,
                summary="A person's record")
def api_person(person_id: RecordId, db: DbSession, database: Db, user: ApiUser) -> PersonOut:
    record = service.view_person(db, database, user, person_id)
    p = record.person
    return PersonOut(
        id=p.id, kind=p.kind, first_name=p.first_name, last_name=p.last_name, date_of_birth=p.date_of_birth,
        expected_date_of_birth=p.expected_date_of_birth, date_of_death=p.date_of_death, sex=p.sex,
        ethnicity=p.ethnicity, nhs_number=p.nhs_number, upn=p.upn, la_child_id=p.la_child_id,
        restricted=record.restriction is not None,
        aliases=[AliasOut(first_name=a.first_name, last_name=a.last_name) for a in p.aliases],
        addresses=[AddressOut(line1=a.line1, line2=a.line2, town=a.town, postcode=a.postcode, moved_in=a.moved_in,
                              moved_out=a.moved_out) for a in service.address_history(p)],
        family=[RelativeOut(id=r.person_id, relationship=r.label, name=r.person.full_name if r.person else None)
                for r in record.family])
