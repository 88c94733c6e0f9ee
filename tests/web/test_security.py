"""Security behaviour a user or an attacker would notice: passwords, lockout, second factor, sessions, cookies,
CSRF, redirects, headers and API tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx2
import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from safeguarding.core.db import Database, utcnow
from safeguarding.core.security import hash_password, verify_password
from safeguarding.core.users import ApiToken, Role, User, UserSession
from tests.support import PASSWORD, Factory, authenticator, csrf_from, sign_in


def _wrong_code(user: User) -> str:
    """A 6-digit code that is certainly not accepted now (not any code of the accepted window)."""
    import time

    totp = authenticator(user)
    near = {totp.at(time.time() + step * 30) for step in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in near)


def _try_sign_in(client: TestClient, username: str, password: str, next_: str = "/") -> httpx2.Response:
    page = client.get("/sign-in")
    return client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": csrf_from(page.text), "next": next_}
    )


def test_passwords_are_stored_as_argon2id(factory: Factory, database: Database) -> None:
    worker = factory.user(Role.MASH_WORKER)
    with database.transaction() as s:
        stored = s.get_one(User, worker.id).password_hash
    assert stored.startswith("$argon2id$v=19$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "x")
    # Parameters are at least the library's RFC 9106 low-memory profile.
    params = PasswordHasher().check_needs_rehash(stored)
    assert params is False
    assert hash_password(PASSWORD) != stored  # salted


def test_lockout_after_five_failures_and_unlock_after_the_lock_period(
    client: TestClient, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    for _ in range(4):
        assert _try_sign_in(client, worker.username, "wrong password").status_code == 401
    fifth = _try_sign_in(client, worker.username, "wrong password")
    assert fifth.status_code == 401 and "locked" in fifth.text
    # The right password does not open a locked account.
    locked = _try_sign_in(client, worker.username, PASSWORD)
    assert locked.status_code == 401 and "locked" in locked.text
    with database.transaction() as s:
        user = s.get_one(User, worker.id)
        assert user.locked_until is not None and user.locked_until > utcnow()
        # The lock period passes.
        user.locked_until = utcnow() - timedelta(seconds=1)
    assert _try_sign_in(client, worker.username, PASSWORD).status_code == 303
    with database.transaction() as s:
        user = s.get_one(User, worker.id)
        assert (user.failed_sign_ins, user.locked_until) == (0, None)


def test_one_wrong_password_after_the_lock_expires_does_not_lock_again(
    client: TestClient, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    with database.transaction() as s:
        s.execute(
            update(User)
            .where(User.id == worker.id)
            .values(failed_sign_ins=5, locked_until=utcnow() - timedelta(minutes=1))
        )
    response = _try_sign_in(client, worker.username, "wrong password")
    assert response.status_code == 401 and "locked" not in response.text
    assert _try_sign_in(client, worker.username, PASSWORD).status_code == 303


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client: TestClient, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    unknown = _try_sign_in(client, "nobody-here", PASSWORD)
    wrong = _try_sign_in(client, worker.username, "wrong password")
    assert unknown.status_code == wrong.status_code == 401
    assert "Enter a correct username and password" in unknown.text
    assert "Enter a correct username and password" in wrong.text


def test_administrator_gets_no_session_without_the_second_factor(
    client: TestClient, admin: User, database: Database
) -> None:
    response = _try_sign_in(client, admin.username, PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in/second-factor")
    # Password alone: every page still sends them to sign in.
    for path in ("/admin", "/account", "/audit"):
        assert client.get(path).status_code == 303, path
    page = client.get(response.headers["location"])
    wrong = client.post("/sign-in/second-factor", data={"code": _wrong_code(admin), "csrf_token": csrf_from(page.text)})
    assert wrong.status_code == 401
    assert client.get("/admin").status_code == 303
    right = client.post(
        "/sign-in/second-factor",
        data={"code": authenticator(admin).now(), "csrf_token": csrf_from(page.text), "next": "/admin"},
    )
    assert right.status_code == 303 and right.headers["location"] == "/admin"
    assert client.get("/admin").status_code == 200


def test_administrator_without_a_second_factor_must_enrol_before_a_session(
    client: TestClient, factory: Factory, database: Database
) -> None:
    admin = factory.user(Role.ADMINISTRATOR)  # no TOTP yet
    response = _try_sign_in(client, admin.username, PASSWORD)
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and 'id="totp-secret"' in page.text
    secret = page.text.split('<code id="totp-secret">')[1].split("</code>")[0]
    assert client.get("/admin").status_code == 303
    # Leaving before scanning the key and coming back shows the same key.
    again = client.get(response.headers["location"])
    assert f'<code id="totp-secret">{secret}</code>' in again.text
    with database.transaction() as s:
        assert s.get_one(User, admin.id).totp_secret is None  # not a second factor until a code confirms it
    done = client.post(
        "/sign-in/second-factor",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page.text), "next": "/admin"},
    )
    assert done.status_code == 303
    assert client.get("/admin").status_code == 200
    with database.transaction() as s:
        user = s.get_one(User, admin.id)
        assert (user.totp_secret, user.pending_totp_secret) == (secret, None)


def test_idle_session_ends_after_thirty_minutes(client: TestClient, factory: Factory, database: Database) -> None:
    worker = factory.user(Role.MASH_WORKER)
    sign_in(client, worker)
    assert client.get("/account").status_code == 200
    with database.transaction() as s:
        s.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    response = client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")
    with database.transaction() as s:
        assert s.scalar(select(UserSession.ended_at)) is not None
    # Ended for good: bringing the clock back does not revive it.
    with database.transaction() as s:
        s.execute(update(UserSession).values(last_seen_at=utcnow()))
    assert client.get("/account").status_code == 303


def test_session_cookie_is_httponly_and_samesite_lax(client: TestClient, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    page = client.get("/sign-in")
    pre_cookie = page.headers["set-cookie"].lower()
    assert "httponly" in pre_cookie and "samesite=lax" in pre_cookie
    response = client.post(
        "/sign-in",
        data={"username": worker.username, "password": PASSWORD, "csrf_token": csrf_from(page.text), "next": "/"},
    )
    cookies = [c.lower() for c in response.headers.get_list("set-cookie") if c.startswith("sg_session=")]
    assert cookies and "httponly" in cookies[0] and "samesite=lax" in cookies[0] and "path=/" in cookies[0]


def test_a_forged_session_cookie_is_not_accepted(client: TestClient, factory: Factory, database: Database) -> None:
    worker = factory.user(Role.MASH_WORKER)
    sign_in(client, worker)
    with database.transaction() as s:
        session_id = s.scalars(select(UserSession.id)).one()
    client.cookies.delete("sg_session")  # the signed cookie goes, so only the raw one is sent
    client.cookies.set("sg_session", session_id)  # the raw id, not signed by the server
    assert client.get("/account").status_code == 303


def _page_posts(app: FastAPI) -> list[str]:
    """Every POST path of the pages (the API authenticates with bearer tokens, not cookies, so has no CSRF)."""
    from fastapi.routing import iter_route_contexts
    from starlette.routing import Mount

    paths = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            continue
        if "POST" in (context.methods or ()) and context.path is not None:
            paths.append(re.sub(r"\{[a-z_]+\}", "1", context.path))
    return sorted(set(paths))


def test_every_page_post_is_refused_without_a_csrf_token(
    client: TestClient, app: FastAPI, admin: User, database: Database
) -> None:
    sign_in(client, admin)
    posts = _page_posts(app)
    assert {"/sign-in", "/sign-out", "/admin/settings", "/admin/users/new", "/account/password"} <= set(posts)
    with database.transaction() as s:
        before = s.scalar(select(User.password_hash).where(User.id == admin.id))
    for path in posts:
        response = client.post(
            path, data={"full_name": "Changed", "temporary_password": "another long password", "rag.red.hours": "1"}
        )
        assert response.status_code == 403, (path, response.status_code)
        wrong = client.post(path, data={"csrf_token": "not-the-token"})
        assert wrong.status_code == 403, path
    with database.transaction() as s:
        assert s.scalar(select(User.password_hash).where(User.id == admin.id)) == before
    assert client.get("/account").status_code == 200  # still signed in: nothing was done


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "http:/evil.example"],
)
def test_next_never_redirects_off_site(client: TestClient, factory: Factory, target: str) -> None:
    worker = factory.user(Role.MASH_WORKER)
    response = _try_sign_in(client, worker.username, PASSWORD, next_=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    page = client.get("/sign-in", params={"next": target})
    assert 'name="next" value="/"' in page.text


def test_next_keeps_a_same_site_path(client: TestClient, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    response = _try_sign_in(client, worker.username, PASSWORD, next_="/people?q=smith")
    assert response.headers["location"] == "/people?q=smith"


def test_security_headers_on_pages_and_api(client: TestClient, factory: Factory) -> None:
    for response in (client.get("/sign-in"), client.get("/api/v1/me")):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "default-src 'self'" in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store"


def _token(database: Database, user_id: int) -> tuple[str, int]:
    from safeguarding.core.accounts import issue_api_token
    from safeguarding.core.audit import Actor

    with database.transaction() as s:
        row, token = issue_api_token(s, s.get_one(User, user_id), "test", Actor.system("test"))
        return token, row.id


def test_api_token_works_until_revoked_and_only_its_hash_is_stored(
    client: TestClient, factory: Factory, database: Database
) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    token, token_id = _token(database, partner.id)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == partner.username and me.json()["role"] == "partner_practitioner"
    assert me.json()["agency"] is not None
    with database.transaction() as s:
        stored = s.get_one(ApiToken, token_id)
        assert stored.token_hash != token and len(stored.token_hash) == 64
        assert stored.last_used_at is not None
        everything = " ".join(str(v) for v in s.execute(select(ApiToken.__table__)).one())
        assert token not in everything
        stored.revoked_at = utcnow()
    revoked = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    assert "detail" in revoked.json()


def test_api_refuses_missing_wrong_and_deactivated_tokens(
    client: TestClient, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    token, _ = _token(database, worker.id)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Basic {token}"}).status_code == 401
    with database.transaction() as s:
        s.get_one(User, worker.id).active = False
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_session_cookie_does_not_authenticate_the_api(client: TestClient, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    sign_in(client, worker)
    assert client.get("/api/v1/me").status_code == 401


def test_next_is_kept_safe_through_the_second_factor(client: TestClient, admin: User) -> None:
    response = _try_sign_in(client, admin.username, PASSWORD, next_="/audit?outcome=refused")
    page = client.get(response.headers["location"])
    assert 'name="next" value="/audit?outcome=refused"' in page.text
    evil = client.post(
        "/sign-in/second-factor",
        data={"code": authenticator(admin).now(), "csrf_token": csrf_from(page.text), "next": "//evil.example/"},
    )
    assert evil.status_code == 303 and evil.headers["location"] == "/"


def test_second_factor_guessing_locks_the_account(client: TestClient, admin: User, database: Database) -> None:
    response = _try_sign_in(client, admin.username, PASSWORD)
    page = client.get(response.headers["location"])
    for _ in range(5):
        client.post("/sign-in/second-factor", data={"code": _wrong_code(admin), "csrf_token": csrf_from(page.text)})
    with database.transaction() as s:
        user = s.get_one(User, admin.id)
        assert user.locked_until is not None and user.locked_until > utcnow()
    # Even the right code no longer helps: the half-signed-in session has ended.
    late = client.post(
        "/sign-in/second-factor", data={"code": authenticator(admin).now(), "csrf_token": csrf_from(page.text)}
    )
    assert late.status_code in (303, 403)
    assert client.get("/admin").status_code == 303
