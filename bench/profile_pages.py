"""Server-side cost of the four busiest pages, in-process: the ASGI app called directly, no sockets, no load.

The MASH queue and a contact (as ``mash.worker``), the case page of the child with the longest history (as
``social.worker``) and ``/due/team`` (as ``team.manager``). Each page is requested ``--requests`` times, one after
another, and the figures per view are printed: the server threads' CPU and the statements sent (``core.timings``),
the whole process's CPU (the in-process client's small share included) and the wall time. Unlike latencies under
load, these hold on a busy machine: they are what the optimisations of issue 12 are measured by.
``--profile PAGE`` runs cProfile over that page's requests and prints the top functions.

    .venv/bin/python bench/profile_pages.py [--requests 200] [--pages queue,contact,case,team] [--profile contact]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, bench_database_url, figures, longest_history_child, timings_file, write_json

PAGES = ("queue", "contact", "case", "team")
ACCOUNTS = {"queue": "mash.worker", "contact": "mash.worker", "case": "social.worker", "team": "team.manager"}


async def _signed_in(app: object, username: str):  # type: ignore[no-untyped-def]
    import httpx

    from safeguarding.demo.council import DEMO_PASSWORD

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")  # type: ignore[arg-type]
    page = await client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = await client.post(
        "/sign-in", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1), "next": "/"}
    )
    assert response.status_code == 303, response.status_code
    return client


class _CollectorTime:
    """CPU time spent in the cyclic garbage collector, and full (oldest-generation) collections, per page."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.process_time()
        else:
            self.seconds += time.process_time() - self._began
            self.full += info["generation"] == 2

    def take(self) -> tuple[float, int]:
        taken = (self.seconds, self.full)
        self.seconds, self.full = 0.0, 0
        return taken


def _lines_since(path: Path, offset: int) -> tuple[list[dict[str, float]], int]:
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    return [json.loads(raw) for raw in data.decode().splitlines() if raw.strip()], offset + len(data)


async def _main(requests: int, pages: list[str], profile: str | None, tune_gc: bool) -> dict[str, dict[str, float]]:
    os.environ.setdefault("SAFEGUARDING_SECRET_KEY", "bench-only-secret-key")
    lines_path = timings_file("profile_pages")
    from mash_load import contact_ids
    from safeguarding.app.factory import create_app
    from safeguarding.core.db import Database

    ids = contact_ids()
    child = longest_history_child()
    if profile:
        # cProfile sees one thread: run the sync handlers (normally in anyio's thread pool) on the loop's thread.
        import anyio.to_thread

        async def run_sync(func, *args, **_kwargs):  # type: ignore[no-untyped-def]
            return func(*args)

        anyio.to_thread.run_sync = run_sync
    app = create_app(Database(bench_database_url()))
    if tune_gc:
        from safeguarding.app.factory import tune_garbage_collection

        tune_garbage_collection()
    rng = random.Random(1)
    paths: dict[str, Callable[[], str]] = {
        "queue": lambda: "/mash/queue",
        "contact": lambda: f"/mash/contacts/{rng.choice(ids)}",
        "case": lambda: f"/cases/{child['person_id']}",
        "team": lambda: "/due/team",
    }
    print(f"  case page: person {child['person_id']} ({child['history']} history rows)")
    results: dict[str, dict[str, float]] = {}
    collector = _CollectorTime()
    for name in pages:
        client = await _signed_in(app, ACCOUNTS[name])
        for _ in range(10):  # warm the caches and the connection pool
            await client.get(paths[name]())
        lines_path.touch()
        _old, offset = _lines_since(lines_path, 0)
        # CPU time, not wall time: on a busy machine the wall clock measures the other work too.
        profiler = cProfile.Profile(time.process_time) if profile == name else None
        collector.take()
        wall: list[float] = []
        process_cpu: list[float] = []
        for _ in range(requests):
            began, cpu_began = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            response = await client.get(paths[name]())
            if profiler:
                profiler.disable()
            process_cpu.append((time.process_time() - cpu_began) * 1000)
            wall.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                print(f"  {name}: HTTP {response.status_code}")
        gc_seconds, full_collections = collector.take()
        await client.aclose()
        lines, _ = _lines_since(lines_path, offset)
        served = [line for line in lines if line["status"] == 200]
        queries = [line["queries"] for line in served]
        thread_cpu = [line["cpu_ms"] for line in served]
        results[name] = {
            "views": len(served),
            "wall_p50_ms": figures(wall).p50,
            "process_cpu_mean_ms": round(statistics.fmean(process_cpu), 2),
            "thread_cpu_mean_ms": round(statistics.fmean(thread_cpu), 2) if thread_cpu else float("nan"),
            "thread_cpu_p95_ms": figures(thread_cpu).p95,
            "process_cpu_p95_ms": figures(process_cpu).p95,
            "db_mean_ms": round(statistics.fmean(line["db_ms"] for line in served), 2) if served else float("nan"),
            "gc_ms_per_view": round(gc_seconds * 1000 / requests, 2),
            "full_collections": full_collections,
            "queries_min": min(queries, default=0),
            "queries_mean": round(statistics.fmean(queries), 1) if queries else 0,
            "queries_max": max(queries, default=0),
        }
        r = results[name]
        print(
            f"{name:<8} views={r['views']:<4} wall p50 {r['wall_p50_ms']:6.1f} ms  process CPU "
            f"{r['process_cpu_mean_ms']:5.1f} ms (p95 {r['process_cpu_p95_ms']:5.1f})  request threads' CPU "
            f"{r['thread_cpu_mean_ms']:5.1f} ms (p95 {r['thread_cpu_p95_ms']:5.1f})  "
            f"db {r['db_mean_ms']:5.1f} ms  queries {r['queries_min']}-{r['queries_max']} "
            f"(mean {r['queries_mean']})  garbage collector {r['gc_ms_per_view']:.2f} ms a view, "
            f"{r['full_collections']} full collections",
            flush=True,
        )
        if profiler:
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.dump_stats(str(BENCH_DIR / f"{name}.prof"))  # for snakeviz or pstats afterwards
            stats.print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pages", default=",".join(PAGES), help=f"comma-separated, of {', '.join(PAGES)}")
    parser.add_argument("--profile", choices=PAGES)
    parser.add_argument("--label", default="", help="a note kept with the results (what changed)")
    parser.add_argument(
        "--gc",
        choices=["serving", "default"],
        default="serving",
        help="serving: the garbage collector tuned as safeguarding.app.main tunes it (the default); "
        "default: Python's own settings",
    )
    args = parser.parse_args()
    pages = [p for p in args.pages.split(",") if p]
    print(f"In-process, one request at a time ({bench_database_url()}), load {os.getloadavg()[0]:.2f}:")
    results = asyncio.run(_main(args.requests, pages, args.profile, args.gc == "serving"))
    write_json("profile_pages", {"label": args.label, "gc": args.gc, "requests": args.requests, "pages": results})


if __name__ == "__main__":
    main()
