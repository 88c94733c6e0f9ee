"""Pages of the casework capability: the child's case, the forms of each event, authorisation, closure, allocation,
unallocated children, supervision, curated chronologies and the family's genogram. Every route is declared in the
authorization matrix (tests/casework/authorization.py).

Routes only translate between HTTP and ``casework.service``; the service asks the access policy and audits. Every
form posts and redirects (post/redirect/get); a form with errors is shown again with them (422).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from safeguarding.casework import events, rules, service
from safeguarding.core import codes
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.form_fields import record_id
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)

# The path parameter naming each kind's record in its edit URL.
ID_NAMES: dict[str, str] = {
    "assessments": "assessment_id", "strategy-discussions": "strategy_discussion_id",
    "section-47s": "section47_id", "conferences": "conference_id", "cp-plans": "cp_plan_id",
    "core-groups": "core_group_id", "visits": "visit_id", "cin-plans": "cin_plan_id",
    "cin-reviews": "cin_review_id", "notes": "case_note_id",
}
FLASH = {"saved": "Saved", "authorised": "Assessment authorised", "closed": "Episode of need closed",
         "allocated": "Child allocated", "chronology": "Chronology saved"}


async def _form(request: Request) -> dict[str, Any]:
    """The posted form: single values as strings, repeated names (checkboxes) as lists under ``name[]``."""
    data = await request.form()
    form: dict[str, Any] = {}
    for key in data:
        values = [v for v in data.getlist(key) if isinstance(v, str)]
        if key == "csrf_token" or not values:
            continue
        form[key] = values[-1]
        form[f"{key}[]"] = values
    return form


def _path_id(request: Request, name: str) -> int:
    # Bounded like every other record number in a path (RecordId): 10**20 or -1 names no record.
    number = record_id(request.path_params.get(name))
    if number is None:
        raise NotFound("There is no such record.")
    return number


# --- the case page ----------------------------------------------------------------------------------------------------


@router.get("/cases/{person_id}", include_in_schema=False)
def case_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    kind = request.query_params.get("kind") or None
    record = service.case_record(db, database, user, person_id, kind)
    return render(request, "casework/case.html", title=f"Case: {record.person.full_name}", record=record,
                  kinds=events.KINDS, chronology_kinds=service.CHRONOLOGY_KINDS,
                  flash=FLASH.get(request.query_params.get("done", "")), rules=rules)


@router.get("/cases/{person_id}/family", include_in_schema=False)
def family_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    view = service.family(db, database, user, person_id)
    return render(request, "casework/family.html", title=f"Family: {view.person.full_name}", view=view)


# --- the events: one form per kind, for a new record and an edit ------------------------------------------------------


def _event_page(request: Request, form: service.EventForm, *, errors: dict[str, str] | None = None,
                status_code: int = 200) -> Response:
    action = (f"/cases/{form.person.id}/{form.kind.slug}/{form.event_id}/edit" if form.event_id
              else f"/cases/{form.person.id}/{form.kind.slug}/new")
    return render(request, "casework/event_form.html", status_code=status_code,
                  title=f"{'Change' if form.event_id else 'Record'} {form.kind.label}", form=form, action=action,
                  errors=errors, participant_rows=range(events.PARTICIPANT_ROWS))


def _new_get(slug: str) -> Callable[..., Response]:
    def endpoint(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        return _event_page(request, service.event_form(db, database, user, person_id, slug))
    endpoint.__name__ = f"new_{slug.replace('-', '_')}_page"
    return endpoint


def _edit_get(slug: str) -> Callable[..., Response]:
    def endpoint(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        event_id = _path_id(request, ID_NAMES[slug])
        return _event_page(request, service.event_form(db, database, user, person_id, slug, event_id))
    endpoint.__name__ = f"edit_{slug.replace('-', '_')}_page"
    return endpoint


def _save(request: Request, db: Any, database: Any, user: Any, person_id: int, slug: str, event_id: int | None,
          form: dict[str, Any]) -> Response:
    try:
        service.save_event(db, database, user, person_id, slug, form, event_id=event_id,
                           expected_version=record_id(form.get("version")) if event_id is not None else None)
    except ValidationFailed as exc:
        db.rollback()
        shown = service.event_form(db, database, user, person_id, slug, event_id)
        shown.values = {k: v for k, v in form.items() if not k.endswith("[]")}
        return _event_page(request, shown, errors=exc.errors, status_code=422)
    return RedirectResponse(f"/cases/{person_id}?done=saved", status_code=303)


def _new_post(slug: str) -> Callable[..., Coroutine[Any, Any, Response]]:
    async def endpoint(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
                       ) -> Response:
        form = await _form(request)
        result: Response = await run_in_threadpool(_save, request, db, database, user, person_id, slug, None, form)
        return result
    endpoint.__name__ = f"new_{slug.replace('-', '_')}_submit"
    return endpoint


def _edit_post(slug: str) -> Callable[..., Coroutine[Any, Any, Response]]:
    async def endpoint(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
                       ) -> Response:
        event_id = _path_id(request, ID_NAMES[slug])
        form = await _form(request)
        result: Response = await run_in_threadpool(_save, request, db, database, user, person_id, slug, event_id,
                                                   form)
        return result
    endpoint.__name__ = f"edit_{slug.replace('-', '_')}_submit"
    return endpoint


for _slug, _id_name in ID_NAMES.items():
    router.add_api_route(f"/cases/{{person_id}}/{_slug}/new", _new_get(_slug), methods=["GET"],
                         include_in_schema=False)
    router.add_api_route(f"/cases/{{person_id}}/{_slug}/new", _new_post(_slug), methods=["POST"],
                         include_in_schema=False)
    router.add_api_route(f"/cases/{{person_id}}/{_slug}/{{{_id_name}}}/edit", _edit_get(_slug), methods=["GET"],
                         include_in_schema=False)
    router.add_api_route(f"/cases/{{person_id}}/{_slug}/{{{_id_name}}}/edit", _edit_post(_slug),
                         methods=["POST"], include_in_schema=False)


# --- assessment authorisation -----------------------------------------------------------------------------------------


def _authorise_page(request: Request, view: service.AuthorisationForm, *, errors: dict[str, str] | None = None,
                    status_code: int = 200) -> Response:
    return render(request, "casework/authorise.html", status_code=status_code, title="Authorise the assessment",
                  view=view, errors=errors, factors=list(codes.ASSESSMENT_FACTORS.items()),
                  outcomes=list(rules.ASSESSMENT_OUTCOMES.items()))


@router.get("/cases/{person_id}/assessments/{assessment_id}/authorise", include_in_schema=False)
def authorise_page(request: Request, person_id: RecordId, assessment_id: RecordId, db: DbSession, database: Db,
                   user: CurrentUser) -> Response:
    return _authorise_page(request, service.authorisation_form(db, database, user, person_id, assessment_id))


def _authorise(request: Request, db: Any, database: Any, user: Any, person_id: int, assessment_id: int,
               form: dict[str, Any]) -> Response:
    factors = [str(f) for f in form.get("factors[]", [])]
    try:
        service.authorise_assessment(db, database, user, person_id, assessment_id, form, factors,
                                     expected_version=record_id(form.get("version")))
    except ValidationFailed as exc:
        db.rollback()
        view = service.authorisation_form(db, database, user, person_id, assessment_id)
        view.values = {**view.values, **form, "factors": factors}
        return _authorise_page(request, view, errors=exc.errors, status_code=422)
    return RedirectResponse(f"/cases/{person_id}?done=authorised", status_code=303)


@router.post("/cases/{person_id}/assessments/{assessment_id}/authorise", include_in_schema=False)
async def authorise_submit(request: Request, person_id: RecordId, assessment_id: RecordId, db: DbSession, database: Db,
                           user: CurrentUser) -> Response:
    form = await _form(request)
    result: Response = await run_in_threadpool(_authorise, request, db, database, user, person_id, assessment_id,
                                               form)
    return result


# --- closure ----------------------------------------------------------------------------------------------------------


def _closure_page(request: Request, view: service.ClosureForm, form: dict[str, Any], *,
                  errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "casework/closure.html", status_code=status_code, title="Close the episode of need",
                  view=view, form=form, errors=errors, reasons=list(codes.CLOSURE_REASONS.items()))


@router.get("/cases/{person_id}/closure", include_in_schema=False)
def closure_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _closure_page(request, service.closure_form(db, database, user, person_id),
                         {"closed_on": service.today().isoformat()})


def _close(request: Request, db: Any, database: Any, user: Any, person_id: int, form: dict[str, Any]) -> Response:
    try:
        service.close_episode(db, database, user, person_id, form, expected_version=record_id(form.get("version")))
    except ValidationFailed as exc:
        db.rollback()
        if "referral" in exc.errors:
            raise
        return _closure_page(request, service.closure_form(db, database, user, person_id), form,
                             errors=exc.errors, status_code=422)
    return RedirectResponse(f"/cases/{person_id}?done=closed", status_code=303)


@router.post("/cases/{person_id}/closure", include_in_schema=False)
async def closure_submit(request: Request, person_id: RecordId, db: DbSession, database: Db,
                         user: CurrentUser) -> Response:
    form = await _form(request)
    result: Response = await run_in_threadpool(_close, request, db, database, user, person_id, form)
    return result


# --- allocation -------------------------------------------------------------------------------------------------------


def _allocation_page(request: Request, view: service.AllocationForm, form: dict[str, Any], *,
                     errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "casework/allocation.html", status_code=status_code, title="Allocate the child",
                  view=view, form=form, errors=errors)


@router.get("/cases/{person_id}/allocation", include_in_schema=False)
def allocation_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _allocation_page(request, service.allocation_form(db, database, user, person_id), {})


def _allocate(request: Request, db: Any, database: Any, user: Any, person_id: int, form: dict[str, Any]
              ) -> Response:
    try:
        service.allocate(db, database, user, person_id, form, expected_version=record_id(form.get("version")))
    except ValidationFailed as exc:
        db.rollback()
        return _allocation_page(request, service.allocation_form(db, database, user, person_id), form,
                                errors=exc.errors, status_code=422)
    return RedirectResponse(f"/cases/{person_id}?done=allocated", status_code=303)


@router.post("/cases/{person_id}/allocation", include_in_schema=False)
async def allocation_submit(request: Request, person_id: RecordId, db: DbSession, database: Db,
                            user: CurrentUser) -> Response:
    form = await _form(request)
    result: Response = await run_in_threadpool(_allocate, request, db, database, user, person_id, form)
    return result


@router.get("/unallocated-children", include_in_schema=False)
def unallocated_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    rows = service.unallocated(db, database, user)
    return render(request, "casework/unallocated.html", title="Unallocated children", rows=rows)


# --- supervision ------------------------------------------------------------------------------------------------------


@router.get("/supervision", include_in_schema=False)
def supervision_list_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    rows = service.supervisions(db, database, user)
    return render(request, "casework/supervision_list.html", title="Supervision", rows=rows,
                  flash="Supervision recorded" if request.query_params.get("done") else None)


def _supervision_new_page(request: Request, view: service.SupervisionForm, form: dict[str, Any], *,
                          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "casework/supervision_new.html", status_code=status_code, title="Record a supervision",
                  view=view, form=form, errors=errors)


@router.get("/supervision/new", include_in_schema=False)
def supervision_new_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    worker_id = record_id(request.query_params.get("worker_id"))
    return _supervision_new_page(request, service.supervision_form(db, database, user, worker_id),
                                 {"held_on": service.today().isoformat(), "worker_id": str(worker_id or "")})


def _supervise(request: Request, db: Any, database: Any, user: Any, form: dict[str, Any]) -> Response:
    try:
        supervision = service.record_supervision(db, database, user, form)
    except ValidationFailed as exc:
        db.rollback()
        view = service.supervision_form(db, database, user, record_id(form.get("worker_id")))
        return _supervision_new_page(request, view, form, errors=exc.errors, status_code=422)
    return RedirectResponse(f"/supervision/{supervision.id}?done=1", status_code=303)


@router.post("/supervision/new", include_in_schema=False)
async def supervision_new_submit(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    form = await _form(request)
    result: Response = await run_in_threadpool(_supervise, request, db, database, user, form)
    return result


@router.get("/supervision/{supervision_id}", include_in_schema=False)
def supervision_page(request: Request, supervision_id: RecordId, db: DbSession, database: Db,
                     user: CurrentUser) -> Response:
    supervision = service.view_supervision(db, database, user, supervision_id)
    names = service.case_names(db, [c.person_id for c in supervision.cases])
    return render(request, "casework/supervision.html", title="Supervision record", supervision=supervision,
                  names=names, flash="Supervision recorded" if request.query_params.get("done") else None)


# --- curated chronologies ---------------------------------------------------------------------------------------------


@router.get("/cases/{person_id}/chronologies/new", include_in_schema=False)
def chronology_new_page(request: Request, person_id: RecordId, db: DbSession, database: Db,
                        user: CurrentUser) -> Response:
    person = service.chronology_start(db, database, user, person_id)
    return render(request, "casework/chronology_new.html", title="Start a chronology", person=person, form={},
                  errors=None)


def _new_chronology(request: Request, db: Any, database: Any, user: Any, person_id: int,
                    form: dict[str, Any]) -> Response:
    try:
        chronology = service.create_chronology(db, database, user, person_id, form)
    except ValidationFailed as exc:
        db.rollback()
        person = service.chronology_start(db, database, user, person_id)
        return render(request, "casework/chronology_new.html", status_code=422, title="Start a chronology",
                      person=person, form=form, errors=exc.errors)
    return RedirectResponse(f"/chronologies/{chronology.id}", status_code=303)


@router.post("/cases/{person_id}/chronologies/new", include_in_schema=False)
async def chronology_new_submit(request: Request, person_id: RecordId, db: DbSession, database: Db,
                                user: CurrentUser) -> Response:
    form = await _form(request)
    result: Response = await run_in_threadpool(_new_chronology, request, db, database, user, person_id, form)
    return result


@router.get("/chronologies/{chronology_id}", include_in_schema=False)
def chronology_page(request: Request, chronology_id: RecordId, db: DbSession, database: Db,
                    user: CurrentUser) -> Response:
    view = service.view_chronology(db, database, user, chronology_id)
    return render(request, "casework/chronology.html", title=view.chronology.title, view=view, errors=None,
                  flash=FLASH.get(request.query_params.get("done", "")))


def _update_chronology(request: Request, db: Any, database: Any, user: Any, chronology_id: int,
                       form: dict[str, Any]) -> Response:
    picked = [str(k) for k in form.get("picked[]", [])]
    commentary = {k.removeprefix("commentary."): str(v) for k, v in form.items()
                  if k.startswith("commentary.") and not k.endswith("[]")}
    try:
        service.update_chronology(db, database, user, chronology_id, picked, commentary,
                                  expected_version=record_id(form.get("version")))
    except ValidationFailed as exc:
        db.rollback()
        view = service.view_chronology(db, database, user, chronology_id)
        return render(request, "casework/chronology.html", status_code=422, title=view.chronology.title,
                      view=view, errors=exc.errors)
    return RedirectResponse(f"/chronologies/{chronology_id}?done=chronology", status_code=303)


@router.post("/chronologies/{chronology_id}", include_in_schema=False)
async def chronology_submit(request: Request, chronology_id: RecordId, db: DbSession, database: Db,
                            user: CurrentUser) -> Response:
    form = await _form(request)
    result: Response = await run_in_threadpool(_update_chronology, request, db, database, user, chronology_id,
                                               form)
    return result


@router.get("/chronologies/{chronology_id}/print", include_in_schema=False)
def chronology_print_page(request: Request, chronology_id: RecordId, db: DbSession, database: Db,
                          user: CurrentUser) -> Response:
    view = service.view_chronology(db, database, user, chronology_id)
    return render(request, "casework/chronology_print.html", title=view.chronology.title, view=view)
