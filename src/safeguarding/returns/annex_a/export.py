"""The use-case: Annex A for a period, checked, built, written and audited as an export."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import Actor, record
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field
from safeguarding.core.users import User
from safeguarding.insight.period import Period
from safeguarding.returns.annex_a.lists import AnnexA, build
from safeguarding.returns.annex_a.workbook import write_workbook

# The longest period one export covers: Annex A asks for 6 months of contacts and 12 of most lists; two years is
# ample and keeps an export to minutes, not hours, on a large city.
MAX_PERIOD_DAYS = 2 * 366
COMMAND_LINE = Actor(id=None, username="safeguarding command", role="system")


def parse_period(start: str | date | None, end: str | date | None) -> Period:
    """The period an export covers, both days included. Errors name the field (``from`` or ``to``)."""
    errors: dict[str, str] = {}
    first = date_field(start, "from", "the first day of the period", errors)
    last = date_field(end, "to", "the last day of the period", errors)
    if first and last:
        if last < first:
            errors["to"] = (
                f"The last day of the period ({long_date(last)}) is before its first day ({long_date(first)})"
            )
        elif (last - first).days > MAX_PERIOD_DAYS:
            errors["to"] = "The period can be at most two years long"
    if errors:
        raise ValidationFailed(errors)
    assert first and last
    return Period(first, last)


def export_annex_a(
    session: Session,
    period: Period,
    out: Path | IO[bytes],
    *,
    user: User | None = None,
    database: Database | None = None,
) -> AnnexA:
    """Build and write Annex A for the period; audited as an export (by the user, or by the command line).

    Only performance analysts export it (core/access.py: STATUTORY_RETURN EXPORT). Nothing is written when the
    build fails; a period with no children writes nothing (``child_rows`` is 0) and the caller says so."""
    if user is not None:
        assert database is not None
        access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    annex = build(session, period)
    if annex.child_rows:
        write_workbook(annex, out)
    # An empty period is refused by the page (its work rolled back), yet the attempt stays in the audit log.
    record(
        session,
        access.actor_of(user) if user else COMMAND_LINE,
        "export",
        "annex_a",
        None,
        detail={
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "rows": {sheet.spec.sheet: len(sheet.rows) for sheet in annex.sheets},
        },
        survive_rollback=not annex.child_rows,
    )
    return annex
