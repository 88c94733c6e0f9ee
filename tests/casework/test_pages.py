"""The case work pages: the case page, each event's form without JavaScript, errors naming fields, the conflict
page for a second editor, authorisation, closure, allocation, the family genogram."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework.models import Assessment, Visit
from safeguarding.core.users import Team, User
from tests.casework.authorization import ID_NAMES
from tests.casework.conftest import Case
from tests.support import sign_in_as, statements_sent


def post(client: TestClient, url: str, csrf: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf})


def test_every_event_form_is_a_plain_form(client: TestClient, case: Case) -> None:
    sign_in_as(client, case.database, case.worker)
    for slug in ID_NAMES:
        page = client.get(f"/cases/{case.child_id}/{slug}/new")
        assert page.status_code == 200, slug
        assert f'action="/cases/{case.child_id}/{slug}/new"' in page.text and 'name="csrf_token"' in page.text


def test_the_case_page_shows_status_allocation_visits_and_the_chronology(client: TestClient, case: Case) -> None:
    csrf = sign_in_as(client, case.database, case.worker)
    page = client.get(f"/cases/{case.child_id}")
    assert page.status_code == 200
    assert "Open" in page.text and case.worker.full_name in page.text
    assert (
        post(
            client, f"/cases/{case.child_id}/assessments/new", csrf, {"started_on": case.on(1).isoformat()}
        ).status_code
        == 303
    )
    assert (
        post(
            client,
            f"/cases/{case.child_id}/visits/new",
            csrf,
            {"kind": "assessment", "visited_on": case.on(2).isoformat(), "child_seen": "yes", "seen_alone": "yes"},
        ).status_code
        == 303
    )
    case_page = client.get(f"/cases/{case.child_id}").text
    assert 'id="case-status">Assessment<' in case_page
    assert "Assessment visit: child seen alone" in case_page
    filtered = client.get(f"/cases/{case.child_id}", params={"kind": "visit"}).text
    chronology = filtered.split('id="chronology"')[1]
    assert 'data-kind="visit"' in chronology and 'data-kind="assessment"' not in chronology


def test_a_form_with_errors_names_each_field_and_keeps_what_was_typed(client: TestClient, case: Case) -> None:
    csrf = sign_in_as(client, case.database, case.worker)
    response = post(
        client,
        f"/cases/{case.child_id}/visits/new",
        csrf,
        {"kind": "cp", "visited_on": "31/02/2026", "notes": "Kept text", "seen_alone": "1"},
    )
    assert response.status_code == 422
    assert "Date of the visit must be a real date" in response.text and "Kept text" in response.text
    response = post(
        client,
        f"/cases/{case.child_id}/visits/new",
        csrf,
        {"kind": "cp", "visited_on": case.on(3).isoformat(), "child_seen": "no", "seen_alone": "yes"},
    )
    assert response.status_code == 422
    assert "A child seen alone was seen: answer yes" in response.text and "(rule " not in response.text


def test_a_visit_asks_whether_the_child_was_seen_and_assumes_nothing(client: TestClient, case: Case) -> None:
    csrf = sign_in_as(client, case.database, case.worker)
    form = client.get(f"/cases/{case.child_id}/visits/new")
    assert "Was the child seen?" in form.text and " checked" not in form.text
    untouched = post(
        client, f"/cases/{case.child_id}/visits/new", csrf, {"kind": "cin", "visited_on": case.on(2).isoformat()}
    )
    assert untouched.status_code == 422
    assert "Select yes or no: was the child seen?" in untouched.text
    seen = post(
        client,
        f"/cases/{case.child_id}/visits/new",
        csrf,
        {"kind": "cin", "visited_on": case.on(2).isoformat(), "child_seen": "yes"},
    )
    assert seen.status_code == 422 and "Select yes or no: was the child seen alone?" in seen.text
    not_seen = post(
        client,
        f"/cases/{case.child_id}/visits/new",
        csrf,
        {"kind": "cin", "visited_on": case.on(2).isoformat(), "child_seen": "no"},
    )
    assert not_seen.status_code == 303
    with case.database.transaction() as s:
        assert [(v.child_seen, v.seen_alone) for v in s.scalars(select(Visit))] == [(False, False)]


def test_the_second_editor_sees_the_conflict_and_nothing_of_theirs_is_saved(client: TestClient, case: Case) -> None:
    csrf = sign_in_as(client, case.database, case.worker)
    post(
        client,
        f"/cases/{case.child_id}/visits/new",
        csrf,
        {"kind": "cin", "visited_on": case.on(2).isoformat(), "child_seen": "yes", "seen_alone": "no"},
    )
    with case.database.transaction() as s:
        visit_id = s.scalar(select(Visit.id))
    url = f"/cases/{case.child_id}/visits/{visit_id}/edit"
    first = client.get(url).text
    version = first.split('name="version" value="')[1].split('"')[0]
    ok = post(
        client,
        url,
        csrf,
        {
            "version": version,
            "kind": "cin",
            "visited_on": case.on(3).isoformat(),
            "child_seen": "yes",
            "seen_alone": "no",
        },
    )
    assert ok.status_code == 303
    late = post(
        client,
        url,
        csrf,
        {
            "version": version,
            "kind": "cin",
            "visited_on": case.on(4).isoformat(),
            "child_seen": "yes",
            "seen_alone": "no",
        },
    )
    assert late.status_code == 409
    assert "Someone else changed this record since you opened it" in late.text
    with case.database.transaction() as s:
        assert s.get_one(Visit, visit_id).visited_on == case.on(3)


def test_a_manager_authorises_and_closes(client: TestClient, case: Case) -> None:
    csrf = sign_in_as(client, case.database, case.manager)
    post(client, f"/cases/{case.child_id}/assessments/new", csrf, {"started_on": case.on(1).isoformat()})
    with case.database.transaction() as s:
        assessment = s.scalar(select(Assessment))
        assert assessment is not None
        aid, version = assessment.id, assessment.version
    url = f"/cases/{case.child_id}/assessments/{aid}/authorise"
    assert client.get(url).status_code == 200
    late = post(
        client,
        url,
        csrf,
        {"version": str(version), "authorised_on": case.on(50).isoformat(), "outcome": "nfa", "factors": "21"},
    )
    assert late.status_code == 422 and "after its 45-working-day due date: give the reason" in late.text
    done = post(
        client,
        url,
        csrf,
        {
            "version": str(version),
            "authorised_on": case.on(10).isoformat(),
            "outcome": "cin_plan",
            "factors": ["16A", "3B"],
        },
    )
    assert done.status_code == 303, done.text
    with case.database.transaction() as s:
        saved = s.get_one(Assessment, aid)
        assert saved is not None and sorted(f.code for f in saved.factors) == ["16A", "3B"]
    page = client.get(f"/cases/{case.child_id}/closure")
    assert page.status_code == 200
    closed = post(
        client,
        f"/cases/{case.child_id}/closure",
        csrf,
        {"closed_on": case.on(12).isoformat(), "reason": "RC8", "version": "1"},
    )
    assert closed.status_code == 303, closed.text
    assert "Closed" in client.get(f"/cases/{case.child_id}").text


def test_the_family_page_draws_a_genogram_without_javascript(client: TestClient, case: Case) -> None:
    sign_in_as(client, case.database, case.worker)
    page = client.get(f"/cases/{case.child_id}/family").text
    assert '<svg id="genogram"' in page and "<script" not in page.split('<svg id="genogram"')[1].split("</svg>")[0]
    for name in ("Casey Testcase", "Morgan Testcase", "Sam Testcase"):
        assert name in page


def test_child_protection_steps_read_in_date_order_and_the_chronology_names_a_plans_start_and_end(
    client: TestClient, case: Case
) -> None:
    """Strategy discussions, enquiries and conferences are one list, newest first (on one day the later step of the
    process first); a plan that has ended still shows as started on its start date in the chronology."""
    from safeguarding.casework.models import (
        ChildProtectionConference,
        ChildProtectionPlan,
        Section47Enquiry,
        StrategyDiscussion,
    )

    with case.database.transaction() as s:
        ids = {"child": case.child_id, "referral": case.referral_id}
        discussion = StrategyDiscussion(
            person_id=ids["child"], referral_id=ids["referral"], held_on=case.on(2), decision="section_47"
        )
        s.add(discussion)
        s.flush()
        s.add(
            Section47Enquiry(
                person_id=ids["child"],
                referral_id=ids["referral"],
                strategy_discussion_id=discussion.id,
                started_on=case.on(2),
                completed_on=case.on(6),
                outcome="icpc",
            )
        )
        plan = ChildProtectionPlan(
            person_id=ids["child"],
            referral_id=ids["referral"],
            started_on=case.on(12),
            ended_on=case.on(40),
            end_reason="no_longer_at_risk_closed",
            initial_category="NEG",
            latest_category="EMO",
        )
        s.add(plan)
        s.flush()
        # The review is stored before the initial conference: the page orders by date, not by kind or id.
        s.add(
            ChildProtectionConference(
                person_id=ids["child"],
                referral_id=ids["referral"],
                kind="review",
                plan_id=plan.id,
                held_on=case.on(40),
                outcome="end",
            )
        )
        s.add(
            ChildProtectionConference(
                person_id=ids["child"],
                referral_id=ids["referral"],
                kind="initial",
                plan_id=plan.id,
                held_on=case.on(12),
                outcome="plan",
            )
        )
    sign_in_as(client, case.database, case.worker)
    page = client.get(f"/cases/{case.child_id}").text
    table = page.split('id="child-protection"')[1].split("</table>")[0]
    order = [table.index(label) for label in ("Review", "Initial", "Section 47 enquiry", "Strategy discussion")]
    assert order == sorted(order), table
    chronology = page.split('id="chronology"')[1]
    assert "Child protection plan started (Neglect)" in chronology  # the initial category, at the start
    assert "Child protection plan ended (" not in chronology
    assert chronology.count("Child protection plan ended") == 1


def test_the_case_page_shows_the_childs_deadlines_open_and_met(client: TestClient, case: Case) -> None:
    from safeguarding.casework.models import ChildInNeedPlan
    from safeguarding.timescales.service import recompute_for_child

    with case.database.transaction() as s:
        # A child in need plan from working day 5 to day 40 with no visit: the first visit (20 working days) lapsed.
        s.add(
            ChildInNeedPlan(
                person_id=case.child_id, referral_id=case.referral_id, started_on=case.on(5), ended_on=case.on(40)
            )
        )
        s.flush()
        recompute_for_child(s, case.child_id)
    sign_in_as(client, case.database, case.worker)
    page = client.get(f"/cases/{case.child_id}").text
    open_rows = page.split('id="deadlines-open"')[1].split("</table>")[0]
    # Referred 90 days ago: the assessment (45 working days) is overdue, and says how it was counted.
    assert 'data-rule="assessment" data-state="overdue"' in open_rows
    assert 'title="Child and family assessment completed (assessment' in open_rows
    # The met and missed ones are counted, and listed on request.
    assert 'data-rule="cin-visit"' not in page
    summary = page.split('id="deadlines-stopped"')[1].split("</p>")[0]
    assert "1 of them late or not met" in summary and "deadlines=met" in summary
    listed = client.get(f"/cases/{case.child_id}", params={"deadlines": "met"}).text
    history = listed.split('id="deadlines-history"')[1].split("</table>")[0]
    assert 'data-rule="cin-visit" data-state="lapsed"' in history
    assert f"Not met: plan ended on {case.on(40).day} {case.on(40):%B %Y}" in history
    assert "1 late or not met" in history


def test_the_case_page_statements_do_not_grow_with_the_childs_history(client: TestClient, case: Case) -> None:
    """A child with a long history (earlier allocations to other workers in other teams, authorised assessments
    with their factors, visits, case notes by several authors) costs the database no more statements than a child
    with one of each; and the page shows all of it."""
    from datetime import UTC, datetime, timedelta

    from safeguarding.casework.models import Allocation, AssessmentFactor, CaseNote
    from safeguarding.core.users import Role
    from tests.support import Factory

    factory = Factory(case.database)
    started = datetime.now(UTC) - timedelta(days=80)
    teams: list[Team] = []
    workers: list[User] = []

    def add_history(count: int) -> None:
        for _ in range(count):
            n = len(workers)
            team = factory.team(name=f"Earlier team {n}", service="assessment")
            worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id)
            manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
            teams.append(team)
            workers.append(worker)
            with case.database.transaction() as s:
                s.add(
                    Allocation(
                        person_id=case.child_id,
                        worker_id=worker.id,
                        team_id=team.id,
                        started_at=started + timedelta(days=n),
                        ended_at=started + timedelta(days=n, hours=1),
                    )
                )
                assessment = Assessment(
                    person_id=case.child_id,
                    referral_id=case.referral_id,
                    started_on=case.on(n),
                    outcome="cin_plan",
                    authorised_on=case.on(n + 1),
                    authorised_by_id=manager.id,
                )
                assessment.factors = [AssessmentFactor(code=code) for code in ("1A", "2B")[: 1 + n % 2]]
                s.add(assessment)
                s.add(
                    Visit(
                        person_id=case.child_id,
                        referral_id=case.referral_id,
                        kind="assessment",
                        visited_on=case.on(n + 2),
                        child_seen=True,
                        worker_id=worker.id,
                    )
                )
                s.add(
                    CaseNote(
                        person_id=case.child_id,
                        kind="case_note",
                        occurred_at=started + timedelta(days=n),
                        text=f"Note number {n} about the family",
                        author_id=worker.id,
                    )
                )

    sign_in_as(client, case.database, case.worker)
    add_history(1)
    client.get(f"/cases/{case.child_id}")  # the first view of a session may read what later ones find cached
    short, _ = statements_sent(client, f"/cases/{case.child_id}")
    add_history(5)
    long, page = statements_sent(client, f"/cases/{case.child_id}")
    assert len(long) == len(short), [s for s in long if s not in short]
    for worker, team in zip(workers, teams, strict=True):
        assert f"Allocated to {worker.full_name}" in page and team.name in page
    assert page.count("Factors: 1A<") == 3 and page.count("Factors: 1A, 2B<") == 3
    assert "Note number 5 about the family" in page


def test_a_long_chronology_opens_on_its_newest_entries_and_shows_all_on_request(client: TestClient, case: Case) -> None:
    """The case page lists the newest entries of a long chronology first, says how many there are, and one link
    shows every entry (the filter by kind is kept)."""
    from datetime import UTC, datetime, timedelta

    from safeguarding.casework.case_record import CHRONOLOGY_NEWEST
    from safeguarding.casework.models import CaseNote

    started = datetime.now(UTC) - timedelta(days=200)
    with case.database.transaction() as s:
        for n in range(CHRONOLOGY_NEWEST + 10):
            s.add(
                CaseNote(
                    person_id=case.child_id,
                    kind="case_note",
                    occurred_at=started + timedelta(days=n),
                    text=f"Entry {n:03d} of the history",
                    author_id=case.worker.id,
                )
            )
    sign_in_as(client, case.database, case.worker)
    page = client.get(f"/cases/{case.child_id}").text
    chronology = page.split('id="chronology"')[1]
    total = chronology.count('data-kind="')
    assert total == CHRONOLOGY_NEWEST
    newest, oldest = f"Entry {CHRONOLOGY_NEWEST + 9:03d}", "Entry 000"
    assert newest in chronology and oldest not in chronology
    assert "Show all" in chronology and "chronology=all" in chronology
    everything = client.get(f"/cases/{case.child_id}", params={"chronology": "all"}).text.split('id="chronology"')[1]
    assert everything.count('data-kind="') > CHRONOLOGY_NEWEST and oldest in everything and "Show all" not in everything
    notes_only = client.get(f"/cases/{case.child_id}", params={"kind": "note"}).text.split('id="chronology"')[1]
    assert notes_only.count('data-kind="note"') == CHRONOLOGY_NEWEST and "kind=note&amp;chronology=all" in notes_only
