"""Rewrite the initial migration from the models.

Used only until the first release: while no council runs the system, the schema is one migration kept in step
with the models. After the first release, every change is a new migration (`alembic revision --autogenerate`).
Run: .venv/bin/python migrations/regenerate_initial.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    for old in (ROOT / "migrations" / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(str(ROOT / "alembic.ini"))
        config.set_main_option("sqlalchemy.url", f"sqlite:///{tmp}/empty.db")
        command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
    for new in (ROOT / "migrations" / "versions").glob("0001_*.py"):
        print(f"wrote {new.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
