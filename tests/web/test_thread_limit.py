"""A web worker runs at most SAFEGUARDING_WEB_THREADS request threads at once (fewer threads share the GIL better)."""

from __future__ import annotations

import asyncio
import threading

import anyio.to_thread
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from safeguarding.app.factory import ThreadLimit
from safeguarding.core.settings import Settings


async def _tokens(scope: Scope, receive: Receive, send: Send) -> None:
    limiter = anyio.to_thread.current_default_thread_limiter()
    await PlainTextResponse(str(int(limiter.total_tokens)))(scope, receive, send)


def test_the_thread_pool_is_limited_to_the_setting() -> None:
    assert Settings().web_threads == 8
    # Without "with", no lifespan messages: each request runs in an event loop of its own.
    assert TestClient(ThreadLimit(_tokens, threads=3)).get("/").text == "3"
    assert TestClient(_tokens).get("/").text == "40"  # anyio's own default, without the limit


def test_requests_beyond_the_limit_wait_their_turn_before_touching_anything() -> None:
    # A request holds its database connection from its first query to its end: if only the threads were limited,
    # more requests than the pool has connections could hold one while the threads that would finish them wait.
    in_flight, most, served = 0, 0, []

    async def page(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        served.append(scope["path"])
        await PlainTextResponse("ok")(scope, receive, send)

    limited = ThreadLimit(page, threads=2)

    async def request(n: int) -> None:
        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(_message: object) -> None:
            pass

        await limited(
            {"type": "http", "method": "GET", "path": f"/{n}", "headers": [], "query_string": b""}, receive, send
        )

    async def main() -> None:
        await asyncio.gather(*(request(n) for n in range(6)))

    # In a thread of its own: a browser journey run earlier on this worker may leave an event loop running here.
    runner = threading.Thread(target=lambda: asyncio.run(main()))
    runner.start()
    runner.join()
    assert most == 2
    assert sorted(served) == [f"/{n}" for n in range(6)]
