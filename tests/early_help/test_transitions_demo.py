"""The demo council's step-ups, step-downs, change of plan and Supporting Families outcomes (transitions_demo)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safeguarding.casework.models import Referral
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.demo.summary import CouncilSummary
from safeguarding.early_help import outcomes
from safeguarding.early_help.models import EarlyHelpEpisode
from safeguarding.early_help.transitions_models import EarlyHelpTransition
from safeguarding.front_door.models import ContactSubject
from tests.demo.conftest import council  # noqa: F401  (the demo council fixture)

pytestmark = pytest.mark.xdist_group("demo")


def test_the_demo_council_steps_families_up_down_and_across(
    council: CouncilSummary,  # noqa: F811
    migrated_database: Database,
) -> None:
    with migrated_database.transaction() as s:
        moves = s.scalars(select(EarlyHelpTransition)).all()
        assert {m.direction for m in moves} >= {"up", "down"}
        for down in (m for m in moves if m.direction == "down"):
            referral = s.get_one(Referral, down.referral_id)
            assert referral.closure_reason == "RC9" and referral.closed_date == down.decided_on
            episode = s.get_one(EarlyHelpEpisode, down.episode_id)
            assert episode.source == "step_down" and episode.started_on == down.decided_on
        for up in (m for m in moves if m.direction == "up"):
            people = s.scalars(select(ContactSubject.person_id).where(ContactSubject.contact_id == up.contact_id))
            assert up.person_id in set(people)
        manager = s.scalars(select(User).where(User.role == Role.EARLY_HELP_MANAGER.value)).first()
        assert manager is not None
        assert outcomes.families(s, migrated_database, manager, show="all"), "families with mapped needs"
