"""Pages of care leavers: the list (a personal adviser's own care leavers, with the visits due and overdue; a team
manager's every one), opening a record, and the care leaver's page with its forms: the adviser's contacts, the
needs assessment, the pathway plan and its reviews, the OC3 facts, and (team managers) the adviser named. Every
route is declared in the authorization matrix (tests/children_in_care/authorization.py).

Routes only translate between HTTP and ``care_leaver_service``, which asks the access policy and audits. Every form
goes through ``web.forms.submit``: shown again with its errors (422), else post/redirect/get.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from safeguarding.children_in_care import care_leaver_service as service
from safeguarding.children_in_care import care_leavers as rules
from safeguarding.children_in_care.care_leaver_models import CONTACT_METHOD_LABELS
from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import PostedForm, record_form, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

FLASH = {
    "opened": "Care leaver record opened",
    "contact": "Contact recorded",
    "assessment": "Needs assessment recorded",
    "plan": "Pathway plan recorded",
    "review": "Pathway plan review recorded",
    "oc3": "Birthday information recorded",
    "adviser": "Personal adviser changed",
}


@router.get("/care-leavers", include_in_schema=False)
def care_leavers_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    lines = service.list_care_leavers(db, database, user)
    return render(
        request,
        "children_in_care/care_leavers/list.html",
        title="Care leavers",
        lines=lines,
        overdue=[line for line in lines if line.visit_state is not None and line.visit_state.value == "overdue"],
        due_soon=[line for line in lines if line.visit_state is not None and line.visit_state.value == "due_soon"],
        may_open=access.role_may(user, Kind.CARE_LEAVER, Action.CREATE),
        mine=user.role == "personal_adviser",
    )


def _new_page(
    request: Request, db: Session, user: User, form: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "children_in_care/care_leavers/new.html",
        title="Open a care leaver record",
        advisers=[(str(u.id), u.full_name) for u in service.advisers(db)],
        form=form or {},
        errors=errors or {},
    )


@router.get("/care-leavers/new", include_in_schema=False)
def new_care_leaver_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.CARE_LEAVER, Action.CREATE)
    return _new_page(request, db, user)


@router.post("/care-leavers/new", include_in_schema=False)
async def open_care_leaver(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.CARE_LEAVER, Action.CREATE)
    return await submit(
        request,
        db,
        lambda form: service.open_care_leaver(db, database, user, form),
        done=lambda leaver: f"/care-leavers/{leaver.id}?done=opened",
        again=lambda form, errors: _new_page(request, db, user, form.as_dict(), errors),
    )


def _leaver_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    leaver_id: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
) -> Response:
    view = service.view_care_leaver(db, database, user, leaver_id)
    return render(
        request,
        "children_in_care/care_leavers/page.html",
        title=view.leaver.person.full_name,
        view=view,
        form=form or {},
        errors=errors or {},
        which=(form or {}).get("_form", ""),
        flash=FLASH.get(done or ""),
        today=today_in_london(),
        may_update=access.authorize(db, user, Action.UPDATE, service.subject_of(view.leaver)).allowed,
        may_manage=access.role_may(user, Kind.CARE_LEAVER, Action.MANAGE),
        advisers=[(str(u.id), u.full_name) for u in service.advisers(db)],
        methods=[(m.value, label) for m, label in CONTACT_METHOD_LABELS.items()],
        in_touch_codes=list(rules.IN_TOUCH.items()),
        activity_codes=list(rules.ACTIVITY.items()),
        accommodation_codes=[*rules.ACCOMMODATION_TYPES.items(), (rules.ACCOMMODATION_NOT_KNOWN, "No information")],
        suitability=list(rules.SUITABILITY.items()),
        in_touch_label=rules.IN_TOUCH,
        activity_label=rules.ACTIVITY,
        accommodation_label=rules.accommodation_label,
        method_label=CONTACT_METHOD_LABELS,
        yes_no=list(service.YES_NO),
        oc3_ages=[(str(line.age), f"{line.age}th") for line in view.oc3],
    )


@router.get("/care-leavers/people/{person_id}", include_in_schema=False)
def care_leaver_of_person(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    """A person's care leaver record (a deadline's page links here): on to the record's page."""
    leaver = service.care_leaver_of(db, database, user, person_id)
    return RedirectResponse(f"/care-leavers/{leaver.id}", status_code=303)


@router.get("/care-leavers/{care_leaver_id}", include_in_schema=False)
def care_leaver_page(
    request: Request,
    care_leaver_id: RecordId,
    db: DbSession,
    database: Db,
    user: CurrentUser,
    done: str | None = None,
) -> Response:
    return _leaver_page(request, db, database, user, care_leaver_id, done=done)


def _again(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    leaver_id: int,
    form: dict[str, str],
    errors: dict[str, str],
) -> Response:
    return _leaver_page(request, db, database, user, leaver_id, form, errors)


def _save(change: Callable[..., object]) -> Callable[[Session, Database, User, int, PostedForm], object]:
    def save(db: Session, database: Database, user: User, leaver_id: int, form: PostedForm) -> object:
        return change(db, database, user, leaver_id, form)

    return save


for _action, _change, _done in (
    ("contacts", service.record_contact, "contact"),
    ("assessments", service.record_assessment, "assessment"),
    ("plans", service.record_plan, "plan"),
    ("reviews", service.record_review, "review"),
    ("oc3", service.record_oc3, "oc3"),
    ("adviser", service.change_adviser, "adviser"),
):
    record_form(
        router,
        "/care-leavers",
        "care_leaver_id",
        _action,
        save=_save(_change),
        again=_again,
        done=_done,
        name=f"care_leaver_{_action}",
    )
