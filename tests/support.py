"""Test helpers: build users, agencies and teams quickly, and sign a test client in as any of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import count

from fastapi.testclient import TestClient

from safeguarding.core.db import Database
from safeguarding.core.security import hash_password
from safeguarding.core.users import AgencyKind, PartnerAgency, Role, Team, User

PASSWORD = "correct horse battery staple"
_seq = count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # argon2id is slow by design; hash the shared test password once.
    return hash_password(PASSWORD)


@dataclass
class Factory:
    database: Database

    def agency(self, name: str | None = None, kind: AgencyKind = AgencyKind.POLICE,
               referral_source: str = "6") -> PartnerAgency:
        with self.database.transaction() as s:
            agency = PartnerAgency(name=name or f"Agency {next(_seq)}", kind=kind,
                                   default_referral_source=referral_source)
            s.add(agency)
            s.flush()
            s.expunge(agency)
            return agency

    def team(self, name: str | None = None, service: str = "mash") -> Team:
        with self.database.transaction() as s:
            team = Team(name=name or f"Team {next(_seq)}", service=service)
            s.add(team)
            s.flush()
            s.expunge(team)
            return team

    def user(self, role: Role, *, username: str | None = None, agency_id: int | None = None,
             team_id: int | None = None, totp_secret: str | None = None) -> User:
        if role == Role.PARTNER_PRACTITIONER and agency_id is None:
            agency_id = self.agency().id
        with self.database.transaction() as s:
            user = User(username=username or f"{role.value}{next(_seq)}", full_name=f"Test {role.label}",
                        role=role, agency_id=agency_id, team_id=team_id, password_hash=_password_hash(),
                        totp_secret=totp_secret)
            s.add(user)
            s.flush()
            s.refresh(user)
            s.expunge(user)
            return user


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, user: User, password: str = PASSWORD) -> str:
    """Sign the client in (passing the second factor if the user has one); returns the session's CSRF token."""
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"username": user.username, "password": password,
                                             "csrf_token": csrf_from(page.text), "next": "/"})
    assert response.status_code == 303, response.text
    if "second-factor" in response.headers["location"]:
        import pyotp

        assert user.totp_secret, "administrators need a TOTP secret in tests"
        page = client.get(response.headers["location"])
        response = client.post("/sign-in/second-factor", data={
            "code": pyotp.TOTP(user.totp_secret).now(), "csrf_token": csrf_from(page.text), "next": "/"})
        assert response.status_code == 303, response.text
    return csrf_from(client.get("/account").text)
