"""What other capabilities know of a child, shown beside a contact on the MASH page: a panel per capability (the
child's early help history, for one).

Supplied by the capability that holds it (``supply_panel``, called when that capability is imported), as case work's
chronology is supplied by the front door: the front door imports none of them. Each source asks the access policy
itself and returns nothing the user may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from safeguarding.core.db import Database
from safeguarding.core.users import User


@dataclass(frozen=True)
class PanelEntry:
    on: date
    title: str
    detail: str = ""
    href: str | None = None


@dataclass(frozen=True)
class Panel:
    key: str
    heading: str
    entries: list[PanelEntry] = field(default_factory=list)
    empty: str = "None recorded."


# Each source reads the panels of several children at once (their person ids), in a fixed number of statements.
PanelSource = Callable[[Session, Database, User, Sequence[int]], dict[int, Panel]]
_sources: dict[str, PanelSource] = {}


def supply_panel(key: str, source: PanelSource) -> None:
    """Show a capability's panel beside each linked child on the MASH contact page."""
    _sources[key] = source


def panels_for(session: Session, database: Database, user: User, person_ids: Sequence[int]) -> dict[int, list[Panel]]:
    found: dict[int, list[Panel]] = {}
    if not person_ids:
        return found
    for _key, source in sorted(_sources.items()):
        for person_id, panel in source(session, database, user, person_ids).items():
            found.setdefault(person_id, []).append(panel)
    return found
