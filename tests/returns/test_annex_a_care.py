"""Annex A List 8 (children in care) and List 9 (care leavers) from the live record, counted by hand on a small
council: columns in Ofsted's order, codes as Ofsted lists them, one row per child, written into the workbook."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.children_in_care.care_leaver_models import CareLeaver, Oc3Record
from safeguarding.children_in_care.models import CarePeriod, CareVisit, HealthAssessment, LookedAfterReview
from safeguarding.children_in_care.permanence_models import PermanencePlan
from safeguarding.core import local_settings
from safeguarding.core.calendar import LONDON
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.exploitation.models import MissingEpisode, MissingKind, ReturnInterview
from safeguarding.insight.models import PostcodeDistrict
from safeguarding.returns.annex_a.export import export_annex_a, parse_period
from safeguarding.returns.annex_a.lists import build
from safeguarding.returns.annex_a.spec import SPEC_BY_SHEET
from tests.returns.test_annex_a import _rows
from tests.returns.test_cin_census_export import person
from tests.returns.test_ssda903_export import _in_care
from tests.support import Factory

PERIOD = parse_period("2025-04-01", "2026-03-31")


def _at(day: date, hour: int = 20) -> datetime:
    return datetime.combine(day, time(hour, 0), LONDON).astimezone(UTC)


def _leaver(s: Session, n: int, born: date, left: date | None, weeks: int, adviser: int | None) -> CareLeaver:
    young = person(s, n)
    young.date_of_birth = born
    leaver = CareLeaver(
        person_id=young.id, left_care_on=left, weeks_looked_after_since_14=weeks, personal_adviser_id=adviser
    )
    s.add(leaver)
    s.flush()
    return leaver


def _council(database: Database) -> dict[str, int]:
    factory = Factory(database)
    iro = factory.user(Role.INDEPENDENT_REVIEWING_OFFICER)
    worker = factory.user(Role.SOCIAL_WORKER)
    adviser = factory.user(Role.PERSONAL_ADVISER)
    with database.transaction() as s:
        local_settings.put(s, "returns.la_code", 938, None)
        for district, east, north, la in (
            ("NB3", 430_000, 433_000, 938),
            ("NB6", 432_000, 435_000, 938),
            ("ZZ1", 530_000, 180_000, 202),
        ):
            s.add(PostcodeDistrict(district=district, easting=east, northing=north, la_code=la, source="synthetic"))
        settled = person(s, 2)  # in care since 2024, two moves, the second in the year
        period = _in_care(s, settled, date(2024, 6, 3), None, moves=(date(2024, 9, 2), date(2025, 6, 2)))
        s.add(
            LookedAfterReview(
                period_id=period,
                person_id=settled.id,
                held_on=date(2025, 12, 5),
                participation="PN1",
                chaired_by_id=iro.id,
            )
        )
        s.add(LookedAfterReview(period_id=period, person_id=settled.id, held_on=date(2026, 2, 1), participation="PN1"))
        for day in (date(2025, 11, 3), date(2026, 2, 10)):
            s.add(CareVisit(period_id=period, person_id=settled.id, visited_on=day, child_seen=True, seen_alone=True))
        s.add(HealthAssessment(period_id=period, person_id=settled.id, kind="review", assessed_on=date(2025, 10, 1)))
        away = MissingEpisode(
            person_id=settled.id,
            kind=MissingKind.MISSING,
            went_missing_at=_at(date(2025, 7, 4)),
            returned_at=_at(date(2025, 7, 6), 9),
            recorded_by_id=worker.id,
        )
        s.add(away)
        s.add(
            MissingEpisode(
                person_id=settled.id,
                kind=MissingKind.ABSENT,
                went_missing_at=_at(date(2025, 8, 1)),
                returned_at=_at(date(2025, 8, 1), 23),
                recorded_by_id=worker.id,
            )
        )
        s.flush()
        s.add(
            ReturnInterview(
                episode_id=away.id,
                offered_at=_at(date(2025, 7, 6), 12),
                held_at=_at(date(2025, 7, 7), 12),
                recorded_by_id=worker.id,
            )
        )
        again = person(s, 3)  # left in May 2025, back in November: a second period within 12 months
        _in_care(s, again, date(2024, 5, 1), date(2025, 5, 1))
        _in_care(s, again, date(2025, 11, 10), None)
        gone = person(s, 5)  # left care in January 2026 to live with relatives
        _in_care(s, gone, date(2025, 4, 20), date(2026, 1, 15), reason="E13")
        later = person(s, 7)  # came into care after the period: not in List 8
        _in_care(s, later, date(2026, 4, 20), None)

        former = _leaver(s, 11, date(2006, 5, 1), date(2024, 5, 1), 150, adviser.id)
        s.add(
            Oc3Record(
                care_leaver_id=former.id,
                person_id=former.person_id,
                age=19,
                recorded_on=date(2025, 5, 10),
                in_touch="YES",
                activity="F5",
                accommodation="U1",
            )
        )
        qualifying = _leaver(s, 12, date(2008, 6, 1), date(2025, 8, 1), 5, None)  # looked after 5 weeks, at 17
        ended = _leaver(s, 13, date(2005, 1, 1), date(2023, 1, 1), 120, adviser.id)
        ended.ended_on = date(2025, 1, 1)  # no longer wanted a personal adviser, before the period
        return {
            "settled": settled.id,
            "again": again.id,
            "gone": gone.id,
            "former": former.person_id,
            "qualifying": qualifying.person_id,
            "adviser": adviser.id,
        }


def test_list_8_one_row_per_child_in_care_counted_by_hand(database: Database) -> None:
    _council(database)
    with database.transaction() as s:
        annex = build(s, PERIOD)
    columns = SPEC_BY_SHEET["List 8"].columns
    rows = {row[0]: dict(zip(columns, row, strict=True)) for row in annex.sheet("List 8").rows}
    assert set(rows) == {"HB0002", "HB0003", "HB0005"}
    settled = rows["HB0002"]
    assert settled["Date Started to be Looked After"] == date(2024, 6, 3)
    assert settled["Child's Legal Status"] == "C2" and settled["Start date of current legal status"] == date(2024, 6, 3)
    assert settled["Child's Category of Need"] == "N1"
    assert settled["UASC within last 12 months (Y/N)"] == "No"
    assert settled["Second or subsequent period of care within last 12 months (Y/N)"] == "No"
    assert settled["Date of Latest Statutory Review"] == date(2026, 2, 1)
    assert settled["Date of Last IRO Visit/Contact"] == date(2025, 12, 5)  # the review the IRO chaired
    assert settled["Date of Last Social Work Visit"] == date(2026, 2, 10)
    assert settled["Date of Last Health Assessment"] == date(2025, 10, 1)
    assert settled["Number of Placements in last 12 months"] == 2  # from September 2024, and from June 2025
    assert settled["Start Date of Most Recent Placement"] == date(2025, 6, 2)
    assert (settled["Placement Type"], settled["Placement Provider"]) == ("U1", "PR1")
    assert settled["Placement postcode"] == "NB6 1AB"
    assert (settled["Placement Location (in/out of LA)"], settled["LA of Placement"]) == ("In", "938")
    assert settled["Number of 'Missing' episodes in last 12 months"] == 1
    assert settled["Number of 'Absent' episodes in last 12 months"] == 1
    assert settled["Offered a Return Interview after last missing episode (Y/N)"] == "Y"
    assert settled["Accepted Return Interview (Y/N)"] == "Y"
    assert settled["Date Ceased to be Looked After"] is None and settled["Reason Ceased"] == ""

    again = rows["HB0003"]
    assert again["Date Started to be Looked After"] == date(2025, 11, 10)
    assert again["Second or subsequent period of care within last 12 months (Y/N)"] == "Yes"
    assert again["Number of Placements in last 12 months"] == 2  # one in each period
    assert again["Placement Location (in/out of LA)"] == "" and again["LA of Placement"] == ""  # NB1: not known
    assert again["Offered a Return Interview after last missing episode (Y/N)"] == ""  # never missing

    gone = rows["HB0005"]
    assert (gone["Date Ceased to be Looked After"], gone["Reason Ceased"]) == (date(2026, 1, 15), "E13")


def test_list_9_care_leavers_with_their_latest_birthday_facts(database: Database) -> None:
    ids = _council(database)
    with database.transaction() as s:
        annex = build(s, PERIOD)
    columns = SPEC_BY_SHEET["List 9"].columns
    rows = {row[0]: dict(zip(columns, row, strict=True)) for row in annex.sheet("List 9").rows}
    assert set(rows) == {"HB0011", "HB0012"}  # the one whose duties ended before the period is not listed
    former = rows["HB0011"]
    assert former["Eligibility Category"] == "b) Former relevant child"
    assert former["LA in Touch"] == "YES"
    assert (former["Type of Accommodation"], former["Suitability of Accommodation"]) == ("U", "Suitable")
    assert former["Activity Status"] == "F3"  # F5 (training or employment) as Ofsted's list has it
    with database.transaction() as s:
        assert former["Allocated Worker"] == s.get_one(User, ids["adviser"]).full_name  # the personal adviser
    qualifying = rows["HB0012"]
    assert qualifying["Eligibility Category"] == "c) Qualifying care leaver"
    assert qualifying["LA in Touch"] == "" and qualifying["Activity Status"] == ""


def test_lists_8_and_9_are_written_into_the_workbook_in_ofsteds_order(database: Database, tmp_path: Path) -> None:
    _council(database)
    out = tmp_path / "annex.xlsx"
    with database.transaction() as s:
        export_annex_a(s, PERIOD, out)
    care = _rows(out, "List 8")
    assert [r["Child Unique ID"] for r in care] == ["HB0002", "HB0003", "HB0005"]
    assert list(care[0])[5:9] == [
        "Does the Child have a Disability",
        "UASC within last 12 months (Y/N)",
        "Date Started to be Looked After",
        "Child's Category of Need",
    ]
    assert care[0]["Date Started to be Looked After"].date() == date(2024, 6, 3)
    leavers = _rows(out, "List 9")
    assert [r["Eligibility Category"] for r in leavers] == ["b) Former relevant child", "c) Qualifying care leaver"]
    about = [r["Note"] for r in _rows(out, "About")]
    assert any(note.startswith("List 8 (Children in care): 3 rows") for note in about)


def test_list_8_gives_the_permanence_plan_recorded_for_the_current_period(database: Database) -> None:
    """The latest plan decided for the child's current period of care by the period's last day, in Ofsted's words;
    a plan of an earlier period of care, or decided after the period, is not the one shown."""
    ids = _council(database)
    with database.transaction() as s:
        periods = {
            person_id: list(s.scalars(select(CarePeriod.id).where(CarePeriod.person_id == person_id)))
            for person_id in (ids["settled"], ids["again"])
        }
        settled = min(periods[ids["settled"]])
        for decided, plan in ((date(2024, 12, 1), "f"), (date(2025, 9, 1), "b"), (date(2026, 4, 10), "e")):
            s.add(PermanencePlan(period_id=settled, person_id=ids["settled"], decided_on=decided, plan=plan))
        earlier = min(periods[ids["again"]])  # the period that ended in May 2025 (recorded first)
        s.add(PermanencePlan(period_id=earlier, person_id=ids["again"], decided_on=date(2024, 8, 1), plan="a"))
    with database.transaction() as s:
        annex = build(s, PERIOD)
    columns = SPEC_BY_SHEET["List 8"].columns
    rows = {row[0]: dict(zip(columns, row, strict=True)) for row in annex.sheet("List 8").rows}
    assert rows["HB0002"]["Permanence plan"] == "b) Adoption"  # not the long-term fostering it replaced
    assert rows["HB0003"]["Permanence plan"] == ""  # its plan was for the earlier period of care
    assert rows["HB0005"]["Permanence plan"] == ""  # none recorded
