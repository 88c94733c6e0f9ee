"""The demo council's case work (assessments, strategy discussions, s47, conferences, plans, visits, notes,
supervision): a stage of ``demo.council.build_council``.

For each referral the front door made, an episode in the order the law sets: an assessment (most authorised within
45 working days, some late with a recorded reason, some open and heading late); on the child protection route a
strategy discussion with the agencies that took part, a section 47 enquiry, an initial conference, a plan with its
categories, core groups, review conferences and visits at roughly the local cadence with gaps; on the child in need
route a plan with reviews and visits; notes; and each worker's supervisions with the management oversight of their
cases (dated after each case's assessment began, saying what fits its stage). The demo social worker's drift
cases (``demo.picture.SHOWCASE``) keep their assessments running: overdue, due soon, the child not yet seen, or
nothing recorded since the first days. A few children referred in the last week are left waiting for allocation.
Deterministic from ``builder.seed`` with this stage's own ``random.Random``. Episodes closed more than a month
before the reference moment keep their statutory dates (assessment, conference, plan) but not every visit, so the
large council stays quick to build.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, select

from safeguarding.casework.models import (
    Allocation,
    Assessment,
    AssessmentFactor,
    CaseNote,
    ChildInNeedPlan,
    ChildInNeedReview,
    ChildProtectionConference,
    ChildProtectionPlan,
    CoreGroupMeeting,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
    StrategyParticipant,
    Supervision,
    SupervisionCase,
    Visit,
)
from safeguarding.core.calendar import LONDON, add_working_days_quick
from safeguarding.core.users import Role, User
from safeguarding.demo import names


def _t(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


MODELS: tuple[type[Any], ...] = (
    Assessment,
    AssessmentFactor,
    StrategyDiscussion,
    StrategyParticipant,
    Section47Enquiry,
    ChildProtectionPlan,
    ChildProtectionConference,
    CoreGroupMeeting,
    Visit,
    ChildInNeedPlan,
    ChildInNeedReview,
    CaseNote,
    Supervision,
    SupervisionCase,
)
TABLES: list[Table] = [_t(m) for m in MODELS]

# Factors identified at assessment, weighted roughly as the CIN census reports them nationally (domestic abuse and
# parental mental health the most common).
FACTORS: tuple[tuple[str, int], ...] = (
    ("3B", 30),
    ("3A", 22),
    ("4B", 28),
    ("16A", 14),
    ("17A", 16),
    ("2B", 12),
    ("1B", 9),
    ("4A", 12),
    ("5B", 5),
    ("6B", 5),
    ("14A", 6),
    ("15A", 5),
    ("18C", 6),
    ("19C", 3),
    ("24A", 3),
    ("11A", 2),
    ("10A", 3),
    ("7A", 2),
    ("20", 4),
)
LATE_REASONS = (
    "Mother admitted to hospital during the assessment; home visits rescheduled twice.",
    "Family moved address twice; could not be traced for three weeks.",
    "Awaiting paediatric report needed to complete the analysis.",
    "Worker absent through illness; case reallocated within the team.",
    "Father declined contact until legal advice was obtained.",
)
NOTE_TEXTS: dict[str, tuple[str, ...]] = {
    "case_note": (
        "Spoke with the school DSL: attendance improved to 92% this half term.",
        "Mother reports the new tenancy has started; support worker visiting weekly.",
    ),
    "direct_work": (
        "Three houses exercise completed with the child; worries centred on arguments at home.",
        "Child drew their family and named their grandmother as the person they would tell.",
    ),
    "phone_call": (
        "Call from health visitor: weight checks on track, no new concerns.",
        "Father called to ask about contact arrangements; explained the plan.",
    ),
    "multi_agency": ("Core group members updated on the plan by e-mail; police have no new incidents.",),
    "management_decision": ("Manager agrees the plan continues; review the safety plan in four weeks.",),
}
# A manager's decision in supervision speaks of where the child's case stands on the day: an assessment still
# running, a plan in place, or an assessment finished with no plan yet.
ASSESSMENT_DECISIONS = (
    "Agree the assessment can be authorised once the health information is in.",
    "See the child alone before the assessment is completed; update the chronology.",
    "Request an updated school report to inform the assessment.",
)
PLAN_DECISIONS = (
    "Continue the plan; visit within ten working days and update the chronology.",
    "Convene a review with the family network before the next core group.",
    "Request an updated school report; consider step-down at the next review.",
    "Seek legal planning advice if the home conditions do not improve by the review.",
)
NEXT_STEP_DECISIONS = (
    "Share the assessment with the family and agree the next steps with them.",
    "Agree the plan to be drawn up with the family and partners before the next supervision.",
)
DECISIONS = ASSESSMENT_DECISIONS + PLAN_DECISIONS + NEXT_STEP_DECISIONS
PARTNER_ROLES = (
    ("Police", "Detective Constable"),
    ("Health", "Named nurse"),
    ("Education", "Designated lead"),
    ("Children's social care", "Team manager"),
)
DETAIL_DAYS = 31  # episodes closed longer ago keep their statutory dates, not every visit


class _Stage:
    def __init__(self, builder: Any, writer: Any) -> None:
        self.builder = builder
        self.writer = writer
        self.rng = random.Random(f"casework-{builder.seed}")
        self.today = builder.now.astimezone(LONDON).date()
        self.stats = {
            "assessments": 0,
            "late_assessments": 0,
            "cp_plans": 0,
            "cin_plans": 0,
            "visits": 0,
            "supervisions": 0,
            "unallocated": 0,
        }
        self.open_cases: dict[int, list[int]] = {}  # worker -> open children
        # Each child's latest episode: (assessment started on, authorised on, plan started on), so that
        # management oversight is dated after the case it speaks of and says what fits its stage.
        self.stage_of: dict[int, tuple[date, date | None, date | None]] = {}
        models: tuple[type[Any], ...] = (*MODELS, Referral)
        self.tables = {model: (_t(model), "id" in _t(model).c) for model in models}

    # -- plumbing --------------------------------------------------------------------------------------------------

    def add(self, model: type[Any], row: dict[str, Any]) -> int:
        table, has_id = self.tables[model]
        if has_id:
            row["id"] = self.writer.new_id(table)
        self.writer.add(table, row)
        return int(row.get("id", 0))

    def at(self, day: date) -> datetime:
        return datetime.combine(day, time(10, 0), LONDON).astimezone(UTC)

    def wd(self, day: date, n: int) -> date:
        return add_working_days_quick(day, max(0, n))

    # -- reading what the front door made ------------------------------------------------------------------------

    def referrals(self) -> list[Any]:
        referral = _t(Referral)
        return list(
            self.writer.connection.execute(
                select(
                    referral.c.id,
                    referral.c.person_id,
                    referral.c.referral_date,
                    referral.c.closed_date,
                    referral.c.closure_reason,
                    referral.c.route,
                ).order_by(referral.c.id)
            )
        )

    def allocations(self) -> dict[tuple[int, date], tuple[int, int | None, bool]]:
        table = _t(Allocation)
        found: dict[tuple[int, date], tuple[int, int | None, bool]] = {}
        for person_id, worker_id, team_id, started_at, ended_at in self.writer.connection.execute(
            select(
                table.c.person_id, table.c.worker_id, table.c.team_id, table.c.started_at, table.c.ended_at
            ).order_by(table.c.id)
        ):
            started = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
            found[(person_id, started.astimezone(LONDON).date())] = (worker_id, team_id, ended_at is None)
        return found

    def managers(self) -> dict[int | None, int]:
        table = _t(User)
        found: dict[int | None, int] = {}
        for user_id, team_id in self.writer.connection.execute(
            select(table.c.id, table.c.team_id).where(table.c.role == Role.TEAM_MANAGER.value).order_by(table.c.id)
        ):
            found.setdefault(team_id, user_id)
            found.setdefault(None, user_id)
        return found

    # -- one episode ----------------------------------------------------------------------------------------------

    def episode(self, r: Any, worker: int, manager: int, is_open: bool) -> None:
        rng = self.rng
        horizon = r.closed_date or self.today
        detailed = is_open or (self.today - horizon).days <= DETAIL_DAYS
        common = {"person_id": r.person_id, "referral_id": r.id}
        assessment_only = r.closure_reason in ("RC8", "RC9")
        protection = r.route != "referral_for_assessment" and not assessment_only
        # The assessment: most within 45 working days, about one in eight late with a reason; open ones still running.
        start = self.wd(r.referral_date, rng.randint(0, 3))
        if start > horizon:
            start = r.referral_date
        late = rng.random() < 0.12
        length = rng.randint(48, 75) if late else rng.randint(8, 44)
        authorised: date | None = self.wd(start, length)
        if authorised is not None and authorised > horizon:
            authorised = None if is_open else horizon
        # One of the demo social worker's cases that show drift (demo.picture.SHOWCASE): the assessment still runs.
        showcase = self.builder.showcase.get(r.person_id) if is_open else None
        if showcase is not None:
            authorised = None
        outcome = None
        if authorised is not None:
            outcome = (
                "nfa"
                if r.closure_reason == "RC8"
                else "early_help"
                if r.closure_reason == "RC9"
                else "strategy_discussion"
                if protection
                else "cin_plan"
            )
        due = self.wd(r.referral_date, 45)
        assessment_id = self.add(
            Assessment,
            {
                **common,
                "started_on": start,
                "summary": "Assessment of the child's needs and the family's capacity.",
                "outcome": outcome,
                "authorised_on": authorised,
                "authorised_by_id": manager if authorised else None,
                "late_reason": rng.choice(LATE_REASONS) if authorised and authorised > due else None,
                "recorded_by_id": worker,
                "created_at": self.at(start),
            },
        )
        self.stage_of[r.person_id] = (start, authorised, None)
        self.stats["assessments"] += 1
        self.stats["late_assessments"] += int(bool(authorised and authorised > due))
        if authorised is not None:
            codes = ["21"] if r.closure_reason == "RC8" and rng.random() < 0.5 else self.factors()
            for code in codes:
                self.add(AssessmentFactor, {"assessment_id": assessment_id, "code": code})
        if showcase == "forecast":
            # Visits made, but the child not seen: no visit seeing them by working day 30 of the assessment.
            self.visits(common, "assessment", start, horizon, 8, worker, seen_rate=0.0)
        elif showcase == "stalled":
            # Seen in the first days, then nothing recorded at all.
            self.visits(common, "assessment", start, self.wd(start, 3), 8, worker)
        elif detailed:
            self.visits(common, "assessment", start, authorised or horizon, 8, worker)
        if assessment_only or (authorised is None and not protection):
            return
        end_by = r.closed_date  # plans end before a closure
        if protection:
            self.protection(r, common, worker, manager, horizon, end_by, detailed)
        elif authorised is not None:
            self.child_in_need(
                common, worker, manager, self.wd(authorised, rng.randint(1, 10)), horizon, end_by, detailed
            )
        if is_open:
            self.notes(r.person_id, worker, r.referral_date)

    def plan_started(self, person_id: int, on: date) -> None:
        begun, authorised, _plan = self.stage_of[person_id]
        self.stage_of[person_id] = (begun, authorised, on)

    def decision_on(self, person_id: int, day: date) -> str | None:
        """A manager's decision on the child's case in supervision on ``day`` fitting where the case stood, or None
        when the case had not yet begun."""
        begun, authorised, plan = self.stage_of.get(person_id, (day, None, None))
        if begun > day:
            return None
        if plan is not None and plan <= day:
            return self.rng.choice(PLAN_DECISIONS)
        if authorised is None or authorised > day:
            return self.rng.choice(ASSESSMENT_DECISIONS)
        return self.rng.choice(NEXT_STEP_DECISIONS)

    def factors(self) -> list[str]:
        rng = self.rng
        codes, weights = zip(*FACTORS, strict=True)
        picked = set(rng.choices(codes, weights, k=rng.choices((1, 2, 3), (55, 35, 10))[0]))
        return sorted(picked)

    def protection(
        self,
        r: Any,
        common: dict[str, Any],
        worker: int,
        manager: int,
        horizon: date,
        end_by: date | None,
        detailed: bool,
    ) -> None:
        rng = self.rng
        held = self.wd(r.referral_date, rng.randint(0, 2))
        if held > horizon:
            return
        discussion = self.add(
            StrategyDiscussion,
            {
                **common,
                "held_on": held,
                "decision": "section47",
                "notes": "Information shared by police, health and school; threshold for section 47 met.",
                "recorded_by_id": worker,
                "created_at": self.at(held),
            },
        )
        for agency, role in rng.sample(PARTNER_ROLES, 3):
            self.add(
                StrategyParticipant,
                {
                    "strategy_discussion_id": discussion,
                    "agency": agency,
                    "role": role,
                    "name": f"{rng.choice(names.WOMEN + names.MEN)} {rng.choice(names.SURNAMES)}",
                },
            )
        completed = self.wd(held, rng.randint(3, 10))
        to_conference = rng.random() < 0.7
        enquiry_done = completed <= horizon
        s47 = self.add(
            Section47Enquiry,
            {
                **common,
                "strategy_discussion_id": discussion,
                "started_on": held,
                "completed_on": completed if enquiry_done else None,
                "outcome": ("icpc" if to_conference else "cin") if enquiry_done else None,
                "recorded_by_id": worker,
                "created_at": self.at(held),
            },
        )
        if not enquiry_done:
            return
        if not to_conference:
            self.child_in_need(
                common, worker, manager, self.wd(completed, rng.randint(2, 8)), horizon, end_by, detailed
            )
            return
        # Initial conference: within 15 working days of the strategy discussion, a few late.
        icpc = self.wd(held, rng.randint(9, 15) if rng.random() < 0.85 else rng.randint(16, 24))
        if icpc > horizon or (end_by and icpc >= end_by):
            return
        category = rng.choices(("NEG", "EMO", "PHY", "SAB", "MUL"), (48, 36, 8, 4, 4))[0]
        plan_end: date | None = None
        months = rng.randint(4, 14)
        if end_by is not None:
            plan_end = min(end_by, self.wd(icpc, months * 21))
            if plan_end <= icpc:
                plan_end = None
        elif rng.random() < 0.25:
            candidate = self.wd(icpc, months * 21)
            plan_end = candidate if candidate < self.today else None
        plan = self.add(
            ChildProtectionPlan,
            {
                **common,
                "started_on": icpc,
                "initial_category": category,
                "latest_category": category if rng.random() < 0.8 else rng.choice(("NEG", "EMO")),
                "ended_on": plan_end,
                "end_reason": rng.choice(("no_longer_at_risk", "no_longer_at_risk_closed")) if plan_end else None,
                "recorded_by_id": worker,
                "created_at": self.at(icpc),
            },
        )
        self.stats["cp_plans"] += 1
        self.plan_started(r.person_id, icpc)
        self.add(
            ChildProtectionConference,
            {
                **common,
                "kind": "initial",
                "section47_id": s47,
                "plan_id": plan,
                "held_on": icpc,
                "outcome": "plan",
                "chair": f"{rng.choice(names.WOMEN)} {rng.choice(names.SURNAMES)}",
                "recorded_by_id": worker,
                "created_at": self.at(icpc),
            },
        )
        last = plan_end or horizon
        # Review conferences: the first within 3 months, then at most every 6 months.
        review = self.wd(icpc, rng.randint(55, 64))
        while review <= last and review > icpc:
            self.add(
                ChildProtectionConference,
                {
                    **common,
                    "kind": "review",
                    "plan_id": plan,
                    "held_on": review,
                    "outcome": "no_plan" if plan_end and review == plan_end else "plan",
                    "recorded_by_id": worker,
                    "created_at": self.at(review),
                },
            )
            review = self.wd(review, rng.randint(110, 128))
        if not detailed:
            return
        # Core groups: the first within 10 working days, then about every 4 weeks, with the odd one missed.
        meeting = self.wd(icpc, rng.randint(5, 12))
        while meeting <= last:
            if rng.random() > 0.1:
                self.add(
                    CoreGroupMeeting,
                    {
                        "plan_id": plan,
                        "person_id": r.person_id,
                        "held_on": meeting,
                        "recorded_by_id": worker,
                        "created_at": self.at(meeting),
                    },
                )
            meeting = self.wd(meeting, rng.randint(18, 24))
        self.visits(common, "cp", icpc, last, 10, worker)

    def child_in_need(
        self,
        common: dict[str, Any],
        worker: int,
        manager: int,
        start: date,
        horizon: date,
        end_by: date | None,
        detailed: bool,
    ) -> None:
        rng = self.rng
        if start > horizon or (end_by and start >= end_by):
            return
        end = end_by if end_by and end_by > start else None
        # The team manager authorises the plan within the week; the newest plans are still waiting for them.
        authorised = self.wd(start, 5) if self.wd(start, 5) <= horizon else None
        plan = self.add(
            ChildInNeedPlan,
            {
                **common,
                "started_on": start,
                "ended_on": end,
                "notes": "Support with routines, school attendance and parenting.",
                "recorded_by_id": worker,
                "authorised_on": authorised,
                "authorised_by_id": manager if authorised else None,
                "created_at": self.at(start),
            },
        )
        self.stats["cin_plans"] += 1
        self.plan_started(common["person_id"], start)
        last = end or horizon
        review = self.wd(start, rng.randint(50, 62))
        while review <= last and detailed:
            self.add(
                ChildInNeedReview,
                {
                    "plan_id": plan,
                    "person_id": common["person_id"],
                    "held_on": review,
                    "recorded_by_id": worker,
                    "created_at": self.at(review),
                },
            )
            review = self.wd(review, rng.randint(55, 68))
        if detailed:
            self.visits(common, "cin", start, last, 20, worker)

    def visits(
        self,
        common: dict[str, Any],
        kind: str,
        start: date,
        last: date,
        every: int,
        worker: int,
        *,
        seen_rate: float = 0.93,
    ) -> None:
        """Visits at roughly the local cadence, a few drifting past it (a gap of half as long again)."""
        rng = self.rng
        day = self.wd(start, rng.randint(1, max(2, every // 2)))
        while day <= last:
            seen = rng.random() < seen_rate
            self.add(
                Visit,
                {
                    **common,
                    "kind": kind,
                    "visited_on": day,
                    "child_seen": seen,
                    "seen_alone": seen and rng.random() < 0.6,
                    "worker_id": worker,
                    "created_at": self.at(day),
                },
            )
            self.stats["visits"] += 1
            gap = every + rng.randint(-2, 1) if rng.random() > 0.12 else every + rng.randint(3, every)
            day = self.wd(day, gap)

    def notes(self, person_id: int, worker: int, since: date) -> None:
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(tuple(NOTE_TEXTS))
            day = since + timedelta(days=rng.randint(0, max(0, (self.today - since).days)))
            at = datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))), LONDON)
            self.add(
                CaseNote,
                {
                    "person_id": person_id,
                    "kind": kind,
                    "occurred_at": at.astimezone(UTC),
                    "text": rng.choice(NOTE_TEXTS[kind]),
                    "author_id": worker,
                    "created_at": at.astimezone(UTC),
                },
            )

    # -- supervision and unallocated referrals --------------------------------------------------------------------

    def supervisions(self, managers: dict[int | None, int], teams: dict[int, int | None]) -> None:
        rng = self.rng
        for worker in sorted(self.open_cases):
            children = self.open_cases[worker]
            manager = managers.get(teams.get(worker)) or managers.get(None)
            if manager is None or manager == worker:
                continue
            day = self.wd(self.today - timedelta(days=rng.randint(95, 110)), 0)
            while day < self.today:
                next_day = self.wd(day, rng.randint(18, 26))
                supervision = self.add(
                    Supervision,
                    {
                        "worker_id": worker,
                        "supervisor_id": manager,
                        "held_on": day,
                        "next_on": next_day,
                        "notes": "Caseload reviewed; wellbeing check; learning needs discussed.",
                        "created_at": self.at(day),
                    },
                )
                # Only children whose case had begun by the day: oversight comes after what it speaks of.
                # A stalled case of the demo (demo.picture.SHOWCASE) has gone unnoticed.
                begun = [
                    child
                    for child in children
                    if self.stage_of.get(child, (day,))[0] <= day and self.builder.showcase.get(child) != "stalled"
                ]
                for child in sorted(rng.sample(begun, min(len(begun), rng.randint(2, 6)))):
                    decision = self.decision_on(child, day)
                    if decision is None:
                        continue
                    self.add(
                        SupervisionCase,
                        {
                            "supervision_id": supervision,
                            "person_id": child,
                            "discussion": "Progress against the plan reviewed."
                            if decision in PLAN_DECISIONS
                            else "Progress of the assessment reviewed."
                            if decision in ASSESSMENT_DECISIONS
                            else "The assessment's findings discussed.",
                            "decision": decision,
                        },
                    )
                self.stats["supervisions"] += 1
                day = next_day

    def unallocate(self) -> None:
        """Leave a few children referred in the last week waiting for a team manager to allocate them: their
        allocation is taken back off (no contact has been routed to a worker for them), so they appear on the
        unallocated list with no assessment started."""
        rng = self.rng
        table = _t(Allocation)
        routed = self.builder.routed_children()
        since = self.builder.now - timedelta(days=7)
        candidates = [
            row.id
            for row in self.writer.connection.execute(
                select(table.c.id)
                .where(table.c.ended_at.is_(None), table.c.started_at >= since, table.c.person_id.not_in(routed))
                .order_by(table.c.id)
            )
        ]
        wanted = max(3, len(self.builder.referred) // 400)
        chosen = sorted(rng.sample(candidates, min(wanted, len(candidates))))
        if chosen:
            self.writer.connection.execute(table.delete().where(table.c.id.in_(chosen)))
            # The load's counts and the summary say what the database holds.
            self.writer.counts[table.name] -= len(chosen)
            self.builder.stats["allocations_open"] -= len(chosen)
        self.stats["unallocated"] = len(chosen)

    def run(self) -> dict[str, int]:
        self.unallocate()
        allocations = self.allocations()
        managers = self.managers()
        teams: dict[int, int | None] = {}
        for r in self.referrals():
            worker, team_id, is_open = allocations.get((r.person_id, r.referral_date), (None, None, False))
            if worker is None:
                continue
            teams[worker] = team_id
            manager = managers.get(team_id) or managers[None]
            self.episode(r, worker, manager, is_open and r.closed_date is None)
            if is_open and r.closed_date is None:
                self.open_cases.setdefault(worker, []).append(r.person_id)
            self.writer.maybe_flush()
        self.supervisions(managers, teams)
        return {f"casework_{k}": v for k, v in self.stats.items()}


def build(builder: Any, writer: Any) -> dict[str, int]:
    """Add this capability's rows to the council being built; return counts for the summary."""
    return _Stage(builder, writer).run()
