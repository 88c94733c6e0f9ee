"""The due pages as a worker, a team manager and a performance analyst see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.restrictions import PersonRestriction
from safeguarding.core.users import Role, User
from safeguarding.timescales import service, store
from safeguarding.timescales.models import Deadline
from safeguarding.timescales.rules import RULE_IDS, rule_for
from tests.support import Factory, sign_in_as, statements_sent
from tests.timescales import records


@dataclass
class Team:
    manager: User
    ada: User
    ben: User
    analyst: User
    late_child: int
    new_child: int
    bens_child: int


def build(factory: Factory, database: Database) -> Team:
    team = factory.team("Assessment East", service="assessment")
    other = factory.team("Assessment West", service="assessment")
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    ada = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    ben = factory.user(Role.SOCIAL_WORKER, team_id=other.id)
    analyst = factory.user(Role.PERFORMANCE_ANALYST)
    today = service.today_in_london()
    with database.transaction() as s:
        late = records.child(s, "Lateon", "Overdue")
        records.open_case(s, late.id, ada.id, team.id, today - timedelta(days=120))
        new = records.child(s, "Newly", "Referred")
        records.open_case(s, new.id, ada.id, team.id, today, route="strategy_discussion")
        bens = records.child(s, "Bens", "Child")
        records.open_case(s, bens.id, ben.id, other.id, today - timedelta(days=3))
        service.recompute_all(s)
    return Team(manager, ada, ben, analyst, late.id, new.id, bens.id)


def test_a_worker_sees_their_own_children_due_and_overdue_with_explanations(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = build(factory, database)
    sign_in_as(client, database, team.ada)
    page = client.get("/due")
    assert page.status_code == 200
    html = page.text
    assert 'id="overdue"' in html and "Lateon Overdue" in html and "Newly Referred" in html
    assert "Bens Child" not in html
    assert 'data-rule="assessment"' in html and 'data-rule="strategy-discussion"' in html
    assert 'title="Child and family assessment completed (assessment, Statutory guidance' in html
    assert "Why this date" in html and f'href="/cases/{team.late_child}"' in html
    with database.transaction() as s:
        event = s.scalar(
            select(AuditEvent).where(AuditEvent.target_type == "due_work", AuditEvent.actor_id == team.ada.id)
        )
        assert event is not None and event.action == "list"


def test_the_detail_explains_the_rule_the_event_and_the_bank_holidays(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = build(factory, database)
    with database.transaction() as s:
        deadline_id = s.scalar(
            select(Deadline.id).where(Deadline.person_id == team.late_child, Deadline.rule_id == "assessment")
        )
    sign_in_as(client, database, team.ada)
    page = client.get(f"/due/deadlines/{deadline_id}")
    assert page.status_code == 200
    assert "Referral on" in page.text and "Working Together to Safeguard Children 2023, Ch.3" in page.text
    assert 'id="bank-holidays"' in page.text and "45 working days" in page.text
    assert f'id="case-link" href="/cases/{team.late_child}"' in page.text  # where the work is recorded
    # Someone else's worker may not open it, and the refusal is audited.
    client.cookies.clear()
    sign_in_as(client, database, team.ben)
    assert client.get(f"/due/deadlines/{deadline_id}").status_code == 403
    with database.transaction() as s:
        refused = s.scalar(
            select(AuditEvent).where(AuditEvent.actor_id == team.ben.id, AuditEvent.outcome == "refused")
        )
        assert refused is not None


def test_the_team_manager_sees_the_team_and_filters_by_worker_and_rule(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = build(factory, database)
    sign_in_as(client, database, team.manager)
    page = client.get("/due/team").text
    assert "Lateon Overdue" in page and "Newly Referred" in page and "Bens Child" not in page
    only_strategy = client.get("/due/team", params={"rule": "strategy-discussion"}).text
    assert "Newly Referred" in only_strategy and 'data-rule="assessment"' not in only_strategy
    by_worker = client.get("/due/team", params={"worker": str(team.manager.id)}).text
    assert "Lateon Overdue" not in by_worker
    bad = client.get("/due/team", params={"rule": "not-a-rule"})
    assert bad.status_code == 422 and "There is no timescale called not-a-rule" in bad.text
    latest_first = client.get("/due/team", params={"order": "-due"}).text
    assert latest_first.index("Newly Referred") < latest_first.index("Lateon Overdue")


def test_the_service_page_shows_analysts_figures_and_managers_the_children(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = build(factory, database)
    sign_in_as(client, database, team.analyst)
    figures = client.get("/due/service")
    assert figures.status_code == 200
    assert 'id="by-timescale"' in figures.text and 'id="by-team"' in figures.text
    by_team = figures.text.split('id="by-team"')[1].split("</table>")[0]
    # East has the overdue assessment, so it comes first, linked to its own breakdown.
    assert by_team.index("Assessment East") < by_team.index("Assessment West")
    assert f'href="/due/service?team={team.manager.team_id}"' in by_team
    assert "Lateon Overdue" not in figures.text and "Bens Child" not in figures.text
    east = client.get("/due/service", params={"team": str(team.manager.team_id)}).text
    assert 'id="figures"' in east and "Assessment West" not in east.split('id="figures"')[1].split("</table>")[0]
    client.cookies.clear()
    sign_in_as(client, database, team.manager)
    rows = client.get("/due/service").text
    assert "Lateon Overdue" in rows and "Bens Child" in rows
    west = client.get("/due/service", params={"team": str(team.ben.team_id), "state": "due"}).text
    assert "Bens Child" in west and "Lateon Overdue" not in west
    overdue = client.get("/due/service", params={"state": "overdue"}).text
    assert "Lateon Overdue" in overdue and "Bens Child" not in overdue
    assert client.get("/due/service", params={"page": "x"}).status_code == 422


def test_a_restricted_childs_name_is_not_shown(factory: Factory, database: Database, client: TestClient) -> None:
    team = build(factory, database)
    with database.transaction() as s:
        s.add(PersonRestriction(person_id=team.late_child, reason="Relative of a member of staff"))
    sign_in_as(client, database, team.ada)
    page = client.get("/due").text
    assert "Lateon Overdue" not in page and "Restricted record" in page


def test_social_workers_land_on_their_home_page_which_shows_what_is_due(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = build(factory, database)
    sign_in_as(client, database, team.ada)
    landing = client.get("/", follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == "/home"
    home = client.get("/home").text
    assert "Lateon Overdue" in home and f'href="/cases/{team.late_child}"' in home
    client.cookies.clear()
    sign_in_as(client, database, team.manager)
    landing = client.get("/", follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == "/home"
    assert "Lateon Overdue" in client.get("/due/team").text


def listed(html: str) -> str:
    """The team page's table of open deadlines (the forecast and stalled tables follow it)."""
    start = html.index('id="team-due"')
    return html[start : html.index("</table>", start)]


def test_the_team_page_counts_everything_and_lists_a_page_at_a_time(
    factory: Factory, database: Database, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = build(factory, database)
    monkeypatch.setattr(service, "TEAM_PAGE_SIZE", 2)
    sign_in_as(client, database, team.manager)
    first = client.get("/due/team")
    # Three open deadlines in the team (Lateon's assessment, Newly's assessment and strategy discussion), two a page.
    assert 'id="team-count">3 open deadlines; page 1 of 2.' in first.text
    assert "1 overdue" in first.text and 'rel="next"' in first.text
    assert listed(first.text).count('data-deadline="') == 2 and "Lateon Overdue" in listed(first.text)
    second = client.get("/due/team", params={"page": "2"})
    assert listed(second.text).count('data-deadline="') == 1 and "Lateon Overdue" not in listed(second.text)
    assert 'rel="prev"' in second.text
    assert client.get("/due/team", params={"page": "x"}).status_code == 422


def test_a_visit_met_late_in_the_open_episode_is_explained(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = build(factory, database)
    today = service.today_in_london()
    with database.transaction() as s:
        referral = s.scalar(select(records.Referral).where(records.Referral.person_id == team.late_child))
        assert referral is not None
        records.cp_plan(s, referral, today - timedelta(days=60))
        records.visit(s, referral, today - timedelta(days=20))  # 40 days after the plan: late
        service.recompute_for_child(s, team.late_child)
        late = s.scalar(
            select(Deadline.id).where(
                Deadline.person_id == team.late_child, Deadline.rule_id == "cp-visit", Deadline.met_on.is_not(None)
            )
        )
    assert late is not None
    sign_in_as(client, database, team.ada)
    page = client.get(f"/due/deadlines/{late}")
    assert page.status_code == 200 and "Met late" in page.text and "(met by visit" in page.text


def test_a_visit_missed_before_the_plan_ended_is_not_open_work_and_is_labelled(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = build(factory, database)
    today = service.today_in_london()
    started, ended = today - timedelta(days=70), today - timedelta(days=20)
    with database.transaction() as s:
        referral = s.scalar(select(records.Referral).where(records.Referral.person_id == team.late_child))
        assert referral is not None
        _icpc, plan = records.cp_plan(s, referral, started)
        # A visit a week in (in time), then none: the next one fell due within 10 working days (by 25 days later
        # at most, whatever the bank holidays), long before the plan ended.
        records.visit(s, referral, started + timedelta(days=7))
        plan.ended_on = ended
        service.recompute_for_child(s, team.late_child)
        [lapsed] = s.scalars(
            select(Deadline).where(
                Deadline.person_id == team.late_child, Deadline.rule_id == "cp-visit", Deadline.status == "lapsed"
            )
        )
        assert (lapsed.met_on, lapsed.met_source_kind, lapsed.met_source_id) == (
            ended,
            "child_protection_plan",
            plan.id,
        )
        assert lapsed.due_on < ended
        lapsed_id = lapsed.id
    sign_in_as(client, database, team.ada)
    mine = client.get("/due").text
    assert "Lateon Overdue" in mine and f'data-deadline="{lapsed_id}"' not in mine
    assert 'data-rule="cp-visit"' not in mine  # nothing of the ended plan is open work
    detail = client.get(f"/due/deadlines/{lapsed_id}")
    assert detail.status_code == 200
    written = f"{ended.day} {ended:%B %Y}"
    assert f"Not met: plan ended on {written}" in detail.text and 'id="plan-ended"' in detail.text
    assert f"child protection plan on {written}" in detail.text and f"plan {plan.id} on" not in detail.text
    assert f'id="status">Not met: plan ended on {written}</strong>' in detail.text
    assert "Met late" not in detail.text and "(met by" not in detail.text
    client.cookies.clear()
    sign_in_as(client, database, team.manager)
    team_page = client.get("/due/team").text
    assert 'id="team-count">3 open deadlines.' in team_page and f'data-deadline="{lapsed_id}"' not in team_page
    service_page = client.get("/due/service", params={"rule": "cp-visit"}).text
    assert f'data-deadline="{lapsed_id}"' not in service_page
    # The nightly runs move open deadlines' states with the date; a lapsed one stays as it is, where it is.
    store.refresh(database, today=today)
    assert store.refresh(database, today=today + timedelta(days=40), full_every_days=None).kind == "drift"
    with database.transaction() as s:
        after = s.get_one(Deadline, lapsed_id)
        assert (after.status, after.met_on) == ("lapsed", ended)


figure = st.builds(
    lambda team, rule_id, counts: service.Figure(
        f"Team {team}", rule_for(rule_id, date(2026, 1, 5)), counts[0], counts[1], counts[2], counts[3], team_id=team
    ),
    st.integers(1, 12),
    st.sampled_from(RULE_IDS),
    st.tuples(*[st.integers(0, 50)] * 4),
)


@given(st.lists(figure, max_size=30, unique_by=lambda f: (f.team_id, f.rule.id)))
def test_the_service_pages_summaries_add_up_to_the_figures(figures: list[service.Figure]) -> None:
    teams, timescales = service.by_team(figures), service.by_timescale(figures)
    stalled = sum(f.overdue for f in figures if f.rule.id == service.STALLED)
    assert (
        sum(t.overdue for t in teams) + stalled == sum(f.overdue for f in figures) == sum(f.overdue for f in timescales)
    )
    assert sum(t.stalled for t in teams) == stalled
    assert sum(f.due for f in timescales) == sum(f.due for f in figures)
    assert len(teams) == len({f.team_id for f in figures}) and len(timescales) == len({f.rule.id for f in figures})
    assert [t.overdue for t in teams] == sorted((t.overdue for t in teams), reverse=True)
    # Among teams alike, numbers in names in their order: team 2 before team 10.
    alike = [t.team_id for t in teams if (t.overdue, t.stalled, t.due_soon) == (0, 0, 0)]
    assert alike == sorted(alike, key=lambda team_id: team_id or 0)


def test_two_children_of_one_name_are_told_apart_on_the_due_list(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = factory.team("Assessment North", service="assessment")
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
    today = service.today_in_london()
    with database.transaction() as s:
        for born in (date(2012, 11, 3), date(2009, 3, 14)):
            child = records.child(s, "Jordan", "Smith")
            child.date_of_birth = born
            records.open_case(s, child.id, worker.id, team.id, today - timedelta(days=10))
        service.recompute_all(s)
    sign_in_as(client, database, worker)
    page = client.get("/due")
    assert page.status_code == 200
    assert "Born 3 November 2012" in page.text and "Born 14 March 2009" in page.text


@pytest.fixture
def north(factory: Factory) -> tuple[User, User]:
    """A social worker and their team manager."""
    team = factory.team("Assessment North", service="assessment")
    return factory.user(Role.SOCIAL_WORKER, team_id=team.id), factory.user(Role.TEAM_MANAGER, team_id=team.id)


def _jordan_smiths(database: Database, worker: User, districts: list[str]) -> None:
    with database.transaction() as s:
        referred = service.today_in_london() - timedelta(days=100)  # overdue: on the worker's home page too
        records.jordan_smiths(s, worker.id, worker.team_id, districts, referred)
        service.recompute_all(s)


def test_children_of_one_name_and_birthday_are_told_apart_by_where_they_live(
    north: tuple[User, User], database: Database, client: TestClient
) -> None:
    worker, manager = north
    _jordan_smiths(database, worker, ["LS8", "YO1"])
    sign_in_as(client, database, worker)
    for url in ("/due", "/home"):
        page = client.get(url).text
        assert "address in LS8" in page and "address in YO1" in page, url
    sign_in_as(client, database, manager)
    for url in ("/due/team", "/due/service"):
        page = client.get(url).text
        assert "address in LS8" in page and "address in YO1" in page, url


def test_the_due_lists_read_where_children_live_without_a_query_a_child(
    north: tuple[User, User], database: Database, client: TestClient
) -> None:
    worker, manager = north

    def counts(user: User, urls: tuple[str, ...]) -> list[int]:
        sign_in_as(client, database, user)
        return [len(statements_sent(client, url)[0]) for url in urls]

    _jordan_smiths(database, worker, ["LS8", "YO1"])
    few = counts(worker, ("/due", "/home")) + counts(manager, ("/due/team", "/due/service"))
    _jordan_smiths(database, worker, ["LS6", "LS7", "YO10", "YO24", "HG1", "HG2"])
    many = counts(worker, ("/due", "/home")) + counts(manager, ("/due/team", "/due/service"))
    assert few == many
