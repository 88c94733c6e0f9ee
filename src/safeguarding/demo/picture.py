"""What the demo council's stages share while it is built: the families and people made (``people.demo``) that
the front door's contacts are about (``front_door.demo``), staff and partner agencies, and the weighted draws they
all make.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table

from safeguarding.core.calendar import LONDON
from safeguarding.core.users import AgencyKind, Role

HISTORY_YEARS = 3

# The demo social worker's cases that show drift on their due page and their team manager's, on the reference day:
# referrals for assessment from contacts received this many working days before it, whose assessments are still
# running. "overdue": past the 45 working days; "due_soon": due within the next five (the decision and sign-off
# take up to three working days); "forecast": the child not yet seen by working day 30, so forecast to be missed;
# "stalled": nothing recorded on the case since its first days (the 20 working days of the stalled-case clock
# passed). Made by the front door (the contact, referral and allocation) and case work (the episode);
# ``Builder.showcase`` maps each child to its kind.
SHOWCASE: dict[str, tuple[int, ...]] = {
    "overdue": (62, 66),
    "due_soon": (45, 44),
    "forecast": (37, 35),
    "stalled": (36, 34),
}


def table_of(model: type[Any]) -> Table:
    """A mapped class's table (typed as a Table: every model here maps one)."""
    return cast(Table, model.__table__)


@lru_cache(maxsize=256)
def _cumulative(options: tuple[tuple[Any, float], ...]) -> tuple[tuple[Any, ...], tuple[float, ...]]:
    total, cumulative = 0.0, []
    for _option, weight in options:
        total += weight
        cumulative.append(total)
    return tuple(o for o, _ in options), tuple(cumulative)


def weighted(rng: random.Random, options: tuple[tuple[Any, float], ...]) -> Any:
    """One option, drawn with the given weights (the mixes are constants, so their running sums are cached)."""
    population, cumulative = _cumulative(options)
    return population[bisect_right(cumulative, rng.random() * cumulative[-1])]


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@lru_cache(maxsize=8192)
def local_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


@dataclass
class PersonInfo:
    id: int
    first_name: str
    last_name: str
    date_of_birth: date | None
    nhs_number: str | None
    is_child: bool


@dataclass
class Household:
    index: int
    adults: list[PersonInfo]
    children: list[PersonInfo]
    address: str
    postcode: str
    last_referral_date: date | None = None
    last_referral_children: list[int] = field(default_factory=list)
    # The household's case is open (an allocation runs) until this moment.
    open_until: datetime | None = None
    # Allocations of the household's children: (started, ends, worker, children); ends far ahead while open.
    episodes: list[tuple[datetime, datetime, int, tuple[int, ...]]] = field(default_factory=list)
    # The worker a contact about this household was just routed to (set by _pick for an open case).
    routing_worker_id: int | None = None


@dataclass
class Staff:
    id: int
    username: str
    role: Role
    team_id: int | None


@dataclass
class Agency:
    id: int
    name: str
    kind: AgencyKind
    source: str
    group: str
    users: list[int] = field(default_factory=list)
    domain: str = ""
