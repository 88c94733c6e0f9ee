"""Under the Content-Security-Policy (no inline script, no eval, no inline style) the pages that draw with
JavaScript still draw, and the browser reports no violation: the indicators' Vega-Lite charts, the exploitation
network picture (cytoscape.js) and the API's browsable documentation (Swagger UI)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.core.users import Role, User
from tests.exploitation import network_world as w
from tests.journeys.support import sign_in
from tests.returns import insight_council

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]

# Runs in every page before its own scripts (through the browser's debugging protocol, so the CSP does not apply).
LISTEN = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":"
                            + e.lineNumber);
});"""


def _watched(new_page: Any) -> tuple[Any, list[str]]:
    """A page whose CSP violations (events and console reports) are collected."""
    page = new_page()
    page.add_init_script(LISTEN)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    return page, console


def _violations(page: Any, console: list[str]) -> list[str]:
    return [*page.evaluate("window.cspViolations"), *console]


def test_charts_network_and_api_documentation_draw_under_the_policy(
    new_page: Any, factory: Any, live_server: Any
) -> None:
    council = insight_council.build(factory)
    practitioner = factory.user(Role.EXPLOITATION_PRACTITIONER, username="csp.exploitation")
    db = live_server.database
    lia = w.person(db, "Lia", "Mason")
    max_ = w.person(db, "Max", "Mason")
    w.siblings(db, lia, max_)
    with db.transaction() as s:
        analyst = s.get_one(User, council.analyst_id)
        s.expunge(analyst)

    page, console = _watched(new_page)
    sign_in(page, analyst)
    page.goto("/returns/indicators?from=2026-01-01&to=2026-03-31")
    chart = page.locator('[data-chart="spec-re_referrals"] svg').first
    expect(chart).to_be_visible()
    expect(chart.locator("path, rect, line").first).to_be_attached()  # marks drawn, not only an empty frame
    assert not (found := _violations(page, console)), "\n".join(found)

    page, console = _watched(new_page)
    sign_in(page, practitioner)
    page.goto(f"/exploitation/network?centre=person-{lia}&steps=2")
    page.wait_for_function("window.networkPicture && window.networkPicture.nodes().length === 2")
    expect(page.locator("#network-picture canvas").first).to_be_visible()
    assert not (found := _violations(page, console)), "\n".join(found)

    page, console = _watched(new_page)
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="Safeguarding API")).to_be_visible()
    expect(page.get_by_text("/contacts", exact=True).first).to_be_visible()
    assert not (found := _violations(page, console)), "\n".join(found)
