"""The contacts API: bearer tokens, 201 with the reference and deadline, Idempotency-Key enforced, 422 naming the
field for unknown codes, over-long text, bad NHS numbers and future dates; partners see their own agency's
contacts (outcome only) and checks; the OpenAPI document describes it all."""

from __future__ import annotations

from datetime import timedelta

import httpx2
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.core.db import Database, utcnow
from safeguarding.core.security import new_token, token_digest
from safeguarding.core.users import ApiToken, Role, User
from safeguarding.front_door.models import CheckStatus, Contact, PartnerCheck
from tests.front_door.test_intake import VALID_NHS, add_check, add_person, child, partner_input, submit
from tests.support import Factory


def bearer(database: Database, user: User) -> dict[str, str]:
    token = new_token()
    with database.transaction() as s:
        s.add(ApiToken(user_id=user.id, token_hash=token_digest(token), label="test"))
    return {"Authorization": f"Bearer {token}"}


def body(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "worry": "Pupil disclosed that an older boy makes him carry packages across town after school.",
        "consent": "not_informed_risk",
        "subjects": [
            {
                "role": "child",
                "first_name": "Kai",
                "last_name": "Apichild",
                "date_of_birth": "2011-06-01",
                "nhs_number": "943 476 5919",
            }
        ],
        "reporter_role": "Youth offending officer",
    }
    values.update(changes)
    return values


def contact_count(database: Database) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count(Contact.id))) or 0


def fields(response: httpx2.Response) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])} | {response.json().get("field")}


def test_partner_system_makes_a_contact(client: TestClient, factory: Factory, database: Database) -> None:
    agency = factory.agency("Testshire Youth Justice", referral_source="5B")
    officer = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    response = client.post("/api/v1/contacts", json=body(), headers=bearer(database, officer))
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"id", "reference", "status", "due_at"}
    assert created["reference"] == f"CON-{created['id']:07d}"
    assert created["status"] == "received"
    assert response.headers["location"] == f"/api/v1/contacts/{created['id']}"
    with database.transaction() as s:
        contact = s.get_one(Contact, created["id"])
        assert contact.reporting_agency_id == agency.id and contact.referral_source == "5B"
        assert contact.channel == "api" and contact.subjects[0].nhs_number == VALID_NHS


def test_same_idempotency_key_twice_is_409_naming_the_header_and_makes_one_contact(
    client: TestClient, factory: Factory, database: Database
) -> None:
    headers = {**bearer(database, factory.user(Role.PARTNER_PRACTITIONER)), "Idempotency-Key": "case-sys-42"}
    first = client.post("/api/v1/contacts", json=body(), headers=headers)
    assert first.status_code == 201
    second = client.post("/api/v1/contacts", json=body(), headers=headers)
    assert second.status_code == 409
    assert second.json()["field"] == "Idempotency-Key"
    assert first.json()["reference"] in second.json()["detail"]
    assert contact_count(database) == 1


def test_bad_requests_are_422_naming_the_field_and_write_nothing(
    client: TestClient, factory: Factory, database: Database
) -> None:
    headers = bearer(database, factory.user(Role.PARTNER_PRACTITIONER))
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    cases = [
        (body(referral_source="ZZ"), "referral_source"),
        (body(worry="w" * 20_001), "worry"),
        (
            body(subjects=[{"role": "child", "first_name": "Kai", "last_name": "A", "nhs_number": "9434765918"}]),
            "subjects.0.nhs_number",
        ),
        (
            body(subjects=[{"role": "child", "first_name": "Kai", "last_name": "A", "date_of_birth": tomorrow}]),
            "subjects.0.date_of_birth",
        ),
        (body(subjects=[{"role": "parent", "first_name": "Only", "last_name": "Adult"}]), "subjects"),
        (body(subjects=[{"role": "child", "first_name": "K" * 101, "last_name": "A"}]), "subjects.0.first_name"),
        (body(received_at=(utcnow() - timedelta(days=1)).isoformat()), "received_at"),
        (body(consent="maybe"), "consent"),
        (body(unexpected="field"), "unexpected"),
    ]
    for payload, field in cases:
        response = client.post("/api/v1/contacts", json=payload, headers=headers)
        assert response.status_code == 422, (field, response.text)
        assert field in fields(response), (field, response.json())
    assert contact_count(database) == 0


def test_staff_recording_a_call_must_say_how_it_came_in(
    client: TestClient, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    headers = bearer(database, worker)
    missing = client.post("/api/v1/contacts", json=body(), headers=headers)
    assert missing.status_code == 422 and {"channel", "reporter_kind", "received_at"} <= fields(missing)
    received = (utcnow() - timedelta(hours=1)).isoformat()
    made = client.post(
        "/api/v1/contacts",
        json=body(
            channel="phone",
            reporter_kind="practitioner",
            reporter_name="Dr Test",
            referral_source="3A",
            received_at=received,
        ),
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "awaiting_screening"


def test_no_token_is_401(client: TestClient, factory: Factory, database: Database) -> None:
    assert client.post("/api/v1/contacts", json=body()).status_code == 401
    assert client.get("/api/v1/contacts", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_partner_reads_own_contacts_outcome_only_and_is_refused_others(
    client: TestClient, factory: Factory, database: Database
) -> None:
    agency = factory.agency("Testshire Police")
    officer = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    add_person(database, "Amira", "Testchild", nhs=VALID_NHS)
    own = submit(database, officer, partner_input(subjects=(child(nhs_number=VALID_NHS),)))
    other = submit(database, factory.user(Role.PARTNER_PRACTITIONER), partner_input(worry="Not yours"))
    headers = bearer(database, officer)

    mine = client.get(f"/api/v1/contacts/{own.id}", headers=headers)
    assert mine.status_code == 200
    view = mine.json()
    assert view["view"] == "outcome" and view["status"] == "received" and view["outcome"] is None
    assert not {"rag", "routed_to_id", "person_id", "screening_notes", "decision"} & set(view)
    assert all("person_id" not in s for s in view["subjects"])

    refused = client.get(f"/api/v1/contacts/{other.id}", headers=headers)
    assert refused.status_code == 403
    assert client.get("/api/v1/contacts/999999", headers=headers).status_code == 404

    listed = client.get("/api/v1/contacts", headers=headers).json()
    assert [c["id"] for c in listed["items"]] == [own.id] and listed["total"] == 1
    paged = client.get("/api/v1/contacts?page=2&size=1", headers=headers).json()
    assert paged["items"] == [] and paged["page"] == 2


def test_staff_get_the_full_contact(client: TestClient, factory: Factory, database: Database) -> None:
    person_id = add_person(database, "Amira", "Testchild", nhs=VALID_NHS)
    contact = submit(
        database, factory.user(Role.PARTNER_PRACTITIONER), partner_input(subjects=(child(nhs_number=VALID_NHS),))
    )
    response = client.get(f"/api/v1/contacts/{contact.id}", headers=bearer(database, factory.user(Role.MASH_WORKER)))
    assert response.status_code == 200
    full = response.json()
    assert full["view"] == "full" and full["status"] == "awaiting_screening" and "rag" in full
    assert full["subjects"][0]["person_id"] == person_id


def test_partner_lists_and_answers_checks_for_their_agency(
    client: TestClient, factory: Factory, database: Database
) -> None:
    agency = factory.agency("Testshire Police")
    officer = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    worker = factory.user(Role.MASH_WORKER)
    contact = submit(database, factory.user(Role.PARTNER_PRACTITIONER), partner_input())
    check_id = add_check(database, contact.id, agency.id, worker.id)
    headers = bearer(database, officer)

    listed = client.get("/api/v1/checks", headers=headers).json()
    assert [c["id"] for c in listed["items"]] == [check_id]
    check = listed["items"][0]
    assert check["children"] == [{"name": "Amira Testchild", "date_of_birth": "2015-03-04"}]

    stranger = bearer(database, factory.user(Role.PARTNER_PRACTITIONER))
    assert client.get("/api/v1/checks", headers=stranger).json()["items"] == []
    refused = client.post(f"/api/v1/checks/{check_id}/response", json={"response": "x", "version": 1}, headers=stranger)
    assert refused.status_code == 403

    answered = client.post(
        f"/api/v1/checks/{check_id}/response",
        json={"response": "Known to police: one call-out in 2025.", "version": check["version"]},
        headers=headers,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
    twice = client.post(
        f"/api/v1/checks/{check_id}/response", json={"response": "again", "version": 2}, headers=headers
    )
    assert twice.status_code == 409
    assert client.get("/api/v1/checks", headers=headers).json()["items"] == []  # none awaiting now
    assert len(client.get("/api/v1/checks?status=all", headers=headers).json()["items"]) == 1
    with database.transaction() as s:
        assert s.get_one(PartnerCheck, check_id).status == CheckStatus.ANSWERED


def test_staff_tokens_cannot_use_the_partner_lists(client: TestClient, factory: Factory, database: Database) -> None:
    headers = bearer(database, factory.user(Role.MASH_WORKER))
    assert client.get("/api/v1/contacts", headers=headers).status_code == 403
    assert client.get("/api/v1/checks", headers=headers).status_code == 403


def test_openapi_describes_the_contacts_api(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    assert {"/contacts", "/contacts/{contact_id}", "/checks", "/checks/{check_id}/response"} <= set(paths)
    create = paths["/contacts"]["post"]
    assert {"201", "409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    schemas = document["components"]["schemas"]
    contact_in = schemas["ContactIn"]
    assert "referral_source" in contact_in["properties"] and "worry" in contact_in["required"]
    assert contact_in["properties"]["worry"]["maxLength"] == 20_000


def test_generated_requests_never_fail_the_server(app: FastAPI, factory: Factory, database: Database) -> None:
    """Requests generated from the OpenAPI document (schemathesis): refused or accepted, never a server error."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    headers = bearer(database, factory.user(Role.PARTNER_PRACTITIONER))
    api = next(r for r in app.routes if getattr(r, "path", "") == "/api/v1").app  # type: ignore[attr-defined]  # the API's Mount
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    for path, method in [
        ("/contacts", "POST"),
        ("/contacts", "GET"),
        ("/contacts/{contact_id}", "GET"),
        ("/checks", "GET"),
        ("/checks/{check_id}/response", "POST"),
    ]:

        @given(case=schema[path][method].as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case) -> None:
            case.headers.update(headers)
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, case.body, response.text)

        call()
