"""Server-side cost of the MASH queue and contact pages, in-process: the ASGI app called directly, no sockets.

Signs in once as ``mash.worker`` through the app, then requests each page ``--requests`` times one after another
and prints per-page p50/p95 and the mean. ``--profile queue|contact`` runs cProfile over those requests and prints
the top functions by cumulative time, to find where a request's time goes.

    .venv/bin/python bench/profile_pages.py [--requests 200] [--profile contact]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, bench_database_url, figures


async def _main(requests: int, profile: str | None) -> None:
    os.environ.setdefault("SAFEGUARDING_SECRET_KEY", "bench-only-secret-key")
    import httpx

    from mash_load import contact_ids
    from safeguarding.app.factory import create_app
    from safeguarding.core.db import Database
    from safeguarding.demo.council import DEMO_PASSWORD

    ids = contact_ids()
    if profile:
        # cProfile sees one thread: run the sync handlers (normally in anyio's thread pool) on the loop's thread.
        import anyio.to_thread

        async def run_sync(func, *args, **_kwargs):  # type: ignore[no-untyped-def]
            return func(*args)

        anyio.to_thread.run_sync = run_sync
    app = create_app(Database(bench_database_url()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        page = await client.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        response = await client.post("/sign-in", data={"username": "mash.worker", "password": DEMO_PASSWORD,
                                                       "csrf_token": token.group(1), "next": "/"})
        assert response.status_code == 303, response.status_code
        rng = random.Random(1)
        paths = {"queue": lambda: "/mash/queue", "contact": lambda: f"/mash/contacts/{rng.choice(ids)}"}
        for name, path in paths.items():
            for _ in range(10):  # warm the caches and the connection pool
                await client.get(path())
            profiler = cProfile.Profile() if profile == name else None
            samples: list[float] = []
            for _ in range(requests):
                began = time.perf_counter()
                if profiler:
                    profiler.enable()
                response = await client.get(path())
                if profiler:
                    profiler.disable()
                samples.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    print(f"  {name}: HTTP {response.status_code}")
            print(f"{name:<8} {figures(samples).line()}")
            if profiler:
                stats = pstats.Stats(profiler).sort_stats("cumulative")
                stats.dump_stats(str(BENCH_DIR / f"{name}.prof"))  # for snakeviz or pstats afterwards
                stats.print_stats(45)
                stats.sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", choices=["queue", "contact"])
    args = parser.parse_args()
    print(f"In-process, one request at a time ({bench_database_url()}):")
    asyncio.run(_main(args.requests, args.profile))


if __name__ == "__main__":
    main()
