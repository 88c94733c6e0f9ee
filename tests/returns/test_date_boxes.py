"""The returns' period pickers take dates in the GOV.UK date input's three boxes (GET forms), and the improvement
plan's forms post them: a real date is used, a partly filled, unreal or out-of-range one is named."""

from __future__ import annotations

from fastapi.testclient import TestClient

from safeguarding.core.users import Role
from tests.support import Factory, sign_in


def _boxes(name: str, day: str, month: str, year: str) -> dict[str, str]:
    return {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}


def test_the_workforce_day_and_the_indicators_period_in_three_boxes(client: TestClient, factory: Factory) -> None:
    sign_in(client, factory.user(Role.PERFORMANCE_ANALYST))
    page = client.get("/returns/workforce", params=_boxes("on", "30", "9", "2025"))
    assert page.status_code == 200 and "30 September 2025" in page.text
    assert 'name="on-day" type="text" inputmode="numeric" value="30"' in page.text

    missing = client.get("/returns/workforce", params=_boxes("on", "30", "9", ""))
    assert missing.status_code == 422
    assert "The date to read the measures on must include a year" in missing.text
    assert 'href="#on"' in missing.text and 'id="on" name="on-year"' in missing.text

    unreal = client.get("/returns/indicators", params={**_boxes("from", "31", "4", "2026"), **_boxes("to", "", "", "")})
    assert unreal.status_code == 422
    assert "The first day of the period must be a real date" in unreal.text
    assert 'name="from-day" type="text" inputmode="numeric" value="31"' in unreal.text

    early = client.get("/returns/indicators", params=_boxes("from", "1", "1", "1066"))
    assert early.status_code == 422 and "The first day of the period must be between 1 January 1900" in early.text

    fine = client.get(
        "/returns/indicators", params={**_boxes("from", "1", "3", "2026"), **_boxes("to", "31", "3", "2026")}
    )
    assert fine.status_code == 200 and "March 2026" in fine.text
