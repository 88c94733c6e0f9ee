"""The authorization matrix: every route of the app, asked by every kind of user, answers as the policy says.

``EXPECTED`` declares, for every (method, path template) the app serves, which principals may use it (or that it
is public). The principals are the eight roles of ``core.users.Role``, a partner practitioner of *another* agency
(``partner_other_agency``; ``partner_practitioner`` belongs to the agency that made the contact and was asked the
check), and ``anonymous``.

- A route the app serves but ``EXPECTED`` does not declare fails the suite: a new route without a policy fails.
- For each declared route and each principal, the request is made against a small council (``build_world``) so
  the path ids exist. An allowed principal must get an answer that is neither 401/403 nor a trip to sign-in; any
  other signed-in principal must get 403, and the refusal must be in the audit log; anonymous must get 401 (API)
  or be sent to sign-in (pages).

Unsafe requests carry a valid CSRF token (and a body from ``FORMS`` / ``JSON_BODIES`` where the route would
otherwise reject the request as malformed before the policy is asked). Requests that an allowed principal makes
may change the world (a decision signed off, a check answered): the assertion is about access, not the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.routing import Mount

from safeguarding.core.audit import AuditEvent
from safeguarding.core.security import new_token, token_digest
from safeguarding.core.users import ApiToken, Role
from tests.casework import authorization as casework_matrix
from tests.children_in_care import authorization as children_in_care_matrix
from tests.children_in_care import care_leaver_authorization as care_leaver_matrix
from tests.children_in_care import permanence_authorization as permanence_matrix
from tests.early_help import authorization as early_help_matrix
from tests.early_help import authorization_transitions as early_help_transitions_matrix
from tests.exploitation import authorization as exploitation_matrix
from tests.exploitation import authorization_network as exploitation_network_matrix
from tests.family_network import authorization as family_network_matrix
from tests.matrix import (
    ADMIN,
    ANY_PARTNER,
    API_PREFIX,
    AUDIT_READERS,
    CASEWORK,
    EARLY_HELP_STAFF,
    EVERY_USER,
    MASH,
    OWNING_PARTNER,
    PUBLIC,
    UNPOLICED_MOUNTS,
    UNPOLICED_PATHS,
    Policy,
    Route,
    roles,
)
from tests.people import authorization_duplicates as people_duplicates_matrix
from tests.returns import authorization as returns_matrix
from tests.returns import authorization_insight as returns_insight_matrix
from tests.support import ANONYMOUS, PRINCIPALS, World, build_world, sign_in_as
from tests.timescales import authorization as timescales_matrix

R = Role

# --- the policy, route by route ----------------------------------------------------------------------------------
CORE_EXPECTED: dict[Route, Policy] = {
    # Signing in and out (app/auth.py).
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("GET", "/sign-in/second-factor"): PUBLIC,
    ("POST", "/sign-in/second-factor"): PUBLIC,
    ("POST", "/sign-out"): PUBLIC,
    # The browser's icon (app/factory.py).
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/account"): EVERY_USER,
    ("GET", "/account/password"): EVERY_USER,
    ("POST", "/account/password"): EVERY_USER,
    ("GET", "/account/second-factor"): EVERY_USER,
    ("POST", "/account/second-factor"): EVERY_USER,
    ("POST", "/account/second-factor/start"): EVERY_USER,
    ("GET", "/"): EVERY_USER,
    # Each role's home (app/home.py): a composed page for social workers, team managers and service leaders; every
    # other role is sent on to its own home page.
    ("GET", "/home"): EVERY_USER,
    # The MASH (front_door/routes.py).
    ("GET", "/mash/queue"): MASH,
    ("GET", "/mash/contacts/new"): MASH,
    ("POST", "/mash/contacts/new"): MASH,
    ("GET", "/mash/contacts/{contact_id}"): roles(*CASEWORK),
    ("POST", "/mash/contacts/{contact_id}/rating"): MASH,
    ("POST", "/mash/contacts/{contact_id}/link"): MASH,
    ("POST", "/mash/contacts/{contact_id}/create-person"): MASH,
    ("POST", "/mash/contacts/{contact_id}/route"): MASH,
    ("POST", "/mash/contacts/{contact_id}/checks"): MASH,
    ("POST", "/mash/contacts/{contact_id}/decision"): MASH,
    ("POST", "/mash/contacts/{contact_id}/sign-off"): roles(R.MASH_MANAGER),
    # Amending a decision in effect (front_door/amendments.py): the MASH roles reach it; the service then admits only
    # the decision maker or a manager (tests/front_door/test_decision_amendments.py). Agreeing a worker's
    # amendment is a manager's.
    ("GET", "/mash/contacts/{contact_id}/decision/amend"): MASH,
    ("POST", "/mash/contacts/{contact_id}/decision/amend"): MASH,
    ("POST", "/mash/contacts/{contact_id}/decision/amendment-sign-off"): roles(R.MASH_MANAGER),
    # Only the worker the contact was routed to (the world routes it to the social worker) or their team manager.
    ("POST", "/mash/contacts/{contact_id}/respond"): roles(R.SOCIAL_WORKER, R.TEAM_MANAGER),
    ("GET", "/mash/sign-off"): roles(R.MASH_MANAGER),
    ("GET", "/my-contacts"): roles(R.SOCIAL_WORKER, R.TEAM_MANAGER),
    ("GET", "/mash/dashboard"): roles(R.MASH_MANAGER, R.TEAM_MANAGER, R.PERFORMANCE_ANALYST, R.SERVICE_LEADER),
    # The partner portal (front_door/portal.py): a referrer's own agency's contacts and checks, nothing else.
    ("GET", "/portal"): ANY_PARTNER,
    ("GET", "/portal/contacts/new"): ANY_PARTNER,
    ("POST", "/portal/contacts/new"): ANY_PARTNER,
    ("GET", "/portal/contacts/{contact_id}"): OWNING_PARTNER,
    ("GET", "/portal/checks/{check_id}"): OWNING_PARTNER,
    ("POST", "/portal/checks/{check_id}"): OWNING_PARTNER,
    # People (people/routes.py): case-working staff; early help staff search, open and add people (a family not yet
    # known to the council) but do not change them; partners never open a person's record.
    ("GET", "/people"): roles(*CASEWORK, *EARLY_HELP_STAFF),
    ("GET", "/people/pick"): roles(*CASEWORK, *EARLY_HELP_STAFF),
    ("GET", "/people/new"): roles(*CASEWORK, *EARLY_HELP_STAFF),
    ("POST", "/people/new"): roles(*CASEWORK, *EARLY_HELP_STAFF),
    ("GET", "/people/{person_id}"): roles(*CASEWORK, *EARLY_HELP_STAFF),
    ("GET", "/people/{person_id}/edit"): roles(*CASEWORK),
    ("POST", "/people/{person_id}/edit"): roles(*CASEWORK),
    ("POST", "/people/{person_id}/aliases"): roles(*CASEWORK),
    ("POST", "/people/{person_id}/aliases/{alias_id}/remove"): roles(*CASEWORK),
    ("GET", "/people/{person_id}/addresses/new"): roles(*CASEWORK),
    ("POST", "/people/{person_id}/addresses/new"): roles(*CASEWORK),
    ("GET", "/people/{person_id}/relationships/new"): roles(*CASEWORK),
    ("POST", "/people/{person_id}/relationships/new"): roles(*CASEWORK),
    ("GET", "/people/{person_id}/relationships/{relationship_id}/end"): roles(*CASEWORK),
    ("POST", "/people/{person_id}/relationships/{relationship_id}/end"): roles(*CASEWORK),
    ("POST", "/people/{person_id}/relationships/{relationship_id}/restore"): roles(*CASEWORK),
    ("GET", "/people/{person_id}/break-glass"): roles(*CASEWORK),
    ("POST", "/people/{person_id}/break-glass"): roles(*CASEWORK),
    ("GET", "/people/{person_id}/restriction"): roles(R.MASH_MANAGER, R.TEAM_MANAGER, R.ADMINISTRATOR),
    ("POST", "/people/{person_id}/restriction"): roles(R.MASH_MANAGER, R.TEAM_MANAGER, R.ADMINISTRATOR),
    # The audit log (app/audit_pages.py).
    ("GET", "/audit"): AUDIT_READERS,
    ("GET", "/audit/export.csv"): AUDIT_READERS,
    ("GET", "/audit/people/{person_id}"): AUDIT_READERS,
    ("GET", "/audit/break-glass"): AUDIT_READERS,
    ("POST", "/audit/break-glass/{access_id}/review"): roles(R.MASH_MANAGER, R.TEAM_MANAGER),
    # The JSON API for partner systems (front_door/api.py, people/routes.py, app/auth.py).
    ("GET", "/api/v1/me"): EVERY_USER,
    # Early help staff may make a contact (a safeguarding consideration in a family they work with: early_help/).
    ("POST", "/api/v1/contacts"): ANY_PARTNER | MASH | roles(R.EARLY_HELP_PRACTITIONER, R.EARLY_HELP_MANAGER),
    ("GET", "/api/v1/contacts"): ANY_PARTNER,
    ("GET", "/api/v1/contacts/{contact_id}"): OWNING_PARTNER | roles(*CASEWORK),
    ("GET", "/api/v1/checks"): ANY_PARTNER,
    ("POST", "/api/v1/checks/{check_id}/response"): OWNING_PARTNER,
    ("GET", "/api/v1/people/search"): roles(*CASEWORK, *EARLY_HELP_STAFF),
    ("GET", "/api/v1/people/{person_id}"): roles(*CASEWORK, *EARLY_HELP_STAFF),
    # Administration (app/admin.py): user accounts, teams and agencies, local settings.
    ("GET", "/admin"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("GET", "/admin/users/new"): ADMIN,
    ("POST", "/admin/users/new"): ADMIN,
    ("GET", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}/password"): ADMIN,
    ("POST", "/admin/users/{user_id}/unlock"): ADMIN,
    ("POST", "/admin/users/{user_id}/second-factor/reset"): ADMIN,
    ("POST", "/admin/users/{user_id}/tokens"): ADMIN,
    ("POST", "/admin/users/{user_id}/tokens/{token_id}/revoke"): ADMIN,
    ("GET", "/admin/organisations"): ADMIN,
    ("POST", "/admin/teams"): ADMIN,
    ("GET", "/admin/teams/{team_id}"): ADMIN,
    ("POST", "/admin/teams/{team_id}"): ADMIN,
    ("POST", "/admin/agencies"): ADMIN,
    ("GET", "/admin/agencies/{agency_id}"): ADMIN,
    ("POST", "/admin/agencies/{agency_id}"): ADMIN,
    # A MASH manager reads the local standards (RAG deadlines) that govern the queue; only administrators change.
    ("GET", "/admin/settings"): roles(R.ADMINISTRATOR, R.MASH_MANAGER),
    ("POST", "/admin/settings"): ADMIN,
}

# Bodies for unsafe requests, so that a well-formed request reaches the access policy.
CORE_FORMS: dict[Route, dict[str, str]] = {
    ("POST", "/sign-in"): {"username": "nobody-by-this-name", "password": "not a password"},
    ("POST", "/sign-in/second-factor"): {"code": "000000"},
    ("POST", "/mash/contacts/{contact_id}/sign-off"): {
        "sign_off": "return",
        "sign_off_note": "Returned by the authorization matrix",
    },
    ("POST", "/mash/contacts/{contact_id}/respond"): {"respond": "note", "note": "Seen by the matrix"},
    ("POST", "/mash/contacts/{contact_id}/link"): {"subject_id": "{subject_id}", "person_id": "{person_id}"},
    ("POST", "/mash/contacts/{contact_id}/create-person"): {"subject_id": "{subject_id}"},
}
CORE_JSON_BODIES: dict[Route, dict[str, Any]] = {
    ("POST", "/api/v1/contacts"): {
        "worry": "Synthetic worry sent by the authorization matrix",
        "consent": "consent_given",
        "subjects": [{"role": "child", "first_name": "Matrix", "last_name": "Child", "date_of_birth": "2016-05-01"}],
    },
    ("POST", "/api/v1/checks/{check_id}/response"): {"response": "No police history held", "version": 1},
}
# Query strings a route needs to be well-formed.
CORE_QUERIES: dict[Route, dict[str, str]] = {
    ("GET", "/api/v1/people/search"): {"first_name": "Amelia", "last_name": "Testchild"},
}
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Each capability declares its own routes beside its tests; an overlap with another's declaration is a mistake.
CAPABILITIES = (
    casework_matrix,
    children_in_care_matrix,
    care_leaver_matrix,
    family_network_matrix,
    permanence_matrix,
    early_help_matrix,
    early_help_transitions_matrix,
    timescales_matrix,
    exploitation_matrix,
    exploitation_network_matrix,
    returns_matrix,
    returns_insight_matrix,
    people_duplicates_matrix,
)


def _merged(core: dict[Route, Any], name: str) -> dict[Route, Any]:
    merged = dict(core)
    for capability in CAPABILITIES:
        part: dict[Route, Any] = getattr(capability, name)
        clash = merged.keys() & part.keys()
        assert not clash, f"{capability.__name__}.{name} declares routes declared elsewhere: {sorted(clash)}"
        merged.update(part)
    return merged


EXPECTED: dict[Route, Policy] = _merged(CORE_EXPECTED, "EXPECTED")
FORMS: dict[Route, dict[str, str]] = _merged(CORE_FORMS, "FORMS")
JSON_BODIES: dict[Route, dict[str, Any]] = _merged(CORE_JSON_BODIES, "JSON_BODIES")
QUERIES: dict[Route, dict[str, str]] = _merged(CORE_QUERIES, "QUERIES")


def served_routes(app: FastAPI) -> set[Route]:
    """Every (method, path template) the app answers, the /api/v1 sub-application included."""
    found: set[Route] = set()

    def walk(routes: Any, prefix: str) -> None:
        for context in iter_route_contexts(routes):
            route = context.original_route
            path = prefix + (context.path or "")
            if isinstance(route, Mount):
                if path in UNPOLICED_MOUNTS:
                    continue
                inner = getattr(route.app, "routes", None)
                assert inner is not None, f"mount {path} is neither a policed app nor a known file folder"
                walk(inner, path)
                continue
            if path in UNPOLICED_PATHS:
                continue
            for method in context.methods or ():
                if method != "HEAD":
                    found.add((method, path))

    walk(app.routes, "")
    return found


def test_every_route_has_a_declared_policy(app: FastAPI) -> None:
    served = served_routes(app)
    undeclared = sorted(served - EXPECTED.keys())
    assert not undeclared, (
        "routes without a policy in tests/test_authorization_matrix.py EXPECTED (declare who may use each): "
        + ", ".join(f"{m} {p}" for m, p in undeclared)
    )
    gone = sorted(EXPECTED.keys() - served)
    assert not gone, "EXPECTED declares routes the app no longer serves: " + ", ".join(f"{m} {p}" for m, p in gone)


def test_every_principal_is_named_in_the_matrix() -> None:
    for route, allowed in EXPECTED.items():
        if allowed != PUBLIC:
            unknown = set(allowed) - set(PRINCIPALS)
            assert not unknown, f"{route} names unknown principals {unknown}"
            assert ANONYMOUS not in allowed, f"{route}: a route anonymous may use is declared PUBLIC"


# --- making the requests -----------------------------------------------------------------------------------------


@dataclass
class Caller:
    principal: str
    client: TestClient
    csrf: str | None
    api_token: str | None


def _api_token(database: Any, user_id: int) -> str:
    token = new_token()
    with database.transaction() as s:
        s.add(ApiToken(user_id=user_id, token_hash=token_digest(token), label="authorization matrix"))
    return token


@pytest.fixture()
def world(factory: Any) -> World:
    built = build_world(factory)
    for capability in CAPABILITIES:
        built.extra_ids.update(capability.extend_world(factory, built))
    return built


@pytest.fixture()
def callers(app: FastAPI, database: Any, world: World) -> Iterator[dict[str, Caller]]:
    made: dict[str, Caller] = {}
    for principal in PRINCIPALS:
        client = TestClient(app, base_url="http://testserver", follow_redirects=False, raise_server_exceptions=False)
        if principal == ANONYMOUS:
            # A browser that has opened the sign-in page holds a pre-session CSRF token; use it, so that an
            # anonymous POST is refused for want of a session, not for want of a token.
            page = client.get("/sign-in")
            csrf = page.cookies.get("sg_pre") or client.cookies.get("sg_pre")
            made[principal] = Caller(principal, client, csrf, None)
            continue
        user = world.users[principal]
        csrf = sign_in_as(client, database, user)
        made[principal] = Caller(principal, client, csrf, _api_token(database, user.id))
    yield made
    for caller in made.values():
        caller.client.close()


def _fill(path: str, ids: dict[str, int]) -> str:
    import re

    def one(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        assert name in ids, f"no id for path parameter {{{name}}}: add it to World.path_ids in tests/support.py"
        return str(ids[name])

    return re.sub(r"\{([^}]+)\}", one, path)


def _call(caller: Caller, method: str, template: str, world: World) -> Any:
    route = (method, template)
    url = _fill(template, world.path_ids)
    headers: dict[str, str] = {}
    is_api = template.startswith(API_PREFIX)
    if is_api and caller.api_token:
        headers["Authorization"] = f"Bearer {caller.api_token}"
    kwargs: dict[str, Any] = {"headers": headers, "params": QUERIES.get(route)}
    if method in UNSAFE:
        if is_api:
            kwargs["json"] = JSON_BODIES.get(route, {})
        else:
            form = {name: _fill(value, world.path_ids) for name, value in FORMS.get(route, {}).items()}
            kwargs["data"] = {**form, "csrf_token": caller.csrf or ""}
    return caller.client.request(method, url, **kwargs)


def _sent_to_sign_in(response: Any) -> bool:
    return response.status_code in (302, 303, 307) and response.headers.get("location", "").startswith("/sign-in")


def _refusals_of(database: Any, user_id: int) -> int:
    with database.transaction() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.actor_id == user_id, AuditEvent.outcome == "refused")
            )
            or 0
        )


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_answers_each_principal_as_declared(
    route: Route, callers: dict[str, Caller], world: World, database: Any
) -> None:
    method, template = route
    allowed = EXPECTED[route]
    wrong: list[str] = []
    for principal in PRINCIPALS:
        user = world.users.get(principal)
        refusals_before = _refusals_of(database, user.id) if user else 0
        response = _call(callers[principal], method, template, world)
        status = response.status_code
        if status >= 500:
            wrong.append(f"{principal}: the server failed ({status})")
            continue
        if allowed == PUBLIC:
            # Public routes still refuse bad credentials (401) or send a stray visitor back to sign-in; they never
            # refuse by policy.
            ok = status != 403
            expectation = "not refused (public)"
        elif principal in allowed:
            ok = status not in (401, 403) and not _sent_to_sign_in(response)
            expectation = "allowed"
        elif principal == ANONYMOUS:
            ok = status in (401, 403) or _sent_to_sign_in(response)
            expectation = "sent to sign-in (401/403/redirect)"
        else:
            ok = status == 403
            expectation = "refused with 403"
            if ok and user and _refusals_of(database, user.id) <= refusals_before:
                ok, expectation = False, "the refusal recorded in the audit log"
        if not ok:
            wrong.append(f"{principal}: expected {expectation}, got {status} {response.headers.get('location', '')}")
    assert not wrong, f"{method} {template}:\n  " + "\n  ".join(wrong)
