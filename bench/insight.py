"""Insight on a demo council of its own: the indicators page's figures, a drill-down, Annex A and workforce.

Builds its council in var/bench/h7/insight-<size>.db (the shared var/bench/large.db is left to the other
benchmarks), runs the nightly deadline recompute once (visits in time read the deadlines), then measures through
the services (access check, audit row):

- every indicator for twelve months, all teams (``indicators.figures``), and the CSV of them;
- the children behind the re-referral figure (``indicators.children_behind``), as a team manager;
- Annex A for six and twelve months (``annex_a.lists.build`` and writing the workbook to memory);
- the workforce measures and caseloads (``workforce.picture``).

    .venv/bin/python bench/insight.py [--size medium|large] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, RESULTS_DIR, figures, machine, schema_drift

OWN_DIR = BENCH_DIR / "h7"


def ensure_council(size: str) -> str:
    from safeguarding.cli import upgrade_database
    from safeguarding.core.db import Database
    from safeguarding.demo.council import build_council, database_is_empty
    from safeguarding.timescales.service import recompute_all

    OWN_DIR.mkdir(parents=True, exist_ok=True)
    path = OWN_DIR / f"insight-{size}.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    if schema_drift(url):
        print("The insight benchmark database predates the schema; rebuilding it.", flush=True)
        for old in path.parent.glob(path.name + "*"):
            old.unlink()
        upgrade_database(url)
    database = Database(url)
    try:
        if database_is_empty(database):
            print(f"Building the {size} demo council in {path} ...", flush=True)
            began = time.perf_counter()
            build_council(database, size=size, seed=1)
            with database.transaction() as session:
                recompute_all(session)
            print(f"Built in {time.perf_counter() - began:.1f} s", flush=True)
    finally:
        database.engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="medium", choices=("small", "medium", "large"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = ensure_council(args.size)

    from sqlalchemy import select

    from safeguarding.core.calendar import LONDON, add_calendar_months
    from safeguarding.core.db import Database
    from safeguarding.core.users import Role, User
    from safeguarding.insight import indicators, workforce
    from safeguarding.insight.period import Period
    from safeguarding.returns.annex_a.lists import build
    from safeguarding.returns.annex_a.workbook import write_workbook

    database = Database(url)
    with database.transaction() as s:
        analyst = s.scalars(select(User).where(User.role == Role.PERFORMANCE_ANALYST)).first()
        manager = s.scalars(select(User).where(User.role == Role.TEAM_MANAGER)).first()
        assert analyst and manager
        s.expunge_all()
    today = datetime.now(UTC).astimezone(LONDON).date()
    year = Period(add_calendar_months(today, -12) + timedelta(days=1), today)
    half = Period(add_calendar_months(today, -6) + timedelta(days=1), today)
    filters = indicators.Filters(year, None, "All teams")
    results: dict[str, object] = {}

    def measure(name: str, work: object) -> None:
        walls, cpus = [], []
        for _ in range(args.repeat):
            began, cpu = time.perf_counter(), time.process_time()
            with database.transaction() as s:
                work(s)  # type: ignore[operator]
            walls.append((time.perf_counter() - began) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        wall, cpu_figures = figures(walls), figures(cpus)
        print(f"{name:<42} wall {wall.line()}   cpu {cpu_figures.line()}", flush=True)
        results[name] = {"wall_ms": wall.__dict__, "cpu_ms": cpu_figures.__dict__}

    measure(
        "indicators: all nine, 12 months", lambda s: indicators.figures(s, database, s.merge(analyst), filters, today)
    )
    measure(
        "indicators: CSV, 12 months",
        lambda s: indicators.export_csv(s, database, s.merge(analyst), filters, None, today),
    )
    measure(
        "indicators: children behind re-referrals",
        lambda s: indicators.children_behind(s, database, s.merge(manager), filters, "re_referrals", None, today),
    )
    measure("annex A: 6 months, built and written", lambda s: write_workbook(build(s, half), io.BytesIO()))
    measure("annex A: 12 months, built and written", lambda s: write_workbook(build(s, year), io.BytesIO()))
    measure("workforce: measures and caseloads", lambda s: workforce.picture(s, database, s.merge(analyst), today))
    with database.transaction() as s:
        sizes = {sheet.spec.sheet: len(sheet.rows) for sheet in build(s, year).sheets}
    print("Annex A rows (12 months):", sizes)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"insight-{args.size}.json").write_text(
        json.dumps(
            {"size": args.size, "machine": machine(), "annex_a_rows_12_months": sizes, "results": results},
            indent=2,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
