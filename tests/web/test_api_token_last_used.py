"""A token's "last used" time is kept to the minute: concurrent submissions with one partner's token do not all
rewrite (and lock) its row."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from safeguarding.core.accounts import issue_api_token
from safeguarding.core.audit import Actor
from safeguarding.core.db import Database, utcnow
from safeguarding.core.users import ApiToken, Role, User
from tests.support import Factory


def test_last_used_is_written_at_most_once_a_minute(client: TestClient, factory: Factory, database: Database) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    with database.transaction() as s:
        row, token = issue_api_token(s, s.get_one(User, partner.id), "test", Actor.system("test"))
        token_id = row.id
    headers = {"Authorization": f"Bearer {token}"}

    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with database.transaction() as s:
        first = s.get_one(ApiToken, token_id).last_used_at
    assert first is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with database.transaction() as s:
        assert s.get_one(ApiToken, token_id).last_used_at == first
        s.get_one(ApiToken, token_id).last_used_at = utcnow() - timedelta(minutes=2)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with database.transaction() as s:
        last_used = s.get_one(ApiToken, token_id).last_used_at
        assert last_used is not None and last_used > first
