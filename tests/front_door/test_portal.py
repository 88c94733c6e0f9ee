"""The partner portal: a partner makes a contact (with a check-your-answers step), follows its outcome and answers
the MASH's checks, and sees nothing else about the child; other agencies and staff are refused."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from safeguarding.core.db import Database, utcnow
from safeguarding.core.users import Role
from safeguarding.front_door.contact_form import ContactForm
from safeguarding.front_door.models import (
    CheckStatus,
    Contact,
    ContactDecision,
    ContactStatus,
    DecisionStatus,
    Outcome,
    PartnerCheck,
    Rag,
)
from tests.front_door.test_intake import (
    VALID_NHS,
    add_check,
    add_person,
    allocate,
    child,
    partner_input,
    submit,
)
from tests.support import Factory, csrf_from, sign_in


def _contacts(database: Database) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count(Contact.id))) or 0


def _form(token: str, **values: str) -> dict[str, str]:
    base = {
        "csrf_token": token,
        "idempotency_key": "portal-form-1",
        "children_count": "1",
        "adults_count": "1",
        "referral_source": "2A",
        "reporter_name": "Pat Teacher",
        "reporter_role": "DSL",
        "reporter_phone": "01632 960 001",
        "reporter_email": "dsl@school.example.org",
        "worry": "Child said her stepfather hits her when he has been drinking.",
        "consent": "not_informed_risk",
        "subjects.0.role": "child",
        "subjects.0.first_name": "Mia",
        "subjects.0.last_name": "Portalchild",
        "subjects.0.date_of_birth-day": "4",
        "subjects.0.date_of_birth-month": "3",
        "subjects.0.date_of_birth-year": "2016",
        "subjects.0.nhs_number": "943 476 5919",
        "subjects.1.role": "parent",
        "subjects.1.first_name": "",
        "subjects.1.last_name": "",
    }
    base.update(values)
    return base


def _decide(database: Database, contact_id: int, decided_by_id: int, status: DecisionStatus) -> None:
    with database.transaction() as s:
        contact = s.get_one(Contact, contact_id)
        contact.rag = Rag.RED
        contact.status = (
            ContactStatus.DECIDED if status == DecisionStatus.IN_EFFECT else ContactStatus.AWAITING_SIGN_OFF
        )
        contact.screening_notes = "SECRET screening note about the stepfather's record"
        s.add(
            ContactDecision(
                contact_id=contact_id,
                level_of_need=4,
                outcome=Outcome.STRATEGY_DISCUSSION,
                rationale="Reasonable cause to suspect significant harm.",
                decided_by_id=decided_by_id,
                working_hours_to_decision=3.0,
                within_deadline=True,
                status=status,
                took_effect_at=utcnow() if status == DecisionStatus.IN_EFFECT else None,
            )
        )


def test_partner_sends_a_contact_after_checking_their_answers(
    client: TestClient, factory: Factory, database: Database
) -> None:
    agency = factory.agency("Northgate Primary", referral_source="2A")
    teacher = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    sign_in(client, teacher)
    page = client.get("/portal/contacts/new")
    assert page.status_code == 200
    assert 'name="idempotency_key"' in page.text
    assert re.search(r'<option value="2A" selected>', page.text)  # the agency's source pre-filled
    assert 'value="1A"' not in page.text and 'value="9"' not in page.text  # not the family's or anonymous codes
    token = csrf_from(page.text)

    check = client.post("/portal/contacts/new", data={**_form(token), "action": "check"})
    assert check.status_code == 200
    assert "Check your answers" in check.text
    assert "Mia Portalchild" in check.text
    assert _contacts(database) == 0  # nothing recorded until sent

    sent = client.post("/portal/contacts/new", data={**_form(token), "action": "submit"})
    assert sent.status_code == 303
    location = sent.headers["location"]
    assert re.fullmatch(r"/portal/contacts/\d+\?sent=1", location)
    shown = client.get(location)
    assert shown.status_code == 200
    assert "Your contact has been sent" in shown.text
    assert "Received" in shown.text
    assert "943 476 5919" in shown.text

    # The same page sent again (a double click) shows the same contact and records nothing new.
    again = client.post("/portal/contacts/new", data={**_form(token), "action": "submit"})
    assert again.status_code == 303 and again.headers["location"] == location
    assert _contacts(database) == 1

    home = client.get("/portal")
    assert home.status_code == 200
    assert "Mia Portalchild" in home.text


def test_form_errors_name_each_field_and_nothing_is_written(
    client: TestClient, factory: Factory, database: Database
) -> None:
    sign_in(client, factory.user(Role.PARTNER_PRACTITIONER))
    token = csrf_from(client.get("/portal/contacts/new").text)
    response = client.post(
        "/portal/contacts/new",
        data={
            **_form(
                token,
                worry="",
                **{
                    "subjects.0.nhs_number": "1234567890",
                    "subjects.0.date_of_birth-month": "13",
                    "subjects.1.first_name": "Sam",
                },
            ),
            "action": "submit",
        },
    )
    assert response.status_code == 422
    for field in ("worry", "subjects.0.nhs_number", "subjects.0.date_of_birth", "subjects.1.last_name"):
        assert f'href="#{field}"' in response.text, field
    assert "Date of birth must be a real date" in response.text
    assert 'value="Sam"' in response.text  # what was typed is kept
    assert _contacts(database) == 0


def test_siblings_are_added_without_javascript(client: TestClient, factory: Factory, database: Database) -> None:
    sign_in(client, factory.user(Role.PARTNER_PRACTITIONER))
    token = csrf_from(client.get("/portal/contacts/new").text)
    more = client.post("/portal/contacts/new", data={**_form(token), "action": "add_child"})
    assert more.status_code == 200
    assert "Child 2" in more.text and 'name="subjects.1.first_name"' in more.text
    assert 'name="subjects.2.first_name"' in more.text  # the adult's block moved down
    assert 'value="Mia"' in more.text
    form = _form(
        token,
        children_count="2",
        adults_count="1",
        **{
            "subjects.1.role": "child",
            "subjects.1.first_name": "Leo",
            "subjects.1.last_name": "Portalchild",
            "subjects.2.role": "parent",
            "subjects.2.first_name": "Jo",
            "subjects.2.last_name": "Portalparent",
        },
    )
    sent = client.post("/portal/contacts/new", data={**form, "action": "submit"})
    assert sent.status_code == 303, sent.text
    shown = client.get(sent.headers["location"]).text
    assert "Child: Mia Portalchild" in shown and "Child: Leo Portalchild" in shown
    assert "Parent: Jo Portalparent" in shown


def test_script_typed_into_the_worry_and_names_is_shown_escaped(
    client: TestClient, factory: Factory, database: Database
) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    script = "<script>alert('pwned')</script>"
    contact = submit(database, partner, partner_input(worry=f"Worry {script}", subjects=(child(first=script),)))
    sign_in(client, partner)
    for url in (f"/portal/contacts/{contact.id}", "/portal"):
        page = client.get(url)
        assert page.status_code == 200
        assert script not in page.text
        assert "&lt;script&gt;alert(" in page.text


def test_partner_sees_the_outcome_in_effect_and_nothing_else_about_the_child(
    client: TestClient, factory: Factory, database: Database
) -> None:
    agency = factory.agency("Testshire Police")
    officer = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    worker = factory.user(Role.MASH_WORKER)
    add_person(database, "Amira", "Testchild", nhs=VALID_NHS)
    contact = submit(database, officer, partner_input(subjects=(child(nhs_number=VALID_NHS),)))
    other_agency = factory.agency("Elsewhere Health")
    add_check(database, contact.id, other_agency.id, worker.id)
    other = submit(database, factory.user(Role.PARTNER_PRACTITIONER), partner_input(worry="ANOTHER agency worry"))
    sign_in(client, officer)

    _decide(database, contact.id, worker.id, DecisionStatus.AWAITING_SIGN_OFF)
    waiting = client.get(f"/portal/contacts/{contact.id}").text
    assert "Being considered" in waiting
    assert "Strategy discussion" not in waiting  # not in effect until signed off

    with database.transaction() as s:
        s.execute(update(ContactDecision).values(status=DecisionStatus.IN_EFFECT, took_effect_at=utcnow()))
        s.get_one(Contact, contact.id).status = ContactStatus.DECIDED
    page = client.get(f"/portal/contacts/{contact.id}").text
    assert "Decided" in page and "Strategy discussion" in page
    for secret in (
        "SECRET screening note",
        "Is the family known to you",
        "Red",
        "/people/",
        "ANOTHER agency",
        "level",
        "Reasonable cause",
    ):
        assert secret not in page, secret
    home = client.get("/portal").text
    assert "Strategy discussion" in home
    assert other.reference not in home


def test_contact_routed_to_an_allocated_worker_does_not_reveal_the_open_case(
    client: TestClient, factory: Factory, database: Database
) -> None:
    social_worker = factory.user(Role.SOCIAL_WORKER)
    person_id = add_person(database, "Amira", "Testchild", nhs=VALID_NHS)
    allocate(database, person_id, social_worker.id)
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    contact = submit(database, partner, partner_input(subjects=(child(nhs_number=VALID_NHS),)))
    sign_in(client, partner)
    page = client.get(f"/portal/contacts/{contact.id}").text
    assert "Being considered" in page
    assert "allocated" not in page.lower() and social_worker.full_name not in page


def test_another_agency_gets_403_on_contact_and_check(client: TestClient, factory: Factory, database: Database) -> None:
    agency = factory.agency("Testshire Police")
    officer = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    worker = factory.user(Role.MASH_WORKER)
    contact = submit(database, officer, partner_input())
    check_id = add_check(database, contact.id, agency.id, worker.id)
    stranger = factory.user(Role.PARTNER_PRACTITIONER)
    token = sign_in(client, stranger)
    assert client.get(f"/portal/contacts/{contact.id}").status_code == 403
    assert client.get(f"/portal/checks/{check_id}").status_code == 403
    answer = client.post(f"/portal/checks/{check_id}", data={"csrf_token": token, "response": "x", "version": "1"})
    assert answer.status_code == 403
    assert "You do not have access" in answer.text
    with database.transaction() as s:
        assert s.get_one(PartnerCheck, check_id).status == CheckStatus.REQUESTED


def test_staff_are_refused_the_portal(client: TestClient, factory: Factory, database: Database) -> None:
    token = sign_in(client, factory.user(Role.MASH_WORKER))
    assert client.get("/portal").status_code == 403
    assert client.get("/portal/contacts/new").status_code == 403
    posted = client.post("/portal/contacts/new", data={**_form(token), "action": "submit"})
    assert posted.status_code == 403
    assert _contacts(database) == 0


def test_partner_answers_a_check_addressed_to_their_agency_once(
    client: TestClient, factory: Factory, database: Database
) -> None:
    agency = factory.agency("Testshire Police")
    officer = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    worker = factory.user(Role.MASH_WORKER)
    contact = submit(database, factory.user(Role.PARTNER_PRACTITIONER), partner_input(worry="SCHOOL worry text"))
    check_id = add_check(database, contact.id, agency.id, worker.id)
    sign_in(client, officer)
    home = client.get("/portal").text
    assert f"/portal/checks/{check_id}" in home
    page = client.get(f"/portal/checks/{check_id}")
    assert page.status_code == 200
    assert "Is the family known to you?" in page.text
    assert "Public task" in page.text
    assert "Amira Testchild" in page.text  # who the check is about
    assert "SCHOOL worry text" not in page.text  # but not what another agency said
    token = csrf_from(page.text)
    empty = client.post(f"/portal/checks/{check_id}", data={"csrf_token": token, "response": " ", "version": "1"})
    assert empty.status_code == 422 and 'href="#response"' in empty.text
    answered = client.post(
        f"/portal/checks/{check_id}",
        data={"csrf_token": token, "response": "<b>Known</b>: one incident in 2025.", "version": "1"},
    )
    assert answered.status_code == 303 and answered.headers["location"] == "/portal?answered=1"
    after = client.get(f"/portal/checks/{check_id}").text
    assert "&lt;b&gt;Known&lt;/b&gt;" in after and "Send answer" not in after
    again = client.post(f"/portal/checks/{check_id}", data={"csrf_token": token, "response": "more", "version": "2"})
    assert again.status_code == 409
    with database.transaction() as s:
        assert s.get_one(PartnerCheck, check_id).response == "<b>Known</b>: one incident in 2025."


def test_portal_lists_own_agency_contacts_newest_first(
    client: TestClient, factory: Factory, database: Database
) -> None:
    agency = factory.agency("Northgate Primary")
    first = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    colleague = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    older = submit(database, first, partner_input())
    newer = submit(database, colleague, partner_input())
    with database.transaction() as s:
        s.get_one(Contact, older.id).received_at = utcnow() - timedelta(days=2)
    sign_in(client, first)
    text = client.get("/portal").text
    assert text.index(newer.reference) < text.index(older.reference)  # a colleague's contact too: same agency


# --- the form's parsing: errors always land on the block the user filled in -------------------------------------

_texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    filled=st.lists(st.booleans(), min_size=1, max_size=8),
    names=st.lists(_texts, min_size=8, max_size=8),
    children=st.integers(min_value=1, max_value=8),
)
def test_service_errors_are_renamed_to_the_block_on_the_page(
    filled: list[bool], names: list[str], children: int
) -> None:
    data = {"children_count": str(children), "adults_count": str(len(filled) - min(children, len(filled)))}
    for index, is_filled in enumerate(filled):
        data[f"subjects.{index}.role"] = "child" if index < children else "parent"
        data[f"subjects.{index}.first_name"] = f"N{index}{names[index]}" if is_filled else ""
    form = ContactForm.portal(data)
    contact_input, _errors = form.contact_input(staff=False)
    assert len(contact_input.subjects) == sum(filled)
    for position, subject in enumerate(contact_input.subjects):
        renamed = form.on_page({f"subjects.{position}.first_name": "bad"})
        (key,) = renamed
        block_index = int(key.split(".")[1])
        assert data[f"subjects.{block_index}.first_name"] == subject.first_name


def test_portal_views_and_lists_are_audited(client: TestClient, factory: Factory, database: Database) -> None:
    from safeguarding.core.audit import AuditEvent

    partner = factory.user(Role.PARTNER_PRACTITIONER)
    contact = submit(database, partner, partner_input())
    sign_in(client, partner)
    client.get("/portal")
    client.get(f"/portal/contacts/{contact.id}")
    with database.transaction() as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.target_type, AuditEvent.target_id)
            .where(AuditEvent.actor_id == partner.id)
            .order_by(AuditEvent.id)
        ).all()
    assert ("create", "contact", str(contact.id)) in rows
    assert ("list", "contact", None) in rows and ("list", "partner_check", None) in rows
    assert ("view", "contact", str(contact.id)) in rows
