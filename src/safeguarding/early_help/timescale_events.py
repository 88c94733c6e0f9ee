"""Early help's clock events, supplied to timescales: which children are in an open early help episode (their
deadlines are held even with no social care case open), and the events of each episode -- its start, the days the
council's anchors name (the need identified, the decision to provide early help, the family's consent to the
assessment), each assessment completed, each team around the family meeting or review, and its end. Every event
names its episode (``stops_source_id``), so ``timescales.derive._early_help`` keeps each episode's clocks apart.

The council's anchors (local settings ``timescales.early_help.*.anchor``) are applied here, with
``rules.anchor_day``: the event each clock counts from carries a flag. The episode's lead practitioner holds its
clocks (``CaseEvents.rule_workers``). Registered with ``timescales.events`` on import (the package's ``__init__``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select

from safeguarding.core.local_settings import DEFINITIONS, LocalSetting
from safeguarding.core.users import User
from safeguarding.early_help import rules
from safeguarding.early_help.models import (
    ConsentScope,
    EarlyHelpAssessment,
    EarlyHelpConsent,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EpisodeStatus,
    FamilyMemberRole,
    TeamAroundFamilyMeeting,
)
from safeguarding.timescales import events as timescales
from safeguarding.timescales.derive import EARLY_HELP_ASSESSMENT_ANCHOR, EARLY_HELP_MEETING_ANCHOR
from safeguarding.timescales.events import Reading, Share, dated_rows
from safeguarding.timescales.rules import ClockEvent, EventKind

E = EventKind
EARLY_HELP_RULES = (
    "early-help-assessment",
    "early-help-first-meeting",
    "early-help-review",
    "early-help-reassessment",
)
CHILD_ROLES = (FamilyMemberRole.CHILD.value, FamilyMemberRole.UNBORN_CHILD.value)
CLOCKED = (EpisodeStatus.OPEN.value, EpisodeStatus.CLOSED.value)
ANCHOR_SETTINGS = (rules.ASSESSMENT_ANCHOR_SETTING, rules.FIRST_MEETING_ANCHOR_SETTING)


def open_children(share: Share | None = None) -> Any:
    """Children in an open early help episode (linked to the person index, not gone from it)."""
    query = (
        select(EarlyHelpFamilyMember.person_id)
        .join(EarlyHelpEpisode, EarlyHelpEpisode.id == EarlyHelpFamilyMember.episode_id)
        .where(
            EarlyHelpEpisode.status == EpisodeStatus.OPEN.value,
            EarlyHelpFamilyMember.person_id.is_not(None),
            EarlyHelpFamilyMember.role.in_(CHILD_ROLES),
            EarlyHelpFamilyMember.left_on.is_(None),
        )
    )
    return query.where(share.holds(EarlyHelpFamilyMember.person_id)) if share is not None else query


def open_among(ids: list[int]) -> list[Any]:
    return [open_children().where(EarlyHelpFamilyMember.person_id.in_(ids))]


def _anchors(reading: Reading) -> dict[str, str]:
    values = {key: str(DEFINITIONS[key].default) for key in ANCHOR_SETTINGS}
    for key, value_json in reading.fetch(
        select(LocalSetting.key, LocalSetting.value_json).where(LocalSetting.key.in_(ANCHOR_SETTINGS))
    ):
        values[key] = str(json.loads(value_json))
    return {
        "assessment": rules.setting_anchor(
            values, rules.ASSESSMENT_ANCHOR_SETTING, rules.ASSESSMENT_ANCHORS, rules.DEFAULT_ASSESSMENT_ANCHOR
        ),
        "meeting": rules.setting_anchor(
            values, rules.FIRST_MEETING_ANCHOR_SETTING, rules.FIRST_MEETING_ANCHORS, rules.DEFAULT_FIRST_MEETING_ANCHOR
        ),
    }


ANCHOR_EVENTS = {
    rules.Anchor.STARTED: E.EARLY_HELP_STARTED,
    rules.Anchor.NEED_IDENTIFIED: E.EARLY_HELP_NEED_IDENTIFIED,
    rules.Anchor.DECIDED: E.EARLY_HELP_DECIDED,
    rules.Anchor.CONSENT: E.EARLY_HELP_CONSENT,
    rules.Anchor.ASSESSMENT_COMPLETED: E.EARLY_HELP_ASSESSMENT,
}


def read(reading: Reading) -> None:
    day, today, out = reading.day, reading.today, reading.out
    children: defaultdict[int, list[int]] = defaultdict(list)
    episodes: dict[int, tuple[Any, ...]] = {}
    for episode_id, status, started, identified, decided, closed, lead_id, team_id, person_id in reading.fetch(
        select(
            EarlyHelpEpisode.id,
            EarlyHelpEpisode.status,
            EarlyHelpEpisode.started_on,
            EarlyHelpEpisode.need_identified_on,
            EarlyHelpEpisode.decided_on,
            EarlyHelpEpisode.closed_on,
            EarlyHelpEpisode.lead_practitioner_id,
            User.team_id,
            EarlyHelpFamilyMember.person_id,
        )
        .join(EarlyHelpEpisode, EarlyHelpEpisode.id == EarlyHelpFamilyMember.episode_id)
        .outerjoin(User, User.id == EarlyHelpEpisode.lead_practitioner_id)
        .where(
            reading.of_share(EarlyHelpFamilyMember.person_id),
            EarlyHelpFamilyMember.role.in_(CHILD_ROLES),
            EarlyHelpEpisode.status.in_(CLOCKED),
        )
    ):
        if person_id is None or not reading.wanted(person_id):
            continue
        children[episode_id].append(person_id)
        episodes[episode_id] = (status, day(started), day(identified), day(decided), day(closed))
        if status == EpisodeStatus.OPEN.value:
            out.rule_workers.setdefault(person_id, {}).update(dict.fromkeys(EARLY_HELP_RULES, (lead_id, team_id)))
    if not episodes:
        return
    ids = list(episodes)
    consent: dict[int, tuple[int, date]] = {}
    for consent_id, episode_id, given_on in reading.fetch(
        select(EarlyHelpConsent.id, EarlyHelpConsent.episode_id, EarlyHelpConsent.given_on)
        .where(EarlyHelpConsent.episode_id.in_(ids), EarlyHelpConsent.scope == ConsentScope.ASSESSMENT.value)
        .order_by(EarlyHelpConsent.given_on, EarlyHelpConsent.id)
    ):
        consent.setdefault(episode_id, (consent_id, day(given_on)))
    assessments: defaultdict[int, list[tuple[int, date]]] = defaultdict(list)
    for assessment_id, episode_id, completed_on in reading.fetch(
        select(EarlyHelpAssessment.id, EarlyHelpAssessment.episode_id, EarlyHelpAssessment.completed_on)
        .where(EarlyHelpAssessment.episode_id.in_(ids), EarlyHelpAssessment.completed_on.is_not(None))
        .order_by(EarlyHelpAssessment.completed_on, EarlyHelpAssessment.id)
    ):
        assessments[episode_id].append((assessment_id, day(completed_on)))
    meetings: defaultdict[int, list[tuple[int, date]]] = defaultdict(list)
    for meeting_id, episode_id, held_on in reading.fetch(
        select(TeamAroundFamilyMeeting.id, TeamAroundFamilyMeeting.episode_id, TeamAroundFamilyMeeting.held_on).where(
            TeamAroundFamilyMeeting.episode_id.in_(ids)
        )
    ):
        meetings[episode_id].append((meeting_id, day(held_on)))
    anchors = _anchors(reading)
    for episode_id, (status, started, identified, decided, closed) in episodes.items():
        consent_id, consented = consent.get(episode_id, (None, None))
        completed = assessments[episode_id]
        days = rules.EpisodeDays(started, identified, decided, consented, completed[0][1] if completed else None)
        flags: defaultdict[EventKind, set[str]] = defaultdict(set)
        for flag, name, fallback in (
            (EARLY_HELP_ASSESSMENT_ANCHOR, anchors["assessment"], rules.Anchor.STARTED),
            (EARLY_HELP_MEETING_ANCHOR, anchors["meeting"], rules.Anchor.STARTED),
        ):
            anchor_on = rules.anchor_day(days, name, fallback=fallback)
            if anchor_on is None:
                continue
            # The anchor named, or the episode's start where that day is not recorded (rules.anchor_day).
            flags[ANCHOR_EVENTS[name] if days.of(name) is not None else E.EARLY_HELP_STARTED].add(flag)
        rows: list[tuple[EventKind, date | None, str, int | None, frozenset[str]]] = [
            (E.EARLY_HELP_STARTED, started, "early_help_episode", episode_id, frozenset(flags[E.EARLY_HELP_STARTED])),
            (
                E.EARLY_HELP_NEED_IDENTIFIED,
                identified,
                "early_help_episode",
                episode_id,
                frozenset(flags[E.EARLY_HELP_NEED_IDENTIFIED]),
            ),
            (E.EARLY_HELP_DECIDED, decided, "early_help_episode", episode_id, frozenset(flags[E.EARLY_HELP_DECIDED])),
            (E.EARLY_HELP_CONSENT, consented, "early_help_consent", consent_id, frozenset(flags[E.EARLY_HELP_CONSENT])),
        ]
        for number, (assessment_id, completed_on) in enumerate(completed):
            # Only the first assessment is an anchor (the first meeting counted from the assessment's completion).
            marks = frozenset(flags[E.EARLY_HELP_ASSESSMENT]) if number == 0 else frozenset()
            rows.append((E.EARLY_HELP_ASSESSMENT, completed_on, "early_help_assessment", assessment_id, marks))
        for meeting_id, held_on in sorted(meetings[episode_id], key=lambda m: (m[1], m[0])):
            rows.append((E.EARLY_HELP_MEETING, held_on, "early_help_taf_meeting", meeting_id, frozenset()))
        if status == EpisodeStatus.CLOSED.value:
            rows.append((E.EARLY_HELP_ENDED, closed, "early_help_episode", episode_id, frozenset()))
        for person_id in children[episode_id]:
            for kind, on, source, source_id, marks in rows:
                if on is not None and source_id is not None and on <= today:
                    out.events[person_id].append(
                        ClockEvent(kind, on, source, source_id, person_id, marks, stops_source_id=episode_id)
                    )


def dated(after: date, today: date) -> list[Any]:
    person = EarlyHelpFamilyMember.person_id
    member = (EarlyHelpFamilyMember, EarlyHelpFamilyMember.episode_id == EarlyHelpEpisode.id)

    def via_episode(column: Any, key: Any) -> Any:
        return dated_rows(column, after, today, person, (EarlyHelpEpisode, EarlyHelpEpisode.id == key), member)

    return [
        dated_rows(EarlyHelpEpisode.started_on, after, today, person, member),
        dated_rows(EarlyHelpEpisode.need_identified_on, after, today, person, member),
        dated_rows(EarlyHelpEpisode.decided_on, after, today, person, member),
        dated_rows(EarlyHelpEpisode.closed_on, after, today, person, member),
        via_episode(EarlyHelpConsent.given_on, EarlyHelpConsent.episode_id),
        via_episode(EarlyHelpAssessment.completed_on, EarlyHelpAssessment.episode_id),
        via_episode(TeamAroundFamilyMeeting.held_on, TeamAroundFamilyMeeting.episode_id),
    ]


timescales.register_open_cases(timescales.OpenCases(open_children, open_among, "early_help"))
timescales.register(timescales.EventSource("early_help", read, dated))
