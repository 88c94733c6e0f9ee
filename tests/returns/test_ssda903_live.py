"""The SSDA903 return checked on the live record every night and on demand: ``safeguarding returns ssda903
check-live`` stores a run with its findings (old runs kept), and the returns page shows the latest run (counts by
rule in the DfE's words, findings linking to the child's record, the rule code only as a reference, filters),
re-runs it on a CSRF-protected form, hides a restricted child's name, and lets an analyst download the return; every
view, run and download is audited."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from safeguarding.children_in_care.models import CareEvent, CareEventKind
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.restrictions import PersonRestriction
from safeguarding.core.users import Role
from safeguarding.people.models import Person
from safeguarding.returns.models import Ssda903Finding, Ssda903Run
from safeguarding.returns.ssda903.reference import load_reference
from safeguarding.returns.ssda903.rules import RULES
from safeguarding.returns.ssda903.service import FindingLine, chosen_year, people_of, plain_dates, validate_live
from safeguarding.returns.ssda903.tables import CollectionYear
from tests.returns.test_cin_census_export import person
from tests.returns.test_ssda903_export import _in_care
from tests.support import Factory, sign_in_as


def _cli(*args: str) -> Result:
    from safeguarding.cli import app

    return CliRunner().invoke(app, ["returns", "ssda903", *args])


def _council(database: Database) -> dict[str, int]:
    """Three children in care in 2025-26: one well recorded, one whose ethnicity is not a DfE code (rule 103), and
    a restricted child (a staff member's relative) with the same problem."""
    with database.transaction() as s:
        fine = person(s, 2)
        _in_care(s, fine, date(2025, 6, 2), None)
        wrong = person(s, 4)
        wrong.ethnicity = "XXXX"
        _in_care(s, wrong, date(2025, 7, 1), None)
        hidden = person(s, 6)
        hidden.ethnicity = "XXXX"
        _in_care(s, hidden, date(2025, 8, 4), None)
        s.add(PersonRestriction(person_id=hidden.id, reason="A staff member's relative"))
        return {"fine": fine.id, "wrong": wrong.id, "hidden": hidden.id}


def _runs(database: Database) -> list[Ssda903Run]:
    with database.transaction() as s:
        return list(s.scalars(select(Ssda903Run).order_by(Ssda903Run.id)))


def test_check_live_stores_a_run_with_its_findings_joined_to_the_children(database: Database) -> None:
    ids = _council(database)
    first = _cli("check-live", "--year", "2026", "--format", "json")
    second = _cli("check-live", "--year", "2026", "--format", "json")
    assert first.stdout == second.stdout
    printed = json.loads(first.stdout)
    runs = _runs(database)
    assert len(runs) == 2 and all(r.finished_at and r.started_by_id is None for r in runs)
    assert (runs[1].year, runs[1].ruleset, runs[1].children) == (2026, "lac2025_26", 3)
    assert runs[1].errors == sum(1 for f in printed if f["severity"] == "error") and runs[1].rules_run > 100
    with database.transaction() as s:
        stored = list(s.scalars(select(Ssda903Finding).where(Ssda903Finding.run_id == runs[1].id)))
        audited = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "run", AuditEvent.target_type == "ssda903_check")
        )
    assert len(stored) == len(printed) and audited == 2
    ethnicity = sorted((f.child, f.person_id, f.table_name) for f in stored if f.code == "103")
    assert ethnicity == [("HB0004", ids["wrong"], "Header"), ("HB0006", ids["hidden"], "Header")]
    assert ids["fine"] not in {f.person_id for f in stored if f.code == "103"}


def test_the_page_shows_counts_by_rule_and_findings_linking_to_each_child(
    database: Database, client: TestClient
) -> None:
    ids = _council(database)
    manager = Factory(database).user(Role.TEAM_MANAGER)
    assert _cli("check-live", "--year", "2026").exit_code in (0, 1)
    sign_in_as(client, database, manager)
    page = client.get("/returns/ssda903")
    assert page.status_code == 200
    html = page.text
    assert "3</strong> children checked" in html and "(the nightly check)" in html
    words = RULES["103"].text
    assert words in html and "DfE rule 103" in html  # the DfE's words to read, the code as a reference beside them
    assert f'href="/children-in-care/{ids["wrong"]}">Synthetic4 Child</a>' in html
    assert f'href="/children-in-care/{ids["hidden"]}">Restricted record</a>' in html
    assert "Synthetic6" not in html
    assert 'action="/returns/ssda903/export"' not in html  # downloading is the analysts'

    only = client.get("/returns/ssda903", params={"rule": "103", "severity": "error"})
    assert only.status_code == 200 and "2 findings matching the filter" in only.text
    refused = client.get("/returns/ssda903", params={"rule": "<script>", "severity": "x", "page": "1e9"})
    assert refused.status_code == 422
    assert "Choose a rule from the list" in refused.text and "Choose errors or queries" in refused.text
    assert "<script>" not in refused.text
    with database.transaction() as s:
        views = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.target_type == "ssda903_findings")
        )
    assert views == 3


def test_the_check_runs_again_from_the_page_for_the_year_chosen(database: Database, client: TestClient) -> None:
    _council(database)
    analyst = Factory(database).user(Role.PERFORMANCE_ANALYST)
    token = sign_in_as(client, database, analyst)
    page = client.get("/returns/ssda903")
    assert "has not been checked yet" in page.text
    done = client.post("/returns/ssda903/run", data={"year": "2026", "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/returns/ssda903?done=run"
    shown = client.get(done.headers["location"])
    assert "checked again" in shown.text and "(the nightly check)" not in shown.text
    (run,) = _runs(database)
    assert run.started_by_id == analyst.id and run.children == 3
    bad = client.post("/returns/ssda903/run", data={"year": "1999", "csrf_token": token})
    assert bad.status_code == 422 and "Choose a collection year from 2024 to 2027" in bad.text
    assert len(_runs(database)) == 1
    no_token = client.post("/returns/ssda903/run", data={"year": "2026"})
    assert no_token.status_code == 403


def test_an_analyst_downloads_the_return_as_csv_tables_or_xml(database: Database, client: TestClient) -> None:
    _council(database)
    analyst = Factory(database).user(Role.PERFORMANCE_ANALYST)
    token = sign_in_as(client, database, analyst)
    assert 'action="/returns/ssda903/export"' in client.get("/returns/ssda903").text
    got = client.post("/returns/ssda903/export", data={"year": "2026", "format": "csv", "csrf_token": token})
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert 'filename="ssda903-2025-26.zip"' in got.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(got.content)) as package:
        names = set(package.namelist())
        header = package.read("ssda903-2025-26/header.csv").decode().splitlines()
    assert {"ssda903-2025-26/episodes.csv", "ssda903-2025-26/sw_episodes.csv"} <= names
    assert header[0] == "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB" and len(header) == 4
    xml = client.post("/returns/ssda903/export", data={"year": "2026", "format": "xml", "csrf_token": token})
    assert xml.status_code == 200 and xml.content.lstrip().startswith(b"<?xml") and b"HB0004" in xml.content
    empty = client.post("/returns/ssda903/export", data={"year": "2024", "format": "csv", "csrf_token": token})
    assert empty.status_code == 422 and "No child was looked after in 2023-24" in empty.text
    odd = client.post("/returns/ssda903/export", data={"year": "2026", "format": "xlsx", "csrf_token": token})
    assert odd.status_code == 422 and "Choose CSV tables or XML" in odd.text
    with database.transaction() as s:
        exports = list(
            s.scalars(select(AuditEvent).where(AuditEvent.target_type == "ssda903", AuditEvent.action == "export"))
        )
    assert [e.actor_id for e in exports] == [analyst.id, analyst.id]


def test_a_finding_reads_in_words_with_dates_as_people_write_them() -> None:
    line = FindingLine("103", "error", "HB1", 1, "A B", "Header", "ETHNIC", "", RULES["103"].text)
    assert line.detail == ""
    assert plain_dates("episode from 03/11/2026 to 2026-12-01") == "episode from 3 November 2026 to 1 December 2026"
    assert plain_dates("not a day 31/02/2026") == "not a day 31/02/2026"
    assert chosen_year("", date(2026, 4, 1)).year == 2027 and chosen_year(" 2025 ", date(2026, 1, 1)).year == 2025


def test_the_command_line_refuses_a_year_it_does_not_hold(database: Database) -> None:
    result = _cli("check-live", "--year", "1999")
    assert result.exit_code == 2 and "--year" in result.output
    assert _runs(database) == []
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0


def _reference_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "postcodes.csv").write_text(
        "SECTOR,LA,LATITUDE,LONGITUDE\n"
        "NB1 2,E09000027,51.45,-0.30\n"
        "NB3 4,E09000027,51.47,-0.28\n"
        "NB9 9,E10000002,51.80,-0.80\n",
        encoding="utf-8",
    )
    return folder


def test_the_distance_and_la_rules_run_on_the_live_record_with_the_councils_reference(
    database: Database, tmp_path: Path
) -> None:
    """check-live --reference DIR --la CODE: the placement's LA and distance come from the recorded postcodes, so a
    council's own children's home outside its area (1015) and a placement whose postcode the reference does not
    know (392a) are named on the child; without the reference those rules are not run."""
    with database.transaction() as s:
        fine = person(s, 2)
        _in_care(s, fine, date(2025, 6, 2), None)
        away = person(s, 4)
        period = _in_care(s, away, date(2025, 7, 1), None)
        s.add(
            CareEvent(
                period_id=period,
                person_id=away.id,
                kind=CareEventKind.PLACEMENT,
                occurred_on=date(2025, 9, 1),
                placement_type="K2",
                placement_provider="PR1",
                placement_postcode="NB9 9ZZ",
                urn="SC123456",
                carer="Beech House",
                reason_place_change="CARPL",
            )
        )
        unknown = person(s, 6)
        period = _in_care(s, unknown, date(2025, 8, 4), None)
        s.add(
            CareEvent(
                period_id=period,
                person_id=unknown.id,
                kind=CareEventKind.PLACEMENT,
                occurred_on=date(2025, 10, 1),
                placement_type="U4",
                placement_provider="PR1",
                placement_postcode="QQ1 1AB",  # a sector the council's copy of the postcodes does not hold
                carer="Rowan Lane",
                reason_place_change="CARPL",
            )
        )
        ids = {"away": away.id, "unknown": unknown.id}
    reference = load_reference(_reference_folder(tmp_path), "E09000027")
    with database.transaction() as s:
        report, built = validate_live(s, CollectionYear(2026), reference)
        people = people_of(s, built)
        bare, _ = validate_live(s, CollectionYear(2026))
    named = {(f.code, people[f.child]) for f in report.findings if f.code in ("1015", "392a")}
    assert named == {("1015", ids["away"]), ("392a", ids["unknown"])}
    assert not {f.code for f in bare.findings} & {"1015", "392a"}
    assert report.rules_run > bare.rules_run
    stored = _cli(
        "check-live",
        "--year",
        "2026",
        "--format",
        "csv",
        "--reference",
        str(tmp_path / "reference"),
        "--la",
        "E09000027",
    )
    assert "1015,error," in stored.stdout and "392a,error," in stored.stdout
    refused = _cli("check-live", "--year", "2026", "--la", "E09000027")
    assert refused.exit_code == 2 and "--la needs --reference" in refused.output
