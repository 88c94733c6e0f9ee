"""Pages of step-up, step-down and Family Help's change of plan (services: ``transitions``, ``transitions_down``).

- ``/early-help/{episode_id}/step-up``: the episode's lead practitioner (a partner, in the portal) or the council's
  early help staff step the family up; a contact goes to the front door.
- ``/early-help/step-down/{person_id}``: a team manager steps the child down from social care (after assessment, RC9;
  or from a child in need plan at its review), closing the social care episode and opening or continuing early help.
- ``/early-help/{episode_id}/change-plan``: an early help manager moves a Family Help episode between targeted help and
  child in need work, with the new lead practitioner.

Every route is declared in the authorization matrix (tests/early_help/authorization_transitions.py). Forms go through
``web.forms.submit``: shown again with their errors (422), else post/redirect/get.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeguarding.core.codes import CLOSURE_REASONS
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.early_help import rules, service, transitions, transitions_down
from safeguarding.early_help.models import EarlyHelpEpisode
from safeguarding.early_help.transitions_rules import CONSENT_LABELS, ROUTE_LABELS, STEP_DOWN_CLOSURES, Consent
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])


# --- step-up ----------------------------------------------------------------------------------------------------------


def _step_up_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    episode_id: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    episode = transitions.view_step_up(db, database, user, episode_id)
    return render(
        request,
        "early_help/step_up.html",
        title=f"Step up to children's social care: {episode.family_name}",
        episode=episode,
        form=form or {},
        errors=errors or {},
        consents=[(c.value, CONSENT_LABELS[c]) for c in Consent],
    )


@router.get("/early-help/{episode_id}/step-up", include_in_schema=False)
def step_up_page(request: Request, episode_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _step_up_page(request, db, database, user, episode_id)


@router.post("/early-help/{episode_id}/step-up", include_in_schema=False)
async def step_up(request: Request, episode_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: transitions.step_up(db, database, user, episode_id, transitions.StepUpInput.read(form)),
        done=lambda _t: f"/early-help/{episode_id}?done=stepped_up",
        again=lambda form, errors: _step_up_page(request, db, database, user, episode_id, form.as_dict(), errors),
    )


# --- step-down --------------------------------------------------------------------------------------------------------


def _step_down_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    person_id: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    shown = transitions_down.step_down_form(db, database, user, person_id)
    return render(
        request,
        "early_help/step_down.html",
        title=f"Step down to early help: {shown.person.full_name}",
        shown=shown,
        form=form or {},
        errors=errors or {},
        route_label=ROUTE_LABELS[shown.route] if shown.route else "",
        closure_label=CLOSURE_REASONS[STEP_DOWN_CLOSURES[shown.route]] if shown.route else "",
        agrees=list(transitions_down.AGREES),
        leads=[(str(u.id), service.lead_label(u)) for u in shown.leads],
        levels=list(rules.LEVELS.items()),
    )


@router.get("/early-help/step-down/{person_id}", include_in_schema=False)
def step_down_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _step_down_page(request, db, database, user, person_id)


@router.post("/early-help/step-down/{person_id}", include_in_schema=False)
async def step_down(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: transitions_down.step_down(db, database, user, person_id, form),
        done=lambda t: f"/early-help/step-down/{person_id}/done?episode={t.episode_id}",
        again=lambda form, errors: _step_down_page(request, db, database, user, person_id, form.as_dict(), errors),
    )


@router.get("/early-help/step-down/{person_id}/done", include_in_schema=False)
def stepped_down_page(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser, episode: int | None = None
) -> Response:
    """The confirmation: the social care episode is closed and the family's early help goes on (a team manager has no
    access to the early help episode itself)."""
    shown = transitions_down.step_down_form(db, database, user, person_id)
    return render(
        request,
        "early_help/stepped_down.html",
        title="Stepped down to early help",
        shown=shown,
        reference=EarlyHelpEpisode.reference_of(episode) if episode and episode > 0 else None,
    )


# --- Family Help: change of plan ----------------------------------------------------------------------------------


def _change_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    episode_id: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    episode = transitions_down.view_change(db, database, user, episode_id)
    return render(
        request,
        "early_help/change_plan.html",
        title=f"Change of plan: {episode.family_name}",
        episode=episode,
        level_label=rules.LEVELS,
        plans=transitions_down.plan_choices(episode),
        form=form or {"version": str(episode.version)},
        errors=errors or {},
        agrees=list(transitions_down.AGREES),
        leads=[(str(u.id), service.lead_label(u)) for u in service.lead_practitioners(db)],
    )


@router.get("/early-help/{episode_id}/change-plan", include_in_schema=False)
def change_plan_page(
    request: Request, episode_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return _change_page(request, db, database, user, episode_id)


@router.post("/early-help/{episode_id}/change-plan", include_in_schema=False)
async def change_plan(
    request: Request, episode_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: transitions_down.change_plan(db, database, user, episode_id, form),
        done=lambda _t: f"/early-help/{episode_id}?done=plan_changed",
        again=lambda form, errors: _change_page(request, db, database, user, episode_id, form.as_dict(), errors),
    )
