"""Ofsted Annex A: the workbook opens in a spreadsheet reader (openpyxl) with the right sheets and columns, rows
counted by hand on a small council (tests/returns/insight_council.py), bad dates named, an empty period said."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from safeguarding.cli import app as cli
from safeguarding.core.audit import AuditEvent
from safeguarding.core.errors import ValidationFailed
from safeguarding.returns.annex_a.export import parse_period
from safeguarding.returns.annex_a.lists import build
from safeguarding.returns.annex_a.spec import LISTS
from tests.returns import insight_council
from tests.support import sign_in_as

runner = CliRunner()
JAN, MAR = "2026-01-01", "2026-03-31"


def _rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    book = load_workbook(path, read_only=True)
    values = list(book[sheet].iter_rows(values_only=True))
    book.close()  # a read-only workbook keeps its file open until closed
    header = values[0]
    return [dict(zip(header, (*row, *[None] * (len(header) - len(row))), strict=True)) for row in values[1:]]


def test_the_command_writes_one_sheet_per_list_with_annex_a_columns(
    database: Any, factory: Any, tmp_path: Path
) -> None:
    insight_council.build(factory)
    out = tmp_path / "annex-a.xlsx"
    result = runner.invoke(cli, ["returns", "annex-a", "--from", JAN, "--to", MAR, "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == [spec.sheet for spec in LISTS] + ["About"]
    for spec in LISTS:
        header = next(book[spec.sheet].iter_rows(values_only=True))
        assert tuple(header) == spec.columns
    book.close()
    # The columns exactly as Ofsted's Annex A names them, for two lists in full.
    assert LISTS[0].columns == (
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Date of Contact",
        "Contact Source",
    )
    assert LISTS[2].columns[5:] == (
        "Date of referral",
        "Referral Source",
        "Referral NFA?",
        "Number of Referrals in Last 12 Months",
        "Allocated Team",
        "Allocated Worker",
    )
    with database.transaction() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.target_type == "annex_a")).one()
        detail = json.loads(event.detail) if isinstance(event.detail, str) else event.detail
        assert event.action == "export" and detail["rows"]["List 3"] == 3


def test_rows_as_counted_by_hand(database: Any, factory: Any, tmp_path: Path) -> None:
    insight_council.build(factory)
    out = tmp_path / "annex-a.xlsx"
    assert runner.invoke(cli, ["returns", "annex-a", "--from", JAN, "--to", MAR, "--out", str(out)]).exit_code == 0

    contacts = _rows(out, "List 1")
    # C1, C2 and the one contact naming C4 and C5 (a row per child); C3 and C6 were before January.
    assert [r["Child Unique ID"] for r in contacts] == ["C1", "C2", "C4", "C5"]
    assert contacts[0]["Contact Source"] == "e) 2A" and contacts[0]["Gender"] == "b) Female"
    assert contacts[0]["Date of Contact"].date() == date(2026, 1, 5)
    assert contacts[0]["Age of Child (Years)"] == 10  # born 1 May 2015, age at 31 March 2026

    assert _rows(out, "List 2") == []  # this council has no early help (List 2: tests/returns/test_annex_a_list_2.py)
    about = [r["Note"] for r in _rows(out, "About")]
    assert any(note.startswith("List 2: one row for each child") for note in about)

    referrals = {r["Child Unique ID"]: r for r in _rows(out, "List 3")}
    assert sorted(referrals) == ["C1", "C2", "C4"]
    assert referrals["C2"]["Number of Referrals in Last 12 Months"] == 2  # June 2025 and February 2026
    assert referrals["C1"]["Allocated Worker"] == "Sam Social"
    assert referrals["C2"]["Allocated Worker"] is None  # allocation ended on 1 March

    assessments = {r["Child Unique ID"]: r for r in _rows(out, "List 4")}
    assert sorted(assessments) == ["C1", "C2", "C4"]  # C3's was authorised in December
    assert assessments["C1"]["Child Seen During Continuous Assessment"] == "Yes"
    assert assessments["C1"]["Was the child assessed as requiring LA children's social care support?"] == "Yes"
    assert assessments["C4"]["Was the child assessed as requiring LA children's social care support?"] == "No"
    assert assessments["C2"]["Continuous Assessment Date of Authorisation"] is None
    assert assessments["C2"]["Does the Child have a Disability"] == "Unknown"

    (s47,) = _rows(out, "List 5")
    assert s47["Child Unique ID"] == "C3" and s47["Date of ICPC"].date() == date(2026, 1, 28)
    assert s47["Did the ICPC result in a CP plan"] == "Yes" and s47["Was an ICPC deemed unnecessary?"] == "No"

    cin = {r["Child Unique ID"]: r for r in _rows(out, "List 6")}
    assert sorted(cin) == ["C1", "C2", "C3", "C4"]  # C2's 2025 episode closed in August
    assert cin["C3"]["Case Status"] == "b) Child protection plan"
    assert cin["C2"]["Case Status"] == "d) Open assessment"

    (cp,) = _rows(out, "List 7")
    assert cp["Child Unique ID"] == "C3" and cp["Initial Category of Abuse"] == "Neglect"
    assert cp["Date of the Last Statutory Visit"].date() == date(2026, 2, 19)
    assert cp["Was the Child Seen Alone?"] == "No" and cp["Number of Previous CP Plans"] == 1
    assert cp["Allocated Team"] == "Protection team"

    (missing,) = _rows(out, "Missing")
    assert missing["Child Unique ID"] == "C5" and missing["Offered a Return Interview (Y/N)"] == "Y"
    (screened,) = _rows(out, "Exploitation")
    assert screened["Child Unique ID"] == "C4" and screened["Level of Risk"] == "Medium"

    staff = {r["Worker Name"]: r for r in _rows(out, "Staff")}
    assert staff["Sam Social"]["Number of Children Allocated"] == 2  # C1 and C4
    assert staff["Sam Social"]["Agency or Permanent"] == "Permanent"
    assert staff["Sam Social"]["Date of Last Supervision"].date() == date(2026, 3, 16)
    assert staff["Pat Protect"]["Agency or Permanent"] == "Agency" and staff["Pat Protect"]["FTE"] == 0.8


def test_bad_dates_are_named_and_nothing_is_written(database: Any, tmp_path: Path) -> None:
    out = tmp_path / "annex-a.xlsx"
    result = runner.invoke(cli, ["returns", "annex-a", "--from", MAR, "--to", JAN, "--out", str(out)])
    assert result.exit_code == 2
    assert "--to: The last day of the period (1 January 2026) is before its first day (31 March 2026)" in result.output
    assert not out.exists()
    with pytest.raises(ValidationFailed) as caught:
        parse_period("2026-02-30", "")
    assert caught.value.errors == {
        "from": "The first day of the period must be a real date",
        "to": "Enter the last day of the period",
    }


def test_an_empty_period_says_so(database: Any, factory: Any, tmp_path: Path) -> None:
    insight_council.build(factory)
    out = tmp_path / "annex-a.xlsx"
    result = runner.invoke(cli, ["returns", "annex-a", "--from", "2022-01-01", "--to", "2022-02-01", "--out", str(out)])
    assert result.exit_code == 1
    assert "nothing written" in result.output
    assert not out.exists()


def test_the_analysts_page_downloads_the_workbook_and_others_are_refused(
    app: Any, database: Any, factory: Any, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    council = insight_council.build(factory)
    with database.transaction() as s:
        from safeguarding.core.users import User

        analyst = s.get_one(User, council.analyst_id)
        manager = s.get_one(User, council.manager_id)
        s.expunge_all()
    client = TestClient(app)
    csrf = sign_in_as(client, database, analyst)
    page = client.get("/returns/annex-a")
    assert page.status_code == 200 and "Annex A" in page.text
    bad = client.post("/returns/annex-a", data={"from": MAR, "to": JAN, "csrf_token": csrf})
    assert bad.status_code == 422 and "is before its first day" in bad.text
    empty = client.post("/returns/annex-a", data={"from": "2022-01-01", "to": "2022-02-01", "csrf_token": csrf})
    assert empty.status_code == 422 and "Nothing to export" in empty.text
    with database.transaction() as s:  # the refused attempt stays in the audit log, with nothing exported
        (attempt,) = s.scalars(select(AuditEvent).where(AuditEvent.target_type == "annex_a")).all()
        detail = json.loads(attempt.detail) if isinstance(attempt.detail, str) else attempt.detail
        assert attempt.actor_id == analyst.id and detail["from"] == "2022-01-01"
        assert not any(rows for sheet, rows in detail["rows"].items() if sheet != "Staff")
    got = client.post("/returns/annex-a", data={"from": JAN, "to": MAR, "csrf_token": csrf})
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "annex-a-2026-01-01-to-2026-03-31.xlsx" in got.headers["content-disposition"]
    path = tmp_path / "page.xlsx"
    path.write_bytes(got.content)
    assert len(_rows(path, "List 1")) == 4

    other = TestClient(app)
    other_csrf = sign_in_as(other, database, manager)
    assert other.post("/returns/annex-a", data={"from": JAN, "to": MAR, "csrf_token": other_csrf}).status_code == 403


def test_build_reads_the_same_rows_as_the_file(database: Any, factory: Any) -> None:
    insight_council.build(factory)
    with database.transaction() as s:
        annex = build(s, parse_period(JAN, MAR))
    assert {sheet.spec.sheet: len(sheet.rows) for sheet in annex.sheets} == {
        "List 1": 4,
        "List 2": 0,
        "List 3": 3,
        "List 4": 3,
        "List 5": 1,
        "List 6": 4,
        "List 7": 1,
        "List 8": 0,  # the hand-built council has no child in care (tests/returns/test_annex_a_care.py)
        "List 9": 0,
        "Missing": 1,
        "List 10": 0,  # no child in care in this council: lists 10 and 11 are tested in tests/children_in_care
        "List 11": 0,
        "Exploitation": 1,
        "Staff": annex.sheet("Staff").rows.__len__(),
    }
    assert annex.child_rows == 18
