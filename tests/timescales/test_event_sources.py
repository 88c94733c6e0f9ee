"""Timescales reads no capability's tables: each capability supplies its own clock events. Every capability whose
records start or stop a clock supplies them once its package is imported (as the app, the command line and the
nightly job do through ``safeguarding.schema``), and the nightly job's fingerprint covers their code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from safeguarding.casework.case_record import CHRONOLOGY_KINDS
from safeguarding.timescales import events, store


def test_every_capability_with_clock_events_supplies_them() -> None:
    assert [source.name for source in events.sources()] == [
        "casework",
        "children_in_care",
        "children_in_care.care_leavers",
        "early_help",
        "exploitation",
        "front_door",
    ]
    assert {source.module for source in events.sources()} == {
        "safeguarding.casework.timescale_events",
        "safeguarding.children_in_care.timescale_events",
        "safeguarding.children_in_care.care_leaver_timescale_events",
        "safeguarding.early_help.timescale_events",
        "safeguarding.exploitation.timescale_events",
        "safeguarding.front_door.timescale_events",
    }


def test_the_command_line_alone_brings_every_source() -> None:
    # The nightly job runs as `safeguarding timescales recompute` in a process of its own: every command but a
    # return's validation loads every capability before it runs (safeguarding.cli).
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from typer.testing import CliRunner; from safeguarding.cli import app; "
            "assert CliRunner().invoke(app, ['timescales', 'list']).exit_code == 0; "
            "from safeguarding.timescales import events; "
            "print(','.join(s.name for s in events.sources()))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()
    assert found == "casework,children_in_care,children_in_care.care_leavers,early_help,exploitation,front_door"


def test_a_change_to_a_capabilitys_reader_makes_the_next_night_a_full_run(monkeypatch: pytest.MonkeyPatch) -> None:
    settings: dict[str, object] = {}
    before = store.fingerprint(settings)
    source = events.sources()[0]
    # Another file in the reader's place: as if its code had changed.
    monkeypatch.setattr(source.read, "__module__", "safeguarding.timescales.store")
    assert store.fingerprint(settings) != before


def test_the_front_doors_contacts_head_the_chronologys_kinds() -> None:
    assert list(CHRONOLOGY_KINDS)[:2] == ["contact", "referral"]
    assert CHRONOLOGY_KINDS["contact"] == "Contacts"
