"""Browser journeys: the real app under uvicorn on a free 127.0.0.1 port, driven by Debian's headless Chromium.

The server runs in a background thread of the test worker, against the same test database as the other fixtures
(emptied before each test by ``database``). Journeys are marked ``journey`` and grouped on one xdist worker
("browser"), so only one Chromium runs at a time on a shared machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from safeguarding.core.db import Database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    database: Database
    database_url: str

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``safeguarding`` command against the server's database, as an operator would."""
        env = {**os.environ, "SAFEGUARDING_DATABASE_URL": self.database_url}
        return subprocess.run(
            [sys.executable, "-m", "safeguarding.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


class _Shared:
    """One live server per database and one Chromium per test process, however many modules ask for them.

    Other folders' journeys import these fixtures into their own modules, which gives pytest a second fixture
    definition; two Playwright sync drivers cannot run in one thread, so the instances are shared and counted.
    """

    servers: ClassVar[dict[str, tuple[LiveServer, Any, threading.Thread]]] = {}
    server_users: ClassVar[dict[str, int]] = {}
    browser: ClassVar[tuple[Any, Any] | None] = None
    browser_users: ClassVar[int] = 0


def _start_server(database: Database, database_url: str) -> tuple[LiveServer, Any, threading.Thread]:
    import uvicorn

    from safeguarding.app.factory import create_app

    port = _free_port()
    config = uvicorn.Config(
        create_app(database), host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    # Wait for uvicorn to bind; a start-up wait, not a timed assertion about the system.
    for _ in range(600):
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError("the live server stopped while starting")
        time.sleep(0.05)
    else:
        raise RuntimeError("the live server did not start")
    live = LiveServer(url=f"http://127.0.0.1:{port}", database=database, database_url=database_url)
    return live, server, thread


@pytest.fixture(scope="session")
def live_server(migrated_database: Database, database_url: str) -> Iterator[LiveServer]:
    if database_url not in _Shared.servers:
        _Shared.servers[database_url] = _start_server(migrated_database, database_url)
    _Shared.server_users[database_url] = _Shared.server_users.get(database_url, 0) + 1
    yield _Shared.servers[database_url][0]
    _Shared.server_users[database_url] -= 1
    if _Shared.server_users[database_url] == 0:
        _live, server, thread = _Shared.servers.pop(database_url)
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("browser journeys need Debian's Chromium at /usr/bin/chromium (`make setup` installs it)")
    if _Shared.browser is None:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _Shared.browser = (playwright, playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS))
    _Shared.browser_users += 1
    yield _Shared.browser[1]
    _Shared.browser_users -= 1
    if _Shared.browser_users == 0:
        playwright, chromium = _Shared.browser
        _Shared.browser = None
        chromium.close()
        playwright.stop()


@pytest.fixture()
def new_page(
    browser: Any, live_server: LiveServer, database: Database, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """Call ``new_page()`` for each person in the journey: every call is a separate browser (own cookies)."""
    contexts: list[Any] = []

    def make(*, javascript: bool = True) -> Any:
        # javascript=False checks a page works without it (htmx is only an enhancement).
        context = browser.new_context(
            base_url=live_server.url, locale="en-GB", timezone_id="Europe/London", java_script_enabled=javascript
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        RESULTS.mkdir(exist_ok=True)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                page.screenshot(path=str(RESULTS / f"{request.node.name}-failed-{i}-{j}.png"), full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture()
def page(new_page: Any) -> Any:
    return new_page()
