"""Parameter types the API's operations share, so the OpenAPI document says exactly what each one accepts.

Dates are ``core.dates``' types (a date written YYYY-MM-DD within the range of its kind; a time with its zone).
"""

from __future__ import annotations

from safeguarding.core.dates import BirthDate, BookedDate, EventDate, EventMoment

# A day bounding a search window: any date a record can hold, written as 2026-03-31.
IsoDate = BookedDate

__all__ = ["BirthDate", "BookedDate", "EventDate", "EventMoment", "IsoDate"]
