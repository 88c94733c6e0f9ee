"""The SSDA903 pieces added for the demo council's return to validate: SW12STG2 read from the DfE's wording, and
the health and outcomes (OC2) form's questions and answers by the child's age."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguarding.children_in_care.outcomes import OutcomesInput, Questions, collection_year_of, year_span
from safeguarding.returns.ssda903.rules import RULES, Child
from safeguarding.returns.ssda903.tables import ChildRecord, CollectionYear, EpisodeRow, HeaderRow, SwEpisodeRow

Y = CollectionYear(2026)


def _child(care_began: date, worker_began: date) -> ChildRecord:
    record = ChildRecord("C1")
    record.header.append(HeaderRow(child="C1", sex="1", dob=date(2012, 5, 1)))
    record.episodes.append(EpisodeRow(child="C1", decom=care_began, rne="S", ls="C2", cin="N1", place="U6"))
    record.sw_episodes.append(SwEpisodeRow(child="C1", sw_id="SW123", sw_decom=worker_began, sw_reason="OTHERS"))
    return record


def _sw12(record: ChildRecord) -> list[object]:
    return list(RULES["SW12STG2"].check(Child(record), Y))


def test_sw12_asks_a_child_looked_after_all_year_for_a_social_worker_from_1_april() -> None:
    assert _sw12(_child(date(2024, 1, 5), date(2025, 4, 2)))  # the first episode began after 1 April
    assert not _sw12(_child(date(2024, 1, 5), date(2023, 12, 1)))


def test_sw12_asks_a_child_who_came_into_care_in_the_year_for_a_worker_by_the_day_care_began() -> None:
    # Known to the council in May, in care from June: the worker's time before care is reported, nothing is missing.
    assert not _sw12(_child(date(2025, 6, 10), date(2025, 5, 20)))
    # In care from June, but the first social worker episode reported begins in August: the year is not covered.
    assert _sw12(_child(date(2025, 6, 10), date(2025, 8, 1)))


def test_sw12_is_not_asked_of_a_child_who_left_care() -> None:
    record = _child(date(2024, 1, 5), date(2025, 8, 1))
    record.episodes[0].dec, record.episodes[0].rec = date(2025, 9, 1), "E4A"
    assert not _sw12(record)


def test_the_questions_follow_the_childs_age() -> None:
    assert Questions.of(date(2023, 6, 1), 2026) == Questions(sdq=False, convictions=False, health_check=True)
    assert Questions.of(date(2018, 6, 1), 2026) == Questions(sdq=True, convictions=False, health_check=False)
    assert Questions.of(date(2012, 6, 1), 2026) == Questions(sdq=True, convictions=True, health_check=False)
    assert Questions.of(date(2008, 3, 1), 2026) == Questions(sdq=False, convictions=True, health_check=False)
    assert Questions.of(None, 2026) == Questions(True, True, True)


ALL = Questions(sdq=True, convictions=True, health_check=True)
ANSWERED = {
    "sdq": "score",
    "sdq_score": "17",
    "convicted": "no",
    "health_check": "yes",
    "immunisations": "yes",
    "teeth_check": "no",
    "health_assessment": "yes",
    "substance_misuse": "no",
}


def test_nothing_is_answered_by_default_and_each_question_is_named_in_the_forms_order() -> None:
    read = OutcomesInput.read({}, ALL)
    assert list(read.problems) == [
        "sdq",
        "convicted",
        "health_check",
        "immunisations",
        "teeth_check",
        "health_assessment",
        "substance_misuse",
    ]
    assert read.immunisations is None and read.sdq_score is None


def test_an_answered_form_reads_as_the_dfes_facts() -> None:
    read = OutcomesInput.read(ANSWERED, ALL)
    assert not read.problems
    assert (read.sdq_score, read.sdq_reason, read.convicted, read.teeth_check) == (17, None, False, False)
    # No substance misuse problem: the intervention questions are not asked (rule 193), whatever was sent.
    read = OutcomesInput.read({**ANSWERED, "intervention_received": "yes"}, ALL)
    assert read.intervention_received is None
    reason = OutcomesInput.read({**ANSWERED, "sdq": "SDQ2", "sdq_score": "12"}, ALL)
    assert (reason.sdq_score, reason.sdq_reason) == (None, "SDQ2")


def test_a_substance_misuse_problem_asks_whether_an_intervention_was_received_or_offered() -> None:
    misuse = {**ANSWERED, "substance_misuse": "yes"}
    assert list(OutcomesInput.read(misuse, ALL).problems) == ["intervention_received"]
    assert list(OutcomesInput.read({**misuse, "intervention_received": "no"}, ALL).problems) == ["intervention_offered"]
    read = OutcomesInput.read({**misuse, "intervention_received": "no", "intervention_offered": "yes"}, ALL)
    assert (read.intervention_received, read.intervention_offered) == (False, True)


def test_questions_the_dfe_does_not_ask_of_the_age_are_never_recorded() -> None:
    young = Questions(sdq=False, convictions=False, health_check=True)
    read = OutcomesInput.read({**ANSWERED, "convicted": "yes"}, young)
    assert not read.problems and read.convicted is None and read.sdq_score is None


@pytest.mark.parametrize("score", ["41", "-1", "4.5", "１２", "<script>", "9" * 5000, "1\x00", " "])
def test_a_score_that_is_not_0_to_40_is_refused_plainly(score: str) -> None:
    read = OutcomesInput.read({**ANSWERED, "sdq_score": score}, ALL)
    assert "sdq_score" in read.problems and read.sdq_score is None


@given(st.text(max_size=60))
def test_any_typed_answer_reads_without_a_crash(text: str) -> None:
    form = {name: text for name in (*ANSWERED, "intervention_received", "intervention_offered")}
    read = OutcomesInput.read(form, ALL)
    assert read.sdq_score is None or 0 <= read.sdq_score <= 40


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_every_day_falls_in_the_collection_year_it_is_named_by(day: date) -> None:
    first, last = year_span(collection_year_of(day))
    assert first <= day <= last
