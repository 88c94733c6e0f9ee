"""A child's adoption through the permanence pages: the decision, the placement order, the match, the placement for
adoption and the adoption order, with the refusals naming what is out of order, a second editor of the match, and
the SSDA903 tables and Annex A list 10 written from what was recorded; prospective adopters for list 11."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.children_in_care.models import CarePeriod
from safeguarding.core.calendar import today_in_london
from safeguarding.insight.period import Period
from safeguarding.returns.annex_a.lists import build
from safeguarding.returns.ssda903.export import build_return
from safeguarding.returns.ssda903.tables import CollectionYear
from safeguarding.returns.ssda903.validator import validate
from tests.children_in_care.conftest import Care
from tests.children_in_care.test_pages import boxes, entry, post
from tests.support import sign_in

BASE = "/children-in-care/{}/permanence"


def match_form(on: date, **extra: str) -> dict[str, str]:
    return {
        **boxes("on", on),
        "adopters_number": "2",
        "adopters_sex": "MF",
        "adopters_legal_status": "L11",
        "foster_carers_adopting": "no",
        **extra,
    }


def placed_form(on: date, **extra: str) -> dict[str, str]:
    return {
        **boxes("on", on),
        "placement_type": "A6",
        "placement_provider": "PR1",
        "carer": "The Synthetic Adopters",
        "placement_postcode": "ZZ3 3ZZ",
        "long_term": "no",
        "reason_place_change": "CARPL",
        **extra,
    }


def test_a_child_is_decided_matched_placed_and_adopted(client: TestClient, care: Care) -> None:
    today = today_in_london()
    started = today - timedelta(days=300)
    csrf = sign_in(client, care.worker)
    child = care.child_id
    base = BASE.format(child)
    assert post(client, csrf, f"/children-in-care/{child}/enter", entry(started, care.iro.id)).status_code == 303
    assert "Permanence and adoption" in client.get(f"/children-in-care/{child}").text

    page = client.get(base)
    assert page.status_code == 200 and "No decision that the child should be placed for adoption" in page.text
    form = client.get(f"{base}/decision")
    assert form.status_code == 200 and "checked" not in form.text

    # Decided before the child came into care: refused, naming the field and the date.
    refused = post(client, csrf, f"{base}/decision", boxes("on", started - timedelta(days=1)))
    assert refused.status_code == 422 and 'href="#on"' in refused.text
    assert "before the child came into care" in refused.text
    decided = started + timedelta(days=30)
    assert post(client, csrf, f"{base}/decision", boxes("on", decided)).status_code == 303

    # The placement order: a change of legal status to E1 on the care record.
    order_on = started + timedelta(days=60)
    changed = post(
        client, csrf, f"/children-in-care/{child}/changes/legal-status", {**boxes("on", order_on), "legal_status": "E1"}
    )
    assert changed.status_code == 303

    # Placed before matched: refused. Matched before the decision: refused.
    early = post(client, csrf, f"{base}/placed", placed_form(order_on + timedelta(days=5)))
    assert early.status_code == 422 and "Record the match with the adopters first" in early.text
    match_page = client.get(f"{base}/match")
    assert match_page.status_code == 200 and "checked" not in match_page.text
    version = "1"
    too_soon = post(client, csrf, f"{base}/match", match_form(decided - timedelta(days=1), version=version))
    assert too_soon.status_code == 422 and "the decision comes first" in too_soon.text
    mismatched = post(client, csrf, f"{base}/match", match_form(order_on + timedelta(days=30), adopters_sex="MM"))
    assert mismatched.status_code == 422 and "does not fit" in mismatched.text
    matched = order_on + timedelta(days=150)  # longer than the scorecard's A2 threshold (121 days)
    assert post(client, csrf, f"{base}/match", match_form(matched, version=version)).status_code == 303

    # A second editor of the match, working from the version before: told, keeping what they typed.
    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    other_csrf = sign_in(other, care.manager)
    stale = post(other, other_csrf, f"{base}/match", match_form(matched, version=version, adopters_legal_status="L3"))
    assert stale.status_code == 409
    assert 'value="L3" checked' in stale.text or "L3" in stale.text

    placed_on = matched + timedelta(days=10)
    before_match = post(client, csrf, f"{base}/placed", placed_form(matched - timedelta(days=1)))
    assert before_match.status_code == 422 and "the match comes first" in before_match.text
    consent = post(client, csrf, f"{base}/placed", placed_form(placed_on, placement_type="A5"))
    assert consent.status_code == 422 and "The match says the adopters are not the child" in consent.text
    assert post(client, csrf, f"{base}/placed", placed_form(placed_on)).status_code == 303
    record = client.get(f"/children-in-care/{child}").text
    assert "Placed for adoption under a placement order" in record

    shown = client.get(base).text
    assert "Longer than the 121-day threshold" in shown
    assert f"{placed_on.day} {placed_on:%B %Y}" in shown

    # The adoption order ends care.
    adopted_on = placed_on + timedelta(days=80)
    if adopted_on >= today:
        adopted_on = today - timedelta(days=1)
    early_order = post(client, csrf, f"{base}/order", {**boxes("on", placed_on - timedelta(days=1)), "reason": "E11"})
    assert early_order.status_code == 422 and "before the child was placed for adoption" in early_order.text
    assert post(client, csrf, f"{base}/order", {**boxes("on", adopted_on), "reason": "E11"}).status_code == 303
    assert "Adopted: application unopposed" in client.get(f"/children-in-care/{child}").text

    # The SSDA903 tables from the record, and list 10.
    with care.database.transaction() as s:
        year = CollectionYear(adopted_on.year + (1 if adopted_on.month > 3 else 0))
        built = build_return(s, year)
        rows = next(iter(built.children.values()))
        if year.start <= decided:
            assert [(r.date_placed, r.date_placed_ceased) for r in rows.placed] == [(decided, None)]
        assert [
            (a.date_int, a.date_match, a.foster_care, a.nb_adoptr, a.sex_adoptr, a.ls_adoptr) for a in rows.ad1
        ] == [(decided, matched, "0", "2", "MF", "L11")]
        report = validate(built, year)
        codes = {f.code for f in report.errors}
        assert not codes & {"601", "523", "525", "331", "333", "334", "521", "552", "553", "554", "558"}, codes
        annex = build(s, Period(started, today))
        list_10 = annex.sheet("List 10").rows
        assert len(list_10) == 1
        assert list_10[0][6:15] == [
            "",
            started,
            decided,
            order_on,
            matched,
            placed_on,
            adopted_on,
            None,
            "",
        ]


def test_an_order_other_than_adoption_waits_for_the_decision_to_end(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=200)
    csrf = sign_in(client, care.worker)
    child = care.child_id
    base = BASE.format(child)
    post(client, csrf, f"/children-in-care/{child}/enter", entry(started, care.iro.id))
    assert post(client, csrf, f"{base}/decision", boxes("on", started + timedelta(days=20))).status_code == 303
    sgo = {**boxes("on", started + timedelta(days=150)), "reason": "E47"}
    refused = post(client, csrf, f"{base}/order", sgo)
    assert refused.status_code == 422 and "still in force" in refused.text
    no_reason = post(client, csrf, f"{base}/no-longer", boxes("on", started + timedelta(days=100)))
    assert no_reason.status_code == 422 and "Choose why the child should no longer be placed" in no_reason.text
    ceased = post(client, csrf, f"{base}/no-longer", {**boxes("on", started + timedelta(days=100)), "reason": "RD3"})
    assert ceased.status_code == 303
    assert "Prospective adopters could not be found" in client.get(base).text
    assert post(client, csrf, f"{base}/order", sgo).status_code == 303
    with care.database.transaction() as s:
        period = s.scalars(select(CarePeriod).where(CarePeriod.person_id == child)).one()
        assert period.reason_ended == "E47"


def test_the_plan_and_previous_permanence(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=60)
    csrf = sign_in(client, care.worker)
    child = care.child_id
    base = BASE.format(child)
    post(client, csrf, f"/children-in-care/{child}/enter", entry(started, care.iro.id))
    empty = post(client, csrf, f"{base}/plan", {})
    assert empty.status_code == 422
    assert empty.text.index('href="#plan"') < empty.text.index('href="#on"')  # the summary in the form's order
    assert (
        post(client, csrf, f"{base}/plan", {"plan": "f", **boxes("on", started + timedelta(days=20))}).status_code
        == 303
    )
    assert "Long-term fostering" in client.get(base).text

    bad = post(
        client,
        csrf,
        f"{base}/previous",
        {"option": "Z1", "la_code": "<script>", **boxes("order_on", date(2019, 1, 1))},
    )
    assert bad.status_code == 422 and "<script>" not in bad.text.replace("&lt;script&gt;", "")
    absurd = post(
        client,
        csrf,
        f"{base}/previous",
        {"option": "P2", "order_on-day": "31", "order_on-month": "2", "order_on-year": "20190"},
    )
    assert absurd.status_code == 422
    ok = post(
        client, csrf, f"{base}/previous", {"option": "P2", "la_code": "316", **boxes("order_on", date(2019, 1, 1))}
    )
    assert ok.status_code == 303
    assert "Special guardianship order, order of 1 January 2019" in client.get(base).text
    with care.database.transaction() as s:
        year = CollectionYear(started.year + (1 if started.month > 3 else 0))
        record = next(iter(build_return(s, year).children.values()))
        assert [(r.prev_perm, r.la_perm, r.date_perm) for r in record.prev_perm] == [("P2", "316", date(2019, 1, 1))]


def test_prospective_adopters_and_list_11(client: TestClient, care: Care) -> None:
    csrf = sign_in(client, care.placements)
    form = client.get("/adopters/new")
    assert form.status_code == 200 and "checked" not in form.text
    out_of_order = {
        "gender_1": "b",
        "ethnicity_1": "WBRI",
        "disabled_1": "no",
        "fostering_for_adoption": "no",
        **boxes("enquiry_on", date(2026, 1, 5)),
        **boxes("stage_one_started_on", date(2025, 12, 1)),
    }
    refused = post(client, csrf, "/adopters/new", out_of_order)
    assert refused.status_code == 422 and "is before the date the enquiry was received" in refused.text
    good = {**out_of_order, **boxes("stage_one_started_on", date(2026, 1, 20)), "gender_2": "a", "disabled_2": "no"}
    assert post(client, csrf, "/adopters/new", good).status_code == 303
    listed = client.get("/adopters").text
    assert "AF00001" in listed
    with care.database.transaction() as s:
        rows = build(s, Period(date(2026, 1, 1), date(2026, 3, 31))).sheet("List 11").rows
    assert [r[:5] for r in rows] == [
        ["AF00001-1", "AF00001", "b) Female", rows[0][3], "No"],
        ["AF00001-2", "AF00001", "a) Male", "", "No"],
    ]
    assert rows[0][6] == date(2026, 1, 5) and rows[0][7] == date(2026, 1, 20)
    assert client.get(f"/adopters/{1}").status_code == 200
