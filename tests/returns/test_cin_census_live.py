"""The live record checked every night: ``safeguarding returns cin-census check-live`` stores a run with its findings
(old runs kept, one transaction), and the analysts' page shows the latest run (counts by rule with the rule text,
findings linking to the child's case, filters, pages), re-runs it on a CSRF-protected form, hides a restricted
child's name from a viewer who may not open the record, and audits views and runs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.restrictions import PersonRestriction, PersonRestrictionGrant
from safeguarding.core.users import Role, User
from safeguarding.people.models import Person
from safeguarding.returns.cin_census import service
from safeguarding.returns.cin_census.rules import RULES
from safeguarding.returns.models import CensusFinding, CensusRun
from tests.returns.test_cin_census_export import build_hand_council
from tests.support import Factory, csrf_from, sign_in


def _cli(*args: str) -> Result:
    from safeguarding.cli import app

    return CliRunner().invoke(app, ["returns", "cin-census", *args])


def _council_with_problems(database: Database) -> dict[str, int]:
    """The hand-built council, with the in-need child's ethnicity missing (4220, an error) and the protected child
    restricted (a staff member's relative) with an error of their own (4220)."""
    ids = build_hand_council(database)
    with database.transaction() as s:
        s.get_one(Person, ids["in_need"]).ethnicity = None
        s.get_one(Person, ids["protected"]).ethnicity = "XXXX"
        s.add(PersonRestriction(person_id=ids["protected"], reason="A staff member's relative"))
    return ids


def _runs(database: Database) -> list[CensusRun]:
    with database.transaction() as s:
        return list(s.scalars(select(CensusRun).order_by(CensusRun.id)))


def test_check_live_stores_a_run_with_its_findings_and_keeps_earlier_runs(database: Database) -> None:
    ids = _council_with_problems(database)
    first = _cli("check-live", "--year", "2026")
    assert first.exit_code == 0, first.output
    assert "5 children checked: 2 errors" in first.output
    second = _cli("check-live", "--year", "2026")
    assert second.exit_code == 0, second.output
    runs = _runs(database)
    assert len(runs) == 2 and all(r.finished_at and r.started_at <= r.finished_at for r in runs)
    assert [(r.year, r.ruleset, r.children, r.errors, r.started_by_id) for r in runs] == [
        (2026, "cin2025_26", 5, 2, None)
    ] * 2
    with database.transaction() as s:
        findings = list(
            s.scalars(select(CensusFinding).where(CensusFinding.run_id == runs[1].id).order_by(CensusFinding.id))
        )
        audited = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "run", AuditEvent.target_type == "cin_census_check")
        )
    errors = [(f.code, f.severity, f.la_child_id, f.person_id, f.element) for f in findings if f.severity == "error"]
    assert errors == [
        ("4220", "error", "HB0003", ids["in_need"], "ChildCharacteristics/Ethnicity"),
        ("4220", "error", "HB0004", ids["protected"], "ChildCharacteristics/Ethnicity"),
    ]
    assert all(f.message for f in findings)
    assert audited == 2


def test_check_live_help_says_cron_runs_it_nightly() -> None:
    result = _cli("check-live", "--help")
    assert result.exit_code == 0
    assert "cron" in result.output and "nightly" in result.output


def test_a_run_that_fails_stores_nothing(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _council_with_problems(database)

    def broken(*args: object) -> object:
        raise RuntimeError("the record could not be read")

    monkeypatch.setattr(service, "validate_live", broken)
    result = _cli("check-live", "--year", "2026")
    assert result.exit_code != 0
    assert _runs(database) == []


def _people(factory: Factory) -> tuple[User, User, User]:
    return (factory.user(Role.PERFORMANCE_ANALYST), factory.user(Role.TEAM_MANAGER), factory.user(Role.TEAM_MANAGER))


def test_the_page_before_any_run_says_so_and_offers_the_check(
    database: Database, factory: Factory, client: TestClient
) -> None:
    analyst, _, _ = _people(factory)
    sign_in(client, analyst)
    page = client.get("/returns/cin-census")
    assert page.status_code == 200
    assert "has not been checked yet" in page.text
    assert 'action="/returns/cin-census/run"' in page.text


def test_analyst_sees_counts_with_rule_text_and_findings_linking_to_the_case(
    database: Database, factory: Factory, client: TestClient
) -> None:
    ids = _council_with_problems(database)
    analyst, _, _ = _people(factory)
    assert _cli("check-live", "--year", "2026").exit_code == 0
    sign_in(client, analyst)
    page = client.get("/returns/cin-census")
    assert page.status_code == 200
    assert "5</strong> children checked, <strong>2</strong> errors" in page.text
    assert 'data-rule="4220"' in page.text and RULES["4220"].text in page.text
    assert f'href="/cases/{ids["in_need"]}"' in page.text
    assert "Synthetic3 Child" in page.text  # an unrestricted child is named
    # The restricted child: the finding and the link stay, the name does not (an analyst may not open records).
    assert f'href="/cases/{ids["protected"]}">Restricted record</a>' in page.text
    assert "Synthetic4" not in page.text
    with database.transaction() as s:
        views = list(
            s.scalars(
                select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.target_type == "cin_census_findings")
            )
        )
    assert len(views) == 1 and views[0].actor_id == analyst.id


def test_a_restricted_childs_name_shows_only_to_a_viewer_named_on_the_restriction(
    database: Database, factory: Factory, client: TestClient
) -> None:
    ids = _council_with_problems(database)
    _, manager, named_manager = _people(factory)
    with database.transaction() as s:
        s.add(PersonRestrictionGrant(person_id=ids["protected"], user_id=named_manager.id))
    assert _cli("check-live", "--year", "2026").exit_code == 0
    sign_in(client, manager)
    assert "Synthetic4" not in client.get("/returns/cin-census").text
    client.cookies.clear()
    sign_in(client, named_manager)
    assert "Synthetic4 Child" in client.get("/returns/cin-census").text


def test_filters_by_rule_and_severity_and_pages_of_fifty(
    database: Database, factory: Factory, client: TestClient
) -> None:
    analyst, _, _ = _people(factory)
    with database.transaction() as s:
        run = CensusRun(year=2026, ruleset="cin2025_26", children=120, errors=110, queries=10)
        s.add(run)
        s.flush()
        run.finished_at = run.started_at
        s.add_all(
            [
                CensusFinding(
                    run_id=run.id,
                    code="8540",
                    severity="error",
                    la_child_id=f"LA{n:04d}",
                    element="ChildCharacteristics/Disabilities",
                    message=f"missing {n}",
                )
                for n in range(110)
            ]
        )
        s.add_all(
            [
                CensusFinding(
                    run_id=run.id,
                    code="8770Q",
                    severity="query",
                    la_child_id=f"LQ{n:04d}",
                    element="CINdetails[1]/Assessments[1]",
                    message=f"factors {n}",
                )
                for n in range(10)
            ]
        )
    sign_in(client, analyst)
    first = client.get("/returns/cin-census")
    assert "120 findings; page 1 of 3." in first.text
    assert "missing 0<" in first.text and "missing 49<" in first.text and "missing 50<" not in first.text
    third = client.get("/returns/cin-census", params={"page": "3"})
    assert "missing 100<" in third.text and "factors 9<" in third.text
    queries = client.get("/returns/cin-census", params={"severity": "query"})
    assert "10 findings matching the filter; page 1 of 1." in queries.text
    assert "missing 1<" not in queries.text and "factors 0<" in queries.text
    by_rule = client.get("/returns/cin-census", params={"rule": "8540", "page": "2"})
    assert "110 findings matching the filter; page 2 of 3." in by_rule.text
    assert "missing 50<" in by_rule.text and "factors" not in by_rule.text.split('id="findings"')[1]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"severity": "fatal"}, "severity", "Choose errors or queries"),
        ({"rule": "9999"}, "rule", "Choose a rule from the list"),
        ({"page": "two"}, "page", "Page must be a whole number"),
    ],
)
def test_bad_filters_are_named(
    database: Database, factory: Factory, client: TestClient, params: dict[str, str], field: str, message: str
) -> None:
    analyst, _, _ = _people(factory)
    sign_in(client, analyst)
    page = client.get("/returns/cin-census", params=params)
    assert page.status_code == 422
    assert f'href="#{field}">{message}' in page.text


def test_run_now_is_a_csrf_protected_form_that_stores_a_run_by_the_user(
    database: Database, factory: Factory, client: TestClient
) -> None:
    _council_with_problems(database)
    _, manager, _ = _people(factory)
    sign_in(client, manager)
    form_page = client.get("/returns/cin-census")
    token = csrf_from(form_page.text)
    refused = client.post("/returns/cin-census/run", data={"year": "2026"})
    assert refused.status_code == 403 and _runs(database) == []
    bad = client.post("/returns/cin-census/run", data={"year": "1999", "csrf_token": token})
    assert bad.status_code == 422 and 'href="#year">Choose a collection year' in bad.text
    assert _runs(database) == []
    done = client.post("/returns/cin-census/run", data={"year": "2026", "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/returns/cin-census?done=run"
    runs = _runs(database)
    assert len(runs) == 1 and runs[0].started_by_id == manager.id and runs[0].errors == 2
    page = client.get(done.headers["location"])
    assert "has been checked again" in page.text and "(the nightly check)" not in page.text
    with database.transaction() as s:
        run_audit = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "run", AuditEvent.target_type == "cin_census_check")
        ).one()
    assert run_audit.actor_id == manager.id


def test_the_latest_run_is_shown(database: Database, factory: Factory, client: TestClient) -> None:
    ids = _council_with_problems(database)
    analyst, _, _ = _people(factory)
    assert _cli("check-live", "--year", "2026").exit_code == 0
    with database.transaction() as s:
        s.get_one(Person, ids["in_need"]).ethnicity = "WBRI"
    assert _cli("check-live", "--year", "2026").exit_code == 0
    sign_in(client, analyst)
    page = client.get("/returns/cin-census").text
    assert f"Run {_runs(database)[-1].id} of the 2025 to 26 census" in page
    assert "<strong>1</strong> error and" in page
    assert f'href="/cases/{ids["in_need"]}"' not in page
