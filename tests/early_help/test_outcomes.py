"""Supporting Families: needs mapped to the headline outcomes, progress with evidence, the managers' list of families
with significant and sustained progress and its CSV; the step-up page (GOV.UK form, nothing answered)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safeguarding.casework.models import Referral
from safeguarding.core.calendar import add_calendar_months, today_in_london
from safeguarding.core.errors import AccessDenied, ValidationFailed
from safeguarding.core.users import AgencyKind, Role, User
from safeguarding.early_help import outcomes
from safeguarding.early_help.models import (
    ConsentScope,
    EarlyHelpAssessment,
    EarlyHelpConsent,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EpisodeLevel,
    EpisodeSource,
    EpisodeStatus,
    FamilyMemberRole,
    FamilyNeed,
    FamilyPlan,
)
from safeguarding.early_help.outcomes_rules import Standing
from safeguarding.front_door.models import Contact
from safeguarding.people.models import Person, PersonKind
from tests.support import csrf_from, sign_in_as

HEADLINES = ("education", "housing", "finance")


def _family(
    database: Any, lead: User, *, closed_months_ago: int | None, agency_id: int | None = None
) -> tuple[int, int]:
    today = today_in_london()
    closed = add_calendar_months(today, -closed_months_ago) if closed_months_ago is not None else None
    started = (closed or today) - timedelta(days=200)
    with database.transaction() as s:
        child = Person(kind=PersonKind.CHILD, first_name="Kemi", last_name="Bello", date_of_birth=date(2015, 5, 5))
        s.add(child)
        s.flush()
        episode = EarlyHelpEpisode(
            family_name="The Bello family",
            level=EpisodeLevel.TARGETED_EARLY_HELP,
            source=EpisodeSource.COUNCIL,
            status=EpisodeStatus.CLOSED if closed else EpisodeStatus.OPEN,
            started_on=started,
            closed_on=closed,
            lead_practitioner_id=lead.id,
        )
        episode.members.append(
            EarlyHelpFamilyMember(role=FamilyMemberRole.CHILD, first_name="Kemi", last_name="Bello", person_id=child.id)
        )
        s.add(episode)
        s.flush()
        if agency_id is not None:
            s.add(
                EarlyHelpConsent(
                    episode_id=episode.id, scope=ConsentScope.SHARING, agency_id=agency_id, given_on=started
                )
            )
        s.add(EarlyHelpAssessment(episode_id=episode.id, started_on=started, completed_on=started + timedelta(days=10)))
        s.add(FamilyPlan(episode_id=episode.id, agreed_on=started + timedelta(days=12)))
        for n, headline in enumerate(HEADLINES):
            s.add(FamilyNeed(episode_id=episode.id, description=f"Need {n}: {headline}", identified_on=started))
        return episode.id, child.id


def _achieve(database: Any, user: User, episode_id: int, on: date) -> None:
    with database.transaction() as s:
        worker = s.get_one(User, user.id)
        needs = s.query(FamilyNeed).filter(FamilyNeed.episode_id == episode_id).order_by(FamilyNeed.id).all()
        for need, headline in zip(needs, HEADLINES, strict=True):
            mapped = outcomes.map_need(s, database, worker, episode_id, {"need_id": str(need.id), "headline": headline})
            outcomes.record_progress(
                s,
                database,
                worker,
                episode_id,
                {
                    "sf_need_id": str(mapped.id),
                    "recorded_on": on.isoformat(),
                    "progress": "achieved",
                    "evidence": f'=HYPERLINK("x") evidence for {headline}',
                },
            )


def test_a_family_with_every_outcome_achieved_and_held_is_listed_with_its_evidence(app: Any, factory: Any) -> None:
    manager = factory.user(Role.EARLY_HELP_MANAGER, username="eh.manager")
    worker = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.worker")
    episode_id, _child = _family(factory.database, worker, closed_months_ago=7)
    with factory.database.transaction() as s:
        started = s.get_one(EarlyHelpEpisode, episode_id).started_on
    _achieve(factory.database, worker, episode_id, started + timedelta(days=100))
    with factory.database.transaction() as s:
        lines = outcomes.families(s, factory.database, s.get_one(User, manager.id))
        assert [(line.episode.id, line.verdict.standing) for line in lines] == [(episode_id, Standing.SUSTAINED)]

    client = TestClient(app)
    sign_in_as(client, factory.database, manager)
    page = client.get("/early-help/supporting-families")
    assert page.status_code == 200 and "The Bello family" in page.text and "Secure housing" in page.text
    download = client.get("/early-help/supporting-families/csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = download.text.splitlines()
    assert rows[0].startswith("Family,Episode") and len(rows) == 1 + len(HEADLINES)
    assert "'=HYPERLINK" in download.text, "a cell a spreadsheet would run as a formula is written as text"
    # The episode's own page for those who work it.
    sign_in_as(client, factory.database, worker)
    assert "Significant and sustained progress" in client.get(f"/early-help/{episode_id}/outcomes").text
    assert client.get("/early-help/supporting-families").status_code == 403


def test_not_yet_sustained_and_broken_by_a_referral_within_the_months(factory: Any) -> None:
    manager = factory.user(Role.EARLY_HELP_MANAGER, username="eh.m")
    worker = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.w")
    recent, _c1 = _family(factory.database, worker, closed_months_ago=2)
    broken, child = _family(factory.database, worker, closed_months_ago=8)
    for episode_id in (recent, broken):
        with factory.database.transaction() as s:
            started = s.get_one(EarlyHelpEpisode, episode_id).started_on
        _achieve(factory.database, worker, episode_id, started + timedelta(days=100))
    with factory.database.transaction() as s:
        closed = s.get_one(EarlyHelpEpisode, broken).closed_on
        assert closed is not None
        s.add(
            Referral(
                person_id=child,
                referral_date=closed + timedelta(days=30),
                referral_source="2A",
                route="referral_for_assessment",
            )
        )
    with factory.database.transaction() as s:
        user = s.get_one(User, manager.id)
        assert outcomes.families(s, factory.database, user) == []
        standing = {line.episode.id: line.verdict for line in outcomes.families(s, factory.database, user, show="all")}
        assert standing[recent].standing == Standing.SUSTAINING
        assert standing[broken].standing == Standing.NOT_YET
        assert "Contact with children's social care" in standing[broken].reasons[0]


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("recorded_on", {"recorded_on": "2199-01-01"}),
        ("recorded_on", {"recorded_on": "not a date"}),
        ("progress", {"progress": ""}),
        ("evidence", {"evidence": "e" * 2001}),
        ("evidence", {"evidence": "bell\x07"}),
        ("sf_need_id", {"sf_need_id": "-1"}),
    ],
)
def test_progress_refuses_bad_input_naming_the_field(factory: Any, field: str, changes: dict[str, str]) -> None:
    worker = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.bad")
    episode_id, _child = _family(factory.database, worker, closed_months_ago=None)
    with factory.database.transaction() as s:
        need = s.query(FamilyNeed).filter(FamilyNeed.episode_id == episode_id).first()
        assert need is not None
        mapped = outcomes.map_need(
            s, factory.database, s.get_one(User, worker.id), episode_id, {"need_id": str(need.id), "headline": "health"}
        )
        form = {"sf_need_id": str(mapped.id), "recorded_on": today_in_london().isoformat(), "progress": "improved"}
        form |= {"evidence": "Attendance 96%"} | changes
        with pytest.raises(ValidationFailed) as refused:
            outcomes.record_progress(s, factory.database, s.get_one(User, worker.id), episode_id, form)
        assert field in refused.value.errors


def test_a_partner_maps_only_the_needs_of_a_family_they_lead(factory: Any) -> None:
    school = factory.agency("Elm School", kind=AgencyKind.SCHOOL, referral_source="2A")
    lead = factory.user(Role.PARTNER_PRACTITIONER, username="dsl.elm", agency_id=school.id)
    other = factory.user(Role.PARTNER_PRACTITIONER, username="dsl.other", agency_id=school.id)
    episode_id, _child = _family(factory.database, lead, closed_months_ago=None, agency_id=school.id)
    with factory.database.transaction() as s:
        need = s.query(FamilyNeed).filter(FamilyNeed.episode_id == episode_id).first()
        assert need is not None
        form = {"need_id": str(need.id), "headline": "education"}
        outcomes.map_need(s, factory.database, s.get_one(User, lead.id), episode_id, form)
        with pytest.raises(AccessDenied):
            outcomes.map_need(s, factory.database, s.get_one(User, other.id), episode_id, form)
        with pytest.raises(AccessDenied):
            outcomes.families(s, factory.database, s.get_one(User, lead.id))


def test_the_step_up_page_asks_with_nothing_answered_and_sends_a_contact(app: Any, factory: Any) -> None:
    school = factory.agency("Ash School", kind=AgencyKind.SCHOOL, referral_source="2A")
    lead = factory.user(Role.PARTNER_PRACTITIONER, username="dsl.ash", agency_id=school.id)
    episode_id, _child = _family(factory.database, lead, closed_months_ago=None, agency_id=school.id)
    client = TestClient(app)
    sign_in_as(client, factory.database, lead)
    assert f"/early-help/{episode_id}/step-up" in client.get(f"/early-help/{episode_id}").text
    page = client.get(f"/early-help/{episode_id}/step-up")
    assert page.status_code == 200 and 'type="radio"' in page.text and " checked" not in page.text
    token = csrf_from(page.text)
    refused = client.post(f"/early-help/{episode_id}/step-up", data={"csrf_token": token, "reason": "x" * 5000})
    assert refused.status_code == 422
    summary = refused.text.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    assert summary.index('href="#decided_on"') < summary.index('href="#reason"') < summary.index('href="#consent"')
    today = today_in_london()
    sent = client.post(
        f"/early-help/{episode_id}/step-up",
        data={
            "csrf_token": token,
            "decided_on-day": str(today.day),
            "decided_on-month": str(today.month),
            "decided_on-year": str(today.year),
            "reason": "Kemi disclosed being hit; needs not met by the plan",
            "consent": "given",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    with factory.database.transaction() as s:
        assert s.query(Contact).count() == 1
