"""Configuration from the environment (prefix ``SAFEGUARDING_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Signs sessions until an operator sets their own: `safeguarding serve` refuses it beyond loopback (core/serving.py).
DEVELOPMENT_SECRET_KEY = "dev-only-change-me-in-production"  # noqa: S105


def default_database_url() -> str:
    """SQLite in ./var/ under the working directory: the source tree for `make run`, anywhere for an installed wheel."""
    return f"sqlite:///{Path.cwd() / 'var' / 'safeguarding.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEGUARDING_", env_file=None, extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    # Signs session cookies and CSRF tokens. A development default keeps `make run` one command;
    # production sets its own (the server refuses the default when it listens beyond loopback).
    secret_key: str = DEVELOPMENT_SECRET_KEY
    # Minutes without a request before a signed-in session ends (idle timeout).
    idle_timeout_minutes: int = 30
    # Hours after signing in when a session ends however busy it is (absolute lifetime).
    session_max_hours: int = 12
    # Failed sign-ins in a row before an account locks, and for how long.
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    # Failed sign-ins (passwords, security codes, API tokens) from one client address in a sliding window before
    # that address is refused for a while (HTTP 429); other addresses, and the accounts themselves, are unaffected.
    sign_in_throttle_failures: int = 30
    sign_in_throttle_minutes: int = 15
    # Reverse proxies (comma-separated addresses) whose X-Forwarded-For names the client the throttle counts;
    # without it every user behind a proxy would share the proxy's address and its throttle.
    trusted_proxies: str = "127.0.0.1,::1"
    # Cookies marked Secure: on in production behind TLS, off for http://127.0.0.1 in development.
    secure_cookies: bool = False
    # Largest page size any list or search returns.
    max_page_size: int = 200
    # Largest request body accepted, in bytes (10 MB): larger ones are refused with 413 before they are read. No
    # route takes uploads; the largest real body is a long form or an intelligence item.
    max_body_bytes: int = 10 * 1024 * 1024
    # Re-read page templates when their files change (development only: it checks the files on every page).
    template_reload: bool = False
    # Signs audit checkpoints (core/audit_checkpoint.py): HMAC-SHA256 key kept off the database server, given
    # directly or as the path of a file holding it. Without one, checkpoints are neither written nor checked.
    audit_checkpoint_key: str = Field(default="", repr=False)
    audit_checkpoint_key_file: str = ""
    # Requests a web worker process serves at once, each with its thread (0: no limit, anyio's 40 threads). Fewer
    # threads share the GIL better: at 8 the MASH pages' p95 under 50 users fell by about a third
    # (app.factory.ThreadLimit, bench/results/mash-load-2026-12-07.md). Keep it at most the database pool's size
    # (SQLite 15, PostgreSQL 30).
    web_threads: int = 8


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
