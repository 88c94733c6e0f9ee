"""The care record's own forms keep the adoption timeline as the permanence page does (one set of rules,
``children_in_care.adoption_timeline``): leaving care by E13 and its neighbours with a decision in force (DfE rule
557), a placement order without a decision (553), a placement for adoption (A3-A6) without a decision or a match
(551, 331), an adoption order before the placement; each refused naming the field, each accepted once in order."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.children_in_care.models import CareEvent, CarePeriod
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import long_date
from tests.children_in_care.conftest import Care
from tests.children_in_care.test_pages import boxes, entry, post
from tests.children_in_care.test_permanence_pages import BASE, match_form, placed_form
from tests.support import sign_in

CHANGE = "/children-in-care/{}/changes/{}"


def _enter(client: TestClient, csrf: str, care: Care, started: date) -> int:
    child = care.child_id
    assert post(client, csrf, f"/children-in-care/{child}/enter", entry(started, care.iro.id)).status_code == 303
    return child


def _error_on(page_text: str, field: str) -> bool:
    """The error summary links to the field (GOV.UK: the summary names the field at fault)."""
    return f'href="#{field}' in page_text


def test_leaving_care_home_with_a_decision_in_force_waits_for_the_decision_to_end(
    client: TestClient, care: Care
) -> None:
    started = today_in_london() - timedelta(days=200)
    csrf = sign_in(client, care.worker)
    child = _enter(client, csrf, care, started)
    base = BASE.format(child)
    assert post(client, csrf, f"{base}/decision", boxes("on", started + timedelta(days=20))).status_code == 303

    home = {**boxes("on", started + timedelta(days=150)), "reason_ended": "E13"}
    refused = post(client, csrf, CHANGE.format(child, "leaving"), home)
    assert refused.status_code == 422 and _error_on(refused.text, "reason_ended")
    assert "should no longer be placed for adoption first" in refused.text
    assert f"The decision of {long_date(started + timedelta(days=20))}" in refused.text  # a date as a person reads it
    with care.database.transaction() as s:
        assert s.scalars(select(CarePeriod).where(CarePeriod.person_id == child)).one().ended_on is None

    ended = {**boxes("on", started + timedelta(days=100)), "reason": "RD1"}
    assert post(client, csrf, f"{base}/no-longer", ended).status_code == 303
    assert post(client, csrf, CHANGE.format(child, "leaving"), home).status_code == 303
    with care.database.transaction() as s:
        assert s.scalars(select(CarePeriod).where(CarePeriod.person_id == child)).one().reason_ended == "E13"


def test_leaving_care_home_with_no_decision_is_not_held_up(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=90)
    csrf = sign_in(client, care.worker)
    child = _enter(client, csrf, care, started)
    home = {**boxes("on", started + timedelta(days=60)), "reason_ended": "E4A"}
    assert post(client, csrf, CHANGE.format(child, "leaving"), home).status_code == 303


def test_a_placement_order_on_the_care_record_needs_the_decision(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=200)
    csrf = sign_in(client, care.worker)
    child = _enter(client, csrf, care, started)
    order = {**boxes("on", started + timedelta(days=60)), "legal_status": "E1"}
    refused = post(client, csrf, CHANGE.format(child, "legal-status"), order)
    assert refused.status_code == 422 and _error_on(refused.text, "legal_status")
    assert "record the decision on the child&#39;s permanence page before the placement order" in refused.text
    assert post(client, csrf, f"{BASE.format(child)}/decision", boxes("on", started + timedelta(days=30))).status_code
    assert post(client, csrf, CHANGE.format(child, "legal-status"), order).status_code == 303


def test_a_placement_for_adoption_through_the_change_of_placement_form(client: TestClient, care: Care) -> None:
    """A3-A6 through the care record's own form: refused with no decision, then before the match, and for the
    foster carers the match says are not adopting; accepted once matched; then adopted through "left care"."""
    today = today_in_london()
    started = today - timedelta(days=300)
    csrf = sign_in(client, care.worker)
    child = _enter(client, csrf, care, started)
    base = BASE.format(child)
    move = CHANGE.format(child, "placement")
    placed_on = started + timedelta(days=120)

    no_decision = post(client, csrf, move, placed_form(placed_on))
    assert no_decision.status_code == 422 and _error_on(no_decision.text, "placement_type")
    assert "There is no decision in force that the child should be placed for adoption" in no_decision.text

    assert post(client, csrf, f"{base}/decision", boxes("on", started + timedelta(days=30))).status_code == 303
    order = {**boxes("on", started + timedelta(days=60)), "legal_status": "E1"}
    assert post(client, csrf, CHANGE.format(child, "legal-status"), order).status_code == 303
    unmatched = post(client, csrf, move, placed_form(placed_on))
    assert unmatched.status_code == 422 and _error_on(unmatched.text, "on")
    assert "Record the match with the adopters first" in unmatched.text

    match = client.get(f"{base}/match")
    version = match.text.split('name="version" value="')[1].split('"')[0]
    matched = post(client, csrf, f"{base}/match", {**match_form(started + timedelta(days=100)), "version": version})
    assert matched.status_code == 303
    with_carers = post(client, csrf, move, placed_form(placed_on, placement_type="A5"))
    assert with_carers.status_code == 422 and _error_on(with_carers.text, "placement_type")
    assert "not the child&#39;s foster carers" in with_carers.text

    assert post(client, csrf, move, placed_form(placed_on)).status_code == 303
    with care.database.transaction() as s:
        kinds = [e.placement_type for e in s.scalars(select(CareEvent).where(CareEvent.person_id == child))]
        assert kinds[-1] == "A6"

    # Adopted through the care record's "left care": refused before the placement, then accepted.
    leaving = CHANGE.format(child, "leaving")
    early = post(client, csrf, leaving, {**boxes("on", placed_on - timedelta(days=1)), "reason_ended": "E11"})
    assert early.status_code == 422 and _error_on(early.text, "on")
    assert "before the child was placed for adoption" in early.text
    adopted_on = min(placed_on + timedelta(days=80), today - timedelta(days=1))
    assert post(client, csrf, leaving, {**boxes("on", adopted_on), "reason_ended": "E11"}).status_code == 303
    with care.database.transaction() as s:
        assert s.scalars(select(CarePeriod).where(CarePeriod.person_id == child)).one().reason_ended == "E11"


def test_adopted_through_left_care_needs_the_placement_for_adoption(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=200)
    csrf = sign_in(client, care.worker)
    child = _enter(client, csrf, care, started)
    adopted = {**boxes("on", started + timedelta(days=150)), "reason_ended": "E12"}
    none = post(client, csrf, CHANGE.format(child, "leaving"), adopted)
    assert none.status_code == 422 and _error_on(none.text, "reason_ended")
    assert "There is no decision in force that the child should be placed for adoption" in none.text
    assert post(client, csrf, f"{BASE.format(child)}/decision", boxes("on", started + timedelta(days=20))).status_code
    unplaced = post(client, csrf, CHANGE.format(child, "leaving"), adopted)
    assert unplaced.status_code == 422 and "Record the child&#39;s placement for adoption first" in unplaced.text


def test_coming_into_care_under_a_placement_order_or_placed_for_adoption_is_refused(
    client: TestClient, care: Care
) -> None:
    started = today_in_london() - timedelta(days=10)
    csrf = sign_in(client, care.worker)
    child = care.child_id
    refused = post(
        client,
        csrf,
        f"/children-in-care/{child}/enter",
        entry(started, care.iro.id, legal_status="E1", placement_type="A4"),
    )
    assert refused.status_code == 422
    assert _error_on(refused.text, "legal_status") and _error_on(refused.text, "placement_type")
    with care.database.transaction() as s:
        assert s.scalars(select(CarePeriod).where(CarePeriod.person_id == child)).first() is None


def test_a_placement_corrected_into_a_placement_for_adoption_is_checked_too(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=200)
    csrf = sign_in(client, care.worker)
    child = _enter(client, csrf, care, started)
    moved = started + timedelta(days=50)
    move = {**placed_form(moved), "placement_type": "U4", "carer": "Long Term Synthetic"}
    assert post(client, csrf, CHANGE.format(child, "placement"), move).status_code == 303
    with care.database.transaction() as s:
        event = s.scalars(select(CareEvent).where(CareEvent.person_id == child, CareEvent.placement_type == "U4")).one()
        event_id, version = event.id, event.version
    corrected = {**move, "placement_type": "A4", "version": str(version)}
    refused = post(client, csrf, f"/children-in-care/placements/{event_id}", corrected)
    assert refused.status_code == 422 and _error_on(refused.text, "placement_type")
    assert "There is no decision in force" in refused.text
    fixed = {**move, "carer": "Long Term Synthetics", "version": str(version)}
    assert post(client, csrf, f"/children-in-care/placements/{event_id}", fixed).status_code == 303
