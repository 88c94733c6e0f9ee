"""Shared plumbing for the benchmarks: the large demo council in var/bench/, timing figures, machine facts.

Benchmarks are scripts, not tests: they print figures and never fail a build. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safeguarding.core.db import Database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
BENCH_DIR = ROOT / "var" / "bench"
RESULTS_DIR = ROOT / "bench" / "results"
LARGE_DB = BENCH_DIR / "large.db"
LOAD_FACTS = BENCH_DIR / "large.json"


def bench_database_url() -> str:
    """The benchmark database: SAFEGUARDING_BENCH_DATABASE_URL (e.g. PostgreSQL), else var/bench/large.db."""
    return os.environ.get("SAFEGUARDING_BENCH_DATABASE_URL", f"sqlite:///{LARGE_DB}")


def ensure_large_council(size: str = "large", seed: int = 1) -> dict[str, object]:
    """Build the council once (migrate, load) and reuse it; returns the facts of the load (time, counts)."""
    from safeguarding.cli import upgrade_database
    from safeguarding.core.db import Database
    from safeguarding.demo.council import build_council, database_is_empty

    url = bench_database_url()
    own_file = url.endswith(str(LARGE_DB))
    facts_file = LOAD_FACTS if own_file else BENCH_DIR / "large-external.json"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    upgrade_database(url)
    stale = schema_drift(url)
    if stale and own_file:
        # Until the first release the schema is one migration rewritten in place, so an old benchmark database
        # cannot be upgraded: build it again.
        print(f"The benchmark database predates the schema ({', '.join(stale[:5])}); rebuilding it.", flush=True)
        for path in LARGE_DB.parent.glob(LARGE_DB.name + "*"):
            path.unlink()
        facts_file.unlink(missing_ok=True)
        upgrade_database(url)
    elif stale:
        raise SystemExit(f"{url} does not match the current schema ({', '.join(stale[:5])}): recreate it")
    database = Database(url)
    try:
        if not database_is_empty(database):
            ensure_planner_statistics(database)
            if facts_file.exists():
                return dict(json.loads(facts_file.read_text()))
            return {"database": url, "note": "reused an existing council; load time not recorded"}
        print(f"Building the {size} demo council (seed {seed}) in {url} ...", flush=True)
        began, cpu_began = time.perf_counter(), time.process_time()
        summary = build_council(database, size=size, seed=seed)
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
        facts = {
            "database": url,
            "size": size,
            "seed": seed,
            "load_seconds": round(seconds, 1),
            # Wall time depends on what else the machine runs; the loader's own CPU time does not.
            "load_cpu_seconds": round(cpu_seconds, 1),
            "reference_time": summary.reference_time.isoformat(),
            "rows": summary.counts,
            "rows_total": sum(summary.counts.values()),
            "referrals": summary.referrals,
            "re_referral_rate": round(summary.re_referral_rate, 4),
            "open_contacts": summary.open_contacts,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        ensure_planner_statistics(database)
        facts_file.write_text(json.dumps(facts, indent=2))
        print(f"Loaded {facts['rows_total']:,} rows in {seconds:.1f} s ({cpu_seconds:.1f} s of CPU)", flush=True)
        return facts
    finally:
        database.dispose()


def ensure_planner_statistics(database: Database) -> None:
    """PostgreSQL: VACUUM ANALYZE a freshly bulk-loaded council that has no planner statistics yet.

    Without statistics the planner guesses (e.g. a thousand contacts per child) and picks parallel scans: the MASH
    pages took seconds under load. A server with autovacuum on would gather them within minutes; the test server
    here runs with autovacuum off. SQLite plans these queries well without ``ANALYZE``, so it is left alone.
    """
    from sqlalchemy import text

    if database.engine.dialect.name != "postgresql":
        return
    with database.engine.connect() as connection:
        analysed = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'contact' "
                "AND coalesce(last_analyze, last_autoanalyze) IS NOT NULL"
            )
        )
    if analysed:
        return
    print("Gathering planner statistics (VACUUM ANALYZE) ...", flush=True)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE)"))


def schema_drift(url: str) -> list[str]:
    """Tables and columns the models have that the database lacks."""
    from sqlalchemy import inspect

    from safeguarding.core.db import Database
    from safeguarding.schema import metadata

    database = Database(url)
    try:
        inspector = inspect(database.engine)
        present = set(inspector.get_table_names())
        missing: list[str] = []
        for table in metadata.sorted_tables:
            if table.name not in present:
                missing.append(table.name)
                continue
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in columns]
        return missing
    finally:
        database.dispose()


@dataclass(frozen=True)
class Figures:
    count: int
    p50: float
    p95: float
    p99: float
    mean: float
    maximum: float

    def line(self, unit: str = "ms") -> str:
        return (
            f"n={self.count}  p50={self.p50:.1f} {unit}  p95={self.p95:.1f} {unit}  p99={self.p99:.1f} {unit}  "
            f"mean={self.mean:.1f} {unit}  max={self.maximum:.1f} {unit}"
        )


def figures(samples_ms: list[float]) -> Figures:
    if not samples_ms:
        return Figures(0, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"))
    ordered = sorted(samples_ms)

    def pct(p: float) -> float:
        # Nearest-rank percentile: the value below which p% of samples fall.
        index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]

    return Figures(len(ordered), pct(50), pct(95), pct(99), statistics.fmean(ordered), ordered[-1])


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, Python and database, for the results file."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    url = bench_database_url()
    database = "SQLite (WAL) " + __import__("sqlite3").sqlite_version if url.startswith("sqlite") else url
    if url.startswith("postgresql"):
        try:
            version = subprocess.run(
                ["psql", url, "-Atc", "show server_version"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            database = f"PostgreSQL {version}" if version else "PostgreSQL"
        except (OSError, subprocess.SubprocessError):
            database = "PostgreSQL"
    try:
        load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        load = "unknown"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "load": load,
        "python": platform.python_version(),
        "database": database,
        "os": platform.platform(),
    }


def results_suffix() -> str:
    """Results of a PostgreSQL run sit beside the SQLite ones: ``latest-postgresql.md``, ``search-postgresql.json``."""
    return "-postgresql" if bench_database_url().startswith("postgresql") else ""


def write_json(name: str, data: dict[str, object]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}{results_suffix()}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


class Server:
    """``uvicorn safeguarding.app.main:app`` on 127.0.0.1 as a subprocess, pointed at the benchmark database."""

    def __init__(
        self,
        port: int = 8765,
        workers: int = 2,
        loop: str = "auto",
        http: str = "auto",
        app: str = "safeguarding.app.main:app",
    ) -> None:
        self.app = app
        self.port = port
        self.workers = workers
        # uvicorn's "auto" picks uvloop and httptools when installed (both pinned in requirements/production.txt).
        self.loop = loop
        self.http = http
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = BENCH_DIR / f"uvicorn-{port}.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        import httpx

        env = dict(
            os.environ,
            SAFEGUARDING_DATABASE_URL=bench_database_url(),
            SAFEGUARDING_SECRET_KEY=os.environ.get("SAFEGUARDING_SECRET_KEY", "bench-only-secret-key"),
        )
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                self.app,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
                "--no-access-log",
                "--loop",
                self.loop,
                "--http",
                self.http,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/sign-in", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"uvicorn did not start within 60 s; see {self.log_path}")

    def describe(self) -> str:
        """The event loop and HTTP parser uvicorn runs with, as "auto" resolves them."""
        import importlib.util

        loop = self.loop if self.loop != "auto" else ("uvloop" if importlib.util.find_spec("uvloop") else "asyncio")
        http = self.http if self.http != "auto" else ("httptools" if importlib.util.find_spec("httptools") else "h11")
        return f"{self.workers} uvicorn workers, {loop} + {http}"

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --- where each request's time went (core.timings, SAFEGUARDING_REQUEST_TIMINGS) ---------------------------------

BREAKDOWN = (
    "total_ms",
    "cpu_ms",
    "db_ms",
    "queries",
    "chain_lock_ms",
    "write_gate_ms",
    "sqlite_lock_ms",
    "pool_ms",
    "thread_queue_ms",
    "hops",
    "queued_before_handler_ms",
    "commit_ms",
    "durable_ms",
    "loop_lag_ms",
    "unaccounted_ms",
)


def timings_file(name: str) -> Path:
    """A fresh file for the server's per-request lines; the server is told of it through its environment."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"{name}{results_suffix()}-timings.jsonl"
    path.unlink(missing_ok=True)
    os.environ["SAFEGUARDING_REQUEST_TIMINGS"] = str(path)
    return path


def breakdown(path: Path, routes: dict[str, str], since: float = 0.0) -> dict[str, dict[str, dict[str, float]]]:
    """Per page (``routes``: page name -> route template), for each field: p50, p95, and the mean over the slowest
    5 % of requests (what the tail waits on). ``unaccounted_ms`` is the server time outside the threads' CPU, the
    database and the waits counted: mostly waiting for the GIL or the event loop."""
    by_route: dict[str, list[dict[str, float]]] = {}
    if path.exists():
        for raw in path.read_text().splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if line.get("at", 0) < since:
                continue
            line.setdefault("hops", 0)  # thread hops a request (since issue 12's third session)
            line.setdefault("durable_ms", 0.0)  # PostgreSQL's wait for the disk after the chain's lock (since 12)
            waits = sum(line[k] for k in ("chain_lock_ms", "write_gate_ms", "pool_ms", "thread_queue_ms", "durable_ms"))
            # BEGIN IMMEDIATE is inside db_ms already; the chain lock's statement too.
            line["unaccounted_ms"] = max(
                0.0, line["total_ms"] - line["cpu_ms"] - line["db_ms"] - waits + line["chain_lock_ms"]
            )
            by_route.setdefault(line["route"], []).append(line)
    result: dict[str, dict[str, dict[str, float]]] = {}
    for page, route in routes.items():
        lines = by_route.get(route, [])
        if not lines:
            continue
        slowest = sorted(lines, key=lambda line: line["total_ms"])[-max(1, len(lines) // 20) :]
        result[page] = {"requests": {"n": float(len(lines))}}
        for key in BREAKDOWN:
            values = figures([float(line[key]) for line in lines])
            result[page][key] = {
                "p50": values.p50,
                "p95": values.p95,
                "tail_mean": statistics.fmean(float(line[key]) for line in slowest),
            }
    return result


def print_breakdown(result: dict[str, dict[str, dict[str, float]]]) -> None:
    """The breakdown as a table: one row per field, p50 / p95 / mean of the slowest 5 % per page."""
    if not result:
        print("  (no per-request timings)")
        return
    pages = list(result)
    print("  server side, ms (p50 / p95 / mean of the slowest 5 %):")
    print("    " + f"{'':<26}" + "".join(f"{page:>26}" for page in pages))
    for key in BREAKDOWN:
        cells = "".join(
            f"{result[p][key]['p50']:>8.1f} {result[p][key]['p95']:>8.1f} {result[p][key]['tail_mean']:>8.1f}"
            for p in pages
        )
        print(f"    {key:<26}{cells}")


class CpuSample:
    """The machine's CPU use between two moments (/proc/stat): busy, idle, I/O wait and steal, in per cent."""

    def __init__(self) -> None:
        self.began = self._read()

    @staticmethod
    def _read() -> list[int]:
        try:
            return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        except (OSError, ValueError, IndexError):
            return []

    def since(self) -> dict[str, float]:
        now = self._read()
        if not now or not self.began:
            return {}
        delta = [b - a for a, b in zip(self.began, now, strict=False)]
        total = sum(delta) or 1
        # user nice system idle iowait irq softirq steal
        idle, iowait, steal = delta[3], delta[4], delta[7] if len(delta) > 7 else 0
        return {
            "busy": round(100 * (total - idle - iowait - steal) / total, 1),
            "idle": round(100 * idle / total, 1),
            "iowait": round(100 * iowait / total, 1),
            "steal": round(100 * steal / total, 1),
        }


def load_average() -> str:
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


class WaitSampler:
    """PostgreSQL: samples ``pg_stat_activity`` for the benchmark database every ``interval`` seconds while it runs,
    counting what the server's backends were doing (active on CPU, or waiting: on a lock, on the WAL's flush, on
    I/O, or idle in a transaction). What the database side of the tail waits on."""

    def __init__(self, interval: float = 0.1) -> None:
        import threading

        self.interval = interval
        self.counts: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WaitSampler:
        if bench_database_url().startswith("postgresql"):
            self._thread.start()
        return self

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(bench_database_url(), autocommit=True) as connection:
            while not self._stop.wait(self.interval):
                rows = connection.execute(
                    "SELECT state, coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '') FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend' AND state <> 'idle'"
                ).fetchall()
                self.samples += 1
                for state, kind, name in rows:
                    key = f"{state}: {kind}{'/' + name if name else ''}"
                    self.counts[key] = self.counts.get(key, 0) + 1

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def summary(self) -> dict[str, float]:
        """Mean number of backends in each state per sample, busiest first."""
        if not self.samples:
            return {}
        return {k: round(v / self.samples, 3) for k, v in sorted(self.counts.items(), key=lambda kv: -kv[1])}


# Everything the case page shows about a child, by the table that holds it (the history it grows with).
CASE_HISTORY_TABLES = (
    "contact_subject",
    "referral",
    "allocation",
    "assessment",
    "strategy_discussion",
    "section47_enquiry",
    "child_protection_conference",
    "child_protection_plan",
    "core_group_meeting",
    "visit",
    "child_in_need_plan",
    "child_in_need_review",
    "case_note",
    "supervision_case",
)


def longest_history_child() -> dict[str, int]:
    """The child whose case page is the longest: the most rows across the tables the case page reads (contacts,
    referrals, allocations, case events, notes, oversight). Restricted children are left out (a social worker not
    named on one is refused, a correct 403); ties go to the lowest id, so every run picks the same child."""
    from sqlalchemy import text

    from safeguarding.core.db import Database

    union = " UNION ALL ".join(f"SELECT person_id FROM {table}" for table in CASE_HISTORY_TABLES)
    database = Database(bench_database_url())
    try:
        with database.engine.connect() as connection:
            row = connection.execute(
                text(
                    f"SELECT person_id, count(*) AS n FROM ({union}) AS history WHERE person_id IS NOT NULL "
                    "AND person_id NOT IN (SELECT person_id FROM person_restriction) "
                    "GROUP BY person_id ORDER BY n DESC, person_id LIMIT 1"
                )
            ).one()
        return {"person_id": int(row.person_id), "history": int(row.n)}
    finally:
        database.dispose()
