"""A reporting period: whole days in England, both ends included. Indicators, the improvement plan's evidence and
Annex A (returns/annex_a) read their records over one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from safeguarding.core.calendar import LONDON


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def since(self) -> datetime:
        """The first instant of the period (London midnight at the start of its first day)."""
        return datetime.combine(self.start, time(0), LONDON).astimezone(UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the period (London midnight after its last day)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), LONDON).astimezone(UTC)
