"""The demo council's workforce and improvement plan: a stage of ``demo.council.build_council``.

Every member of staff who works with children gets a contract: mostly permanent, about one in seven agency (a few
in a project team), mostly full time; a handful of former social workers (accounts no longer active) left in the
last year, so turnover has leavers; each children's team has a vacancy or two, some filled in the year. The
improvement plan holds the findings of a synthetic monitoring visit four months ago, each with actions (some done,
some overdue) and the indicators that show progress. Deterministic from ``builder.seed`` with this stage's own
``random.Random``.

It also says where the council's postcode districts lie (NB1 to NB9, the council's own, within a few miles of each
other; ZZ1 to ZZ9, a neighbouring council's, 25 to 60 miles away: the children in care's placements there are "more
than 20 miles from home" and "out of the council's area"), and the council's child population for the rates per
10,000 children: synthetic, as every figure of the demo council.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, func, select

from safeguarding.core.calendar import LONDON, add_calendar_months
from safeguarding.core.local_settings import LocalSetting
from safeguarding.core.users import Role, User
from safeguarding.demo import names
from safeguarding.demo.identifiers import DEMO_LA_CODE
from safeguarding.insight.models import ImprovementAction, ImprovementItem, PostcodeDistrict, Vacancy, WorkerContract
from safeguarding.people.models import Person, PersonKind


def _t(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


TABLES: list[Table] = [_t(m) for m in (Vacancy, WorkerContract, ImprovementItem, ImprovementAction, PostcodeDistrict)]
NEIGHBOUR_LA_CODE = 937  # the synthetic neighbouring council where the ZZ districts lie
# The area's children for every child the demo council knows of: about one child in seven is referred to children's
# social care at some time before 18, so the demo council's area has about seven children for each it knows.
CHILDREN_PER_CHILD_KNOWN = 7
CASE_WORKING = (
    Role.SOCIAL_WORKER,
    Role.TEAM_MANAGER,
    Role.EXPLOITATION_PRACTITIONER,
    Role.MASH_WORKER,
    Role.MASH_MANAGER,
)
AGENCIES = ("Northbridge Locum Partners", "Synthetic Social Care Recruitment", "Example Interim Services")

# A synthetic monitoring visit: (kind, text, indicator keys, actions (description, owner, due in months, done?)).
FINDINGS: tuple[tuple[str, str, tuple[str, ...], tuple[tuple[str, str, int, bool], ...]], ...] = (
    (
        "priority_action",
        "Too many children wait too long for an allocated social worker after referral, and "
        "some assessments are not completed in a timescale that meets their needs.",
        ("unallocated", "assessments_45"),
        (
            ("Daily allocation meeting chaired by a service manager", "Head of service", 1, True),
            ("Recruit to the vacant assessment team posts", "Workforce lead", 3, False),
            ("Weekly oversight of assessments past 35 working days", "Assessment team managers", 2, True),
        ),
    ),
    (
        "recommendation",
        "Strengthen the timeliness of initial child protection conferences and the consistency "
        "of visits to children subject to a plan.",
        ("icpc_15", "visits_in_time"),
        (
            (
                "Conference booking within two working days of the strategy discussion",
                "Safeguarding unit manager",
                1,
                True,
            ),
            ("Visit compliance reviewed in every supervision", "Team managers", 2, False),
        ),
    ),
    (
        "finding",
        "Repeat referrals show that help offered after some assessments does not last.",
        ("re_referrals", "second_cp_plans"),
        (("Audit of twenty re-referred children with partners", "Principal social worker", 4, False),),
    ),
)


def _places(builder: Any, writer: Any, rng: random.Random) -> int:
    """Where the demo's postcode districts lie, and the council's child population (local settings)."""
    source = "Synthetic: the demo council's districts (not a real place)"
    centre = (430_000, 433_000)
    for n in range(1, 10):
        writer.add(
            _t(PostcodeDistrict),
            {
                "district": f"NB{n}",
                "easting": centre[0] + rng.randint(-6_000, 6_000),
                "northing": centre[1] + rng.randint(-6_000, 6_000),
                "la_code": int(DEMO_LA_CODE),
                "source": source,
            },
        )
        writer.add(
            _t(PostcodeDistrict),
            {
                "district": f"ZZ{n}",
                "easting": centre[0] + rng.randint(-20_000, 20_000),
                "northing": centre[1] - rng.randint(42_000, 95_000),
                "la_code": NEIGHBOUR_LA_CODE,
                "source": source,
            },
        )
    known = writer.connection.execute(
        select(func.count()).select_from(_t(Person)).where(_t(Person).c.kind == PersonKind.CHILD.value)
    ).scalar_one()
    for key, value in (
        ("population.children_under_18", int(known) * CHILDREN_PER_CHILD_KNOWN),
        ("population.source", "Synthetic: the demo council's area"),
    ):
        writer.add(
            _t(LocalSetting),
            {"key": key, "value_json": json.dumps(value), "updated_at": builder.now, "updated_by_id": None},
        )
    return 18


def build(builder: Any, writer: Any) -> dict[str, int]:
    """Add contracts, vacancies and the improvement plan to the council being built."""
    rng = random.Random(f"insight-{builder.seed}")
    today = builder.now.astimezone(LONDON).date()
    created = builder.now  # the reference moment: the same seed gives the same rows
    contract_table, vacancy_table = _t(WorkerContract), _t(Vacancy)
    item_table, action_table = _t(ImprovementItem), _t(ImprovementAction)
    users = _t(User)
    staff = list(
        writer.connection.execute(
            select(users.c.id, users.c.role, users.c.team_id, users.c.password_hash)
            .where(users.c.role.in_([r.value for r in CASE_WORKING]))
            .order_by(users.c.id)
        )
    )
    # A former worker's manager was their team's: the manager of a colleague still in the team.
    team_manager: dict[int, int] = {
        team_id: manager_id
        for team_id, manager_id in writer.connection.execute(
            select(users.c.team_id, users.c.manager_id)
            .where(users.c.role == Role.SOCIAL_WORKER.value, users.c.manager_id.is_not(None))
            .order_by(users.c.id)
        )
    }
    stats = {"contracts": 0, "agency": 0, "leavers": 0, "vacancies": 0, "improvement_items": 0}
    stats["postcode_districts"] = _places(builder, writer, rng)

    def contract(
        user_id: int,
        role: str,
        started: date,
        *,
        left: date | None = None,
        kind: str | None = None,
        holds: bool | None = None,
    ) -> None:
        if kind is None:
            draw = rng.random()
            kind = "permanent" if draw < 0.86 else ("agency" if draw < 0.97 else "project_team")
        fte = 1.0 if rng.random() < 0.8 else rng.choice((0.8, 0.6, 0.5))
        writer.add(
            contract_table,
            {
                "id": writer.new_id(contract_table),
                "user_id": user_id,
                "employment_type": kind,
                "agency_name": rng.choice(AGENCIES) if kind != "permanent" else None,
                "job_title": {
                    "social_worker": "Social worker",
                    "team_manager": "Team manager",
                    "exploitation_practitioner": "Exploitation practitioner",
                    "mash_worker": "MASH social worker",
                    "mash_manager": "MASH manager",
                }.get(role, "Social worker"),
                "started_on": started,
                "left_on": left,
                "fte": fte,
                "case_holding": holds if holds is not None else role in ("social_worker", "exploitation_practitioner"),
                "covers_vacancy_id": None,
                "version": 1,
                "created_at": created,
            },
        )
        stats["contracts"] += 1
        stats["agency"] += kind != "permanent"

    for user_id, role, _team_id, _hash in staff:
        years = rng.randint(0, 9)
        started = today - timedelta(days=365 * years + rng.randint(20, 360))
        contract(user_id, role, started)

    # Former social workers: accounts no longer active, whose permanent contracts ended in the last year.
    teams = [team_id for team_id, members in builder.team_members.items() if members]
    locked = next((h for _i, r, _t2, h in staff if r == Role.SOCIAL_WORKER.value), None)
    leavers = max(1, len(teams)) + builder.size.people // 4000
    for n in range(leavers if teams and locked else 0):
        user_id = writer.new_id(users)
        first, last = rng.choice(names.WOMEN + names.MEN), rng.choice(names.SURNAMES)
        team_id = rng.choice(teams)
        writer.add(
            users,
            {
                "id": user_id,
                "username": f"former.{n + 1}",
                "full_name": f"{first} {last}",
                "email": None,
                "role": Role.SOCIAL_WORKER.value,
                "team_id": team_id,
                "agency_id": None,
                "manager_id": team_manager.get(team_id) or next(iter(team_manager.values()), None),
                "password_hash": locked,
                "totp_secret": None,
                "failed_sign_ins": 0,
                "active": False,
                "created_at": created,
            },
        )
        left = today - timedelta(days=rng.randint(10, 350))
        contract(
            user_id,
            Role.SOCIAL_WORKER.value,
            left - timedelta(days=rng.randint(200, 2000)),
            left=left,
            kind="permanent",
            holds=True,
        )
        stats["leavers"] += 1

    for team_id in teams:
        for _ in range(rng.choice((1, 1, 2))):
            writer.add(
                vacancy_table,
                {
                    "id": writer.new_id(vacancy_table),
                    "team_id": team_id,
                    "title": "Social worker",
                    "fte": 1.0,
                    "opened_on": today - timedelta(days=rng.randint(20, 200)),
                    "filled_on": None,
                    "version": 1,
                    "created_at": created,
                },
            )
            stats["vacancies"] += 1
        opened = today - timedelta(days=rng.randint(200, 330))
        writer.add(
            vacancy_table,
            {
                "id": writer.new_id(vacancy_table),
                "team_id": team_id,
                "title": "Senior social worker",
                "fte": 1.0,
                "opened_on": opened,
                "filled_on": opened + timedelta(days=rng.randint(30, 120)),
                "version": 1,
                "created_at": created,
            },
        )
        stats["vacancies"] += 1

    letter = add_calendar_months(today, -4)
    for kind, text, keys, actions in FINDINGS:
        item_id = writer.new_id(item_table)
        writer.add(
            item_table,
            {
                "id": item_id,
                "kind": kind,
                "source": "Ofsted monitoring visit letter",
                "reported_on": letter,
                "text": text,
                "indicators": list(keys),
                "recorded_by_id": None,
                "version": 1,
                "created_at": created,
            },
        )
        for description, owner, months, done in actions:
            due = add_calendar_months(letter, months)
            writer.add(
                action_table,
                {
                    "id": writer.new_id(action_table),
                    "item_id": item_id,
                    "description": description,
                    "owner": owner,
                    "due_on": due,
                    "done_on": min(due, today) - timedelta(days=rng.randint(0, 10)) if done else None,
                    "version": 1,
                    "created_at": created,
                },
            )
        stats["improvement_items"] += 1
    return {f"insight_{k}": v for k, v in stats.items()}
