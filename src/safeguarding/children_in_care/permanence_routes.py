"""Pages of permanence: the child's permanence page and its forms (the decision that the child should be placed for
adoption, the match, the placement for adoption, the decision that they should no longer be, the order that ends
care, the permanence plan, previous permanence), and the prospective adopters.

Routes only translate between HTTP and ``permanence_service`` (which asks the access policy and audits); every form
goes through ``web.forms.submit``, so a refused form comes back with what was typed and a second editor keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeguarding.children_in_care import permanence as rules
from safeguarding.children_in_care import permanence_service as service
from safeguarding.children_in_care import rules as care_rules
from safeguarding.children_in_care import service as care_service
from safeguarding.core import access, codes
from safeguarding.core.access import Action, Kind
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import record_id
from safeguarding.core.users import User
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import PostedForm, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

CODES: dict[str, Any] = {
    "REASONS_NO_LONGER_PLACED": rules.REASONS_NO_LONGER_PLACED,
    "ADOPTERS_SEX": rules.ADOPTERS_SEX,
    "ADOPTERS_LEGAL_STATUS": rules.ADOPTERS_LEGAL_STATUS,
    "ADOPTION_PLACEMENTS": rules.ADOPTION_PLACEMENTS,
    "PLACEMENT_PROVIDERS": care_rules.PLACEMENT_PROVIDERS,
    "PERMANENCE_PLANS": rules.PERMANENCE_PLANS,
    "PREVIOUS_PERMANENCE": rules.PREVIOUS_PERMANENCE,
    "ORDER_REASONS": service.ORDER_REASONS,
    "REASONS_LEFT_CARE": care_rules.REASONS_LEFT_CARE,
    "REASONS_LEFT_PROCESS": rules.REASONS_LEFT_PROCESS,
    "ADOPTER_GENDER": rules.ADOPTER_GENDER,
    "ETHNICITIES": codes.ETHNICITIES,
    "FAMILY_DATES": service.FAMILY_DATES,
    "YES_NO": [("yes", "Yes"), ("no", "No")],
    "NUMBERS": [("1", "One"), ("2", "Two")],
}

DONE = {
    "decision": "The decision that the child should be placed for adoption is recorded",
    "match": "The match is recorded",
    "placed": "The placement for adoption is recorded",
    "no-longer": "The decision that the child should no longer be placed for adoption is recorded",
    "order": "The order is recorded: the child has left care",
    "plan": "The permanence plan is recorded",
    "previous": "Previous permanence is recorded",
    "family": "The adoptive family is saved",
}

Page = Callable[[PostedForm | Mapping[str, str], dict[str, str]], Response]


@router.get("/children-in-care/{person_id}/permanence", include_in_schema=False)
def permanence_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    record = service.permanence_record(db, database, user, person_id)
    return render(
        request,
        "children_in_care/permanence.html",
        title=f"{record.person.full_name}: permanence",
        record=record,
        done=DONE.get(request.query_params.get("done", "")),
        **CODES,
    )


# --- the child's forms ----------------------------------------------------------------------------------------------


def _form_page(
    request: Request, db: Session, database: Database, user: User, person_id: int, slug: str, action: Action
) -> Page:
    template, title = FORMS[slug][0], FORMS[slug][1]
    person = care_service.form_person(db, database, user, person_id, action)
    families = service.adoptive_families(db)

    def page(form: Mapping[str, str], errors: dict[str, str]) -> Response:
        return render(
            request,
            f"children_in_care/permanence/{template}",
            title=title,
            person=person,
            families=families,
            form=dict(form),
            errors=errors,
            **CODES,
        )

    return page


def _match_version(form: PostedForm) -> int | None:
    return record_id(form.get("version"))


# slug: (template, title, the access the form needs, the save)
FORMS: dict[str, tuple[str, str, Action, Callable[[Session, Database, User, int, PostedForm], Any]]] = {
    "decision": (
        "decision.html",
        "Decision that the child should be placed for adoption",
        Action.CREATE,
        lambda db, database, user, pid, form: service.record_decision(
            db, database, user, pid, service.DecisionInput.read(form)
        ),
    ),
    "match": (
        "match.html",
        "Match with adopters",
        Action.CREATE,
        lambda db, database, user, pid, form: service.record_match(
            db, database, user, pid, service.MatchInput.read(form), expected_version=_match_version(form)
        ),
    ),
    "placed": (
        "placed.html",
        "Placed for adoption",
        Action.UPDATE,
        lambda db, database, user, pid, form: service.record_placed(
            db, database, user, pid, care_service.ChangeInput.read(care_rules.PLACEMENT, form)
        ),
    ),
    "no-longer": (
        "no_longer.html",
        "Decision that the child should no longer be placed for adoption",
        Action.CREATE,
        lambda db, database, user, pid, form: service.record_ceased(
            db, database, user, pid, service.CeaseInput.read(form)
        ),
    ),
    "order": (
        "order.html",
        "Adoption, special guardianship or child arrangements order",
        Action.CREATE,
        lambda db, database, user, pid, form: service.record_order(
            db, database, user, pid, service.OrderInput.read(form)
        ),
    ),
    "plan": (
        "plan.html",
        "Permanence plan",
        Action.CREATE,
        lambda db, database, user, pid, form: service.record_plan(
            db, database, user, pid, service.PlanInput.read(form)
        ),
    ),
    "previous": (
        "previous.html",
        "Previous permanence",
        Action.CREATE,
        lambda db, database, user, pid, form: service.record_previous(
            db, database, user, pid, service.PreviousInput.read(form), expected_version=_match_version(form)
        ),
    ),
}


def _first_form(db: Session, database: Database, user: User, person_id: int, slug: str) -> dict[str, str]:
    """What a form first shows: nothing answered, but for a correction (the match, previous permanence)."""
    if slug == "match":
        return service.match_form(service.open_decision(db, database, user, person_id))
    if slug == "previous":
        row = service.previous_of(db, database, user, person_id)
        if row is not None:
            return {
                "version": str(row.version),
                "option": row.option,
                "la_code": row.la_code or "",
                "order_on": row.order_on.isoformat() if row.order_on else "",
            }
    return {}


def _mount(slug: str) -> None:
    """``GET`` and ``POST /children-in-care/{person_id}/permanence/<slug>``: one form, at its own address."""
    _template, _title, action, save = FORMS[slug]

    def page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        shown = _form_page(request, db, database, user, person_id, slug, action)
        try:
            first = _first_form(db, database, user, person_id, slug)
        except ValidationFailed as exc:  # no decision in force, or not in care: say so on the form
            return shown({}, dict(exc.errors))
        return shown(first, {})

    async def post(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
        return await submit(
            request,
            db,
            lambda form: save(db, database, user, person_id, form),
            done=f"/children-in-care/{person_id}/permanence?done={slug}",
            again=lambda form, errors: _form_page(request, db, database, user, person_id, slug, action)(form, errors),
        )

    name = slug.replace("-", "_")
    page.__name__, post.__name__ = f"permanence_{name}_page", f"permanence_{name}"
    path = f"/children-in-care/{{person_id}}/permanence/{slug}"
    router.add_api_route(path, page, methods=["GET"], include_in_schema=False)
    router.add_api_route(path, post, methods=["POST"], include_in_schema=False)


for _slug in FORMS:
    _mount(_slug)


# --- prospective adopters -------------------------------------------------------------------------------------------


@router.get("/adopters", include_in_schema=False)
def adopters_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    rows = service.families(db, database, user)
    return render(
        request,
        "children_in_care/permanence/families.html",
        title="Prospective adopters",
        rows=rows,
        done=DONE.get(request.query_params.get("done", "")),
        **CODES,
    )


def _family_page(request: Request, family_id: int | None) -> Page:
    def page(form: Mapping[str, str], errors: dict[str, str]) -> Response:
        return render(
            request,
            "children_in_care/permanence/family.html",
            title="Prospective adopters" if family_id is None else "Change prospective adopters",
            family_id=family_id,
            form=dict(form),
            errors=errors,
            **CODES,
        )

    return page


@router.get("/adopters/new", include_in_schema=False)
def new_family_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.ADOPTERS, Action.CREATE)
    return _family_page(request, None)({}, {})


@router.post("/adopters/new", include_in_schema=False)
async def create_family(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: service.save_family(db, database, user, service.FamilyInput.read(form)),
        done="/adopters?done=family",
        again=lambda form, errors: _family_page(request, None)(form, errors),
    )


@router.get("/adopters/{adoptive_family_id}", include_in_schema=False)
def family_page(
    request: Request, adoptive_family_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    row = service.family(db, database, user, adoptive_family_id, Action.UPDATE)
    return _family_page(request, adoptive_family_id)(service.family_form(db, row), {})


@router.post("/adopters/{adoptive_family_id}", include_in_schema=False)
async def update_family(
    request: Request, adoptive_family_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: service.save_family(
            db,
            database,
            user,
            service.FamilyInput.read(form),
            family_id=adoptive_family_id,
            expected_version=record_id(form.get("version")),
        ),
        done="/adopters?done=family",
        again=lambda form, errors: _family_page(request, adoptive_family_id)(form, errors),
    )
