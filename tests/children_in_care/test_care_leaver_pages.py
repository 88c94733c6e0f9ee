"""A personal adviser's care leavers: the list with the visits due, the care leaver's page, and recording a contact,
a needs assessment, a pathway plan and its review, and the birthday (OC3) facts -- each moving the deadlines; another
adviser is refused and the refusal audited."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.children_in_care.care_leavers import birthday
from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.timescales.models import Deadline
from safeguarding.timescales.rules import due_on
from tests.children_in_care.care_leaver_world import build
from tests.front_door.test_screening_helpers import make_person
from tests.support import Factory, sign_in_as


def _parts(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def _open(database: Database, person_id: int) -> dict[str, date]:
    with database.transaction() as s:
        return {
            row.rule_id: row.due_on
            for row in s.execute(
                select(Deadline).where(Deadline.person_id == person_id, Deadline.met_on.is_(None))
            ).scalars()
        }


def test_the_adviser_sees_the_visit_due_and_a_visit_moves_it(
    client: TestClient, database: Database, factory: Factory
) -> None:
    world = build(factory, named_days_ago=70)
    today = today_in_london()
    first_due = _open(database, world.person_id)["pa-contact"]
    assert first_due == due_on("pa-contact", today - timedelta(days=70)) < today  # named 70 days ago, no visit
    csrf = sign_in_as(client, database, world.adviser)
    listing = client.get("/care-leavers")
    assert listing.status_code == 200 and "Jordan Leaver" in listing.text and "Overdue" in listing.text
    page = client.get(f"/care-leavers/{world.leaver_id}")
    assert "Former relevant child" in page.text and "Personal adviser visit" in page.text

    # A phone call is recorded but does not meet the visiting clock; a visit in person does.
    phone = {
        "csrf_token": csrf,
        "_form": "contact",
        **_parts("contact_on", today),
        "in_touch": "yes",
        "method": "phone",
    }
    assert client.post(f"/care-leavers/{world.leaver_id}/contacts", data=phone).status_code == 303
    assert _open(database, world.person_id)["pa-contact"] == first_due
    visit = {**phone, "method": "visit", "note": "Seen at the flat"}
    assert client.post(f"/care-leavers/{world.leaver_id}/contacts", data=visit).status_code == 303
    assert _open(database, world.person_id)["pa-contact"] > today
    assert "Seen at the flat" in client.get(f"/care-leavers/{world.leaver_id}").text


def test_a_contact_asks_every_question_and_answers_none(
    client: TestClient, database: Database, factory: Factory
) -> None:
    world = build(factory)
    csrf = sign_in_as(client, database, world.adviser)
    answer = client.post(f"/care-leavers/{world.leaver_id}/contacts", data={"csrf_token": csrf, "_form": "contact"})
    assert answer.status_code == 422
    for message in ("Enter the date of the contact", "Select yes if you were in touch", "Select how the contact"):
        assert message in answer.text
    tomorrow = today_in_london() + timedelta(days=1)
    answer = client.post(
        f"/care-leavers/{world.leaver_id}/contacts",
        data={
            "csrf_token": csrf,
            "_form": "contact",
            **_parts("contact_on", tomorrow),
            "in_touch": "no",
            "method": "phone",
        },
    )
    assert answer.status_code == 422 and "must be today or in the past" in answer.text


def test_pathway_plan_and_its_review_move_the_review_clock(
    client: TestClient, database: Database, factory: Factory
) -> None:
    world = build(factory)
    today = today_in_london()
    csrf = sign_in_as(client, database, world.adviser)
    url = f"/care-leavers/{world.leaver_id}"
    too_soon = client.post(
        f"{url}/plans", data={"csrf_token": csrf, "_form": "plan", **_parts("prepared_on", today), "plan": "P"}
    )
    assert too_soon.status_code == 422 and "Record the needs assessment first" in too_soon.text
    assessment = {
        "csrf_token": csrf,
        "_form": "assessment",
        **_parts("completed_on", today - timedelta(days=200)),
        "needs": "Money and a flat",
        "young_person_views": "Wants to study",
    }
    assert client.post(f"{url}/assessments", data=assessment).status_code == 303
    plan_day = today - timedelta(days=190)
    plan = {"csrf_token": csrf, "_form": "plan", **_parts("prepared_on", plan_day), "plan": "College in September"}
    assert client.post(f"{url}/plans", data=plan).status_code == 303
    assert _open(database, world.person_id)["pathway-plan-review"] < today  # six months have passed: overdue
    no_answer = client.post(
        f"{url}/reviews",
        data={"csrf_token": csrf, "_form": "review", **_parts("reviewed_on", today), "outcome": "Kept"},
    )
    assert no_answer.status_code == 422 and "Select yes if the young person took part" in no_answer.text
    review = {
        "csrf_token": csrf,
        "_form": "review",
        **_parts("reviewed_on", today),
        "took_part": "yes",
        "outcome": "Kept on course",
    }
    assert client.post(f"{url}/reviews", data=review).status_code == 303
    assert _open(database, world.person_id)["pathway-plan-review"] == _due_six_months(today)
    assert "Kept on course" in client.get(url).text


def _due_six_months(start: date) -> date:
    return due_on("pathway-plan-review", start)


def test_birthday_facts_are_the_dfe_codes_inside_the_window(
    client: TestClient, database: Database, factory: Factory
) -> None:
    world = build(factory)
    csrf = sign_in_as(client, database, world.adviser)
    url = f"/care-leavers/{world.leaver_id}"
    at_19 = birthday(world.born, 19)
    outside = {
        "csrf_token": csrf,
        "_form": "oc3",
        "age": "19",
        **_parts("recorded_on", at_19 - timedelta(days=120)),
        "oc3_in_touch": "YES",
        "activity": "F2",
        "accommodation": "U",
        "suitable": "1",
    }
    answer = client.post(f"{url}/oc3", data=outside)
    assert answer.status_code == 422 and "three months before to a month after their 19th birthday" in answer.text
    inside = {**outside, **_parts("recorded_on", at_19 + timedelta(days=3))}
    assert client.post(f"{url}/oc3", data=inside).status_code == 303
    page = client.get(url).text
    assert "Independent living: suitable" in page and "Full-time education other than higher education" in page


def test_another_adviser_is_refused_and_the_refusal_audited(
    client: TestClient, database: Database, factory: Factory
) -> None:
    world = build(factory)
    sign_in_as(client, database, world.other_adviser)
    assert "Jordan Leaver" not in client.get("/care-leavers").text
    assert client.get(f"/care-leavers/{world.leaver_id}").status_code == 403
    with database.transaction() as s:
        refused = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.actor_id == world.other_adviser.id, AuditEvent.outcome == "refused")
        )
    assert refused == 1
    # The adviser does not open the person's record either (data minimisation).
    assert client.get(f"/people/{world.person_id}").status_code == 403


def test_the_advisers_clocks_are_on_their_own_due_page(
    client: TestClient, database: Database, factory: Factory
) -> None:
    world = build(factory, named_days_ago=70)
    sign_in_as(client, database, world.adviser)
    due = client.get("/due")
    assert due.status_code == 200 and "Jordan Leaver" in due.text and "Personal adviser visit" in due.text
    # A deadline explained links on to the care leaver's page (not the case, which the adviser does not open).
    with database.transaction() as s:
        deadline_id = s.scalar(
            select(Deadline.id).where(Deadline.person_id == world.person_id, Deadline.rule_id == "pa-contact")
        )
    explained = client.get(f"/due/deadlines/{deadline_id}")
    assert f'href="/care-leavers/people/{world.person_id}"' in explained.text
    onward = client.get(f"/care-leavers/people/{world.person_id}", follow_redirects=True)
    assert onward.status_code == 200 and "Former relevant child" in onward.text
    sign_in_as(client, database, world.other_adviser)
    assert "Jordan Leaver" not in client.get("/due").text
    assert client.get(f"/care-leavers/people/{world.person_id}").status_code == 403


def test_a_team_manager_opens_a_record_and_a_young_person_who_is_not_a_care_leaver_is_refused(
    client: TestClient, database: Database, factory: Factory
) -> None:
    world = build(factory)
    today = today_in_london()
    young = make_person(database, world.manager, "Sam", "Newleaver", birthday(today, -17))
    too_short = make_person(database, world.manager, "Kit", "Leftyoung", birthday(today, -17))
    csrf = sign_in_as(client, database, world.manager)
    base = {
        "csrf_token": csrf,
        "adviser_id": str(world.adviser.id),
        **_parts("adviser_named_on", today),
        "still_looked_after": "no",
        **_parts("left_care_on", today - timedelta(days=10)),
    }
    # Left care at 15: never looked after after their 16th birthday.
    left_at_15 = {**base, **_parts("left_care_on", today - timedelta(days=800)), "person_id": str(too_short)}
    refused = client.post("/care-leavers/new", data={**left_at_15, "weeks": "30"})
    assert refused.status_code == 422 and "not a care leaver today" in refused.text
    assert "not looked after at any time after their 16th birthday" in refused.text
    unanswered = client.post("/care-leavers/new", data={"csrf_token": csrf, "person_id": str(young)})
    assert unanswered.status_code == 422
    assert "Select yes if the young person is still looked after" in unanswered.text
    opened = client.post("/care-leavers/new", data={**base, "person_id": str(young), "weeks": "40"})
    assert opened.status_code == 303
    page = client.get(opened.headers["location"])
    assert "Relevant child" in page.text and "Needs assessment for the pathway plan completed" in page.text


def test_a_second_editor_of_a_birthdays_facts_is_told_and_keeps_what_they_typed(
    client: TestClient, database: Database, factory: Factory
) -> None:
    world = build(factory)
    csrf = sign_in_as(client, database, world.adviser)
    url = f"/care-leavers/{world.leaver_id}"
    at_19 = birthday(world.born, 19)
    first = {"csrf_token": csrf, "_form": "oc3", "age": "19", **_parts("recorded_on", at_19), "oc3_in_touch": "NO"}
    assert client.post(f"{url}/oc3", data=first).status_code == 303
    # Both load the page at version 1; the first saves again, then the second saves what they typed.
    assert client.post(f"{url}/oc3", data={**first, "oc3_in_touch": "REFU", "version_19": "1"}).status_code == 303
    second = {**first, "oc3_in_touch": "YES", "activity": "F5", "accommodation": "0", "version_19": "1"}
    answer = client.post(f"{url}/oc3", data=second)
    assert answer.status_code == 409 and "Someone else changed this record" in answer.text
    assert 'value="F5" selected' in answer.text  # what they typed is still in the form
    assert "Refuses contact" in answer.text  # beside the saved facts


def test_staying_put_is_refused_at_the_17th_birthday_naming_the_accommodation(
    client: TestClient, database: Database, factory: Factory
) -> None:
    """Staying put begins at 18 (SSDA903 rule 3001): the 17th birthday's facts cannot say "with former foster
    carers"; the 18th's can, and another accommodation at 17 is kept."""
    world = build(factory)
    csrf = sign_in_as(client, database, world.adviser)
    url = f"/care-leavers/{world.leaver_id}"
    at_17 = {
        "csrf_token": csrf,
        "_form": "oc3",
        "age": "17",
        **_parts("recorded_on", birthday(world.born, 17) + timedelta(days=3)),
        "oc3_in_touch": "YES",
        "activity": "F2",
        "accommodation": "Z",
        "suitable": "1",
    }
    refused = client.post(f"{url}/oc3", data=at_17)
    assert refused.status_code == 422
    summary = refused.text[refused.text.find("govuk-error-summary") :][:1500]
    assert 'href="#accommodation' in summary and "staying put begins at 18" in summary
    assert "3001" not in refused.text
    at_18 = {**at_17, "age": "18", **_parts("recorded_on", birthday(world.born, 18) + timedelta(days=3))}
    assert client.post(f"{url}/oc3", data=at_18).status_code == 303
    assert client.post(f"{url}/oc3", data={**at_17, "accommodation": "E"}).status_code == 303
