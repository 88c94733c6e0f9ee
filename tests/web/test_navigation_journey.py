"""The header in a real browser: a team manager lands on the team's timescales with Case work current, goes to
another section by its header link and to a page of it from the list under the header, with and without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.core.users import Role
from tests.journeys.conftest import browser, live_server, new_page  # noqa: F401  (fixtures)
from tests.journeys.support import screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_team_manager_moves_between_sections(new_page: Any, factory: Any, live_server: Any, javascript: bool) -> None:
    team = factory.team("Assessment East", service="assessment")
    manager = factory.user(Role.TEAM_MANAGER, username=f"nav.manager.{javascript}", team_id=team.id)
    page = new_page(javascript=javascript)
    sign_in(page, manager)
    sections = page.get_by_role("navigation", name="Main sections")
    # A team manager lands on their home page; the team's timescales are a section away.
    expect(sections.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    sections.get_by_role("link", name="Case work").click()
    page.get_by_role("navigation", name="Case work pages").get_by_role("link", name="Team timescales").click()
    expect(sections.get_by_role("link", name="Case work")).to_have_attribute("aria-current", "true")
    pages = page.get_by_role("navigation", name="Case work pages")
    expect(pages.get_by_role("link", name="Team timescales")).to_have_attribute("aria-current", "page")
    if javascript:
        screenshot(page, "navigation-team-manager")
        # On a phone the sections fold behind GOV.UK Frontend's menu button; the section's pages stay listed.
        page.set_viewport_size({"width": 390, "height": 844})
        expect(sections.get_by_role("link", name="Insight")).to_be_hidden()
        sections.get_by_role("button", name="Menu").click()
        expect(sections.get_by_role("link", name="Insight")).to_be_visible()
        screenshot(page, "navigation-team-manager-phone")
        page.set_viewport_size({"width": 1280, "height": 720})

    sections.get_by_role("link", name="Insight").click()
    expect(page).to_have_url(f"{live_server.url}/returns/indicators")
    page.get_by_role("navigation", name="Insight pages").get_by_role("link", name="CIN census").click()
    expect(page).to_have_url(f"{live_server.url}/returns/cin-census")
    expect(
        page.get_by_role("navigation", name="Insight pages").get_by_role("link", name="CIN census")
    ).to_have_attribute("aria-current", "page")
    # A one-page section is a plain link, with nothing listed under the header.
    sections.get_by_role("link", name="People").click()
    expect(page).to_have_url(f"{live_server.url}/people")
    expect(page.get_by_role("navigation", name="People pages")).to_have_count(0)
