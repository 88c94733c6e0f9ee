"""Where a request's time goes, one JSON line per request: an opt-in diagnosis for the benchmarks.

Set ``SAFEGUARDING_REQUEST_TIMINGS`` to a file's path before the app starts and every request served appends a
line to it (``bench/mash_load.py`` does, and reads them back per page): the server's wall time, the CPU its threads
spent, the time in the database and the number of statements, the waits (for the audit chain's lock, SQLite's
write gate and its lock, a connection from the pool, a thread from the pool) and the event loop's lag while the
request was in flight. Unset (the default) nothing is installed: the code paths that report to it ask
:func:`current`, one context-variable read, and get ``None``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import event
from sqlalchemy.engine import Engine

ENVIRONMENT_VARIABLE = "SAFEGUARDING_REQUEST_TIMINGS"
T = TypeVar("T")

_current: ContextVar[RequestTimings | None] = ContextVar("safeguarding_request_timings", default=None)


@dataclass
class RequestTimings:
    """One request's account, in seconds until written (milliseconds in the line)."""

    method: str
    path: str
    arrived: float = field(default_factory=time.perf_counter)
    route: str = ""
    status: int = 0
    cpu: float = 0.0  # CPU of the worker threads that ran the request's handler, dependencies and commit
    in_threads: float = 0.0  # wall time of those threads' work
    thread_queue: float = 0.0  # waiting for a free thread of the pool
    hops: int = 0  # crossings from the event loop to a thread and back (each waits for the GIL under load)
    first_thread_at: float | None = None  # when the first thread began the request's work (queued before it)
    db: float = 0.0  # in the driver: statements sent and answers read, waits for locks inside it included
    queries: int = 0
    chain_lock: float = 0.0  # the audit chain's lock (PostgreSQL advisory lock; SQLite: the write lock below)
    write_gate: float = 0.0  # SQLite: queued for the write lock among page views (core.db.enter_write_gate)
    sqlite_lock: float = 0.0  # SQLite: BEGIN IMMEDIATE, the write lock itself
    pool: float = 0.0  # waiting for a database connection from the pool (pre-ping included)
    commit: float = 0.0  # the request's commit: audit rows chained and written, the transaction made durable
    durable: float = 0.0  # PostgreSQL: waiting, after the chain's lock, for the commit to reach the disk
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + seconds)

    def as_line(self, finished: float, loop_lag: float) -> str:
        ms = 1000.0
        queued = (self.first_thread_at - self.arrived) if self.first_thread_at is not None else 0.0
        return json.dumps(
            {
                "pid": os.getpid(),
                "at": round(time.time(), 3),
                "method": self.method,
                "path": self.path,
                "route": self.route,
                "status": self.status,
                "total_ms": round((finished - self.arrived) * ms, 3),
                "cpu_ms": round(self.cpu * ms, 3),
                "in_threads_ms": round(self.in_threads * ms, 3),
                "thread_queue_ms": round(self.thread_queue * ms, 3),
                "hops": self.hops,
                "queued_before_handler_ms": round(queued * ms, 3),
                "db_ms": round(self.db * ms, 3),
                "queries": self.queries,
                "chain_lock_ms": round(self.chain_lock * ms, 3),
                "write_gate_ms": round(self.write_gate * ms, 3),
                "sqlite_lock_ms": round(self.sqlite_lock * ms, 3),
                "pool_ms": round(self.pool * ms, 3),
                "commit_ms": round(self.commit * ms, 3),
                "durable_ms": round(self.durable * ms, 3),
                "loop_lag_ms": round(loop_lag * ms, 3),
            },
            separators=(",", ":"),
        )


def current() -> RequestTimings | None:
    """The account of the request being served, when timings are on; otherwise None."""
    return _current.get()


@contextlib.contextmanager
def timed(name: str) -> Iterator[None]:
    """Add the block's wall time to the current request's ``name`` (nothing when timings are off)."""
    timings = _current.get()
    if timings is None:
        yield
        return
    began = time.perf_counter()
    try:
        yield
    finally:
        timings.add(name, time.perf_counter() - began)


# --- installed only when SAFEGUARDING_REQUEST_TIMINGS is set ------------------------------------------------------


class _LoopLag:
    """Samples the event loop's lateness every 10 ms; a request reports the worst seen while it was in flight."""

    INTERVAL = 0.01

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque(maxlen=6000)  # (when, lateness): the last minute
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            planned = time.perf_counter() + self.INTERVAL
            await asyncio.sleep(self.INTERVAL)
            now = time.perf_counter()
            self.samples.append((now, max(0.0, now - planned)))

    def worst_between(self, began: float, ended: float) -> float:
        # The sample taken first after the request ended still covers part of its time.
        worst = 0.0
        for when, lag in reversed(self.samples):
            if when < began:
                break
            if when <= ended + self.INTERVAL:
                worst = max(worst, lag)
        return worst


class RequestTimingsMiddleware:
    """Plain ASGI: opens each HTTP request's account and writes its line when the response has been sent."""

    def __init__(self, app: Any, path: str) -> None:
        self.app = app
        self.path = path
        self.lag = _LoopLag()
        self._file: Any = None
        self._pid = 0

    def _write(self, line: str) -> None:
        if self._file is None or self._pid != os.getpid():  # each worker process opens its own, appending
            self._file = open(self.path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - open for the process
            self._pid = os.getpid()
        self._file.write(line + "\n")

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # the file is the process's until the app shuts down
            try:
                await self.app(scope, receive, send)
            finally:
                self._close()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.lag.start()
        timings = RequestTimings(method=scope.get("method", ""), path=scope.get("path", ""))
        token = _current.set(timings)

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                timings.status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            _current.reset(token)
            finished = time.perf_counter()
            route = scope.get("route")
            timings.route = getattr(route, "path", "") or ""
            self._write(timings.as_line(finished, self.lag.worst_between(timings.arrived, finished)))


def _timed_run_sync(original: Callable[..., Any]) -> Callable[..., Any]:
    """anyio's ``to_thread.run_sync`` (every Starlette and FastAPI thread hop), counting the thread's wait and CPU."""

    @functools.wraps(original)
    async def run_sync(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        timings = _current.get()
        if timings is None:
            return await original(func, *args, **kwargs)
        submitted = time.perf_counter()

        def in_thread(*inner: Any) -> T:
            began, cpu_began = time.perf_counter(), time.thread_time()
            timings.add("thread_queue", began - submitted)
            timings.add("hops", 1)
            if timings.first_thread_at is None:
                timings.first_thread_at = began
            try:
                return func(*inner)
            finally:
                timings.add("cpu", time.thread_time() - cpu_began)
                timings.add("in_threads", time.perf_counter() - began)

        return await original(in_thread, *args, **kwargs)

    return run_sync


def _install_statement_timing() -> None:
    started_key = "safeguarding_timings_began"

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool) -> None:
        if _current.get() is not None:
            conn.info.setdefault(started_key, []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool) -> None:
        timings = _current.get()
        started = conn.info.get(started_key)
        if timings is None or not started:
            return
        seconds = time.perf_counter() - started.pop()
        timings.add("db", seconds)
        timings.add("queries", 1)
        if statement.startswith("BEGIN IMMEDIATE"):
            timings.add("sqlite_lock", seconds)


_installed = False
_install_lock = threading.Lock()


def install(app: Any, database: Any, path: str) -> None:
    """Have ``app`` write one line per request to ``path``; hooks the thread pool, the database's statements and
    its connection pool (once per process)."""
    global _installed
    with _install_lock:
        if not _installed:
            anyio.to_thread.run_sync = _timed_run_sync(anyio.to_thread.run_sync)  # type: ignore[assignment]
            _install_statement_timing()
            _installed = True
    pool = database.engine.pool
    if not getattr(pool, "_safeguarding_timed", False):
        original = pool.connect

        def connect() -> Any:
            with timed("pool"):
                return original()

        pool.connect = connect
        pool._safeguarding_timed = True
    app.add_middleware(RequestTimingsMiddleware, path=path)


def requested_path() -> str | None:
    """The timings file asked for in the environment, if any."""
    return os.environ.get(ENVIRONMENT_VARIABLE) or None
