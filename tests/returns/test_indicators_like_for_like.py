"""Figures that tell a leader the truth: a rate per 10,000 children from the council's child population (a local
setting, with its source and year) beside England's rate per 10,000; months written "March 2026"; a period still
running labelled "so far" and never drawn as a fall to zero; the England line labelled on the chart."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from safeguarding.core import local_settings
from safeguarding.core.calendar import add_calendar_months, today_in_london
from safeguarding.core.users import User
from safeguarding.insight import indicators
from safeguarding.insight.period import Period
from tests.returns import insight_council
from tests.support import sign_in_as

PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))
TODAY = date(2026, 4, 15)


def _set_population(database: Any, children: int, source: str) -> None:
    with database.transaction() as s:
        local_settings.put(s, "population.children_under_18", children, None)
        local_settings.put(s, "population.source", source, None)


def _figure(database: Any, key: str, period: Period = PERIOD, today: date = TODAY, team_id: int | None = None) -> Any:
    with database.transaction() as s:
        facts = indicators.load_facts(s, period, team_id, today)
    (found,) = indicators.compute(facts, period, today, [key])
    return found


def test_children_in_need_per_10000_is_computed_from_the_population_setting(database: Any, factory: Any) -> None:
    insight_council.build(factory)
    _set_population(database, 40_000, "ONS mid-2024 population estimates")
    f = _figure(database, "children_in_need")
    # Open episodes on 31 March 2026: C1, C2, C3 and C4 (insight_council): 4 of 40,000 children is 1.0 per 10,000.
    assert f.numerator == 4 and f.population == 40_000
    assert f.shown == "1.0 per 10,000 children"
    assert [(p.label, p.numerator, round(p.rate, 2)) for p in f.points] == [
        ("January 2026", 2, 0.5),
        ("February 2026", 3, 0.75),
        ("March 2026", 4, 1.0),
    ]
    assert f.indicator.national is not None and f.indicator.national.shown == "332.9 per 10,000 children"


def test_without_the_population_no_rate_is_invented_and_the_page_says_what_to_set(database: Any, factory: Any) -> None:
    insight_council.build(factory)
    f = _figure(database, "children_in_need")
    assert f.rate is None and f.shown == "No rate"
    assert "child population is not set" in f.population_missing


def test_a_team_gets_no_rate_per_10000(database: Any, factory: Any) -> None:
    council = insight_council.build(factory)
    _set_population(database, 40_000, "ONS mid-2024 population estimates")
    f = _figure(database, "children_in_need", team_id=council.protection_team_id)
    assert f.rate is None and "whole council, not for one team" in f.population_missing


def test_the_page_shows_the_rate_beside_englands_with_the_populations_source(
    app: Any, database: Any, factory: Any
) -> None:
    council = insight_council.build(factory)
    _set_population(database, 40_000, "ONS mid-2024 population estimates")
    with database.transaction() as s:
        analyst = s.get_one(User, council.analyst_id)
        s.expunge_all()
    client = TestClient(app)
    sign_in_as(client, database, analyst)
    page = client.get("/returns/indicators", params={"from": "2026-01-01", "to": "2026-03-31"})
    assert page.status_code == 200
    text = page.text
    section = text[text.index('data-indicator="children_in_need"') :]
    section = section[: section.index("</section>")]
    assert "1.0 per 10,000 children" in section
    assert "4 children in need of 40,000 children under 18 living in the area" in section
    assert "ONS mid-2024 population estimates" in section
    assert "England: <strong>332.9 per 10,000 children</strong>" in section
    # Percentages stay beside percentages.
    assert "England: <strong>81.4%</strong>" in text
    # Months in words, and a whole past period is not "so far".
    assert ">March 2026</a>" in text and ">2026-03</a>" not in text
    assert 'id="so-far"' not in text


def test_a_period_still_running_is_labelled_so_far_and_its_months_to_come_are_not_drawn(
    database: Any, factory: Any
) -> None:
    insight_council.build(factory)
    running = Period(date(2026, 1, 1), date(2026, 6, 30))
    today = date(2026, 3, 10)
    f = _figure(database, "contacts_referrals", running, today)
    assert f.part
    labels = sorted({(p.month, p.label, p.part) for p in f.points})
    assert labels == [
        ("2026-01", "January 2026", False),
        ("2026-02", "February 2026", False),
        ("2026-03", "March 2026 (so far)", True),
    ]  # April to June have not happened: no point at zero for them
    spec = indicators.chart_spec(f)
    (line, part) = spec["layer"]
    assert line["transform"] == [{"filter": "!datum.part"}] and part["mark"]["filled"] is False
    assert {v["month"] for v in spec["data"]["values"] if v["part"]} == {"March 2026 (so far)"}


def test_the_england_line_is_labelled_on_the_chart(database: Any, factory: Any) -> None:
    insight_council.build(factory)
    spec = indicators.chart_spec(_figure(database, "assessments_45"))
    (label,) = (layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    assert label["data"]["values"][0]["label"] == "England 85.7% (England, year to 31 March 2025)"
    _set_population(database, 40_000, "ONS mid-2024 population estimates")
    spec = indicators.chart_spec(_figure(database, "children_in_need"))
    (rule,) = (layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert rule["data"]["values"][0]["national"] == 332.9  # per 10,000 beside per 10,000, not a percentage


def test_the_page_marks_the_running_month_so_far(app: Any, database: Any, factory: Any) -> None:
    council = insight_council.build(factory)
    with database.transaction() as s:
        analyst = s.get_one(User, council.analyst_id)
        s.expunge_all()
    client = TestClient(app)
    sign_in_as(client, database, analyst)
    today = today_in_london()
    first = date(today.year, today.month, 1)
    last = add_calendar_months(first, 2) - timedelta(days=1)
    page = client.get("/returns/indicators", params={"from": first.isoformat(), "to": last.isoformat()})
    assert page.status_code == 200
    assert 'id="so-far"' in page.text
    assert f">{first:%B %Y} (so far)</a>" in page.text
    assert f">{add_calendar_months(first, 1):%B %Y}" not in page.text  # next month has not begun
