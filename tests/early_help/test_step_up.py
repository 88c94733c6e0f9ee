"""Step-up: a school's lead practitioner steps the family up; a contact reaches the MASH through the front door's
intake, linked to the family, with the school's source; the MASH sees the early help history beside it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safeguarding.core.calendar import today_in_london
from safeguarding.core.errors import AccessDenied, ValidationFailed
from safeguarding.core.users import AgencyKind, Role, User
from safeguarding.early_help import transitions
from safeguarding.early_help.models import (
    ConsentScope,
    EarlyHelpConsent,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EpisodeLevel,
    EpisodeSource,
    FamilyMemberRole,
)
from safeguarding.early_help.transitions_models import EarlyHelpTransition
from safeguarding.front_door.models import Contact
from safeguarding.people.models import Person, PersonKind
from tests.support import sign_in_as


def _family(database: Any, lead: User, agency_id: int) -> tuple[int, int]:
    with database.transaction() as s:
        child = Person(kind=PersonKind.CHILD, first_name="Ada", last_name="Okafor", date_of_birth=date(2016, 2, 1))
        s.add(child)
        s.flush()
        episode = EarlyHelpEpisode(
            family_name="The Okafor family",
            level=EpisodeLevel.TARGETED_EARLY_HELP,
            source=EpisodeSource.PARTNER_REQUEST,
            started_on=today_in_london() - timedelta(days=40),
            lead_practitioner_id=lead.id,
        )
        episode.members.append(
            EarlyHelpFamilyMember(
                role=FamilyMemberRole.CHILD,
                first_name="Ada",
                last_name="Okafor",
                date_of_birth=date(2016, 2, 1),
                person_id=child.id,
            )
        )
        episode.members.append(
            EarlyHelpFamilyMember(role=FamilyMemberRole.PARENT, first_name="Ngozi", last_name="Okafor")
        )
        s.add(episode)
        s.flush()
        s.add(
            EarlyHelpConsent(
                episode_id=episode.id, scope=ConsentScope.SHARING, agency_id=agency_id, given_on=episode.started_on
            )
        )
        return episode.id, child.id


def _form(**changes: str) -> transitions.StepUpInput:
    today = today_in_london()
    form = {
        "decided_on": today.isoformat(),
        "reason": "Needs not met despite the plan; bruising seen",
        "consent": "given",
    }
    form.update(changes)
    return transitions.StepUpInput.read(form)


def test_a_school_lead_steps_up_and_the_mash_sees_the_early_help_history(app: Any, database: Any, factory: Any) -> None:
    school = factory.agency("Oak Primary School", kind=AgencyKind.SCHOOL, referral_source="2A")
    lead = factory.user(Role.PARTNER_PRACTITIONER, username="dsl.oak", agency_id=school.id)
    other = factory.user(Role.PARTNER_PRACTITIONER, username="dsl.elm", agency_id=school.id)
    mash = factory.user(Role.MASH_WORKER, username="mash.worker")
    episode_id, child_id = _family(database, lead, school.id)

    # Another partner cannot step up a family they do not lead.
    with database.transaction() as s, pytest.raises(AccessDenied):
        transitions.step_up(s, database, s.get_one(User, other.id), episode_id, _form())
    with database.transaction() as s:
        with pytest.raises(ValidationFailed) as refused:
            transitions.step_up(s, database, s.get_one(User, lead.id), episode_id, _form(consent="refused_at_risk"))
        assert "consent_reason" in refused.value.errors
    with database.transaction() as s:
        step = transitions.step_up(s, database, s.get_one(User, lead.id), episode_id, _form())
        contact = s.get_one(Contact, step.contact_id)
        assert contact.referral_source == "2A" and contact.channel == "portal"
        assert [sub.person_id for sub in contact.children] == [child_id]
        assert "Step-up from early help" in contact.worry
        contact_id = contact.id
    with database.transaction() as s:
        assert s.query(EarlyHelpTransition).count() == 1

    client = TestClient(app)
    sign_in_as(client, database, mash)
    page = client.get(f"/mash/contacts/{contact_id}")
    assert page.status_code == 200
    assert "Early help history" in page.text and "The Okafor family" in page.text
    assert "Stepped up to children&#39;s social care" in page.text


def test_a_council_practitioner_steps_up_with_source_5d_and_without_consent_only_with_the_reason(
    database: Any, factory: Any
) -> None:
    school = factory.agency("Elm School", kind=AgencyKind.SCHOOL, referral_source="2A")
    worker = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.worker")
    episode_id, _child = _family(database, worker, school.id)
    with database.transaction() as s:
        step = transitions.step_up(
            s,
            database,
            s.get_one(User, worker.id),
            episode_id,
            _form(consent="not_sought_at_risk", consent_reason="Asking would put Ada at risk"),
        )
        contact = s.get_one(Contact, step.contact_id)
        assert contact.referral_source == "5D" and contact.consent == "not_informed_risk"


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("decided_on", {"decided_on": (date.today() + timedelta(days=30)).isoformat()}),
        ("decided_on", {"decided_on": "31/02/2026"}),
        ("reason", {"reason": "x" * 5000}),
        ("reason", {"reason": "bad\x00text"}),
        ("consent", {"consent": ""}),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    database: Any, factory: Any, field: str, changes: dict[str, str]
) -> None:
    school = factory.agency("Ash School", kind=AgencyKind.SCHOOL, referral_source="2A")
    worker = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.two")
    episode_id, _child = _family(database, worker, school.id)
    with database.transaction() as s, pytest.raises(ValidationFailed) as refused:
        transitions.step_up(s, database, s.get_one(User, worker.id), episode_id, _form(**changes))
    assert field in refused.value.errors
