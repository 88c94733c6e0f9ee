"""Workforce: contracts and vacancies, the DfE workforce measures beside the national figures, caseloads.

Definitions (DfE "Children's social work workforce"; all in FTE):

- social workers in post: LA-employed (permanent) contracts in force on the day;
- turnover rate = leavers in the 12 months to the day / social workers in post;
- agency worker rate = agency workers / (agency workers + social workers in post) (project teams count as agency);
- vacancy rate = vacancies / (vacancies + social workers in post);
- average caseload per case-holding FTE = cases held by LA-employed case-holding workers / their FTE (a case is a
  child allocated to the worker on the day).

The DfE reads them at 30 September; the page reads them on any day (by default today). Administrators enter
contracts and vacancies (core/access.py WORKFORCE UPDATE); analysts and team managers read the measures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safeguarding.casework.models import Allocation
from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import add_calendar_months
from safeguarding.core.db import Database
from safeguarding.core.errors import Conflict, NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.users import Role, Team, User
from safeguarding.insight.models import Vacancy, WorkerContract
from safeguarding.insight.national_figures import NationalFigure, figure
from safeguarding.insight.period import Period
from safeguarding.web.forms import PostedForm

EMPLOYMENT_TYPES: Final = MappingProxyType(
    {
        "permanent": "Permanent (employed by the council)",
        "agency": "Agency",
        "project_team": "Agency project or managed team",
    }
)
AGENCY_TYPES = frozenset({"agency", "project_team"})
TEXT_MAX = 200


# --- the DfE definitions (pure) ----------------------------------------------------------------------------------


def turnover_rate(leavers_fte: float, in_post_fte: float) -> float | None:
    """Leavers / social workers in post (DfE Children's social work workforce)."""
    return leavers_fte / in_post_fte if in_post_fte else None


def agency_rate(agency_fte: float, in_post_fte: float) -> float | None:
    """Agency workers / (agency workers + social workers in post) (DfE Children's social work workforce)."""
    total = agency_fte + in_post_fte
    return agency_fte / total if total else None


def vacancy_rate(vacancies_fte: float, in_post_fte: float) -> float | None:
    """Vacancies / (vacancies + social workers in post); reproduces the DfE's published 14.2% (2025)."""
    total = vacancies_fte + in_post_fte
    return vacancies_fte / total if total else None


def caseload_per_fte(cases: int, case_holding_fte: float) -> float | None:
    """Cases held / case-holding FTE (DfE Children's social work workforce; England sets no statutory limit)."""
    return cases / case_holding_fte if case_holding_fte else None


def in_force(started_on: date, ended_on: date | None, on: date) -> bool:
    """A contract or vacancy on a day: started by it and not yet ended (a leaving day is the first day gone)."""
    return started_on <= on and (ended_on is None or ended_on > on)


# --- the measures --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    value: float | None
    unit: str  # "rate" | "caseload" | "fte"
    basis: str  # the numbers it is made of, in words
    national: NationalFigure | None

    @property
    def shown(self) -> str:
        if self.value is None:
            return "No data"
        if self.unit == "rate":
            return f"{self.value * 100:.1f}%"
        return f"{self.value:.1f}"


@dataclass(frozen=True)
class Caseload:
    name: str
    team: str
    children: int
    fte: float | None
    employment: str

    @property
    def per_fte(self) -> float | None:
        return caseload_per_fte(self.children, self.fte) if self.fte else None


@dataclass(frozen=True)
class Picture:
    on: date
    measures: list[Measure]
    workers: list[Caseload]
    teams: list[Caseload]


def measures_on(session: Session, on: date) -> Picture:
    """The measures and caseloads on a day (reads only)."""
    contracts = session.scalars(select(WorkerContract).where(WorkerContract.started_on <= on)).all()
    year_before = add_calendar_months(on, -12)
    live = [c for c in contracts if in_force(c.started_on, c.left_on, on)]
    permanent = [c for c in live if c.employment_type == "permanent"]
    in_post = sum(c.fte for c in permanent)
    agency = sum(c.fte for c in live if c.employment_type in AGENCY_TYPES)
    leavers = sum(
        c.fte
        for c in contracts
        if c.employment_type == "permanent" and c.left_on is not None and year_before < c.left_on <= on
    )
    vacancies = sum(
        v.fte
        for v in session.scalars(select(Vacancy).where(Vacancy.opened_on <= on))
        if in_force(v.opened_on, v.filled_on, on)
    )
    until = Period(on, on).until  # a case is a child allocated at the end of the day
    allocated: dict[int, int] = defaultdict(int)
    team_children: dict[int | None, int] = defaultdict(int)
    for worker_id, team_id in session.execute(
        select(Allocation.worker_id, Allocation.team_id).where(
            Allocation.started_at < until, or_(Allocation.ended_at.is_(None), Allocation.ended_at >= until)
        )
    ):
        allocated[worker_id] += 1
        team_children[team_id] += 1
    holders = {c.user_id: c for c in permanent if c.case_holding}
    cases = sum(allocated.get(user_id, 0) for user_id in holders)
    holding_fte = sum(c.fte for c in holders.values())

    def m(key: str, label: str, value: float | None, basis: str, unit: str = "rate") -> Measure:
        return Measure(key, label, value, unit, basis, figure(key))

    measures = [
        m(
            "agency_rate",
            "Agency worker rate",
            agency_rate(agency, in_post),
            f"{agency:.1f} agency FTE; {in_post:.1f} FTE in post",
        ),
        m(
            "turnover_rate",
            "Turnover rate",
            turnover_rate(leavers, in_post),
            f"{leavers:.1f} FTE left in the 12 months to {on:%-d %B %Y}; {in_post:.1f} FTE in post",
        ),
        m(
            "vacancy_rate",
            "Vacancy rate",
            vacancy_rate(vacancies, in_post),
            f"{vacancies:.1f} vacant FTE; {in_post:.1f} FTE in post",
        ),
        m(
            "caseload",
            "Average caseload per case-holding FTE",
            caseload_per_fte(cases, holding_fte),
            f"{cases} children allocated to {holding_fte:.1f} case-holding FTE",
            unit="caseload",
        ),
    ]
    by_user = {c.user_id: c for c in live}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(set(allocated) | set(by_user))))}
    workers = []
    for user_id in set(allocated) | {c.user_id for c in live if c.case_holding}:
        user = users[user_id]
        contract = by_user.get(user_id)
        workers.append(
            Caseload(
                user.full_name,
                user.team.name if user.team else "",
                allocated.get(user_id, 0),
                contract.fte if contract else None,
                EMPLOYMENT_TYPES.get(contract.employment_type, "") if contract else "Not recorded",
            )
        )
    workers.sort(key=lambda w: (-w.children, w.name))
    team_names = {t.id: t.name for t in session.scalars(select(Team))}
    team_fte: dict[int | None, float] = defaultdict(float)
    for c in live:
        if c.case_holding and c.user_id in users:
            team_fte[users[c.user_id].team_id] += c.fte
    teams = sorted(
        (
            Caseload(team_names.get(t, "No team") if t else "No team", "", n, team_fte.get(t) or None, "")
            for t, n in team_children.items()
        ),
        key=lambda t: t.name,
    )
    return Picture(on, measures, workers, teams)


def picture(session: Session, database: Database, user: User, on: date) -> Picture:
    access.require_role(database, user, Kind.WORKFORCE, Action.VIEW)
    result = measures_on(session, on)
    record(session, access.actor_of(user), "view", "workforce", None, detail={"on": on.isoformat()})
    return result


def parse_day(raw: str | None, today: date) -> date:
    errors: dict[str, str] = {}
    day = date_field(raw, "on", "the date to read the measures on", errors, required=False)
    if errors:
        raise ValidationFailed(errors)
    return day or today


# --- contracts and vacancies --------------------------------------------------------------------------------------


def _fte(raw: str | None, errors: dict[str, str]) -> float | None:
    try:
        value = float((raw or "").strip())
    except ValueError:
        errors["fte"] = "Enter the FTE as a number, like 1 or 0.6"
        return None
    if not 0 < value <= 1:
        errors["fte"] = "The FTE must be more than 0 and at most 1"
        return None
    return value


@dataclass(frozen=True)
class ContractInput:
    """A contract as an administrator enters it on the contracts page."""

    user_id: int
    employment_type: str
    agency_name: str | None  # required for agency workers and project teams
    job_title: str
    started_on: date
    left_on: date | None
    fte: float
    case_holding: bool

    @classmethod
    def read(cls, form: PostedForm) -> ContractInput:
        errors: dict[str, str] = {}
        user_id = record_id(form.get("user_id"))
        if user_id is None:
            errors["user_id"] = "Choose a member of staff"
        kind = form.get("employment_type", "")
        if kind not in EMPLOYMENT_TYPES:
            errors["employment_type"] = "Choose permanent, agency or project team"
        agency_name = text_field(
            form.get("agency_name"), "agency_name", "the agency", errors, limit=TEXT_MAX, required=kind in AGENCY_TYPES
        )
        job_title = text_field(form.get("job_title"), "job_title", "the job title", errors, limit=TEXT_MAX)
        started = date_field(form.get("started_on"), "started_on", "the start date", errors)
        left = date_field(form.get("left_on"), "left_on", "the leaving date", errors, required=False)
        fte = _fte(form.get("fte"), errors)
        if form.get("case_holding") not in ("yes", "no"):  # counts in caseloads: asked, never assumed
            errors["case_holding"] = "Select yes if the post holds cases, or no"
        if started and left and left < started:
            errors["left_on"] = "The leaving date must be on or after the start date"
        if errors:
            raise ValidationFailed(errors)
        assert user_id and job_title and started and fte
        return cls(user_id, kind, agency_name, job_title, started, left, fte, form.get("case_holding") == "yes")


@dataclass(frozen=True)
class ContractEnd:
    """The day a worker left, and the contract's version as the page showed it (None: not checked)."""

    left_on: date
    version: int | None

    @classmethod
    def read(cls, form: PostedForm) -> ContractEnd:
        errors: dict[str, str] = {}
        left = date_field(form.get("left_on"), "left_on", "the leaving date", errors)
        if errors:
            raise ValidationFailed(errors)
        assert left
        return cls(left, record_id(form.get("version")))


@dataclass(frozen=True)
class VacancyInput:
    title: str
    team_id: int | None
    fte: float
    opened_on: date

    @classmethod
    def read(cls, form: PostedForm) -> VacancyInput:
        errors: dict[str, str] = {}
        title = text_field(form.get("title"), "title", "the post", errors, limit=TEXT_MAX)
        team_id = record_id(form.get("team_id"))
        if form.get("team_id") and team_id is None:
            errors["team_id"] = "Choose a team from the list"
        fte = _fte(form.get("fte"), errors)
        opened = date_field(form.get("opened_on"), "opened_on", "the date the post fell vacant", errors)
        if errors:
            raise ValidationFailed(errors)
        assert title and fte and opened
        return cls(title, team_id, fte, opened)


@dataclass(frozen=True)
class VacancyFilled:
    filled_on: date

    @classmethod
    def read(cls, form: PostedForm) -> VacancyFilled:
        errors: dict[str, str] = {}
        filled = date_field(form.get("filled_on"), "filled_on", "the date the post was filled", errors)
        if errors:
            raise ValidationFailed(errors)
        assert filled
        return cls(filled)


def contracts(session: Session, database: Database, user: User) -> tuple[list[WorkerContract], list[Vacancy]]:
    access.require_role(database, user, Kind.WORKFORCE, Action.VIEW)
    rows = list(
        session.scalars(
            select(WorkerContract).order_by(WorkerContract.left_on.is_not(None), WorkerContract.started_on.desc())
        )
    )
    vacancies = list(
        session.scalars(select(Vacancy).order_by(Vacancy.filled_on.is_not(None), Vacancy.opened_on.desc()))
    )
    record(session, access.actor_of(user), "view", "worker_contracts", None, detail={"contracts": len(rows)})
    return rows, vacancies


def staff_choices(session: Session) -> list[tuple[str, str]]:
    return [
        (str(u.id), f"{u.full_name} ({Role(u.role).label})")
        for u in session.scalars(
            select(User).where(User.role != Role.PARTNER_PRACTITIONER, User.active.is_(True)).order_by(User.full_name)
        )
    ]


def add_contract(session: Session, database: Database, user: User, entered: ContractInput) -> WorkerContract:
    access.require_role(database, user, Kind.WORKFORCE, Action.UPDATE)
    worker = session.get(User, entered.user_id)
    if worker is None or worker.is_partner:
        raise ValidationFailed({"user_id": "Choose a member of staff"})
    started, left = entered.started_on, entered.left_on
    for other in session.scalars(select(WorkerContract).where(WorkerContract.user_id == worker.id)):
        if other.started_on <= (left or date.max) and (other.left_on is None or other.left_on > started):
            raise ValidationFailed(
                {
                    "started_on": f"{worker.full_name} already has a contract from "
                    f"{other.started_on:%-d %B %Y}"
                    + (f" to {other.left_on:%-d %B %Y}" if other.left_on else "")
                    + ": end it first"
                }
            )
    contract = WorkerContract(
        user_id=worker.id,
        employment_type=entered.employment_type,
        agency_name=entered.agency_name,
        job_title=entered.job_title,
        started_on=started,
        left_on=left,
        fte=entered.fte,
        case_holding=entered.case_holding,
    )
    session.add(contract)
    session.flush()
    record(
        session,
        access.actor_of(user),
        "create",
        "worker_contract",
        contract.id,
        detail={
            "user_id": worker.id,
            "employment_type": entered.employment_type,
            "fte": entered.fte,
            "started_on": started.isoformat(),
        },
    )
    return contract


def end_contract(
    session: Session, database: Database, user: User, contract_id: int, end: ContractEnd
) -> WorkerContract:
    access.require_role(database, user, Kind.WORKFORCE, Action.UPDATE)
    contract = session.get(WorkerContract, contract_id)
    if contract is None:
        raise NotFound("No such contract.")
    if end.version is not None and end.version != contract.version:
        raise Conflict("Someone changed this contract since you opened the page. Reload it and try again.")
    if contract.left_on is not None:
        raise ValidationFailed({"left_on": "This contract has already ended"})
    if end.left_on < contract.started_on:
        raise ValidationFailed({"left_on": "The leaving date must be on or after the start date"})
    contract.left_on = end.left_on
    record(
        session,
        access.actor_of(user),
        "update",
        "worker_contract",
        contract.id,
        detail={"left_on": end.left_on.isoformat()},
    )
    return contract


def add_vacancy(session: Session, database: Database, user: User, entered: VacancyInput) -> Vacancy:
    access.require_role(database, user, Kind.WORKFORCE, Action.UPDATE)
    team = session.get(Team, entered.team_id) if entered.team_id is not None else None
    if entered.team_id is not None and team is None:
        raise ValidationFailed({"team_id": "Choose a team from the list"})
    vacancy = Vacancy(title=entered.title, team_id=entered.team_id, fte=entered.fte, opened_on=entered.opened_on)
    session.add(vacancy)
    session.flush()
    record(session, access.actor_of(user), "create", "vacancy", vacancy.id, detail={"fte": entered.fte})
    return vacancy


def fill_vacancy(session: Session, database: Database, user: User, vacancy_id: int, filled: VacancyFilled) -> Vacancy:
    access.require_role(database, user, Kind.WORKFORCE, Action.UPDATE)
    vacancy = session.get(Vacancy, vacancy_id)
    if vacancy is None:
        raise NotFound("No such vacancy.")
    if vacancy.filled_on is not None:
        raise ValidationFailed({"filled_on": "This post has already been filled"})
    if filled.filled_on < vacancy.opened_on:
        raise ValidationFailed({"filled_on": "The post cannot be filled before it fell vacant"})
    vacancy.filled_on = filled.filled_on
    record(
        session,
        access.actor_of(user),
        "update",
        "vacancy",
        vacancy.id,
        detail={"filled_on": filled.filled_on.isoformat()},
    )
    return vacancy
