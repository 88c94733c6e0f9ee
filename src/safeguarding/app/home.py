"""Each role's home page: what is waiting for them, gathered from every capability (the app composes them).

- Social worker: contacts routed to them (with the day to acknowledge by, overdue first), what is due on their
  children (each row opens the child's case) and the visits due.
- Team manager: contacts routed to the team that nobody has acknowledged (overdue first), assessments and plans awaiting
  authorisation, supervision due and overdue per worker, unallocated children (most urgent first) and each worker's
  caseload (weighted where the council sets a weighting).
- Service leader: read-only across the service: drift by team, and the figures, workforce, improvement plan,
  MASH decisions and audit pages.

Other roles' home is a page of their own capability (web.navigation.HOME): /home sends them there. Every list asks
the access policy in its own service and is audited there.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from safeguarding.casework import allocation, oversight
from safeguarding.core.users import Role
from safeguarding.front_door import routing
from safeguarding.timescales import service as timescales
from safeguarding.web.deps import CurrentUser, Db, DbSession, TransactionalRoute, csrf_protect
from safeguarding.web.navigation import HOME
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

HOME_PATH = "/home"
# How many rows of each list the home page shows before "see all".
SHOWN = 10


@router.get(HOME_PATH, include_in_schema=False)
def home_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    role = Role(user.role)
    context: dict[str, Any] = {"role": role, "shown": SHOWN}
    if role == Role.SOCIAL_WORKER:
        due = timescales.my_due(db, database, user)
        context.update(
            routed=routing.my_contacts(db, database, user),
            due=due,
            visits=[r for r in due.rows if "visit" in r.rule.id],
        )
    elif role == Role.TEAM_MANAGER:
        context.update(
            routed=routing.team_unacknowledged(db, database, user),
            awaiting=oversight.awaiting_authorisation(db, database, user),
            supervision=oversight.supervision_due(db, database, user),
            unallocated=allocation.unallocated(db, database, user),
            caseloads=oversight.caseloads(db, database, user),
        )
    elif role == Role.SERVICE_LEADER:
        _page, figures, _teams = timescales.service_due(db, database, user)
        context.update(teams=timescales.by_team(figures))
    else:
        return RedirectResponse(HOME.get(role, "/people"), status_code=303)
    return render(request, "app/home.html", title="Home", **context)
