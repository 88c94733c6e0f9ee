"""Pages of early help and Family Help: the list (the council's early help staff: every episode; a partner: the
families they lead), starting an episode, the episode's page with its forms (consent and its withdrawal, the
assessment, the family plan and needs, the team around the family and its meetings, the lead practitioner, closure),
a person's episode (a deadline's page links there) and a person's early help history (the MASH, social care). Every
route is declared in the authorization matrix (tests/early_help/authorization.py).

Routes only translate between HTTP and ``service``, which asks the access policy and audits. Every form goes through
``web.forms.submit``: shown again with its errors (422), else post/redirect/get.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from safeguarding.core import access, local_settings
from safeguarding.core.access import Action, Kind
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.early_help import rules, service
from safeguarding.timescales.rules import RULES
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import record_form, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

FLASH = {
    "started": "Early help started",
    "consent": "Consent recorded",
    "withdrawn": "Withdrawal of consent recorded",
    "assessment": "Assessment recorded",
    "completed": "Assessment completed",
    "plan": "Family plan recorded",
    "need": "Need recorded",
    "member": "Team member added",
    "meeting": "Meeting recorded",
    "lead": "Lead practitioner changed",
    "closed": "Early help closed",
    "matched": "Family members matched to the person index",
    # Step-up and Family Help's change of plan (early_help/transitions_routes.py).
    "stepped_up": "Stepped up: a contact has gone to the front door",
    "plan_changed": "The family's plan and lead practitioner changed",
}


@router.get("/early-help", include_in_schema=False)
def episodes_page(request: Request, db: DbSession, database: Db, user: CurrentUser, show: str = "open") -> Response:
    lines = service.list_episodes(db, database, user, show="all" if show == "all" else "open")
    return render(
        request,
        "early_help/list.html",
        title="Early help",
        lines=lines,
        show="all" if show == "all" else "open",
        may_start=access.role_may(user, Kind.EARLY_HELP, Action.CREATE),
        partner=user.is_partner,
    )


@router.get("/early-help/due", include_in_schema=False)
def due_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    """The early help clocks of the families the user leads (a partner lead practitioner's due page)."""
    page = service.lead_due(db, database, user)
    return render(
        request, "early_help/due.html", title="What is due for your families", page=page, partner=user.is_partner
    )


def _new_page(
    request: Request, db: Session, user: User, form: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "early_help/new.html",
        title="Start early help",
        form=form or {},
        errors=errors or {},
        partner=user.is_partner,
        levels=[(key, f"{label}") for key, label in rules.LEVELS.items()],
        level_hints=rules.LEVEL_HINTS,
        roles=list(rules.MEMBER_ROLES.items()),
        rows=range(service.MEMBER_ROWS),
        leads=[(str(u.id), service.lead_label(u)) for u in service.lead_practitioners(db)],
    )


@router.get("/early-help/new", include_in_schema=False)
def new_episode_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.EARLY_HELP, Action.CREATE)
    return _new_page(request, db, user)


@router.post("/early-help/new", include_in_schema=False)
async def start_episode(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    access.require_role(database, user, Kind.EARLY_HELP, Action.CREATE)
    return await submit(
        request,
        db,
        lambda form: service.start_episode(db, database, user, form),
        done=lambda episode: f"/early-help/{episode.id}?done=started",
        again=lambda form, errors: _new_page(request, db, user, form.as_dict(), errors),
    )


def _episode_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    episode_id: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
) -> Response:
    view = service.view_episode(db, database, user, episode_id)
    episode = view.episode
    subject = service.subject_of(db, episode)
    is_open = episode.status == "open"
    return render(
        request,
        "early_help/page.html",
        title=episode.family_name,
        view=view,
        episode=episode,
        form=form or {},
        errors=errors or {},
        which=(form or {}).get("_form", ""),
        flash=FLASH.get(done or ""),
        today=today_in_london(),
        may_update=is_open and access.authorize(db, user, Action.UPDATE, subject).allowed,
        may_manage=is_open and access.authorize(db, user, Action.MANAGE, subject).allowed,
        levels=list(rules.LEVELS.items()),
        level_label=rules.LEVELS,
        source_label=rules.SOURCES,
        status_label=rules.STATUSES,
        role_label=rules.MEMBER_ROLES,
        scopes=list(rules.CONSENT_SCOPES.items()),
        scope_label=rules.CONSENT_SCOPES,
        responses=list(rules.WITHDRAWAL_RESPONSES.items()),
        response_label=rules.WITHDRAWAL_RESPONSES,
        outcomes=list(rules.NEED_OUTCOMES.items()),
        outcome_label=rules.NEED_OUTCOMES,
        meeting_kinds=list(rules.MEETING_KINDS.items()),
        meeting_label=rules.MEETING_KINDS,
        closure_reasons=list(rules.closure_reasons(local_settings.get_all(db)).items()),
        closure_label=rules.closure_label,
        agencies=[(str(a.id), a.name) for a in service.agencies(db)],
        members=[(str(m.id), f"{m.full_name} ({rules.MEMBER_ROLES[str(m.role)]})") for m in episode.members],
        leads=[(str(u.id), service.lead_label(u)) for u in service.lead_practitioners(db)],
        yes_no=list(service.YES_NO),
        unmatched=[m for m in episode.members if m.person_id is None],
        # Council staff find or add a family member not yet in the person index (people/: search before create).
        may_add_people=access.role_may(user, Kind.PERSON, Action.CREATE),
        rule_names={rule.id: rule.name for rule in RULES},
    )


@router.get("/early-help/people/{person_id}", include_in_schema=False)
def episode_of_person(
    request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    """A person's early help (a deadline's page links here by the person): on to the episode's page."""
    episode = service.episode_of_person(db, database, user, person_id)
    return RedirectResponse(f"/early-help/{episode.id}", status_code=303)


@router.get("/early-help/history/{person_id}", include_in_schema=False)
def history_page(request: Request, person_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    person, lines = service.person_history(db, database, user, person_id)
    return render(
        request, "early_help/history.html", title=f"Early help history: {person.full_name}", person=person, lines=lines
    )


@router.get("/early-help/{episode_id}", include_in_schema=False)
def episode_page(
    request: Request, episode_id: RecordId, db: DbSession, database: Db, user: CurrentUser, done: str | None = None
) -> Response:
    return _episode_page(request, db, database, user, episode_id, done=done)


def _again(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    episode_id: int,
    form: dict[str, str],
    errors: dict[str, str],
) -> Response:
    return _episode_page(request, db, database, user, episode_id, form, errors)


for _action, _change, _done in (
    ("consents", service.record_consent, "consent"),
    ("consent-withdrawals", service.withdraw_consent, "withdrawn"),
    ("assessments", service.record_assessment, "assessment"),
    ("assessment-completions", service.complete_assessment, "completed"),
    ("plans", service.record_plan, "plan"),
    ("needs", service.record_need, "need"),
    ("team", service.add_team_member, "member"),
    ("meetings", service.record_meeting, "meeting"),
    ("lead", service.change_lead, "lead"),
    ("close", service.close_episode, "closed"),
    ("matches", service.match_members, "matched"),
):
    record_form(
        router,
        "/early-help",
        "episode_id",
        _action,
        save=_change,
        again=_again,
        done=_done,
        name=f"early_help_{_action.replace('-', '_')}",
    )
