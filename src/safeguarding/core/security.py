"""Secrets: argon2id passwords, TOTP second factor, API token and session id generation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000

# A few passwords long enough to pass the length rule that are still the first ones an attacker tries
# (NCSC "top 100k" list, the entries of 12 characters or more). Compared case-insensitively.
COMMON_LONG_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "qwertyuiopas",
        "qwertyuiop123",
        "password1234",
        "password12345",
        "passwordpassword",
        "iloveyou1234",
        "abc123abc123",
        "111111111111",
        "000000000000",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "qazwsxedcrfv",
        "changemenow1",
        "welcome12345",
        "letmein12345",
    }
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: str | None = None


def spend_verification_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown username takes as long to refuse as a wrong password."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    verify_password(_DUMMY_HASH, password)


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why a new password is not acceptable, or None.

    NCSC password guidance: length over complexity, no composition rules, but refuse the passwords attackers try
    first (common ones, one repeated character, the username itself).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if len(set(password)) == 1:
        return "Password must not be one character repeated"
    if password.lower() in COMMON_LONG_PASSWORDS:
        return "Password is too common: choose another"
    if username and username.strip() and username.strip().lower() in password.lower():
        return "Password must not contain your username"
    return None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Safeguarding")


# Codes of one time step either side of now are accepted too, for a phone whose clock has drifted.
TOTP_VALID_WINDOW = 1


def totp_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (30-second counter) whose code this is, within the accepted window around now, or None.

    The step, not only yes or no, so that a code can be refused once a code of its step or a later one was used.
    """
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    matched = None
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        # Every step is compared (no early return), so the time taken does not say which one matched.
        if hmac.compare_digest(code.encode(), totp.generate_otp(step).encode()):
            matched = step
    return matched


def verify_totp(secret: str, code: str) -> bool:
    return totp_step(secret, code) is not None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """API tokens are random and long, so a fast hash is enough to keep them unusable if the table leaks."""
    return hashlib.sha256(token.encode()).hexdigest()
