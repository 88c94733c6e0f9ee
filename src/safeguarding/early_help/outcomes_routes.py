"""Pages of Supporting Families outcomes (service: ``outcomes``).

- ``/early-help/{episode_id}/outcomes``: the family's needs mapped to the national headline outcomes, the progress on
  each with its evidence, and where the family stands under the council's rules; those who work the episode map the
  needs and record progress.
- ``/early-help/supporting-families`` (and ``/csv``): early help managers' list of the families with significant and
  sustained progress (or every family with a mapped need), with their evidence, ready for the claim or report.

Every route is declared in the authorization matrix (tests/early_help/authorization_transitions.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.early_help import outcomes, service
from safeguarding.early_help.outcomes_rules import FRAMEWORK_NAME, FRAMEWORK_SOURCE, HEADLINE_OUTCOMES, PROGRESS_LABELS
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
FLASH = {"mapped": "Need mapped to a headline outcome", "progress": "Progress recorded"}


@router.get("/early-help/supporting-families", include_in_schema=False)
def families_page(
    request: Request, db: DbSession, database: Db, user: CurrentUser, show: str = "sustained"
) -> Response:
    show = "all" if show == "all" else "sustained"
    lines = outcomes.families(db, database, user, show=show)
    return render(
        request,
        "early_help/supporting_families.html",
        title="Supporting Families",
        lines=lines,
        show=show,
        standing_label=outcomes.STANDING_LABELS,
        headline_label=HEADLINE_OUTCOMES,
        progress_label=PROGRESS_LABELS,
        framework=FRAMEWORK_NAME,
        framework_source=FRAMEWORK_SOURCE,
        today=today_in_london(),
    )


@router.get("/early-help/supporting-families/csv", include_in_schema=False)
def families_csv(request: Request, db: DbSession, database: Db, user: CurrentUser, show: str = "sustained") -> Response:
    show = "all" if show == "all" else "sustained"
    text = outcomes.families_csv(db, database, user, show=show)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="supporting-families-{today_in_london():%Y-%m-%d}.csv"'},
    )


def _outcomes_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    episode_id: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
) -> Response:
    view = outcomes.episode_outcomes(db, database, user, episode_id)
    return render(
        request,
        "early_help/outcomes.html",
        title=f"Supporting Families outcomes: {view.episode.family_name}",
        view=view,
        episode=view.episode,
        form=form or {},
        errors=errors or {},
        which=(form or {}).get("_form", ""),
        flash=FLASH.get(done or ""),
        may_update=access.authorize(db, user, Action.UPDATE, service.subject_of(db, view.episode)).allowed,
        headlines=list(HEADLINE_OUTCOMES.items()),
        headline_label=HEADLINE_OUTCOMES,
        progresses=list(PROGRESS_LABELS.items()),
        progress_label=PROGRESS_LABELS,
        standing_label=outcomes.STANDING_LABELS,
        framework=FRAMEWORK_NAME,
        need_options=[(str(line.need.id), _short(line.need.description)) for line in view.needs],
        mapped_options=[
            (
                str(line.mapped.id),
                f"{_short(line.need.description)} ({HEADLINE_OUTCOMES.get(line.mapped.headline, '')})",
            )
            for line in view.needs
            if line.mapped is not None
        ],
    )


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:79] + "…"


@router.get("/early-help/{episode_id}/outcomes", include_in_schema=False)
def outcomes_page(
    request: Request, episode_id: RecordId, db: DbSession, database: Db, user: CurrentUser, done: str | None = None
) -> Response:
    return _outcomes_page(request, db, database, user, episode_id, done=done)


@router.post("/early-help/{episode_id}/outcomes/mappings", include_in_schema=False)
async def map_need(request: Request, episode_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: outcomes.map_need(db, database, user, episode_id, form),
        done=f"/early-help/{episode_id}/outcomes?done=mapped",
        again=lambda form, errors: _outcomes_page(request, db, database, user, episode_id, form.as_dict(), errors),
    )


@router.post("/early-help/{episode_id}/outcomes/progress", include_in_schema=False)
async def record_progress(
    request: Request, episode_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: outcomes.record_progress(db, database, user, episode_id, form),
        done=f"/early-help/{episode_id}/outcomes?done=progress",
        again=lambda form, errors: _outcomes_page(request, db, database, user, episode_id, form.as_dict(), errors),
    )
