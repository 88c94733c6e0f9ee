"""Annex A List 2 (early help assessments) from the live record, counted by hand: a row for each child of the family
for each assessment open in the period, with Ofsted's columns and the organisation that completed it."""

from __future__ import annotations

from datetime import date
from typing import Any

from safeguarding.early_help.models import (
    EarlyHelpAssessment,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EpisodeLevel,
    EpisodeSource,
    EpisodeStatus,
    FamilyMemberRole,
)
from safeguarding.insight.period import Period
from safeguarding.people.models import Person, PersonKind
from safeguarding.returns.annex_a.lists import build
from safeguarding.returns.annex_a.spec import LISTS

PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))


def _family(s: Any, name: str, organisation: str | None, children: list[tuple[str, date, str | None]]) -> int:
    episode = EarlyHelpEpisode(
        family_name=f"The {name} family",
        level=EpisodeLevel.TARGETED_EARLY_HELP,
        source=EpisodeSource.PARTNER_REQUEST,
        status=EpisodeStatus.OPEN,
        started_on=date(2025, 11, 1),
        organisation=organisation,
    )
    for first, born, code in children:
        person_id = None
        if code is not None:
            person = Person(
                kind=PersonKind.CHILD, first_name=first, last_name=name, date_of_birth=born, la_child_id=code, sex="F"
            )
            s.add(person)
            s.flush()
            person_id = person.id
        episode.members.append(
            EarlyHelpFamilyMember(
                role=FamilyMemberRole.CHILD, first_name=first, last_name=name, date_of_birth=born, person_id=person_id
            )
        )
    episode.members.append(EarlyHelpFamilyMember(role=FamilyMemberRole.PARENT, first_name="Parent", last_name=name))
    s.add(episode)
    s.flush()
    return episode.id


def test_list_2_has_a_row_per_child_per_assessment_open_in_the_period(database: Any) -> None:
    with database.transaction() as s:
        okafor = _family(s, "Okafor", "Family hub", [("Ada", date(2016, 2, 1), "E1"), ("Obi", date(2019, 8, 9), "E2")])
        patel = _family(
            s, "Patel", "Family hub", [("Mia", date(2014, 1, 1), "E3"), ("Unmatched", date(2020, 1, 1), None)]
        )
        shaw = _family(s, "Shaw", None, [("Lee", date(2012, 3, 3), "E4")])
        s.add_all(
            [
                # Okafor: started in December, completed in January (open in the period), by the school.
                EarlyHelpAssessment(
                    episode_id=okafor,
                    started_on=date(2025, 12, 1),
                    completed_on=date(2026, 1, 14),
                    organisation="Oak Primary School",
                ),
                # Patel: started in February, still open; no organisation of its own: the episode's.
                EarlyHelpAssessment(episode_id=patel, started_on=date(2026, 2, 2)),
                # Shaw: completed before the period (not listed), and a reassessment in March.
                EarlyHelpAssessment(
                    episode_id=shaw,
                    started_on=date(2025, 10, 1),
                    completed_on=date(2025, 12, 20),
                    organisation="Health visiting",
                ),
                EarlyHelpAssessment(
                    episode_id=shaw, reassessment=True, started_on=date(2026, 3, 9), organisation="Health visiting"
                ),
                # After the period.
                EarlyHelpAssessment(episode_id=okafor, started_on=date(2026, 4, 2), organisation="Oak Primary School"),
            ]
        )
    with database.transaction() as s:
        annex = build(s, PERIOD)
    spec = next(spec for spec in LISTS if spec.sheet == "List 2")
    assert spec.columns == (
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Assessment start date",
        "Assessment completion date",
        "Organisation completing assessment",
    )
    rows = [dict(zip(spec.columns, row, strict=True)) for row in annex.sheet("List 2").rows]
    assert [
        (r["Child Unique ID"], r["Assessment start date"], r["Organisation completing assessment"]) for r in rows
    ] == [
        ("E1", date(2025, 12, 1), "Oak Primary School"),
        ("E2", date(2025, 12, 1), "Oak Primary School"),
        ("E3", date(2026, 2, 2), "Family hub"),
        ("E4", date(2026, 3, 9), "Health visiting"),
    ]
    assert rows[0]["Assessment completion date"] == date(2026, 1, 14) and rows[2]["Assessment completion date"] is None
    assert rows[0]["Age of Child (Years)"] == 10 and rows[0]["Gender"] == "b) Female"
    assert rows[0]["Date of Birth"] == date(2016, 2, 1)
    # The child not yet matched to a person record has no Child Unique ID: left out, and the About sheet counts them.
    assert any("not yet matched to a person record, left out: 1" in note for note in annex.notes)
