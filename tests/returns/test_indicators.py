"""Indicators against counts done by hand on the small council of tests/returns/insight_council.py (January to
March 2026, read on 15 April 2026), the team filter, the drill-down within the viewer's access, CSV and page."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core.audit import AuditEvent
from safeguarding.core.restrictions import PersonRestriction
from safeguarding.core.users import User
from safeguarding.insight import indicators
from safeguarding.insight.period import Period
from tests.returns import insight_council
from tests.support import sign_in_as

PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))
TODAY = date(2026, 4, 15)


def _figures(database: Any, team_id: int | None = None, period: Period = PERIOD) -> dict[str, indicators.Figure]:
    with database.transaction() as s:
        facts = indicators.load_facts(s, period, team_id, TODAY)
    return {f.indicator.key: f for f in indicators.compute(facts, period, TODAY)}


def test_each_indicator_as_counted_by_hand(database: Any, factory: Any) -> None:
    insight_council.build(factory)
    f = _figures(database)
    assert f["contacts_referrals"].totals == {"Contacts": 3, "Referrals": 3}
    assert [(p.month, p.series, p.numerator) for p in f["contacts_referrals"].points] == [
        ("2026-01", "Contacts", 1),
        ("2026-01", "Referrals", 1),
        ("2026-02", "Contacts", 1),
        ("2026-02", "Referrals", 1),
        ("2026-03", "Contacts", 1),
        ("2026-03", "Referrals", 1),
    ]
    assert (f["re_referrals"].numerator, f["re_referrals"].denominator) == (1, 3)
    assert f["re_referrals"].shown == "33.3%"
    # C1 decided the next working day, C4/C5 the same day; C2 received Tuesday 10 Feb, decided Friday 13 Feb.
    assert (f["decisions_one_day"].numerator, f["decisions_one_day"].denominator) == (2, 3)
    assert (f["assessments_45"].numerator, f["assessments_45"].denominator) == (2, 2)  # 33 and 18 working days
    assert (f["icpc_15"].numerator, f["icpc_15"].denominator) == (1, 1)  # 12 working days from the s47 start
    assert (f["second_cp_plans"].numerator, f["second_cp_plans"].denominator) == (1, 1)
    assert f["cp_plans_two_years"].denominator == 0 and f["cp_plans_two_years"].shown == "No cases"
    # C3's visits from the plan of 28 Jan: due 11 Feb (made 5 Feb), 19 Feb (made 19 Feb), 5 Mar (not made).
    assert (f["visits_in_time"].numerator, f["visits_in_time"].denominator) == (2, 3)
    # Unallocated is read at each month end; the headline is the last: C2 of C1, C2, C3, C4 on 31 March.
    assert [(p.month, p.numerator, p.denominator) for p in f["unallocated"].points] == [
        ("2026-01", 0, 2),
        ("2026-02", 0, 3),
        ("2026-03", 1, 4),
    ]
    assert (f["unallocated"].numerator, f["unallocated"].denominator) == (1, 4)


def test_a_plan_lasting_two_years_counts_when_it_ends_in_the_period(database: Any, factory: Any) -> None:
    insight_council.build(factory)
    f = _figures(database, period=Period(date(2025, 1, 1), date(2026, 3, 31)))
    # P0 ran 1 January 2023 to 10 January 2025.
    assert (f["cp_plans_two_years"].numerator, f["cp_plans_two_years"].denominator) == (1, 1)


def test_the_team_filter_counts_the_children_allocated_to_the_team(database: Any, factory: Any) -> None:
    council = insight_council.build(factory)
    assessment = _figures(database, council.assessment_team_id)  # C1, C2 and C4
    assert (assessment["re_referrals"].numerator, assessment["re_referrals"].denominator) == (1, 3)
    assert (assessment["unallocated"].numerator, assessment["unallocated"].denominator) == (1, 3)
    assert assessment["icpc_15"].denominator == 0
    assert assessment["contacts_referrals"].totals == {"Contacts": 3, "Referrals": 3}
    protection = _figures(database, council.protection_team_id)  # C3
    assert (protection["icpc_15"].numerator, protection["icpc_15"].denominator) == (1, 1)
    assert protection["re_referrals"].denominator == 0
    assert protection["contacts_referrals"].totals == {"Contacts": 0, "Referrals": 0}


def test_national_figures_carry_their_year_and_source() -> None:
    national = indicators.BY_KEY["re_referrals"].national
    assert national is not None and national.shown == "22.6%" and "2025" in national.year and "C1" in national.source
    assessments = indicators.BY_KEY["assessments_45"].national
    assert assessments is not None and assessments.shown == "85.7%"
    assert indicators.BY_KEY["decisions_one_day"].national is None
    assert "does not publish" in indicators.BY_KEY["decisions_one_day"].no_national
    for indicator in indicators.INDICATORS:
        assert indicator.definition and indicator.source, indicator.key


def _users(database: Any, *ids: int) -> list[User]:
    with database.transaction() as s:
        found = [s.get_one(User, i) for i in ids]
        s.expunge_all()
    return found


def test_the_drill_down_names_children_only_for_roles_that_open_records(app: Any, database: Any, factory: Any) -> None:
    council = insight_council.build(factory)
    with database.transaction() as s:
        s.add(PersonRestriction(person_id=council.children["C2"], reason="A staff member's relative"))
    analyst, manager = _users(database, council.analyst_id, council.manager_id)
    query = {"indicator": "re_referrals", "from": "2026-01-01", "to": "2026-03-31"}

    as_analyst = TestClient(app)
    sign_in_as(as_analyst, database, analyst)
    page = as_analyst.get("/returns/indicators/children", params=query)
    assert page.status_code == 200
    assert "C1" in page.text and "C4" in page.text and "Ava" not in page.text and "/people/" not in page.text

    as_manager = TestClient(app)
    sign_in_as(as_manager, database, manager)
    page = as_manager.get("/returns/indicators/children", params=query)
    assert "Ava Insight" in page.text and f'href="/people/{council.children["C1"]}"' in page.text
    # C2's record is restricted and the manager is not named on it: the reference only.
    assert "Ben Insight" not in page.text and "C2" in page.text
    month = as_manager.get("/returns/indicators/children", params={**query, "month": "2026-02"})
    assert "C2" in month.text and "Ava Insight" not in month.text
    with database.transaction() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.target_type == "indicator_children", AuditEvent.actor_id == manager.id)
        ).first()
        assert event is not None and event.outcome == "allowed"


def test_page_tables_national_figures_and_csv(app: Any, database: Any, factory: Any) -> None:
    council = insight_council.build(factory)
    (analyst,) = _users(database, council.analyst_id)
    client = TestClient(app)
    sign_in_as(client, database, analyst)
    page = client.get("/returns/indicators", params={"from": "2026-01-01", "to": "2026-03-31"})
    assert page.status_code == 200
    assert 'data-indicator="icpc_15"' in page.text and "England: <strong>81.4%</strong>" in page.text
    assert "/static/vendor/vega/vega-embed.min.js" in page.text and "cdn" not in page.text.lower()
    team = client.get(
        "/returns/indicators",
        params={"from": "2026-01-01", "to": "2026-03-31", "team": str(council.protection_team_id)},
    )
    assert "Protection team" in team.text
    bad = client.get("/returns/indicators", params={"from": "2026-03-31", "to": "2026-01-01", "team": "999999"})
    assert bad.status_code == 422
    assert "The last day of the period is before its first day" in bad.text and "Choose a team" in bad.text

    got = client.get(
        "/returns/indicators/csv", params={"indicator": "re_referrals", "from": "2026-01-01", "to": "2026-03-31"}
    )
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [(r["month"], r["numerator"], r["denominator"]) for r in rows] == [
        ("2026-01", "0", "1"),
        ("2026-02", "1", "1"),
        ("2026-03", "0", "1"),
    ]
    assert rows[0]["national"] == "0.2260" and "C1" in rows[0]["national_source"]
    unknown = client.get("/returns/indicators/csv", params={"indicator": "nonsense"})
    assert unknown.status_code == 422 and "Choose an indicator" in unknown.text
    with database.transaction() as s:
        assert (
            s.scalars(
                select(AuditEvent).where(AuditEvent.target_type == "indicators", AuditEvent.action == "export")
            ).first()
            is not None
        )


def test_chart_specs_carry_the_same_numbers_as_the_tables(database: Any, factory: Any) -> None:
    insight_council.build(factory)
    f = _figures(database)
    spec = indicators.chart_spec(f["unallocated"])
    (line,) = (layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    assert [v["rate"] for v in line["data"]["values"]] == [0.0, 0.0, 25.0]
    (rule,) = (layer for layer in indicators.chart_spec(f["re_referrals"])["layer"] if layer["mark"]["type"] == "rule")
    assert rule["data"]["values"][0]["national"] == 22.6
