"""Script and HTML typed into names, worries and notes are stored exactly as typed and shown escaped.

Nothing a user types is ever markup: every page that shows such text must show the characters, not run them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from safeguarding.core.users import Role
from safeguarding.front_door.models import Contact, ContactStatus
from tests.support import build_world, sign_in_as

SCRIPT = '<script>alert("sg")</script>'
IMG = "<img src=x onerror=alert(1)>"
# Short enough for a name field; a tag and an attribute-breaking quote.
NAME_FIRST = "<b>Zed"
NAME_LAST = "O'Brien\"><i>"


def assert_escaped(html: str, typed: str, where: str) -> None:
    assert typed not in html, f"{where} shows {typed!r} unescaped"
    escaped = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Jinja escapes quotes too (&#34; / &#39;); compare with quotes taken out of both sides.
    normalised = re.sub(r"&#3[49];|\"|'", "", html)
    assert re.sub(r"\"|'", "", escaped) in normalised, f"{where} does not show {typed!r} as text"


@pytest.fixture()
def world(factory: Any) -> Any:
    return build_world(factory, child_first=NAME_FIRST, child_last=NAME_LAST, worry=f"Worried. {SCRIPT} {IMG}")


def test_worry_sent_through_the_api_is_stored_as_typed(client: Any, database: Any, world: Any) -> None:
    from safeguarding.core.security import new_token, token_digest
    from safeguarding.core.users import ApiToken

    token = new_token()
    with database.transaction() as s:
        s.add(ApiToken(user_id=world.users[Role.PARTNER_PRACTITIONER.value].id, token_hash=token_digest(token)))
    worry = f"She said: {SCRIPT} & {IMG}"
    response = client.post(
        "/api/v1/contacts",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "worry": worry,
            "consent": "consent_given",
            "subjects": [{"role": "child", "first_name": "Ada", "last_name": "Lovetest"}],
        },
    )
    assert response.status_code == 201, response.text
    with database.transaction() as s:
        stored = s.scalar(select(Contact.worry).where(Contact.id == response.json()["id"]))
    assert stored == worry


# (who looks, the page, the contact's status at the time, whether the page shows the worry itself)
PAGES = [
    ("partner_practitioner", "/portal/contacts/{contact_id}", ContactStatus.AWAITING_SCREENING, True),
    ("partner_practitioner", "/portal", ContactStatus.AWAITING_SCREENING, False),
    ("mash_worker", "/mash/contacts/{contact_id}", ContactStatus.AWAITING_SCREENING, True),
    ("mash_worker", "/mash/queue", ContactStatus.AWAITING_SCREENING, False),
    ("mash_manager", "/mash/sign-off", ContactStatus.AWAITING_SIGN_OFF, False),
    ("social_worker", "/my-contacts", ContactStatus.ROUTED_TO_ALLOCATED_WORKER, False),
    ("social_worker", "/mash/contacts/{contact_id}", ContactStatus.ROUTED_TO_ALLOCATED_WORKER, True),
    ("mash_worker", "/people/{person_id}", ContactStatus.AWAITING_SCREENING, False),
    # The search form echoes the typed name too.
    (
        "mash_worker",
        "/people?first_name=%3Cb%3EZed&last_name=O%27Brien%22%3E%3Ci%3E",
        ContactStatus.AWAITING_SCREENING,
        False,
    ),
]


@pytest.mark.parametrize("principal,path,status,shows_worry", PAGES, ids=[f"{p[0]} {p[1]}" for p in PAGES])
def test_pages_show_typed_markup_as_text(
    client: Any, database: Any, world: Any, principal: str, path: str, status: ContactStatus, shows_worry: bool
) -> None:
    with database.transaction() as s:
        s.get_one(Contact, world.contact.id).status = status
    sign_in_as(client, database, world.users[principal])
    url = path.format(**world.path_ids)
    page = client.get(url)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    html = page.text
    assert SCRIPT not in html and IMG not in html and NAME_FIRST not in html and NAME_LAST not in html
    if shows_worry:
        assert_escaped(html, SCRIPT, url)
        assert_escaped(html, IMG, url)
    assert_escaped(html, NAME_FIRST, url)


def test_screening_notes_typed_in_forms_are_stored_as_typed_and_shown_escaped(
    client: Any, database: Any, world: Any
) -> None:
    from safeguarding.front_door.models import RagRating

    with database.transaction() as s:
        s.get_one(Contact, world.contact.id).status = ContactStatus.AWAITING_SCREENING
    csrf = sign_in_as(client, database, world.users[Role.MASH_WORKER.value])
    rationale = f"Rated amber {SCRIPT} {IMG} & more"
    response = client.post(
        f"/mash/contacts/{world.contact.id}/rating",
        data={"rating": "amber", "rating_rationale": rationale, "csrf_token": csrf},
    )
    assert response.status_code == 303, response.text
    with database.transaction() as s:
        assert s.scalar(select(RagRating.rationale).where(RagRating.contact_id == world.contact.id)) == rationale
    html = client.get(f"/mash/contacts/{world.contact.id}").text
    assert_escaped(html, SCRIPT, "the contact page's rating history")
    assert_escaped(html, IMG, "the contact page's rating history")


def test_check_question_is_shown_escaped_to_the_partner(client: Any, database: Any, world: Any) -> None:
    from safeguarding.front_door.models import PartnerCheck

    question = f"Anything known? {SCRIPT} {IMG}"
    with database.transaction() as s:
        s.get_one(PartnerCheck, world.check.id).question = question
    sign_in_as(client, database, world.users[Role.PARTNER_PRACTITIONER.value])
    page = client.get(f"/portal/checks/{world.check.id}")
    assert page.status_code == 200
    assert_escaped(page.text, SCRIPT, "the portal's check page")
    assert_escaped(page.text, IMG, "the portal's check page")


def test_search_terms_are_shown_escaped_in_the_audit_log(client: Any, database: Any, world: Any) -> None:
    sign_in_as(client, database, world.users[Role.MASH_WORKER.value])
    assert client.get("/people", params={"first_name": SCRIPT, "last_name": "Testchild"}).status_code in (200, 422)
    sign_in_as(client, database, world.users[Role.MASH_MANAGER.value])
    page = client.get("/audit", params={"action": "search"})
    assert page.status_code == 200
    assert SCRIPT not in page.text
    assert "&lt;script&gt;" in page.text, "the audited search terms are not on the audit page"
