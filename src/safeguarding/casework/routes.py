"""Pages of the casework capability: the child's case, the forms of each event, authorisation, closure, allocation,
unallocated children, supervision, curated chronologies and the family's genogram. Every route is declared in the
authorization matrix (tests/casework/authorization.py).

Routes only translate between HTTP and case work's services (a module for each part of the work, each taking a typed
input read from the form); the service asks the access policy and audits. Every form posts through
``web.forms.submit`` and redirects (post/redirect/get); a form with errors is shown again with them (422).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeguarding.casework import (
    allocation,
    authorisation,
    case_access,
    case_record,
    chronologies,
    closure,
    events,
    family,
    plan_authorisation,
    protection_team,
    recording,
    rules,
    supervision,
)
from safeguarding.core import codes
from safeguarding.core.access import Action
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import record_id
from safeguarding.core.users import User
from safeguarding.people.listing import listed_people
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect, path_record_id
from safeguarding.web.forms import PostedForm, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)

# The path parameter naming each kind's record in its edit URL.
ID_NAMES: dict[str, str] = {
    "assessments": "assessment_id",
    "strategy-discussions": "strategy_discussion_id",
    "section-47s": "section47_id",
    "conferences": "conference_id",
    "cp-plans": "cp_plan_id",
    "core-groups": "core_group_id",
    "visits": "visit_id",
    "cin-plans": "cin_plan_id",
    "cin-reviews": "cin_review_id",
    "notes": "case_note_id",
}
FLASH = {
    "saved": "Saved",
    "amended": "Amendment saved: the earlier version is kept on the record",
    "authorised": "Assessment authorised",
    "plan_authorised": "Child in need plan authorised",
    "plan_returned": "Child in need plan returned to the worker with your reason",
    "closed": "Episode of need closed",
    "closure_requested": "Closure requested: the team manager will close the episode or return the request",
    "closure_returned": "Closure request returned to the worker with your reason",
    "allocated": "Child allocated",
    "chronology": "Chronology saved",
}


# --- the case page ----------------------------------------------------------------------------------------------------


@router.get("/cases/{person_id}", include_in_schema=False)
def case_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    kind = request.query_params.get("kind") or None
    history = request.query_params.get("deadlines") == "met"
    record = case_record.case_record(db, database, user, person_id, kind, deadline_history=history)
    if request.query_params.get("chronology") != "all":
        record.chronology_limit = case_record.CHRONOLOGY_NEWEST
    return render(
        request,
        "casework/case.html",
        title=f"Case: {record.person.full_name}",
        record=record,
        kinds=events.KINDS,
        chronology_kinds=case_record.CHRONOLOGY_KINDS,
        protection_agencies=protection_team.AGENCIES,
        flash=FLASH.get(request.query_params.get("done", "")),
        rules=rules,
    )


@router.get("/cases/{person_id}/family", include_in_schema=False)
def family_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    view = family.family(db, database, user, person_id)
    return render(request, "casework/family.html", title=f"Family: {view.person.full_name}", view=view)


# --- the events: one form per kind, for a new record and an edit ------------------------------------------------------


def _event_page(
    request: Request,
    form: recording.EventForm,
    *,
    errors: dict[str, str] | None = None,
    db: Session | None = None,
) -> Response:
    # A section 47 enquiry's page shows its multi-agency child protection team (read within the access the form
    # was shown under).
    team = (
        protection_team.members_of_each(db, [form.event_id]).get(form.event_id, [])
        if db is not None and form.kind.slug == "section-47s" and form.event_id
        else None
    )
    action = (
        f"/cases/{form.person.id}/{form.kind.slug}/{form.event_id}/{'amend' if form.amending else 'edit'}"
        if form.event_id
        else f"/cases/{form.person.id}/{form.kind.slug}/new"
    )
    return render(
        request,
        "casework/event_form.html",
        title=f"{'Amend' if form.amending else 'Change' if form.event_id else 'Record'} {form.kind.label}",
        form=form,
        action=action,
        errors=errors,
        participant_rows=range(events.PARTICIPANT_ROWS),
        protection_team=team,
        protection_agencies=protection_team.AGENCIES,
    )


def _new_get(slug: str) -> Callable[..., Response]:
    def endpoint(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        return _event_page(request, recording.event_form(db, database, user, person_id, slug))

    endpoint.__name__ = f"new_{slug.replace('-', '_')}_page"
    return endpoint


def _edit_get(slug: str) -> Callable[..., Response]:
    def endpoint(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        event_id = path_record_id(request, ID_NAMES[slug])
        return _event_page(request, recording.event_form(db, database, user, person_id, slug, event_id), db=db)

    endpoint.__name__ = f"edit_{slug.replace('-', '_')}_page"
    return endpoint


async def _save_event(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    slug: str,
    event_id: int | None,
    *,
    amending: bool = False,
) -> Response:
    def save(form: PostedForm) -> object:
        return recording.save_event(
            db,
            database,
            user,
            person_id,
            slug,
            recording.EventInput.read(form),
            event_id=event_id,
            expected_version=record_id(form.get("version")) if event_id is not None else None,
            amendment_reason=form.get("amendment_reason", "") if amending else None,
        )

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        shown = recording.event_form(db, database, user, person_id, slug, event_id, amending=amending)
        shown.values = form.as_dict()
        return _event_page(request, shown, errors=errors, db=db)

    done = "amended" if amending else "saved"
    return await submit(request, db, save, done=f"/cases/{person_id}?done={done}", again=again)


def _new_post(slug: str) -> Callable[..., Coroutine[Any, Any, Response]]:
    async def endpoint(
        request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
    ) -> Response:
        return await _save_event(request, db, database, user, person_id, slug, None)

    endpoint.__name__ = f"new_{slug.replace('-', '_')}_submit"
    return endpoint


def _edit_post(slug: str) -> Callable[..., Coroutine[Any, Any, Response]]:
    async def endpoint(
        request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
    ) -> Response:
        return await _save_event(request, db, database, user, person_id, slug, path_record_id(request, ID_NAMES[slug]))

    endpoint.__name__ = f"edit_{slug.replace('-', '_')}_submit"
    return endpoint


# --- amendments: a signed-off record (an authorised assessment) changes only with a reason, the earlier version kept --


def _amend_get(slug: str) -> Callable[..., Response]:
    def endpoint(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        event_id = path_record_id(request, ID_NAMES[slug])
        return _event_page(request, recording.event_form(db, database, user, person_id, slug, event_id, amending=True))

    endpoint.__name__ = f"amend_{slug.replace('-', '_')}_page"
    return endpoint


def _amend_post(slug: str) -> Callable[..., Coroutine[Any, Any, Response]]:
    async def endpoint(
        request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
    ) -> Response:
        event_id = path_record_id(request, ID_NAMES[slug])
        return await _save_event(request, db, database, user, person_id, slug, event_id, amending=True)

    endpoint.__name__ = f"amend_{slug.replace('-', '_')}_submit"
    return endpoint


for _slug in recording.SIGNED_OFF:
    _amend_path = f"/cases/{{person_id}}/{_slug}/{{{ID_NAMES[_slug]}}}/amend"
    router.add_api_route(_amend_path, _amend_get(_slug), methods=["GET"], include_in_schema=False)
    router.add_api_route(_amend_path, _amend_post(_slug), methods=["POST"], include_in_schema=False)

for _slug, _id_name in ID_NAMES.items():
    router.add_api_route(f"/cases/{{person_id}}/{_slug}/new", _new_get(_slug), methods=["GET"], include_in_schema=False)
    router.add_api_route(
        f"/cases/{{person_id}}/{_slug}/new", _new_post(_slug), methods=["POST"], include_in_schema=False
    )
    router.add_api_route(
        f"/cases/{{person_id}}/{_slug}/{{{_id_name}}}/edit", _edit_get(_slug), methods=["GET"], include_in_schema=False
    )
    router.add_api_route(
        f"/cases/{{person_id}}/{_slug}/{{{_id_name}}}/edit",
        _edit_post(_slug),
        methods=["POST"],
        include_in_schema=False,
    )


# --- assessment authorisation -----------------------------------------------------------------------------------------


def _authorise_page(
    request: Request, view: authorisation.AuthorisationForm, *, errors: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "casework/authorise.html",
        title="Authorise the assessment",
        view=view,
        errors=errors,
        factors=list(codes.ASSESSMENT_FACTORS.items()),
        outcomes=list(rules.ASSESSMENT_OUTCOMES.items()),
    )


@router.get("/cases/{person_id}/assessments/{assessment_id}/authorise", include_in_schema=False)
def authorise_page(
    request: Request, person_id: RecordId, assessment_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return _authorise_page(request, authorisation.authorisation_form(db, database, user, person_id, assessment_id))


@router.post("/cases/{person_id}/assessments/{assessment_id}/authorise", include_in_schema=False)
async def authorise_submit(
    request: Request, person_id: RecordId, assessment_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def save(form: PostedForm) -> object:
        return authorisation.authorise_assessment(
            db,
            database,
            user,
            person_id,
            assessment_id,
            authorisation.AuthorisationInput.read(form, form.all("factors")),
            expected_version=record_id(form.get("version")),
        )

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        view = authorisation.authorisation_form(db, database, user, person_id, assessment_id)
        view.values = {**view.values, **form.as_dict(), "factors": form.all("factors")}
        return _authorise_page(request, view, errors=errors)

    return await submit(request, db, save, done=f"/cases/{person_id}?done=authorised", again=again)


# --- child in need plan authorisation ---------------------------------------------------------------------------------


def _authorise_plan_page(
    request: Request,
    view: plan_authorisation.PlanAuthorisationForm,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "casework/authorise_plan.html",
        title="Authorise the child in need plan",
        view=view,
        values=values,
        errors=errors,
    )


@router.get("/cases/{person_id}/cin-plans/{cin_plan_id}/authorise", include_in_schema=False)
def authorise_plan_page(
    request: Request, person_id: RecordId, cin_plan_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    view = plan_authorisation.plan_authorisation_form(db, database, user, person_id, cin_plan_id)
    return _authorise_plan_page(request, view, {})


@router.post("/cases/{person_id}/cin-plans/{cin_plan_id}/authorise", include_in_schema=False)
async def authorise_plan_submit(
    request: Request, person_id: RecordId, cin_plan_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def save(form: PostedForm) -> object:
        return plan_authorisation.answer_plan(
            db, database, user, person_id, cin_plan_id, plan_authorisation.PlanAuthorisationInput.read(form)
        )

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        view = plan_authorisation.plan_authorisation_form(db, database, user, person_id, cin_plan_id)
        return _authorise_plan_page(request, view, form.as_dict(), errors=errors)

    def done(plan: Any) -> str:
        return f"/cases/{person_id}?done={'plan_authorised' if plan.authorised_on else 'plan_returned'}"

    return await submit(request, db, save, done=done, again=again)


# --- closure: the worker asks, the team manager closes or returns ----------------------------------------------------


def _closure_page(
    request: Request,
    view: closure.ClosureForm,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    requesting: bool = False,
) -> Response:
    return render(
        request,
        "casework/closure.html",
        title="Ask to close the episode of need" if requesting else "Close the episode of need",
        view=view,
        form=form,
        errors=errors,
        reasons=list(codes.CLOSURE_REASONS.items()),
        requesting=requesting,
    )


def _closure_values(view: closure.ClosureForm) -> dict[str, str]:
    """The manager's form starts from the worker's request where one waits, else from today."""
    asked = view.request
    if asked is None:
        return {"closed_on": today_in_london().isoformat()}
    return {"closed_on": asked.closed_on.isoformat(), "reason": asked.reason, "note": asked.note or ""}


@router.get("/cases/{person_id}/closure", include_in_schema=False)
def closure_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    view = closure.closure_form(db, database, user, person_id)
    return _closure_page(request, view, _closure_values(view))


@router.post("/cases/{person_id}/closure", include_in_schema=False)
async def closure_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def save(form: PostedForm) -> object:
        return closure.close_episode(
            db,
            database,
            user,
            person_id,
            closure.ClosureInput.read(form),
            expected_version=record_id(form.get("version")),
        )

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        if "referral" in errors:  # no open episode to close: not a form to show again
            raise ValidationFailed(errors)
        return _closure_page(
            request, closure.closure_form(db, database, user, person_id), form.as_dict(), errors=errors
        )

    return await submit(request, db, save, done=f"/cases/{person_id}?done=closed", again=again)


@router.post("/cases/{person_id}/closure/return", include_in_schema=False)
async def closure_return_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        view = closure.closure_form(db, database, user, person_id)
        return _closure_page(request, view, {**_closure_values(view), **form.as_dict()}, errors=errors)

    return await submit(
        request,
        db,
        lambda form: closure.return_closure(db, database, user, person_id, form.get("return_note")),
        done=f"/cases/{person_id}?done=closure_returned",
        again=again,
    )


@router.get("/cases/{person_id}/closure/request", include_in_schema=False)
def closure_request_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    view = closure.closure_form(db, database, user, person_id, requesting=True)
    return _closure_page(request, view, {"closed_on": today_in_london().isoformat()}, requesting=True)


@router.post("/cases/{person_id}/closure/request", include_in_schema=False)
async def closure_request_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        if "referral" in errors:
            raise ValidationFailed(errors)
        view = closure.closure_form(db, database, user, person_id, requesting=True)
        return _closure_page(request, view, form.as_dict(), errors=errors, requesting=True)

    return await submit(
        request,
        db,
        lambda form: closure.request_closure(db, database, user, person_id, closure.ClosureInput.read(form)),
        done=f"/cases/{person_id}?done=closure_requested",
        again=again,
    )


# --- allocation -------------------------------------------------------------------------------------------------------


def _allocation_page(
    request: Request, view: allocation.AllocationForm, form: dict[str, str], *, errors: dict[str, str] | None = None
) -> Response:
    return render(request, "casework/allocation.html", title="Allocate the child", view=view, form=form, errors=errors)


@router.get("/cases/{person_id}/allocation", include_in_schema=False)
def allocation_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _allocation_page(request, allocation.allocation_form(db, database, user, person_id), {})


@router.post("/cases/{person_id}/allocation", include_in_schema=False)
async def allocation_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def save(form: PostedForm) -> object:
        return allocation.allocate(
            db,
            database,
            user,
            person_id,
            allocation.AllocationInput.read(form),
            expected_version=record_id(form.get("version")),
        )

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        return _allocation_page(
            request, allocation.allocation_form(db, database, user, person_id), form.as_dict(), errors=errors
        )

    return await submit(request, db, save, done=f"/cases/{person_id}?done=allocated", again=again)


@router.get("/unallocated-children", include_in_schema=False)
def unallocated_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    rows = allocation.unallocated(db, database, user)
    return render(request, "casework/unallocated.html", title="Unallocated children", rows=rows)


# --- supervision ------------------------------------------------------------------------------------------------------


@router.get("/supervision", include_in_schema=False)
def supervision_list_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    rows = supervision.supervisions(db, database, user)
    return render(
        request,
        "casework/supervision_list.html",
        title="Supervision",
        rows=rows,
        flash="Supervision recorded" if request.query_params.get("done") else None,
    )


def _supervision_new_page(
    request: Request, view: supervision.SupervisionForm, form: dict[str, str], *, errors: dict[str, str] | None = None
) -> Response:
    return render(
        request, "casework/supervision_new.html", title="Record a supervision", view=view, form=form, errors=errors
    )


@router.get("/supervision/new", include_in_schema=False)
def supervision_new_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    worker_id = record_id(request.query_params.get("worker_id"))
    return _supervision_new_page(
        request,
        supervision.supervision_form(db, database, user, worker_id),
        {"held_on": today_in_london().isoformat(), "worker_id": str(worker_id or "")},
    )


@router.post("/supervision/new", include_in_schema=False)
async def supervision_new_submit(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    def save(form: PostedForm) -> supervision.Supervision:
        return supervision.record_supervision(db, database, user, supervision.SupervisionInput.read(form))

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        view = supervision.supervision_form(db, database, user, record_id(form.get("worker_id")))
        return _supervision_new_page(request, view, form.as_dict(), errors=errors)

    return await submit(request, db, save, done=lambda recorded: f"/supervision/{recorded.id}?done=1", again=again)


@router.get("/supervision/{supervision_id}", include_in_schema=False)
def supervision_page(
    request: Request, supervision_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    record = supervision.view_supervision(db, database, user, supervision_id)
    names = listed_people(db, [c.person_id for c in record.cases])
    return render(
        request,
        "casework/supervision.html",
        title="Supervision record",
        supervision=record,
        names=names,
        flash="Supervision recorded" if request.query_params.get("done") else None,
    )


# --- curated chronologies ---------------------------------------------------------------------------------------------


@router.get("/cases/{person_id}/chronologies/new", include_in_schema=False)
def chronology_new_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    person = chronologies.chronology_start(db, database, user, person_id)
    return render(
        request, "casework/chronology_new.html", title="Start a chronology", person=person, form={}, errors=None
    )


@router.post("/cases/{person_id}/chronologies/new", include_in_schema=False)
async def chronology_new_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def save(form: PostedForm) -> chronologies.Chronology:
        return chronologies.create_chronology(db, database, user, person_id, chronologies.ChronologyInput.read(form))

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        person = chronologies.chronology_start(db, database, user, person_id)
        return render(
            request,
            "casework/chronology_new.html",
            title="Start a chronology",
            person=person,
            form=form.as_dict(),
            errors=errors,
        )

    return await submit(request, db, save, done=lambda chronology: f"/chronologies/{chronology.id}", again=again)


@router.get("/chronologies/{chronology_id}", include_in_schema=False)
def chronology_page(
    request: Request, chronology_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    view = chronologies.view_chronology(db, database, user, chronology_id)
    return render(
        request,
        "casework/chronology.html",
        title=view.chronology.title,
        view=view,
        errors=None,
        flash=FLASH.get(request.query_params.get("done", "")),
    )


@router.post("/chronologies/{chronology_id}", include_in_schema=False)
async def chronology_submit(
    request: Request, chronology_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def save(form: PostedForm) -> object:
        return chronologies.update_chronology(
            db,
            database,
            user,
            chronology_id,
            chronologies.EntriesInput.read(form, form.all("picked")),
            expected_version=record_id(form.get("version")),
        )

    def again(form: PostedForm, errors: dict[str, str]) -> Response:
        view = chronologies.view_chronology(db, database, user, chronology_id)
        return render(request, "casework/chronology.html", title=view.chronology.title, view=view, errors=errors)

    return await submit(request, db, save, done=f"/chronologies/{chronology_id}?done=chronology", again=again)


@router.get("/chronologies/{chronology_id}/print", include_in_schema=False)
def chronology_print_page(
    request: Request, chronology_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    view = chronologies.view_chronology(db, database, user, chronology_id)
    return render(request, "casework/chronology_print.html", title=view.chronology.title, view=view)


# --- the multi-agency child protection team of a section 47 enquiry (casework.protection_team) -----------------------

TEAM_PAGE = "/cases/{person_id}/section-47s/{section47_id}/team"
MEMBER_ORDER = ("name", "agency", "role", "is_lead", "joined_on", "left_on")


@router.get(TEAM_PAGE, include_in_schema=False)
def protection_team_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    view = protection_team.team(db, database, user, person_id, path_record_id(request, "section47_id"))
    return render(
        request,
        "casework/protection_team.html",
        title=f"Child protection team: {view.person.full_name}",
        view=view,
        agencies=protection_team.AGENCIES,
        flash="Team member saved" if request.query_params.get("done") == "member" else None,
    )


def _member_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    section47_id: int,
    member_id: int | None,
    values: dict[str, str] | None,
    errors: dict[str, str] | None,
) -> Response:
    view = protection_team.team(db, database, user, person_id, section47_id)
    if member_id is not None and values is None:
        values = protection_team.member_values(protection_team.member_of(db, view.enquiry, member_id))
    base = f"/cases/{person_id}/section-47s/{section47_id}/team"
    order = {name: i for i, name in enumerate(MEMBER_ORDER)}
    return render(
        request,
        "casework/protection_team_member.html",
        title="Change a team member" if member_id else "Add a team member",
        view=view,
        agencies=protection_team.AGENCIES,
        values=values or {},
        errors=dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order)))) if errors else None,
        action=f"{base}/{member_id}/edit" if member_id else f"{base}/new",
        back=base,
        editing=member_id is not None,
    )


def _require_team_writer(db: Session, database: Database, user: User, person_id: int) -> None:
    case_access.require(db, database, user, Action.CREATE, case_access.case_subject(db, person_id))


@router.get(f"{TEAM_PAGE}/new", include_in_schema=False)
def new_team_member_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    _require_team_writer(db, database, user, person_id)
    return _member_page(
        request, db, database, user, person_id, path_record_id(request, "section47_id"), None, None, None
    )


@router.get(f"{TEAM_PAGE}/{{member_id}}/edit", include_in_schema=False)
def edit_team_member_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    _require_team_writer(db, database, user, person_id)
    section47_id = path_record_id(request, "section47_id")
    return _member_page(
        request, db, database, user, person_id, section47_id, path_record_id(request, "member_id"), None, None
    )


async def _save_member(
    request: Request, db: Session, database: Database, user: User, person_id: int, member_id: int | None
) -> Response:
    section47_id = path_record_id(request, "section47_id")
    return await submit(
        request,
        db,
        lambda form: protection_team.save_member(db, database, user, person_id, section47_id, form, member_id),
        done=f"/cases/{person_id}/section-47s/{section47_id}/team?done=member",
        again=lambda form, errors: _member_page(
            request, db, database, user, person_id, section47_id, member_id, form.as_dict(), errors
        ),
    )


@router.post(f"{TEAM_PAGE}/new", include_in_schema=False)
async def new_team_member_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await _save_member(request, db, database, user, person_id, None)


@router.post(f"{TEAM_PAGE}/{{member_id}}/edit", include_in_schema=False)
async def edit_team_member_submit(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await _save_member(request, db, database, user, person_id, path_record_id(request, "member_id"))
