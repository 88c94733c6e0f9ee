"""Pure rules of statutory case work: the order events must come in, what each event may hold, and the code
lists of the forms. Each rule has an id, a plain message and its source; a refusal names the rule.

Sources: Working Together to Safeguard Children 2023 (WT2023) chapters 3 and 4; the DfE CIN census validation
rules (ruleset cin2025_26); the counting convention of docs/timescales.md. Nothing here reads the database or the
clock: callers pass ``today`` and the facts of the child's episode.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from safeguarding.core import codes


@dataclass(frozen=True)
class Rule:
    id: str
    message: str
    source: str


def _rules(*items: Rule) -> MappingProxyType[str, Rule]:
    return MappingProxyType({r.id: r for r in items})


RULES: Final = _rules(
    Rule(
        "no-future-date",
        "cannot be in the future",
        "CIN census rules 8600, 8720, 4010 (dates after the reference date); a record states what has happened",
    ),
    Rule(
        "after-referral",
        "cannot be before the referral date",
        "CIN census rules 1103, 2889, 1104, 1105, 4015 (no activity before the episode's referral)",
    ),
    Rule(
        "episode-closed",
        "the episode of need is closed: open a new referral through the front door",
        "CIN census rule 8565 (no activity after closure)",
    ),
    Rule(
        "one-open-assessment",
        "the child already has an assessment that is not authorised",
        "CIN census rules 8896 and 8863Q (one open assessment per episode)",
    ),
    Rule(
        "authorised-after-start",
        "the authorisation date cannot be before the assessment started",
        "CIN census rule 8608",
    ),
    Rule(
        "late-reason-required",
        "the assessment is authorised after its 45-working-day due date: give the reason",
        "WT2023 chapter 3, 'Timeliness' (45 working days at most; record why when exceeded)",
    ),
    Rule("factors-only-authorised", "factors are recorded when the assessment is authorised", "CIN census rule 8614"),
    Rule("factors-required", "choose the factors identified (or 21, no factors identified)", "CIN census rule 8897Q"),
    Rule("factor-21-alone", "21 (no factors identified) cannot be combined with other factors", "CIN census rule 8869"),
    Rule(
        "legacy-factor",
        "18A and 19A are no longer used: choose 18B or 18C, 19B or 19C",
        "CIN census queries 8945Q and 8950Q (2024-25)",
    ),
    Rule(
        "s47-needs-strategy",
        "a section 47 enquiry starts from a strategy discussion that decided on one, held on or before its start",
        "WT2023 chapter 4, 'Section 47 enquiries'",
    ),
    Rule(
        "one-open-s47",
        "the child already has a section 47 enquiry without an outcome",
        "CIN census rules 8839 and 8890",
    ),
    Rule(
        "s47-completed-after-start",
        "the completion date cannot be before the enquiry started",
        "CIN census rule 8615 (dates in order)",
    ),
    Rule(
        "icpc-needs-strategy",
        "an initial conference needs an earlier strategy discussion",
        "WT2023 chapter 4, 'Initial child protection conferences' (15 working days from the last strategy discussion)",
    ),
    Rule(
        "icpc-needs-s47",
        "an initial conference needs a section 47 enquiry started on or before it that "
        "concluded a conference is needed",
        "CIN census rule 8615; WT2023 chapter 4",
    ),
    Rule("conference-weekday", "conferences are held on a weekday", "CIN census rule 8875"),
    Rule(
        "review-needs-plan",
        "a review conference reviews a child protection plan that is open on its date and started before it",
        "WT2023 chapter 4, 'Child protection review conference'; CIN census rule 8841",
    ),
    Rule(
        "plan-starts-at-conference",
        "a child protection plan starts on the date of the initial conference that decided on it",
        "CIN census rule 2885",
    ),
    Rule("one-open-cp-plan", "the child already has an open child protection plan", "CIN census rules 8935 and 8940"),
    Rule(
        "plan-ends-after-start",
        "a plan ends after the day it starts",
        "CIN census rules 8925, 8840 (CP) and 4011, 4012Q (CIN)",
    ),
    Rule("plan-end-reason", "give the reason the plan ended", "Local recording standard (plan end with reason)"),
    Rule(
        "core-group-needs-plan",
        "a core group meets while a child protection plan is open (on or after its start)",
        "WT2023 chapter 4, 'Action and responsibilities following the initial conference'",
    ),
    Rule("one-open-cin-plan", "the child already has an open child in need plan", "CIN census rules 4004, 4014"),
    Rule(
        "cin-cp-overlap",
        "a child in need plan and a child protection plan cannot be open together (except on "
        "the day one hands over to the other)",
        "CIN census rules 4001, 4016, 4017",
    ),
    Rule(
        "cin-review-needs-plan",
        "a child in need review belongs to a plan open on its date",
        "Local standard: child in need reviews (the council's own, a local setting)",
    ),
    Rule(
        "seen-alone-needs-seen",
        "a child seen alone was seen: answer yes to 'was the child seen?'",
        "Recording consistency",
    ),
    Rule(
        "closure-rc2-death",
        "RC2 (the child died) needs the child's date of death on their person record first",
        "CIN census rule 8585Q",
    ),
    Rule("closure-reason-required", "choose the DfE reason for closure", "CIN census rules 8805, 8640"),
    Rule(
        "closure-open-cp-plan",
        "end the child protection plan before closing the episode",
        "CIN census rule 8565; WT2023 chapter 4 (a plan ends at a review conference)",
    ),
    Rule("closure-open-cin-plan", "end the child in need plan before closing the episode", "CIN census rule 8565"),
    Rule(
        "closure-open-assessment",
        "an assessment is not authorised: authorise it before closing",
        "CIN census rule 8867",
    ),
    Rule("closure-open-s47", "a section 47 enquiry has no outcome: record it before closing", "CIN census rule 8868"),
    Rule(
        "closure-after-events",
        "the closure date cannot be before the last recorded event of the episode",
        "CIN census rules 8565, 8630",
    ),
    Rule(
        "closure-rc8-rc9",
        "RC8 and RC9 are for closure after assessment with no section 47, conference or plan",
        "CIN census rule 2990",
    ),
    Rule("next-after-held", "the next supervision is after this one", "Recording consistency"),
)


def message(rule_id: str) -> str:
    """The refusal as shown to the user, in plain words (the rule's id and source stay in the code and the docs)."""
    rule = RULES[rule_id]
    return f"{rule.message[0].upper()}{rule.message[1:]}"


@dataclass(frozen=True)
class Refusal:
    rule_id: str
    field: str

    @property
    def text(self) -> str:
        return message(self.rule_id)


def as_errors(refusals: Iterable[Refusal]) -> dict[str, str]:
    """Refusals as form errors, the first per field."""
    errors: dict[str, str] = {}
    for refusal in refusals:
        errors.setdefault(refusal.field, refusal.text)
    return errors


# --- code lists of the forms ----------------------------------------------------------------------------------------

ASSESSMENT_OUTCOMES: Final = MappingProxyType(
    {
        "nfa": "No further action",
        "early_help": "Step down to early help",
        "cin_plan": "Child in need plan (section 17)",
        "strategy_discussion": "Strategy discussion (reasonable cause to suspect significant harm)",
        "continue_cp": "Continue under child protection",
        "looked_after": "Child to become looked after",
    }
)
STRATEGY_DECISIONS: Final = MappingProxyType(
    {
        "section47": "Start a section 47 enquiry",
        "single_agency": "No section 47: continue the assessment",
        "nfa": "No further action",
    }
)
SECTION47_OUTCOMES: Final = MappingProxyType(
    {
        "icpc": "Concerns substantiated: convene an initial child protection conference",
        "cin": "Concerns not substantiated: child in need",
        "nfa": "No further action",
    }
)
CONFERENCE_OUTCOMES: Final = MappingProxyType(
    {
        "plan": "Child protection plan (initial) / continue the plan (review)",
        "no_plan": "No plan (initial) / end the plan (review)",
    }
)
CONFERENCE_KINDS: Final = MappingProxyType({"initial": "Initial conference", "review": "Review conference"})
VISIT_KINDS: Final = MappingProxyType(
    {
        "assessment": "Assessment visit",
        "cp": "Child protection visit",
        "cin": "Child in need visit",
        "other": "Other visit",
    }
)
NOTE_KINDS: Final = MappingProxyType(
    {
        "case_note": "Case note",
        "direct_work": "Direct work with the child",
        "phone_call": "Phone call",
        "multi_agency": "Multi-agency discussion",
        "management_decision": "Management decision",
        "significant_event": "Significant event",
    }
)

# Longest text each kind of field takes (characters); longer text is refused with the field named.
NAME_MAX = 100
REASON_MAX = 2000
TEXT_MAX = 20_000


# --- facts of an episode, and the checks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """An event with a start and (perhaps) an end: a plan, an assessment, an enquiry."""

    id: int
    start: date
    end: date | None = None
    outcome: str | None = None

    def open_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Episode:
    """The facts of one episode of need that the order rules look at (ids let an edit leave itself out)."""

    referral_date: date
    closed_date: date | None = None
    assessments: tuple[Span, ...] = ()  # end = authorisation date
    strategy_discussions: tuple[Span, ...] = ()  # start = held on, outcome = decision
    section47s: tuple[Span, ...] = ()  # end = completed on, outcome = outcome
    initial_conferences: tuple[Span, ...] = ()  # start = held on, outcome
    cp_plans: tuple[Span, ...] = ()
    cin_plans: tuple[Span, ...] = ()
    other_dates: tuple[date, ...] = field(default=())  # visits, reviews, core groups: for closure-after-events

    def without(self, kind: str, event_id: int | None) -> Episode:
        """The episode as it would be without this event (to check an edit against the others)."""
        if event_id is None:
            return self
        spans: tuple[Span, ...] = getattr(self, kind)
        return _replace(self, kind, tuple(s for s in spans if s.id != event_id))


def _replace(episode: Episode, kind: str, spans: tuple[Span, ...]) -> Episode:
    changes: dict[str, Any] = {kind: spans}
    return replace(episode, **changes)


def dated(day: date | None, field_name: str, episode: Episode, today: date) -> list[Refusal]:
    """Every event: not in the future, not before the referral, not on a closed episode."""
    if day is None:
        return []
    found: list[Refusal] = []
    if day > today:
        found.append(Refusal("no-future-date", field_name))
    if day < episode.referral_date:
        found.append(Refusal("after-referral", field_name))
    if episode.closed_date is not None:
        found.append(Refusal("episode-closed", field_name))
    return found


def check_assessment(
    episode: Episode, *, assessment_id: int | None, started_on: date, authorised_on: date | None, today: date
) -> list[Refusal]:
    others = episode.without("assessments", assessment_id)
    found = dated(started_on, "started_on", episode, today)
    if authorised_on is None and any(a.end is None for a in others.assessments):
        found.append(Refusal("one-open-assessment", "started_on"))
    if authorised_on is not None:
        found += [r for r in dated(authorised_on, "authorised_on", episode, today) if r.rule_id != "episode-closed"]
        if authorised_on < started_on:
            found.append(Refusal("authorised-after-start", "authorised_on"))
    return found


def check_authorisation(
    *, authorised_on: date, due_on: date, late_reason: str | None, factors: Sequence[str]
) -> list[Refusal]:
    """Manager authorisation: factors (DfE codes) and, when late, the reason."""
    found: list[Refusal] = []
    if authorised_on > due_on and not (late_reason or "").strip():
        found.append(Refusal("late-reason-required", "late_reason"))
    found += check_factors(factors, authorised=True)
    return found


def check_factors(factors: Sequence[str], *, authorised: bool) -> list[Refusal]:
    found: list[Refusal] = []
    chosen = list(factors)
    if chosen and not authorised:
        found.append(Refusal("factors-only-authorised", "factors"))
    if authorised and not chosen:
        found.append(Refusal("factors-required", "factors"))
    if "21" in chosen and len(set(chosen)) > 1:
        found.append(Refusal("factor-21-alone", "factors"))
    if set(chosen) & codes.LEGACY_ASSESSMENT_FACTORS:
        found.append(Refusal("legacy-factor", "factors"))
    return found


def check_strategy_discussion(episode: Episode, *, held_on: date, today: date) -> list[Refusal]:
    return dated(held_on, "held_on", episode, today)


def check_section47(
    episode: Episode,
    *,
    section47_id: int | None,
    strategy_discussion_id: int | None,
    started_on: date,
    completed_on: date | None,
    outcome: str | None,
    today: date,
) -> list[Refusal]:
    found = dated(started_on, "started_on", episode, today)
    discussion = next((s for s in episode.strategy_discussions if s.id == strategy_discussion_id), None)
    if discussion is None or discussion.outcome != "section47" or discussion.start > started_on:
        found.append(Refusal("s47-needs-strategy", "strategy_discussion_id"))
    others = episode.without("section47s", section47_id)
    if outcome is None and any(s.outcome is None for s in others.section47s):
        found.append(Refusal("one-open-s47", "started_on"))
    if completed_on is not None:
        found += [r for r in dated(completed_on, "completed_on", episode, today) if r.rule_id != "episode-closed"]
        if completed_on < started_on:
            found.append(Refusal("s47-completed-after-start", "completed_on"))
    return found


def check_conference(episode: Episode, *, kind: str, held_on: date, plan_id: int | None, today: date) -> list[Refusal]:
    found = dated(held_on, "held_on", episode, today)
    if held_on.weekday() >= 5:
        found.append(Refusal("conference-weekday", "held_on"))
    if kind == "initial":
        if not any(s.start <= held_on for s in episode.strategy_discussions):
            found.append(Refusal("icpc-needs-strategy", "held_on"))
        if not any(s.start <= held_on and s.outcome == "icpc" for s in episode.section47s):
            found.append(Refusal("icpc-needs-s47", "held_on"))
    else:
        plan = next((p for p in episode.cp_plans if p.id == plan_id), None)
        if plan is None or not plan.open_on(held_on) or held_on <= plan.start:
            found.append(Refusal("review-needs-plan", "held_on"))
    return found


def check_cp_plan(
    episode: Episode,
    *,
    plan_id: int | None,
    conference_date: date | None,
    started_on: date,
    ended_on: date | None,
    end_reason: str | None,
    today: date,
) -> list[Refusal]:
    found = (
        dated(started_on, "started_on", episode, today)
        if plan_id is None
        else [r for r in dated(started_on, "started_on", episode, today) if r.rule_id != "episode-closed"]
    )
    if conference_date is None or conference_date != started_on:
        found.append(Refusal("plan-starts-at-conference", "started_on"))
    others = episode.without("cp_plans", plan_id)
    if any(p.open_on(started_on) or (p.start >= started_on and ended_on is None) for p in others.cp_plans):
        found.append(Refusal("one-open-cp-plan", "started_on"))
    if any(c.start < started_on and (c.end is None or c.end > started_on) for c in episode.cin_plans):
        found.append(Refusal("cin-cp-overlap", "started_on"))
    found += _plan_end(started_on, ended_on, end_reason, episode, today, need_reason=True)
    return found


def _plan_end(
    started_on: date, ended_on: date | None, end_reason: str | None, episode: Episode, today: date, *, need_reason: bool
) -> list[Refusal]:
    if ended_on is None:
        return []
    found = [r for r in dated(ended_on, "ended_on", episode, today) if r.rule_id != "episode-closed"]
    if ended_on <= started_on:
        found.append(Refusal("plan-ends-after-start", "ended_on"))
    if need_reason and not end_reason:
        found.append(Refusal("plan-end-reason", "end_reason"))
    return found


def check_cin_plan(
    episode: Episode, *, plan_id: int | None, started_on: date, ended_on: date | None, today: date
) -> list[Refusal]:
    found = (
        dated(started_on, "started_on", episode, today)
        if plan_id is None
        else [r for r in dated(started_on, "started_on", episode, today) if r.rule_id != "episode-closed"]
    )
    others = episode.without("cin_plans", plan_id)
    if any(p.open_on(started_on) or (p.start >= started_on and ended_on is None) for p in others.cin_plans):
        found.append(Refusal("one-open-cin-plan", "started_on"))
    # A CIN plan may start on the day a CP plan ends (4016), not while it is open.
    if any(p.start <= started_on and (p.end is None or p.end > started_on) for p in episode.cp_plans):
        found.append(Refusal("cin-cp-overlap", "started_on"))
    found += _plan_end(started_on, ended_on, None, episode, today, need_reason=False)
    return found


def check_core_group(episode: Episode, *, plan_id: int | None, held_on: date, today: date) -> list[Refusal]:
    found = dated(held_on, "held_on", episode, today)
    plan = next((p for p in episode.cp_plans if p.id == plan_id), None)
    if plan is None or not plan.open_on(held_on):
        found.append(Refusal("core-group-needs-plan", "held_on"))
    return found


def check_cin_review(episode: Episode, *, plan_id: int | None, held_on: date, today: date) -> list[Refusal]:
    found = dated(held_on, "held_on", episode, today)
    plan = next((p for p in episode.cin_plans if p.id == plan_id), None)
    if plan is None or not plan.open_on(held_on):
        found.append(Refusal("cin-review-needs-plan", "held_on"))
    return found


def check_visit(
    episode: Episode, *, visited_on: date, child_seen: bool, seen_alone: bool, today: date
) -> list[Refusal]:
    found = dated(visited_on, "visited_on", episode, today)
    if seen_alone and not child_seen:
        found.append(Refusal("seen-alone-needs-seen", "seen_alone"))
    return found


def check_closure(
    episode: Episode, *, closed_on: date, reason: str | None, today: date, death_date: date | None = None
) -> list[Refusal]:
    """``death_date``: the child's date of death from their person record, if known."""
    found: list[Refusal] = []
    if reason == "RC2" and death_date is None:
        found.append(Refusal("closure-rc2-death", "reason"))
    if episode.closed_date is not None:
        found.append(Refusal("episode-closed", "closed_on"))
    if closed_on > today:
        found.append(Refusal("no-future-date", "closed_on"))
    if closed_on < episode.referral_date:
        found.append(Refusal("after-referral", "closed_on"))
    if not reason or reason not in codes.CLOSURE_REASONS:
        found.append(Refusal("closure-reason-required", "reason"))
    if any(p.end is None for p in episode.cp_plans):
        found.append(Refusal("closure-open-cp-plan", "closed_on"))
    if any(p.end is None for p in episode.cin_plans):
        found.append(Refusal("closure-open-cin-plan", "closed_on"))
    if any(a.end is None for a in episode.assessments):
        found.append(Refusal("closure-open-assessment", "closed_on"))
    if any(s.outcome is None for s in episode.section47s):
        found.append(Refusal("closure-open-s47", "closed_on"))
    if closed_on < last_event_date(episode):
        found.append(Refusal("closure-after-events", "closed_on"))
    if reason in ("RC8", "RC9") and (
        episode.section47s or episode.initial_conferences or episode.cp_plans or episode.cin_plans
    ):
        found.append(Refusal("closure-rc8-rc9", "reason"))
    return found


def last_event_date(episode: Episode) -> date:
    days = [episode.referral_date, *episode.other_dates]
    for spans in (
        episode.assessments,
        episode.strategy_discussions,
        episode.section47s,
        episode.initial_conferences,
        episode.cp_plans,
        episode.cin_plans,
    ):
        for span in spans:
            days.append(span.start)
            if span.end is not None:
                days.append(span.end)
    return max(days)


def check_supervision(*, held_on: date, next_on: date | None, today: date) -> list[Refusal]:
    found: list[Refusal] = []
    if held_on > today:
        found.append(Refusal("no-future-date", "held_on"))
    if next_on is not None and next_on <= held_on:
        found.append(Refusal("next-after-held", "next_on"))
    return found


# --- status ----------------------------------------------------------------------------------------------------------


def case_status(episode: Episode | None) -> str:
    """The child's current status in words: CP plan, CIN plan, under assessment, open, closed or none."""
    if episode is None:
        return "No open episode"
    if episode.closed_date is not None:
        return "Closed"
    if any(p.end is None for p in episode.cp_plans):
        return "Child protection plan"
    if any(s.outcome is None for s in episode.section47s):
        return "Section 47 enquiry"
    if any(p.end is None for p in episode.cin_plans):
        return "Child in need plan"
    if any(a.end is None for a in episode.assessments):
        return "Assessment"
    return "Open"


# --- genogram ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenogramPerson:
    id: int
    name: str
    kind: str  # child | adult
    sex: str | None
    born: int | None
    is_subject: bool = False


@dataclass(frozen=True)
class GenogramTie:
    parent_id: int | None  # for parent/carer ties
    child_id: int | None
    a: int | None = None  # for sibling / household ties
    b: int | None = None
    kind: str = "parent"
    ended: bool = False


@dataclass(frozen=True)
class Placed:
    person: GenogramPerson
    x: int
    y: int


@dataclass(frozen=True)
class Line:
    x1: int
    y1: int
    x2: int
    y2: int
    kind: str
    ended: bool


@dataclass(frozen=True)
class Genogram:
    width: int
    height: int
    people: tuple[Placed, ...]
    lines: tuple[Line, ...]


GENOGRAM_GAP_X = 150
GENOGRAM_GAP_Y = 120
GENOGRAM_MARGIN = 60


def layout_genogram(people: Sequence[GenogramPerson], ties: Sequence[GenogramTie]) -> Genogram:
    """Generations from the parent ties (a parent sits one row above their child), people ordered by birth year in
    each row; lines from parent to child, and between siblings. Squares for males, circles for females, the usual
    genogram convention (the template draws the shapes)."""
    ids = {p.id for p in people}
    generation: dict[int, int] = {p.id: 0 for p in people}
    parent_ties = [t for t in ties if t.kind in ("parent", "carer") and t.parent_id in ids and t.child_id in ids]
    # Relax: a parent is at least one generation above each child (bounded, so a cycle in bad data cannot loop).
    for _ in range(len(people) + 1):
        changed = False
        for tie in parent_ties:
            assert tie.parent_id is not None and tie.child_id is not None
            if generation[tie.child_id] < generation[tie.parent_id] + 1:
                generation[tie.child_id] = generation[tie.parent_id] + 1
                changed = True
        if not changed:
            break
    rows: dict[int, list[GenogramPerson]] = {}
    for person in people:
        rows.setdefault(min(generation[person.id], len(people)), []).append(person)
    placed: dict[int, Placed] = {}
    for depth, (level, members) in enumerate(sorted(rows.items())):
        del level
        members.sort(key=lambda p: (p.born or 0, p.name, p.id))
        for i, person in enumerate(members):
            placed[person.id] = Placed(
                person, GENOGRAM_MARGIN + i * GENOGRAM_GAP_X, GENOGRAM_MARGIN + depth * GENOGRAM_GAP_Y
            )
    lines: list[Line] = []
    for tie in ties:
        a, b = (tie.parent_id, tie.child_id) if tie.kind in ("parent", "carer") else (tie.a, tie.b)
        if a in placed and b in placed:
            assert a is not None and b is not None
            lines.append(Line(placed[a].x, placed[a].y, placed[b].x, placed[b].y, tie.kind, tie.ended))
    width = max((p.x for p in placed.values()), default=0) + 2 * GENOGRAM_MARGIN
    height = max((p.y for p in placed.values()), default=0) + 2 * GENOGRAM_MARGIN
    return Genogram(width, height, tuple(placed.values()), tuple(lines))
