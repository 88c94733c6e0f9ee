"""Released migrations never change, and the revisions form one line from the first to the head.

A council's database records the revision it is at; a released revision edited afterwards would leave databases
already past it without the change, and a second head would leave `db upgrade` not knowing which way to go.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from alembic.script import Script, ScriptDirectory

from safeguarding.cli import alembic_config

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "safeguarding" / "migrations"
PINS = MIGRATIONS / "released_revisions.txt"


@dataclass(frozen=True)
class Pin:
    revision: str
    sha256: str
    path: str


def released() -> list[Pin]:
    """The pinned revisions, oldest first."""
    pins = []
    for line in PINS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            revision, sha256, path = line.split()
            pins.append(Pin(revision, sha256, path))
    return pins


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def chain() -> list[Script]:
    """Every revision from the first to the head."""
    return list(reversed(list(scripts().walk_revisions())))


def test_released_revision_files_are_unchanged() -> None:
    pins = released()
    assert pins, "released_revisions.txt pins no revision"
    for pin in pins:
        file = MIGRATIONS / pin.path
        assert file.is_file(), (
            f"released migration {pin.path} (revision {pin.revision}) was deleted or renamed: released revisions "
            "are append-only; put it back as it was"
        )
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        assert digest == pin.sha256, (
            f"released migration {pin.path} (revision {pin.revision}) was edited: databases already past it would "
            "never get the change. Put the file back as released and make the change a new revision "
            "(`safeguarding db revision -m ...`)"
        )
        script = scripts().get_revision(pin.revision)
        assert script is not None and Path(script.path).resolve() == file.resolve(), (
            f"{pin.path} no longer holds revision {pin.revision}"
        )


def test_revisions_form_one_line_and_the_released_ones_come_first() -> None:
    directory = scripts()
    assert len(directory.get_heads()) == 1, f"more than one head: {directory.get_heads()}; revisions must form a line"
    assert len(directory.get_bases()) == 1, f"more than one first revision: {directory.get_bases()}"
    revisions = chain()
    for script in revisions:
        assert not script.is_merge_point, f"revision {script.revision} merges branches; revisions must form a line"
        assert not script.is_branch_point, f"two revisions follow {script.revision}; revisions must form a line"
    pinned = [pin.revision for pin in released()]
    assert [s.revision for s in revisions[: len(pinned)]] == pinned, (
        "released_revisions.txt must list the first revisions of the chain, oldest first"
    )
