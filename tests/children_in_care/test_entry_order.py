"""Coming into care from a child protection plan (the plan is not ended by it: the worker is asked to have it
reviewed), and events out of order on a child in care refused by each form, naming the field and what is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework.models import ChildProtectionPlan, Referral
from safeguarding.core.calendar import today_in_london
from tests.children_in_care.conftest import Care
from tests.children_in_care.test_pages import boxes, entry, post
from tests.support import sign_in


def _plan(care: Care) -> int:
    with care.database.transaction() as s:
        referral_id = s.scalar(select(Referral.id).where(Referral.person_id == care.child_id))
        plan = ChildProtectionPlan(
            person_id=care.child_id,
            referral_id=referral_id,
            started_on=care.referral_date + timedelta(days=30),
            initial_category="NEG",
            latest_category="NEG",
        )
        s.add(plan)
        s.flush()
        return plan.id


def test_coming_into_care_asks_for_the_protection_plan_to_be_reviewed_and_does_not_end_it(
    client: TestClient, care: Care
) -> None:
    plan_id = _plan(care)
    csrf = sign_in(client, care.worker)
    form = client.get(f"/children-in-care/{care.child_id}/enter").text
    assert "Coming into care does not end a child protection plan" in form
    started = today_in_london() - timedelta(days=5)
    assert post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started)).status_code == 303
    record = client.get(f"/children-in-care/{care.child_id}").text
    assert "still has a child protection plan" in record
    assert f"/cases/{care.child_id}/cp-plans/{plan_id}/edit" in record
    with care.database.transaction() as s:
        assert s.scalar(select(ChildProtectionPlan.ended_on).where(ChildProtectionPlan.id == plan_id)) is None
    # The review conference ends it: recorded on the plan, the prompt goes.
    with care.database.transaction() as s:
        plan = s.get(ChildProtectionPlan, plan_id)
        assert plan is not None
        plan.ended_on, plan.end_reason = today_in_london(), "looked_after"
    assert "still has a child protection plan" not in client.get(f"/children-in-care/{care.child_id}").text


def test_no_prompt_without_an_open_protection_plan(client: TestClient, care: Care) -> None:
    sign_in(client, care.worker)
    assert "does not end a child protection plan" not in client.get(f"/children-in-care/{care.child_id}/enter").text


@pytest.fixture()
def in_care(client: TestClient, care: Care) -> tuple[str, Care]:
    """The child in care since 30 days ago, moved 10 days ago; the worker signed in."""
    csrf = sign_in(client, care.manager)
    started = today_in_london() - timedelta(days=30)
    assert post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started)).status_code == 303
    moved = started + timedelta(days=20)
    answer = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/changes/placement",
        {
            **boxes("on", moved),
            "placement_type": "K2",
            "placement_provider": "PR4",
            "carer": "Synthetic House",
            "placement_postcode": "ZZ8 8ZZ",
            "long_term": "no",
            "reason_place_change": "CARPL",
        },
    )
    assert answer.status_code == 303, answer.text
    return csrf, care


def _refused(answer: object, field: str, *words: str) -> None:
    text = answer.text  # type: ignore[attr-defined]
    assert answer.status_code == 422, text[:300]  # type: ignore[attr-defined]
    summary = text[text.find("govuk-error-summary") :]
    assert f'href="#{field}' in summary, summary[:600]
    for word in words:
        assert word in text, word


STARTED_DAYS_AGO, MOVED_DAYS_AGO = 30, 10


@pytest.mark.parametrize(
    ("slug", "form", "field", "words"),
    [
        ("changes/legal-status", {"legal_status": "C2"}, "on", ("before the child came into care",)),
        (
            "changes/carer",
            {"carer": "Another Carer", "reason_place_change": "CLOSE"},
            "on",
            ("a placement cannot end before it starts",),
        ),
        (
            "changes/placement",
            {
                "placement_type": "U6",
                "placement_provider": "PR1",
                "carer": "Another Carer",
                "placement_postcode": "ZZ7 7ZZ",
                "long_term": "no",
                "reason_place_change": "CARPL",
            },
            "on",
            ("a placement cannot end before it starts",),
        ),
        ("changes/leaving", {"reason_ended": "E4A"}, "on", ("care cannot end before it starts",)),
    ],
)
def test_a_change_dated_before_the_current_placement_began_is_refused(
    client: TestClient, in_care: tuple[str, Care], slug: str, form: dict[str, str], field: str, words: tuple[str]
) -> None:
    csrf, care = in_care
    # Between the entry and the move: before the placement that is current, so it would end it before it began
    # (a legal status change: dated before the entry, 40 days ago).
    days = 40 if slug.endswith("legal-status") else 15
    answer = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/{slug}",
        {**boxes("on", today_in_london() - timedelta(days=days)), **form},
    )
    _refused(answer, field, *words)


@pytest.mark.parametrize(
    ("slug", "form", "field", "what"),
    [
        ("reviews/new", {"participation": "PN1"}, "held_on", "review"),
        ("visits/new", {"child_seen": "yes", "seen_alone": "no"}, "visited_on", "visit"),
        ("health/new", {"kind": "initial"}, "on", "health assessment"),
        ("education/new", {"school": "Synthetic Primary"}, "on", "personal education plan"),
    ],
)
def test_a_record_dated_before_the_child_came_into_care_is_refused(
    client: TestClient, in_care: tuple[str, Care], slug: str, form: dict[str, str], field: str, what: str
) -> None:
    csrf, care = in_care
    before = today_in_london() - timedelta(days=STARTED_DAYS_AGO + 2)
    answer = post(client, csrf, f"/children-in-care/{care.child_id}/{slug}", {**boxes(field, before), **form})
    _refused(answer, field, f"The {what} is dated", "before the child came into care on")


@pytest.mark.parametrize(
    ("slug", "form", "field", "what"),
    [
        ("reviews/new", {"participation": "PN1"}, "held_on", "review"),
        ("visits/new", {"child_seen": "yes", "seen_alone": "no"}, "visited_on", "visit"),
        ("health/new", {"kind": "review"}, "on", "health assessment"),
        ("education/new", {"school": "Synthetic Primary"}, "on", "personal education plan"),
    ],
)
def test_a_record_dated_after_the_child_left_care_is_refused(
    client: TestClient, in_care: tuple[str, Care], slug: str, form: dict[str, str], field: str, what: str
) -> None:
    csrf, care = in_care
    left = today_in_london() - timedelta(days=5)
    answer = post(
        client, csrf, f"/children-in-care/{care.child_id}/changes/leaving", {**boxes("on", left), "reason_ended": "E4A"}
    )
    assert answer.status_code == 303, answer.text
    after = today_in_london() - timedelta(days=2)
    answer = post(client, csrf, f"/children-in-care/{care.child_id}/{slug}", {**boxes(field, after), **form})
    _refused(answer, field, f"The {what} is dated", "after the child left care on")


def test_a_correction_moving_a_placement_past_the_next_one_is_refused(
    client: TestClient, in_care: tuple[str, Care]
) -> None:
    csrf, care = in_care
    from safeguarding.children_in_care.models import CareEvent

    with care.database.transaction() as s:
        first = s.scalar(select(CareEvent.id).where(CareEvent.person_id == care.child_id, CareEvent.kind == "start"))
        moved = s.scalar(
            select(CareEvent.id).where(CareEvent.person_id == care.child_id, CareEvent.kind == "placement")
        )
    entered = today_in_london() - timedelta(days=STARTED_DAYS_AGO)
    same = {
        "placement_type": "U6",
        "placement_provider": "PR1",
        "carer": "Pat and Alex Synthetic",
        "placement_postcode": "ZZ9 9ZZ",
        "long_term": "no",
        "version": "1",
    }
    # The first placement's date is the day the child came into care: not changed here.
    answer = post(
        client, csrf, f"/children-in-care/placements/{first}", {**boxes("on", entered + timedelta(days=1)), **same}
    )
    _refused(answer, "on", "that date is not changed here")
    # The move cannot be dated before the child came into care.
    answer = post(
        client,
        csrf,
        f"/children-in-care/placements/{moved}",
        {
            **boxes("on", entered - timedelta(days=1)),
            **same,
            "carer": "Synthetic House",
            "reason_place_change": "CARPL",
        },
    )
    _refused(answer, "on", "before the child came into care")


def test_coming_into_care_while_in_care_is_refused(client: TestClient, in_care: tuple[str, Care]) -> None:
    csrf, care = in_care
    answer = post(
        client, csrf, f"/children-in-care/{care.child_id}/enter", entry(today_in_london() - timedelta(days=1))
    )
    _refused(answer, "started_on", "The child is already in care, since")
