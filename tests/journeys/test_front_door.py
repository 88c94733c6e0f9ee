"""The front door, end to end in a real browser: a school's worry becomes a signed-off referral.

A school's designated safeguarding lead tells the MASH about a child through the partner portal; a MASH worker
links the child to her record, RAG-rates the contact and asks the police what they know; the police answer in the
portal; the worker decides on a referral and the MASH manager signs it off. The school then sees the outcome of
its own contact, and nothing more of the child. Every step is in the audit log, whose hash chain verifies, and
stops verifying (naming the row) once one row is altered behind the application's back.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, text

from safeguarding.core.audit import AuditEvent
from safeguarding.core.users import AgencyKind, Role
from safeguarding.people import inputs as people_inputs
from safeguarding.people import records as people_records
from tests.journeys.support import screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]

WORRY = (
    "Amelia (Year 4) told her teacher this morning that she was left alone overnight and had not eaten "
    "since yesterday lunchtime. She had a bruise on her left forearm she would not explain."
)


def _existing_child(live_server: Any, worker: Any) -> int:
    """The child is already known to the council (an earlier contact, say): the MASH links to her record."""
    with live_server.database.transaction() as s:
        person = people_records.create_person(
            s,
            live_server.database,
            worker,
            people_inputs.PersonInput(
                first_name="Amelia", last_name="Testchild", kind="child", date_of_birth=date(2015, 3, 14)
            ),
        )
        s.flush()
        return person.id


def test_a_school_contact_becomes_a_signed_off_referral(new_page: Any, factory: Any, live_server: Any) -> None:
    school = factory.agency("Northshire Primary School", kind=AgencyKind.SCHOOL, referral_source="2A")
    police = factory.agency("Northshire Police", kind=AgencyKind.POLICE, referral_source="6")
    mash = factory.team("MASH", service="mash")
    teacher = factory.user(Role.PARTNER_PRACTITIONER, agency_id=school.id, username="dsl.school")
    officer = factory.user(Role.PARTNER_PRACTITIONER, agency_id=police.id, username="pc.police")
    worker = factory.user(Role.MASH_WORKER, team_id=mash.id, username="mash.worker")
    manager = factory.user(Role.MASH_MANAGER, team_id=mash.id, username="mash.manager")
    person_id = _existing_child(live_server, worker)

    # 1. The school's DSL makes a contact in the portal (no date of birth: the MASH does the matching).
    dsl = new_page()
    sign_in(dsl, teacher, next_path="/portal")
    dsl.get_by_role("button", name="Tell us about a child you are worried about").click()
    expect(dsl.get_by_role("heading", name="Tell us about a child you are worried about")).to_be_visible()
    screenshot(dsl, "portal-new-contact")
    dsl.get_by_label("First name").first.fill("Amelia")
    dsl.get_by_label("Last name").first.fill("Testchild")
    dsl.get_by_label("What are you worried about?").fill(WORRY)
    dsl.get_by_label("Yes, they know and agree to this contact").check()
    dsl.get_by_label("Your name").fill("Ms Synthetic Teacher")
    dsl.get_by_label("Telephone number the MASH can call you on").fill("01632 960001")
    dsl.get_by_role("button", name="Continue").click()
    expect(dsl.get_by_role("heading", name="Check your answers before sending")).to_be_visible()
    dsl.get_by_role("button", name="Send contact").click()
    expect(dsl.get_by_role("heading", name="What happened to this contact")).to_be_visible()
    sent = re.search(r"/portal/contacts/(\d+)", dsl.url)
    assert sent, dsl.url
    contact_id = int(sent.group(1))
    expect(dsl.get_by_text("Not decided yet")).to_be_visible()
    reference = f"CON-{contact_id:07d}"

    # 2. The MASH worker screens it from the queue: links Amelia, rates it amber, asks the police.
    mash_page = new_page()
    sign_in(mash_page, worker, next_path="/mash/queue")
    expect(mash_page.get_by_role("heading", name="MASH queue")).to_be_visible()
    mash_page.get_by_role("link", name=reference).click()
    expect(mash_page.get_by_role("heading", name=reference)).to_be_visible()
    expect(mash_page.locator("#worry")).to_have_text(WORRY)
    screenshot(mash_page, "mash-contact")
    mash_page.get_by_role("button", name="Link Amelia Testchild to this person").click()
    expect(mash_page.get_by_role("link", name="Amelia Testchild")).to_have_attribute("href", f"/people/{person_id}")

    mash_page.get_by_label("Amber").check()
    mash_page.get_by_label("Why this rating").fill("Neglect concerns, no immediate danger today: child in school.")
    mash_page.get_by_role("button", name="Save rating").click()
    expect(mash_page.locator("#rating-history")).to_contain_text("Neglect concerns")

    mash_page.get_by_text("Ask a partner agency").click()
    mash_page.get_by_label("Agency").select_option(label="Northshire Police")
    mash_page.get_by_label("What do you need to know?").fill("Any call-outs or concerns at the family home?")
    mash_page.get_by_label("Consent not sought (give the reason)").check()
    mash_page.get_by_label("Reason consent was not sought or was overridden").fill(
        "Asking the parent first could place the child at risk of further harm."
    )
    mash_page.get_by_role("button", name="Send the request").click()
    expect(mash_page.locator("#check-list")).to_contain_text("Northshire Police")

    # 3. The police officer answers the check in the portal.
    police_page = new_page()
    sign_in(police_page, officer, next_path="/portal")
    police_page.get_by_role("link", name=re.compile(r"^Answer")).first.click()
    expect(police_page.get_by_role("heading", name="The MASH asks for information")).to_be_visible()
    police_page.get_by_label("Your answer").fill("Two domestic incidents at the address this year; no arrests.")
    police_page.get_by_role("button", name="Send answer").click()
    expect(police_page.get_by_text("Two domestic incidents")).to_have_count(0)  # back on the list, not the form
    expect(police_page.locator(".govuk-error-summary")).to_have_count(0)

    # 4. The worker sees the answer and decides: referral for assessment.
    mash_page.goto(f"/mash/contacts/{contact_id}")
    expect(mash_page.locator("#check-list")).to_contain_text("Two domestic incidents")
    mash_page.get_by_label(re.compile(r"^3: ")).check()
    mash_page.get_by_label("Referral for a child and family assessment (section 17)").check()
    mash_page.get_by_label("Primary need (for a referral)").select_option("N1")
    mash_page.get_by_label("Rationale").fill("Repeated neglect indicators and police history: assess under s17.")
    mash_page.get_by_role("button", name="Record the decision").click()
    expect(mash_page.locator("#current-decision")).to_contain_text("Awaiting sign off")

    # 5. The MASH manager signs it off.
    manager_page = new_page()
    sign_in(manager_page, manager, next_path="/mash/sign-off")
    expect(manager_page.get_by_role("heading", name="Decisions awaiting sign-off")).to_be_visible()
    manager_page.get_by_role("link", name=reference).click()
    manager_page.get_by_label("Agree: the decision takes effect").check()
    manager_page.get_by_role("button", name="Save sign-off").click()
    expect(manager_page.locator("#current-decision")).to_contain_text("signed off by")
    screenshot(manager_page, "mash-contact-signed-off")

    # 6. The school sees the outcome of its own contact, and is refused the child's record.
    dsl.goto(f"/portal/contacts/{contact_id}")
    expect(dsl.get_by_text("Not decided yet")).to_have_count(0)
    outcome = dsl.locator(".govuk-summary-list").first
    expect(outcome).to_contain_text("Decided")
    expect(outcome).to_contain_text("Referral to children's social care for assessment")
    screenshot(dsl, "portal-outcome")
    response = dsl.goto(f"/people/{person_id}")
    assert response is not None and response.status == 403
    expect(dsl.get_by_role("heading", name="You do not have access")).to_be_visible()

    # 7. The audit log shows each step, and its chain verifies...
    with live_server.database.transaction() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    on_contact = [
        (e.actor_username, e.action) for e in events if e.target_type == "contact" and e.target_id == str(contact_id)
    ]
    assert ("dsl.school", "create") in on_contact, on_contact
    for step in ("view", "link_person", "rate", "request_check", "decide"):
        assert any(who == "mash.worker" and step in action for who, action in on_contact), (step, on_contact)
    assert any(who == "mash.manager" and "sign_off" in action for who, action in on_contact), on_contact
    assert any(e.actor_username == "pc.police" and "respond" in e.action for e in events)
    refused = [e for e in events if e.actor_username == "dsl.school" and e.outcome == "refused"]
    assert refused and refused[-1].person_id == person_id
    verified = live_server.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # ...until someone edits a row behind the application's back: verify fails and names that row.
    tampered = next(e.id for e in events if e.actor_username == "mash.worker" and e.action.startswith("rate"))
    with live_server.database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor_username = 'someone.else' WHERE id = :id"), {"id": tampered})
    broken = live_server.cli("audit", "verify")
    assert broken.returncode == 1
    assert f"row {tampered}" in broken.stderr + broken.stdout


def test_a_partner_can_make_a_contact_without_javascript(new_page: Any, factory: Any) -> None:
    school = factory.agency("Eastbrook Academy", kind=AgencyKind.SCHOOL, referral_source="2A")
    teacher = factory.user(Role.PARTNER_PRACTITIONER, agency_id=school.id, username="dsl.nojs")
    page = new_page(javascript=False)
    sign_in(page, teacher, next_path="/portal/contacts/new")
    page.get_by_label("First name").first.fill("Noah")
    page.get_by_label("Last name").first.fill("Scriptless")
    page.get_by_label("What are you worried about?").fill("Synthetic worry: Noah says he is scared to go home.")
    page.get_by_label("I do not know").check()
    page.get_by_label("Your name").fill("Mr Synthetic Teacher")
    page.get_by_label("Telephone number the MASH can call you on").fill("01632 960002")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers before sending")).to_be_visible()
    page.get_by_role("button", name="Send contact").click()
    expect(page.get_by_role("heading", name="What happened to this contact")).to_be_visible()
    expect(page.get_by_text("Noah Scriptless")).to_be_visible()
