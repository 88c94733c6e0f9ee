"""What the children-in-care indicators read (``indicators``), as plain values loaded once for a period: periods of
care, placements (``insight.care``, from the SSDA903 episodes derived from the events), the clocks of reviews,
visits, health assessments and PEPs (derived by the timescales rules, as the due pages do), health assessments,
missing incidents, and care leavers' birthdays with what was recorded at them (the SSDA903 OC3 facts).

Every row starts with the child's person id, so that the team filter keeps a team's children (``CareFacts.only``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safeguarding.children_in_care import care_leavers as leaving_care
from safeguarding.children_in_care import rules as care_rules
from safeguarding.children_in_care.care_leaver_models import CareLeaver, Oc3Record
from safeguarding.children_in_care.care_leaver_service import periods_of, recorded_periods_of_each
from safeguarding.children_in_care.models import CareEvent, CarePeriod, HealthAssessment
from safeguarding.children_in_care.service import as_change
from safeguarding.core import local_settings
from safeguarding.core.calendar import LONDON, add_calendar_months
from safeguarding.exploitation.models import MissingEpisode, MissingKind
from safeguarding.insight import care
from safeguarding.insight.distance import far_from_home, grid_of
from safeguarding.insight.period import Period
from safeguarding.people.models import Person
from safeguarding.timescales.derive import derive
from safeguarding.timescales.events import clock_events
from safeguarding.timescales.rules import Lengths

SHORT_BREAKS: Final = frozenset({"V3", "V4"})  # an agreed series of short breaks: the DfE's figures leave them out
REVIEW_RULES: Final = ("cla-review-first", "cla-review-second", "cla-review")
CARE_VISIT_RULES: Final = ("cla-visit-first", "cla-visit", "cla-visit-long-term")
HEALTH_RULES: Final = ("health-assessment-initial", "health-assessment-review-under-5", "health-assessment-review")
PEP_RULES: Final = ("pep-initial",)
CLOCK_RULES: Final = frozenset(REVIEW_RULES + CARE_VISIT_RULES + HEALTH_RULES + PEP_RULES)
CARE_LEAVER_AGES: Final = (19, 20, 21)  # the DfE's care leaver outcomes are published for ages 19 to 21
CHUNK: Final = 500


@dataclass
class CareFacts:
    # child, started, the day they ceased to be looked after (None: still), whether only short breaks
    periods: list[tuple[int, date, date | None, bool]] = field(default_factory=list)
    # child, start, end (None: open), PLACE, more than 20 miles from home (None: not known), whether a short break
    placements: list[tuple[int, date, date | None, str | None, bool | None, bool]] = field(default_factory=list)
    born: list[tuple[int, date]] = field(default_factory=list)
    clocks: list[tuple[int, str, date, date | None]] = field(default_factory=list)  # child, rule, due, met
    health: list[tuple[int, date]] = field(default_factory=list)  # health assessments
    missing: list[tuple[int, date]] = field(default_factory=list)  # the day a child went missing (not "absent")
    # care leaver, age, birthday, IN_TOUCH, ACTIV, ACCOM (None: nothing recorded at that birthday)
    birthdays: list[tuple[int, int, date, str | None, str | None, str | None]] = field(default_factory=list)

    def only(self, person_ids: Collection[int]) -> CareFacts:
        kept = CareFacts()
        for f in fields(self):
            setattr(kept, f.name, [row for row in getattr(self, f.name) if row[0] in person_ids])
        return kept


def _chunks(ids: Collection[int]) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


def load_care_facts(session: Session, period: Period, today: date, *, clocks: bool = True) -> CareFacts:
    """Every child looked after at any time from 12 months before the period to its end, with their whole history of
    care (long-term stability looks back two and a half years), and the care leavers with a 19th to 21st birthday in
    the period. ``clocks``: derive the review, visit, health and PEP clocks (the costliest part)."""
    facts = CareFacts()
    since = add_calendar_months(period.start, -12)
    end = min(period.end, today)
    children = set(
        session.scalars(
            select(CarePeriod.person_id).where(
                CarePeriod.started_on <= end, or_(CarePeriod.ended_on.is_(None), CarePeriod.ended_on >= since)
            )
        )
    )
    grid = grid_of(session) if children else {}
    for chunk in _chunks(children):
        facts.born += [
            (p, born)
            for p, born in session.execute(select(Person.id, Person.date_of_birth).where(Person.id.in_(chunk)))
            if born is not None
        ]
        changes: dict[int, list[care_rules.CareChange]] = defaultdict(list)
        for event in session.scalars(
            select(CareEvent)
            .where(CareEvent.person_id.in_(chunk), CareEvent.occurred_on <= end)
            .order_by(CareEvent.person_id, CareEvent.occurred_on, CareEvent.id)
        ):
            changes[event.person_id].append(as_change(event))
        periods: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
        for person_id, started, ended in session.execute(
            select(CarePeriod.person_id, CarePeriod.started_on, CarePeriod.ended_on).where(
                CarePeriod.person_id.in_(chunk), CarePeriod.started_on <= end
            )
        ):
            periods[person_id].append((started, ended if ended is not None and ended <= end else None))
        for person_id in chunk:
            episodes = care_rules.episodes(changes[person_id])
            for started, ended in periods[person_id]:
                inside = [e for e in episodes if started <= e.decom and (ended is None or e.decom <= ended)]
                short = bool(inside) and all(e.ls in SHORT_BREAKS for e in inside)
                facts.periods.append((person_id, started, ended, short))
            for p in care.placements(episodes):
                first = care.episode_on(episodes, p.start)
                short = first is not None and first.ls in SHORT_BREAKS
                far = far_from_home(p.home_postcode, p.postcode, grid)
                facts.placements.append((person_id, p.start, p.end, p.place, far, short))
        facts.health += [
            (p, day)
            for p, day in session.execute(
                select(HealthAssessment.person_id, HealthAssessment.assessed_on).where(
                    HealthAssessment.person_id.in_(chunk), HealthAssessment.assessed_on <= end
                )
            )
        ]
        facts.missing += [
            (p, went.astimezone(LONDON).date())
            for p, went in session.execute(
                select(MissingEpisode.person_id, MissingEpisode.went_missing_at).where(
                    MissingEpisode.person_id.in_(chunk), MissingEpisode.kind == MissingKind.MISSING
                )
            )
            if since <= went.astimezone(LONDON).date() <= end
        ]
    if clocks and children:
        facts.clocks = _clocks(session, children, period, today)
    facts.birthdays = _birthdays(session, period, today)
    return facts


def _clocks(
    session: Session, children: set[int], period: Period, today: date
) -> list[tuple[int, str, date, date | None]]:
    """The review, visit, health assessment and PEP clocks due in the period, of every child looked after in it or
    the year before, derived from all their events by the timescales rules (not the stored deadlines, which hold only
    open cases' current clocks). A clock stopped by leaving care before anything met it ("lapsed") was missed."""
    lengths = Lengths(local_settings.get_all(session))
    session.flush()
    events = clock_events(session.connection(), children, today, episodes="all")
    found = []
    for person_id in sorted(children):
        for clock in derive(person_id, events.events.get(person_id, []), lengths):
            if clock.rule.id in CLOCK_RULES and period.start <= clock.due <= period.end:
                found.append((person_id, clock.rule.id, clock.due, None if clock.lapsed else clock.met_on))
    return found


def _birthdays(
    session: Session, period: Period, today: date
) -> list[tuple[int, int, date, str | None, str | None, str | None]]:
    """Care leavers whose 19th, 20th or 21st birthday fell in the period (up to today) and who were relevant or
    former relevant on it (the DfE's OC3 cohort), with the facts recorded for that birthday in its window."""
    last = min(period.end, today)
    leavers = list(session.scalars(select(CareLeaver)))
    if not leavers:
        return []
    recorded = recorded_periods_of_each(session, [leaver.person_id for leaver in leavers])
    facts: dict[tuple[int, int], list[Oc3Record]] = defaultdict(list)
    fact: Oc3Record | None
    for fact in session.scalars(select(Oc3Record).order_by(Oc3Record.recorded_on, Oc3Record.id)):
        facts[(fact.care_leaver_id, fact.age)].append(fact)
    found = []
    for leaver in leavers:
        born = leaver.person.date_of_birth
        if born is None:
            continue
        history = periods_of(session, leaver, recorded.get(leaver.person_id))
        for age in CARE_LEAVER_AGES:
            birthday = leaving_care.birthday(born, age)
            if not period.start <= birthday <= last:
                continue
            status = leaving_care.eligibility(born, history, birthday)
            if status.category not in (leaving_care.Category.RELEVANT, leaving_care.Category.FORMER_RELEVANT):
                continue
            opens, closes = leaving_care.oc3_window(born, age)
            inside = [f for f in facts[(leaver.id, age)] if opens <= f.recorded_on <= closes]
            fact = inside[-1] if inside else None
            found.append(
                (
                    leaver.person_id,
                    age,
                    birthday,
                    fact.in_touch if fact else None,
                    fact.activity if fact else None,
                    fact.accommodation if fact else None,
                )
            )
    return found


def looked_after_on(row: tuple[int, date, date | None, bool], day: date) -> bool:
    """A period of care covers ``day`` (the day care ended is the last day looked after, as
    ``children_in_care.service.PeriodOfCare`` reads it)."""
    _child, started, ended, _short = row
    return started <= day and (ended is None or day <= ended)
