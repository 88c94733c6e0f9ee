"""Every page or API answer that shows a child's information writes its audit row.

Walks every GET route the app serves (as the authorization matrix does). A route with a path parameter shows a
person's information unless it is declared in ``NOT_ABOUT_A_PERSON`` below, with why; a route without one shows no
single person unless declared in ``PERSON_LISTS``. Each route that shows a person is requested, as a role the matrix
allows, for the world's child, and an audit row naming that child (``person_id``) and that user must follow. So a
new person route without its audit row fails here, and so does a new parameterised route nobody thought about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from safeguarding.core.audit import AuditEvent
from safeguarding.core.users import Role
from safeguarding.front_door.models import Contact, ContactDecision, ContactStatus, DecisionStatus
from tests.matrix import PUBLIC, Route
from tests.support import World
from tests.test_authorization_matrix import EXPECTED, Caller, _call, callers, served_routes, world  # noqa: F401

R = Role

# GET routes with a path parameter that show no person's information, and why.
NOT_ABOUT_A_PERSON: dict[Route, str] = {
    ("GET", "/admin/users/{user_id}"): "a staff account",
    ("GET", "/admin/teams/{team_id}"): "a team",
    ("GET", "/admin/agencies/{agency_id}"): "a partner agency",
    ("GET", "/portal/checks/{check_id}"): "a partner's own check: what their agency was asked, audited as a check",
    ("GET", "/portal/contacts/{contact_id}"): "a partner's own contact: the outcome their agency may know",
    ("GET", "/people/{person_id}/break-glass"): "the break-glass form shows the record's number only",
    ("GET", "/care-leavers/people/{person_id}"): "a redirect to the care leaver's page, which audits the view",
    ("GET", "/early-help/people/{person_id}"): "a redirect to the early help episode's page, which audits the view",
    ("GET", "/adopters/{adoptive_family_id}"): "prospective adopters' assessment: no names and no child's information",
}
# GET routes without a path parameter that show one person's information (none today).
PERSON_LISTS: frozenset[Route] = frozenset()


@contextmanager
def _decision_in_effect(database: Any, world: World) -> Iterator[None]:
    """The world's decision waits for sign-off (the matrix signs it off); its amendment form shows a decision in
    effect, so for that call the decision is in effect, and afterwards waits again."""

    def put(decision_status: DecisionStatus, contact_status: ContactStatus) -> None:
        with database.transaction() as s:
            s.get_one(ContactDecision, world.decision.id).status = decision_status
            s.get_one(Contact, world.contact.id).status = contact_status

    put(DecisionStatus.IN_EFFECT, ContactStatus.DECIDED)
    try:
        yield
    finally:
        put(DecisionStatus.AWAITING_SIGN_OFF, ContactStatus.AWAITING_SIGN_OFF)


# GET routes that show a person only when the world's records are in another state: set for the call, then undone.
PREPARED: dict[Route, Callable[[Any, World], AbstractContextManager[None]]] = {
    ("GET", "/mash/contacts/{contact_id}/decision/amend"): _decision_in_effect,
}
# The role asked first, where the matrix allows several: people who work with the child.
PREFERENCE = (
    R.SOCIAL_WORKER,
    R.TEAM_MANAGER,
    R.EXPLOITATION_PRACTITIONER,
    R.MASH_WORKER,
    R.MASH_MANAGER,
    R.PERFORMANCE_ANALYST,
    R.ADMINISTRATOR,
    R.PARTNER_PRACTITIONER,
    R.EARLY_HELP_MANAGER,  # pages only an early help manager uses (a Family Help change of plan)
    R.DATA_QUALITY_OFFICER,  # the person index's upkeep: duplicate pairs, merges and unmerging
)


def _person_routes(app: FastAPI) -> list[Route]:
    gets = sorted(r for r in served_routes(app) if r[0] == "GET")
    return [r for r in gets if (re.search(r"\{[^}]+\}", r[1]) and r not in NOT_ABOUT_A_PERSON) or r in PERSON_LISTS]


def _role_for(route: Route) -> str:
    allowed = EXPECTED[route]
    assert allowed != PUBLIC, f"{route} is public yet shows a person"
    for role in PREFERENCE:
        if role.value in allowed:
            return role.value
    raise AssertionError(f"no staff role may use {route}")


def _rows_about(database: Any, user_id: int, person_id: int) -> int:
    with database.transaction() as s:
        return len(
            list(
                s.scalars(
                    select(AuditEvent.id).where(
                        AuditEvent.actor_id == user_id,
                        AuditEvent.person_id == person_id,
                        AuditEvent.outcome == "allowed",
                    )
                )
            )
        )


def test_the_declarations_name_only_routes_the_app_serves(app: FastAPI) -> None:
    served = served_routes(app)
    assert not (NOT_ABOUT_A_PERSON.keys() - served), "NOT_ABOUT_A_PERSON names routes the app no longer serves"
    assert not (PERSON_LISTS - served), "PERSON_LISTS names routes the app no longer serves"


def test_every_route_that_shows_a_person_writes_an_audit_row_naming_them(
    app: FastAPI, callers: dict[str, Caller], world: World, database: Any
) -> None:
    child_id: int = world.child.id
    silent: list[str] = []
    for route in _person_routes(app):
        principal = _role_for(route)
        user = world.users[principal]
        before = _rows_about(database, user.id, child_id)
        with PREPARED[route](database, world) if route in PREPARED else nullcontext():
            response = _call(callers[principal], route[0], route[1], world)
        if response.status_code >= 400:
            silent.append(f"{route[1]} as {principal}: answered {response.status_code}, not the child's information")
            continue
        if _rows_about(database, user.id, child_id) <= before:
            silent.append(f"{route[1]} as {principal}: no audit row naming the child")
    assert not silent, "routes that show a child's information without an audit row:\n  " + "\n  ".join(silent)
