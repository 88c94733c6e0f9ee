"""The ``safeguarding`` command: users, tokens, settings, audit verify; run against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from safeguarding.cli import app as cli
from safeguarding.core.audit import Actor, AuditEvent, record
from safeguarding.core.db import Database, get_database
from safeguarding.core.security import verify_password
from safeguarding.core.users import ApiToken, User
from tests.support import Factory

runner = CliRunner()
GOOD = "long enough and not common"


def test_the_cli_uses_the_test_database(database: Database) -> None:
    assert get_database() is database


def test_users_create_reads_the_password_from_stdin_and_audits(database: Database, factory: Factory) -> None:
    team = factory.team("MASH North")
    result = runner.invoke(
        cli,
        [
            "users",
            "create",
            "cli.worker",
            "--role",
            "mash_worker",
            "--full-name",
            "Cleo Worker",
            "--team",
            "MASH North",
        ],
        input=GOOD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created cli.worker (MASH worker)" in result.output
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.username == "cli.worker")).one()
        assert user.team_id == team.id and user.full_name == "Cleo Worker"
        assert verify_password(user.password_hash, GOOD)
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "create")).one()
        assert (event.actor_username, event.target_id) == ("cli", str(user.id))


def test_users_create_partner_needs_a_known_agency(database: Database, factory: Factory) -> None:
    factory.agency("Northshire Police")
    ok = runner.invoke(
        cli,
        ["users", "create", "pc.jones", "--role", "partner_practitioner", "--agency", "Northshire Police"],
        input=GOOD + "\n",
    )
    assert ok.exit_code == 0, ok.output
    missing = runner.invoke(cli, ["users", "create", "pc.smith", "--role", "partner_practitioner"], input=GOOD + "\n")
    assert missing.exit_code == 1
    assert "must belong to a partner agency" in missing.output


def test_users_create_refuses_bad_role_weak_password_and_unknown_team(database: Database) -> None:
    bad_role = runner.invoke(cli, ["users", "create", "x.user", "--role", "wizard"], input=GOOD + "\n")
    assert bad_role.exit_code == 2 and "role must be one of" in bad_role.output
    weak = runner.invoke(cli, ["users", "create", "x.user", "--role", "mash_worker"], input="short\n")
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output
    no_team = runner.invoke(
        cli, ["users", "create", "x.user", "--role", "mash_worker", "--team", "Nowhere"], input=GOOD + "\n"
    )
    assert no_team.exit_code == 1 and "No team named 'Nowhere'" in no_team.output
    with database.transaction() as s:
        assert s.scalar(select(User).where(User.username == "x.user")) is None


def test_tokens_create_prints_a_token_that_works_against_the_api(
    database: Database, factory: Factory, app: FastAPI
) -> None:
    factory.agency("Eastshire Police")
    runner.invoke(
        cli,
        ["users", "create", "pc.api", "--role", "partner_practitioner", "--agency", "Eastshire Police"],
        input=GOOD + "\n",
    )
    result = runner.invoke(cli, ["tokens", "create", "pc.api", "--label", "Police RMS"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    with TestClient(app) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json() == {
        "username": "pc.api",
        "full_name": "pc.api",
        "role": "partner_practitioner",
        "team": None,
        "agency": "Eastshire Police",
    }
    with database.transaction() as s:
        assert s.scalar(select(ApiToken.label)) == "Police RMS"
        assert s.scalar(select(ApiToken.token_hash)) != token


def test_tokens_create_for_unknown_or_inactive_user_fails(database: Database, factory: Factory) -> None:
    from safeguarding.core.users import Role

    unknown = runner.invoke(cli, ["tokens", "create", "nobody"])
    assert unknown.exit_code == 1 and "No user named 'nobody'" in unknown.output
    user = factory.user(Role.MASH_WORKER, username="gone")
    with database.transaction() as s:
        s.get_one(User, user.id).active = False
    inactive = runner.invoke(cli, ["tokens", "create", "gone"])
    assert inactive.exit_code == 1 and "not active" in inactive.output


def test_users_list_and_settings_show(database: Database, factory: Factory) -> None:
    from safeguarding.core.users import Role

    factory.user(Role.MASH_WORKER, username="listed1")
    listed = runner.invoke(cli, ["users", "list"])
    assert listed.exit_code == 0 and "listed1" in listed.output
    shown = runner.invoke(cli, ["settings", "show"])
    assert shown.exit_code == 0
    assert "rag.red.hours" in shown.output


def _chain(database: Database, rows: int = 4) -> None:
    for n in range(rows):
        with database.transaction() as s:
            record(s, Actor.system("test"), "view", "contact", n, detail={"n": n})


def test_audit_verify_passes_on_a_whole_chain(database: Database) -> None:
    _chain(database)
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "4 rows verified" in result.output


def test_audit_verify_names_an_altered_row(database: Database) -> None:
    _chain(database)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET detail = '{\"n\": 99}' WHERE id = 2"))
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "row 2" in result.output and "altered" in result.output


def test_audit_verify_names_the_row_after_a_deleted_one(database: Database) -> None:
    _chain(database)
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = 2"))
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "row 3" in result.output and "removed" in result.output


def test_settings_set_validates_and_audits(database: Database) -> None:
    from safeguarding.core import local_settings

    ok = runner.invoke(cli, ["settings", "set", "rag.amber.hours", "12"])
    assert ok.exit_code == 0, ok.output
    assert "24.0 -> 12.0" in ok.output
    bad = runner.invoke(cli, ["settings", "set", "rag.amber.hours", "soon"])
    assert bad.exit_code == 1 and "must be a number" in bad.output
    late = runner.invoke(cli, ["settings", "set", "office.opens", "18:00"])
    assert late.exit_code == 1 and "closes must be later than it opens" in late.output
    unknown = runner.invoke(cli, ["settings", "set", "rag.purple.hours", "1"])
    assert unknown.exit_code == 1 and "no setting called" in unknown.output
    with database.transaction() as s:
        assert local_settings.get(s, "rag.amber.hours") == 12.0
        assert local_settings.get(s, "office.opens") == "09:00"
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.target_type == "local_setting")))
    assert [(e.target_id, e.actor_username) for e in events] == [("rag.amber.hours", "cli")]


def test_tokens_list_and_revoke(database: Database, factory: Factory, app: FastAPI) -> None:
    from safeguarding.core.users import Role

    factory.user(Role.MASH_WORKER, username="tok.user")
    token = runner.invoke(cli, ["tokens", "create", "tok.user", "--label", "nightly"]).output.strip().splitlines()[-1]
    listed = runner.invoke(cli, ["tokens", "list", "tok.user"])
    assert listed.exit_code == 0 and "nightly" in listed.output and "never" in listed.output
    with database.transaction() as s:
        token_id = s.scalar(select(ApiToken.id))
    revoked = runner.invoke(cli, ["tokens", "revoke", str(token_id)])
    assert revoked.exit_code == 0
    with TestClient(app) as client:
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(cli, ["tokens", "revoke", "999999"]).exit_code == 1


def test_audit_verify_finds_a_search_hidden_from_a_persons_history(database: Database) -> None:
    from safeguarding.core.audit import record_search

    _chain(database, 2)
    with database.transaction() as s:
        record_search(s, Actor.system("test"), "person", {"last_name": "quill"}, [41, 42])
    whole = runner.invoke(cli, ["audit", "verify"])
    assert whole.exit_code == 0, whole.output
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_search_hit WHERE person_id = 42"))
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "disagrees with row 3" in " ".join(result.output.split())  # rich wraps long lines


_FRESH = """
import sys
from typer.testing import CliRunner
from safeguarding.cli import app
result = CliRunner().invoke(app, sys.argv[1:])
print(result.exit_code, "safeguarding.schema" in sys.modules, "safeguarding.casework.models" in sys.modules)
print(result.output)
"""


def _fresh(tmp_path: Path, *arguments: str) -> list[str]:
    """A command in a new interpreter (as `safeguarding` runs): its exit code, and whether it loaded the tables."""
    env = {**os.environ, "SAFEGUARDING_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", _FRESH, *arguments], capture_output=True, text=True, env=env, check=True, timeout=120
    )
    return done.stdout.splitlines()


def test_validating_a_returns_files_starts_without_every_capabilitys_tables(tmp_path: Path) -> None:
    # A second of start-up spared (issue 15's target: a return of 100,000 children validated in under 10 s).
    lines = _fresh(tmp_path, "returns", "ssda903", "validate", str(tmp_path / "no-such-folder"))
    assert lines[0] == "2 False False"
    lines = _fresh(tmp_path, "returns", "cin-census", "validate", str(tmp_path / "no-such.xml"))
    assert lines[0] == "2 False False"


def test_a_command_that_reads_the_record_loads_every_capability_first(tmp_path: Path) -> None:
    assert _fresh(tmp_path, "db", "upgrade")[0].startswith("0 True True")
    export = _fresh(tmp_path, "returns", "ssda903", "export", "--year", "2026", "--out", str(tmp_path / "out"))
    # An empty record: the tables' header rows, and exit 1 saying no child was looked after.
    assert export[0] == "1 True True" and "No child was looked after in 2025-26" in export[1], export
    assert (tmp_path / "out" / "header.csv").exists()
