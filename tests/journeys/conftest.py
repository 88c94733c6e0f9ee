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
from typing import Any

import pytest

from safeguarding.core.db import Database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
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
        return subprocess.run([sys.executable, "-m", "safeguarding.cli", *args], env=env, capture_output=True,
                              text=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def live_server(migrated_database: Database, database_url: str) -> Iterator[LiveServer]:
    import uvicorn

    from safeguarding.web.app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(migrated_database), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off")
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
    yield LiveServer(url=f"http://127.0.0.1:{port}", database=migrated_database, database_url=database_url)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("browser journeys need Debian's Chromium at /usr/bin/chromium (`make setup` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def new_page(browser: Any, live_server: LiveServer, database: Database, request: pytest.FixtureRequest
             ) -> Iterator[Any]:
    """Call ``new_page()`` for each person in the journey: every call is a separate browser (own cookies)."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep the call's outcome on the item, so the page fixture can screenshot a failed journey.
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
