"""A synthetic demo council ("Northbridge"), deterministic from its seed, at any size from a borough to a city.

``build_council(database, size=..., seed=...)`` fills an empty database with staff and teams, partner agencies and
their practitioners, one demo sign-in per role, families (``people.demo``: parents, siblings, half-siblings, adults
shared across households, addresses with history), three years of contacts up to now (``front_door.demo``: RAG
history, partner checks, threshold decisions, referrals flagged as ``casework.referrals`` would flag them,
allocations), restricted records, and each capability's own stage (``casework.demo`` and the others). Every number
is synthetic: NHS numbers are in the 999 test range, postcodes in the fictional "NB" area.

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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Connection, Table, exists, func, select, text

from safeguarding.casework import demo as casework_demo
from safeguarding.children_in_care import care_leaver_demo
from safeguarding.children_in_care import demo as children_in_care_demo
from safeguarding.core import local_settings
from safeguarding.core.audit import Actor, record
from safeguarding.core.calendar import LONDON
from safeguarding.core.db import Database
from safeguarding.core.restrictions import PersonRestriction, PersonRestrictionGrant
from safeguarding.core.security import hash_password, new_token
from safeguarding.core.users import AgencyKind, PartnerAgency, Role, Team, User
from safeguarding.demo import names
from safeguarding.demo.identifiers import IdentifierSource
from safeguarding.demo.picture import HISTORY_YEARS, Agency, Household, Staff, local_day, table_of
from safeguarding.demo.summary import CouncilSummary, DemoSignIn
from safeguarding.early_help import demo as early_help_demo
from safeguarding.exploitation import demo as exploitation_demo
from safeguarding.family_network import demo as family_network_demo
from safeguarding.front_door import demo as front_door_demo
from safeguarding.front_door.models import Contact, ContactSubject
from safeguarding.insight import demo as insight_demo
from safeguarding.people import demo as people_demo
from safeguarding.people import rules as people_rules
from safeguarding.people.duplicates import demo as people_duplicates_demo
from safeguarding.people.models import Person
from safeguarding.returns import demo as returns_demo
from safeguarding.timescales.service import recompute_all

# --- sizes and fixed demo facts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CouncilSize:
    """How big a council is. Social workers are sized so that open cases per case-holding worker come near the
    DfE average caseload (15.2 in 2025: DfE "Children's social work workforce")."""

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
    "small": CouncilSize(
        people=2_000,
        contacts=3_000,
        open_contacts=40,
        awaiting_sign_off=8,
        mash_workers=6,
        social_workers=16,
        restricted=2,
    ),
    "medium": CouncilSize(
        people=20_000,
        contacts=40_000,
        open_contacts=120,
        awaiting_sign_off=25,
        mash_workers=16,
        social_workers=185,
        restricted=4,
    ),
    # A big city, for the benchmarks.
    "large": CouncilSize(
        people=130_000,
        contacts=300_000,
        open_contacts=250,
        awaiting_sign_off=50,
        mash_workers=40,
        social_workers=700,
        restricted=8,
    ),
}

DEMO_PASSWORD = "Northbridge-Demo-2026"  # noqa: S105 (a published demo password, printed by describe())
# Administrators must pass a second factor; the demo admin's TOTP secret is fixed so it can be typed into an app.
ADMIN_TOTP_SECRET = "NORTHBRIDGEDEMOADMINSECRET234567"  # noqa: S105
BATCH_ROWS = 5_000


class ProgressLike(Protocol):
    def add_task(self, description: str, *, total: float | None = ...) -> Any: ...

    def update(
        self, task_id: Any, *, advance: float | None = ..., completed: float | None = ..., description: str | None = ...
    ) -> None: ...


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
    ("service.leader", Role.SERVICE_LEADER, "Lena Marsh"),
    ("iro", Role.INDEPENDENT_REVIEWING_OFFICER, "Ira Okonjo"),
    ("virtual.school", Role.VIRTUAL_SCHOOL, "Vera Schofield"),
    ("placements", Role.PLACEMENTS_OFFICER, "Priya Lalani"),
    ("personal.adviser", Role.PERSONAL_ADVISER, "Priya Adeyemi"),
    ("early.help", Role.EARLY_HELP_PRACTITIONER, "Ellie Hart"),
    ("early.help.manager", Role.EARLY_HELP_MANAGER, "Hugh Ellison"),
    ("data.quality", Role.DATA_QUALITY_OFFICER, "Dara Quinlan"),
)


# --- writing rows --------------------------------------------------------------------------------------------


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
            with (
                raw.cursor() as cursor,  # type: ignore[union-attr]  # the driver's connection of an open connection
                cursor.copy(f'COPY "{table.name}" ({names_sql}) FROM STDIN') as copy,
            ):
                for value in values:
                    copy.write_row(value)
        else:
            marks = ", ".join("?" for _ in columns)
            self.connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({names_sql}) VALUES ({marks})', values)  # noqa: S608

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
            self.connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 (table names are ours)
                    f'(SELECT COALESCE(MAX(id), 1) FROM "{name}"), (SELECT COUNT(*) > 0 FROM "{name}"))'
                )
            )


# --- the council while it is built ------------------------------------------------------------------------------


class _Builder:
    """The council being built: its random sequence, clock and size, and what each stage made that later ones read
    (staff, teams, partner agencies, households, referrals)."""

    def __init__(
        self, database: Database, size: CouncilSize, seed: int, now: datetime, progress: ProgressLike | None
    ) -> None:
        self.database = database
        self.size = size
        self.seed = seed
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - timedelta(days=365 * HISTORY_YEARS)
        self.progress = progress
        self.teams: dict[str, list[tuple[int, str]]] = {}
        self.staff: dict[str, Staff] = {}
        self.team_members: dict[int, list[int]] = {}
        self.mash_workers: list[int] = []
        self.mash_managers: list[int] = []
        self.agencies: list[Agency] = []
        self.agencies_by_group: dict[str, list[Agency]] = {}
        self.households: list[Household] = []
        self.referred: list[Household] = []
        self.person_referrals: dict[int, tuple[int, date]] = {}
        # The demo social worker's children whose cases show drift: child -> kind (demo.picture.SHOWCASE).
        self.showcase: dict[int, str] = {}
        self.identifiers = IdentifierSource(self.rng)
        self.stats: dict[str, int] = {}

    # -- plumbing -----------------------------------------------------------------------------------------------

    def task(self, description: str, total: int) -> Any:
        return self.progress.add_task(description, total=total) if self.progress is not None else None

    def advance(self, task: Any, amount: int = 1) -> None:
        if self.progress is not None and task is not None:
            self.progress.update(task, advance=amount)

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, LONDON).astimezone(UTC)

    # -- staff, teams and partners -------------------------------------------------------------------------------

    def build_staff(self, writer: _Writer) -> list[DemoSignIn]:
        rng, size = self.rng, self.size
        team_table, user_table = table_of(Team), table_of(User)
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

        def user(
            role: Role,
            *,
            team_id: int | None = None,
            agency_id: int | None = None,
            manager_id: int | None = None,
            demo: tuple[str, str] | None = None,
            email_domain: str = "northbridge.gov.example",
            named: str | None = None,
        ) -> Staff:
            user_id = writer.new_id(user_table)
            if demo:
                username, full_name = demo
                used_usernames.add(username)
            elif named:  # a name given, not drawn (the random stream left as it was)
                full_name = named
                username = username_for(*named.split(" ", 1))
            else:
                first, last = person_name()
                username, full_name = username_for(first, last), f"{first} {last}"
            writer.add(
                user_table,
                {
                    "id": user_id,
                    "username": username,
                    "full_name": full_name,
                    "email": f"{username}@{email_domain}",
                    "role": role.value,
                    "team_id": team_id,
                    "agency_id": agency_id,
                    "manager_id": manager_id,
                    "password_hash": demo_hash if demo else locked_hash,
                    "totp_secret": ADMIN_TOTP_SECRET if demo and role == Role.ADMINISTRATOR else None,
                    "failed_sign_ins": 0,
                    "active": True,
                    "created_at": created,
                },
            )
            staff = Staff(user_id, username, role, team_id)
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
            user(Role.MASH_MANAGER, team_id=mash, manager_id=head.id).id for _ in range(max(1, size.mash_workers // 8))
        ]
        mash_worker = user(Role.MASH_WORKER, team_id=mash, manager_id=mash_manager.id, demo=demo_names["mash.worker"])
        self.staff["mash.worker"] = mash_worker
        self.mash_workers = [mash_worker.id] + [
            user(Role.MASH_WORKER, team_id=mash, manager_id=rng.choice(self.mash_managers)).id
            for _ in range(size.mash_workers - 1)
        ]

        # Case-holding teams of about seven social workers each: assessment, children in need, child protection.
        split = (
            ("assessment", "Assessment team", 0.40),
            ("children_in_need", "Children in need team", 0.35),
            ("child_protection", "Child protection team", 0.25),
        )
        first_team = True
        for service, label, share in split:
            workers = max(3, round(size.social_workers * share))
            count = max(1, round(workers / 7))
            for n in range(1, count + 1):
                team_id = team(f"{label} {n}", service)
                if first_team:
                    manager = user(
                        Role.TEAM_MANAGER, team_id=team_id, manager_id=head.id, demo=demo_names["team.manager"]
                    )
                    self.staff["team.manager"] = manager
                    self.staff["social.worker"] = user(
                        Role.SOCIAL_WORKER, team_id=team_id, manager_id=manager.id, demo=demo_names["social.worker"]
                    )
                else:
                    manager = user(Role.TEAM_MANAGER, team_id=team_id, manager_id=head.id)
                for _ in range(workers // count - (1 if first_team else 0)):
                    user(Role.SOCIAL_WORKER, team_id=team_id, manager_id=manager.id)
                first_team = False

        exploitation = team("Exploitation and missing team", "exploitation")
        exploitation_manager = user(Role.TEAM_MANAGER, team_id=exploitation, manager_id=head.id)
        self.staff["exploitation"] = user(
            Role.EXPLOITATION_PRACTITIONER,
            team_id=exploitation,
            manager_id=exploitation_manager.id,
            demo=demo_names["exploitation"],
        )
        for _ in range(max(2, size.social_workers // 60)):
            user(Role.EXPLOITATION_PRACTITIONER, team_id=exploitation, manager_id=exploitation_manager.id)

        performance = team("Performance and intelligence", "performance")
        self.staff["analyst"] = user(
            Role.PERFORMANCE_ANALYST, team_id=performance, manager_id=head.id, demo=demo_names["analyst"]
        )
        for _ in range(max(1, size.social_workers // 150)):
            user(Role.PERFORMANCE_ANALYST, team_id=performance, manager_id=head.id)

        admin_team = team("Business support and systems", "admin")
        self.staff["admin"] = user(Role.ADMINISTRATOR, team_id=admin_team, manager_id=head.id, demo=demo_names["admin"])
        # The head of service's read-only view across the service (a director or head of service signs in as it).
        self.staff["service.leader"] = user(Role.SERVICE_LEADER, demo=demo_names["service.leader"])
        # A care leaver's personal adviser (issue 15), in the leaving care team.
        leaving_care = team("Leaving care", "leaving_care")
        self.staff["personal.adviser"] = user(
            Role.PERSONAL_ADVISER, team_id=leaving_care, manager_id=head.id, demo=demo_names["personal.adviser"]
        )

        # Partner agencies and their practitioners (who answer checks and submit through the portal or API).
        agency_table = table_of(PartnerAgency)
        for name, kind, source, group in AGENCIES:
            agency_id = writer.new_id(agency_table)
            writer.add(
                agency_table,
                {
                    "id": agency_id,
                    "name": name,
                    "kind": kind.value,
                    "default_referral_source": source,
                    "created_at": created,
                },
            )
            domain = people_rules.name_key(name)[:24] + ".example"
            agency = Agency(agency_id, name, kind, source, group, domain=domain)
            self.agencies.append(agency)
            self.agencies_by_group.setdefault(group, []).append(agency)
        police = self.agencies_by_group["police"][0]
        school = self.agencies_by_group["school"][0]
        self.staff["partner.police"] = user(
            Role.PARTNER_PRACTITIONER,
            agency_id=police.id,
            demo=demo_names["partner.police"],
            email_domain=police.domain,
        )
        police.users.append(self.staff["partner.police"].id)
        self.staff["partner.school"] = user(
            Role.PARTNER_PRACTITIONER,
            agency_id=school.id,
            demo=demo_names["partner.school"],
            email_domain=school.domain,
        )
        school.users.append(self.staff["partner.school"].id)
        for agency in self.agencies:
            extra = 3 if agency.group == "police" else 1
            for _ in range(extra + (1 if self.size.people >= 20_000 else 0)):
                agency.users.append(user(Role.PARTNER_PRACTITIONER, agency_id=agency.id, email_domain=agency.domain).id)

        # Children in care (children_in_care/): reviewing officers, the placements team and the virtual school. Made
        # last and named without the random stream, so every row made before them is unchanged.
        reviewing = team("Independent reviewing service", "children_in_care")
        self.staff["iro"] = user(
            Role.INDEPENDENT_REVIEWING_OFFICER, team_id=reviewing, manager_id=head.id, demo=demo_names["iro"]
        )
        for full_name in ("Owen Reddy", "Grace Achebe"):
            user(Role.INDEPENDENT_REVIEWING_OFFICER, team_id=reviewing, manager_id=head.id, named=full_name)
        placements = team("Placements team", "children_in_care")
        self.staff["placements"] = user(
            Role.PLACEMENTS_OFFICER, team_id=placements, manager_id=head.id, demo=demo_names["placements"]
        )
        self.staff["virtual.school"] = user(Role.VIRTUAL_SCHOOL, team_id=None, demo=demo_names["virtual.school"])
        # Early help and Family Help (early_help/): the early help team's manager and practitioners. Made last and
        # named without the random stream, so every row made before them is unchanged.
        early_help = team("Early help team", "early_help")
        early_help_manager = user(
            Role.EARLY_HELP_MANAGER, team_id=early_help, manager_id=head.id, demo=demo_names["early.help.manager"]
        )
        self.staff["early.help.manager"] = early_help_manager
        self.staff["early.help"] = user(
            Role.EARLY_HELP_PRACTITIONER,
            team_id=early_help,
            manager_id=early_help_manager.id,
            demo=demo_names["early.help"],
        )
        self.staff["early.help.other"] = user(
            Role.EARLY_HELP_PRACTITIONER, team_id=early_help, manager_id=early_help_manager.id, named="Nadia Brook"
        )
        # The person index's keeper (people/duplicates/): reviews the proposed duplicates. Made last and named without
        # the random stream, so every row made before them is unchanged.
        data_quality = team("Data quality team", "data_quality")
        self.staff["data.quality"] = user(
            Role.DATA_QUALITY_OFFICER, team_id=data_quality, manager_id=head.id, demo=demo_names["data.quality"]
        )

        return [DemoSignIn(username, role.label, full) for username, role, full in DEMO_SIGN_INS]

    # -- restrictions --------------------------------------------------------------------------------------------

    def routed_children(self) -> Any:
        """A query of the children a contact was routed to a worker about (the front door's rows): the casework
        stage leaves them allocated (case work reads nothing of the front door)."""
        contact, subject = table_of(Contact), table_of(ContactSubject)
        return (
            select(subject.c.person_id)
            .join(contact, contact.c.id == subject.c.contact_id)
            .where(contact.c.routed_to_id.is_not(None), subject.c.person_id.is_not(None))
        )

    def build_restrictions(self, writer: _Writer) -> list[int]:
        """Restricted records: children related to a member of staff, open only to the users named."""
        rng = self.rng
        restriction_table, grant_table = table_of(PersonRestriction), table_of(PersonRestrictionGrant)
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
            writer.add(
                restriction_table,
                {
                    "person_id": person_id,
                    "restricted_by_id": self.staff["mash.manager"].id,
                    "reason": f"Relative of a member of staff ({rng.choice(['niece', 'nephew', 'grandchild'])} of a "
                    "children's services employee): access limited to the named users.",
                    "created_at": self.start,
                },
            )
            for user_id in named:
                writer.add(
                    grant_table,
                    {
                        "id": writer.new_id(grant_table),
                        "person_id": person_id,
                        "user_id": user_id,
                        "created_at": self.start,
                    },
                )
            restricted.append(person_id)
        return restricted


# --- public entry points -----------------------------------------------------------------------------------------


def database_is_empty(database: Database) -> bool:
    """True when the database has no users and no people (so a demo council may be loaded)."""
    with database.engine.connect() as conn:
        has_users = conn.execute(select(exists().where(table_of(User).c.id.is_not(None)))).scalar()
        has_people = conn.execute(select(exists().where(table_of(Person).c.id.is_not(None)))).scalar()
    return not has_users and not has_people


# In the order they are written (a row's parents first): the council's staff and partners, its people, the front
# door's contacts with the referrals they opened, and restricted records.
COUNCIL_TABLES: list[Table] = [
    table_of(Team),
    table_of(PartnerAgency),
    table_of(User),
    *people_demo.TABLES,
    *front_door_demo.TABLES,
    table_of(PersonRestriction),
    table_of(PersonRestrictionGrant),
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

    return [
        casework_demo,
        exploitation_demo,
        children_in_care_demo,
        returns_demo,
        insight_demo,
        care_leaver_demo,
        family_network_demo,
        early_help_demo,
        # Last: children recorded twice and a pair of twins, then the duplicate check over the whole index.
        people_duplicates_demo,
    ]


def all_tables() -> list[Table]:
    return COUNCIL_TABLES + [table for stage in demo_stages() for table in stage.TABLES]


def build_council(
    database: Database,
    *,
    size: str = "small",
    seed: int = 1,
    progress: ProgressLike | None = None,
    now: datetime | None = None,
) -> CouncilSummary:
    """Load a synthetic council into ``database`` in one transaction and return what was loaded.

    ``now`` fixes the reference moment (tests); by default it is the current minute, so the MASH queue is live.
    Refuses a database that already holds users or people: demo data never mixes with real records.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    if not database_is_empty(database):
        raise ValueError(
            "The database already holds users or people; the demo council loads only into an empty database."
        )
    began = clock.perf_counter()
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    builder = _Builder(database, SIZES[size], seed, moment, progress)
    written_task = builder.task("Writing rows", None)  # type: ignore[arg-type]

    with database.transaction() as session:
        connection = session.connection()
        settings = local_settings.get_all(session)
        tables = all_tables()
        writer = _Writer(connection, tables, lambda n: builder.advance(written_task, n))
        sign_ins = builder.build_staff(writer)
        people_demo.build(builder, writer)
        writer.flush()
        front_door_demo.build(builder, writer, settings)
        restricted = builder.build_restrictions(writer)
        writer.flush()
        stage_stats: dict[str, int] = {}
        for stage in demo_stages():
            stage_stats.update(stage.build(builder, writer))
            writer.flush()
        # The stages wrote case events in bulk, not through the services that recompute a child's deadlines as each
        # event is recorded: run the nightly recompute once, so the due pages show the council's drift at once.

        stage_stats["deadlines"] = recompute_all(session, today=local_day(moment)).deadlines
        writer.reset_sequences()
        counts = {table.name: writer.counts[table.name] for table in tables}
        detail = {
            "size": size,
            "seed": seed,
            "reference_time": moment.isoformat(),
            "rows": counts,
            "referrals": builder.stats["referrals"],
            "re_referrals": builder.stats["re_referrals"],
            "stages": stage_stats,
        }
        record(session, Actor.system("demo"), "load", "demo_council", None, reason="demo council loaded", detail=detail)
    # A bulk load leaves the planner without statistics (and autovacuum may be off), so every page would be
    # planned blind: gather them now. SQLite's planner needs none for these queries.
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return CouncilSummary(
        council=names.COUNCIL_NAME,
        size=size,
        seed=seed,
        reference_time=moment,
        counts=counts,
        sign_ins=sign_ins,
        password=DEMO_PASSWORD,
        admin_totp_secret=ADMIN_TOTP_SECRET,
        open_contacts=builder.stats["open"],
        overdue_contacts=builder.stats["overdue"],
        awaiting_sign_off=builder.stats["awaiting_sign_off"],
        routed_contacts=builder.stats["routed"],
        referrals=builder.stats["referrals"],
        re_referrals=builder.stats["re_referrals"],
        open_allocations=builder.stats["allocations_open"],
        restricted_people=restricted,
        seconds=clock.perf_counter() - began,
    )


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


__all__ = [
    "ADMIN_TOTP_SECRET",
    "DEMO_PASSWORD",
    "SIZES",
    "CouncilSize",
    "build_council",
    "content_digest",
    "database_is_empty",
]
