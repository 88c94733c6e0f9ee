from __future__ import annotations

from sqlalchemy import select

from safeguarding.core.audit import AuditEvent
from safeguarding.core.users import Role
from tests.support import PASSWORD, csrf_from, sign_in


def test_sign_in_and_out_are_audited(client, factory, database):
    worker = factory.user(Role.MASH_WORKER)
    token = sign_in(client, worker)
    assert client.get("/account").status_code == 200
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/account").status_code == 303  # back to sign-in
    with database.transaction() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["sign_in", "sign_out"]


def test_wrong_password_locks_after_threshold(client, factory):
    worker = factory.user(Role.MASH_WORKER)
    for _ in range(5):
        page = client.get("/sign-in")
        r = client.post("/sign-in", data={"username": worker.username, "password": "wrong",
                                          "csrf_token": csrf_from(page.text)})
        assert r.status_code == 401
    page = client.get("/sign-in")
    r = client.post("/sign-in", data={"username": worker.username, "password": PASSWORD,
                                      "csrf_token": csrf_from(page.text)})
    assert r.status_code == 401
    assert "locked" in r.text


def test_post_without_csrf_token_is_refused(client, factory):
    worker = factory.user(Role.MASH_WORKER)
    sign_in(client, worker)
    r = client.post("/sign-out", data={})
    assert r.status_code == 403
