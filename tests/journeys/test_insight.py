"""Insight in a real browser: a performance analyst reads the indicators (Vega-Lite charts drawn from the vendored
scripts beside the tables), follows a figure to the children behind it, reads the same page without JavaScript
(the tables are the content), and downloads Annex A from its page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from safeguarding.core.users import User
from tests.journeys.support import fill_date, screenshot, sign_in
from tests.returns import insight_council

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]
PERIOD = "from=2026-01-01&to=2026-03-31"


def _analyst(live_server: Any, council: insight_council.Council) -> User:
    with live_server.database.transaction() as s:
        user = s.get_one(User, council.analyst_id)
        s.expunge(user)
    return user


def test_an_analyst_reads_the_indicators_and_downloads_annex_a(
    new_page: Any, factory: Any, live_server: Any, tmp_path: Path
) -> None:
    council = insight_council.build(factory)
    analyst = _analyst(live_server, council)
    page = new_page()
    sign_in(page, analyst)
    page.goto(f"/returns/indicators?{PERIOD}")
    section = page.locator('section[data-indicator="re_referrals"]')
    expect(section.locator("[data-headline]")).to_have_text("33.3%")
    expect(section.get_by_text("England: 22.6%")).to_be_visible()
    # The chart is drawn by the vendored vega-embed (no CDN): an SVG inside the chart's holder.
    expect(section.locator('[data-chart="spec-re_referrals"] svg').first).to_be_visible()
    screenshot(page, "indicators")
    section.get_by_role("link", name="Children behind this figure").click()
    expect(page.get_by_role("heading", name="Re-referrals within 12 months")).to_be_visible()
    expect(page.locator("#children")).to_contain_text("C2")
    expect(page.locator("#children")).not_to_contain_text("Ben Insight")  # analysts see references, not names

    page.goto("/returns/annex-a")
    fill_date(page, "First day of the period", "2026-01-01")
    fill_date(page, "Last day of the period", "2026-03-31")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Annex A (.xlsx)").click()
    path = tmp_path / "annex-a.xlsx"
    download.value.save_as(path)
    book = load_workbook(path, read_only=True)
    assert "List 1" in book.sheetnames and "Staff" in book.sheetnames
    book.close()  # a read-only workbook keeps its file open until closed


def test_the_indicators_page_works_without_javascript(new_page: Any, factory: Any, live_server: Any) -> None:
    council = insight_council.build(factory)
    page = new_page(javascript=False)
    sign_in(page, _analyst(live_server, council))
    page.goto(f"/returns/indicators?{PERIOD}")
    section = page.locator('section[data-indicator="unallocated"]')
    expect(section.locator("[data-headline]")).to_have_text("25.0%")
    expect(section.locator('tr[data-month="2026-03"]')).to_contain_text("25.0")
    page.get_by_label("Team").select_option(label="Protection team")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('section[data-indicator="icpc_15"] [data-headline]')).to_have_text("100.0%")
