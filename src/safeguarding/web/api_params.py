"""Parameter types the API's operations share, so the OpenAPI document says exactly what each one accepts."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    # Pydantic reads "0" or "1700000000" as a date (seconds since 1970); the document says a date like 2026-03-31.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("Enter a date like 2026-03-31")
    return value


# A calendar date written as the document's ``format: date`` says: YYYY-MM-DD, nothing else.
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


def _written_as_text(value: Any) -> Any:
    # Pydantic reads a number as seconds since 1970; the document says an ISO 8601 date and time.
    if isinstance(value, int | float):
        raise ValueError("Enter a date and time like 2026-03-31T14:30:00+01:00")
    return value


# A date and time written as the document's ``format: date-time`` says, never a number.
IsoDateTime = Annotated[datetime, BeforeValidator(_written_as_text)]
# The same with its offset from UTC (``+01:00`` or ``Z``), where a time without one is refused.
IsoAwareDateTime = Annotated[AwareDatetime, BeforeValidator(_written_as_text)]
