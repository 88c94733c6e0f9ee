"""Case work, end to end in a real browser: a referral through assessment, strategy discussion, section 47, initial
conference, plan, core group, visits, review conference and plan end to closure, with the worker's due page
(``/due``, rows marked ``data-rule``) changing at each step.

The allocated social worker works without JavaScript (every form is a plain form); the team manager authorises the
assessment and signs off the closure.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.casework.models import Allocation, Referral
from safeguarding.core.calendar import add_working_days
from safeguarding.core.db import utcnow
from safeguarding.core.users import Role
from safeguarding.people.models import Person, PersonKind
from safeguarding.timescales.service import recompute_for_child
from tests.journeys.support import fill_date, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]


def _referral_date(today: date, steps: int) -> date:
    """A working day far enough back that ``steps`` working days later is still in the past."""
    day = today - timedelta(days=steps * 2)
    while add_working_days(day, steps) >= today or day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _rules_without_script(page: Any) -> set[str]:
    found: set[str] = set()
    for row in page.locator("tr[data-rule]").all():
        value = row.get_attribute("data-rule")
        if value:
            found.add(value)
    return found


def test_referral_to_closure_with_the_due_page_changing_at_each_step(
    new_page: Any, factory: Any, live_server: Any
) -> None:
    team = factory.team("Child protection team", service="child_protection")
    worker_user = factory.user(Role.SOCIAL_WORKER, team_id=team.id, username="sw.casework")
    manager_user = factory.user(Role.TEAM_MANAGER, team_id=team.id, username="tm.casework")
    today = utcnow().date()
    referral_date = _referral_date(today, 24)

    def on(n: int) -> str:
        return add_working_days(referral_date, n).isoformat()

    with live_server.database.transaction() as s:
        child = Person(
            kind=PersonKind.CHILD, first_name="Jordan", last_name="Journeycase", sex="M", date_of_birth=date(2017, 5, 5)
        )
        s.add(child)
        s.flush()
        s.add(
            Referral(
                person_id=child.id,
                referral_date=referral_date,
                referral_source="6",
                primary_need="N1",
                route="strategy_discussion",
            )
        )
        s.add(Allocation(person_id=child.id, worker_id=worker_user.id, team_id=team.id))
        s.flush()
        recompute_for_child(s, child.id)
        child_id = child.id
    case_url = f"/cases/{child_id}"

    worker = new_page(javascript=False)
    sign_in(worker, worker_user)
    assert "assessment" in _rules_without_script(_goto_due(worker)), "the referral starts the assessment clock"

    def record(
        slug: str,
        fill: dict[str, str],
        *,
        radios: tuple[str, ...] = (),
        checks: tuple[str, ...] = (),
        selects: dict[str, int] | None = None,
        answers: dict[str, str] | None = None,
    ) -> None:
        worker.goto(f"{case_url}/{slug}/new")
        for question, answer in (answers or {}).items():  # yes/no questions start unanswered
            worker.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
        for label, value in fill.items():
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                fill_date(worker, label, value)
            else:
                worker.get_by_label(label, exact=True).fill(value)
        for label in radios:
            worker.get_by_label(label, exact=True).check()
        for label in checks:
            worker.get_by_label(label, exact=True).check()
        for label, index in (selects or {}).items():
            worker.get_by_label(label, exact=True).select_option(index=index)
        worker.get_by_role("button", name="Save").click()
        expect(worker.get_by_text("Saved", exact=True)).to_be_visible()

    # 1. Assessment started.
    record("assessments", {"Date the assessment started": on(1)})
    expect(worker.locator("#case-status")).to_have_text("Assessment")
    # 2. Strategy discussion: the initial conference clock starts.
    worker.goto(f"{case_url}/strategy-discussions/new")
    fill_date(worker, "Date of the strategy discussion", on(3))
    worker.get_by_label("Start a section 47 enquiry").check()
    worker.get_by_label("Participant 1 agency").fill("Police")
    worker.get_by_label("Participant 1 name").fill("DC Rowan Hale")
    worker.get_by_label("Participant 2 agency").fill("Health")
    worker.get_by_label("Participant 2 name").fill("Dr Priya Shah")
    worker.get_by_role("button", name="Save").click()
    expect(worker.get_by_text("Saved", exact=True)).to_be_visible()
    assert "icpc" in _rules_without_script(_goto_due(worker)), "the strategy discussion starts the ICPC clock"
    # 3. Section 47 enquiry concluding a conference is needed.
    record("section-47s", {"Date the enquiry started": on(3)}, selects={"Strategy discussion that started it": 1})
    worker.locator("#child-protection a[href*='/section-47s/']", has_text="Change").click()
    fill_date(worker, "Date the enquiry was completed", on(7))
    worker.get_by_label("Outcome").select_option("icpc")
    worker.get_by_role("button", name="Save").click()
    expect(worker.get_by_text("Saved", exact=True)).to_be_visible()
    # 4. Initial conference decides on a plan: the ICPC clock is met.
    record(
        "conferences",
        {"Date of the conference": on(10), "Chair": "IRO Sam Carter"},
        radios=("Initial conference", "Child protection plan (initial) / continue the plan (review)"),
    )
    assert "icpc" not in _rules_without_script(_goto_due(worker))
    # 5. The plan: core group, review and visit clocks start.
    record(
        "cp-plans",
        {"Date the plan started": on(10)},
        selects={"Initial conference that decided on the plan": 1, "Initial category of abuse": 1},
    )
    expect(worker.locator("#case-status")).to_have_text("Child protection plan")
    due = _rules_without_script(_goto_due(worker))
    assert {"first-core-group", "first-review-conference"} <= due, due
    # 6. First core group.
    record("core-groups", {"Date of the meeting": on(12)}, selects={"Child protection plan": 1})
    assert "first-core-group" not in _rules_without_script(_goto_due(worker))
    # 7. Visits: seen, and seen alone.
    seen_alone = {"Was the child seen?": "Yes", "Was the child seen alone?": "Yes"}
    record("visits", {"Date of the visit": on(13)}, radios=("Child protection visit",), answers=seen_alone)
    seen = {"Was the child seen?": "Yes", "Was the child seen alone?": "No"}
    record("visits", {"Date of the visit": on(18)}, radios=("Child protection visit",), answers=seen)
    worker.goto(case_url)
    expect(worker.locator("#visits tbody tr")).to_have_count(2)
    screenshot(worker, "casework-case-page")

    # 8. The team manager authorises the assessment: the assessment clock is met.
    manager = new_page()
    sign_in(manager, manager_user)
    manager.goto(case_url)
    manager.get_by_role("link", name="Authorise").click()
    fill_date(manager, "Date of authorisation", on(14))
    manager.get_by_label("Outcome").select_option("strategy_discussion")
    manager.get_by_label("16A: Neglect").check()
    manager.get_by_label("3B: Domestic abuse: parent or carer").check()
    manager.get_by_role("button", name="Authorise").click()
    expect(manager.locator(".govuk-notification-banner__heading")).to_have_text("Assessment authorised")
    assert "assessment" not in _rules_without_script(_goto_due(worker))
    # 9. Review conference: the first review clock is met.
    record(
        "conferences",
        {"Date of the conference": on(20)},
        radios=("Review conference", "No plan (initial) / end the plan (review)"),
        selects={"Plan reviewed (review conferences)": 1},
    )
    assert "first-review-conference" not in _rules_without_script(_goto_due(worker))
    # 10. The plan ends at the review.
    worker.goto(case_url)
    worker.get_by_role("link", name="Change or end the plan").click()
    fill_date(worker, "Date the plan ended", on(20))
    worker.get_by_label("Why the plan ended").select_option("no_longer_at_risk_closed")
    worker.get_by_role("button", name="Save").click()
    expect(worker.get_by_text("Saved", exact=True)).to_be_visible()
    due = _rules_without_script(_goto_due(worker))
    assert not due & {"cp-visit", "core-group", "review-conference"}, due
    # 11. Closure, refused first for a date before the last event, then signed off.
    manager.goto(f"{case_url}/closure")
    fill_date(manager, "Date of closure", on(19))
    manager.get_by_label("Reason for closure (DfE code)").select_option("RC7")
    manager.get_by_role("button", name="Close the episode").click()
    expect(manager.locator(".govuk-error-summary")).to_contain_text("cannot be before the last recorded event")
    fill_date(manager, "Date of closure", on(21))
    manager.get_by_role("button", name="Close the episode").click()
    expect(manager.locator("#case-status")).to_have_text("Closed")
    screenshot(manager, "casework-closed")
    assert not _rules_without_script(_goto_due(worker)), "nothing is due on a closed case"


def _goto_due(page: Any) -> Any:
    page.goto("/due")
    return page
