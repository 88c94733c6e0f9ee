"""Signed checkpoints catch what the hash chain alone cannot: the last rows deleted, or a row edited and every later
hash computed again, by someone who can write to the database but does not hold the checkpoint key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner, Result

from safeguarding.cli import app as cli
from safeguarding.core import audit_checkpoint
from safeguarding.core.audit import GENESIS_HASH, Actor, AuditEvent, ChainBreak, record, row_hash, verify_chain
from safeguarding.core.db import Database
from safeguarding.core.settings import get_settings

runner = CliRunner()
KEY = "k" * 16 + "a-synthetic-checkpoint-key-for-tests"


@pytest.fixture()
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(get_settings(), "audit_checkpoint_key", KEY)
    monkeypatch.setattr(get_settings(), "audit_checkpoint_key_file", "")
    return KEY


def _write(database: Database, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        with database.transaction() as s:
            record(s, Actor.system("t"), "view", "person", n, person_id=n, detail={"n": n})


def _checkpoint(out: Path | None = None) -> dict:
    result = runner.invoke(cli, ["audit", "checkpoint", *(["--out", str(out)] if out else [])])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def _verify(*files: Path) -> Result:
    args = ["audit", "verify"]
    for f in files:
        args += ["--checkpoint", str(f)]
    return runner.invoke(cli, args)


def _chain_whole(database: Database) -> bool:
    with database.transaction() as s:
        return not any(isinstance(i, ChainBreak) for i in verify_chain(s))


def _delete_last(database: Database, count: int) -> None:
    with database.engine.begin() as conn:
        last = conn.execute(text("SELECT max(id) FROM audit_event")).scalar_one()
        conn.execute(text("DELETE FROM audit_event WHERE id > :id"), {"id": last - count})


def _edit_and_rehash(database: Database, row_id: int) -> None:
    """The attack the chain alone misses: change one row, then compute every later row's hash again."""
    with database.transaction() as s:
        rows = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        s.expunge_all()
    prev = GENESIS_HASH
    updates = []
    for row in rows:
        if row.id < row_id:
            prev = row.hash
            continue
        if row.id == row_id:
            row.detail = json.dumps({"n": "tampered"})
        row.prev_hash = prev
        row.hash = prev = row_hash(prev, row)
        updates.append({"id": row.id, "detail": row.detail, "prev": row.prev_hash, "hash": row.hash})
    with database.engine.begin() as conn:
        for u in updates:
            conn.execute(
                text("UPDATE audit_event SET detail = :detail, prev_hash = :prev, hash = :hash WHERE id = :id"), u
            )


def test_an_untouched_chain_verifies_against_its_checkpoints(database: Database, key: str, tmp_path: Path) -> None:
    out = tmp_path / "checkpoints.jsonl"
    _write(database, 3)
    first = _checkpoint(out)
    _write(database, 2, start=3)
    second = _checkpoint(out)
    assert (first["row_count"], second["row_count"]) == (3, 5)
    assert len(out.read_text().splitlines()) == 2
    result = _verify(out)
    assert result.exit_code == 0, result.output
    assert "Audit chain whole: 5 rows verified, and it matches 3 signed checkpoints" in result.output


def test_deleting_the_last_rows_is_caught_against_the_stored_and_the_file_checkpoint(
    database: Database, key: str, tmp_path: Path
) -> None:
    out = tmp_path / "checkpoints.jsonl"
    _write(database, 6)
    _checkpoint(out)
    _delete_last(database, 2)
    _write(database, 1, start=10)  # work goes on: the chain is whole again on its own
    assert _chain_whole(database)
    result = _verify()
    assert result.exit_code == 1
    # (SQLite may give the new row a deleted row's number, so the count is "at least".)
    assert "Audit rows are missing" in result.output and "row 6 itself is gone" in result.output
    # Someone with the database removes the stored checkpoints too: the file off the server still says it.
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_checkpoint"))
    assert _verify().exit_code == 0
    from_file = _verify(out)
    assert from_file.exit_code == 1
    assert "Audit rows are missing" in from_file.output and "checkpoints.jsonl line 1" in from_file.output


def test_a_row_edited_and_every_later_hash_recomputed_is_caught(database: Database, key: str, tmp_path: Path) -> None:
    out = tmp_path / "checkpoints.jsonl"
    _write(database, 3)
    _checkpoint(out)
    _write(database, 3, start=3)
    _checkpoint(out)
    _edit_and_rehash(database, 5)
    assert _chain_whole(database), "the attack leaves the hash chain whole on its own"
    result = _verify(out)
    assert result.exit_code == 1
    assert "Audit rows were re-written: row 6" in result.output
    # The first checkpoint still matches, so the damage is placed between the two.
    assert "The damage is after row 3" in result.output and "at or before row 6" in result.output


def test_a_forged_stored_checkpoint_is_reported(database: Database, key: str) -> None:
    _write(database, 4)
    _checkpoint()
    _delete_last(database, 1)
    # Without the key, the best an attacker can do is move the stored checkpoint to the new head.
    with database.engine.begin() as conn:
        head = conn.execute(text("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")).one()
        conn.execute(
            text("UPDATE audit_checkpoint SET row_count = 3, last_id = :id, head_hash = :hash"),
            {"id": head.id, "hash": head.hash},
        )
    result = _verify()
    assert result.exit_code == 1
    assert "A stored audit checkpoint is forged or altered" in result.output


def test_no_checkpoint_is_written_without_a_key(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "audit_checkpoint_key", "")
    monkeypatch.setattr(get_settings(), "audit_checkpoint_key_file", "")
    _write(database, 1)
    result = runner.invoke(cli, ["audit", "checkpoint"])
    assert result.exit_code == 2
    assert "No audit checkpoint key is set" in result.output and "SAFEGUARDING_AUDIT_CHECKPOINT_KEY" in result.output
    with database.transaction() as s:
        assert audit_checkpoint.stored(s) == []
    monkeypatch.setattr(get_settings(), "audit_checkpoint_key", "short")
    assert "too short" in runner.invoke(cli, ["audit", "checkpoint"]).output


def test_the_key_may_come_from_a_file(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file = tmp_path / "checkpoint.key"
    key_file.write_text(KEY + "\n")
    monkeypatch.setattr(get_settings(), "audit_checkpoint_key", "")
    monkeypatch.setattr(get_settings(), "audit_checkpoint_key_file", str(key_file))
    _write(database, 2)
    line = _checkpoint()
    head = audit_checkpoint.Head(
        at=audit_checkpoint.datetime.fromisoformat(line["at"]),
        row_count=2,
        last_id=line["last_id"],
        head_hash=line["head_hash"],
        signature=line["signature"],
    )
    assert audit_checkpoint.signed(head, KEY.encode())
    assert _verify().exit_code == 0


def test_a_checkpoint_line_can_go_to_syslog(database: Database, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import syslog

    sent: list[str] = []
    monkeypatch.setattr(syslog, "syslog", lambda _priority, message: sent.append(message))
    _write(database, 1)
    assert runner.invoke(cli, ["audit", "checkpoint", "--syslog"]).exit_code == 0
    assert len(sent) == 1 and json.loads(sent[0])["kind"] == audit_checkpoint.LINE_KIND


def test_a_broken_chain_is_not_signed(database: Database, key: str) -> None:
    _write(database, 3)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET detail = 'tampered' WHERE id = 2"))
    result = runner.invoke(cli, ["audit", "checkpoint"])
    assert result.exit_code == 1 and "broken at row 2" in result.output
    with database.transaction() as s:
        assert audit_checkpoint.stored(s) == []


def test_a_forged_or_garbled_line_in_the_file_is_reported(database: Database, key: str, tmp_path: Path) -> None:
    out = tmp_path / "checkpoints.jsonl"
    _write(database, 2)
    line = _checkpoint(out)
    forged = {**line, "row_count": 1}
    out.write_text(out.read_text() + json.dumps(forged) + "\nnot json\n")
    result = _verify(out)
    assert result.exit_code == 1
    assert "A checkpoint in the file is forged or altered" in result.output
    assert "Line 3 of" in result.output
