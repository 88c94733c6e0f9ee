"""Each role's working day, one step per function, with axe-core run on every page a step shows.

A step takes a ``Visitor`` (one signed-in person's browser) and leaves it on the page the step ends on; each page
it reaches is checked for WCAG A/AA violations (``Visitor.check``). Journeys in ``test_role_days.py`` chain the
steps; a new role's day (the service leader's) or a new behaviour's assertions are added as further steps here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from playwright.sync_api import expect

from safeguarding.core.dates import long_date
from safeguarding.core.users import User
from tests.journeys.accessibility import Accessibility
from tests.journeys.support import _used_steps
from tests.support import PASSWORD, unused_totp_code


@dataclass
class Visitor:
    """One person's browser: every page it shows is checked by axe-core before the journey moves on."""

    page: Any
    a11y: Accessibility
    checking: bool = True  # False for a person who only sets the scene (their pages are checked in their own day)

    def check(self) -> Any:
        if self.checking:
            self.a11y.check(self.page)
        else:
            self.page.wait_for_load_state("load")
        return self.page

    def goto(self, path: str) -> Any:
        self.page.goto(path)
        return self.check()

    def click(self, role: str, name: str | re.Pattern[str], *, exact: bool = False) -> Any:
        """Click a link or button that shows a new page, and check that page once it has loaded."""
        return self.follow(self.page.get_by_role(role, name=name, exact=exact).first)

    def follow(self, locator: Any) -> Any:
        with self.page.expect_navigation(wait_until="load"):
            locator.click()
        return self.check()

    def fill_date(self, label: str, day: date) -> None:
        """Enter a date in the GOV.UK date input (day, month, year) named by its legend, or in a single field
        labelled ``label`` where a form still has one."""
        group = self.page.get_by_role("group", name=label, exact=True)
        if group.count():
            group.get_by_label("Day").fill(str(day.day))
            group.get_by_label("Month").fill(str(day.month))
            group.get_by_label("Year").fill(str(day.year))
        else:
            self.page.get_by_label(label, exact=True).fill(day.isoformat())


def sign_in(visitor: Visitor, user: User, password: str = PASSWORD) -> Any:
    """Sign in through the real form and land on the role's home page (both pages checked)."""
    page = visitor.goto("/sign-in")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    visitor.click("button", "Sign in")
    if "/sign-in/second-factor" in page.url:
        assert user.totp_secret, "give the user a TOTP secret to sign in through the second factor"
        code, _used_steps[user.username] = unused_totp_code(user.totp_secret, _used_steps.get(user.username))
        page.get_by_label("Security code").fill(code)
        visitor.click("button", "Continue")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


# --- partner ----------------------------------------------------------------------------------------------------


def partner_makes_a_contact(visitor: Visitor, first_name: str, last_name: str, worry: str) -> int:
    """From the portal home: start a contact, see the error summary for an empty form, then send it; returns the
    contact's number (from the outcome page's address)."""
    page = visitor.page
    visitor.click("button", "Tell us about a child you are worried about")
    expect(page.get_by_role("heading", name="Tell us about a child you are worried about")).to_be_visible()
    visitor.click("button", "Continue")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.get_by_label("First name").first.fill(first_name)
    page.get_by_label("Last name").first.fill(last_name)
    page.get_by_label("What are you worried about?").fill(worry)
    page.get_by_label("Yes, they know and agree to this contact").check()
    page.get_by_label("Your name").fill("Ms Synthetic Partner")
    page.get_by_label("Telephone number the MASH can call you on").fill("01632 960001")
    visitor.click("button", "Continue")
    expect(page.get_by_role("heading", name="Check your answers before sending")).to_be_visible()
    visitor.click("button", "Send contact")
    expect(page.get_by_role("heading", name="What happened to this contact")).to_be_visible()
    sent = re.search(r"/portal/contacts/(\d+)", page.url)
    assert sent, page.url
    return int(sent.group(1))


def partner_answers_a_check(visitor: Visitor, answer: str) -> None:
    """From the portal home: open the first check waiting for an answer and answer it."""
    page = visitor.page
    visitor.click("link", re.compile(r"^Answer"))
    expect(page.get_by_role("heading", name="The MASH asks for information")).to_be_visible()
    page.get_by_label("Your answer").fill(answer)
    visitor.click("button", "Send answer")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)


def partner_reads_the_outcome(visitor: Visitor, contact_id: int) -> Any:
    return visitor.goto(f"/portal/contacts/{contact_id}")


# --- MASH worker ------------------------------------------------------------------------------------------------


def contact_reference(contact_id: int) -> str:
    return f"CON-{contact_id:07d}"


def mash_worker_opens_from_the_queue(visitor: Visitor, contact_id: int) -> Any:
    page = visitor.page
    expect(page.get_by_role("heading", name="MASH queue")).to_be_visible()
    visitor.click("link", contact_reference(contact_id), exact=True)
    expect(page.get_by_role("heading", name=contact_reference(contact_id))).to_be_visible()
    return page


def mash_worker_links_the_child(visitor: Visitor, name: str) -> None:
    """Link the child to the suggested person record, or create one where no record matches."""
    page = visitor.page
    suggested = page.get_by_role("button", name=f"Link {name} to this person")
    if suggested.count():
        visitor.click("button", f"Link {name} to this person")
    else:
        visitor.click("button", f"Create a new person record for {name}")
    expect(page.get_by_role("link", name=name, exact=True).first).to_be_visible()


def mash_worker_links_by_name(visitor: Visitor, name: str) -> None:
    """Link the child to a person record found by name with the person picker (never a typed record number)."""
    page = visitor.page
    page.get_by_label("Or find the child by name", exact=True).fill(name)
    # Find fills the results in place (htmx); the radio is waited for.
    page.get_by_role("button", name=re.compile(r"^Find\W*Or find the child by name")).click()
    page.get_by_role("radio", name=name, exact=True).check()
    visitor.click("button", f"Link {name} to the person chosen")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.get_by_role("link", name=name, exact=True).first).to_be_visible()


def mash_worker_rates(visitor: Visitor, rating: str, why: str) -> None:
    page = visitor.page
    page.get_by_label(rating, exact=True).check()
    page.get_by_label("Why this rating").fill(why)
    visitor.click("button", "Save rating")
    expect(page.locator("#rating-history")).to_contain_text(why)


def mash_worker_asks_a_partner(visitor: Visitor, agency: str, question: str) -> None:
    page = visitor.page
    page.get_by_text("Ask a partner agency").click()
    page.get_by_label("Agency").select_option(label=agency)
    page.get_by_label("What do you need to know?").fill(question)
    page.get_by_label("Consent not sought (give the reason)").check()
    page.get_by_label("Reason consent was not sought or was overridden").fill(
        "Asking the parent first could place the child at risk of further harm."
    )
    visitor.click("button", "Send the request")
    expect(page.locator("#check-list")).to_contain_text(agency)


def mash_worker_decides_a_referral(visitor: Visitor, rationale: str) -> None:
    page = visitor.page
    page.get_by_label(re.compile(r"^3: ")).check()
    page.get_by_label("Referral for a child and family assessment (section 17)").check()
    page.get_by_label("Primary need (for a referral)").select_option("N1")  # the CIN census asks it of a referral
    page.get_by_label("Rationale").fill(rationale)
    visitor.click("button", "Record the decision")
    expect(page.locator("#current-decision")).to_contain_text("Awaiting sign off")


def mash_worker_decides_with_an_open_check(visitor: Visitor, agency: str, rationale: str, reason: str) -> None:
    """Decide while a partner check is unanswered: the form lists the check; without a reason to go on without the
    answer the decision is refused (nothing recorded); with one it is recorded with that reason."""
    page = visitor.page
    form = page.locator("#decision-form")
    expect(form).to_contain_text(f"Partner checks not answered yet: {agency}")
    page.get_by_label(re.compile(r"^2: ")).check()
    page.get_by_label("Early help", exact=True).check()
    page.get_by_label("Rationale").fill(rationale)
    visitor.click("button", "Record the decision")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(f"reason to go on without the answer from {agency}")
    expect(page.locator("#current-decision")).to_have_count(0)
    expect(page.get_by_label("Rationale")).to_have_value(rationale)  # what was typed is kept
    page.get_by_label("Why decide now, without their answer").fill(reason)
    visitor.click("button", "Record the decision")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    decision = page.locator("#current-decision")
    expect(decision).to_contain_text("Early help")
    expect(decision).to_contain_text(reason)


# --- MASH manager -----------------------------------------------------------------------------------------------


def mash_manager_signs_off(visitor: Visitor, contact_id: int) -> None:
    page = visitor.page
    visitor.click("link", "Sign-off", exact=True)
    expect(page.get_by_role("heading", name="Decisions awaiting sign-off")).to_be_visible()
    visitor.click("link", contact_reference(contact_id), exact=True)
    page.get_by_label("Agree: the decision takes effect").check()
    visitor.click("button", "Save sign-off")
    expect(page.locator("#current-decision")).to_contain_text("signed off by")


def amends_the_signed_off_decision(visitor: Visitor, contact_id: int, rationale: str, reason: str) -> None:
    """A decision in effect changes only by an amendment with a reason; the contact then shows who amended it, why
    and what changed."""
    page = visitor.page
    visitor.goto(f"/mash/contacts/{contact_id}")
    visitor.click("link", re.compile(r"^Amend the decision"))
    expect(page.get_by_role("heading", name="Amend the decision")).to_be_visible()
    page.get_by_label("Rationale").fill(rationale)
    visitor.click("button", "Save the amendment")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for the amendment")
    expect(page.get_by_label("Rationale")).to_have_value(rationale)  # what was typed is kept
    page.get_by_label("Reason for the amendment").fill(reason)
    visitor.click("button", "Save the amendment")
    expect(page.locator(".govuk-notification-banner__heading")).to_contain_text("Amendment saved")
    history = page.locator("#amendments")
    expect(history).to_contain_text(reason)
    expect(history).to_contain_text(rationale)
    expect(history).to_contain_text("What changed")


# --- social worker and team manager -----------------------------------------------------------------------------


def opens_the_case_from_what_is_due(visitor: Visitor, child_name: str, person_id: int) -> Any:
    """From a due list: the child's row, then (where the row opens the person record) the case record."""
    page = visitor.page
    if page.get_by_role("link", name=child_name, exact=True).count() == 0:
        # The home page lists only what is overdue or due soon: the full list is one link away.
        visitor.click("link", re.compile(r"^(Everything due on your children|Your team's timescales)$"))
    visitor.click("link", child_name, exact=True)
    if f"/cases/{person_id}" not in page.url:
        visitor.click("link", "Case record", exact=True)
    assert f"/cases/{person_id}" in page.url, page.url
    expect(page.locator("#case-status")).to_be_visible()
    return page


def social_worker_records_a_visit(visitor: Visitor, person_id: int, on: date) -> None:
    page = visitor.page
    visitor.click("link", "Record visit")
    visitor.fill_date("Date of the visit", on)
    page.get_by_label("Child in need visit", exact=True).check()
    for question in ("Was the child seen?", "Was the child seen alone?"):  # asked, never assumed
        page.get_by_role("group", name=question, exact=True).get_by_label("Yes", exact=True).check()
    visitor.click("button", "Save")
    expect(page.get_by_text("Saved", exact=True)).to_be_visible()
    visitor.goto(f"/cases/{person_id}")
    expect(page.locator("#visits tbody tr")).to_have_count(1)


def social_worker_sees_routed_contacts(visitor: Visitor, due: dict[str, date], overdue: str) -> None:
    """On the home page: each routed contact with the day to acknowledge it by; the one past its day is overdue
    (and listed first), the others are not."""
    page = visitor.page
    table = page.locator("#routed")
    expect(table.locator("tbody tr")).to_have_count(len(due))
    for reference, by in due.items():
        row = table.locator("tbody tr", has=page.get_by_role("link", name=reference, exact=True))
        expect(row).to_contain_text(long_date(by))
        expect(row).to_contain_text("New")
        if reference == overdue:
            expect(row).to_contain_text("Overdue")
        else:
            expect(row).not_to_contain_text("Overdue")
    expect(table.locator("tbody tr").first).to_contain_text(overdue)


def social_worker_acknowledges_a_routed_contact(visitor: Visitor, reference: str, response: str) -> None:
    """Open the routed contact from the home page and acknowledge it with what was done; home shows the response."""
    page = visitor.page
    visitor.click("link", reference, exact=True)
    expect(page.locator("#acknowledge-by")).to_contain_text("Overdue")
    visitor.click("button", "Acknowledge")  # first without saying what was done: refused
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what you did about this contact")
    page.get_by_label(response, exact=True).check()
    visitor.click("button", "Acknowledge")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    visitor.goto("/home")
    row = page.locator("#routed tbody tr", has=page.get_by_role("link", name=reference, exact=True))
    expect(row).to_contain_text(response)
    expect(row).not_to_contain_text("Overdue")


def team_manager_authorises_the_assessment(visitor: Visitor, on: date) -> None:
    page = visitor.page
    visitor.click("link", "Authorise", exact=True)
    visitor.fill_date("Date of authorisation", on)
    page.get_by_label("Outcome").select_option("cin_plan")
    page.get_by_label("16A: Neglect").check()
    visitor.click("button", "Authorise")
    expect(page.locator(".govuk-notification-banner__heading")).to_have_text("Assessment authorised")


def team_manager_authorises_a_plan_from_home(visitor: Visitor, child_name: str) -> None:
    """From the home page's list of what awaits authorisation (the row opens the plan), authorise the plan."""
    page = visitor.page
    visitor.goto("/home")
    row = page.locator("#awaiting tbody tr", has_text="Child in need plan")
    expect(row).to_contain_text(child_name)
    visitor.follow(row.get_by_role("link", name=re.compile(r"^Authorise or return")))
    expect(page.get_by_role("heading", name="Authorise the child in need plan")).to_be_visible()
    page.get_by_label("Authorise the plan", exact=True).check()
    visitor.click("button", "Save", exact=True)
    expect(page.locator(".govuk-notification-banner__heading")).to_have_text("Child in need plan authorised")
    expect(page.locator("[data-plan-authorisation]")).to_contain_text("Authorised")


def amends_the_authorised_plan(visitor: Visitor, plan_text: str, reason: str) -> None:
    """An authorised plan changes only by an amendment: without a reason it is refused, what was typed kept; with
    one it is saved and the case shows who amended it and why."""
    page = visitor.page
    visitor.follow(page.locator("[data-cin-plan]").get_by_role("link", name="Amend", exact=True))
    expect(page.get_by_role("heading", name="Amend child in need plan")).to_be_visible()
    page.get_by_label("Plan", exact=True).fill(plan_text)
    visitor.click("button", "Save the amendment")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for the amendment")
    expect(page.get_by_label("Plan", exact=True)).to_have_value(plan_text)
    page.get_by_label("Reason for the amendment").fill(reason)
    visitor.click("button", "Save the amendment")
    expect(page.locator(".govuk-notification-banner__heading")).to_contain_text("Amendment saved")
    expect(page.locator("[data-cin-plan]")).to_contain_text(reason)


# --- exploitation practitioner ----------------------------------------------------------------------------------


def practitioner_rescreens_from_home(visitor: Visitor, child_name: str, on: date) -> None:
    """From the exploitation home: the child listed as screened, then a rescreen answering every indicator."""
    page = visitor.page
    visitor.click("link", child_name, exact=True)
    visitor.click("link", re.compile(r"^(Rescreen|Screen)$"))
    visitor.fill_date("Date of the screening", on)
    for select_box in page.locator("select[id^='answer_']").all():
        values = select_box.locator("option").evaluate_all("options => options.map(o => o.value)")
        select_box.select_option(next(v for v in ("no", "not_present") if v in values))
    for code in ("controlling_adult", "unknown_vehicles", "unexplained_money"):
        page.locator(f"#answer_{code}").select_option("yes")
    visitor.click("button", "Record the screening")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("High")


def practitioner_rescreen_untouched_is_refused(visitor: Visitor, child_name: str, on: date) -> None:
    """From the exploitation home: a rescreen sent without answering is refused, the error summary naming the
    questions; no screening is recorded."""
    page = visitor.page
    visitor.click("link", child_name, exact=True)
    screenings = page.locator("a[href^='/exploitation/screenings/']")
    before = screenings.count()
    child_page = page.url
    visitor.click("link", re.compile(r"^(Rescreen|Screen)$"))
    # The date in the GOV.UK date input's three boxes, not one typed field.
    expect(page.get_by_role("group", name="Date of the screening", exact=True).get_by_label("Year")).to_be_visible()
    visitor.fill_date("Date of the screening", on)
    questions = [
        page.locator(f'label[for="{box.get_attribute("id")}"]').inner_text().strip()
        for box in page.locator("select[id^='answer_']").all()
    ]
    assert questions, "the screening form lists no questions"
    visitor.click("button", "Record the screening")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    for question in questions:
        expect(summary).to_contain_text(f"{question}: choose an answer")
    visitor.goto(child_page)
    expect(screenings).to_have_count(before)


def practitioner_views_the_network(visitor: Visitor, person_id: int, names: tuple[str, ...]) -> None:
    page = visitor.goto(f"/exploitation/network?centre=person-{person_id}&steps=2")
    page.wait_for_function("window.networkPicture && window.networkPicture.nodes().length > 0")
    visitor.check()  # again, with the picture drawn
    for name in names:
        expect(page.locator("#network-table")).to_contain_text(name)


# --- analyst ----------------------------------------------------------------------------------------------------


def analyst_follows_a_figure(visitor: Visitor, indicator: str, heading: str) -> None:
    page = visitor.page
    expect(page.locator(f'section[data-indicator="{indicator}"] [data-headline]')).to_be_visible()
    section = page.locator(f'section[data-indicator="{indicator}"]')
    visitor.follow(section.get_by_role("link", name="Children behind this figure"))
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


def analyst_runs_the_census_check(visitor: Visitor) -> Any:
    page = visitor.page
    if page.get_by_role("link", name="CIN census").count() == 0:
        visitor.click("link", "Insight", exact=True)  # the section's pages are listed once it is open
    visitor.click("link", "CIN census", exact=True)
    expect(page.get_by_role("heading", level=1)).to_contain_text("census")
    return page


# --- service leader ---------------------------------------------------------------------------------------------

# What would change a child's record: a "Record ..." or "Change ..." button or link.
CHANGES = re.compile(r"^(Record|Change)\b")


def leader_reads_the_service(visitor: Visitor) -> None:
    """From the home page: indicators, workforce, the improvement plan and the audit of decisions, each read-only
    for a child's record (no "Record" or "Change" button or link)."""
    page = visitor.page
    expect(page.get_by_role("heading", name="What is waiting for you")).to_be_visible()
    for link, heading in (
        ("Indicators", "Indicators"),
        ("Workforce", "Workforce"),
        ("Improvement plan", "Improvement plan"),
        ("Audit of decisions", "Audit log"),
    ):
        visitor.goto("/home")
        _no_way_to_change(page)
        visitor.follow(page.locator("#leader-pages").get_by_role("link", name=link, exact=True))
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        _no_way_to_change(page)


def _no_way_to_change(page: Any) -> None:
    for role in ("button", "link"):
        expect(page.get_by_role(role, name=CHANGES)).to_have_count(0)


def leader_is_refused_a_childs_case(visitor: Visitor, person_id: int) -> None:
    page = visitor.page
    response = page.goto(f"/cases/{person_id}")
    visitor.check()
    assert response is not None and response.status == 403, response and response.status
    expect(page.get_by_role("heading", name="You do not have access")).to_be_visible()
    expect(page.locator("#case-status")).to_have_count(0)
