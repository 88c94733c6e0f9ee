"""Write the demo council as this release writes it, for the upgrade test of every later release.

Run at release, once the new head revision is pinned in src/safeguarding/migrations/released_revisions.txt:

    .venv/bin/python -m tests.releases.make_fixture

It builds a fresh SQLite database at head, loads `safeguarding demo --size small --seed 1` (at a fixed reference
time, so the content does not depend on the day) and writes tests/releases/<head>_demo_council.jsonl.gz. Commit it;
tests/releases/test_upgrade_keeps_data.py then upgrades it to every later head and checks that nothing is lost.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory

from safeguarding.cli import alembic_config, upgrade_database
from safeguarding.core.db import Database
from safeguarding.demo.council import build_council
from tests.releases.council_dump import dump, fixture_path
from tests.releases.test_released_revisions import released

SIZE, SEED = "small", 1
REFERENCE_TIME = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def main() -> int:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    if head not in {pin.revision for pin in released()}:
        print(f"Revision {head} is not released yet: pin it in released_revisions.txt first.", file=sys.stderr)
        return 1
    out = fixture_path(head)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'release.db'}"
        upgrade_database(url)
        database = Database(url)
        build_council(database, size=SIZE, seed=SEED, now=REFERENCE_TIME)
        with database.engine.connect() as connection:
            counts = dump(connection, head, out, f"safeguarding demo --size {SIZE} --seed {SEED}")
        database.dispose()
    print(
        f"Wrote {out} ({out.stat().st_size // 1024} KiB): {sum(counts.values())} rows in "
        f"{sum(1 for n in counts.values() if n)} of {len(counts)} tables"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
