"""Configuration from the environment (prefix ``SAFEGUARDING_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SQLITE = PROJECT_ROOT / "var" / "safeguarding.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEGUARDING_", env_file=None, extra="ignore")

    database_url: str = Field(default=f"sqlite:///{DEFAULT_SQLITE}")
    # Signs session cookies and CSRF tokens. A development default keeps `make run` one command;
    # production sets its own (the server warns at start when the default is in use).
    secret_key: str = "dev-only-change-me-in-production"  # noqa: S105
    # Minutes without a request before a signed-in session ends (idle timeout).
    idle_timeout_minutes: int = 30
    # Failed sign-ins in a row before an account locks, and for how long.
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    # Cookies marked Secure: on in production behind TLS, off for http://127.0.0.1 in development.
    secure_cookies: bool = False
    # Largest page size any list or search returns.
    max_page_size: int = 200
    # Largest request body accepted, in bytes (10 MB): larger ones are refused with 413 before they are read. No
    # route takes uploads; the largest real body is a long form or an intelligence item.
    max_body_bytes: int = 10 * 1024 * 1024
    # Re-read page templates when their files change (development only: it checks the files on every page).
    template_reload: bool = False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
