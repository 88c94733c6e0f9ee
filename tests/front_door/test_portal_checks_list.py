"""The partner's list of checks on the portal's home page (issue 14): waiting checks the most urgent first (then the
newest), paged, and filtered by status or shown newest first; a status it does not know is refused plainly."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.front_door.models import CheckConsent, CheckStatus, LawfulBasis, PartnerCheck
from tests.front_door.test_screening_helpers import make_contact, staff
from tests.support import Factory, sign_in_as

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _checks(database: Database, factory: Factory) -> tuple[int, dict[str, int]]:
    """25 waiting checks (due one hour apart, the latest asked first) and 3 answered, for one agency; one waiting check
    for another agency."""
    worker, _ = staff(factory)
    agency, other = factory.agency(), factory.agency()
    contact_id = make_contact(database, agency_id=agency.id)
    ids: dict[str, int] = {}
    with database.transaction() as s:
        for n in range(25):
            check = PartnerCheck(
                contact_id=contact_id,
                agency_id=agency.id,
                question=f"Question {n}",
                lawful_basis=LawfulBasis.PUBLIC_TASK,
                consent=CheckConsent.NOT_SOUGHT,
                consent_reason="Telling the family would put the child at risk.",
                requested_by_id=worker.id,
                requested_at=START - timedelta(minutes=n),
                due_at=START + timedelta(hours=n),
                status=CheckStatus.REQUESTED,
            )
            s.add(check)
            s.flush()
            ids[f"waiting{n}"] = check.id
        for n in range(3):
            check = PartnerCheck(
                contact_id=contact_id,
                agency_id=agency.id,
                question=f"Answered {n}",
                lawful_basis=LawfulBasis.PUBLIC_TASK,
                consent=CheckConsent.OBTAINED,
                requested_by_id=worker.id,
                requested_at=START + timedelta(days=1, minutes=n),
                due_at=START + timedelta(days=2),
                status=CheckStatus.ANSWERED,
                response="Known to us.",
                responded_at=START + timedelta(days=1, hours=1),
            )
            s.add(check)
            s.flush()
            ids[f"answered{n}"] = check.id
        s.add(
            PartnerCheck(
                contact_id=contact_id,
                agency_id=other.id,
                question="Another agency's",
                lawful_basis=LawfulBasis.PUBLIC_TASK,
                consent=CheckConsent.OBTAINED,
                requested_by_id=worker.id,
                due_at=START,
                status=CheckStatus.REQUESTED,
            )
        )
    partner = factory.user(Role.PARTNER_PRACTITIONER, agency_id=agency.id)
    return partner.id, ids


def _listed(html: str) -> list[int]:
    table = html.split('id="checks-table"', 1)[1].split("</table>", 1)[0] if 'id="checks-table"' in html else ""
    return [int(n) for n in re.findall(r'data-check="(\d+)"', table)]


def test_waiting_checks_are_listed_most_urgent_first_a_page_at_a_time(
    client: TestClient, database: Database, factory: Factory
) -> None:
    partner_id, ids = _checks(database, factory)
    with database.transaction() as s:
        partner = s.get_one(User, partner_id)
    sign_in_as(client, database, partner)
    first = client.get("/portal")
    assert first.status_code == 200 and "25 checks." in first.text
    assert _listed(first.text) == [ids[f"waiting{n}"] for n in range(20)]
    assert "Page 1 of 2" in first.text
    second = client.get("/portal?checks=waiting&check_order=urgent&check_page=2")
    assert _listed(second.text) == [ids[f"waiting{n}"] for n in range(20, 25)]
    # Newest first: the answered checks were asked last.
    newest = client.get("/portal?checks=all&check_order=newest")
    assert "28 checks." in newest.text
    assert _listed(newest.text)[:3] == [ids["answered2"], ids["answered1"], ids["answered0"]]
    answered = client.get("/portal?checks=answered")
    # One answer-by date for all three: the newest first among them.
    assert _listed(answered.text) == [ids["answered2"], ids["answered1"], ids["answered0"]]
    assert "Another agency" not in client.get("/portal?checks=all").text


def test_a_filter_the_list_does_not_know_is_refused_plainly(
    client: TestClient, database: Database, factory: Factory
) -> None:
    partner_id, _ids = _checks(database, factory)
    with database.transaction() as s:
        partner = s.get_one(User, partner_id)
    sign_in_as(client, database, partner)
    page = client.get("/portal?checks=everything&check_order=sideways")
    assert page.status_code == 422
    assert "Choose which checks to show from the list" in page.text and 'href="#checks"' in page.text
    assert "25 checks." in page.text  # the waiting list is still shown
