"""The family network through the pages: an FGDM offer in the letter before proceedings, the family network meeting
and its plan, pre-proceedings started and carried on to the court application, a kinship arrangement with support
from the council's local offer; the multi-agency child protection team on the section 47 enquiry, the case page and
the s47 page. Nothing answered by default, refusals name the field in field order, bad input never gives a 500, a
second editor keeps what they typed, and only those who may change the case record on it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core import local_settings
from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import long_date
from safeguarding.family_network.models import PreProceedings
from tests.family_network.conftest import Family, add_adult
from tests.support import sign_in


def boxes(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def post(client: TestClient, csrf: str, url: str, form: dict[str, str]) -> Any:
    return client.post(url, data={**form, "csrf_token": csrf}, follow_redirects=False)


def test_fgdm_offer_meeting_and_pre_proceedings_to_court(client: TestClient, family: Family) -> None:
    csrf = sign_in(client, family.worker)
    child = family.child_id
    base = f"/cases/{child}"
    assert "Family network, pre-proceedings and kinship" in client.get(base).text
    decided = family.referral_date + timedelta(days=30)
    letter = decided + timedelta(days=7)

    form = client.get(f"{base}/pre-proceedings/new")
    assert form.status_code == 200 and "checked" not in form.text  # the outcome is not answered in advance
    answer = post(client, csrf, f"{base}/pre-proceedings/new", {**boxes("decided_on", decided)})
    assert answer.status_code == 303, answer.text

    offer = client.get(f"{base}/family-network/offers/new")
    assert offer.status_code == 200 and "checked" not in offer.text
    answer = post(
        client,
        csrf,
        f"{base}/family-network/offers/new",
        {
            **boxes("offered_on", letter),
            "offered_to": "Mother and father",
            "in_letter_before_proceedings": "yes",
            "response": "accepted",
        },
    )
    assert answer.status_code == 303, answer.text
    meeting_on = letter + timedelta(days=6)
    answer = post(
        client,
        csrf,
        f"{base}/family-network/meetings/new",
        {
            **boxes("held_on", meeting_on),
            "who_came": "Mother; maternal grandmother; aunt",
            "family_plan": "Grandmother to collect the children from school every day",
        },
    )
    assert answer.status_code == 303, answer.text

    with family.database.transaction() as s:
        pp = s.scalars(select(PreProceedings).where(PreProceedings.person_id == child)).one()
        pp_id, version = pp.id, pp.version
    step = letter + timedelta(days=50)
    answer = post(
        client,
        csrf,
        f"{base}/pre-proceedings/{pp_id}/edit",
        {
            "version": str(version),
            **boxes("decided_on", decided),
            **boxes("letter_sent_on", letter),
            **boxes("first_meeting_on", letter + timedelta(days=10)),
            "review_meetings": "1",
            **boxes("step_decided_on", step),
            "outcome": "proceedings",
            **boxes("court_application_on", step + timedelta(days=5)),
        },
    )
    assert answer.status_code == 303, answer.text
    page = client.get(f"{base}/family-network").text
    assert "Mother and father" in page and "Grandmother to collect the children" in page
    assert "Stepped up: the council is applying to court" in page
    assert long_date(step + timedelta(days=5)) in page  # dates read "3 November 2026"


def test_the_forms_refuse_in_field_order_naming_the_field(client: TestClient, family: Family) -> None:
    csrf = sign_in(client, family.worker)
    base = f"/cases/{family.child_id}"
    refused = post(client, csrf, f"{base}/family-network/offers/new", {"response": "declined"})
    assert refused.status_code == 422
    summary = refused.text.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    order = ["Enter the date of the offer", "Enter who the meeting was offered to", "Select yes if the offer was made"]
    positions = [summary.index(words) for words in order]
    assert positions == sorted(positions)
    assert "Enter why the family declined" in summary

    decided = family.referral_date + timedelta(days=10)
    refused = post(
        client,
        csrf,
        f"{base}/pre-proceedings/new",
        {**boxes("decided_on", decided), **boxes("first_meeting_on", decided + timedelta(days=3))},
    )
    assert refused.status_code == 422
    assert "Enter the date the letter before proceedings was sent" in refused.text
    assert "Enter how many review meetings" in refused.text
    before = post(
        client, csrf, f"{base}/pre-proceedings/new", {**boxes("decided_on", family.referral_date - timedelta(days=1))}
    )
    assert before.status_code == 422 and f"on or after the referral of {long_date(family.referral_date)}" in before.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("offered_to", "x" * 501, "500 characters or fewer"),
        ("offered_to", "Mother\x00", "control character"),
        ("offered_on-year", "20266", "Date of the offer"),
        ("offered_on-month", "13", "Date of the offer"),
    ],
)
def test_bad_input_is_refused_not_a_500(
    client: TestClient, family: Family, field: str, value: str, message: str
) -> None:
    csrf = sign_in(client, family.worker)
    form = {
        **boxes("offered_on", today_in_london()),
        "offered_to": "Mother",
        "in_letter_before_proceedings": "no",
        "response": "awaiting",
        field: value,
    }
    refused = post(client, csrf, f"/cases/{family.child_id}/family-network/offers/new", form)
    assert refused.status_code == 422, refused.text
    assert message.lower() in refused.text.lower()


def test_script_in_a_carers_name_is_shown_as_text(client: TestClient, family: Family) -> None:
    carer = add_adult(family.database, "<script>alert(1)</script>", "Kin")
    csrf = sign_in(client, family.worker)
    base = f"/cases/{family.child_id}"
    answer = post(
        client,
        csrf,
        f"{base}/kinship/new",
        {
            "carer_person_id": str(carer),
            "carer_relationship": "Aunt",
            "kind": "sgo",
            **boxes("started_on", today_in_london() - timedelta(days=10)),
        },
    )
    assert answer.status_code == 303, answer.text
    page = client.get(f"{base}/family-network").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Special guardianship order" in page


def test_kinship_support_comes_from_the_councils_local_offer(client: TestClient, family: Family) -> None:
    with family.database.transaction() as s:
        local_settings.put(s, "kinship.local_offer", "Weekly allowance\nCarers' support group", None)
    pat, pat_smith, patricia = (add_adult(family.database, "Pat", last) for last in ("Kin", "Kin-Smith", "Kinney"))
    csrf = sign_in(client, family.worker)
    base = f"/cases/{family.child_id}"
    started = today_in_london() - timedelta(days=30)
    post(
        client,
        csrf,
        f"{base}/kinship/new",
        {
            "carer_person_id": str(pat),
            "carer_relationship": "Grandmother",
            "kind": "informal",
            **boxes("started_on", started),
        },
    )
    with family.database.transaction() as s:
        from safeguarding.family_network.models import KinshipArrangement

        arrangement = s.scalars(select(KinshipArrangement)).one()
        arrangement_id, version = arrangement.id, arrangement.version
    support_url = f"{base}/kinship/{arrangement_id}/support/new"
    form = client.get(support_url)
    assert "Weekly allowance" in form.text and "Carers&#39; support group" in form.text and "checked" not in form.text
    refused = post(
        client, csrf, support_url, {"item": "Free holiday", **boxes("offered_on", started), "taken_up": "yes"}
    )
    assert refused.status_code == 422 and "Select what was offered from the kinship local offer" in refused.text
    early = post(
        client,
        csrf,
        support_url,
        {"item": "Weekly allowance", **boxes("offered_on", started - timedelta(days=1)), "taken_up": "yes"},
    )
    assert early.status_code == 422 and "on or after the arrangement started" in early.text
    saved = post(
        client, csrf, support_url, {"item": "Weekly allowance", **boxes("offered_on", started), "taken_up": "yes"}
    )
    assert saved.status_code == 303
    assert "Weekly allowance" in client.get(f"{base}/family-network").text

    # A second editor of the arrangement is told, and keeps what they typed.
    edit = f"{base}/kinship/{arrangement_id}/edit"
    common = {"carer_relationship": "Grandmother", "kind": "informal", **boxes("started_on", started)}
    first = post(client, csrf, edit, {"version": str(version), "carer_person_id": str(pat_smith), **common})
    assert first.status_code == 303
    second = post(client, csrf, edit, {"version": str(version), "carer_person_id": str(patricia), **common})
    assert second.status_code == 409
    assert "Pat Kinney" in second.text and "Pat Kin-Smith" in second.text


def test_only_those_who_may_change_the_case_record_on_it(client: TestClient, family: Family) -> None:
    base = f"/cases/{family.child_id}"
    csrf = sign_in(client, family.other_worker)  # a social worker the child is not allocated to
    refused = post(client, csrf, f"{base}/kinship/new", {"carer_relationship": "X"})
    assert refused.status_code == 403
    assert client.get(f"{base}/family-network").status_code == 200  # they may read the case
    client.cookies.clear()
    csrf = sign_in(client, family.partner)
    assert client.get(f"{base}/family-network").status_code == 403
    assert client.get(f"{base}/section-47s/{family.section47_id}/team").status_code == 403
    with family.database.transaction() as s:
        refusals = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
        assert len(refusals) >= 3


def test_the_child_protection_team_on_the_enquiry_the_case_and_the_s47_page(client: TestClient, family: Family) -> None:
    csrf = sign_in(client, family.worker)
    team = f"/cases/{family.child_id}/section-47s/{family.section47_id}/team"
    form = client.get(f"{team}/new")
    assert form.status_code == 200 and "checked" not in form.text
    joined = family.referral_date + timedelta(days=1)
    police = {
        "name": "DC Lee Synthetic",
        "agency": "police",
        "role": "Detective constable",
        **boxes("joined_on", joined),
    }
    refused = post(client, csrf, f"{team}/new", {**police, "is_lead": "yes"})
    assert refused.status_code == 422 and "lead child protection practitioner is a social worker" in refused.text
    assert post(client, csrf, f"{team}/new", {**police, "is_lead": "no"}).status_code == 303
    lead = {"name": "Alex Leadworker", "agency": "social_care", "role": "Senior social worker", "is_lead": "yes"}
    assert post(client, csrf, f"{team}/new", {**lead, **boxes("joined_on", joined)}).status_code == 303
    second = post(client, csrf, f"{team}/new", {**lead, "name": "Sam Other", **boxes("joined_on", joined)})
    assert second.status_code == 422 and "Alex Leadworker is the lead child protection practitioner" in second.text
    before = post(
        client,
        csrf,
        f"{team}/new",
        {**police, "is_lead": "no", **boxes("joined_on", family.referral_date - timedelta(days=2))},
    )
    assert before.status_code == 422 and "on or after the enquiry started" in before.text

    page = client.get(team).text
    assert "Alex Leadworker" in page and "Health, Education" in page  # the agencies still missing
    case = client.get(f"/cases/{family.child_id}").text
    assert "Alex Leadworker (Children&#39;s social care, lead child protection practitioner)" in case
    assert "DC Lee Synthetic (Police)" in case
    s47 = client.get(f"/cases/{family.child_id}/section-47s/{family.section47_id}/edit").text
    assert "Multi-agency child protection team" in s47 and "lead child protection practitioner" in s47
    with family.database.transaction() as s:
        created = s.scalars(
            select(AuditEvent).where(AuditEvent.target_type == "protection_team_member", AuditEvent.action == "create")
        ).all()
        assert len(created) == 2 and json.loads(created[-1].detail or "{}")["lead"] is True
