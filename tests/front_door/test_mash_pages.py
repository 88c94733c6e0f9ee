"""The MASH pages as their users meet them: script typed into a worry or a name shown as text, forms that say what
is wrong, the whole screening-to-sign-off journey over HTTP, and who may open which page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.casework.models import Referral
from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import LONDON
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.front_door.models import Contact, ContactStatus, ContactSubject, Rag
from tests.front_door.test_screening_helpers import Child, allocate, make_contact, make_person, staff
from tests.support import Factory, sign_in, statements_sent

SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
YESTERDAY = (datetime.now(LONDON).date() - timedelta(days=1)).isoformat()
RATIONALE = "Repeated neglect concerns from school and health; parents not engaging with early help."


def _version(html: str, form_id: str) -> str:
    found = re.search(rf'id="{form_id}".*?name="version" value="(\d+)"', html, re.S)
    assert found, f"no version in {form_id}"
    return found.group(1)


def test_script_in_worry_and_names_is_shown_as_text_on_every_mash_page(
    client: TestClient, database: Database, factory: Factory
) -> None:
    worker, manager = staff(factory)
    person_id = make_person(database, worker, "Zed", "Testchild")
    contact_id = make_contact(
        database,
        worry=f"Worried {SCRIPT} about home",
        children=[Child(f"Ann{SCRIPT}", "Testchild"), Child("Zed", "Testchild", person_id=person_id)],
        adults=[(f"Dad{SCRIPT}", "Testparent")],
    )
    with database.transaction() as s:
        s.get_one(Contact, contact_id).status = ContactStatus.AWAITING_SIGN_OFF
    sign_in(client, manager)
    for url in ("/mash/queue", f"/mash/contacts/{contact_id}", "/mash/sign-off"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert SCRIPT not in page.text, url
    contact_page = client.get(f"/mash/contacts/{contact_id}").text
    assert f"Worried {ESCAPED} about home" in contact_page
    assert f"Ann{ESCAPED}" in contact_page and f"Dad{ESCAPED}" in contact_page
    # Stored exactly as typed.
    with database.transaction() as s:
        assert s.get_one(Contact, contact_id).worry == f"Worried {SCRIPT} about home"


def test_contact_view_is_audited_for_each_linked_child(
    client: TestClient, database: Database, factory: Factory
) -> None:
    worker, _ = staff(factory)
    a = make_person(database, worker, "Amira", "Testchild")
    b = make_person(database, worker, "Bilal", "Testchild", date(2018, 1, 1))
    contact_id = make_contact(database, children=[Child("Amira", person_id=a), Child("Bilal", person_id=b)])
    sign_in(client, worker)
    assert client.get(f"/mash/contacts/{contact_id}").status_code == 200
    with database.transaction() as s:
        views = s.scalars(
            select(AuditEvent.person_id).where(
                AuditEvent.action == "view",
                AuditEvent.target_type == "contact",
                AuditEvent.target_id == str(contact_id),
            )
        ).all()
    assert sorted(views, key=lambda v: v or 0) == [a, b]


def test_screening_to_sign_off_over_http(app: FastAPI, database: Database, factory: Factory) -> None:
    worker, manager = staff(factory)
    contact_id = make_contact(database, children=[Child("Amira", "Testchild", date(2016, 5, 4))])
    person_id = make_person(database, worker, "Amira", "Testchild", date(2016, 5, 4))
    with TestClient(app, follow_redirects=False) as w, TestClient(app, follow_redirects=False) as m:
        token = sign_in(w, worker)
        page = w.get(f"/mash/contacts/{contact_id}")
        assert "Amira Testchild" in page.text and "Link" in page.text
        found = re.search(r'name="subject_id" value="(\d+)"', page.text)
        assert found, "the page offers no child to link"
        subject_id = found.group(1)
        bad = w.post(f"/mash/contacts/{contact_id}/rating", data={"csrf_token": token, "rating": "red"})
        assert bad.status_code == 422 and "Enter the rationale for the rating" in bad.text
        assert (
            w.post(
                f"/mash/contacts/{contact_id}/rating",
                data={"csrf_token": token, "rating": "red", "rating_rationale": "Disclosure of being hit with a belt."},
            ).status_code
            == 303
        )
        assert (
            w.post(
                f"/mash/contacts/{contact_id}/link",
                data={"csrf_token": token, "subject_id": subject_id, "person_id": str(person_id)},
            ).status_code
            == 303
        )
        page = w.get(f"/mash/contacts/{contact_id}?done=linked")
        assert "Child linked to the person record" in page.text
        bad = w.post(
            f"/mash/contacts/{contact_id}/decision",
            data={"csrf_token": token, "version": _version(page.text, "decision-form"), "level_of_need": "4"},
        )
        assert bad.status_code == 422 and "Choose the outcome" in bad.text and "Enter the rationale" in bad.text
        assert (
            w.post(
                f"/mash/contacts/{contact_id}/decision",
                data={
                    "csrf_token": token,
                    "version": _version(page.text, "decision-form"),
                    "level_of_need": "4",
                    "outcome": "strategy_discussion",
                    "rationale": RATIONALE,
                    "primary_need": "N1",
                },
            ).status_code
            == 303
        )
        # The worker has no sign-off form and may not post one.
        page = w.get(f"/mash/contacts/{contact_id}")
        assert 'id="sign-off-form"' not in page.text and "Awaiting sign off" in page.text
        assert (
            w.post(
                f"/mash/contacts/{contact_id}/sign-off", data={"csrf_token": token, "version": "1", "sign_off": "agree"}
            ).status_code
            == 403
        )

        manager_token = sign_in(m, manager)
        listing = m.get("/mash/sign-off")
        assert f"/mash/contacts/{contact_id}" in listing.text
        page = m.get(f"/mash/contacts/{contact_id}")
        done = m.post(
            f"/mash/contacts/{contact_id}/sign-off",
            data={"csrf_token": manager_token, "version": _version(page.text, "sign-off-form"), "sign_off": "agree"},
        )
        assert done.status_code == 303
        page = m.get(done.headers["location"])
        assert "Decision signed off" in page.text and "Signed off by manager" in page.text
    with database.transaction() as s:
        assert s.get_one(Contact, contact_id).status == ContactStatus.DECIDED
        assert s.scalar(select(func.count()).select_from(Referral).where(Referral.person_id == person_id)) == 1


def test_record_a_phone_contact(client: TestClient, database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    token = sign_in(client, worker)
    form = client.get("/mash/contacts/new")
    assert form.status_code == 200 and 'name="subjects.0.first_name"' in form.text
    bad = client.post(
        "/mash/contacts/new",
        data={
            "csrf_token": token,
            "channel": "phone",
            "received_date": YESTERDAY,
            "received_time": "25:99",
            "worry": "",
        },
    )
    assert bad.status_code == 422 and "The time the contact was received must be a real time" in bad.text
    bad = client.post(
        "/mash/contacts/new",
        data={
            "csrf_token": token,
            "channel": "phone",
            "received_date": YESTERDAY,
            "received_time": "09:15",
            "reporter_kind": "public",
            "reporter_name": "A neighbour",
            "referral_source": "1B",
            "worry": "Children left alone overnight again.",
            "consent": "unknown",
        },
    )
    assert bad.status_code == 422 and "Name at least one child" in bad.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 0
    response = client.post(
        "/mash/contacts/new",
        data={
            "csrf_token": token,
            "channel": "phone",
            "received_date": YESTERDAY,
            "received_time": "09:15",
            "reporter_kind": "public",
            "reporter_name": "A neighbour",
            "referral_source": "1B",
            "worry": f"Children left alone overnight again. {SCRIPT}",
            "consent": "unknown",
            "subjects.0.first_name": "Cara",
            "subjects.0.last_name": "Testchild",
            "subjects.0.date_of_birth": "2017-02-03",
            "subjects.4.role": "parent",
            "subjects.4.first_name": "Dee",
            "subjects.4.last_name": "Testparent",
        },
    )
    assert response.status_code == 303, response.text
    contact_id = int(response.headers["location"].rsplit("/", 1)[1])
    with database.transaction() as s:
        contact = s.get_one(Contact, contact_id)
        assert contact.channel == "phone" and contact.submitted_by_id == worker.id
        assert contact.received_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") == f"{YESTERDAY} 09:15"
        assert [(p.role, p.first_name) for p in s.scalars(select(ContactSubject).order_by(ContactSubject.id))] == [
            ("child", "Cara"),
            ("parent", "Dee"),
        ]
    page = client.get(f"/mash/contacts/{contact_id}")
    assert ESCAPED in page.text and SCRIPT not in page.text


def test_recording_a_contact_shows_every_problem_beside_its_box(
    client: TestClient, database: Database, factory: Factory
) -> None:
    worker, _ = staff(factory)
    token = sign_in(client, worker)
    bad = client.post(
        "/mash/contacts/new",
        data={
            "csrf_token": token,
            "channel": "phone",
            "received_date": YESTERDAY,
            "received_time": "25:99",
            "reporter_kind": "public",
            "reporter_name": "A neighbour",
            "referral_source": "1B",
            "worry": "",
            "consent": "unknown",
            "subjects.0.first_name": "Cara",
            "subjects.0.date_of_birth": "2017-02-31",
            "subjects.4.role": "not-a-role",
            "subjects.4.first_name": "Dee",
            "subjects.4.last_name": "Testparent",
        },
    )
    assert bad.status_code == 422
    # The form's own problems and intake's at once, each linked from the summary to its box.
    for box in ("received_time", "subjects.0.date_of_birth", "subjects.4.role", "worry", "subjects.0.last_name"):
        assert f'href="#{box}"' in bad.text, box
    # A time that is not a time is not also reported as a missing date.
    assert 'href="#received_date"' not in bad.text
    assert 'value="Dee"' in bad.text  # what was typed is kept
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 0


def test_my_contacts_acknowledge_and_note(client: TestClient, database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    social_worker = factory.user(Role.SOCIAL_WORKER)
    child_id = make_person(database, worker, f"Eve{SCRIPT}", "Testchild")
    allocate(database, child_id, social_worker)
    contact_id = make_contact(
        database,
        children=[Child(f"Eve{SCRIPT}", "Testchild", person_id=child_id)],
        status=ContactStatus.ROUTED_TO_ALLOCATED_WORKER,
    )
    with database.transaction() as s:
        s.get_one(Contact, contact_id).routed_to_id = social_worker.id
    token = sign_in(client, social_worker)
    listing = client.get("/my-contacts")
    assert listing.status_code == 200 and ">New</strong>" in listing.text
    assert f"Eve{ESCAPED}" in listing.text and SCRIPT not in listing.text
    page = client.get(f"/mash/contacts/{contact_id}")
    assert page.status_code == 200 and "Acknowledge" in page.text and "Record the decision" not in page.text
    assert (
        client.post(
            f"/mash/contacts/{contact_id}/respond",
            data={"csrf_token": token, "respond": "acknowledge", "response": "visit_arranged"},
        ).status_code
        == 303
    )
    empty = client.post(f"/mash/contacts/{contact_id}/respond", data={"csrf_token": token, "respond": "note"})
    assert empty.status_code == 422 and "Enter the note" in empty.text
    assert (
        client.post(
            f"/mash/contacts/{contact_id}/respond",
            data={"csrf_token": token, "respond": "note", "note": "Spoke to mum; visiting tomorrow."},
        ).status_code
        == 303
    )
    page = client.get(f"/mash/contacts/{contact_id}")
    assert "Acknowledged by allocated worker" in page.text and "visiting tomorrow" in page.text
    assert ">New</strong>" not in client.get("/my-contacts").text


def test_partners_and_other_roles_are_refused_the_mash_pages(
    client: TestClient, database: Database, factory: Factory
) -> None:
    agency = factory.agency()
    contact_id = make_contact(database, agency_id=agency.id)
    partner = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    token = sign_in(client, partner)
    for url in (
        "/mash/queue",
        f"/mash/contacts/{contact_id}",
        "/mash/sign-off",
        "/mash/dashboard",
        "/mash/contacts/new",
        "/my-contacts",
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(
            f"/mash/contacts/{contact_id}/rating",
            data={"csrf_token": token, "rating": "red", "rating_rationale": "Trying to rate from outside the MASH."},
        ).status_code
        == 403
    )
    with database.transaction() as s:
        assert s.get_one(Contact, contact_id).rag is None
        refused = s.scalars(select(AuditEvent.action).where(AuditEvent.outcome == "refused")).all()
    assert len(refused) >= 6


def test_queue_page_filters_and_flags_overdue(client: TestClient, database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    now = datetime.now(UTC)
    make_contact(database, rag=Rag.RED, due_at=now - timedelta(days=3), children=[Child("Late", "Testchild")])
    make_contact(database, rag=Rag.GREEN, due_at=now + timedelta(days=3), children=[Child("Fine", "Testchild")])
    sign_in(client, worker)
    page = client.get("/mash/queue")
    assert page.text.index("Late Testchild") < page.text.index("Fine Testchild")
    assert "Overdue by" in page.text
    green = client.get("/mash/queue?rag=green")
    assert "Fine Testchild" in green.text and "Late Testchild" not in green.text
    assert client.get("/mash/queue?rag=purple").status_code == 422


def test_a_contact_about_a_restricted_child_offers_break_glass_not_the_record(
    client: TestClient, database: Database, factory: Factory
) -> None:
    from safeguarding.core.restrictions import PersonRestriction

    worker, manager = staff(factory)
    person_id = make_person(database, manager, "Hidden", "Testchild")
    contact_id = make_contact(
        database,
        children=[Child("Hidden", "Testchild", person_id=person_id)],
        worry="Details only the named staff may read.",
    )
    with database.transaction() as s:
        s.add(PersonRestriction(person_id=person_id, reason="Relative of a member of staff"))
    sign_in(client, worker)
    page = client.get(f"/mash/contacts/{contact_id}")
    assert page.status_code == 403
    assert "Details only the named staff may read." not in page.text
    assert f"/people/{person_id}/break-glass" in page.text
    queue = client.get("/mash/queue")
    assert "Restricted record" in queue.text and "Hidden Testchild" not in queue.text


def _children_with_history(database: Database, factory: Factory, worker: User, count: int, earlier: int) -> list[Child]:
    """``count`` linked children, each with a sister, ``earlier`` decided contacts and a referral each, and an open
    case."""
    from safeguarding.casework import referrals as casework
    from tests.front_door.test_screening_helpers import london, make_siblings

    social_worker = factory.user(Role.SOCIAL_WORKER)
    children = []
    for n in range(count):
        first = f"Child{chr(65 + n)}"
        child_id = make_person(database, worker, first, "Testchild", date(2015, 1, 1 + n))
        sister_id = make_person(database, worker, f"Sister{chr(65 + n)}", "Testchild", date(2012, 1, 1 + n))
        make_siblings(database, child_id, sister_id)
        for k in range(earlier):
            whose = (child_id, first) if k % 2 == 0 else (sister_id, f"Sister{chr(65 + n)}")
            old = make_contact(
                database,
                received_at=london(2025, 1, 1 + k, 10, 0),
                status=ContactStatus.DECIDED,
                children=[Child(whose[1], "Testchild", person_id=whose[0])],
            )
        with database.transaction() as s:
            casework.record_referral(
                s,
                casework.ReferralInput(
                    person_id=child_id,
                    referral_date=date(2025, 2, 1),
                    referral_source="2A",
                    route="referral_for_assessment",
                    contact_id=old,
                ),
            )
        allocate(database, child_id, social_worker)
        children.append(Child(first, "Testchild", date(2015, 1, 1 + n), person_id=child_id))
    return children


def test_contact_page_statements_do_not_grow_with_children_or_their_histories(
    client: TestClient, database: Database, factory: Factory
) -> None:
    """A contact about five children with long histories costs the database no more statements than one about a
    child with a short one: each child's record, siblings, earlier contacts, referrals and open case are read for
    all the children at once. And the page still shows every child's history."""
    worker, _ = staff(factory)
    one = make_contact(database, children=_children_with_history(database, factory, worker, 1, 1))
    five = make_contact(database, children=_children_with_history(database, factory, worker, 5, 6))
    sign_in(client, worker)
    client.get(f"/mash/contacts/{one}")  # the first view of a session may read what later ones find cached
    small, _ = statements_sent(client, f"/mash/contacts/{one}")
    large, html = statements_sent(client, f"/mash/contacts/{five}")
    assert len(large) == len(small), [s for s in large if s not in small]
    for n in range(5):
        assert f"Sister{chr(65 + n)} Testchild" in html and f"Child{chr(65 + n)} Testchild" in html
    assert html.count("Referral: referral for assessment, open") == 5
    assert html.count("Open case: allocated to") == 5
