"""Unsafe settings stop the server when it listens beyond loopback; on loopback, development stays one command."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from safeguarding.cli import app as cli
from safeguarding.core.serving import is_loopback, unsafe_settings
from safeguarding.core.settings import DEVELOPMENT_SECRET_KEY, Settings, get_settings

GOOD_KEY = "k" * 64
LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST", "localhost."]
REACHABLE = ["0.0.0.0", "::", "", "192.168.1.20", "10.0.0.5", "203.0.113.7", "2001:db8::1", "safeguarding.example"]


def settings(**values: Any) -> Settings:
    return Settings(**{"secret_key": GOOD_KEY, "secure_cookies": True, **values})


@pytest.mark.parametrize("host", LOOPBACK)
def test_on_loopback_the_development_settings_are_allowed(host: str) -> None:
    assert unsafe_settings(settings(secret_key=DEVELOPMENT_SECRET_KEY, secure_cookies=False), host) == []


@pytest.mark.parametrize("host", REACHABLE)
def test_beyond_loopback_the_development_key_and_insecure_cookies_are_named_with_how_to_set_them(host: str) -> None:
    problems = unsafe_settings(settings(secret_key=DEVELOPMENT_SECRET_KEY, secure_cookies=False), host)
    assert len(problems) == 2
    key, cookies = problems
    assert key.startswith("SAFEGUARDING_SECRET_KEY is the development default")
    assert "secrets.token_urlsafe(48)" in key
    assert cookies.startswith("SAFEGUARDING_SECURE_COOKIES is off")
    assert "SAFEGUARDING_SECURE_COOKIES=true" in cookies


def test_a_short_secret_key_is_unsafe_and_its_length_is_said_never_the_key() -> None:
    problems = unsafe_settings(settings(secret_key="s3cret-but-short"), "0.0.0.0")
    assert problems == [problems[0]] and "16 characters long; it must be at least 32" in problems[0]
    assert "s3cret-but-short" not in problems[0]
    assert unsafe_settings(settings(secret_key="x" * 32), "0.0.0.0") == []


def test_production_settings_serve_anywhere() -> None:
    assert unsafe_settings(settings(), "0.0.0.0") == []


@given(st.ip_addresses())
def test_an_address_is_loopback_exactly_when_the_standard_library_says_so(address: Any) -> None:
    assert is_loopback(str(address)) == address.is_loopback


runner = CliRunner()


@pytest.fixture()
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """uvicorn.run replaced by a recorder; settings read again from the environment the test sets."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_serve_beyond_loopback_with_the_development_key_exits_without_starting(
    uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEGUARDING_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    monkeypatch.delenv("SAFEGUARDING_SECURE_COOKIES", raising=False)
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 1
    assert uvicorn_calls == []
    assert "Not starting" in result.output
    assert "SAFEGUARDING_SECRET_KEY" in result.output and "SAFEGUARDING_SECURE_COOKIES" in result.output


def test_serve_beyond_loopback_with_safe_settings_starts(
    uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEGUARDING_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("SAFEGUARDING_SECURE_COOKIES", "true")
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert [(call["host"], call["port"]) for call in uvicorn_calls] == [("0.0.0.0", 8123)]


def test_serve_on_loopback_keeps_the_development_defaults_working(
    uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEGUARDING_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    monkeypatch.delenv("SAFEGUARDING_SECURE_COOKIES", raising=False)
    result = runner.invoke(cli, ["serve", "--host", "127.0.0.1", "--port", "8000"])
    assert result.exit_code == 0, result.output
    assert [(call["host"], call["port"]) for call in uvicorn_calls] == [("127.0.0.1", 8000)]
