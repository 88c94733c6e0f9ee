"""The nightly job (``store.refresh``): a drift run brings deadlines derived for one day to a later day without
deriving every child again, and must hold exactly what a full re-derivation from every event holds."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select
from sqlalchemy import update as sa_update
from typer.testing import CliRunner

from safeguarding.casework.models import Assessment, ChildProtectionPlan, CoreGroupMeeting, Referral, Visit
from safeguarding.cli import app as cli
from safeguarding.core.db import Database
from safeguarding.core.local_settings import put
from safeguarding.core.users import Role
from safeguarding.timescales import store
from safeguarding.timescales.models import Deadline, DeadlineDigest, DeadlineRefresh
from tests.conftest import _empty
from tests.support import Factory
from tests.timescales import records

EARLIEST = date(2025, 6, 2)


def held(database: Database) -> list[tuple[Any, ...]]:
    """Every stored deadline by its values (not its id), as the pages and indicators read them."""
    with database.transaction() as s:
        return sorted(
            (
                d.person_id,
                d.rule_id,
                d.source_kind,
                d.source_id,
                d.start_event,
                d.started_on,
                d.length,
                d.due_on,
                d.met_on,
                d.met_source_kind or "",
                d.met_source_id or 0,
                d.status,
                d.forecast or "",
                d.exceeded_reason or "",
                d.worker_id or 0,
                d.team_id or 0,
            )
            for d in s.scalars(select(Deadline))
        )


# One child's history: days after the referral of each step, any of which may fall after the first run's day
# (a conference booked ahead, a visit or review dated ahead) or after the second's.
HISTORY = {
    "referred": st.integers(0, 240),
    "route": st.sampled_from(["referral_for_assessment", "strategy_discussion"]),
    "authorised": st.one_of(st.none(), st.integers(5, 90)),
    "assessment_visit": st.one_of(st.none(), st.integers(0, 60)),
    "strategy": st.one_of(st.none(), st.integers(0, 10)),
    "s47_done": st.one_of(st.none(), st.integers(1, 30)),
    "conference": st.one_of(st.none(), st.integers(5, 60)),
    "visits": st.lists(st.integers(0, 200), max_size=6),
    "core_groups": st.lists(st.integers(0, 200), max_size=3),
    "reviews": st.lists(st.integers(0, 200), max_size=2),
    "cin_plan": st.one_of(st.none(), st.integers(10, 100)),
    # Plans end (days after they start), so that clocks missed in a plan's last weeks are kept as lapsed.
    "cp_ended": st.one_of(st.none(), st.integers(0, 90)),
    "cin_ended": st.one_of(st.none(), st.integers(0, 90)),
    # A child protection plan recorded with no initial conference (carried over on a transfer-in): days after the
    # referral it started, and days after that it ended.
    "carried_plan": st.one_of(st.none(), st.tuples(st.integers(0, 200), st.one_of(st.none(), st.integers(0, 120)))),
    "note": st.one_of(st.none(), st.integers(0, 200)),
    "closed": st.one_of(st.none(), st.integers(30, 250)),
}
# Children whose child protection plan (from its conference) and child in need plan both end and whose case stays
# open, mixed in with the others: a clock missed in a plan's last weeks is stored as lapsed, often enough to count.
history = st.one_of(
    st.fixed_dictionaries(HISTORY),
    st.fixed_dictionaries(
        {
            **HISTORY,
            "route": st.just("strategy_discussion"),
            "strategy": st.integers(0, 10),
            "s47_done": st.integers(1, 30),
            "conference": st.integers(5, 60),
            "cp_ended": st.integers(0, 90),
            "cin_plan": st.integers(10, 100),
            "cin_ended": st.integers(0, 90),
            "closed": st.none(),
        }
    ),
)


def write(database: Database, factory: Factory, children: list[dict[str, Any]]) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s:
        for n, child in enumerate(children):
            person = records.child(s, f"Synthetic{n}")
            referred = EARLIEST + timedelta(days=child["referred"])

            def on(days: int, start: date = referred) -> date:
                return start + timedelta(days=days)

            referral = records.open_case(s, person.id, worker.id, None, referred, route=child["route"])
            records.assessment(
                s,
                referral,
                referred,
                on(child["authorised"]) if child["authorised"] else None,
                "Synthetic reason" if child["authorised"] and child["authorised"] > 60 else None,
            )
            if child["assessment_visit"] is not None:
                records.visit(s, referral, on(child["assessment_visit"]), kind="assessment")
            if child["strategy"] is not None:
                discussion = records.strategy(s, referral, on(child["strategy"]))
                done = child["s47_done"]
                records.s47(
                    s,
                    referral,
                    discussion,
                    discussion.held_on,
                    on(done, discussion.held_on) if done else None,
                    "icpc" if done else None,
                )
                if child["conference"] is not None:
                    icpc, plan = records.cp_plan(s, referral, on(child["conference"], discussion.held_on))
                    if child.get("cp_ended") is not None:
                        plan.ended_on = on(child["cp_ended"], icpc.held_on)
                    for days in child["visits"]:
                        records.visit(s, referral, on(days, icpc.held_on), kind="cp")
                    for days in child["core_groups"]:
                        records.core_group(s, plan, on(days, icpc.held_on))
                    for days in child["reviews"]:
                        records.conference(s, referral, on(days + 20, icpc.held_on), kind="review", plan_id=plan.id)
            if child["cin_plan"] is not None:
                cin_plan = records.cin_plan(s, referral, on(child["cin_plan"]))
                if child.get("cin_ended") is not None:
                    cin_plan.ended_on = on(child["cin_ended"], cin_plan.started_on)
                for days in child["visits"]:
                    records.visit(s, referral, on(days, cin_plan.started_on), kind="cin")
                for days in child["reviews"]:
                    records.cin_review(s, cin_plan, on(days, cin_plan.started_on))
            if child.get("carried_plan") is not None:
                starts, lasts = child["carried_plan"]
                carried = records.carried_cp_plan(
                    s, referral, on(starts), None if lasts is None else on(starts + lasts)
                )
                for days in child["visits"]:
                    records.visit(s, referral, on(days, carried.started_on), kind="cp")
            if child["note"] is not None:
                records.note(s, person.id, on(child["note"]))
            if child["closed"] is not None:
                referral.closed_date = on(child["closed"])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(children=st.lists(history, min_size=1, max_size=4), first=st.integers(0, 330), later=st.integers(0, 75))
def test_a_drift_run_holds_what_a_full_re_derivation_holds(
    database: Database, factory: Factory, children: list[dict[str, Any]], first: int, later: int
) -> None:
    _empty(database)
    write(database, factory, children)
    day = EARLIEST + timedelta(days=first)
    assert store.refresh(database, today=day, workers=1).kind == "full"
    drift = store.refresh(database, today=day + timedelta(days=later), workers=1, full_every_days=None)
    assert drift.kind == "drift"
    after_drift = held(database)
    assert store.refresh(database, today=day + timedelta(days=later), workers=1, full=True).kind == "full"
    assert held(database) == after_drift


def test_a_booked_conference_counts_once_its_day_comes_and_states_move_with_the_date(
    database: Database, factory: Factory
) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s:
        child = records.child(s)
        referral = records.open_case(s, child.id, worker.id, None, date(2025, 12, 1), route="strategy_discussion")
        discussion = records.strategy(s, referral, date(2025, 12, 2))
        records.s47(s, referral, discussion, date(2025, 12, 2), date(2025, 12, 10), "icpc")
        records.conference(s, referral, date(2025, 12, 19))  # booked on the 16th for the 19th
    store.refresh(database, today=date(2025, 12, 16))
    with database.transaction() as s:
        icpc = s.scalars(select(Deadline).where(Deadline.rule_id == "icpc")).one()
        assert (icpc.met_on, icpc.status) == (None, "due_soon")  # due 23 Dec: 5 working days ahead
        assessment_id = s.scalars(select(Deadline.id).where(Deadline.rule_id == "assessment")).one()
    done = store.refresh(database, today=date(2025, 12, 22), full_every_days=None)
    assert done.kind == "drift" and done.children == 1
    with database.transaction() as s:
        icpc = s.scalars(select(Deadline).where(Deadline.rule_id == "icpc")).one()
        assert (icpc.met_on, icpc.status) == (date(2025, 12, 19), "met")
        # A row the date did not change keeps its id: a deadline's page stays where it was.
        assert s.scalars(select(Deadline.id).where(Deadline.rule_id == "assessment")).one() == assessment_id
    # No visit by working day 30 of the assessment (13 Jan): that forecast comes due, so the child is derived again.
    done = store.refresh(database, today=date(2026, 2, 5), full_every_days=None)
    assert done.kind == "drift" and done.children == 1
    with database.transaction() as s:
        assessment = s.scalars(select(Deadline).where(Deadline.rule_id == "assessment")).one()
        assert (assessment.due_on, assessment.status, assessment.forecast) == (
            date(2026, 2, 5),
            "due_soon",
            "assessment:no_event_by_day",
        )
    # 45 working days from 1 Dec is 5 Feb: overdue the day after by the state update alone, its forecast spent.
    done = store.refresh(database, today=date(2026, 2, 6), full_every_days=None)
    assert done.kind == "drift" and done.children == 0 and done.updated >= 1
    with database.transaction() as s:
        assessment = s.scalars(select(Deadline).where(Deadline.rule_id == "assessment")).one()
        assert (assessment.status, assessment.forecast) == ("overdue", None)


def test_a_change_of_local_settings_makes_the_next_run_full(database: Database, factory: Factory) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s:
        child = records.child(s)
        records.open_case(s, child.id, worker.id, None, date(2025, 12, 1), route="strategy_discussion")
    assert store.refresh(database, today=date(2025, 12, 1)).kind == "full"
    assert store.refresh(database, today=date(2025, 12, 2)).kind == "drift"
    with database.transaction() as s:
        put(s, "timescales.strategy_discussion.working_days", 3, None)
    done = store.refresh(database, today=date(2025, 12, 3))
    assert done.kind == "full" and "settings" in done.reason
    with database.transaction() as s:
        discussion = s.scalars(select(Deadline).where(Deadline.rule_id == "strategy-discussion")).one()
        assert (discussion.length, discussion.due_on) == (3, date(2025, 12, 4))
        runs = list(s.scalars(select(DeadlineRefresh.kind).order_by(DeadlineRefresh.id)))
    assert runs == ["full", "drift", "full"]
    # A day earlier than the last run's (a clock set back) is derived in full too.
    assert store.refresh(database, today=date(2025, 12, 2)).kind == "full"
    # And a week after the last full run, whatever else: a writer that did not derive its child is put right.
    assert store.refresh(database, today=date(2025, 12, 8)).kind == "drift"
    with database.transaction() as s:
        s.execute(sa_delete(Deadline))  # as if rows had gone astray
    weekly = store.refresh(database, today=date(2025, 12, 10))  # the last full run was for 3 Dec
    assert weekly.kind == "full" and "7 days" in weekly.reason and weekly.inserted > 0


def test_a_full_run_in_worker_processes_holds_what_one_process_holds(database: Database, factory: Factory) -> None:
    write(
        database,
        factory,
        [
            {
                "referred": n * 7,
                "route": "strategy_discussion" if n % 2 else "referral_for_assessment",
                "authorised": 40 if n % 3 else None,
                "assessment_visit": 3,
                "strategy": 1 if n % 2 else None,
                "s47_done": 8,
                "conference": 12 if n % 4 == 1 else None,
                "visits": [5, 15, 30],
                "core_groups": [10],
                "reviews": [60],
                "cin_plan": 50 if n % 4 == 0 else None,
                "note": n,
                "closed": 200 if n == 4 else None,
            }
            for n in range(12)
        ],
    )
    today = date(2025, 12, 1)
    one = store.refresh(database, today=today, workers=1, full=True)
    in_one = held(database)
    with database.transaction() as s:
        s.execute(sa_delete(Deadline).where(Deadline.person_id % 3 == 0))  # some rows to put back
    two = store.refresh(database, today=today, workers=2, full=True)
    assert held(database) == in_one
    assert (two.children, two.deadlines) == (one.children, one.deadlines) and two.inserted > 0
    again = store.refresh(database, today=today, workers=2, full=True)
    assert (again.inserted, again.deleted) == (0, 0)


def test_the_nightly_command_says_what_it_did(database: Database, factory: Factory) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s:
        child = records.child(s)
        records.open_case(s, child.id, worker.id, None, date(2025, 12, 1))
    first = CliRunner().invoke(cli, ["timescales", "recompute", "--workers", "1"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("full run for ") and "no earlier run" in first.output
    second = CliRunner().invoke(cli, ["timescales", "recompute"])
    assert second.exit_code == 0, second.output
    assert second.output.startswith("drift run for ")


# --- full runs compare stored rows only where a child's derived rows differ from their digest -------------------


def from_scratch(database: Database, today: date) -> list[tuple[Any, ...]]:
    """What a full run holds when nothing was stored before it."""
    with database.transaction() as s:
        s.execute(sa_delete(Deadline))
        s.execute(sa_delete(DeadlineDigest))
    store.refresh(database, today=today, workers=1, full=True)
    return held(database)


# Changes made to case records in the database itself, bypassing the services that derive a child's deadlines as
# they write (a bulk correction, a data migration): (table, which row, days to move it; None deletes it).
tampering = st.lists(
    st.tuples(
        st.sampled_from(["visit", "assessment", "referral", "core_group", "cp_plan"]),
        st.integers(0, 50),
        st.one_of(st.none(), st.integers(-30, 30)),
    ),
    max_size=4,
)


def tamper(database: Database, changes: list[tuple[str, int, int | None]]) -> None:
    # Five tables, each with its id and one date column.
    tables: dict[str, tuple[Any, Any]] = {
        "visit": (Visit, Visit.visited_on),
        "assessment": (Assessment, Assessment.authorised_on),
        "referral": (Referral, Referral.closed_date),
        "core_group": (CoreGroupMeeting, CoreGroupMeeting.held_on),
        "cp_plan": (ChildProtectionPlan, ChildProtectionPlan.ended_on),
    }
    with database.transaction() as s:
        for name, which, days in changes:
            model, column = tables[name]
            ids = list(s.scalars(select(model.id).order_by(model.id)))
            if not ids:
                continue
            row_id = ids[which % len(ids)]
            if days is None and name in ("visit", "core_group"):
                s.execute(sa_delete(model).where(model.id == row_id))
            elif name == "referral":  # close the episode, or open it again
                current = s.scalar(select(column).where(model.id == row_id))
                s.execute(
                    sa_update(model)
                    .where(model.id == row_id)
                    .values({column: None if current is not None else EARLIEST + timedelta(days=200 + (days or 0))})
                )
            else:
                current = s.scalar(select(column).where(model.id == row_id))
                if current is not None:
                    s.execute(
                        sa_update(model).where(model.id == row_id).values({column: current + timedelta(days=days or 1)})
                    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    children=st.lists(history, min_size=1, max_size=4),
    first=st.integers(0, 330),
    later=st.integers(0, 20),
    changes=tampering,
)
def test_a_full_run_after_case_records_changed_behind_its_back_holds_what_deriving_from_nothing_holds(
    database: Database,
    factory: Factory,
    children: list[dict[str, Any]],
    first: int,
    later: int,
    changes: list[tuple[str, int, int | None]],
) -> None:
    _empty(database)
    write(database, factory, children)
    day = EARLIEST + timedelta(days=first)
    store.refresh(database, today=day, workers=1, full=True)
    tamper(database, changes)
    store.refresh(database, today=day + timedelta(days=later), workers=1, full=True)
    assert held(database) == from_scratch(database, day + timedelta(days=later))


def test_a_full_run_reads_back_only_the_children_whose_deadlines_differ(database: Database, factory: Factory) -> None:
    write(
        database,
        factory,
        [
            {
                "referred": n * 9,
                "route": "strategy_discussion",
                "authorised": None,
                "assessment_visit": 3,
                "strategy": 1,
                "s47_done": 8,
                "conference": 12,
                "visits": [5, 15, 30],
                "core_groups": [10, 40],
                "reviews": [60],
                "cin_plan": None,
                "note": n,
                "closed": None,
            }
            for n in range(6)
        ],
    )
    today = date(2025, 12, 1)
    first = store.refresh(database, today=today, workers=1)
    assert first.compared == first.children == 6  # nothing stored yet: every child's rows are written
    again = store.refresh(database, today=today, workers=2, full=True)
    assert (again.children, again.compared, again.inserted, again.deleted) == (6, 0, 0, 0)
    with database.transaction() as s:
        child = s.scalars(select(Visit.person_id).order_by(Visit.id)).first()
        visit_id = s.scalars(
            select(Visit.id).where(Visit.person_id == child, Visit.kind == "cp").order_by(Visit.visited_on.desc())
        ).first()
        s.execute(sa_delete(Visit).where(Visit.id == visit_id))  # behind the services' back
        before = s.scalars(select(func.count()).select_from(Deadline).where(Deadline.person_id == child)).one()
    put_right = store.refresh(database, today=today, workers=2, full=True)
    assert (put_right.compared, put_right.deleted) == (1, 2)  # the visit's met clock and the clock it restarted
    with database.transaction() as s:
        assert (
            s.scalars(select(func.count()).select_from(Deadline).where(Deadline.person_id == child)).one() == before - 1
        )
        assert not s.scalars(
            select(Deadline).where(Deadline.met_source_kind == "visit", Deadline.met_source_id == visit_id)
        ).all()
    # A stored row deleted by hand changes the child's count: put back by the next full run.
    with database.transaction() as s:
        s.execute(sa_delete(Deadline).where(Deadline.id == s.scalars(select(Deadline.id)).first()))
    assert store.refresh(database, today=today, workers=1, full=True).inserted == 1
    # A stored row edited by hand is not derived differently, so only comparing every row finds it.
    expected = held(database)
    with database.transaction() as s:
        s.execute(sa_update(Deadline).where(Deadline.rule_id == "assessment").values(due_on=date(2030, 1, 1)))
    assert store.refresh(database, today=today, workers=1, full=True).compared == 0
    assert held(database) != expected
    fixed = store.refresh(database, today=today, workers=2, full=True, every_row=True)
    assert (fixed.compared, fixed.inserted, fixed.deleted) == (6, 6, 6)  # each child's assessment clock
    assert held(database) == expected
    every = CliRunner().invoke(cli, ["timescales", "recompute", "--every-row", "--workers", "1"])
    assert every.exit_code == 0, every.output
    assert every.output.startswith("full run") and "(6 compared with what was stored)" in every.output
