"""Workforce: the DfE definitions (Children's social work workforce) as pure functions, the measures and caseloads
counted by hand on a small council, and the administrators' contract and vacancy forms (bad input named, nothing
half-written)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from safeguarding.casework.models import Allocation
from safeguarding.core.users import Role, User
from safeguarding.insight import workforce
from safeguarding.insight.models import Vacancy, WorkerContract
from safeguarding.people.models import Person, PersonKind
from tests.support import sign_in_as

ON = date(2025, 9, 30)
fte = st.floats(min_value=0, max_value=10_000, allow_nan=False)


@given(fte, fte)
def test_rates_are_shares_and_empty_bases_give_no_figure(part: float, in_post: float) -> None:
    for rate in (workforce.agency_rate(part, in_post), workforce.vacancy_rate(part, in_post)):
        if part + in_post == 0:
            assert rate is None
        else:
            assert rate is not None and 0 <= rate <= 1
    assert (workforce.turnover_rate(part, in_post) is None) == (in_post == 0)


def test_the_definitions_reproduce_the_published_national_figures() -> None:
    # DfE Children's social work workforce 2025: 36,186 FTE in post, 5,416 agency, 5,965 vacancies, 4,276 leavers,
    # 321,661 cases held by 21,105 case-holding FTE.
    assert round(workforce.agency_rate(5_416, 36_186) or 0, 3) == 0.130
    assert round(workforce.vacancy_rate(5_965, 36_186) or 0, 3) == 0.142
    assert round(workforce.turnover_rate(4_276, 36_186) or 0, 3) == 0.118
    assert round(workforce.caseload_per_fte(321_661, 21_105) or 0, 1) == 15.2


def _council(factory: Any) -> dict[str, User]:
    team = factory.team("Locality team", service="children_in_need")
    staff = {
        name: factory.user(Role.SOCIAL_WORKER, username=name, team_id=team.id)
        for name in ("ash", "bea", "cal", "dee", "eli")
    }
    admin = factory.user(Role.ADMINISTRATOR, username="admin.one")
    analyst = factory.user(Role.PERFORMANCE_ANALYST, username="ana.workforce")
    with factory.database.transaction() as s:

        def contract(
            name: str, kind: str, started: date, fte: float, *, left: date | None = None, holds: bool = True
        ) -> None:
            s.add(
                WorkerContract(
                    user_id=staff[name].id,
                    employment_type=kind,
                    job_title="Social worker",
                    agency_name="Synthetic Locums" if kind != "permanent" else None,
                    started_on=started,
                    left_on=left,
                    fte=fte,
                    case_holding=holds,
                )
            )

        contract("ash", "permanent", date(2020, 1, 6), 1.0)
        contract("bea", "permanent", date(2024, 1, 1), 0.5)
        contract("cal", "permanent", date(2019, 1, 1), 1.0, left=date(2025, 3, 31))
        contract("dee", "agency", date(2025, 6, 1), 1.0)
        contract("eli", "permanent", date(2018, 1, 1), 1.0, holds=False)
        s.add_all(
            [
                Vacancy(title="Social worker", team_id=team.id, fte=1.0, opened_on=date(2025, 4, 1)),
                Vacancy(
                    title="Social worker",
                    team_id=team.id,
                    fte=0.5,
                    opened_on=date(2025, 1, 1),
                    filled_on=date(2025, 5, 1),
                ),
            ]
        )
        for name, children in (("ash", 6), ("bea", 3), ("dee", 4)):
            for n in range(children):
                child = Person(kind=PersonKind.CHILD, first_name=f"Child{n}", last_name=f"Of{name}")
                s.add(child)
                s.flush()
                s.add(
                    Allocation(
                        person_id=child.id,
                        worker_id=staff[name].id,
                        team_id=team.id,
                        started_at=datetime(2025, 9, 1, 9, tzinfo=UTC),
                    )
                )
    return {**staff, "admin": admin, "analyst": analyst}


def test_measures_as_counted_by_hand(database: Any, factory: Any) -> None:
    _council(factory)
    with database.transaction() as s:
        picture = workforce.measures_on(s, ON)
    m = {x.key: x for x in picture.measures}
    # In post: ash 1.0 + bea 0.5 + eli 1.0 = 2.5 (cal left in March; dee is agency).
    assert m["agency_rate"].shown == "28.6%"  # 1.0 / (1.0 + 2.5)
    assert m["turnover_rate"].shown == "40.0%"  # cal's 1.0 / 2.5
    assert m["vacancy_rate"].shown == "28.6%"  # 1.0 open / (1.0 + 2.5); the 0.5 post was filled in May
    assert m["caseload"].shown == "6.0"  # ash 6 + bea 3 children / 1.5 case-holding FTE (dee is agency)
    assert m["caseload"].national is not None and m["caseload"].national.shown == "15.2"
    workers = {w.name: w for w in picture.workers}
    assert workers["Test Social worker"].children in (6, 3, 4)
    assert sorted(w.children for w in picture.workers) == [3, 4, 6]  # eli holds no cases, cal has left
    (team,) = picture.teams
    assert team.children == 13 and team.fte == 2.5 and round(team.per_fte or 0, 1) == 5.2


def test_administrators_add_contracts_and_bad_input_is_named(app: Any, database: Any, factory: Any) -> None:
    people = _council(factory)
    client = TestClient(app)
    csrf = sign_in_as(client, database, people["admin"])
    with database.transaction() as s:
        before = s.scalar(select(func.count()).select_from(WorkerContract))
    bad = client.post(
        "/returns/workforce/contracts",
        data={
            "csrf_token": csrf,
            "user_id": str(people["ash"].id),
            "employment_type": "agency",
            "job_title": "x" * 201,
            "fte": "1.5",
            "started_on": "2025-02-30",
        },
    )
    assert bad.status_code == 422
    for message in (
        "Enter the agency",
        "The job title must be 200 characters or fewer",
        "The FTE must be more than 0 and at most 1",
        "The start date must be a real date",
        "Select yes if the post holds cases, or no",  # asked, never assumed: it counts in the caseloads
    ):
        assert message in bad.text
    overlap = client.post(
        "/returns/workforce/contracts",
        data={
            "csrf_token": csrf,
            "user_id": str(people["ash"].id),
            "employment_type": "permanent",
            "job_title": "Senior social worker",
            "fte": "1",
            "started_on": "2025-10-01",
            "case_holding": "yes",
        },
    )
    assert overlap.status_code == 422 and "already has a contract from 6 January 2020" in overlap.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(WorkerContract)) == before
    ended = client.post(
        f"/returns/workforce/contracts/{_contract_of(database, people['ash'])}/end",
        data={"csrf_token": csrf, "left_on": "2025-10-31"},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    ok = client.post(
        "/returns/workforce/contracts",
        data={
            "csrf_token": csrf,
            "user_id": str(people["ash"].id),
            "employment_type": "permanent",
            "job_title": "Senior social worker",
            "fte": "0.8",
            "started_on": "2025-11-01",
            "case_holding": "yes",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    vacancy = client.post(
        "/returns/workforce/vacancies", data={"csrf_token": csrf, "title": "Team manager", "fte": "0", "opened_on": ""}
    )
    assert vacancy.status_code == 422 and "Enter the date the post fell vacant" in vacancy.text
    page = client.get("/returns/workforce/contracts")
    assert "Senior social worker" in page.text and "31 October 2025" in page.text


def _contract_of(database: Any, user: User) -> int:
    with database.transaction() as s:
        return int(s.scalars(select(WorkerContract.id).where(WorkerContract.user_id == user.id)).one())


def test_the_page_shows_measures_beside_england_and_analysts_cannot_edit(app: Any, database: Any, factory: Any) -> None:
    people = _council(factory)
    client = TestClient(app)
    csrf = sign_in_as(client, database, people["analyst"])
    page = client.get("/returns/workforce", params={"on": "2025-09-30"})
    assert page.status_code == 200
    assert 'data-measure="vacancy_rate"' in page.text and "14.2%" in page.text and "28.6%" in page.text
    assert "at 30 September 2025" in page.text
    assert client.get("/returns/workforce", params={"on": "yesterday"}).status_code == 422
    contracts = client.get("/returns/workforce/contracts")
    assert "Add a contract" not in contracts.text and "Administrators enter contracts" in contracts.text
    refused = client.post(
        "/returns/workforce/vacancies",
        data={"csrf_token": csrf, "title": "Post", "fte": "1", "opened_on": "2025-01-01"},
    )
    assert refused.status_code == 403
