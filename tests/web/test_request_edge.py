"""The request edge (web/edge.py): bodies have a size limit enforced while they stream in, unsafe requests without
any credentials are refused before their body is read, and control characters are refused in forms, query strings
and API bodies alike (so nothing reaches PostgreSQL with a NUL)."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.core.db import Database
from safeguarding.core.form_fields import has_control_character
from safeguarding.core.settings import get_settings
from safeguarding.core.users import Role
from safeguarding.front_door.models import Contact
from safeguarding.people.models import Person
from safeguarding.web.edge import RequestEdge
from tests.front_door.test_api import bearer
from tests.front_door.test_api import body as contact_body
from tests.support import Factory, sign_in

MB = 1024 * 1024


@dataclass
class Sent:
    """One request driven by hand through an ASGI app, counting how much of its body the app asked for."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks_read: int = 0


def drive(app: Any, method: str, path: str, chunks: list[bytes], headers: dict[str, str] | None = None) -> Sent:
    sent = Sent()
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        if not pending:
            return {"type": "http.disconnect"}
        sent.chunks_read += 1
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.status = message["status"]
            sent.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            sent.body += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    # In a thread of its own: a browser journey earlier in the run may hold an event loop on this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent


async def _reads_everything(scope: Any, receive: Any, send: Any) -> None:
    """An app that reads its whole body, then answers 200 with its length."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


EDGE = RequestEdge(_reads_everything, max_body_bytes=1000)
SIGNED_IN = {"cookie": "sg_session=anything", "content-type": "application/x-www-form-urlencoded"}


def test_a_body_within_the_limit_is_passed_on() -> None:
    answer = drive(EDGE, "POST", "/people/new", [b"a=1" * 100, b"b=2" * 100], SIGNED_IN)
    assert answer.status == 200 and answer.body == b"600"


def test_a_body_declared_too_large_is_refused_before_it_is_read() -> None:
    answer = drive(EDGE, "POST", "/people/new", [b"x" * 2000], {**SIGNED_IN, "content-length": "2000"})
    assert answer.status == 413 and answer.chunks_read == 0
    assert b"at most 1,000 bytes" in answer.body


def test_a_chunked_body_is_refused_once_it_passes_the_limit() -> None:
    answer = drive(EDGE, "POST", "/people/new", [b"x" * 600, b"x" * 600, b"x" * 600, b"x" * 600], SIGNED_IN)
    assert answer.status == 413 and answer.chunks_read == 2
    api = drive(EDGE, "POST", "/api/v1/contacts", [b"x" * 600] * 4, {"authorization": "Bearer abc"})
    assert api.status == 413 and json.loads(api.body)["detail"].startswith("The request is too large")


def test_the_limit_is_a_setting_of_ten_megabytes_by_default(
    client: TestClient, factory: Factory, database: Database
) -> None:
    assert get_settings().max_body_bytes == 10 * MB
    worker = factory.user(Role.MASH_WORKER)
    big = json.dumps(contact_body(worry="x" * (10 * MB))).encode()
    answer = client.post(
        "/api/v1/contacts", content=big, headers={**bearer(database, worker), "content-type": "application/json"}
    )
    assert answer.status_code == 413 and "too large" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/contacts", {"content-type": "application/json"}),
        ("/api/v1/contacts", {"content-type": "application/json", "authorization": "Basic dXNlcjpwYXNz"}),
        ("/api/v1/exploitation/intelligence", {"content-type": "application/json", "authorization": "Bearer"}),
        ("/people/new", {"content-type": "application/x-www-form-urlencoded"}),
        ("/mash/contacts/new", {"content-type": "application/x-www-form-urlencoded", "cookie": "sg_pre=abc"}),
    ],
)
def test_anonymous_bodies_are_refused_without_being_read(app: FastAPI, path: str, headers: dict[str, str]) -> None:
    chunks = [b"{" + b" " * MB] * 52  # 52 MB, never read
    answer = drive(app, "POST", path, chunks, headers)
    assert answer.chunks_read == 0
    if path.startswith("/api/"):
        assert answer.status == 401 and "API token" in json.loads(answer.body)["detail"]
    else:
        assert answer.status == 303 and answer.headers["location"].startswith("/sign-in")


def test_the_sign_in_form_still_works(client: TestClient, factory: Factory) -> None:
    sign_in(client, factory.user(Role.MASH_WORKER))
    assert client.get("/account").status_code == 200


# --- control characters ----------------------------------------------------------------------------------------

REFUSED = ["\x00", "\x1b[2J", "\x7f", "\x85"]


def test_one_definition_of_a_control_character() -> None:
    for text in REFUSED:
        assert has_control_character(f"a{text}b"), repr(text)
    for text in ("tab\there", "line\nbreak", "windows\r\nline", "separator\u2028kept", "Zoë Ólafsdóttir"):
        assert not has_control_character(text), repr(text)


def _people(database: Database) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Person)) or 0)


@pytest.mark.parametrize("bad", REFUSED)
def test_a_form_with_a_control_character_is_refused_and_nothing_stored(
    client: TestClient, factory: Factory, database: Database, bad: str
) -> None:
    csrf = sign_in(client, factory.user(Role.MASH_WORKER))
    before = _people(database)
    answer = client.post(
        "/people/new",
        data={
            "csrf_token": csrf,
            "kind": "child",
            "first_name": f"Ann{bad}a",
            "last_name": "Controlchar",
            "date_of_birth": "2015-01-02",
        },
    )
    assert answer.status_code == 422 and "control character" in answer.text
    # A GOV.UK page in the service's layout, which tells the worker their typing is kept, not a bare text answer.
    assert answer.headers["content-type"].startswith("text/html")
    assert "govuk-header" in answer.text and "what you typed is still there" in answer.text
    assert _people(database) == before


@pytest.mark.parametrize("bad", REFUSED)
def test_an_api_body_with_a_control_character_is_refused_naming_the_field(
    client: TestClient, factory: Factory, database: Database, bad: str
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    answer = client.post(
        "/api/v1/contacts", headers=bearer(database, worker), json=contact_body(worry=f"Worried{bad} about him")
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "worry"
    nested = client.post(
        "/api/v1/contacts",
        headers=bearer(database, worker),
        json=contact_body(subjects=[{"role": "child", "first_name": f"Kai{bad}", "last_name": "Apichild"}]),
    )
    assert nested.status_code == 422 and nested.json()["errors"][0]["field"] == "subjects.0.first_name"
    with database.transaction() as s:
        assert not s.scalar(select(func.count()).select_from(Contact))


def test_a_line_separator_is_kept_as_text(client: TestClient, factory: Factory, database: Database) -> None:
    agency = factory.agency("Testshire Youth Justice", referral_source="5B")
    officer = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    answer = client.post(
        "/api/v1/contacts",
        headers=bearer(database, officer),
        json=contact_body(worry="First line\u2028second line\ttabbed\nand a new line"),
    )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    "path", ["/people?last_name=Ab%00c", "/people?last_name=%1B", "/api/v1/people/search?last_name=%00"]
)
def test_a_query_string_with_a_control_character_is_refused(
    client: TestClient, factory: Factory, database: Database, path: str
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    sign_in(client, worker)
    answer = client.get(path, headers=bearer(database, worker))
    assert answer.status_code == 422 and "control character" in answer.text
