"""Pages of children in care: the list, the child's care record, coming into care, the changes of legal status,
placement and carer, leaving care, correcting a placement, reviews, visits, health assessments and personal
education plans.

Routes only translate between HTTP and ``service`` (which asks the access policy and audits): every form goes
through ``web.forms.submit``, so a refused form comes back with what was typed and a second editor keeps their text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeguarding.children_in_care import deprivation_of_liberty, outcomes, rules, service, uasc
from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.form_fields import record_id
from safeguarding.core.users import User
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import PostedForm, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

# The change forms, by the address's name for them: (the kind of change, the page's title, the button).
CHANGES: dict[str, tuple[str, str, str]] = {
    "legal-status": (rules.LEGAL_STATUS, "Change of legal status", "Record the change of legal status"),
    "placement": (rules.PLACEMENT, "Change of placement", "Record the move"),
    "carer": (rules.CARER, "Change of carer", "Record the new carer"),
    "leaving": (rules.LEAVE, "Leaving care", "Record that the child left care"),
}

CODES: dict[str, Any] = {
    "LEGAL_STATUSES": rules.LEGAL_STATUSES,
    "CATEGORIES_OF_NEED": rules.CATEGORIES_OF_NEED,
    "PLACEMENT_TYPES": rules.PLACEMENT_TYPES,
    "PLACEMENT_PROVIDERS": rules.PLACEMENT_PROVIDERS,
    "REASONS_PLACEMENT_CHANGED": rules.REASONS_PLACEMENT_CHANGED,
    "REASONS_LEFT_CARE": rules.REASONS_LEFT_CARE,
    "REVIEW_PARTICIPATION": rules.REVIEW_PARTICIPATION,
    "REASONS_FOR_NEW_EPISODE": rules.REASONS_FOR_NEW_EPISODE,
    "CHANGE_NAMES": rules.CHANGE_NAMES,
    "HEALTH_KINDS": service.HEALTH_KINDS,
    "YES_NO": [("yes", "Yes"), ("no", "No")],
}

DONE = {
    "entered": "The child's coming into care is recorded",
    "changed": "The change is recorded",
    "corrected": "The placement is corrected",
    "plan": "The care plan is recorded",
    "review": "The review is recorded",
    "visit": "The visit is recorded",
    "health": "The health assessment is recorded",
    "education": "The personal education plan is recorded",
    "outcomes": "The health and outcomes are recorded",
    "uasc": "The unaccompanied asylum-seeking status is recorded",
    "deprivation-of-liberty": "The deprivation of liberty order is recorded",
}


# --- lists ------------------------------------------------------------------------------------------------------


@router.get("/children-in-care", include_in_schema=False)
def children_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    children = service.children_in_care(db, database, user)
    return render(request, "children_in_care/list.html", title="Children in care", children=children, **CODES)


@router.get("/children-in-care/education", include_in_schema=False)
def education_list_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    children = service.children_in_care(db, database, user, kind=Kind.CARE_EDUCATION)
    return render(
        request,
        "children_in_care/education_list.html",
        title="Personal education plans",
        children=children,
        done=DONE.get(request.query_params.get("done", "")),
    )


# --- the care record ----------------------------------------------------------------------------------------------


@router.get("/children-in-care/{person_id}", include_in_schema=False)
def record_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    record = service.care_record(db, database, user, person_id)
    done = DONE.get(request.query_params.get("done", ""))
    this_year = outcomes.collection_year_of(today_in_london())
    return render(
        request,
        "children_in_care/record.html",
        title=f"{record.person.full_name}: care record",
        record=record,
        done=done,
        outcomes=outcomes.outcomes_of(db, person_id),
        orders=deprivation_of_liberty.orders_of(db, person_id),
        outcome_years=[(y, outcomes.year_name(y)) for y in (this_year, this_year - 1)],
        year_name=outcomes.year_name,
        SDQ_REASONS=outcomes.SDQ_REASONS,
        **CODES,
    )


# --- forms --------------------------------------------------------------------------------------------------------

Page = Callable[[PostedForm | Mapping[str, str], dict[str, str]], Response]


def _form_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    template: str,
    title: str,
    action: Action,
    kind: Kind = Kind.CARE_RECORD,
    **context: Any,
) -> Page:
    """The page of one form about a child, shown after the access check (a refusal is audited)."""
    person = service.form_person(db, database, user, person_id, action, kind)

    def page(form: Mapping[str, str], errors: dict[str, str]) -> Response:
        return render(
            request,
            template,
            title=title,
            person=person,
            form=dict(form),
            errors=errors,
            **CODES,
            **context,
        )

    return page


def _enter_page(request: Request, db: Session, database: Database, user: User, person_id: int) -> Page:
    return _form_page(
        request,
        db,
        database,
        user,
        person_id,
        "children_in_care/enter.html",
        "Coming into care",
        Action.CREATE,
        iros=service.reviewing_officers(db),
        protection_plans=service.protection_plans_to_review(db, person_id),
    )


@router.get("/children-in-care/{person_id}/enter", include_in_schema=False)
def enter_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _enter_page(request, db, database, user, person_id)({}, {})  # nothing is answered in advance


@router.post("/children-in-care/{person_id}/enter", include_in_schema=False)
async def enter_care(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: service.enter_care(db, database, user, person_id, service.EntryInput.read(form)),
        done=f"/children-in-care/{person_id}?done=entered",
        again=lambda form, errors: _enter_page(request, db, database, user, person_id)(form, errors),
    )


def _change_page(request: Request, db: Session, database: Database, user: User, person_id: int, slug: str) -> Page:
    kind, title, button = CHANGES[slug]
    action = Action.UPDATE if kind in (rules.PLACEMENT, rules.CARER) else Action.CREATE
    return _form_page(
        request,
        db,
        database,
        user,
        person_id,
        "children_in_care/change.html",
        title,
        action,
        kind=Kind.CARE_RECORD,
        change=kind,
        slug=slug,
        button=button,
    )


def _mount_change(slug: str) -> None:
    """``GET`` and ``POST /children-in-care/{person_id}/changes/<slug>``: one form of change, at its own address."""
    kind = CHANGES[slug][0]

    def page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        shown = _change_page(request, db, database, user, person_id, slug)
        return shown(service.change_form(db, person_id, kind), {})  # the version only: nothing answered in advance

    async def save(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        return await submit(
            request,
            db,
            lambda form: service.record_change(
                db,
                database,
                user,
                person_id,
                service.ChangeInput.read(kind, form),
                expected_version=(form.get("version") or "").strip()[:64] or None,
            ),
            done=f"/children-in-care/{person_id}?done=changed",
            again=lambda form, errors: _change_page(request, db, database, user, person_id, slug)(form, errors),
        )

    name = slug.replace("-", "_")
    page.__name__, save.__name__ = f"change_{name}_page", f"change_{name}"
    path = f"/children-in-care/{{person_id}}/changes/{slug}"
    router.add_api_route(path, page, methods=["GET"], include_in_schema=False)
    router.add_api_route(path, save, methods=["POST"], include_in_schema=False)


for _slug in CHANGES:
    _mount_change(_slug)


def _placement_page(request: Request, db: Session, database: Database, user: User, event_id: int) -> Page:
    event = service.placement_event(db, database, user, event_id, Action.UPDATE)
    person = service.form_person(db, database, user, event.person_id, Action.UPDATE)

    def page(form: Mapping[str, str], errors: dict[str, str]) -> Response:
        return render(
            request,
            "children_in_care/placement.html",
            title="Correct a placement",
            person=person,
            event=event,
            form=dict(form),
            errors=errors,
            **CODES,
        )

    return page


@router.get("/children-in-care/placements/{care_placement_id}", include_in_schema=False)
def placement_page(
    request: Request, care_placement_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    page = _placement_page(request, db, database, user, care_placement_id)
    event = service.placement_event(db, database, user, care_placement_id, Action.UPDATE)
    return page(service.placement_form(event), {})


@router.post("/children-in-care/placements/{care_placement_id}", include_in_schema=False)
async def correct_placement(
    request: Request, care_placement_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    def save(form: PostedForm) -> Any:
        return service.correct_placement(
            db,
            database,
            user,
            care_placement_id,
            service.ChangeInput.read(rules.PLACEMENT, form),
            expected_version=record_id(form.get("version")),
        )

    return await submit(
        request,
        db,
        save,
        done=lambda event: f"/children-in-care/{event.person_id}?done=corrected",
        again=lambda form, errors: _placement_page(request, db, database, user, care_placement_id)(form, errors),
    )


def _plan_page(request: Request, db: Session, database: Database, user: User, person_id: int) -> Page:
    period = service.current_period(db, database, user, person_id)
    person = service.form_person(db, database, user, person_id, Action.CREATE)
    iros = service.reviewing_officers(db)

    def page(form: Mapping[str, str], errors: dict[str, str]) -> Response:
        return render(
            request,
            "children_in_care/plan.html",
            title="The care plan",
            person=person,
            period=period,
            iros=iros,
            form=dict(form),
            errors=errors,
        )

    return page


@router.get("/children-in-care/{person_id}/plan", include_in_schema=False)
def plan_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    page = _plan_page(request, db, database, user, person_id)
    period = service.current_period(db, database, user, person_id)
    return page(
        {
            "version": str(period.version),
            "care_plan_on": period.care_plan_on.isoformat() if period.care_plan_on else "",
            "iro_id": str(period.iro_id or ""),
        },
        {},
    )


@router.post("/children-in-care/{person_id}/plan", include_in_schema=False)
async def record_plan(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: service.record_plan(
            db, database, user, person_id, service.PlanInput.read(form), expected_version=record_id(form.get("version"))
        ),
        done=f"/children-in-care/{person_id}?done=plan",
        again=lambda form, errors: _plan_page(request, db, database, user, person_id)(form, errors),
    )


# Reviews, visits, health assessments, personal education plans: one form each on the child.
RECORDS: dict[str, tuple[str, str, Kind, Callable[..., Any], Callable[[Mapping[str, str]], Any]]] = {
    "reviews": (
        "children_in_care/review.html",
        "Looked-after review",
        Kind.LOOKED_AFTER_REVIEW,
        service.record_review,
        service.ReviewInput.read,
    ),
    "visits": (
        "children_in_care/visit.html",
        "Visit to a child in care",
        Kind.CARE_RECORD,
        service.record_visit,
        service.VisitInput.read,
    ),
    "health": (
        "children_in_care/health.html",
        "Health assessment",
        Kind.CARE_RECORD,
        service.record_health_assessment,
        service.DatedInput.health,
    ),
    "education": (
        "children_in_care/education.html",
        "Personal education plan",
        Kind.CARE_EDUCATION,
        service.record_education_plan,
        service.DatedInput.education,
    ),
}
RECORD_DONE = {"reviews": "review", "visits": "visit", "health": "health", "education": "education"}


def _record_page(request: Request, db: Session, database: Database, user: User, person_id: int, slug: str) -> Page:
    template, title, kind, _save, _read = RECORDS[slug]
    return _form_page(request, db, database, user, person_id, template, title, Action.CREATE, kind)


def _mount_record(slug: str) -> None:
    """``GET`` and ``POST /children-in-care/{person_id}/<slug>/new``: one kind of record, at its own address."""
    _template, _title, _kind, save_record, read = RECORDS[slug]

    def page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        return _record_page(request, db, database, user, person_id, slug)({}, {})

    async def save(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        # The virtual school does not open the care record: it goes back to its list.
        done = (
            f"/children-in-care/{person_id}?done={RECORD_DONE[slug]}"
            if access.role_may(user, Kind.CARE_RECORD, Action.VIEW)
            else f"/children-in-care/education?done={RECORD_DONE[slug]}"
        )
        return await submit(
            request,
            db,
            lambda form: save_record(db, database, user, person_id, read(form)),
            done=done,
            again=lambda form, errors: _record_page(request, db, database, user, person_id, slug)(form, errors),
        )

    page.__name__, save.__name__ = f"new_{slug}_page", f"create_{slug}"
    path = f"/children-in-care/{{person_id}}/{slug}/new"
    router.add_api_route(path, page, methods=["GET"], include_in_schema=False)
    router.add_api_route(path, save, methods=["POST"], include_in_schema=False)


for _slug in RECORDS:
    _mount_record(_slug)


# --- health and outcomes (SSDA903 OC2), one record a collection year ------------------------------------------


def _outcomes_page(request: Request, view: outcomes.OutcomesForm) -> Page:
    def page(form: Mapping[str, str], errors: dict[str, str]) -> Response:
        return render(
            request,
            "children_in_care/outcomes.html",
            title="Health and outcomes",
            person=view.person,
            view=view,
            year_name=outcomes.year_name(view.year),
            SDQ_CHOICES=list(outcomes.SDQ_CHOICES.items()),
            YES_NO=[("yes", "Yes"), ("no", "No")],
            form=dict(form),
            errors=errors,
        )

    return page


@router.get("/children-in-care/{person_id}/outcomes/{year}", include_in_schema=False)
def outcomes_page(
    request: Request, person_id: RecordId, year: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    view = outcomes.outcomes_form(db, database, user, person_id, year)
    return _outcomes_page(request, view)(outcomes.form_of(view.saved) if view.saved else {}, {})


@router.post("/children-in-care/{person_id}/outcomes/{year}", include_in_schema=False)
async def record_outcomes(
    request: Request, person_id: RecordId, year: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: outcomes.record_outcomes(db, database, user, person_id, year, form),
        done=f"/children-in-care/{person_id}?done=outcomes",
        again=lambda form, errors: _outcomes_page(request, outcomes.outcomes_form(db, database, user, person_id, year))(
            form, errors
        ),
    )


# --- unaccompanied asylum-seeking child (SSDA903 UASC), on the current period of care ----------------------------


def _uasc_page(request: Request, db: Session, database: Database, user: User, person_id: int) -> Page:
    period = service.current_period(db, database, user, person_id)
    person = service.form_person(db, database, user, person_id, Action.CREATE)

    def page(form: Mapping[str, str], errors: dict[str, str]) -> Response:
        return render(
            request,
            "children_in_care/uasc.html",
            title="Unaccompanied asylum-seeking child",
            person=person,
            period=period,
            YES_NO=[("yes", "Yes"), ("no", "No")],
            form=dict(form),
            errors=errors,
        )

    return page


@router.get("/children-in-care/{person_id}/uasc", include_in_schema=False)
def uasc_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    page = _uasc_page(request, db, database, user, person_id)
    return page(uasc.form_of(service.current_period(db, database, user, person_id)), {})


@router.post("/children-in-care/{person_id}/uasc", include_in_schema=False)
async def record_uasc(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: uasc.record_uasc(db, database, user, person_id, form),
        done=f"/children-in-care/{person_id}?done=uasc",
        again=lambda form, errors: _uasc_page(request, db, database, user, person_id)(form, errors),
    )


# --- deprivation of liberty orders (SSDA903 DoLo, from 2026-27) ---------------------------------------------------


def _order_page(
    request: Request, db: Session, database: Database, user: User, person_id: int, order_id: int | None
) -> Page:
    if order_id is None:
        service.current_period(db, database, user, person_id)
        order = None
    else:
        order = deprivation_of_liberty.order_for_change(db, database, user, person_id, order_id)
    person = service.form_person(db, database, user, person_id, Action.CREATE)

    def page(form: Mapping[str, str], errors: dict[str, str]) -> Response:
        return render(
            request,
            "children_in_care/deprivation_of_liberty.html",
            title="Change a deprivation of liberty order" if order else "Record a deprivation of liberty order",
            person=person,
            order=order,
            form=dict(form),
            errors=errors,
        )

    return page


@router.get("/children-in-care/{person_id}/deprivation-of-liberty", include_in_schema=False)
def new_order_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _order_page(request, db, database, user, person_id, None)({}, {})


@router.post("/children-in-care/{person_id}/deprivation-of-liberty", include_in_schema=False)
async def record_order(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: deprivation_of_liberty.record_order(db, database, user, person_id, form),
        done=f"/children-in-care/{person_id}?done=deprivation-of-liberty",
        again=lambda form, errors: _order_page(request, db, database, user, person_id, None)(form, errors),
    )


@router.get("/children-in-care/{person_id}/deprivation-of-liberty/{deprivation_of_liberty_id}", include_in_schema=False)
def order_page(
    request: Request,
    person_id: RecordId,
    deprivation_of_liberty_id: RecordId,
    db: DbSession,
    database: Db,
    user: CurrentUser,
) -> Response:
    page = _order_page(request, db, database, user, person_id, deprivation_of_liberty_id)
    return page(
        deprivation_of_liberty.form_of(
            deprivation_of_liberty.order_for_change(db, database, user, person_id, deprivation_of_liberty_id)
        ),
        {},
    )


@router.post(
    "/children-in-care/{person_id}/deprivation-of-liberty/{deprivation_of_liberty_id}", include_in_schema=False
)
async def change_order(
    request: Request,
    person_id: RecordId,
    deprivation_of_liberty_id: RecordId,
    db: DbSession,
    database: Db,
    user: CurrentUser,
) -> Response:
    return await submit(
        request,
        db,
        lambda form: deprivation_of_liberty.record_order(
            db, database, user, person_id, form, deprivation_of_liberty_id
        ),
        done=f"/children-in-care/{person_id}?done=deprivation-of-liberty",
        again=lambda form, errors: _order_page(request, db, database, user, person_id, deprivation_of_liberty_id)(
            form, errors
        ),
    )
