"""The casework routes in the authorization matrix: who may use each (see tests/test_authorization_matrix.py).

Every route the casework capability serves is declared here; ``extend_world`` adds the rows its path ids need to the
small council of ``tests.support.build_world`` and returns those ids (for example ``{"assessment_id": 7}``).

The world's child is allocated to the world's social worker (in the world's team), so the social worker is the
allocated worker: a social worker who is not allocated is refused by casework.case_access (tests/casework).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from safeguarding.core.users import Role
from tests.matrix import CASEWORK, EARLY_HELP_STAFF, Policy, Route, roles
from tests.support import Factory, World

R = Role
CASE_READERS = roles(*CASEWORK, R.PERFORMANCE_ANALYST)
NARRATIVE_READERS = roles(*CASEWORK)
CASE_WRITERS = roles(R.SOCIAL_WORKER, R.TEAM_MANAGER)
MANAGERS = roles(R.TEAM_MANAGER)

ID_NAMES: dict[str, str] = {
    "assessments": "assessment_id",
    "strategy-discussions": "strategy_discussion_id",
    "section-47s": "section47_id",
    "conferences": "conference_id",
    "cp-plans": "cp_plan_id",
    "core-groups": "core_group_id",
    "visits": "visit_id",
    "cin-plans": "cin_plan_id",
    "cin-reviews": "cin_review_id",
    "notes": "case_note_id",
}

EXPECTED: dict[Route, Policy] = {
    # The child's case: dates and codes for everyone who works cases and the analyst (census validation).
    ("GET", "/cases/{person_id}"): CASE_READERS,
    # The family group is the person index's relationships (a read of the person): early help staff read people.
    ("GET", "/cases/{person_id}/family"): NARRATIVE_READERS | EARLY_HELP_STAFF,
    ("GET", "/cases/{person_id}/assessments/{assessment_id}/authorise"): MANAGERS,
    ("POST", "/cases/{person_id}/assessments/{assessment_id}/authorise"): MANAGERS,
    ("GET", "/cases/{person_id}/cin-plans/{cin_plan_id}/authorise"): MANAGERS,
    ("POST", "/cases/{person_id}/cin-plans/{cin_plan_id}/authorise"): MANAGERS,
    ("GET", "/cases/{person_id}/closure"): MANAGERS,
    ("POST", "/cases/{person_id}/closure"): MANAGERS,
    ("POST", "/cases/{person_id}/closure/return"): MANAGERS,
    # The worker asks their team manager to close the episode (whoever may change the case).
    ("GET", "/cases/{person_id}/closure/request"): CASE_WRITERS,
    ("POST", "/cases/{person_id}/closure/request"): CASE_WRITERS,
    ("GET", "/cases/{person_id}/allocation"): MANAGERS,
    ("POST", "/cases/{person_id}/allocation"): MANAGERS,
    ("GET", "/unallocated-children"): MANAGERS,
    ("GET", "/supervision"): roles(R.TEAM_MANAGER, R.SOCIAL_WORKER),
    ("GET", "/supervision/new"): MANAGERS,
    ("POST", "/supervision/new"): MANAGERS,
    # The world's supervision: the team manager supervised the social worker.
    ("GET", "/supervision/{supervision_id}"): roles(R.TEAM_MANAGER, R.SOCIAL_WORKER),
    ("GET", "/cases/{person_id}/chronologies/new"): CASE_WRITERS,
    ("POST", "/cases/{person_id}/chronologies/new"): CASE_WRITERS,
    ("GET", "/chronologies/{chronology_id}"): NARRATIVE_READERS,
    ("POST", "/chronologies/{chronology_id}"): CASE_WRITERS,
    ("GET", "/chronologies/{chronology_id}/print"): NARRATIVE_READERS,
}
for _slug, _id in ID_NAMES.items():
    for _method in ("GET", "POST"):
        EXPECTED[(_method, f"/cases/{{person_id}}/{_slug}/new")] = CASE_WRITERS
        EXPECTED[(_method, f"/cases/{{person_id}}/{_slug}/{{{_id}}}/edit")] = CASE_WRITERS
# A section 47 enquiry's multi-agency child protection team (casework/protection_team.py): read with the case,
# changed by whoever may change the case.
_TEAM = "/cases/{person_id}/section-47s/{section47_id}/team"
EXPECTED[("GET", _TEAM)] = CASE_READERS
for _method in ("GET", "POST"):
    EXPECTED[(_method, f"{_TEAM}/new")] = CASE_WRITERS
    EXPECTED[(_method, f"{_TEAM}/{{member_id}}/edit")] = CASE_WRITERS
# Amending a signed-off record (an authorised assessment or child in need plan): whoever may change the case, with a
# reason.
for _method in ("GET", "POST"):
    EXPECTED[(_method, "/cases/{person_id}/assessments/{assessment_id}/amend")] = CASE_WRITERS
    EXPECTED[(_method, "/cases/{person_id}/cin-plans/{cin_plan_id}/amend")] = CASE_WRITERS

# Bodies for unsafe requests, so that a well-formed request reaches the access policy.
FORMS: dict[Route, dict[str, str]] = {
    ("POST", "/cases/{person_id}/cin-plans/{cin_plan_id}/authorise"): {
        "answer": "return",
        "note": "Returned by the authorization matrix",
    },
}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    """One of each case record on the world's child, allocated to the world's social worker."""
    from safeguarding.casework.models import (
        Allocation,
        Assessment,
        CaseNote,
        ChildInNeedPlan,
        ChildInNeedReview,
        ChildProtectionConference,
        ChildProtectionPlan,
        Chronology,
        CoreGroupMeeting,
        ProtectionTeamMember,
        Section47Enquiry,
        StrategyDiscussion,
        StrategyParticipant,
        Supervision,
        SupervisionCase,
        Visit,
    )
    from safeguarding.core.db import utcnow

    child_id: int = world.child.id
    referral_id: int = world.referral.id
    worker = world.users[R.SOCIAL_WORKER.value]
    manager = world.users[R.TEAM_MANAGER.value]
    day = world.referral.referral_date
    ids: dict[str, int] = {}
    with factory.database.transaction() as s:
        s.add(
            Allocation(
                person_id=child_id, worker_id=worker.id, team_id=world.team.id, started_at=utcnow() - timedelta(hours=1)
            )
        )
        common = {"person_id": child_id, "referral_id": referral_id}
        assessment = Assessment(started_on=day, **common)
        discussion = StrategyDiscussion(held_on=day, decision="section47", **common)
        discussion.participants.append(StrategyParticipant(agency="Police", name="DC Synthetic", role="Officer"))
        s.add_all([assessment, discussion])
        s.flush()
        enquiry = Section47Enquiry(strategy_discussion_id=discussion.id, started_on=day, outcome="icpc", **common)
        plan = ChildProtectionPlan(started_on=day, initial_category="NEG", latest_category="NEG", **common)
        cin_plan = ChildInNeedPlan(started_on=day, **common)
        visit = Visit(kind="cp", visited_on=day, child_seen=True, seen_alone=True, worker_id=worker.id, **common)
        note = CaseNote(
            person_id=child_id, kind="case_note", occurred_at=utcnow(), text="Synthetic case note", author_id=worker.id
        )
        s.add_all([enquiry, plan, cin_plan, visit, note])
        s.flush()
        conference = ChildProtectionConference(
            kind="initial", held_on=day, outcome="plan", plan_id=plan.id, section47_id=enquiry.id, **common
        )
        core_group = CoreGroupMeeting(plan_id=plan.id, person_id=child_id, held_on=day)
        review = ChildInNeedReview(plan_id=cin_plan.id, person_id=child_id, held_on=day)
        supervision = Supervision(worker_id=worker.id, supervisor_id=manager.id, held_on=day)
        supervision.cases.append(SupervisionCase(person_id=child_id, decision="Synthetic decision: visit weekly"))
        chronology = Chronology(person_id=child_id, title="Synthetic chronology", created_by_id=worker.id)
        member = ProtectionTeamMember(
            section47_id=enquiry.id, person_id=child_id, name="DC Synthetic", agency="police", role="Officer"
        )
        member.joined_on = day
        s.add_all([conference, core_group, review, supervision, chronology, member])
        s.flush()
        ids = {
            "assessment_id": assessment.id,
            "strategy_discussion_id": discussion.id,
            "section47_id": enquiry.id,
            "conference_id": conference.id,
            "cp_plan_id": plan.id,
            "core_group_id": core_group.id,
            "visit_id": visit.id,
            "cin_plan_id": cin_plan.id,
            "cin_review_id": review.id,
            "case_note_id": note.id,
            "supervision_id": supervision.id,
            "chronology_id": chronology.id,
            "member_id": member.id,
        }
    return ids
