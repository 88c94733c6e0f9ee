"""Reading one field of a submitted form: the value, or a message naming the field in ``errors``.

Services collect every field's message before refusing (``ValidationFailed(errors)``), so a form shows all its
problems at once and nothing is written.
"""

from __future__ import annotations

from datetime import date


def date_field(raw: str | date | None, name: str, label: str, errors: dict[str, str], *,
               required: bool = True) -> date | None:
    """An ISO date (the value of a GOV.UK date input or ``<input type=date>``)."""
    if isinstance(raw, date):
        return raw
    if raw is None or not str(raw).strip():
        if required:
            errors[name] = f"Enter {label}"
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors[name] = f"{label.capitalize()} must be a real date, like 2026-03-31"
        return None


def text_field(raw: str | None, name: str, label: str, errors: dict[str, str], *, limit: int,
               required: bool = True) -> str | None:
    """Text without surrounding space, refused (not cut) when longer than ``limit`` characters."""
    value = (raw or "").strip()
    if not value:
        if required:
            errors[name] = f"Enter {label}"
        return None
    if len(value) > limit:
        errors[name] = f"{label.capitalize()} must be {limit:,} characters or fewer"
        return None
    return value
