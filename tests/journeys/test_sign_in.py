"""Signing in and out in a real browser, with the GOV.UK styling loaded."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from safeguarding.core.audit import AuditEvent
from safeguarding.core.users import Role
from tests.journeys.conftest import LiveServer
from tests.journeys.support import screenshot, sign_in, sign_out
from tests.support import Factory

LOADED_GDS_FONTS = """async () => {
  await document.fonts.ready;
  return [...document.fonts].filter(f => f.family.includes("GDS Transport") && f.status === "loaded").length;
}"""

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]


def test_worker_signs_in_sees_account_and_signs_out(page: Any, factory: Factory, live_server: LiveServer) -> None:
    team = factory.team("MASH North")
    worker = factory.user(Role.MASH_WORKER, team_id=team.id)

    page.goto("/account")
    # Not signed in: sent to the sign-in page, which remembers where we were going.
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/account$"))
    screenshot(page, "sign-in")
    # The GOV.UK Frontend stylesheet (/static/vendor) and its font (/assets) load from our own server.
    heading_font = page.get_by_role("heading", name="Sign in").evaluate("h => getComputedStyle(h).fontFamily")
    assert heading_font.startswith('"GDS Transport"'), heading_font
    assert page.evaluate(LOADED_GDS_FONTS) > 0, "GOV.UK font files did not load from /assets"

    sign_in(page, worker, next_path="/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text(worker.username, exact=True)).to_be_visible()
    expect(page.get_by_text("MASH North").first).to_be_visible()
    screenshot(page, "account")

    sign_out(page)
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/sign-in"))

    with live_server.database.transaction() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["sign_in", "sign_out"]
    assert live_server.cli("audit", "verify").returncode == 0


def test_wrong_password_is_refused_with_an_error_summary(page: Any, factory: Factory) -> None:
    worker = factory.user(Role.MASH_WORKER)
    page.goto("/sign-in")
    page.get_by_label("Username").fill(worker.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a correct username and password")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_administrator_signs_in_with_a_second_factor(page: Any, factory: Factory) -> None:
    import pyotp

    admin = factory.user(Role.ADMINISTRATOR, totp_secret=pyotp.random_base32())
    sign_in(page, admin, next_path="/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("Set up", exact=True)).to_be_visible()
