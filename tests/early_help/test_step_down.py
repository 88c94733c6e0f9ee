"""Step-down from social care to early help (after assessment: RC9; from a child in need plan at its review: RC7),
in one transaction with the early help it opens or continues; and Family Help's change of plan inside one episode."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework.models import (
    Assessment,
    ChildInNeedPlan,
    ChildInNeedReview,
    ChildProtectionPlan,
    Referral,
)
from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import today_in_london
from safeguarding.core.errors import AccessDenied, ValidationFailed
from safeguarding.core.users import AgencyKind, Role, User
from safeguarding.early_help import transitions_down
from safeguarding.early_help.models import (
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EarlyHelpLeadPractitioner,
    EpisodeLevel,
    EpisodeSource,
    FamilyMemberRole,
    FamilyPlan,
)
from safeguarding.early_help.transitions_models import EarlyHelpTransition
from safeguarding.timescales.models import Deadline
from safeguarding.timescales.service import recompute_for_child
from tests.casework.conftest import Case, make_case
from tests.support import csrf_from, sign_in_as


def _assessed(case: Case, *, completed: bool = True) -> None:
    with case.database.transaction() as s:
        s.add(
            Assessment(
                person_id=case.child_id,
                referral_id=case.referral_id,
                started_on=case.on(1),
                authorised_on=case.on(20) if completed else None,
                outcome="early_help" if completed else None,
            )
        )
        s.flush()
        recompute_for_child(s, case.child_id)


def _form(lead: User, **changes: str) -> dict[str, str]:
    form = {
        "decided_on": today_in_london().isoformat(),
        "reason": "Needs met at early help level; school and family agree",
        "consent": "yes",
        "handover_meeting_on": today_in_london().isoformat(),
        "lead_practitioner_id": str(lead.id),
        "family_name": "The Testcase family",
        "level": "targeted_early_help",
        "confirm": "yes",
    }
    form.update(changes)
    return form


def _step_down(case: Case, form: dict[str, str], user: User | None = None) -> int:
    with case.database.transaction() as s:
        return transitions_down.step_down(
            s, case.database, s.get_one(User, (user or case.manager).id), case.child_id, form
        ).id


def test_step_down_after_assessment_closes_rc9_and_opens_early_help_in_one_go(app: Any, factory: Any) -> None:
    case = make_case(factory)
    school = factory.agency("Oak Primary", kind=AgencyKind.SCHOOL, referral_source="2A")
    lead = factory.user(Role.PARTNER_PRACTITIONER, username="dsl.oak", agency_id=school.id)
    _assessed(case)
    with case.database.transaction() as s:
        assert s.scalars(select(Deadline.rule_id).where(Deadline.person_id == case.child_id)).all()
    transition_id = _step_down(case, _form(lead))
    with case.database.transaction() as s:
        referral = s.get_one(Referral, case.referral_id)
        assert referral.closure_reason == "RC9" and referral.closed_date == today_in_london()
        step = s.get_one(EarlyHelpTransition, transition_id)
        assert (step.direction, step.route, step.referral_id) == ("down", "after_assessment", case.referral_id)
        assert step.lead_practitioner_id == lead.id and step.handover_meeting_on == today_in_london()
        episode = s.get_one(EarlyHelpEpisode, step.episode_id)
        assert episode.source == EpisodeSource.STEP_DOWN and episode.status == "open"
        assert [m.person_id for m in episode.members] == [case.child_id]
        assert episode.lead_practitioner_id == lead.id and episode.organisation == "Oak Primary"
        audited = s.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "early_help_transition")).all()
        assert audited == ["step_down"]
        # The social care clocks stop; the early help clocks start.
        rules = set(
            s.scalars(select(Deadline.rule_id).where(Deadline.person_id == case.child_id, Deadline.met_on.is_(None)))
        )
        assert not any(r.startswith("assessment") for r in rules)
        assert any(r.startswith("EH") or "early" in r for r in rules), rules

    # The partner lead reaches the family's early help: the family's agreement covers sharing with the school.
    client = TestClient(app)
    sign_in_as(client, case.database, lead)
    assert client.get(f"/early-help/{episode.id}").status_code == 200


def test_step_down_continues_the_familys_open_early_help_with_the_new_lead(factory: Any) -> None:
    case = make_case(factory)
    before = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.before")
    after = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.after")
    _assessed(case)
    with case.database.transaction() as s:
        episode = EarlyHelpEpisode(
            family_name="The Testcase family",
            level=EpisodeLevel.TARGETED_EARLY_HELP,
            source=EpisodeSource.COUNCIL,
            started_on=case.referral_date - timedelta(days=30),
            lead_practitioner_id=before.id,
        )
        episode.members.append(
            EarlyHelpFamilyMember(
                role=FamilyMemberRole.CHILD, first_name="Casey", last_name="Testcase", person_id=case.child_id
            )
        )
        s.add(episode)
        s.flush()
        s.add(
            EarlyHelpLeadPractitioner(
                episode_id=episode.id, user_id=before.id, name="Before", from_on=episode.started_on
            )
        )
        episode_id = episode.id
    transition_id = _step_down(case, _form(after, family_name="", level=""))
    with case.database.transaction() as s:
        assert s.get_one(EarlyHelpTransition, transition_id).episode_id == episode_id
        assert s.query(EarlyHelpEpisode).count() == 1
        assert s.get_one(EarlyHelpEpisode, episode_id).lead_practitioner_id == after.id
        spells = s.scalars(select(EarlyHelpLeadPractitioner).order_by(EarlyHelpLeadPractitioner.id)).all()
        assert [(x.user_id, x.to_on) for x in spells] == [(before.id, today_in_london()), (after.id, None)]


def test_step_down_from_a_child_in_need_plan_is_agreed_at_its_review_and_closes_rc7(factory: Any) -> None:
    case = make_case(factory)
    lead = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.lead")
    _assessed(case)
    with case.database.transaction() as s:
        plan = ChildInNeedPlan(person_id=case.child_id, referral_id=case.referral_id, started_on=case.on(21))
        s.add(plan)
        s.flush()
        plan_id = plan.id
    with case.database.transaction() as s:
        shown = transitions_down.step_down_form(s, case.database, s.get_one(User, case.manager.id), case.child_id)
        assert shown.route == "cin_review" and not shown.blockers
    transition_id = _step_down(case, _form(lead))
    with case.database.transaction() as s:
        step = s.get_one(EarlyHelpTransition, transition_id)
        review = s.get_one(ChildInNeedReview, step.cin_review_id)
        assert review.plan_id == plan_id and review.held_on == today_in_london()
        assert "Step-down to early help agreed at this review" in (review.notes or "")
        assert s.get_one(ChildInNeedPlan, plan_id).ended_on == today_in_london()
        assert s.get_one(Referral, case.referral_id).closure_reason == "RC7"


def test_a_child_protection_plan_steps_down_to_child_in_need_first(factory: Any) -> None:
    case = make_case(factory)
    lead = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.cp")
    with case.database.transaction() as s:
        s.add(
            ChildProtectionPlan(
                person_id=case.child_id,
                referral_id=case.referral_id,
                started_on=case.on(10),
                initial_category="NEG",
                latest_category="NEG",
            )
        )
    with pytest.raises(ValidationFailed) as refused:
        _step_down(case, _form(lead))
    assert "child in need plan first" in refused.value.errors["decided_on"]
    with case.database.transaction() as s:
        assert s.get_one(Referral, case.referral_id).closed_date is None
        assert s.query(EarlyHelpEpisode).count() == 0


def test_only_a_team_manager_steps_down_and_only_with_the_familys_agreement(factory: Any) -> None:
    case = make_case(factory)
    lead = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.agree")
    _assessed(case)
    with pytest.raises(AccessDenied):
        _step_down(case, _form(lead), user=case.worker)
    with pytest.raises(ValidationFailed) as refused:
        _step_down(case, _form(lead, consent="no"))
    assert "agreement" in refused.value.errors["consent"]


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("decided_on", {"decided_on": (date.today() + timedelta(days=40)).isoformat()}),
        ("decided_on", {"decided_on": "1066-10-14"}),
        ("reason", {"reason": "x" * 5000}),
        ("reason", {"reason": "nul\x00byte"}),
        ("consent", {"consent": ""}),
        ("handover_meeting_on", {"handover_meeting_on": "31/02/2026"}),
        ("lead_practitioner_id", {"lead_practitioner_id": "99999999999999999999999"}),
        ("family_name", {"family_name": "<script>alert(1)</script>" * 20}),
        ("level", {"level": "platinum"}),
        ("confirm", {"confirm": ""}),
    ],
)
def test_bad_input_is_refused_naming_the_field(factory: Any, field: str, changes: dict[str, str]) -> None:
    case = make_case(factory)
    lead = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.bad")
    _assessed(case)
    with pytest.raises(ValidationFailed) as refused:
        _step_down(case, _form(lead, **changes))
    assert field in refused.value.errors


def test_the_step_down_page_shows_errors_in_field_order_with_nothing_answered(app: Any, factory: Any) -> None:
    case = make_case(factory)
    _assessed(case)
    client = TestClient(app)
    sign_in_as(client, case.database, case.manager)
    page = client.get(f"/cases/{case.child_id}")
    assert f"/early-help/step-down/{case.child_id}" in page.text
    page = client.get(f"/early-help/step-down/{case.child_id}")
    assert page.status_code == 200 and "Case closed after assessment, referred to early help" in page.text
    assert " checked" not in page.text
    answer = client.post(f"/early-help/step-down/{case.child_id}", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 422
    summary = answer.text.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    order = [
        summary.index(f'href="#{f}"') for f in ("decided_on", "reason", "consent", "handover_meeting_on", "confirm")
    ]
    assert order == sorted(order)


# --- Family Help: a change of plan inside one episode -------------------------------------------------------------


def _family_help(database: Any, lead: User, level: EpisodeLevel) -> int:
    with database.transaction() as s:
        episode = EarlyHelpEpisode(
            family_name="The Adeyemi family",
            level=level,
            source=EpisodeSource.COUNCIL,
            started_on=today_in_london() - timedelta(days=60),
            lead_practitioner_id=lead.id,
        )
        episode.members.append(
            EarlyHelpFamilyMember(role=FamilyMemberRole.CHILD, first_name="Tobi", last_name="Adeyemi")
        )
        s.add(episode)
        s.flush()
        return episode.id


def test_family_help_moves_to_child_in_need_work_inside_the_one_episode(factory: Any, database: Any) -> None:
    manager = factory.user(Role.EARLY_HELP_MANAGER, username="eh.manager")
    lead = factory.user(Role.EARLY_HELP_PRACTITIONER, username="fh.lead")
    social_worker_lead = factory.user(Role.EARLY_HELP_PRACTITIONER, username="fh.sw")
    episode_id = _family_help(database, lead, EpisodeLevel.FAMILY_HELP_TARGETED)
    form = {
        "to_plan": "child_in_need",
        "decided_on": today_in_london().isoformat(),
        "reason": "Needs are now those of a child in need",
        "consent": "yes",
        "lead_practitioner_id": str(social_worker_lead.id),
    }
    with database.transaction() as s:
        transitions_down.change_plan(s, database, s.get_one(User, manager.id), episode_id, form)
    with database.transaction() as s:
        episode = s.get_one(EarlyHelpEpisode, episode_id)
        assert episode.level == "family_help_child_in_need" and episode.lead_practitioner_id == social_worker_lead.id
        step = s.scalars(select(EarlyHelpTransition)).one()
        assert (step.direction, step.from_level, step.to_level) == (
            "across",
            "family_help_targeted",
            "family_help_child_in_need",
        )
        assert s.scalars(select(FamilyPlan.level)).all() == ["family_help_child_in_need"]
        assert s.query(EarlyHelpEpisode).count() == 1, "a change of plan, not a transfer"
    # Moving to the plan it is already on is refused; so is anyone but an early help manager.
    with database.transaction() as s, pytest.raises(ValidationFailed) as refused:
        transitions_down.change_plan(s, database, s.get_one(User, manager.id), episode_id, form)
    assert "already" in refused.value.errors["to_plan"]
    with database.transaction() as s, pytest.raises(AccessDenied):
        transitions_down.change_plan(s, database, s.get_one(User, lead.id), episode_id, form | {"to_plan": "targeted"})


def test_targeted_early_help_is_not_changed_across_it_steps_up(factory: Any, database: Any) -> None:
    manager = factory.user(Role.EARLY_HELP_MANAGER, username="eh.m2")
    episode_id = _family_help(database, manager, EpisodeLevel.TARGETED_EARLY_HELP)
    with database.transaction() as s, pytest.raises(ValidationFailed) as refused:
        transitions_down.change_plan(
            s, database, s.get_one(User, manager.id), episode_id, {"to_plan": "child_in_need", "consent": "yes"}
        )
    assert "step the family up" in refused.value.errors["to_plan"]
    assert next(iter(refused.value.errors)) == "to_plan"
