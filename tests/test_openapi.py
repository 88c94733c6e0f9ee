"""The API's OpenAPI document is valid and describes what partner systems need; the API keeps to it.

The schemathesis run is ``schemathesis run --checks all`` in-process: every phase (examples, coverage, fuzzing,
stateful) in both generation modes, a bounded number of examples per operation, every check enabled.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.core.result import Ok
from schemathesis.engine import Status, events, from_schema
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
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operations.append(result.ok())
    assert any(op.method.upper() == "POST" and op.path == "/contacts" for op in operations)


def test_api_without_a_token_is_refused_with_401(client: Any) -> None:
    response = client.get("/api/v1/contacts")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_every_operation_declares_the_bearer_token_and_every_error_it_can_give(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token: `safeguarding tokens create USERNAME`",
    }
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"bearer": []}], f"{method} {path} does not say it needs a token"
            for status in ("400", "401", "403", "404", "413", "422", "429"):
                declared = operation["responses"].get(status)
                assert declared, f"{method} {path} does not declare {status}"
                assert declared["content"]["application/json"]["schema"] == problem, f"{method} {path} {status}"
    assert set(document["components"]["schemas"]["Problem"]["properties"]) == {"detail", "field", "errors"}


def test_a_refused_method_lists_every_method_the_path_takes(client: Any) -> None:
    response = client.request("OPTIONS", "/api/v1/contacts")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert response.json() == {"detail": "Method Not Allowed"}


def test_a_number_is_not_a_date(client: Any, tokens: dict[str, str]) -> None:
    # Read as seconds since 1970 until now: a search for people born on 1 January 1970.
    response = client.get(
        "/api/v1/people/search", params={"date_of_birth": "0"}, headers=_bearer(tokens, Role.MASH_WORKER)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "date_of_birth"
    body = {
        "source_evaluation": "A",
        "intelligence_assessment": "1",
        "handling_code": "P",
        "raw_text": "Seen",
        "received_at": 0,
    }
    response = client.post(
        "/api/v1/exploitation/intelligence", json=body, headers=_bearer(tokens, Role.PARTNER_PRACTITIONER)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "received_at"


def test_a_body_that_cannot_be_read_is_a_documented_400(client: Any, tokens: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/contacts",
        content=b"\xc4\xb8\xbf",
        headers={**_bearer(tokens, Role.PARTNER_PRACTITIONER), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "400" in client.get("/api/v1/openapi.json").json()["paths"]["/contacts"]["post"]["responses"]


@pytest.fixture()
def tokens(factory: Any, database: Any) -> dict[str, str]:
    """Bearer tokens: a partner of the agency that owns the world's contact, a MASH worker and an exploitation
    practitioner."""
    world = build_world(factory)
    made: dict[str, str] = {}
    with database.transaction() as s:
        for role in (Role.PARTNER_PRACTITIONER, Role.MASH_WORKER, Role.EXPLOITATION_PRACTITIONER):
            token = new_token()
            s.add(ApiToken(user_id=world.users[role.value].id, token_hash=token_digest(token), label="schemathesis"))
            made[role.value] = token
    return made


def _bearer(tokens: dict[str, str], role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role.value]}"}


# A request that keeps to the document's types can still break a rule the service checks against the record, the
# caller or another field (an NHS number's check digit, a date of birth after the time received, a partner giving a
# time received, handling code C without its conditions, a time window that ends before it starts, a date outside
# its kind's range, from 1900 to a year from today, which a date's format cannot say): a 422 naming the field is the
# right answer there.
_DOMAIN_RULES = ["2xx", "401", "403", "404", "409", "422", "429"]


def run_config(tokens: dict[str, str], max_examples: int) -> schemathesis.Config:
    """``schemathesis run`` with every check, in both generation modes and every phase, as partner systems call
    the API: a partner's token, and staff tokens for people's records and the exploitation network."""
    return schemathesis.Config.from_dict(
        {
            "headers": _bearer(tokens, Role.PARTNER_PRACTITIONER),
            "generation": {"max-examples": max_examples, "deterministic": True, "mode": "all", "database": "none"},
            "checks": {"enabled": True},
            "workers": 1,
            "continue-on-failure": True,
            "operations": [
                {
                    "include-path-regex": "^/people",
                    "headers": _bearer(tokens, Role.MASH_WORKER),
                    "checks": {"positive_data_acceptance": {"expected-statuses": _DOMAIN_RULES}},
                },
                {
                    "include-path-regex": "^/exploitation/network",
                    "headers": _bearer(tokens, Role.EXPLOITATION_PRACTITIONER),
                    "checks": {"positive_data_acceptance": {"expected-statuses": _DOMAIN_RULES}},
                },
                {
                    "include-method": "POST",
                    "checks": {"positive_data_acceptance": {"expected-statuses": _DOMAIN_RULES}},
                },
            ],
        }
    )


def departures(schema: Any) -> list[str]:
    """Every check that failed, once per operation and check, with the request that showed it."""
    found: dict[tuple[str, str], str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError | events.NonFatalError):
            found[("run", str(event))] = "the run could not go on"
        if not isinstance(event, events.ScenarioFinished):
            continue
        for case_id, checks in event.recorder.checks.items():
            for check in checks:
                if check.status != Status.FAILURE or check.failure_info is None:
                    continue
                case = event.recorder.cases[case_id].value
                interaction = event.recorder.interactions.get(case_id)
                status = interaction.response.status_code if interaction and interaction.response else None
                failure = check.failure_info.failure
                found.setdefault(
                    (f"{case.method} {case.operation.path}", check.name),
                    (
                        f"{case.method} {case.formatted_path} query={case.query} -> {status}: {failure.title}: "
                        f"{' '.join(failure.message.split())[:300]}"
                    ),
                )
    return [f"{where} [{name}] {what}" for (where, name), what in sorted(found.items())]


def test_api_keeps_to_its_openapi_document(app: FastAPI, tokens: dict[str, str]) -> None:
    # Every check of schemathesis 4 (status codes, content types, bodies and headers against the document, valid
    # data accepted, invalid data refused, the token required, Allow on 405, ...) over every operation.
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, config=run_config(tokens, 20))
    found = departures(schema)
    assert not found, "the API departs from its OpenAPI document:\n" + "\n".join(found)


def test_free_text_in_requests_is_declared_without_control_characters(app: FastAPI) -> None:
    # The request edge and the models refuse control characters; the document says so, so that a client (and
    # schemathesis's "valid data is accepted") never sends one believing it valid.
    from safeguarding.web.api_params import PLAIN_TEXT_PATTERN

    document = TestClient(app).get("/api/v1/openapi.json").json()
    search = document["paths"]["/people/search"]["get"]["parameters"]
    assert {p["name"]: p["schema"].get("pattern") for p in search}["postcode"] == PLAIN_TEXT_PATTERN
    contact = document["components"]["schemas"]["ContactIn"]["properties"]
    worry = contact["worry"]
    assert PLAIN_TEXT_PATTERN in {worry.get("pattern"), *(b.get("pattern") for b in worry.get("anyOf", ()))}
