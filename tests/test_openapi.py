"""The API's OpenAPI document is valid and describes what partner systems need; the API keeps to it.

The schemathesis run generates requests from the document (a bounded number of examples per operation) and
checks that the API never fails with a server error and answers with the status codes, content types and bodies
the document promises.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Mount

from safeguarding.core.security import new_token, token_digest
from safeguarding.core.users import ApiToken, Role
from tests.support import build_world


def api_app(app: FastAPI) -> FastAPI:
    """The /api/v1 sub-application, whose own OpenAPI document describes paths relative to /api/v1."""
    for route in app.routes:
        if isinstance(route, Mount) and route.path == "/api/v1":
            assert isinstance(route.app, FastAPI)
            return route.app
    raise AssertionError("the app mounts no /api/v1")


def test_openapi_document_is_valid_and_lists_contacts(client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "post" in document["paths"]["/contacts"], "partner systems make contacts with POST /contacts"
    # The document parses and every operation resolves (schemathesis validates it against the OpenAPI schema).
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(op.method.upper() == "POST" and op.path == "/contacts" for op in operations)


def test_api_without_a_token_is_refused_with_401(client: Any) -> None:
    response = client.get("/api/v1/contacts")
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.fixture()
def api_schema(app: FastAPI) -> Any:
    # Through the whole app, as a partner system calls it: the document's server URL is /api/v1.
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@pytest.fixture()
def tokens(factory: Any, database: Any) -> dict[str, str]:
    """Bearer tokens: a partner of the agency that owns the world's contact, and a MASH worker."""
    world = build_world(factory)
    made: dict[str, str] = {}
    with database.transaction() as s:
        for role in (Role.PARTNER_PRACTITIONER, Role.MASH_WORKER):
            token = new_token()
            s.add(ApiToken(user_id=world.users[role.value].id, token_hash=token_digest(token), label="schemathesis"))
            made[role.value] = token
    return made


def _run_examples(operation: Any, headers: dict[str, str], checks: list[Any]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def keeps_to_the_document(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=checks)

    keeps_to_the_document()


def test_api_keeps_to_its_openapi_document(api_schema: Any, tokens: dict[str, str]) -> None:
    # schemathesis' own pytest loader does not run under pytest 9, so each operation gets a hypothesis run here.
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations
    failures: list[str] = []
    for operation in operations:
        # People records are for staff; the front door's endpoints are for partner systems.
        who = Role.MASH_WORKER if operation.path.startswith("/people") else Role.PARTNER_PRACTITIONER
        headers = {"Authorization": f"Bearer {tokens[who.value]}"}

        try:
            _run_examples(operation, headers, checks)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports failures as an exception group
            failures.append(f"{operation.method.upper()} {operation.path}: {_summary(exc)}")
    assert not failures, "the API departs from its OpenAPI document:\n" + "\n".join(failures)


def _summary(exc: BaseException) -> str:
    """The failing checks' titles and messages, without the (long) response bodies."""
    inner = getattr(exc, "exceptions", None) or [exc]
    return "; ".join(f"{getattr(e, 'title', type(e).__name__)} ({str(getattr(e, 'message', e)).strip()})".replace(
        "\n", " ") for e in inner)
