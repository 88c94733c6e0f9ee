"""Recording a deprivation of liberty order on a child's care record: asked with three-field dates and no default
answer, checked against the period of care, the child's birth and the child's other orders (the DfE's rules 702,
705, 707, 708), audited, a second editor told; shown on the record, and what it gives the SSDA903 return from
2026-27 (the DoLo table, in the CSV tables and the XML)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from safeguarding.children_in_care.deprivation_of_liberty import OrderInput, check
from safeguarding.children_in_care.models import CarePeriod, DeprivationOfLiberty
from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import today_in_london
from safeguarding.returns.ssda903.export import build_return
from safeguarding.returns.ssda903.reader import read_return
from safeguarding.returns.ssda903.tables import CollectionYear, tables_for
from safeguarding.returns.ssda903.validator import validate_path
from safeguarding.returns.ssda903.writer import write_csv, write_xml
from tests.children_in_care.conftest import Care
from tests.children_in_care.test_pages import boxes, entry, post
from tests.support import sign_in


def _orders(care: Care) -> list[DeprivationOfLiberty]:
    with care.database.transaction() as s:
        return list(s.scalars(select(DeprivationOfLiberty).where(DeprivationOfLiberty.person_id == care.child_id)))


def _in_care(client: TestClient, care: Care, days: int = 60, place: str = "K2") -> tuple[str, date]:
    started = today_in_london() - timedelta(days=days)
    csrf = sign_in(client, care.worker)
    answer = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/enter",
        entry(started, placement_type=place, placement_provider="PR4" if place == "K2" else "PR1"),
    )
    assert answer.status_code == 303, answer.text
    return csrf, started


def test_an_order_is_recorded_shown_changed_and_audited_and_a_second_editor_is_told(
    client: TestClient, care: Care
) -> None:
    csrf, started = _in_care(client, care)
    url = f"/children-in-care/{care.child_id}/deprivation-of-liberty"
    form = client.get(url)
    assert form.status_code == 200
    assert 'name="started_on-day" type="text" inputmode="numeric" value=""' in form.text or 'value=""' in form.text
    begun = started + timedelta(days=3)
    answer = post(client, csrf, url, boxes("started_on", begun))
    assert answer.status_code == 303, answer.text
    page = client.get(f"/children-in-care/{care.child_id}").text
    assert f"{begun.day} {begun:%B %Y}" in page and "Still in force" in page
    (order,) = _orders(care)
    assert order.started_on == begun and order.ended_on is None

    ended = begun + timedelta(days=10)
    change = f"{url}/{order.id}"
    assert 'name="version" value="1"' in client.get(change).text
    answer = post(client, csrf, change, {**boxes("started_on", begun), **boxes("ended_on", ended), "version": "1"})
    assert answer.status_code == 303, answer.text
    assert f"{ended.day} {ended:%B %Y}" in client.get(f"/children-in-care/{care.child_id}").text
    with care.database.transaction() as s:
        audited = s.scalars(select(AuditEvent).where(AuditEvent.target_type == "deprivation_of_liberty")).all()
    assert [a.action for a in audited] == ["create", "update"]

    # A second editor, on the form as it was before the change: told, and keeps what they typed.
    stale = post(client, csrf, change, {**boxes("started_on", begun + timedelta(days=1)), "version": "1"})
    assert stale.status_code == 409
    assert str((begun + timedelta(days=1)).day) in stale.text
    assert _orders(care)[0].ended_on == ended


def test_an_order_out_of_order_is_refused_naming_the_field_in_the_forms_order(client: TestClient, care: Care) -> None:
    csrf, started = _in_care(client, care)
    url = f"/children-in-care/{care.child_id}/deprivation-of-liberty"
    empty = post(client, csrf, url, {})
    assert empty.status_code == 422 and 'href="#started_on' in empty.text
    before_care = post(
        client,
        csrf,
        url,
        {**boxes("started_on", started - timedelta(days=1)), **boxes("ended_on", started - timedelta(days=5))},
    )
    assert before_care.status_code == 422
    text = before_care.text
    assert "on or after the day the child came into care" in text and "same as or after the date it started" in text
    assert text.index('href="#started_on') < text.index('href="#ended_on')
    assert post(client, csrf, url, boxes("started_on", started + timedelta(days=2))).status_code == 303
    second = post(client, csrf, url, boxes("started_on", started + timedelta(days=4)))
    assert second.status_code == 422 and "is still open" in second.text  # rule 705
    assert len(_orders(care)) == 1


def test_the_order_goes_into_the_return_from_2026_27_as_csv_and_xml(
    client: TestClient, care: Care, tmp_path: Path
) -> None:
    csrf, started = _in_care(client, care)
    begun = started + timedelta(days=1)
    post(client, csrf, f"/children-in-care/{care.child_id}/deprivation-of-liberty", boxes("started_on", begun))
    today = today_in_london()
    year = CollectionYear(today.year + 1 if today.month >= 4 else today.year)
    with care.database.transaction() as s:
        built = build_return(s, year)
    (record,) = [r for r in built.children.values() if r.episodes]
    if year.year < 2027:
        assert record.dolo == []
        return
    assert [(d.dolo_start, d.dolo_end) for d in record.dolo] == [(begun, None)]
    folder = tmp_path / "csv"
    write_csv(built.children.values(), folder, tables_for(year.year))
    assert (folder / "dolo.csv").read_text(encoding="utf-8").splitlines()[0] == "CHILD,DOB,DOLO_START,DOLO_END"
    xml = tmp_path / "return.xml"
    write_xml(built.children.values(), xml, tables_for(year.year))
    for path in (folder, xml):
        back = read_return(path).children[record.child]
        assert [(d.dolo_start, d.dolo_end) for d in back.dolo] == [(begun, None)]
        codes = {f.code for f in validate_path(path, year).findings}
        assert not codes & {str(code) for code in range(700, 711)}
    # A children's home placement is what rule 709 expects: moved to parents during the order, rule 710 names it.
    text = (folder / "episodes.csv").read_text(encoding="utf-8")
    (folder / "episodes.csv").write_text(text.replace(",K2,", ",P1,"), encoding="utf-8")
    (folder / "dolo.csv").write_text(
        (folder / "dolo.csv").read_text(encoding="utf-8").rstrip("\n") + f"{begun + timedelta(days=2):%d/%m/%Y}\n",
        encoding="utf-8",
    )
    codes = {f.code for f in validate_path(folder, year).findings}
    assert "710" in codes


_DAY = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 1))


@given(start=_DAY, end=st.none() | _DAY, came=_DAY)
def test_the_record_refuses_what_the_returns_rules_would_name(start: date, end: date | None, came: date) -> None:
    period = CarePeriod(person_id=1, started_on=came, ended_on=None)
    problems = check(OrderInput(start, end), period, date(2010, 1, 1), [])
    assert ("ended_on" in problems) == (end is not None and end < start)
    assert ("started_on" in problems) == (start < came)
