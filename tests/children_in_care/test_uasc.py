"""Recording that a child in care is an unaccompanied asylum-seeking child, and the day the status ceased: asked on
the care record, checked against the period of care and the 18th birthday (SSDA903 rule 304), audited, a second
editor told; what it gives the SSDA903 return (the UASC row, and the XML HEADER's UASC item)."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.children_in_care.models import CarePeriod
from safeguarding.children_in_care.uasc import UascInput, eighteenth_birthday
from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import today_in_london
from safeguarding.returns.ssda903.export import build_return
from safeguarding.returns.ssda903.reader import read_return
from safeguarding.returns.ssda903.tables import CollectionYear
from safeguarding.returns.ssda903.validator import validate_path
from safeguarding.returns.ssda903.writer import write_xml
from tests.children_in_care.conftest import Care
from tests.children_in_care.test_pages import boxes, entry, post
from tests.support import sign_in


def _period(care: Care) -> CarePeriod:
    with care.database.transaction() as s:
        period = s.scalar(select(CarePeriod).where(CarePeriod.person_id == care.child_id))
        assert period is not None
        return period


def test_the_status_and_the_day_it_ceased_are_recorded_audited_and_shown(client: TestClient, care: Care) -> None:
    started = today_in_london() - timedelta(days=60)
    csrf = sign_in(client, care.worker)
    assert post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started)).status_code == 303
    form = client.get(f"/children-in-care/{care.child_id}/uasc")
    assert form.status_code == 200 and 'name="version" value="1"' in form.text
    ceased = started + timedelta(days=30)
    answer = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/uasc",
        {"unaccompanied_asylum_seeking": "yes", **boxes("unaccompanied_until", ceased), "version": "1"},
    )
    assert answer.status_code == 303, answer.text
    page = client.get(f"/children-in-care/{care.child_id}").text
    assert f"until {ceased.day} {ceased:%B %Y}" in page
    period = _period(care)
    assert period.unaccompanied_asylum_seeking and period.unaccompanied_until == ceased
    with care.database.transaction() as s:
        audited = s.scalars(
            select(AuditEvent).where(AuditEvent.target_type == "care_period", AuditEvent.action == "update")
        ).all()
    assert audited and audited[-1].target_id == str(period.id)

    # A second editor, on the form as it was before: told, and keeps what they typed.
    stale = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/uasc",
        {"unaccompanied_asylum_seeking": "no", "version": "1"},
    )
    assert stale.status_code == 409
    assert _period(care).unaccompanied_asylum_seeking


def test_a_ceasing_day_before_care_or_after_the_18th_birthday_is_refused_naming_the_field(
    client: TestClient, care: Care
) -> None:
    started = today_in_london() - timedelta(days=60)
    csrf = sign_in(client, care.worker)
    post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started))
    early = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/uasc",
        {"unaccompanied_asylum_seeking": "yes", **boxes("unaccompanied_until", started - timedelta(days=1))},
    )
    assert early.status_code == 422
    assert "must be on or after the day the child came into care" in early.text
    assert 'href="#unaccompanied_until' in early.text
    unanswered = post(client, csrf, f"/children-in-care/{care.child_id}/uasc", {})
    assert unanswered.status_code == 422 and "Select yes if the child is or was" in unanswered.text
    absurd = post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/uasc",
        {
            "unaccompanied_asylum_seeking": "yes",
            "unaccompanied_until-day": "31",
            "unaccompanied_until-month": "2",
            "unaccompanied_until-year": "99999",
        },
    )
    assert absurd.status_code == 422
    assert not _period(care).unaccompanied_asylum_seeking


def test_the_status_ends_by_the_18th_birthday() -> None:
    assert eighteenth_birthday(date(2008, 2, 29)) == date(2026, 3, 1)
    read = UascInput.read({"unaccompanied_asylum_seeking": "no", "unaccompanied_until": "2026-01-01"})
    assert read.unaccompanied is False and read.until is None  # not asked of a child who never held it
    assert UascInput.read({}).problems


def test_a_child_recorded_as_uasc_gives_the_return_its_row_and_the_xml_its_status(
    client: TestClient, care: Care, tmp_path: object
) -> None:
    from pathlib import Path

    started = today_in_london() - timedelta(days=60)
    csrf = sign_in(client, care.worker)
    post(client, csrf, f"/children-in-care/{care.child_id}/enter", entry(started))
    ceased = started + timedelta(days=5)
    post(
        client,
        csrf,
        f"/children-in-care/{care.child_id}/uasc",
        {"unaccompanied_asylum_seeking": "yes", **boxes("unaccompanied_until", ceased), "version": "1"},
    )
    today = today_in_london()
    year = CollectionYear(today.year + 1 if today.month >= 4 else today.year)
    with care.database.transaction() as s:
        built = build_return(s, year)
    (record,) = [r for r in built.children.values() if r.episodes]
    assert [u.duc for u in record.uasc] == [ceased if ceased <= year.end else None]
    xml = Path(str(tmp_path)) / "return.xml"
    write_xml(built.children.values(), xml)
    text = xml.read_text(encoding="utf-8")
    assert "<UASC>1</UASC>" in text
    back = read_return(xml).children[record.child]
    assert back.header[0].uasc == "1" and [u.duc for u in back.uasc] == [u.duc for u in record.uasc]
    codes = {f.code for f in validate_path(xml, year).findings}
    assert not codes & {"105", "303"}
    # The same file with the HEADER's status left out, or coded 0 beside a DUC: rules 105 and 303 name it.
    xml.write_text(text.replace("<UASC>1</UASC>", ""), encoding="utf-8")
    assert "105" in {f.code for f in validate_path(xml, year).findings}
    xml.write_text(text.replace("<UASC>1</UASC>", "<UASC>0</UASC>"), encoding="utf-8")
    assert "303" in {f.code for f in validate_path(xml, year).findings}
