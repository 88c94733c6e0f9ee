"""A web worker runs at most SAFEGUARDING_WEB_THREADS request threads at once (fewer threads share the GIL better)."""

from __future__ import annotations

import anyio.to_thread
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from safeguarding.core.settings import Settings
from safeguarding.web.app import ThreadLimit


async def _tokens(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    limiter = anyio.to_thread.current_default_thread_limiter()
    await PlainTextResponse(str(int(limiter.total_tokens)))(scope, receive, send)


def test_the_thread_pool_is_limited_to_the_setting() -> None:
    assert Settings().web_threads == 8
    # Without "with", no lifespan messages: each request runs in an event loop of its own.
    assert TestClient(ThreadLimit(_tokens, threads=3)).get("/").text == "3"
    assert TestClient(_tokens).get("/").text == "40"  # anyio's own default, without the limit
