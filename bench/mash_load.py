"""Page load under 50 concurrent signed-in users, against the large demo council over real HTTP.

Starts ``uvicorn safeguarding.app.main:app`` on 127.0.0.1 as a subprocess, signs in N simulated staff (one session
each), and has each load their pages with about a second's thought between them, for a bounded time. Reports
p50/p95/p99 per page and the errors (any status other than 200, or a failed request). Target: p95 <= 200 ms.

``--pages`` chooses the staff and their pages (the same load shape for each):
- ``mash`` (default): ``mash.worker`` and ``mash.manager`` load the MASH queue, then a contact, and round again;
- ``case``: ``social.worker`` loads the case page of the child with the longest history in the council
  (``common.longest_history_child``: the most contacts, referrals, allocations, case events and notes);
- ``team``: ``team.manager`` loads ``/due/team``, their team's timescales.

    .venv/bin/python bench/mash_load.py [--pages mash] [--users 50] [--seconds 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

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
    longest_history_child,
    print_breakdown,
    timings_file,
    write_json,
)

TARGET_P95_MS = 200.0
QUEUE_PATH = "/mash/queue"
CONTACT_PATH = "/mash/contacts/{id}"
CASE_PATH = "/cases/{id}"
TEAM_PATH = "/due/team"
# Per --pages: the accounts signed in (taken in turn), the pages each user loads in order (name, path with {id}),
# and the route of each page (for the server-side breakdown).
SCENARIOS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...], dict[str, str]]] = {
    "mash": (
        ("mash.worker", "mash.manager"),
        (("queue", QUEUE_PATH), ("contact", CONTACT_PATH)),
        {"queue": "/mash/queue", "contact": "/mash/contacts/{contact_id}"},
    ),
    "case": (("social.worker",), (("case", CASE_PATH),), {"case": "/cases/{person_id}"}),
    "team": (("team.manager",), (("team", TEAM_PATH),), {"team": "/due/team"}),
}
T = TypeVar("T")


def contact_ids(limit: int = 2_000) -> list[int]:
    """Contacts a MASH worker would open: the open queue first, then recent decided ones."""
    from sqlalchemy import select

    from safeguarding.core.db import Database
    from safeguarding.core.restrictions import PersonRestriction
    from safeguarding.front_door.models import Contact, ContactStatus, ContactSubject

    database = Database(bench_database_url())
    try:
        with database.transaction() as s:
            open_ids = list(
                s.scalars(
                    select(Contact.id).where(
                        Contact.status.in_([ContactStatus.AWAITING_SCREENING, ContactStatus.IN_SCREENING])
                    )
                )
            )
            recent = list(s.scalars(select(Contact.id).order_by(Contact.received_at.desc()).limit(limit)))
            # Contacts about a restricted child are refused to workers not named on it (a correct 403, not a
            # server error): leave them out so that every error counted is a real one.
            restricted = set(
                s.scalars(
                    select(ContactSubject.contact_id).join(
                        PersonRestriction, PersonRestriction.person_id == ContactSubject.person_id
                    )
                )
            )
        return [i for i in open_ids + recent if i not in restricted]
    finally:
        database.dispose()


async def sign_in(client, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page = await client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError("sign-in page has no CSRF token")
    response = await client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": token.group(1), "next": "/"}
    )
    if response.status_code != 303 or "second-factor" in response.headers.get("location", ""):
        raise RuntimeError(f"could not sign in as {username}: {response.status_code}")


class Connection:
    """A minimal HTTP/1.1 keep-alive client for the measured GETs: one socket per simulated user.

    httpx costs about a millisecond of CPU per request; fifty users at one request a second each would take a
    noticeable share of a 2-core machine away from the server being measured. This costs a tenth of that. (httpx
    still does the sign-ins, which are set-up.)
    """

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port, self.cookie = host, port, cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        """The response's status, its body read to the end. Reconnects once when the server closed the socket."""
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            self.writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nCookie: {self.cookie}\r\n"
                "Accept: text/html\r\n\r\n".encode()
            )
            try:
                await self.writer.drain()
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
                continue  # an idle keep-alive socket the server had closed: connect again and resend
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            if "content-length" in headers:
                await self.reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    await self.reader.readexactly(size + 2)
                    if size == 0:
                        break
            if headers.get("connection", "").lower() == "close":
                await self.close()
            return status
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def simulated_user(
    n: int,
    connection: Connection,
    ids: list[int],
    stop_at: float,
    think: float,
    samples: dict[str, list[float]],
    errors: list[str],
    pages: tuple[tuple[str, str], ...] = SCENARIOS["mash"][1],
) -> None:
    rng = random.Random(n)
    await asyncio.sleep(rng.uniform(0, think))  # users do not all start in the same instant
    while time.monotonic() < stop_at:
        for page, template in pages:
            path = template.format(id=rng.choice(ids)) if "{id}" in template else template
            began = time.perf_counter()
            try:
                status = await asyncio.wait_for(connection.get(path), timeout=30)
                elapsed = (time.perf_counter() - began) * 1000
                if status == 200:
                    samples[page].append(elapsed)
                else:
                    errors.append(f"{page} {path}: HTTP {status}")
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                errors.append(f"{page} {path}: {type(exc).__name__}")
                await connection.close()
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            if time.monotonic() >= stop_at:
                break


async def run(
    users: int,
    seconds: float,
    think: float,
    base_url: str,
    ids: list[int],
    on_start: Callable[[], object] = lambda: None,
    scenario: str = "mash",
) -> tuple[dict[str, list[float]], list[str]]:
    import httpx

    from safeguarding.demo.council import DEMO_PASSWORD

    accounts, pages, _routes = SCENARIOS[scenario]
    samples: dict[str, list[float]] = {page: [] for page, _path in pages}
    errors: list[str] = []
    clients = [httpx.AsyncClient(base_url=base_url, timeout=30, follow_redirects=False) for _ in range(users)]
    url = httpx.URL(base_url)
    connections: list[Connection] = []
    try:
        # Sign-ins are set-up, not part of the measured window: argon2 is slow on purpose. A few at a time.
        gate = asyncio.Semaphore(4)

        async def signed_in(n: int) -> None:
            async with gate:
                await sign_in(clients[n], accounts[n % len(accounts)], DEMO_PASSWORD)

        await asyncio.gather(*(signed_in(n) for n in range(users)))
        for client in clients:
            cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
            connections.append(Connection(url.host, url.port or 80, cookie))
        stop_at = time.monotonic() + seconds
        on_start()  # the measured window begins (sign-ins are set-up)
        await asyncio.gather(
            *(simulated_user(n, connections[n], ids, stop_at, think, samples, errors, pages) for n in range(users))
        )
    finally:
        for connection in connections:
            await connection.close()
        for client in clients:
            await client.aclose()
    return samples, errors


def _event_loop_runner() -> Callable[[Coroutine[Any, Any, T]], T]:
    """uvloop when installed (less client CPU per request), else asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


measured: dict[str, Any] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages",
        choices=sorted(SCENARIOS),
        default="mash",
        help="mash: the queue and contacts; case: a long history's case page; team: /due/team",
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between requests (s)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--loop", default="auto", help="uvicorn event loop: auto, asyncio or uvloop")
    parser.add_argument("--http", default="auto", help="uvicorn HTTP parser: auto, h11 or httptools")
    parser.add_argument(
        "--app", default="safeguarding.app.main:app", help="the ASGI app to serve (e.g. one wrapped with diagnostics)"
    )
    parser.add_argument(
        "--no-breakdown", action="store_true", help="serve without the per-request timings (core.timings)"
    )
    parser.add_argument("--label", default="", help="a note kept with the results (what changed)")
    args = parser.parse_args()

    load = ensure_large_council()
    _accounts, pages, routes = SCENARIOS[args.pages]
    child = longest_history_child() if args.pages == "case" else None
    ids = [child["person_id"]] if child else contact_ids() if args.pages == "mash" else [0]
    name = "mash_load" if args.pages == "mash" else f"mash_load-{args.pages}"
    lines = None if args.no_breakdown else timings_file(name)
    load_before = load_average()
    waits = WaitSampler()
    with Server(port=args.port, workers=args.workers, loop=args.loop, http=args.http, app=args.app) as server:
        samples, errors = _event_loop_runner()(
            run(
                args.users,
                args.seconds,
                args.think,
                server.base_url,
                ids,
                on_start=lambda: measured.update(at=time.time(), cpu=CpuSample(), waits=waits.__enter__()),
                scenario=args.pages,
            )
        )
        waits.__exit__()
        load_after = load_average()
        cpu = measured["cpu"].since() if "cpu" in measured else {}
    print(
        f"{args.pages} pages, {args.users} concurrent users, ~{args.seconds:.0f} s, think ~{args.think:.1f} s, "
        f"{server.describe()} ({bench_database_url()}):"
    )
    print(f"  load average before {load_before}, after {load_after}; CPU during the run (%): {cpu}")
    result: dict[str, object] = {
        "users": args.users,
        "seconds": args.seconds,
        "workers": args.workers,
        "server": server.describe(),
        "target_p95_ms": TARGET_P95_MS,
        "load": load,
        "label": args.label,
        "pages": args.pages,
        "case_child": child,
        "load_average_before": load_before,
        "load_average": load_after,
        "cpu_percent": cpu,
    }
    if child:
        print(f"  case page of person {child['person_id']} ({child['history']} rows of history)")
    for page, path in pages:
        figure = figures(samples[page])
        verdict = "meets" if figure.p95 <= TARGET_P95_MS else "MISSES"
        print(f"  {path:<22} {figure.line()}  ({verdict} p95 <= {TARGET_P95_MS:.0f} ms)")
        result[page] = figure.__dict__
    print(f"  errors: {len(errors)}")
    for line in sorted(set(errors))[:10]:
        print(f"    {line}")
    if waits.samples:
        result["postgresql_backends"] = waits.summary()
        print(
            "  PostgreSQL backends per sample (pg_stat_activity): "
            + ", ".join(f"{k} {v}" for k, v in list(waits.summary().items())[:8])
        )
    if lines is not None:
        result["breakdown"] = breakdown(lines, routes, since=measured.get("at", 0.0))
        print_breakdown(result["breakdown"])  # type: ignore[arg-type]
    result["errors"] = len(errors)
    result["error_examples"] = sorted(set(errors))[:10]
    write_json(name, result)


if __name__ == "__main__":
    main()
