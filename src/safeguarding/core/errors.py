"""Errors the services raise; the web layer turns each into a clear page or JSON problem."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. ``field`` names the input at fault where there is one."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    """Input that breaks a rule; ``errors`` maps each field at fault to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, first_field)
        self.errors = errors


class NotFound(DomainError):
    status_code = 404


class AccessDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    """Somebody else changed the record first, or the same thing was submitted twice."""

    status_code = 409


class TooManyAttempts(DomainError):
    """Too many failed sign-ins from one client address: it waits ``retry_after`` seconds (HTTP Retry-After)."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
