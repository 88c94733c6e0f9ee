"""The journey of a child in care through the pages: coming into care, a move, a review and a visit, the care record
and the due page moving at each step; refusals in plain English naming the field; a second editor of a placement."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from safeguarding.core.calendar import today_in_london
from tests.children_in_care.conftest import Care
from tests.support import sign_in


def boxes(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def entry(started: date, iro_id: int | None = None, **extra: str) -> dict[str, str]:
    form = {
        **boxes("started_on", started),
        "legal_status": "C1",
        "category_of_need": "N1",
        "placement_type": "U6",
        "placement_provider": "PR1",
        "carer": "Pat and Alex Synthetic",
        "placement_postcode": "zz9  9zz",
        "long_term": "no",
        "home_postcode": "ZZ1 1ZZ",
        "unaccompanied_asylum_seeking": "no",
        "iro_id": str(iro_id or ""),
    }
    form.update(extra)
    return form


def post(client: TestClient, csrf: str, url: str, form: dict[str, str]) -> Any:
    return client.post(url, data={**form, "csrf_token": csrf}, follow_redirects=False)


def test_a_child_comes_into_care_moves_is_reviewed_and_visited(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=40)
    csrf = sign_in(client, care.worker)
    child = care.child_id
    form = client.get(f"/children-in-care/{child}/enter")
    assert form.status_code == 200 and "checked" not in form.text  # nothing answered in advance
    answer = post(client, csrf, f"/children-in-care/{child}/enter", entry(started, care.iro.id))
    assert answer.status_code == 303, answer.text
    page = client.get(f"/children-in-care/{child}")
    assert "Interim care order" in page.text and care.iro.full_name in page.text
    assert "Started to be looked after" in page.text
    due = client.get("/due").text
    assert "First looked-after review" in due and "Care plan prepared" in due
    assert "Second looked-after review" not in due

    moved = started + timedelta(days=20)
    answer = post(
        client,
        csrf,
        f"/children-in-care/{child}/changes/placement",
        {
            **boxes("on", moved),
            "placement_type": "K2",
            "placement_provider": "PR4",
            "carer": "Synthetic House",
            "placement_postcode": "ZZ8 8ZZ",
            "urn": "sc123456",
            "long_term": "no",
            "reason_place_change": "CARPL",
        },
    )
    assert answer.status_code == 303, answer.text
    shown = client.get(f"/children-in-care/{child}").text
    assert "Change of placement and carer" in shown and "Synthetic House" in shown and "SC123456" in shown

    client.post("/sign-out", data={"csrf_token": csrf})
    csrf = sign_in(client, care.iro)
    answer = post(
        client, csrf, f"/children-in-care/{child}/reviews/new", {**boxes("held_on", moved), "participation": "PN1"}
    )
    assert answer.status_code == 303, answer.text
    assert "Attended and spoke for themselves" in client.get(f"/children-in-care/{child}").text

    client.post("/sign-out", data={"csrf_token": csrf})
    sign_in(client, care.worker)
    due = client.get("/due").text  # the first review met, the second one's clock started by it
    assert "First looked-after review" not in due and "Second looked-after review" in due


def test_a_review_before_the_child_came_into_care_is_refused_naming_the_dates(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=10)
    csrf = sign_in(client, care.manager)
    assert post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started)).status_code == 303
    early = started - timedelta(days=3)
    answer = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/reviews/new",
        {**boxes("held_on", early), "participation": "PN1"},
    )
    assert answer.status_code == 422
    assert "before the child came into care on" in answer.text


def test_a_move_dated_before_the_current_placement_began_is_refused(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=10)
    csrf = sign_in(client, care.worker)
    post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started))
    answer = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/changes/carer",
        {**boxes("on", started - timedelta(days=1)), "carer": "Someone Else", "reason_place_change": "CLOSE"},
    )
    assert answer.status_code == 422
    assert "before the child came into care on" in answer.text
    assert 'value="Someone Else"' in answer.text  # what was typed is kept


def test_an_iro_lists_only_the_children_named_to_them_and_opens_only_their_records(
    client: TestClient, care: Care
) -> None:
    started = today_in_london() - timedelta(days=10)
    csrf = sign_in(client, care.worker)
    post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started, care.iro.id))
    client.post("/sign-out", data={"csrf_token": csrf})
    csrf = sign_in(client, care.iro)
    assert "Testcare" in client.get("/children-in-care").text
    assert client.get(f"/children-in-care/{care.child_id}").status_code == 200
    client.post("/sign-out", data={"csrf_token": csrf})
    sign_in(client, care.other_iro)
    assert "Testcare" not in client.get("/children-in-care").text
    assert client.get(f"/children-in-care/{care.child_id}").status_code == 403


def test_the_virtual_school_records_education_and_sees_nothing_else(client: TestClient, care: Care) -> None:
    csrf = sign_in(client, care.worker)
    post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(today_in_london() - timedelta(days=5)))
    client.post("/sign-out", data={"csrf_token": csrf})
    csrf = sign_in(client, care.virtual_school)
    answer = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/education/new",
        {**boxes("on", today_in_london()), "school": "Synthetic Primary"},
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/children-in-care/education")
    listed = client.get("/children-in-care/education").text
    assert "Synthetic Primary" in listed and "Testcare" in listed
    assert client.get(f"/children-in-care/{care.child_id}").status_code == 403
    assert client.get(f"/cases/{care.child_id}").status_code == 403


def test_the_second_of_two_people_correcting_a_placement_is_told_and_keeps_what_they_typed(
    client: TestClient, care: Care
) -> None:
    from sqlalchemy import select

    from safeguarding.children_in_care.models import CareEvent

    started = today_in_london() - timedelta(days=10)
    csrf = sign_in(client, care.worker)
    post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started))
    with care.database.transaction() as s:
        placement_id = s.scalar(select(CareEvent.id).where(CareEvent.person_id == care.child_id))
    url = f"/children-in-care/placements/{placement_id}"
    assert 'name="version" value="1"' in client.get(url).text  # the worker opens the form at version 1

    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    other_csrf = sign_in(other, care.placements)
    corrected = {
        **boxes("on", started),
        "placement_type": "U4",
        "placement_provider": "PR1",
        "carer": "Pat and Alex Synthetic",
        "placement_postcode": "ZZ9 9ZZ",
        "long_term": "yes",
        "version": "1",
    }
    saved = post(other, other_csrf, url, corrected)
    assert saved.status_code == 303, saved.text[saved.text.find("error-summary") :][:800]

    mine = {**corrected, "placement_type": "U6", "carer": "Pat Synthetic only", "long_term": "no"}
    answer = post(client, csrf, url, mine)
    assert answer.status_code == 409
    assert 'value="Pat Synthetic only"' in answer.text  # what the second editor typed is still in the form
    assert "Other foster placement, long term" in answer.text  # the saved version beside it
    assert 'name="version" value="2"' in answer.text  # saving again is deliberate
    with care.database.transaction() as s:
        assert s.scalar(select(CareEvent.carer).where(CareEvent.id == placement_id)) == "Pat and Alex Synthetic"


def test_recording_the_care_plan_later_names_the_iro_and_meets_its_clock(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=20)
    csrf = sign_in(client, care.worker)
    post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started))
    assert "Care plan prepared" in client.get("/due").text
    assert "Not named yet" in client.get(f"/children-in-care/{care.child_id}").text
    form = client.get(f"/children-in-care/{care.child_id}/plan").text
    assert 'name="version" value="1"' in form
    answer = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/plan",
        {**boxes("care_plan_on", started + timedelta(days=2)), "iro_id": str(care.iro.id), "version": "1"},
    )
    assert answer.status_code == 303, answer.text
    assert care.iro.full_name in client.get(f"/children-in-care/{care.child_id}").text
    assert "Care plan prepared" not in client.get("/due").text
    stale = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/plan",
        {**boxes("care_plan_on", started), "iro_id": str(care.other_iro.id), "version": "1"},
    )
    assert stale.status_code == 409 and care.iro.full_name in stale.text


def _version_in(page: str) -> str:
    marker = 'name="version" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_the_second_of_two_people_recording_a_move_is_told_and_keeps_what_they_typed(
    client: TestClient, care: Care
) -> None:
    from sqlalchemy import func, select

    from safeguarding.children_in_care.models import CareEvent

    started = today_in_london() - timedelta(days=30)
    csrf = sign_in(client, care.worker)
    post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started))
    url = f"/children-in-care/{care.child_id}/changes/placement"
    version = _version_in(client.get(url).text)  # the worker opens the move form

    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    other_csrf = sign_in(other, care.placements)
    assert _version_in(other.get(url).text) == version  # so does the placements team, on the same placement
    theirs = {
        **boxes("on", started + timedelta(days=10)),
        "placement_type": "K2",
        "placement_provider": "PR4",
        "carer": "Synthetic House",
        "placement_postcode": "ZZ8 8ZZ",
        "urn": "SC123456",
        "long_term": "no",
        "reason_place_change": "CARPL",
        "version": version,
    }
    saved = post(other, other_csrf, url, theirs)
    assert saved.status_code == 303, saved.text[saved.text.find("error-summary") :][:800]

    mine = {**theirs, "placement_type": "U4", "carer": "Robin Synthetic", "urn": "", "long_term": "yes"}
    answer = post(client, csrf, url, mine)
    assert answer.status_code == 409
    assert "Someone else changed this child" in answer.text
    assert 'value="Robin Synthetic"' in answer.text  # what the second editor typed is still in the form
    assert "Synthetic House" in answer.text  # the move recorded meanwhile, beside it
    fresh = _version_in(answer.text)
    assert fresh != version  # saving again is deliberate: the form now carries the placement as it stands
    with care.database.transaction() as s:
        moves = s.scalar(select(func.count()).select_from(CareEvent).where(CareEvent.person_id == care.child_id))
    assert moves == 2  # the entry and the first move: the second editor's move was not added on top

    again = post(client, csrf, url, {**mine, **boxes("on", started + timedelta(days=12)), "version": fresh})
    assert again.status_code == 303, again.text[again.text.find("error-summary") :][:800]


def test_the_second_of_two_people_recording_a_new_carer_is_told(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=30)
    csrf = sign_in(client, care.worker)
    post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started))
    url = f"/children-in-care/{care.child_id}/changes/carer"
    version = _version_in(client.get(url).text)
    first = {**boxes("on", started + timedelta(days=5)), "carer": "Sam Synthetic", "reason_place_change": "CLOSE"}
    assert post(client, csrf, url, {**first, "version": version}).status_code == 303
    second = {**first, "carer": "Kim Synthetic", "version": version}  # from a form opened before the first save
    answer = post(client, csrf, url, second)
    assert answer.status_code == 409
    assert 'value="Kim Synthetic"' in answer.text and "Sam Synthetic" in answer.text


def test_a_urn_is_refused_where_ofsted_registers_nothing(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=10)
    csrf = sign_in(client, care.worker)
    answer = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/enter",
        entry(started, placement_type="P1", placement_provider="PR0", urn="SC123456"),
    )
    assert answer.status_code == 422
    assert "Leave the URN blank" in answer.text
    fostered = post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started, urn="SC470001"))
    assert fostered.status_code == 303  # a foster placement's URN: its fostering service's
    assert "SC470001" in client.get(f"/children-in-care/{care.child_id}").text
    assert "fostering service" in client.get(f"/children-in-care/{care.child_id}/changes/placement").text
