"""Issue 12's whole series of load runs, and its record: the four busiest pages at 50 and 100 users on both databases.

For each of ``bench/mash_load.py --pages mash|case|team`` (the MASH queue and contact; the case page of the child
with the longest history as a social worker; ``/due/team`` as a team manager): three runs at 50 users on PostgreSQL
(the target is met only if all three meet it), one at 100 users on PostgreSQL, and one each at 50 and 100 users on
SQLite. Each run is 60 s (``--seconds``) after its sign-ins; 18 runs take about 30 minutes. Writes
``bench/results/mash-load-<date>-b.md`` (``--record``) with every run's latency, load average, CPU and server-side
breakdown, the verdicts, and README rows; the raw JSON of each run goes to ``bench/results/runs-<date>-b/``.

Run it on a quiet machine (``uptime`` under 1.0, no test suite running): figures taken beside other work measure
that work too, and the record says the load average of every run.

    .venv/bin/python bench/mash_series.py [--seconds 60] [--postgresql-url postgresql://postgres@127.0.0.1:5432/sg_bench]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS_DIR, ROOT, machine

PAGES = {"mash": ("queue", "contact"), "case": ("case",), "team": ("team",)}
TITLES = {
    "queue": "`/mash/queue`",
    "contact": "`/mash/contacts/{id}`",
    "case": "`/cases/{id}` (longest history)",
    "team": "`/due/team`",
}
TARGETS = {50: 200.0, 100: 400.0}
BREAKDOWN = (
    "cpu_ms",
    "db_ms",
    "queries",
    "chain_lock_ms",
    "write_gate_ms",
    "pool_ms",
    "thread_queue_ms",
    "hops",
    "commit_ms",
    "durable_ms",
    "loop_lag_ms",
    "unaccounted_ms",
)


def run_once(label: str, pages: str, users: int, seconds: float, url: str | None, runs_dir: Path) -> dict[str, object]:
    env = dict(os.environ)
    env.pop("SAFEGUARDING_BENCH_DATABASE_URL", None)
    if url:
        env["SAFEGUARDING_BENCH_DATABASE_URL"] = url
    command = [
        sys.executable,
        "bench/mash_load.py",
        "--pages",
        pages,
        "--users",
        str(users),
        "--seconds",
        str(seconds),
        "--label",
        label,
    ]
    print(f"== {label}: {' '.join(command[1:])}", flush=True)
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    print(finished.stdout[-3000:], flush=True)
    if finished.returncode:
        print(finished.stderr[-3000:], flush=True)
        return {"label": label, "failed": finished.stderr[-500:]}
    name = "mash_load" if pages == "mash" else f"mash_load-{pages}"
    suffix = "-postgresql" if url else ""
    source = RESULTS_DIR / f"{name}{suffix}.json"
    result: dict[str, object] = json.loads(source.read_text())
    shutil.copy(source, runs_dir / f"{label}.json")
    return result


def _ms(value: object) -> str:
    return f"{float(value):,.0f}" if isinstance(value, int | float) else "-"  # type: ignore[arg-type]


def write_record(
    path: Path, runs: list[tuple[str, str, int, str, dict[str, object]]], began: str, seconds: float
) -> None:
    facts = machine()
    lines = [
        f"# Issue 12: the four busiest pages under load, the series of {began[:10]} (`bench/mash_series.py`)",
        "",
        f"Began {began}; written {datetime.now(UTC).isoformat(timespec='seconds')}. Machine: {facts['cpu']}, "
        f"{facts['cores']} cores (app, database and load generator on them), {facts['ram']}, Python "
        f"{facts['python']}. Each run: N signed-in users, about 1 s of thought between pages, {seconds:.0f} s, "
        "2 uvicorn workers, the large demo council; the load generator is one process with a plain keep-alive "
        "socket per user. Target p95: 200 ms at 50 users, 400 ms at 100.",
        "",
        "## Latency (client side, ms: p50 / p95 / p99)",
        "",
        "| run | database | users | page | load before → after | CPU busy | p50 / p95 / p99 | requests | errors | "
        "target |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    verdicts: dict[tuple[str, int, str], list[bool]] = {}
    for label, database, users, pages, result in runs:
        if "failed" in result:
            lines.append(f"| {label} | {database} | {users} | {pages} | - | - | failed | - | - | - |")
            continue
        cpu = result.get("cpu_percent") or {}
        for page in PAGES[pages]:
            figure = result.get(page) or {}
            assert isinstance(figure, dict)
            met = float(figure.get("p95", float("inf"))) <= TARGETS[users]
            verdicts.setdefault((database, users, page), []).append(met)
            lines.append(
                f"| {label} | {database} | {users} | {TITLES[page]} | {result.get('load_average_before', '?')} → "
                f"{result.get('load_average', '?')} | {cpu.get('busy', '?') if isinstance(cpu, dict) else '?'} % | "
                f"{_ms(figure.get('p50'))} / **{_ms(figure.get('p95'))}** / {_ms(figure.get('p99'))} | "
                f"{figure.get('count', 0)} | {result.get('errors', '?')} | {'met' if met else 'MISSED'} |"
            )
    lines += ["", "## Against the targets", ""]
    for (database, users, page), met in verdicts.items():
        lines.append(
            f"- {TITLES[page]}, {database}, {users} users: met in {sum(met)} run(s) of {len(met)}"
            f"{' (three runs of three: met)' if len(met) == 3 and all(met) else ''}"
        )
    lines += [
        "",
        "## Server-side breakdown (ms: p50 / p95 / mean of the slowest 5 %)",
        "",
        "| run | page | " + " | ".join(k.removesuffix("_ms") for k in BREAKDOWN) + " |",
        "| --- | --- | " + " | ".join("---" for _ in BREAKDOWN) + " |",
    ]
    for label, _database, _users, pages, result in runs:
        split = result.get("breakdown") or {}
        assert isinstance(split, dict)
        for page in PAGES[pages]:
            cells = split.get(page)
            if not cells:
                continue
            lines.append(
                f"| {label} | {page} | "
                + " | ".join(
                    f"{cells[k]['p50']:.0f} / {cells[k]['p95']:.0f} / {cells[k]['tail_mean']:.0f}" for k in BREAKDOWN
                )
                + " |"
            )
    lines += ["", "PostgreSQL backends per 100 ms sample (mean number in each state, the largest five):", ""]
    for label, database, _users, _pages, result in runs:
        waits = result.get("postgresql_backends")
        if database == "PostgreSQL" and isinstance(waits, dict):
            lines.append(f"- {label}: " + "; ".join(f"{k} {v}" for k, v in list(waits.items())[:5]))
    lines += [
        "",
        "## README rows",
        "",
        "| benchmark | measure | database | n | p50 | p95 | p99 | target |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    grouped: dict[tuple[str, int, str], list[dict[str, float]]] = {}
    for _label, database, users, pages, result in runs:
        for page in PAGES[pages]:
            figure = result.get(page)
            if isinstance(figure, dict):
                grouped.setdefault((database, users, page), []).append(figure)
    for (database, users, page), figures in grouped.items():
        met = verdicts.get((database, users, page), [])
        lines.append(
            f"| `mash_load` | {TITLES[page]}, {users} concurrent users ({began[:10]}, "
            f"{len(figures)} run{'s' if len(figures) > 1 else ''}) | {database} | "
            f"{' / '.join(str(int(f['count'])) for f in figures)} | "
            f"{' / '.join(_ms(f['p50']) + ' ms' for f in figures)} | "
            f"{' / '.join(_ms(f['p95']) + ' ms' for f in figures)} | "
            f"{' / '.join(_ms(f['p99']) + ' ms' for f in figures)} | p95 ≤ {TARGETS[users]:.0f} ms: "
            f"{'met' if met and all(met) else 'missed'} ({sum(met)} of {len(met)}) |"
        )
    path.write_text("\n".join(lines) + "\n")
    print(f"Wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--postgresql-url", default="postgresql://postgres@127.0.0.1:5432/sg_bench")
    parser.add_argument("--only", choices=["postgresql", "sqlite"], help="one database's runs only")
    parser.add_argument("--record", default=None, help="the record's file (default mash-load-<today>-b.md)")
    parser.add_argument("--pages", default=",".join(PAGES), help=f"some of {','.join(PAGES)} (default all)")
    parser.add_argument("--runs-at-50", type=int, default=3, help="PostgreSQL runs at 50 users a page (default 3)")
    parser.add_argument("--runs-at-100", type=int, default=1, help="PostgreSQL runs at 100 users a page (default 1)")
    args = parser.parse_args()
    chosen = [p for p in PAGES if p in args.pages.split(",")]
    began = datetime.now(UTC).isoformat(timespec="seconds")
    day = began[:10]
    record = Path(args.record) if args.record else RESULTS_DIR / f"mash-load-{day}-b.md"
    # The runs' JSON beside the record: runs-<the record's name without mash-load->.
    runs_dir = RESULTS_DIR / f"runs-{record.stem.removeprefix('mash-load-')}"
    runs_dir.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[str, str, int, str | None]] = []  # (database, pages, users, url)
    if args.only != "sqlite":
        for pages in chosen:
            plan += [("PostgreSQL", pages, 50, args.postgresql_url)] * args.runs_at_50 + [
                ("PostgreSQL", pages, 100, args.postgresql_url)
            ] * args.runs_at_100
    if args.only != "postgresql":
        for pages in chosen:
            plan += [("SQLite", pages, 50, None), ("SQLite", pages, 100, None)]
    runs: list[tuple[str, str, int, str, dict[str, object]]] = []
    counter: dict[tuple[str, str, int], int] = {}
    for database, pages, users, url in plan:
        key = (database, pages, users)
        counter[key] = counter.get(key, 0) + 1
        label = f"{pages}-{'pg' if url else 'sqlite'}-u{users}-{counter[key]}"
        runs.append((label, database, users, pages, run_once(label, pages, users, args.seconds, url, runs_dir)))
        # After every run, so an interrupted series keeps what it measured.
        write_record(record, runs, began, args.seconds)


if __name__ == "__main__":
    main()
