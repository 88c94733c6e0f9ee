"""A child's time in care read as the DfE's measures read it: placements (not episodes), the legal status on a day,
the placement on a day. Pure: SSDA903 episodes (``children_in_care.rules.episodes``, derived from the events, never
typed) in, plain values out. Read by the indicators (``indicators``) and by Annex A List 8 (``returns.annex_a``).

A placement is a run of episodes with the same placement and carer: a new one begins with every episode whose
reason (RNE) is S (started to be looked after), P (placement and carer), T (placement, same carer), U or B (legal
status and placement together); an L episode (legal status only) goes on in the same placement (DfE SSDA903 guide:
"a change of placement" is RNE P, T, U or B; the placement-stability measures count placements, not episodes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from safeguarding.children_in_care.rules import Episode

NEW_PLACEMENT: Final = frozenset({"S", "P", "T", "U", "B"})
ADOPTIVE_WITH_FOSTER_CARERS: Final = frozenset({"A3", "A5"})  # placed for adoption with the current foster carers


@dataclass(frozen=True)
class Placement:
    """One placement: from ``start`` to ``end`` (the day the next began or the child left care; None: open)."""

    start: date
    end: date | None
    place: str | None
    provider: str | None
    postcode: str | None
    home_postcode: str | None
    urn: str | None

    def overlaps(self, first: date, last: date) -> bool:
        return self.start <= last and (self.end is None or self.end > first)

    def holds_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def placements(episodes: Iterable[Episode]) -> list[Placement]:
    """The child's placements, earliest first, from their episodes (any number of periods of care)."""
    out: list[Placement] = []
    current: Episode | None = None
    end: date | None = None
    home: str | None = None  # the home postcode is recorded when the child comes into care
    home_then: str | None = None
    for e in sorted(episodes, key=lambda e: e.decom):
        home = e.home_post or (None if e.rne == "S" else home)
        if current is None or e.rne in NEW_PLACEMENT:
            if current is not None:
                out.append(_placement(current, end, home_then))
            current, home_then = e, home
        end = e.dec
    if current is not None:
        out.append(_placement(current, end, home_then))
    return out


def _placement(e: Episode, end: date | None, home: str | None) -> Placement:
    return Placement(e.decom, end, e.place, e.place_provider, e.pl_post, e.home_post or home, e.urn)


def episode_on(episodes: Sequence[Episode], day: date) -> Episode | None:
    """The episode the child was in on ``day`` (None: not looked after that day)."""
    for e in episodes:
        if e.decom <= day and (e.dec is None or day < e.dec):
            return e
    return None


def last_episode_by(episodes: Sequence[Episode], day: date) -> Episode | None:
    """The latest episode begun by ``day``: the one the child is in, or the one in which they left care."""
    begun = [e for e in episodes if e.decom <= day]
    return max(begun, key=lambda e: e.decom) if begun else None


def legal_status_since(episodes: Sequence[Episode], day: date) -> date | None:
    """The day the legal status held on ``day`` (or at the last episode by then) began: back through the episodes
    of the same period while it stays the same."""
    ordered = [e for e in sorted(episodes, key=lambda e: e.decom) if e.decom <= day]
    if not ordered:
        return None
    since = ordered[-1]
    for e in reversed(ordered[:-1]):
        if e.ls != since.ls or since.rne == "S" or e.dec != since.decom:
            break
        since = e
    return since.decom


def stable_since(history: Sequence[Placement], day: date) -> date | None:
    """Since when the child has lived with the same carers on ``day``: the current placement's start, or, placed for
    adoption with their foster carers (A3, A5), the start of the foster placement before it (DfE long-term stability:
    "or are placed for adoption and their adoptive placement together with their previous placement last for at least
    2 years"). None: not in a placement on that day."""
    for i, p in enumerate(history):
        if p.holds_on(day):
            if p.place in ADOPTIVE_WITH_FOSTER_CARERS and i > 0 and history[i - 1].end == p.start:
                return history[i - 1].start
            return p.start
    return None
