from __future__ import annotations

import time
from datetime import timedelta

import httpx2
import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from safeguarding.core.access import actor_of
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database, utcnow
from safeguarding.core.settings import get_settings
from safeguarding.core.users import Role, SignInFailure, User, UserSession
from safeguarding.web.deps import SESSION_COOKIE
from tests.support import PASSWORD, Factory, authenticator, csrf_from, sign_in


def test_sign_in_and_out_are_audited(client: TestClient, factory: Factory, database: Database) -> None:
    worker = factory.user(Role.MASH_WORKER)
    token = sign_in(client, worker)
    assert client.get("/account").status_code == 200
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/account").status_code == 303  # back to sign-in
    with database.transaction() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["sign_in", "sign_out"]


def test_wrong_password_locks_after_threshold(client: TestClient, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    for _ in range(5):
        page = client.get("/sign-in")
        r = client.post(
            "/sign-in", data={"username": worker.username, "password": "wrong", "csrf_token": csrf_from(page.text)}
        )
        assert r.status_code == 401
    page = client.get("/sign-in")
    r = client.post(
        "/sign-in", data={"username": worker.username, "password": PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    assert r.status_code == 401
    assert "locked" in r.text


def test_post_without_csrf_token_is_refused(client: TestClient, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    sign_in(client, worker)
    r = client.post("/sign-out", data={})
    assert r.status_code == 403


# --- second factor, session lifetime and renewal, the client throttle (issue 11) ----------------------------------


def _wrong_code(user: User) -> str:
    """A 6-digit code that is certainly not accepted now."""
    totp = authenticator(user)
    near = {totp.at(time.time() + step * 30) for step in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def _password(client: TestClient, username: str, password: str = PASSWORD) -> httpx2.Response:
    page = client.get("/sign-in")
    return client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": csrf_from(page.text), "next": "/"}
    )


def _code(client: TestClient, code: str) -> httpx2.Response:
    page = client.get("/sign-in/second-factor")
    if page.status_code != 200:
        return page
    return client.post(
        "/sign-in/second-factor", data={"code": code, "csrf_token": csrf_from(page.text), "next": "/account"}
    )


def _session_cookie(client: TestClient) -> str:
    return client.cookies[SESSION_COOKIE]


def test_wrong_codes_between_right_passwords_still_lock_the_account(
    client: TestClient, factory: Factory, database: Database
) -> None:
    # The tester's attack: the password is known; 4 wrong codes, sign in again, 4 more, and so on.
    admin = factory.user(Role.ADMINISTRATOR, totp_secret=pyotp.random_base32())
    for _ in range(4):
        client.cookies.clear()  # a fresh start each time, as a script would
        assert _password(client, admin.username).status_code == 303
        assert _code(client, _wrong_code(admin)).status_code == 401
    client.cookies.clear()
    assert _password(client, admin.username).status_code == 303  # the right password: not yet locked
    assert _code(client, _wrong_code(admin)).status_code == 401  # the fifth wrong code in a row
    with database.transaction() as s:
        user = s.get_one(User, admin.id)
        assert user.locked_until is not None and user.locked_until > utcnow()
    # Locked: neither the right password nor the right code opens it until the lock ends.
    client.cookies.clear()
    locked = _password(client, admin.username)
    assert locked.status_code == 401 and "locked" in locked.text
    assert client.get("/account").status_code == 303
    with database.transaction() as s:
        s.get_one(User, admin.id).locked_until = utcnow() - timedelta(seconds=1)
    client.cookies.clear()
    assert _password(client, admin.username).status_code == 303
    assert _code(client, authenticator(admin).now()).status_code == 303
    assert client.get("/account").status_code == 200
    with database.transaction() as s:
        assert s.get_one(User, admin.id).failed_second_factors == 0  # a right code starts the count again


def test_a_half_signed_in_session_opened_before_the_lock_cannot_finish_during_it(
    app: FastAPI, factory: Factory, database: Database
) -> None:
    admin = factory.user(Role.ADMINISTRATOR, totp_secret=pyotp.random_base32())
    with TestClient(app, follow_redirects=False) as guesser, TestClient(app, follow_redirects=False) as waiting:
        assert _password(waiting, admin.username).status_code == 303  # a second half-signed-in session
        assert _password(guesser, admin.username).status_code == 303
        for _ in range(5):
            _code(guesser, _wrong_code(admin))
        right = _code(waiting, authenticator(admin).now())
        assert right.status_code == 303 and right.headers["location"] == "/sign-in"
        assert waiting.get("/account").status_code == 303


def test_each_further_lock_for_wrong_codes_lasts_longer(
    client: TestClient, factory: Factory, database: Database
) -> None:
    admin = factory.user(Role.ADMINISTRATOR, totp_secret=pyotp.random_base32())
    lengths = []
    for _ in range(2):
        assert _password(client, admin.username).status_code == 303
        for _ in range(5):
            _code(client, _wrong_code(admin))
        with database.transaction() as s:
            user = s.get_one(User, admin.id)
            assert user.locked_until is not None
            lengths.append(user.locked_until - utcnow())
            user.locked_until = utcnow() - timedelta(seconds=1)  # the lock ends
    assert lengths[1] > lengths[0] + timedelta(minutes=10)


def test_a_security_code_signs_in_once(app: FastAPI, factory: Factory, database: Database) -> None:
    admin = factory.user(Role.ADMINISTRATOR, totp_secret=pyotp.random_base32())
    code = authenticator(admin).now()
    with TestClient(app, follow_redirects=False) as first, TestClient(app, follow_redirects=False) as second:
        assert _password(first, admin.username).status_code == 303
        assert _code(first, code).status_code == 303
        assert first.get("/account").status_code == 200
        # The same code again (read over a shoulder, or replayed) is refused.
        assert _password(second, admin.username).status_code == 303
        refused = _code(second, code)
        assert refused.status_code == 401
        # The worker is told how to get a code that works, not that this one was right once.
        assert "wait for the next" in refused.text
        assert second.get("/account").status_code == 303


def test_an_older_code_still_inside_the_window_is_refused_after_a_newer_one(
    app: FastAPI, factory: Factory, database: Database
) -> None:
    admin = factory.user(Role.ADMINISTRATOR, totp_secret=pyotp.random_base32())
    totp = authenticator(admin)
    now = time.time()
    newer, older = totp.at(now + 30), totp.at(now)  # the window accepts one step either side of now
    with TestClient(app, follow_redirects=False) as first, TestClient(app, follow_redirects=False) as second:
        assert _password(first, admin.username).status_code == 303
        assert _code(first, newer).status_code == 303
        assert _password(second, admin.username).status_code == 303
        assert _code(second, older).status_code == 401


def test_a_session_ends_at_its_absolute_lifetime_however_busy(
    client: TestClient, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    sign_in(client, worker)
    with database.transaction() as s:
        # Signed in 12 hours and a minute ago, but in use a moment ago: the idle timeout alone would keep it.
        user_session = s.scalars(select(UserSession).where(UserSession.user_id == worker.id)).one()
        user_session.created_at = utcnow() - timedelta(hours=12, minutes=1)
        user_session.last_seen_at = utcnow()
    response = client.get("/account")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
    with database.transaction() as s:
        assert s.get_one(UserSession, user_session.id).ended_at is not None


def test_the_absolute_lifetime_is_a_setting(
    client: TestClient, factory: Factory, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "session_max_hours", 24)
    worker = factory.user(Role.MASH_WORKER)
    sign_in(client, worker)
    with database.transaction() as s:
        s.scalars(select(UserSession).where(UserSession.user_id == worker.id)).one().created_at = utcnow() - timedelta(
            hours=13
        )
    assert client.get("/account").status_code == 200


def test_passing_the_second_factor_gives_a_new_session_id_and_the_old_one_stops_working(
    app: FastAPI, client: TestClient, factory: Factory
) -> None:
    admin = factory.user(Role.ADMINISTRATOR, totp_secret=pyotp.random_base32())
    assert _password(client, admin.username).status_code == 303
    half_signed_in = _session_cookie(client)
    assert _code(client, authenticator(admin).now()).status_code == 303
    signed_in = _session_cookie(client)
    assert signed_in != half_signed_in
    assert client.get("/account").status_code == 200
    # Someone holding the id from before the second factor (planted or seen) gets nothing.
    with TestClient(app, follow_redirects=False) as other:
        other.cookies.set(SESSION_COOKIE, half_signed_in)
        assert other.get("/account").status_code == 303
        assert other.get("/sign-in/second-factor").status_code == 303


def _wrong_sign_ins(client: TestClient, count: int) -> None:
    for n in range(count):
        assert _password(client, f"nobody{n}", "wrong password").status_code == 401


def test_repeated_failures_from_one_address_are_slowed_without_locking_the_account(
    app: FastAPI, factory: Factory, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "sign_in_throttle_failures", 3)
    worker = factory.user(Role.MASH_WORKER)
    with (
        TestClient(app, follow_redirects=False, client=("198.51.100.7", 4000)) as attacker,
        TestClient(app, follow_redirects=False, client=("203.0.113.20", 4000)) as colleague,
    ):
        _wrong_sign_ins(attacker, 3)
        slowed = _password(attacker, worker.username)  # even the right password is not looked at
        assert slowed.status_code == 429
        assert 0 < int(slowed.headers["Retry-After"]) <= 15 * 60
        assert "Too many attempts to sign in" in slowed.text and "Wait 15 minutes" in slowed.text
        # The real user, from their own address, signs in: the account is not locked by the throttle.
        assert _password(colleague, worker.username).status_code == 303
        assert colleague.get("/account").status_code == 200
        # Once the failures leave the window, the address may try again.
        with database.transaction() as s:
            s.execute(update(SignInFailure).values(failed_at=utcnow() - timedelta(minutes=16)))
        assert _password(attacker, worker.username).status_code == 303


def test_the_throttle_is_shared_by_every_worker_process(
    database: Database, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeguarding.app.factory import create_app

    monkeypatch.setattr(get_settings(), "sign_in_throttle_failures", 3)
    # Two app instances on one database stand for two worker processes: the count is in the database.
    with (
        TestClient(create_app(database), follow_redirects=False) as one,
        TestClient(create_app(database), follow_redirects=False) as two,
    ):
        _wrong_sign_ins(one, 2)
        _wrong_sign_ins(two, 1)
        assert _password(one, "nobody").status_code == 429
        assert _password(two, "nobody").status_code == 429


def test_wrong_security_codes_count_towards_the_throttle(
    client: TestClient, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "sign_in_throttle_failures", 3)
    admin = factory.user(Role.ADMINISTRATOR, totp_secret=pyotp.random_base32())
    assert _password(client, admin.username).status_code == 303
    for _ in range(3):
        assert _code(client, _wrong_code(admin)).status_code == 401
    assert _code(client, authenticator(admin).now()).status_code == 429


def test_wrong_api_tokens_from_one_address_are_slowed(
    client: TestClient, factory: Factory, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeguarding.core.accounts import issue_api_token

    monkeypatch.setattr(get_settings(), "sign_in_throttle_failures", 3)
    worker = factory.user(Role.MASH_WORKER)
    with database.transaction() as s:
        _row, token = issue_api_token(s, s.get_one(User, worker.id), "script", actor_of(s.get_one(User, worker.id)))
    for n in range(3):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer guess{n}"}).status_code == 401
    slowed = client.get("/api/v1/me", headers={"Authorization": "Bearer guess"})
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) > 0
    assert "too many failed attempts" in slowed.json()["detail"]
    # A right token is still served: the throttle slows guessing, it does not switch a partner's system off.
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_throttle(
    app: FastAPI, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "sign_in_throttle_failures", 3)
    worker = factory.user(Role.MASH_WORKER)
    # The proxy on this host connects from 127.0.0.1 and names the client in X-Forwarded-For.
    with TestClient(app, follow_redirects=False, client=("127.0.0.1", 4000)) as proxy:
        proxy.headers["X-Forwarded-For"] = "198.51.100.7"
        _wrong_sign_ins(proxy, 3)
        assert _password(proxy, worker.username).status_code == 429
        # A client cannot step out of its throttle by writing its own X-Forwarded-For: the proxy appends the
        # address that really connected, and that is the one counted.
        proxy.headers["X-Forwarded-For"] = "203.0.113.99, 198.51.100.7"
        assert _password(proxy, worker.username).status_code == 429
        # A colleague behind the same proxy is not held up by the attacker.
        proxy.cookies.clear()
        proxy.headers["X-Forwarded-For"] = "203.0.113.20"
        assert _password(proxy, worker.username).status_code == 303
