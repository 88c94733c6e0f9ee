"""``safeguarding timescales list`` and ``due``: the rules in force and a due date anyone can check."""

from __future__ import annotations

from typer.testing import CliRunner

from safeguarding.cli import app as cli
from safeguarding.core.db import Database
from safeguarding.core.local_settings import put

runner = CliRunner()


def test_list_prints_every_rule_in_force(database: Database) -> None:
    result = runner.invoke(cli, ["timescales", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line for line in result.output.splitlines() if "\t" in line}
    for rule_id in (
        "contact-decision",
        "assessment",
        "icpc",
        "first-core-group",
        "first-review-conference",
        "review-conference",
        "cp-visit",
        "return-interview",
    ):
        assert rule_id in lines
    assert "45 working days" in lines["assessment"] and "statutory_guidance" in lines["assessment"]
    assert "every 10 working days" in lines["cp-visit"] and "local_standard" in lines["cp-visit"]
    assert "Working Together to Safeguard Children 2023" in lines["icpc"]


def test_list_on_a_date_before_wt2023_shows_the_wt2018_icpc_rule(database: Database) -> None:
    result = runner.invoke(cli, ["timescales", "list", "--on", "2023-06-01"])
    assert result.exit_code == 0
    assert "2018" in next(line for line in result.output.splitlines() if line.startswith("icpc\t"))


def test_due_prints_the_iso_date_and_the_bank_holidays_skipped(database: Database) -> None:
    result = runner.invoke(cli, ["timescales", "due", "assessment", "2025-12-01"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2026-02-05"
    assert "  2025-12-25 Christmas Day" in lines and "  2025-12-26 Boxing Day" in lines
    assert "  2026-01-01 New Year's Day" in lines


def test_due_uses_the_councils_local_setting(database: Database) -> None:
    with database.transaction() as s:
        put(s, "timescales.cp_visit.working_days", 5, None)
    result = runner.invoke(cli, ["timescales", "due", "cp-visit", "2025-12-18"])
    assert result.output.splitlines()[0] == "2025-12-29"


def test_unknown_rule_or_bad_date_is_a_clear_message_and_exit_status_2(database: Database) -> None:
    unknown = runner.invoke(cli, ["timescales", "due", "icpc-soon", "2025-12-01"])
    assert unknown.exit_code == 2 and "no timescale called 'icpc-soon'" in unknown.output
    bad = runner.invoke(cli, ["timescales", "due", "icpc", "2025-02-30"])
    assert bad.exit_code == 2 and "not a date in ISO format" in bad.output
