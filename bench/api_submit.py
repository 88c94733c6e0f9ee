"""Contacts per second through ``POST /api/v1/contacts`` with a partner's API token, against the large council.

Starts uvicorn on 127.0.0.1, issues a token for the demo ``partner.police`` account, sends a bounded number of
synthetic contacts from a few concurrent clients (each with its own Idempotency-Key), and reports throughput and
latency. Afterwards the benchmark's contacts are deleted and its token revoked, so the demo MASH queue stays a
realistic working set (the audit rows of the run stay: the log is append-only).

    .venv/bin/python bench/api_submit.py [--count 400] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CpuSample,
    Server,
    WaitSampler,
    bench_database_url,
    breakdown,
    ensure_large_council,
    figures,
    load_average,
    print_breakdown,
    timings_file,
    write_json,
)

KEY_PREFIX = "bench-"


def issue_token() -> tuple[str, int]:
    from sqlalchemy import select

    from safeguarding.core.audit import Actor, record
    from safeguarding.core.db import Database
    from safeguarding.core.security import new_token, token_digest
    from safeguarding.core.users import ApiToken, User

    database = Database(bench_database_url())
    try:
        with database.transaction() as s:
            user = s.scalar(select(User).where(User.username == "partner.police"))
            assert user is not None, "the benchmark council has no partner.police"
            token = new_token()
            row = ApiToken(user_id=user.id, token_hash=token_digest(token), label="api_submit benchmark")
            s.add(row)
            s.flush()
            record(s, Actor.system("bench"), "create", "api_token", row.id, detail={"username": user.username})
            return token, row.id
    finally:
        database.dispose()


def clean_up(token_id: int) -> int:
    from sqlalchemy import delete, update

    from safeguarding.core.db import Database, utcnow
    from safeguarding.core.users import ApiToken
    from safeguarding.front_door.models import Contact

    database = Database(bench_database_url())
    try:
        with database.transaction() as s:
            removed = s.execute(delete(Contact).where(Contact.idempotency_key.like(f"{KEY_PREFIX}%"))).rowcount
            s.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=utcnow()))
        return int(removed or 0)
    finally:
        database.dispose()


def contact_body(rng: random.Random) -> dict[str, object]:
    from safeguarding.demo import names

    child_first = rng.choice(names.GIRLS + names.BOYS)
    surname = rng.choice(names.SURNAMES)
    born = date.today() - timedelta(days=rng.randint(365, 16 * 365))
    return {
        "worry": f"Officers attended a report of a disturbance; {child_first} was present and distressed. "
        "Benchmark contact (synthetic).",
        "consent": "not_informed_risk",
        "reporter_name": f"{rng.choice(names.WOMEN + names.MEN)} {rng.choice(names.SURNAMES)}",
        "reporter_role": "Police constable",
        "subjects": [
            {
                "role": "child",
                "first_name": child_first,
                "last_name": surname,
                "date_of_birth": born.isoformat(),
                "postcode": f"NB{rng.randint(1, 24)} {rng.randint(0, 9)}AB",
            },
            {"role": "parent", "first_name": rng.choice(names.WOMEN), "last_name": surname},
        ],
    }


async def submit(base_url: str, token: str, count: int, concurrency: int) -> tuple[list[float], list[str], float]:
    import httpx

    rng = random.Random(11)
    bodies = [contact_body(rng) for _ in range(count)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    samples: list[float] = []
    errors: list[str] = []

    async def client_loop() -> None:
        async with httpx.AsyncClient(
            base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            while True:
                try:
                    n = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                began = time.perf_counter()
                try:
                    response = await client.post(
                        "/api/v1/contacts",
                        json=bodies[n],
                        headers={"Idempotency-Key": f"{KEY_PREFIX}{n}-{rng.random():.12f}"},
                    )
                    elapsed = (time.perf_counter() - began) * 1000
                    if response.status_code == 201:
                        samples.append(elapsed)
                    else:
                        errors.append(f"HTTP {response.status_code}: {response.text[:160]}")
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)

    began = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    return samples, errors, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--label", default="", help="a note kept with the results (what changed)")
    args = parser.parse_args()

    load = ensure_large_council()
    token, token_id = issue_token()
    lines = timings_file("api_submit")
    load_before = load_average()
    try:
        with Server(port=args.port, workers=args.workers) as server, WaitSampler() as waits:
            began, cpu = time.time(), CpuSample()
            samples, errors, wall = asyncio.run(submit(server.base_url, token, args.count, args.concurrency))
            cpu_used, load_after = cpu.since(), load_average()
    finally:
        removed = clean_up(token_id)
    figure = figures(samples)
    rate = len(samples) / wall if wall else 0.0
    print(
        f"POST /api/v1/contacts, {args.count} contacts, {args.concurrency} concurrent clients, "
        f"{args.workers} uvicorn workers ({bench_database_url()}):"
    )
    print(f"  {rate:.1f} contacts/s accepted ({len(samples)} in {wall:.1f} s)")
    print(f"  latency {figure.line()}")
    print(f"  errors: {len(errors)}")
    for line in sorted(set(errors))[:5]:
        print(f"    {line}")
    print(f"  removed {removed} benchmark contacts afterwards")
    print(f"  load average before {load_before}, after {load_after}; CPU during the run (%): {cpu_used}")
    if waits.samples:
        print(
            "  PostgreSQL backends per sample (pg_stat_activity): "
            + ", ".join(f"{k} {v}" for k, v in list(waits.summary().items())[:8])
        )
    split = breakdown(lines, {"submit": "/contacts"}, since=began)
    print_breakdown(split)
    write_json(
        "api_submit",
        {
            "label": args.label,
            "load_average_before": load_before,
            "load_average": load_after,
            "cpu_percent": cpu_used,
            "postgresql_backends": waits.summary(),
            "breakdown": split,
            "count": args.count,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "contacts_per_second": round(rate, 2),
            "accepted": len(samples),
            "latency": figure.__dict__,
            "errors": len(errors),
            "error_examples": sorted(set(errors))[:5],
            "load": load,
        },
    )


if __name__ == "__main__":
    main()
