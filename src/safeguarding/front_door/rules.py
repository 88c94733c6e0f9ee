"""Pure rules of the front door: decision deadlines from RAG ratings, and which outcomes need sign-off.

RAG deadlines are local standards (settings), defaults from the Surrey Police MASH pattern: red 4 working hours,
amber 24 working hours, green 72 hours (shared/domain/front-door.md 3.1). Before a contact is rated, its decision is
due within one working day of receipt: the Working Together 2023 Ch.3 referral decision (timescales.md T1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from safeguarding.core.calendar import LONDON, add_working_days, add_working_hours
from safeguarding.front_door.models import Outcome, Rag

UNRATED_WORKING_DAYS = 1  # WT2023 Ch.3: decision on a referral within one working day.


def _office_hours(settings: Mapping[str, Any]) -> tuple[time, time]:
    opens = time.fromisoformat(str(settings.get("office.opens", "09:00")))
    closes = time.fromisoformat(str(settings.get("office.closes", "17:00")))
    return opens, closes


def rag_deadline(received_at: datetime, rag: Rag | None, settings: Mapping[str, Any]) -> datetime:
    """When the decision on a contact received at ``received_at`` is due, given its rating and local settings."""
    opens, closes = _office_hours(settings)
    if rag is None:
        # End of the next working day after receipt (day 0 = the day received).
        local_day = received_at.astimezone(LONDON).date()
        due_day = add_working_days(local_day, UNRATED_WORKING_DAYS)
        return datetime.combine(due_day, closes, LONDON)
    hours = float(settings[f"rag.{rag.value}.hours"])
    if settings.get(f"rag.{rag.value}.working_time", True):
        return add_working_hours(received_at, hours, opens, closes)
    return received_at + timedelta(hours=hours)


def sign_off_required(outcome: Outcome, settings: Mapping[str, Any]) -> bool:
    """Whether a decision with this outcome waits for a manager before it takes effect (a local setting)."""
    return bool(settings.get(f"signoff.{outcome.value}", True))


# Outcomes that make a referral to children's social care (an episode of need in the CIN census).
REFERRAL_OUTCOMES = frozenset({Outcome.REFERRAL_FOR_ASSESSMENT, Outcome.STRATEGY_DISCUSSION,
                               Outcome.IMMEDIATE_PROTECTION})
