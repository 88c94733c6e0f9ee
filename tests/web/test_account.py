"""A user's own account: second factor set up or changed with a confirming code; password changed."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database, utcnow
from safeguarding.core.users import Role, User, UserSession
from tests.support import PASSWORD, Factory, csrf_from, sign_in

NEW = "a brand new passphrase for me"


def _secret_from(html: str) -> str:
    return html.split('<code id="totp-secret">')[1].split("</code>")[0]


def test_set_up_second_factor_confirmed_with_a_code(client: TestClient, factory: Factory, database: Database) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    token = sign_in(client, worker)
    assert "Not set up" in client.get("/account").text
    start = client.post("/account/second-factor/start", data={"csrf_token": token})
    assert start.status_code == 303
    page = client.get("/account/second-factor")
    secret = _secret_from(page.text)
    assert f"otpauth://totp/Safeguarding:{worker.username}?secret={secret}" in page.text.replace("%3A", ":")
    wrong_code = next(c for c in ("123456", "654321") if not pyotp.TOTP(secret).verify(c, valid_window=2))
    wrong = client.post("/account/second-factor", data={"csrf_token": token, "code": wrong_code})
    assert wrong.status_code == 422 and "Enter the 6-digit code" in wrong.text
    with database.transaction() as s:
        assert s.get_one(User, worker.id).totp_secret is None  # not until confirmed
    ok = client.post("/account/second-factor", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 303
    assert "Your second factor is set up" in client.get(ok.headers["location"]).text
    with database.transaction() as s:
        user = s.get_one(User, worker.id)
        assert (user.totp_secret, user.pending_totp_secret) == (secret, None)

    # Next sign-in asks for the code.
    client.post("/sign-out", data={"csrf_token": token})
    form = client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"username": worker.username, "password": PASSWORD, "csrf_token": csrf_from(form.text)}
    )
    assert response.headers["location"].startswith("/sign-in/second-factor")


def test_changing_the_second_factor_keeps_the_old_one_until_confirmed(
    client: TestClient, admin: User, database: Database
) -> None:
    old_secret = admin.totp_secret
    token = sign_in(client, admin)
    client.post("/account/second-factor/start", data={"csrf_token": token})
    new_secret = _secret_from(client.get("/account/second-factor").text)
    assert new_secret != old_secret
    with database.transaction() as s:
        assert s.get_one(User, admin.id).totp_secret == old_secret
    client.post("/account/second-factor", data={"csrf_token": token, "code": pyotp.TOTP(new_secret).now()})
    with database.transaction() as s:
        assert s.get_one(User, admin.id).totp_secret == new_secret


def test_change_password_needs_the_current_one_and_follows_the_rules(
    client: TestClient, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    token = sign_in(client, worker)
    wrong = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": "not it", "new_password": NEW, "confirm_password": NEW},
    )
    assert wrong.status_code == 422 and "Enter your current password correctly" in wrong.text
    short = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    )
    assert short.status_code == 422 and "at least 12 characters" in short.text
    named = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": f"my {worker.username} password",
            "confirm_password": f"my {worker.username} password",
        },
    )
    assert named.status_code == 422 and "must not contain your username" in named.text
    mismatch = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW + "!"},
    )
    assert mismatch.status_code == 422 and "do not match" in mismatch.text
    done = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW},
    )
    assert done.status_code == 303
    assert client.get("/account").status_code == 200  # this session carries on
    client.post("/sign-out", data={"csrf_token": token})
    form = client.get("/sign-in")
    old = client.post(
        "/sign-in", data={"username": worker.username, "password": PASSWORD, "csrf_token": csrf_from(form.text)}
    )
    assert old.status_code == 401
    form = client.get("/sign-in")
    new = client.post(
        "/sign-in", data={"username": worker.username, "password": NEW, "csrf_token": csrf_from(form.text)}
    )
    assert new.status_code == 303
    with database.transaction() as s:
        outcomes = [e.outcome for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "change_password"))]
    assert outcomes == ["refused", "refused", "refused", "refused", "allowed"]


def test_changing_password_signs_out_other_sessions(
    client: TestClient, factory: Factory, database: Database, app: FastAPI
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    with TestClient(app, follow_redirects=False) as laptop:
        sign_in(laptop, worker)
        token = sign_in(client, worker)
        client.post(
            "/account/password",
            data={"csrf_token": token, "current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW},
        )
        assert laptop.get("/account").status_code == 303
        assert client.get("/account").status_code == 200


def test_guessing_the_current_password_locks_the_account_and_ends_the_session(
    client: TestClient, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    token = sign_in(client, worker)
    for _ in range(5):
        client.post(
            "/account/password",
            data={"csrf_token": token, "current_password": "guess", "new_password": NEW, "confirm_password": NEW},
        )
    assert client.get("/account").status_code == 303
    with database.transaction() as s:
        user = s.get_one(User, worker.id)
        assert user.locked_until is not None and user.locked_until > utcnow() + timedelta(minutes=5)
        assert s.scalar(select(UserSession.ended_at)) is not None


def test_temporary_password_holder_is_sent_to_change_it(
    client: TestClient, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    with database.transaction() as s:
        s.get_one(User, worker.id).must_change_password = True
    form = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"username": worker.username, "password": PASSWORD, "csrf_token": csrf_from(form.text), "next": "/people"},
    )
    assert response.headers["location"] == "/account/password"
    # Every other page waits until the password is changed.
    for path in ("/", "/people", "/mash/queue"):
        elsewhere = client.get(path)
        assert (elsewhere.status_code, elsewhere.headers.get("location")) == (303, "/account/password"), path
    assert client.get("/account").status_code == 200
    page = client.get("/account/password")
    assert "temporary password" in page.text
    token = csrf_from(page.text)
    client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW},
    )
    with database.transaction() as s:
        assert s.get_one(User, worker.id).must_change_password is False
    assert client.get("/mash/queue").status_code == 200


def test_every_signed_in_page_links_to_the_account_page(client: TestClient, factory: Factory) -> None:
    manager = factory.user(Role.MASH_MANAGER)
    sign_in(client, manager)
    page = client.get("/account")
    assert 'href="/account">Your account</a>' in page.text
    # MASH managers find the local standards their queue runs to from the header.
    assert 'href="/admin/settings">Local settings</a>' in page.text
