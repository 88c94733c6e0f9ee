"""A synthetic demo council ("Northbridge"), deterministic from its seed, at any size from a borough to a city.

``build_council(database, size=..., seed=...)`` fills an empty database with staff and teams, partner agencies and
their practitioners, one demo sign-in per role, families (parents, siblings, half-siblings, adults shared across
households, addresses with history), three years of contacts up to now with RAG history, partner checks,
threshold decisions, referrals (re-referrals flagged as ``casework.service`` would flag them), allocations and
restricted records. Every number is synthetic: NHS numbers are in the 999 test range, postcodes in the fictional
"NB" area.

Same seed and same reference moment give identical database content (``content_digest``); the reference moment is
"now" unless given, so that the MASH queue is current when the demo starts.

Speed: rows are built in Python with precomputed ids and written with SQLAlchemy Core ``insert()`` executemany in
batches (the ORM unit of work would take an hour for a large council). The whole load is one transaction, and one
audit row ("demo council loaded") goes through ``core.audit.record`` so the hash chain stays whole.
"""

from __future__ import annotations

import hashlib
import random
import time as clock
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol, cast

from sqlalchemy import Connection, Table, exists, func, select, text

from safeguarding.casework.models import Allocation, Referral
from safeguarding.casework.service import twelve_months_before
from safeguarding.core import local_settings
from safeguarding.core.access import PersonRestriction, PersonRestrictionGrant
from safeguarding.core.audit import Actor, record
from safeguarding.core.calendar import LONDON, add_working_hours, working_hours_between
from safeguarding.core.db import Database
from safeguarding.core.security import hash_password, new_token
from safeguarding.core.users import AgencyKind, PartnerAgency, Role, Team, User
from safeguarding.demo import names, texts
from safeguarding.demo.identifiers import IdentifierSource
from safeguarding.demo.summary import CouncilSummary, DemoSignIn
from safeguarding.front_door import rules as front_door_rules
from safeguarding.front_door.models import (
    Channel,
    CheckConsent,
    CheckStatus,
    ConsentPosition,
    Contact,
    ContactDecision,
    ContactNote,
    ContactStatus,
    ContactSubject,
    DecisionStatus,
    LawfulBasis,
    NoteKind,
    Outcome,
    PartnerCheck,
    Rag,
    RagRating,
    ReporterKind,
    SubjectRole,
)
from safeguarding.people import rules as people_rules
from safeguarding.people.models import Address, FamilyRelationship, Person, PersonAlias, PersonKind, RelationshipKind

# --- sizes and fixed demo facts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CouncilSize:
    """How big a council is. Social workers are sized so that open cases per case-holding worker come near the
    DfE average caseload (15.2 in 2025: shared/domain/workforce.md section 3)."""

    people: int
    contacts: int
    # Contacts waiting in the MASH queue at load time: a working set, not a backlog.
    open_contacts: int
    awaiting_sign_off: int
    mash_workers: int
    social_workers: int
    restricted: int


SIZES: dict[str, CouncilSize] = {
    # Loads in a few seconds for `make run`.
    "small": CouncilSize(people=2_000, contacts=3_000, open_contacts=40, awaiting_sign_off=8, mash_workers=6,
                         social_workers=16, restricted=2),
    "medium": CouncilSize(people=20_000, contacts=40_000, open_contacts=120, awaiting_sign_off=25,
                          mash_workers=16, social_workers=185, restricted=4),
    # A big city, for the benchmarks.
    "large": CouncilSize(people=130_000, contacts=300_000, open_contacts=250, awaiting_sign_off=50,
                         mash_workers=40, social_workers=700, restricted=8),
}

DEMO_PASSWORD = "Northbridge-Demo-2026"  # noqa: S105 (a published demo password, printed by describe())
# Administrators must pass a second factor; the demo admin's TOTP secret is fixed so it can be typed into an app.
ADMIN_TOTP_SECRET = "NORTHBRIDGEDEMOADMINSECRET234567"  # noqa: S105
HISTORY_YEARS = 3
BATCH_ROWS = 5_000
# Share of referrals made for a child referred in the 12 months before (when one is available): tuned so that the
# council's re-referral rate lands near the national 22.6% (national-figures.md 1.1), allowing for first referrals.
RE_REFERRAL_PICK = 0.27
# Share of contacts about a child whose case is open at the time: these go to the allocated worker.
OPEN_CASE_SHARE = 0.06


class ProgressLike(Protocol):
    def add_task(self, description: str, *, total: float | None = ...) -> Any: ...

    def update(self, task_id: Any, *, advance: float | None = ..., completed: float | None = ...,
               description: str | None = ...) -> None: ...


# Referral sources with weights (percent of contacts). Police and schools are the largest sources nationally
# (28% and 21% of referrals: DfE Children in need 2025, national-figures.md 1.1); the rest is a typical mix.
# Each source names the kind of referrer: an agency kind (a partner agency of that kind makes the contact) or
# "public" / "anonymous" / "practitioner" (recorded by MASH staff from a call or e-mail).
SOURCE_MIX: tuple[tuple[str, float, str], ...] = (
    ("6", 28, "police"),
    ("2A", 21, "school"),
    ("3A", 4, "gp"),
    ("3B", 4, "health_visiting"),
    ("3C", 2, "school_nursing"),
    ("3D", 1, "midwifery"),
    ("3E", 5, "hospital"),
    ("4", 2, "housing"),
    ("5A", 2, "adult_social_care"),
    ("5B", 2, "youth_justice"),
    ("5C", 1, "practitioner"),
    ("5D", 4, "early_help"),
    ("7", 3, "probation"),
    ("8", 4, "voluntary"),
    ("1A", 6, "public"),
    ("1B", 2, "public"),
    ("1C", 1, "public"),
    ("1D", 1, "public"),
    ("9", 2, "anonymous"),
    ("10", 1, "practitioner"),
)

# Partner agencies: (name, AgencyKind, DfE ReferralSource, referrer group in SOURCE_MIX, worry text group).
AGENCIES: tuple[tuple[str, AgencyKind, str, str], ...] = (
    ("Northbridge Police Public Protection Unit", AgencyKind.POLICE, "6", "police"),
    *((school, AgencyKind.SCHOOL, "2A", "school") for school in names.SCHOOLS),
    *((f"{gp} (GP practice)", AgencyKind.HEALTH, "3A", "gp") for gp in names.GP_PRACTICES),
    ("Northbridge Health Visiting Service", AgencyKind.HEALTH, "3B", "health_visiting"),
    ("Northbridge School Nursing Service", AgencyKind.HEALTH, "3C", "school_nursing"),
    ("Northbridge Maternity and Midwifery", AgencyKind.HEALTH, "3D", "midwifery"),
    ("Northbridge General Hospital Emergency Department", AgencyKind.HEALTH, "3E", "hospital"),
    ("Northbridge Homes (housing)", AgencyKind.HOUSING, "4", "housing"),
    ("Northbridge Adult Social Care", AgencyKind.OTHER, "5A", "adult_social_care"),
    ("Northbridge Youth Justice Service", AgencyKind.OTHER, "5B", "youth_justice"),
    ("Northbridge Early Help Service", AgencyKind.EARLY_HELP, "5D", "early_help"),
    ("Probation Service, Northbridge office", AgencyKind.PROBATION, "7", "probation"),
    ("Northbridge Women's Aid", AgencyKind.OTHER, "8", "voluntary"),
)

WORRY_GROUP = {"police": "police", "school": "school", "gp": "health", "health_visiting": "health",
               "school_nursing": "health", "midwifery": "health", "hospital": "health", "housing": "local",
               "adult_social_care": "local", "youth_justice": "local", "early_help": "local",
               "probation": "local", "voluntary": "local", "practitioner": "local", "public": "public",
               "anonymous": "public"}
ROLE_GROUP = {"police": "police", "school": "school", "housing": "housing", "probation": "probation",
              "early_help": "early_help"}

# Outcome mix of decided contacts (percent), with the level of need and RAG each usually carries.
# Referral outcomes make about a third of contacts, in line with contacts-to-referrals ratios councils publish.
OUTCOME_MIX: tuple[tuple[Outcome, float, tuple[tuple[int, float], ...], tuple[tuple[Rag, float], ...]], ...] = (
    (Outcome.NO_FURTHER_ACTION, 22, ((1, 80), (2, 20)), ((Rag.GREEN, 85), (Rag.AMBER, 15))),
    (Outcome.INFORMATION_AND_ADVICE, 18, ((1, 60), (2, 40)), ((Rag.GREEN, 80), (Rag.AMBER, 20))),
    (Outcome.EARLY_HELP, 26, ((2, 85), (3, 15)), ((Rag.GREEN, 60), (Rag.AMBER, 40))),
    (Outcome.REFERRAL_FOR_ASSESSMENT, 26, ((3, 85), (4, 15)), ((Rag.AMBER, 65), (Rag.GREEN, 15), (Rag.RED, 20))),
    (Outcome.STRATEGY_DISCUSSION, 6, ((4, 100),), ((Rag.RED, 75), (Rag.AMBER, 25))),
    (Outcome.IMMEDIATE_PROTECTION, 2, ((4, 100),), ((Rag.RED, 100),)),
)

SOURCE_WEIGHTS = tuple((i, weight) for i, (_code, weight, _group) in enumerate(SOURCE_MIX))
OUTCOME_WEIGHTS = tuple((i, mix[1]) for i, mix in enumerate(OUTCOME_MIX))

PRIMARY_NEED_MIX = (("N1", 55), ("N2", 4), ("N3", 5), ("N4", 12), ("N5", 14), ("N6", 4), ("N7", 1), ("N8", 3),
                    ("N0", 2))
ETHNICITY_MIX = (("WBRI", 60), ("WOTH", 7), ("WIRI", 1), ("WROM", 1), ("MWBC", 3), ("MWAS", 2), ("MOTH", 2),
                 ("APKN", 6), ("AIND", 3), ("ABAN", 3), ("BAFR", 5), ("BCRB", 2), ("CHNE", 1), ("OOTH", 2),
                 ("NOBT", 2))
CONSENT_MIX = ((ConsentPosition.CONSENT_GIVEN, 55), (ConsentPosition.AWARE_NOT_CONSENTED, 20),
               (ConsentPosition.NOT_INFORMED_RISK, 15), (ConsentPosition.NOT_INFORMED_OTHER, 5),
               (ConsentPosition.UNKNOWN, 5))

DEMO_SIGN_INS: tuple[tuple[str, Role, str], ...] = (
    ("mash.worker", Role.MASH_WORKER, "Mina Shah"),
    ("mash.manager", Role.MASH_MANAGER, "Martin Hale"),
    ("social.worker", Role.SOCIAL_WORKER, "Sade Williams"),
    ("team.manager", Role.TEAM_MANAGER, "Tom Manning"),
    ("partner.police", Role.PARTNER_PRACTITIONER, "PC Paula Price"),
    ("partner.school", Role.PARTNER_PRACTITIONER, "Sam Okafor"),
    ("analyst", Role.PERFORMANCE_ANALYST, "Ana Lister"),
    ("admin", Role.ADMINISTRATOR, "Adam Minter"),
    ("exploitation", Role.EXPLOITATION_PRACTITIONER, "Esther Reyes"),
)


# --- small helpers -------------------------------------------------------------------------------------------


def _table(model: type[Any]) -> Table:
    """A mapped class's table (typed as a Table: every model here maps one)."""
    return cast(Table, model.__table__)


@lru_cache(maxsize=256)
def _cumulative(options: tuple[tuple[Any, float], ...]) -> tuple[tuple[Any, ...], tuple[float, ...]]:
    total, cumulative = 0.0, []
    for _option, weight in options:
        total += weight
        cumulative.append(total)
    return tuple(o for o, _ in options), tuple(cumulative)


def _weighted(rng: random.Random, options: tuple[tuple[Any, float], ...]) -> Any:
    """One option, drawn with the given weights (the mixes are constants, so their running sums are cached)."""
    population, cumulative = _cumulative(options)
    return population[bisect_right(cumulative, rng.random() * cumulative[-1])]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _age_on(birth: date, day: date) -> int:
    return people_rules.age_on(birth, day)


@lru_cache(maxsize=8192)
def _local_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


class _WorkingTime:
    """The council's office hours from local settings, with the calendar functions bound to them.

    ``add_working_hours`` walks day by day; a three-year load calls it about a million times, so results for
    repeated (start, hours) pairs are cached. Deadlines themselves come from ``front_door.rules.rag_deadline`` so
    the data agrees with the rules.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.opens, self.closes = front_door_rules.office_hours(settings)

    @lru_cache(maxsize=200_000)  # noqa: B019 (one instance per load; freed with it)
    def add(self, start: datetime, hours: float) -> datetime:
        return add_working_hours(start, hours, self.opens, self.closes)

    def between(self, start: datetime, end: datetime) -> float:
        return working_hours_between(start, end, self.opens, self.closes)

    @lru_cache(maxsize=200_000)  # noqa: B019
    def deadline(self, received_at: datetime, rag: Rag | None) -> datetime:
        return front_door_rules.rag_deadline(received_at, rag, self.settings)


class _Writer:
    """Buffers rows per table and writes them with Core executemany, parents before children."""

    def __init__(self, connection: Connection, tables: list[Table], on_rows: Callable[[int], None]) -> None:
        self.connection = connection
        self.tables = tables
        self.buffers: dict[str, list[dict[str, Any]]] = {t.name: [] for t in tables}
        self.counts: dict[str, int] = {t.name: 0 for t in tables}
        self.on_rows = on_rows
        self.next_ids: dict[str, int] = {}
        for table in tables:
            if "id" in table.c:
                current = connection.execute(select(func.max(table.c.id))).scalar()
                self.next_ids[table.name] = (current or 0) + 1

    def new_id(self, table: Table) -> int:
        value = self.next_ids[table.name]
        self.next_ids[table.name] = value + 1
        return value

    def add(self, table: Table, row: dict[str, Any]) -> dict[str, Any]:
        """Queue a row; the caller may still complete it until the next ``maybe_flush``."""
        self.buffers[table.name].append(row)
        return row

    def maybe_flush(self) -> None:
        """Called between records (a household, a contact), never in the middle of one."""
        if any(len(rows) >= BATCH_ROWS for rows in self.buffers.values()):
            self.flush()

    def flush(self) -> None:
        # Every table in order, so a row's parents are always written before (or with) it.
        for table in self.tables:
            rows = self.buffers[table.name]
            if rows:
                self._write(table, rows)
                self.counts[table.name] += len(rows)
                self.on_rows(len(rows))
                self.buffers[table.name] = []

    def _write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Driver-level executemany (SQLite) or COPY (PostgreSQL), with each value put through its column type's
        own bind processor, so the stored form is exactly what the ORM would have written."""
        columns, processors, defaults = self._plan(table)
        processed = [(i, process) for i, process in enumerate(processors) if process is not None]
        values: list[Any] = []
        for row in rows:
            value = list(map(row.get, columns, defaults))
            for i, process in processed:
                value[i] = process(value[i])
            values.append(tuple(value))
        dialect = self.connection.dialect.name
        names_sql = ", ".join(f'"{c}"' for c in columns)
        if dialect == "postgresql":
            raw = self.connection.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
                    f'COPY "{table.name}" ({names_sql}) FROM STDIN') as copy:
                for value in values:
                    copy.write_row(value)
        else:
            marks = ", ".join("?" for _ in columns)
            self.connection.exec_driver_sql(
                f'INSERT INTO "{table.name}" ({names_sql}) VALUES ({marks})', values)  # noqa: S608

    @lru_cache(maxsize=64)  # noqa: B019 (one writer per load)
    def _plan(self, table: Table) -> tuple[list[str], list[Any], list[Any]]:
        dialect = self.connection.dialect
        columns, processors, defaults = [], [], []
        for column in table.columns:
            columns.append(column.name)
            processors.append(column.type._cached_bind_processor(dialect))
            default = column.default
            if default is not None and getattr(default, "is_scalar", False):
                defaults.append(default.arg)  # type: ignore[attr-defined]
            else:
                defaults.append(None)  # every non-scalar default (created_at, ids) is given by the builder
        return columns, processors, defaults

    def reset_sequences(self) -> None:
        """PostgreSQL: explicit ids do not move a serial's sequence, so move each past the rows written."""
        if self.connection.dialect.name != "postgresql":
            return
        for name in self.next_ids:
            self.connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 (table names are ours)
                f"(SELECT COALESCE(MAX(id), 1) FROM \"{name}\"), (SELECT COUNT(*) > 0 FROM \"{name}\"))"))


# --- the in-memory picture of the council while it is built -----------------------------------------------------


@dataclass
class _PersonInfo:
    id: int
    first_name: str
    last_name: str
    date_of_birth: date | None
    nhs_number: str | None
    is_child: bool


@dataclass
class _Household:
    index: int
    adults: list[_PersonInfo]
    children: list[_PersonInfo]
    address: str
    postcode: str
    last_referral_date: date | None = None
    last_referral_children: list[int] = field(default_factory=list)
    # The household's case is open (an allocation runs) until this moment.
    open_until: datetime | None = None
    # Allocations of the household's children: (started, ends, worker, children); ends far ahead while open.
    episodes: list[tuple[datetime, datetime, int, tuple[int, ...]]] = field(default_factory=list)
    # The worker a contact about this household was just routed to (set by _pick for an open case).
    routing_worker_id: int | None = None


@dataclass
class _Staff:
    id: int
    username: str
    role: Role
    team_id: int | None


@dataclass
class _Agency:
    id: int
    name: str
    kind: AgencyKind
    source: str
    group: str
    users: list[int] = field(default_factory=list)
    domain: str = ""


class _Builder:
    def __init__(self, database: Database, size: CouncilSize, seed: int, now: datetime,
                 progress: ProgressLike | None) -> None:
        self.database = database
        self.size = size
        self.seed = seed
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - timedelta(days=365 * HISTORY_YEARS)
        self.progress = progress
        self.teams: dict[str, list[tuple[int, str]]] = {}
        self.staff: dict[str, _Staff] = {}
        self.team_members: dict[int, list[int]] = {}
        self.mash_workers: list[int] = []
        self.mash_managers: list[int] = []
        self.agencies: list[_Agency] = []
        self.agencies_by_group: dict[str, list[_Agency]] = {}
        self.households: list[_Household] = []
        self.referred: list[_Household] = []
        self.person_referrals: dict[int, tuple[int, date]] = {}
        self.identifiers = IdentifierSource(self.rng)
        self.stats: dict[str, int] = {}

    # -- plumbing -----------------------------------------------------------------------------------------------

    def _task(self, description: str, total: int) -> Any:
        return self.progress.add_task(description, total=total) if self.progress is not None else None

    def _advance(self, task: Any, amount: int = 1) -> None:
        if self.progress is not None and task is not None:
            self.progress.update(task, advance=amount)

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, LONDON).astimezone(UTC)

    # -- staff, teams and partners -------------------------------------------------------------------------------

    def build_staff(self, writer: _Writer) -> list[DemoSignIn]:
        rng, size = self.rng, self.size
        team_table, user_table = _table(Team), _table(User)
        demo_hash = hash_password(DEMO_PASSWORD)
        # Synthetic staff other than the demo sign-ins cannot sign in: their hash is of a secret nobody keeps.
        locked_hash = hash_password(new_token())
        created = self.start
        used_usernames: set[str] = set()

        def team(name: str, service: str) -> int:
            team_id = writer.new_id(team_table)
            writer.add(team_table, {"id": team_id, "name": name, "service": service, "created_at": created})
            self.teams.setdefault(service, []).append((team_id, name))
            self.team_members[team_id] = []
            return team_id

        def username_for(first: str, last: str) -> str:
            base = people_rules.name_key(first) + "." + people_rules.name_key(last)
            candidate, n = base, 1
            while candidate in used_usernames:
                n += 1
                candidate = f"{base}{n}"
            used_usernames.add(candidate)
            return candidate

        def person_name() -> tuple[str, str]:
            first = rng.choice(names.WOMEN if rng.random() < 0.8 else names.MEN)  # the workforce is mostly women
            return first, rng.choice(names.SURNAMES)

        def user(role: Role, *, team_id: int | None = None, agency_id: int | None = None,
                 manager_id: int | None = None, demo: tuple[str, str] | None = None,
                 email_domain: str = "northbridge.gov.example") -> _Staff:
            user_id = writer.new_id(user_table)
            if demo:
                username, full_name = demo
                used_usernames.add(username)
            else:
                first, last = person_name()
                username, full_name = username_for(first, last), f"{first} {last}"
            writer.add(user_table, {
                "id": user_id, "username": username, "full_name": full_name,
                "email": f"{username}@{email_domain}", "role": role.value, "team_id": team_id,
                "agency_id": agency_id, "manager_id": manager_id,
                "password_hash": demo_hash if demo else locked_hash,
                "totp_secret": ADMIN_TOTP_SECRET if demo and role == Role.ADMINISTRATOR else None,
                "failed_sign_ins": 0, "active": True, "created_at": created,
            })
            staff = _Staff(user_id, username, role, team_id)
            if team_id is not None and role == Role.SOCIAL_WORKER:
                self.team_members[team_id].append(user_id)  # the case-holders a child may be allocated to
            return staff

        demo_names = {username: (username, full) for username, _role, full in DEMO_SIGN_INS}
        head = user(Role.TEAM_MANAGER)  # head of service: manages the team managers
        self.staff["head_of_service"] = head

        # The MASH: managers sign off decisions, workers screen. Demo sign-ins first.
        mash = team("MASH", "mash")
        mash_manager = user(Role.MASH_MANAGER, team_id=mash, manager_id=head.id, demo=demo_names["mash.manager"])
        self.staff["mash.manager"] = mash_manager
        self.mash_managers = [mash_manager.id] + [
            user(Role.MASH_MANAGER, team_id=mash, manager_id=head.id).id
            for _ in range(max(1, size.mash_workers // 8))]
        mash_worker = user(Role.MASH_WORKER, team_id=mash, manager_id=mash_manager.id,
                           demo=demo_names["mash.worker"])
        self.staff["mash.worker"] = mash_worker
        self.mash_workers = [mash_worker.id] + [
            user(Role.MASH_WORKER, team_id=mash, manager_id=rng.choice(self.mash_managers)).id
            for _ in range(size.mash_workers - 1)]

        # Case-holding teams of about seven social workers each: assessment, children in need, child protection.
        split = (("assessment", "Assessment team", 0.40), ("children_in_need", "Children in need team", 0.35),
                 ("child_protection", "Child protection team", 0.25))
        first_team = True
        for service, label, share in split:
            workers = max(3, round(size.social_workers * share))
            count = max(1, round(workers / 7))
            for n in range(1, count + 1):
                team_id = team(f"{label} {n}", service)
                if first_team:
                    manager = user(Role.TEAM_MANAGER, team_id=team_id, manager_id=head.id,
                                   demo=demo_names["team.manager"])
                    self.staff["team.manager"] = manager
                    self.staff["social.worker"] = user(Role.SOCIAL_WORKER, team_id=team_id, manager_id=manager.id,
                                                       demo=demo_names["social.worker"])
                else:
                    manager = user(Role.TEAM_MANAGER, team_id=team_id, manager_id=head.id)
                for _ in range(workers // count - (1 if first_team else 0)):
                    user(Role.SOCIAL_WORKER, team_id=team_id, manager_id=manager.id)
                first_team = False

        exploitation = team("Exploitation and missing team", "exploitation")
        exploitation_manager = user(Role.TEAM_MANAGER, team_id=exploitation, manager_id=head.id)
        self.staff["exploitation"] = user(Role.EXPLOITATION_PRACTITIONER, team_id=exploitation,
                                          manager_id=exploitation_manager.id, demo=demo_names["exploitation"])
        for _ in range(max(2, size.social_workers // 60)):
            user(Role.EXPLOITATION_PRACTITIONER, team_id=exploitation, manager_id=exploitation_manager.id)

        performance = team("Performance and intelligence", "performance")
        self.staff["analyst"] = user(Role.PERFORMANCE_ANALYST, team_id=performance, manager_id=head.id,
                                     demo=demo_names["analyst"])
        for _ in range(max(1, size.social_workers // 150)):
            user(Role.PERFORMANCE_ANALYST, team_id=performance, manager_id=head.id)

        admin_team = team("Business support and systems", "admin")
        self.staff["admin"] = user(Role.ADMINISTRATOR, team_id=admin_team, manager_id=head.id,
                                   demo=demo_names["admin"])

        # Partner agencies and their practitioners (who answer checks and submit through the portal or API).
        agency_table = _table(PartnerAgency)
        for name, kind, source, group in AGENCIES:
            agency_id = writer.new_id(agency_table)
            writer.add(agency_table, {"id": agency_id, "name": name, "kind": kind.value,
                                      "default_referral_source": source, "created_at": created})
            domain = people_rules.name_key(name)[:24] + ".example"
            agency = _Agency(agency_id, name, kind, source, group, domain=domain)
            self.agencies.append(agency)
            self.agencies_by_group.setdefault(group, []).append(agency)
        police = self.agencies_by_group["police"][0]
        school = self.agencies_by_group["school"][0]
        self.staff["partner.police"] = user(Role.PARTNER_PRACTITIONER, agency_id=police.id,
                                            demo=demo_names["partner.police"], email_domain=police.domain)
        police.users.append(self.staff["partner.police"].id)
        self.staff["partner.school"] = user(Role.PARTNER_PRACTITIONER, agency_id=school.id,
                                            demo=demo_names["partner.school"], email_domain=school.domain)
        school.users.append(self.staff["partner.school"].id)
        for agency in self.agencies:
            extra = 3 if agency.group == "police" else 1
            for _ in range(extra + (1 if self.size.people >= 20_000 else 0)):
                agency.users.append(user(Role.PARTNER_PRACTITIONER, agency_id=agency.id,
                                         email_domain=agency.domain).id)

        return [DemoSignIn(username, role.label, full) for username, role, full in DEMO_SIGN_INS]

    # -- people and families -------------------------------------------------------------------------------------

    def build_people(self, writer: _Writer) -> None:
        rng, today = self.rng, _local_day(self.now)
        person_table, address_table = _table(Person), _table(Address)
        relation_table, alias_table = _table(FamilyRelationship), _table(PersonAlias)
        task = self._task("People and families", self.size.people)
        people_made = 0
        created_base = self.start
        men_by_household: list[tuple[_PersonInfo, _Household]] = []

        def address() -> tuple[str, str | None, str]:
            line1 = f"{rng.randint(1, 220)} {rng.choice(names.STREET_WORDS)} {rng.choice(names.STREET_KINDS)}"
            line2 = rng.choice(names.ESTATES) if rng.random() < 0.3 else None
            postcode = (f"{names.POSTCODE_AREA}{rng.randint(1, 24)} {rng.randint(0, 9)}"
                        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}")
            return line1, line2, postcode

        def person(kind: PersonKind, first: str, last: str, dob: date | None, sex: str, ethnicity: str, *,
                   expected: date | None = None, nhs: bool = True) -> _PersonInfo:
            nonlocal people_made
            person_id = writer.new_id(person_table)
            is_child = kind == PersonKind.CHILD
            nhs_number = self.identifiers.nhs_number() if nhs else None
            upn = upn_unknown = None
            if is_child and dob is not None:
                if _age_on(dob, today) >= 5:
                    upn = self.identifiers.upn(dob.year + 4)
                else:
                    upn_unknown = "UN1"
            created = max(created_base, datetime.combine(dob, time(12), UTC)) if dob else created_base
            writer.add(person_table, {
                "id": person_id, "kind": kind.value, "first_name": first, "last_name": last,
                "date_of_birth": dob, "expected_date_of_birth": expected, "sex": sex, "ethnicity": ethnicity,
                "nhs_number": nhs_number, "upn": upn, "upn_unknown": upn_unknown,
                "la_child_id": f"NB{person_id:08d}" if is_child else None,
                "first_name_key": people_rules.name_key(first), "last_name_key": people_rules.name_key(last),
                "first_name_sound": people_rules.sound_key(first), "last_name_sound": people_rules.sound_key(last),
                "notes": None, "version": 1, "created_at": created,
            })
            people_made += 1
            return _PersonInfo(person_id, first, last, dob, nhs_number, is_child)

        def relate(a: int, b: int, kind: RelationshipKind, started: date | None) -> None:
            if kind in (RelationshipKind.SIBLING, RelationshipKind.HALF_SIBLING) and a > b:
                a, b = b, a  # symmetric ties are stored once, lower id first
            writer.add(relation_table, {
                "id": writer.new_id(relation_table), "from_person_id": a, "to_person_id": b, "kind": kind.value,
                "started": started, "ended": None, "recorded_at": created_base, "recorded_by_id": None})

        def live_at(members: list[_PersonInfo], line1: str, line2: str | None, postcode: str, moved_in: date,
                    history: bool) -> None:
            previous = address() if history else None
            for member in members:
                if previous:
                    writer.add(address_table, {
                        "id": writer.new_id(address_table), "person_id": member.id, "line1": previous[0],
                        "line2": previous[1], "town": names.TOWN, "postcode": previous[2],
                        "moved_in": moved_in - timedelta(days=rng.randint(200, 2000)), "moved_out": moved_in})
                writer.add(address_table, {
                    "id": writer.new_id(address_table), "person_id": member.id, "line1": line1, "line2": line2,
                    "town": names.TOWN, "postcode": postcode, "moved_in": moved_in, "moved_out": None})

        while people_made < self.size.people:
            before = people_made
            ethnicity = _weighted(rng, ETHNICITY_MIX)
            family_name = rng.choice(names.SURNAMES)
            mother_age = rng.randint(19, 48)
            mother_dob = today - timedelta(days=mother_age * 365 + rng.randint(0, 364))
            mother_last = family_name if rng.random() < 0.7 else rng.choice(names.SURNAMES)
            mother = person(PersonKind.ADULT, rng.choice(names.WOMEN), mother_last, mother_dob, "F", ethnicity,
                            nhs=rng.random() < 0.9)
            adults = [mother]
            if rng.random() < 0.2:
                # A name she was known by before: searches must find her under either.
                maiden = rng.choice(names.SURNAMES)
                writer.add(alias_table, {
                    "id": writer.new_id(alias_table), "person_id": mother.id, "first_name": mother.first_name,
                    "last_name": maiden, "first_name_key": people_rules.name_key(mother.first_name),
                    "last_name_key": people_rules.name_key(maiden),
                    "last_name_sound": people_rules.sound_key(maiden)})
            father: _PersonInfo | None = None
            if rng.random() < 0.6:
                father_dob = mother_dob - timedelta(days=rng.randint(-3 * 365, 8 * 365))
                father = person(PersonKind.ADULT, rng.choice(names.MEN), family_name, father_dob, "M", ethnicity,
                                nhs=rng.random() < 0.85)
                adults.append(father)
            # A non-resident father from another household makes half-siblings across households.
            outside: tuple[_PersonInfo, _Household] | None = None
            if men_by_household and rng.random() < 0.15:
                outside = rng.choice(men_by_household)
            n_children = _weighted(rng, ((1, 30), (2, 35), (3, 20), (4, 10), (5, 5)))
            children: list[_PersonInfo] = []
            latest_birth = min(today, _add_years(mother_dob, 45))
            earliest_birth = max(_add_years(mother_dob, 16), today - timedelta(days=17 * 365 + 300))
            if earliest_birth >= latest_birth:
                earliest_birth = latest_birth - timedelta(days=30)
            span = (latest_birth - earliest_birth).days
            for n in range(n_children):
                dob = earliest_birth + timedelta(days=rng.randint(0, max(0, span)))
                sex = "F" if rng.random() < 0.49 else "M"
                first = rng.choice(names.GIRLS if sex == "F" else names.BOYS)
                half = outside is not None and n == n_children - 1
                last = outside[0].last_name if half and outside else (father.last_name if father else mother_last)
                children.append(person(PersonKind.CHILD, first, last, dob, sex, ethnicity))
            if rng.random() < 0.01:
                # An unborn child: a pre-birth concern has no date of birth yet.
                expected = today + timedelta(days=rng.randint(20, 200))
                children.append(person(PersonKind.CHILD, "Unborn", mother_last, None, "U", ethnicity,
                                       expected=expected, nhs=False))
            line1, line2, postcode = address()
            moved_in = today - timedelta(days=rng.randint(60, 3650))
            household = _Household(len(self.households), adults, [c for c in children if c.date_of_birth],
                                   f"{line1}, {names.TOWN}", postcode)
            live_at(adults + children, line1, line2, postcode, moved_in, rng.random() < 0.4)
            for child in children:
                relate(mother.id, child.id, RelationshipKind.PARENT, child.date_of_birth)
                if father is not None:
                    is_half = outside is not None and child is children[-1] and child.date_of_birth is not None
                    relate(father.id, child.id, RelationshipKind.CARER if is_half else RelationshipKind.PARENT,
                           child.date_of_birth)
            born = [c for c in children if c.date_of_birth]
            for i, a in enumerate(born):
                for b in born[i + 1:]:
                    half = outside is not None and (a is born[-1] or b is born[-1])
                    relate(a.id, b.id, RelationshipKind.HALF_SIBLING if half else RelationshipKind.SIBLING, None)
            if outside is not None and born:
                other_father, other_home = outside
                half_child = born[-1]
                relate(other_father.id, half_child.id, RelationshipKind.PARENT, half_child.date_of_birth)
                for sibling in other_home.children:
                    relate(half_child.id, sibling.id, RelationshipKind.HALF_SIBLING, None)
            if rng.random() < 0.08 and born:
                # A grandparent living elsewhere who cares for the children part of the week.
                grand_dob = mother_dob - timedelta(days=rng.randint(18 * 365, 30 * 365))
                grandparent = person(PersonKind.ADULT, rng.choice(names.WOMEN), mother_last, grand_dob, "F",
                                     ethnicity)
                g1, g2, gpc = address()
                live_at([grandparent], g1, g2, gpc, today - timedelta(days=rng.randint(2000, 9000)), False)
                for child in born:
                    relate(grandparent.id, child.id, RelationshipKind.CARER, None)
            self.households.append(household)
            if father is not None:
                men_by_household.append((father, household))
            writer.maybe_flush()
            self._advance(task, people_made - before)
        self.stats["people"] = people_made

    # -- contacts ------------------------------------------------------------------------------------------------

    def build_contacts(self, writer: _Writer, settings: dict[str, Any]) -> None:
        size, now = self.size, self.now
        wt = _WorkingTime(settings)
        task = self._task("Contacts, decisions and referrals", size.contacts)
        daily = size.contacts / (365 * HISTORY_YEARS)
        # The queue: the newest contacts, spread over the last one to four days depending on the council's size.
        queue_days = min(4.0, max(1.0, size.open_contacts / max(daily, 1e-9)))
        history_end = now - timedelta(days=queue_days)
        n_history = size.contacts - size.open_contacts

        arrivals = sorted(self._arrival(self.start, history_end) for _ in range(n_history))
        queue_arrivals = sorted(self._arrival(history_end, now - timedelta(minutes=5), working=True)
                                for _ in range(size.open_contacts))
        # The last decisions needing sign-off wait for it (the sign-off list is never empty in a demo).
        pending_from = len(arrivals) - size.awaiting_sign_off * 3
        self.stats.update({"skipped": 0, "routed": 0, "referrals": 0, "re_referrals": 0, "awaiting_sign_off": 0,
                           "open": 0, "overdue": 0, "allocations_open": 0})
        for index, (received_at, source_index) in enumerate(arrivals):
            self._history_contact(writer, wt, received_at, source_index, pending=index >= pending_from)
            writer.maybe_flush()
            self._advance(task)
        for received_at, source_index in queue_arrivals:
            self._queue_contact(writer, wt, received_at, source_index)
            writer.maybe_flush()
            self._advance(task)

    def _arrival(self, earliest: datetime, latest: datetime, working: bool = False) -> tuple[datetime, int]:
        """When a contact arrived and from which source: police at any hour, others mostly in office hours."""
        rng = self.rng
        source_index = _weighted(rng, SOURCE_WEIGHTS)
        is_police = SOURCE_MIX[source_index][2] == "police"
        first_day, last_day = _local_day(earliest), _local_day(latest)
        span = (last_day - first_day).days
        for _ in range(20):
            day = first_day + timedelta(days=rng.randint(0, span))
            if day.weekday() >= 5 and not is_police and rng.random() < 0.85:
                continue
            if is_police and not working:
                at = time(rng.randint(0, 23), rng.randint(0, 59))
            elif rng.random() < 0.85 or working:
                at = time(rng.randint(8, 17), rng.randint(0, 59))
            else:
                at = time(rng.randint(18, 22), rng.randint(0, 59))
            moment = self.local(day, at)
            if earliest <= moment <= latest:
                return moment, source_index
        return earliest + (latest - earliest) * rng.random(), source_index

    def _reporter(self, source_index: int, received_at: datetime) -> dict[str, Any]:
        """Who made the contact and how: a partner agency's practitioner, or a call taken by the MASH."""
        rng = self.rng
        code, _weight, group = SOURCE_MIX[source_index]
        agency = rng.choice(self.agencies_by_group[group]) if group in self.agencies_by_group else None
        first, last = rng.choice(names.WOMEN + names.MEN), rng.choice(names.SURNAMES)
        row: dict[str, Any] = {"referral_source": code, "reporting_agency_id": None, "submitted_by_id": None,
                               "reporter_name": None, "reporter_role": None, "reporter_phone": None,
                               "reporter_email": None, "idempotency_key": None}
        if agency is not None:
            channel = _weighted(rng, ((Channel.PORTAL, 55), (Channel.API, 25 if group == "police" else 5),
                                      (Channel.PHONE, 15), (Channel.EMAIL, 10)))
            role = texts.REPORTER_ROLES.get(ROLE_GROUP.get(group, ""), "Safeguarding lead")
            row.update(reporting_agency_id=agency.id, reporter_kind=ReporterKind.PARTNER_AGENCY.value,
                       reporter_name=f"{first} {last}", reporter_role=role,
                       reporter_email=f"{people_rules.name_key(first)}.{people_rules.name_key(last)}@{agency.domain}",
                       # Ofcom's 01632 960xxx numbers are reserved for drama: never a real line.
                       reporter_phone=f"01632 960{rng.randint(0, 999):03d}")
            if channel in (Channel.PORTAL, Channel.API):
                row["submitted_by_id"] = rng.choice(agency.users)
                if channel == Channel.API:
                    row["idempotency_key"] = f"demo-{rng.getrandbits(64):016x}"
            else:
                row["submitted_by_id"] = rng.choice(self.mash_workers)
            row["channel"] = channel.value
        else:
            kind = {"public": ReporterKind.PUBLIC, "anonymous": ReporterKind.ANONYMOUS}.get(
                group, ReporterKind.PRACTITIONER)
            row.update(channel=_weighted(rng, ((Channel.PHONE, 80), (Channel.EMAIL, 15), (Channel.IN_PERSON, 5)))
                       .value, reporter_kind=kind.value, submitted_by_id=rng.choice(self.mash_workers))
            if kind != ReporterKind.ANONYMOUS:
                row.update(reporter_name=f"{first} {last}",
                           reporter_role="Member of the public" if kind == ReporterKind.PUBLIC else "Practitioner",
                           reporter_phone=f"01632 960{rng.randint(0, 999):03d}")
        row["worry_group"] = WORRY_GROUP[group]
        return row

    def _eligible(self, household: _Household, on: date) -> list[_PersonInfo]:
        return [c for c in household.children
                if c.date_of_birth is not None and c.date_of_birth <= on and _age_on(c.date_of_birth, on) < 18]

    def _pick(self, received_at: datetime, *, referral: bool, open_case: bool = False,
              prefer_worker: int | None = None) -> tuple[_Household, list[_PersonInfo]] | None:
        """Choose the family a contact is about, so that re-referrals and open cases come out as intended."""
        rng, on = self.rng, _local_day(received_at)
        window_start = twelve_months_before(on)
        # Households referred lately: the newest 40% of the referral list (indexed, never copied: it is long).
        referred = self.referred
        recent_from = max(0, len(referred) - max(50, int(len(referred) * 0.4)))

        def recent_household() -> _Household:
            return referred[rng.randrange(recent_from, len(referred))]

        if open_case:
            for _ in range(40 if referred else 0):
                household = recent_household()
                live = [e for e in household.episodes if e[0] <= received_at < e[1]]
                if not live:
                    continue
                _started, _ends, worker, child_ids = live[-1]
                if prefer_worker is not None and worker != prefer_worker and rng.random() < 0.7:
                    continue
                # Only the children whose case is open (allocated) make the contact go to their worker.
                children = [c for c in self._eligible(household, on) if c.id in child_ids]
                if children:
                    household.routing_worker_id = worker
                    return household, children[:2]
            return None
        if referral and referred and rng.random() < RE_REFERRAL_PICK:
            for _ in range(30):
                household = recent_household()
                if (household.last_referral_date is not None and household.last_referral_date >= window_start
                        and (household.open_until is None or household.open_until <= received_at)):
                    again = [c for c in self._eligible(household, on) if c.id in household.last_referral_children]
                    if again:
                        return household, again
        for _ in range(200):
            household = rng.choice(self.households)
            if household.open_until is not None and household.open_until > received_at:
                continue
            if referral and household.last_referral_date is not None \
                    and household.last_referral_date >= window_start:
                continue
            children = self._eligible(household, on)
            if children:
                return household, children if rng.random() < 0.4 else [rng.choice(children)]
        return None

    def _contact_rows(self, writer: _Writer, received_at: datetime, source_index: int, household: _Household,
                      children: list[_PersonInfo], *, status: ContactStatus, rag: Rag | None, due_at: datetime,
                      link: bool) -> dict[str, Any]:
        rng = self.rng
        contact_table, subject_table = _table(Contact), _table(ContactSubject)
        reporter = self._reporter(source_index, received_at)
        group = reporter.pop("worry_group")
        on = _local_day(received_at)
        adult = household.adults[0]
        worry = rng.choice(texts.WORRIES[group]).format(
            child=" and ".join(c.first_name for c in children), adult=adult.first_name,
            age=_age_on(children[0].date_of_birth, on) if children[0].date_of_birth else "unborn")
        consent = _weighted(rng, CONSENT_MIX)
        contact_id = writer.new_id(contact_table)
        row = writer.add(contact_table, {
            "id": contact_id, "received_at": received_at, "worry": worry, "consent": consent.value,
            "consent_notes": ("Mother not told: the referrer fears it would put the child at risk of further harm."
                              if consent == ConsentPosition.NOT_INFORMED_OTHER else None),
            "status": status.value, "rag": rag.value if rag else None, "due_at": due_at, "routed_to_id": None,
            "screened_by_id": None, "screening_notes": None, "decided_at": None, "version": 1,
            "created_at": received_at, **reporter})
        for child in children:
            known_dob = rng.random() < 0.85
            writer.add(subject_table, {
                "id": writer.new_id(subject_table), "contact_id": contact_id, "role": SubjectRole.CHILD.value,
                "first_name": child.first_name, "last_name": child.last_name,
                "date_of_birth": child.date_of_birth if known_dob else None,
                "nhs_number": child.nhs_number if group == "health" and rng.random() < 0.8 else None,
                "address": household.address, "postcode": household.postcode,
                "person_id": child.id if link else None})
        if rng.random() < 0.65:
            for adult_info in household.adults[: 1 if rng.random() < 0.6 else 2]:
                writer.add(subject_table, {
                    "id": writer.new_id(subject_table), "contact_id": contact_id, "role": SubjectRole.PARENT.value,
                    "first_name": adult_info.first_name, "last_name": adult_info.last_name,
                    "date_of_birth": adult_info.date_of_birth if rng.random() < 0.5 else None,
                    "nhs_number": None, "address": household.address, "postcode": household.postcode,
                    "person_id": adult_info.id if link else None})
        return row

    def _rate(self, writer: _Writer, wt: _WorkingTime, contact_id: int, received_at: datetime, final: Rag,
              latest: datetime, worker: int) -> tuple[datetime, datetime]:
        """RAG history: a first rating, sometimes a re-rating; returns (when first rated, due at)."""
        rng, table = self.rng, _table(RagRating)
        rated_at = min(wt.add(received_at, round(rng.uniform(0.1, 1.2), 2)), latest)
        first = final
        rerated = rng.random() < 0.12
        if rerated:
            first = rng.choice([r for r in Rag if r != final])
        due = wt.deadline(received_at, first)
        writer.add(table, {"id": writer.new_id(table), "contact_id": contact_id, "rating": first.value,
                           "rationale": rng.choice(texts.RAG_RATIONALES[first.value]), "rated_by_id": worker,
                           "rated_at": rated_at, "due_at": due})
        if rerated:
            again = min(wt.add(rated_at, round(rng.uniform(0.2, 3.0), 2)), latest)
            due = wt.deadline(received_at, final)
            writer.add(table, {"id": writer.new_id(table), "contact_id": contact_id, "rating": final.value,
                               "rationale": rng.choice(texts.RE_RATING_RATIONALES), "rated_by_id": worker,
                               "rated_at": again, "due_at": due})
        return rated_at, due

    def _checks(self, writer: _Writer, wt: _WorkingTime, contact_id: int, asked_at: datetime,
                answered_by: datetime, worker: int) -> None:
        """Partner checks; answered when the answer came before ``answered_by`` (the decision, or now)."""
        rng, table = self.rng, _table(PartnerCheck)
        groups = ["police", "school", "gp", "health_visiting", "housing", "probation", "early_help"]
        for group in rng.sample(groups, k=rng.randint(1, 3)):
            agency = rng.choice(self.agencies_by_group[group])
            requested_at = min(wt.add(asked_at, round(rng.uniform(0.05, 1.0), 2)), answered_by)
            due_at = front_door_rules.partner_check_deadline(requested_at, wt.settings)
            answer_at = wt.add(requested_at, round(rng.uniform(0.3, 11.0), 1))
            consent = _weighted(rng, ((CheckConsent.OBTAINED, 35), (CheckConsent.SOUGHT, 15),
                                      (CheckConsent.NOT_SOUGHT, 40), (CheckConsent.OVERRIDDEN, 10)))
            answered = answer_at <= answered_by
            writer.add(table, {
                "id": writer.new_id(table), "contact_id": contact_id, "agency_id": agency.id,
                "question": texts.CHECK_QUESTIONS.get(ROLE_GROUP.get(group, "other"),
                                                      texts.CHECK_QUESTIONS["health"] if group in (
                                                          "gp", "health_visiting") else texts.CHECK_QUESTIONS["other"]),
                "lawful_basis": LawfulBasis.PUBLIC_TASK.value, "consent": consent.value,
                "consent_reason": ("Seeking consent could place the child at risk of harm or prejudice an enquiry."
                                   if front_door_rules.check_consent_needs_reason(consent) else None),
                "requested_by_id": worker, "requested_at": requested_at, "due_at": due_at,
                "status": (CheckStatus.ANSWERED if answered else CheckStatus.REQUESTED).value,
                "response": rng.choice(texts.CHECK_ANSWERS) if answered else None,
                "responded_by_id": rng.choice(agency.users) if answered else None,
                "responded_at": answer_at if answered else None, "version": 1, "created_at": requested_at})

    def _route(self, writer: _Writer, contact_id: int, household: _Household, at: datetime) -> None:
        table = _table(ContactNote)
        writer.add(table, {"id": writer.new_id(table), "contact_id": contact_id, "kind": NoteKind.ROUTED.value,
                           "text": "The child's case is open: contact sent to the allocated worker.",
                           "author_id": household.routing_worker_id, "at": at})
        self.stats["routed"] += 1

    def _history_contact(self, writer: _Writer, wt: _WorkingTime, received_at: datetime, source_index: int,
                         *, pending: bool) -> None:
        rng, now = self.rng, self.now
        # About one contact in 16 concerns a child whose case is open: it goes to the allocated worker.
        if rng.random() < OPEN_CASE_SHARE:
            picked = self._pick(received_at, referral=False, open_case=True)
            if picked is not None:
                household, children = picked
                row = self._contact_rows(
                    writer, received_at, source_index, household, children,
                    status=ContactStatus.ROUTED_TO_ALLOCATED_WORKER, rag=None,
                    due_at=wt.deadline(received_at, None), link=True)
                row["routed_to_id"] = household.routing_worker_id
                self._route(writer, row["id"], household, received_at)
                return
        outcome, _w, levels, rags = OUTCOME_MIX[_weighted(rng, OUTCOME_WEIGHTS)]
        is_referral = outcome in front_door_rules.REFERRAL_OUTCOMES
        # A family with no referral in the last year, or (when none is free) any family whose case is closed:
        # that referral is then a re-referral, as it would be in life.
        picked = self._pick(received_at, referral=is_referral) or self._pick(received_at, referral=False)
        if picked is None:
            self.stats["skipped"] += 1
            return
        household, children = picked
        final = _weighted(rng, rags)
        level = _weighted(rng, levels)
        worker = rng.choice(self.mash_workers)
        # Working hours from receipt to decision: most within the RAG deadline, some late (drift the dashboard shows).
        hours = {Rag.RED: (0.5, 3.8, 4.5, 9.0), Rag.AMBER: (2.0, 22.0, 25.0, 40.0),
                 Rag.GREEN: (3.0, 22.0, 25.0, 45.0)}[final]
        late = rng.random() < (0.12 if final == Rag.RED else 0.18)
        delay = round(rng.uniform(hours[2], hours[3]) if late else rng.uniform(hours[0], hours[1]), 2)
        decided_at = wt.add(received_at, delay)
        if decided_at >= now:
            decided_at = received_at + (now - received_at) * rng.uniform(0.3, 0.8)
        contact_row = self._contact_rows(writer, received_at, source_index, household, children,
                                         status=ContactStatus.DECIDED, rag=final, due_at=received_at, link=True)
        contact_id = contact_row["id"]
        rated_at, due_at = self._rate(writer, wt, contact_id, received_at, final, decided_at, worker)
        if level >= 2 and rng.random() < 0.55:
            self._checks(writer, wt, contact_id, rated_at, decided_at, worker)
        needs_sign_off = front_door_rules.sign_off_required(outcome, wt.settings)
        signed_off_at = wt.add(decided_at, round(rng.uniform(0.1, 4.0), 2)) if needs_sign_off else decided_at
        waiting = needs_sign_off and (signed_off_at >= now or (
            pending and self.stats["awaiting_sign_off"] < self.size.awaiting_sign_off))
        contact_row.update(due_at=due_at, screened_by_id=worker,
                           screening_notes="Screened: history checked, partner information requested where needed.",
                           status=(ContactStatus.AWAITING_SIGN_OFF if waiting else ContactStatus.DECIDED).value,
                           decided_at=None if waiting else decided_at)
        decision_table = _table(ContactDecision)
        decision_id = writer.new_id(decision_table)
        manager = rng.choice(self.mash_managers)
        writer.add(decision_table, {
            "id": decision_id, "contact_id": contact_id, "level_of_need": level, "outcome": outcome.value,
            "rationale": rng.choice(texts.DECISION_RATIONALES[outcome.value]), "decided_by_id": worker,
            "decided_at": decided_at, "working_hours_to_decision": round(wt.between(received_at, decided_at), 4),
            "within_deadline": decided_at <= due_at,
            "status": (DecisionStatus.AWAITING_SIGN_OFF if waiting else DecisionStatus.IN_EFFECT).value,
            "signed_off_by_id": manager if needs_sign_off and not waiting else None,
            "signed_off_at": signed_off_at if needs_sign_off and not waiting else None,
            "sign_off_note": "Agree with the decision and rationale." if needs_sign_off and not waiting else None,
            "took_effect_at": None if waiting else signed_off_at})
        if waiting:
            self.stats["awaiting_sign_off"] += 1
            return
        if is_referral:
            self._refer(writer, household, children, contact_id, decision_id, outcome,
                        SOURCE_MIX[source_index][0], signed_off_at)

    def _refer(self, writer: _Writer, household: _Household, children: list[_PersonInfo], contact_id: int,
               decision_id: int, outcome: Outcome, source: str, took_effect_at: datetime) -> None:
        """One referral per child, flagged a re-referral exactly as casework.service.record_referral would flag it:
        the latest earlier referral of the child on or after the date twelve months before."""
        rng, now = self.rng, self.now
        referral_table, allocation_table = _table(Referral), _table(Allocation)
        on = _local_day(took_effect_at)
        window_start = twelve_months_before(on)
        service = "assessment" if outcome == Outcome.REFERRAL_FOR_ASSESSMENT else "child_protection"
        continuing = rng.random() < 0.45
        if continuing and service == "assessment":
            service = "children_in_need"
        team_id, _name = rng.choice(self.teams[service])
        worker = rng.choice(self.team_members[team_id])
        days = rng.randint(90, 540) if continuing else rng.randint(15, 65)
        ends = took_effect_at + timedelta(days=days, hours=rng.randint(0, 8))
        closed = ends < now
        for child in children:
            previous = self.person_referrals.get(child.id)
            is_re = previous is not None and previous[1] >= window_start
            referral_id = writer.new_id(referral_table)
            writer.add(referral_table, {
                "id": referral_id, "person_id": child.id, "contact_id": contact_id, "decision_id": decision_id,
                "referral_date": on, "referral_source": source, "primary_need": _weighted(rng, PRIMARY_NEED_MIX),
                "is_re_referral": is_re, "previous_referral_id": previous[0] if is_re and previous else None,
                "route": outcome.value, "closed_date": _local_day(ends) if closed else None,
                "closure_reason": (("RC7" if continuing else rng.choice(("RC8", "RC9"))) if closed else None),
                "created_at": took_effect_at})
            self.person_referrals[child.id] = (referral_id, on)
            self.stats["referrals"] += 1
            self.stats["re_referrals"] += int(is_re)
            writer.add(allocation_table, {
                "id": writer.new_id(allocation_table), "person_id": child.id, "worker_id": worker,
                "team_id": team_id, "started_at": took_effect_at, "ended_at": ends if closed else None,
                "handover_note": None})
            self.stats["allocations_open"] += int(not closed)
        household.last_referral_date = on
        household.last_referral_children = [c.id for c in children]
        episode_end = ends if closed else datetime.max.replace(tzinfo=UTC)
        household.episodes.append((took_effect_at, episode_end, worker, tuple(c.id for c in children)))
        household.open_until = max(household.open_until or episode_end, episode_end)
        self.referred.append(household)

    def _queue_contact(self, writer: _Writer, wt: _WorkingTime, received_at: datetime, source_index: int) -> None:
        """A contact still with the MASH: awaiting screening, or rated and waiting on checks and a decision."""
        rng, now = self.rng, self.now
        if rng.random() < 0.08:
            social_worker = self.staff["social.worker"].id
            picked = self._pick(received_at, referral=False, open_case=True, prefer_worker=social_worker)
            if picked is not None:
                household, children = picked
                row = self._contact_rows(
                    writer, received_at, source_index, household, children,
                    status=ContactStatus.ROUTED_TO_ALLOCATED_WORKER, rag=None,
                    due_at=wt.deadline(received_at, None), link=True)
                row["routed_to_id"] = household.routing_worker_id
                self._route(writer, row["id"], household, received_at)
                return
        picked = self._pick(received_at, referral=False)
        if picked is None:
            self.stats["skipped"] += 1
            return
        household, children = picked
        worker = rng.choice(self.mash_workers)
        rated_at = wt.add(received_at, round(rng.uniform(0.1, 2.0), 2))
        screened = rated_at < now and rng.random() < 0.65
        final = _weighted(rng, ((Rag.RED, 12), (Rag.AMBER, 45), (Rag.GREEN, 43)))
        row = self._contact_rows(
            writer, received_at, source_index, household, children,
            status=ContactStatus.IN_SCREENING if screened else ContactStatus.AWAITING_SCREENING,
            rag=final if screened else None, due_at=wt.deadline(received_at, None), link=rng.random() < 0.5)
        contact_id = row["id"]
        due_at = row["due_at"]
        if screened:
            _first, due_at = self._rate(writer, wt, contact_id, received_at, final, now, worker)
            row.update(due_at=due_at, screened_by_id=worker)
            if rng.random() < 0.5:
                self._checks(writer, wt, contact_id, rated_at, now, worker)
        self.stats["open"] += 1
        self.stats["overdue"] += int(due_at < now)

    # -- restrictions --------------------------------------------------------------------------------------------

    def build_restrictions(self, writer: _Writer) -> list[int]:
        """Restricted records: children related to a member of staff, open only to the users named."""
        rng = self.rng
        restriction_table, grant_table = _table(PersonRestriction), _table(PersonRestrictionGrant)
        candidates = [h for h in self.referred if h.children]
        restricted: list[int] = []
        chosen: list[int] = []
        for household in candidates[::-1]:
            child = household.children[0]
            if child.id not in chosen:
                chosen.append(child.id)
            if len(chosen) >= self.size.restricted:
                break
        named = [self.staff["mash.manager"].id, self.staff["team.manager"].id, self.staff["social.worker"].id]
        for person_id in chosen:
            writer.add(restriction_table, {
                "person_id": person_id, "restricted_by_id": self.staff["mash.manager"].id,
                "reason": f"Relative of a member of staff ({rng.choice(['niece', 'nephew', 'grandchild'])} of a "
                          "children's services employee): access limited to the named users.",
                "created_at": self.start})
            for user_id in named:
                writer.add(grant_table, {"id": writer.new_id(grant_table), "person_id": person_id,
                                         "user_id": user_id, "created_at": self.start})
            restricted.append(person_id)
        return restricted


# --- public entry points -----------------------------------------------------------------------------------------


def database_is_empty(database: Database) -> bool:
    """True when the database has no users and no people (so a demo council may be loaded)."""
    with database.engine.connect() as conn:
        has_users = conn.execute(select(exists().where(_table(User).c.id.is_not(None)))).scalar()
        has_people = conn.execute(select(exists().where(_table(Person).c.id.is_not(None)))).scalar()
    return not has_users and not has_people


FRONT_DOOR_TABLES: list[Table] = [
    _table(Team), _table(PartnerAgency), _table(User), _table(Person), _table(PersonAlias),
    _table(Address), _table(FamilyRelationship), _table(Contact), _table(ContactSubject),
    _table(RagRating), _table(PartnerCheck), _table(ContactDecision), _table(ContactNote),
    _table(Referral), _table(Allocation), _table(PersonRestriction), _table(PersonRestrictionGrant),
]


class DemoStage(Protocol):
    """A capability's part of the demo council (``casework.demo``, ``exploitation.demo``).

    ``build`` runs after the front door's people, contacts and referrals exist, reads what it needs from the
    builder (``households``, ``referred``, ``teams``, ``team_members``, ``now``, ``size``, ``seed``) and adds rows
    through ``writer``. It must draw its randomness from its own ``random.Random`` seeded from ``builder.seed``, so
    that adding a stage leaves every earlier table's content unchanged.
    """

    TABLES: list[Table]

    def build(self, builder: Any, writer: Any) -> dict[str, int]: ...


def demo_stages() -> list[DemoStage]:
    from safeguarding.casework import demo as casework_demo
    from safeguarding.exploitation import demo as exploitation_demo
    from safeguarding.insight import demo as insight_demo
    from safeguarding.returns import demo as returns_demo

    return [casework_demo, exploitation_demo, returns_demo, insight_demo]


def all_tables() -> list[Table]:
    return FRONT_DOOR_TABLES + [table for stage in demo_stages() for table in stage.TABLES]


def build_council(database: Database, *, size: str = "small", seed: int = 1, progress: ProgressLike | None = None,
                  now: datetime | None = None) -> CouncilSummary:
    """Load a synthetic council into ``database`` in one transaction and return what was loaded.

    ``now`` fixes the reference moment (tests); by default it is the current minute, so the MASH queue is live.
    Refuses a database that already holds users or people: demo data never mixes with real records.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    if not database_is_empty(database):
        raise ValueError("The database already holds users or people; the demo council loads only into an empty "
                         "database.")
    began = clock.perf_counter()
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    builder = _Builder(database, SIZES[size], seed, moment, progress)
    written_task = builder._task("Writing rows", None)  # type: ignore[arg-type]

    with database.transaction() as session:
        connection = session.connection()
        settings = local_settings.get_all(session)
        tables = all_tables()
        writer = _Writer(connection, tables, lambda n: builder._advance(written_task, n))
        sign_ins = builder.build_staff(writer)
        builder.build_people(writer)
        writer.flush()
        builder.build_contacts(writer, settings)
        restricted = builder.build_restrictions(writer)
        writer.flush()
        stage_stats: dict[str, int] = {}
        for stage in demo_stages():
            stage_stats.update(stage.build(builder, writer))
            writer.flush()
        # The stages wrote case events in bulk, not through the services that recompute a child's deadlines as each
        # event is recorded: run the nightly recompute once, so the due pages show the council's drift at once.
        from safeguarding.timescales.service import recompute_all

        stage_stats["deadlines"] = recompute_all(session, today=_local_day(moment)).deadlines
        writer.reset_sequences()
        counts = {table.name: writer.counts[table.name] for table in tables}
        detail = {"size": size, "seed": seed, "reference_time": moment.isoformat(), "rows": counts,
                  "referrals": builder.stats["referrals"], "re_referrals": builder.stats["re_referrals"],
                  "stages": stage_stats}
        record(session, Actor.system("demo"), "load", "demo_council", None, reason="demo council loaded",
               detail=detail)
    # A bulk load leaves the planner without statistics (and autovacuum may be off), so every page would be
    # planned blind: gather them now. SQLite's planner needs none for these queries.
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return CouncilSummary(
        council=names.COUNCIL_NAME, size=size, seed=seed, reference_time=moment, counts=counts,
        sign_ins=sign_ins, password=DEMO_PASSWORD, admin_totp_secret=ADMIN_TOTP_SECRET,
        open_contacts=builder.stats["open"], overdue_contacts=builder.stats["overdue"],
        awaiting_sign_off=builder.stats["awaiting_sign_off"], routed_contacts=builder.stats["routed"],
        referrals=builder.stats["referrals"], re_referrals=builder.stats["re_referrals"],
        open_allocations=builder.stats["allocations_open"], restricted_people=restricted,
        seconds=clock.perf_counter() - began)


# Tables whose content the seed decides (password hashes are salted and audit rows are timestamped on commit, so
# both are left out).
DIGEST_EXCLUDED_COLUMNS = {"password_hash"}


def content_digest(database: Database) -> str:
    """SHA-256 over every demo table's rows in id order: equal digests mean identical content."""
    digest = hashlib.sha256()
    with database.engine.connect() as conn:
        for table in all_tables():
            columns = [c for c in table.c if c.name not in DIGEST_EXCLUDED_COLUMNS]
            order = list(table.primary_key.columns)
            for row in conn.execute(select(*columns).order_by(*order)):
                digest.update(repr(tuple(_canonical(v) for v in row)).encode())
                digest.update(b"\n")
            digest.update(table.name.encode())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


__all__ = ["ADMIN_TOTP_SECRET", "DEMO_PASSWORD", "SIZES", "CouncilSize", "build_council", "content_digest",
           "database_is_empty"]
