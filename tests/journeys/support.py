"""Steps that many journeys share: signing in through the real sign-in page, screenshots, reading pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from safeguarding.core.users import User
from tests.support import PASSWORD, unused_totp_code

# The time step of the last code each user signed in with from this process (a code is accepted once).
_used_steps: dict[str, int] = {}

RESULTS = Path(__file__).resolve().parents[2] / "test-results"


def sign_in(page: Any, user: User, password: str = PASSWORD, next_path: str | None = None) -> None:
    """Sign in through the real form (and the second factor where the user has one)."""
    page.goto(f"/sign-in?next={next_path}" if next_path else "/sign-in")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if "/sign-in/second-factor" in page.url:
        assert user.totp_secret, "give the user a TOTP secret to sign in through the second factor"
        code, _used_steps[user.username] = unused_totp_code(user.totp_secret, _used_steps.get(user.username))
        page.get_by_label("Security code").fill(code)
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def screenshot(page: Any, name: str) -> Path:
    """Keep a picture of a key page in test-results/ (gitignored) for people to look at."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fill_date(page: Any, legend: str, value: str | date) -> None:
    """Type a date into the GOV.UK date input whose legend is ``legend``: its Day, Month and Year boxes."""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day", exact=True).fill(str(day.day))
    group.get_by_label("Month", exact=True).fill(str(day.month))
    group.get_by_label("Year", exact=True).fill(str(day.year))
