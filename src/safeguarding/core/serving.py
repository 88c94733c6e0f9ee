"""Settings that are safe on a developer's machine but not on a network: checked before the server starts."""

from __future__ import annotations

import ipaddress

from safeguarding.core.settings import DEVELOPMENT_SECRET_KEY, Settings

# A key this short can be guessed offline from one signed cookie; 48 random bytes (below) give 64 characters.
MINIMUM_SECRET_KEY_LENGTH = 32
GENERATE_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def is_loopback(host: str) -> bool:
    """True when only this machine can reach the address (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().removeprefix("[").removesuffix("]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name, or "" (every interface): others may reach it


def unsafe_settings(settings: Settings, host: str) -> list[str]:
    """What makes serving on ``host`` with ``settings`` unsafe, one plain sentence each; empty when it is safe."""
    if is_loopback(host):
        return []
    problems = []
    if settings.secret_key == DEVELOPMENT_SECRET_KEY:
        problems.append(
            "SAFEGUARDING_SECRET_KEY is the development default, which anyone can read in the source code and use "
            f'to forge a session. Set your own: export SAFEGUARDING_SECRET_KEY="$({GENERATE_KEY})"'
        )
    elif len(settings.secret_key) < MINIMUM_SECRET_KEY_LENGTH:
        problems.append(
            f"SAFEGUARDING_SECRET_KEY is {len(settings.secret_key)} characters long; it must be at least "
            f'{MINIMUM_SECRET_KEY_LENGTH}. Set a random one: export SAFEGUARDING_SECRET_KEY="$({GENERATE_KEY})"'
        )
    if not settings.secure_cookies:
        problems.append(
            "SAFEGUARDING_SECURE_COOKIES is off, so browsers would send the session cookie over plain http. "
            "Serve behind TLS and set SAFEGUARDING_SECURE_COOKIES=true"
        )
    return problems
