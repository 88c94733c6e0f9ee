"""The demo council's front door: three years of contacts up to the reference moment from partner agencies, calls
and e-mails, with RAG ratings, partner checks, threshold decisions and sign-off, contacts routed to allocated
workers, and the referrals (re-referrals flagged as ``casework.referrals`` would flag them) and allocations decisions
open; the newest contacts wait in the MASH queue. A stage of ``demo.council.build_council``, run after the people
(``people.demo``), drawing from the council's own random sequence (``builder.rng``) so a seed gives the same
council.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Table

from safeguarding.casework.models import Allocation, Referral
from safeguarding.casework.referrals import twelve_months_before
from safeguarding.core.calendar import add_working_hours, is_working_day, working_hours_between
from safeguarding.demo import names, texts
from safeguarding.demo.picture import (
    HISTORY_YEARS,
    SHOWCASE,
    Household,
    PersonInfo,
    local_day,
    table_of,
    weighted,
)
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

TABLES: list[Table] = [
    table_of(m)
    for m in (Contact, ContactSubject, RagRating, PartnerCheck, ContactDecision, ContactNote, Referral, Allocation)
]
# Share of referrals made for a child referred in the 12 months before (when one is available): tuned so that the
# council's re-referral rate lands near the national 22.6% (DfE Children in need 2025, table C1), allowing for first
# referrals.
RE_REFERRAL_PICK = 0.27
# Share of contacts about a child whose case is open at the time: these go to the allocated worker.
OPEN_CASE_SHARE = 0.06

# Referral sources with weights (percent of contacts). Police and schools are the largest sources nationally
# (28% and 21% of referrals: DfE Children in need 2025); the rest is a typical mix.
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

WORRY_GROUP = {
    "police": "police",
    "school": "school",
    "gp": "health",
    "health_visiting": "health",
    "school_nursing": "health",
    "midwifery": "health",
    "hospital": "health",
    "housing": "local",
    "adult_social_care": "local",
    "youth_justice": "local",
    "early_help": "local",
    "probation": "local",
    "voluntary": "local",
    "practitioner": "local",
    "public": "public",
    "anonymous": "public",
}
ROLE_GROUP = {
    "police": "police",
    "school": "school",
    "housing": "housing",
    "probation": "probation",
    "early_help": "early_help",
}

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

PRIMARY_NEED_MIX = (
    ("N1", 55),
    ("N2", 4),
    ("N3", 5),
    ("N4", 12),
    ("N5", 14),
    ("N6", 4),
    ("N7", 1),
    ("N8", 3),
    ("N0", 2),
)
CONSENT_MIX = (
    (ConsentPosition.CONSENT_GIVEN, 55),
    (ConsentPosition.AWARE_NOT_CONSENTED, 20),
    (ConsentPosition.NOT_INFORMED_RISK, 15),
    (ConsentPosition.NOT_INFORMED_OTHER, 5),
    (ConsentPosition.UNKNOWN, 5),
)


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


class _Stage:
    """The front door's part of the build, on the council's builder: its random sequence, clock and size, the
    staff and partner agencies, the families, and the counts the council's summary shows (``builder.stats``)."""

    def __init__(self, builder: Any) -> None:
        self.rng, self.now, self.start, self.size = builder.rng, builder.now, builder.start, builder.size
        self.stats, self.staff, self.teams, self.team_members = (
            builder.stats,
            builder.staff,
            builder.teams,
            builder.team_members,
        )
        self.mash_workers, self.mash_managers = builder.mash_workers, builder.mash_managers
        self.agencies_by_group = builder.agencies_by_group
        self.households, self.referred, self.person_referrals = (
            builder.households,
            builder.referred,
            builder.person_referrals,
        )
        self.local, self.task, self.advance = builder.local, builder.task, builder.advance
        self.showcase: dict[int, str] = builder.showcase

    def run(self, writer: Any, settings: dict[str, Any]) -> None:
        size, now = self.size, self.now
        wt = _WorkingTime(settings)
        task = self.task("Contacts, decisions and referrals", size.contacts)
        daily = size.contacts / (365 * HISTORY_YEARS)
        # The queue: the newest contacts, spread over the last one to four days depending on the council's size.
        queue_days = min(4.0, max(1.0, size.open_contacts / max(daily, 1e-9)))
        history_end = now - timedelta(days=queue_days)
        n_history = size.contacts - size.open_contacts

        arrivals = sorted(self._arrival(self.start, history_end) for _ in range(n_history))
        arrivals, showcase = self._with_showcase(arrivals)
        queue_arrivals = sorted(
            self._arrival(history_end, now - timedelta(minutes=5), working=True) for _ in range(size.open_contacts)
        )
        # The last decisions needing sign-off wait for it (the sign-off list is never empty in a demo).
        pending_from = len(arrivals) - size.awaiting_sign_off * 3
        self.stats.update(
            {
                "skipped": 0,
                "routed": 0,
                "referrals": 0,
                "re_referrals": 0,
                "awaiting_sign_off": 0,
                "open": 0,
                "overdue": 0,
                "allocations_open": 0,
            }
        )
        for index, (received_at, source_index) in enumerate(arrivals):
            self._history_contact(
                writer, wt, received_at, source_index, pending=index >= pending_from, showcase=showcase.get(index)
            )
            writer.maybe_flush()
            self.advance(task)
        for received_at, source_index in queue_arrivals:
            self._queue_contact(writer, wt, received_at, source_index)
            writer.maybe_flush()
            self.advance(task)

    def _arrival(self, earliest: datetime, latest: datetime, working: bool = False) -> tuple[datetime, int]:
        """When a contact arrived and from which source: police at any hour, others mostly in office hours."""
        rng = self.rng
        source_index = weighted(rng, SOURCE_WEIGHTS)
        is_police = SOURCE_MIX[source_index][2] == "police"
        first_day, last_day = local_day(earliest), local_day(latest)
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
        row: dict[str, Any] = {
            "referral_source": code,
            "reporting_agency_id": None,
            "submitted_by_id": None,
            "reporter_name": None,
            "reporter_role": None,
            "reporter_phone": None,
            "reporter_email": None,
            "idempotency_key": None,
        }
        if agency is not None:
            channel = weighted(
                rng,
                (
                    (Channel.PORTAL, 55),
                    (Channel.API, 25 if group == "police" else 5),
                    (Channel.PHONE, 15),
                    (Channel.EMAIL, 10),
                ),
            )
            role = texts.REPORTER_ROLES.get(ROLE_GROUP.get(group, ""), "Safeguarding lead")
            row.update(
                reporting_agency_id=agency.id,
                reporter_kind=ReporterKind.PARTNER_AGENCY.value,
                reporter_name=f"{first} {last}",
                reporter_role=role,
                reporter_email=f"{people_rules.name_key(first)}.{people_rules.name_key(last)}@{agency.domain}",
                # Ofcom's 01632 960xxx numbers are reserved for drama: never a real line.
                reporter_phone=f"01632 960{rng.randint(0, 999):03d}",
            )
            if channel in (Channel.PORTAL, Channel.API):
                row["submitted_by_id"] = rng.choice(agency.users)
                if channel == Channel.API:
                    row["idempotency_key"] = f"demo-{rng.getrandbits(64):016x}"
            else:
                row["submitted_by_id"] = rng.choice(self.mash_workers)
            row["channel"] = channel.value
        else:
            kind = {"public": ReporterKind.PUBLIC, "anonymous": ReporterKind.ANONYMOUS}.get(
                group, ReporterKind.PRACTITIONER
            )
            row.update(
                channel=weighted(rng, ((Channel.PHONE, 80), (Channel.EMAIL, 15), (Channel.IN_PERSON, 5))).value,
                reporter_kind=kind.value,
                submitted_by_id=rng.choice(self.mash_workers),
            )
            if kind != ReporterKind.ANONYMOUS:
                row.update(
                    reporter_name=f"{first} {last}",
                    reporter_role="Member of the public" if kind == ReporterKind.PUBLIC else "Practitioner",
                    reporter_phone=f"01632 960{rng.randint(0, 999):03d}",
                )
        row["worry_group"] = WORRY_GROUP[group]
        return row

    def _eligible(self, household: Household, on: date) -> list[PersonInfo]:
        return [
            c
            for c in household.children
            if c.date_of_birth is not None and c.date_of_birth <= on and people_rules.age_on(c.date_of_birth, on) < 18
        ]

    def _pick(
        self, received_at: datetime, *, referral: bool, open_case: bool = False, prefer_worker: int | None = None
    ) -> tuple[Household, list[PersonInfo]] | None:
        """Choose the family a contact is about, so that re-referrals and open cases come out as intended."""
        rng, on = self.rng, local_day(received_at)
        window_start = twelve_months_before(on)
        # Households referred lately: the newest 40% of the referral list (indexed, never copied: it is long).
        referred = self.referred
        recent_from = max(0, len(referred) - max(50, int(len(referred) * 0.4)))

        def recent_household() -> Household:
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
                if (
                    household.last_referral_date is not None
                    and household.last_referral_date >= window_start
                    and (household.open_until is None or household.open_until <= received_at)
                ):
                    again = [c for c in self._eligible(household, on) if c.id in household.last_referral_children]
                    if again:
                        return household, again
        for _ in range(200):
            household = rng.choice(self.households)
            if household.open_until is not None and household.open_until > received_at:
                continue
            if referral and household.last_referral_date is not None and household.last_referral_date >= window_start:
                continue
            children = self._eligible(household, on)
            if children:
                return household, children if rng.random() < 0.4 else [rng.choice(children)]
        return None

    def _contact_rows(
        self,
        writer: Any,
        received_at: datetime,
        source_index: int,
        household: Household,
        children: list[PersonInfo],
        *,
        status: ContactStatus,
        rag: Rag | None,
        due_at: datetime,
        link: bool,
    ) -> dict[str, Any]:
        rng = self.rng
        contact_table, subject_table = table_of(Contact), table_of(ContactSubject)
        reporter = self._reporter(source_index, received_at)
        group = reporter.pop("worry_group")
        on = local_day(received_at)
        adult = household.adults[0]
        worry = rng.choice(texts.WORRIES[group]).format(
            child=" and ".join(c.first_name for c in children),
            adult=adult.first_name,
            age=people_rules.age_on(children[0].date_of_birth, on) if children[0].date_of_birth else "unborn",
        )
        consent = weighted(rng, CONSENT_MIX)
        contact_id = writer.new_id(contact_table)
        row = writer.add(
            contact_table,
            {
                "id": contact_id,
                "received_at": received_at,
                "worry": worry,
                "consent": consent.value,
                "consent_notes": (
                    "Mother not told: the referrer fears it would put the child at risk of further harm."
                    if consent == ConsentPosition.NOT_INFORMED_OTHER
                    else None
                ),
                "status": status.value,
                "rag": rag.value if rag else None,
                "due_at": due_at,
                "routed_to_id": None,
                "screened_by_id": None,
                "screening_notes": None,
                "decided_at": None,
                "version": 1,
                "created_at": received_at,
                **reporter,
            },
        )
        for child in children:
            known_dob = rng.random() < 0.85
            writer.add(
                subject_table,
                {
                    "id": writer.new_id(subject_table),
                    "contact_id": contact_id,
                    "role": SubjectRole.CHILD.value,
                    "first_name": child.first_name,
                    "last_name": child.last_name,
                    "date_of_birth": child.date_of_birth if known_dob else None,
                    "nhs_number": child.nhs_number if group == "health" and rng.random() < 0.8 else None,
                    "address": household.address,
                    "postcode": household.postcode,
                    "person_id": child.id if link else None,
                },
            )
        if rng.random() < 0.65:
            for adult_info in household.adults[: 1 if rng.random() < 0.6 else 2]:
                writer.add(
                    subject_table,
                    {
                        "id": writer.new_id(subject_table),
                        "contact_id": contact_id,
                        "role": SubjectRole.PARENT.value,
                        "first_name": adult_info.first_name,
                        "last_name": adult_info.last_name,
                        "date_of_birth": adult_info.date_of_birth if rng.random() < 0.5 else None,
                        "nhs_number": None,
                        "address": household.address,
                        "postcode": household.postcode,
                        "person_id": adult_info.id if link else None,
                    },
                )
        return row

    def _rate(
        self,
        writer: Any,
        wt: _WorkingTime,
        contact_id: int,
        received_at: datetime,
        final: Rag,
        latest: datetime,
        worker: int,
    ) -> tuple[datetime, datetime]:
        """RAG history: a first rating, sometimes a re-rating; returns (when first rated, due at)."""
        rng, table = self.rng, table_of(RagRating)
        rated_at = min(wt.add(received_at, round(rng.uniform(0.1, 1.2), 2)), latest)
        first = final
        rerated = rng.random() < 0.12
        if rerated:
            first = rng.choice([r for r in Rag if r != final])
        due = wt.deadline(received_at, first)
        writer.add(
            table,
            {
                "id": writer.new_id(table),
                "contact_id": contact_id,
                "rating": first.value,
                "rationale": rng.choice(texts.RAG_RATIONALES[first.value]),
                "rated_by_id": worker,
                "rated_at": rated_at,
                "due_at": due,
            },
        )
        if rerated:
            again = min(wt.add(rated_at, round(rng.uniform(0.2, 3.0), 2)), latest)
            due = wt.deadline(received_at, final)
            writer.add(
                table,
                {
                    "id": writer.new_id(table),
                    "contact_id": contact_id,
                    "rating": final.value,
                    "rationale": rng.choice(texts.RE_RATING_RATIONALES),
                    "rated_by_id": worker,
                    "rated_at": again,
                    "due_at": due,
                },
            )
        return rated_at, due

    def _checks(
        self, writer: Any, wt: _WorkingTime, contact_id: int, asked_at: datetime, answered_by: datetime, worker: int
    ) -> list[dict[str, Any]]:
        """Partner checks; answered when the answer came before ``answered_by`` (the decision, or now). Returns the
        rows, which the caller may still close (``_close_unanswered``)."""
        rng, table = self.rng, table_of(PartnerCheck)
        rows: list[dict[str, Any]] = []
        groups = ["police", "school", "gp", "health_visiting", "housing", "probation", "early_help"]
        for group in rng.sample(groups, k=rng.randint(1, 3)):
            agency = rng.choice(self.agencies_by_group[group])
            requested_at = min(wt.add(asked_at, round(rng.uniform(0.05, 1.0), 2)), answered_by)
            due_at = front_door_rules.partner_check_deadline(requested_at, wt.settings)
            answer_at = wt.add(requested_at, round(rng.uniform(0.3, 11.0), 1))
            consent = weighted(
                rng,
                (
                    (CheckConsent.OBTAINED, 35),
                    (CheckConsent.SOUGHT, 15),
                    (CheckConsent.NOT_SOUGHT, 40),
                    (CheckConsent.OVERRIDDEN, 10),
                ),
            )
            answered = answer_at <= answered_by
            row = writer.add(
                table,
                {
                    "id": writer.new_id(table),
                    "contact_id": contact_id,
                    "agency_id": agency.id,
                    "question": texts.CHECK_QUESTIONS.get(
                        ROLE_GROUP.get(group, "other"),
                        texts.CHECK_QUESTIONS["health"]
                        if group in ("gp", "health_visiting")
                        else texts.CHECK_QUESTIONS["other"],
                    ),
                    "lawful_basis": LawfulBasis.PUBLIC_TASK.value,
                    "consent": consent.value,
                    "consent_reason": (
                        "Seeking consent could place the child at risk of harm or prejudice an enquiry."
                        if front_door_rules.check_consent_needs_reason(consent)
                        else None
                    ),
                    "requested_by_id": worker,
                    "requested_at": requested_at,
                    "due_at": due_at,
                    "status": (CheckStatus.ANSWERED if answered else CheckStatus.REQUESTED).value,
                    "response": rng.choice(texts.CHECK_ANSWERS) if answered else None,
                    "responded_by_id": rng.choice(agency.users) if answered else None,
                    "responded_at": answer_at if answered else None,
                    "version": 1,
                    "created_at": requested_at,
                },
            )
            rows.append(row)
        return rows

    @staticmethod
    def _close_unanswered(checks: list[dict[str, Any]]) -> None:
        """A decided contact's checks still unanswered are closed (no longer needed): the partner sees the check
        withdrawn, and no check from a decision long past is left waiting for an answer."""
        for row in checks:
            if row["status"] == CheckStatus.REQUESTED.value:
                row["status"] = CheckStatus.WITHDRAWN.value

    def _routed(
        self,
        writer: Any,
        wt: _WorkingTime,
        received_at: datetime,
        source_index: int,
        household: Household,
        children: list[PersonInfo],
    ) -> None:
        """A contact about children whose case is open: sent to their allocated worker, with the note saying so."""
        row = self._contact_rows(
            writer,
            received_at,
            source_index,
            household,
            children,
            status=ContactStatus.ROUTED_TO_ALLOCATED_WORKER,
            rag=None,
            due_at=wt.deadline(received_at, None),
            link=True,
        )
        row["routed_to_id"] = household.routing_worker_id
        table = table_of(ContactNote)
        writer.add(
            table,
            {
                "id": writer.new_id(table),
                "contact_id": row["id"],
                "kind": NoteKind.ROUTED.value,
                "text": "The child's case is open: contact sent to the allocated worker.",
                "author_id": household.routing_worker_id,
                "at": received_at,
            },
        )
        self.stats["routed"] += 1

    def _history_contact(
        self,
        writer: Any,
        wt: _WorkingTime,
        received_at: datetime,
        source_index: int,
        *,
        pending: bool,
        showcase: str | None = None,
    ) -> None:
        """``showcase``: the contact makes one of the demo social worker's drift cases (``demo.picture.SHOWCASE``)."""
        rng, now = self.rng, self.now
        # About one contact in 16 concerns a child whose case is open: it goes to the allocated worker.
        if rng.random() < OPEN_CASE_SHARE and showcase is None:
            picked = self._pick(received_at, referral=False, open_case=True)
            if picked is not None:
                self._routed(writer, wt, received_at, source_index, *picked)
                return
        outcome, _w, levels, rags = OUTCOME_MIX[weighted(rng, OUTCOME_WEIGHTS)]
        if showcase is not None:
            outcome, _w, levels, rags = next(mix for mix in OUTCOME_MIX if mix[0] == Outcome.REFERRAL_FOR_ASSESSMENT)
        is_referral = outcome in front_door_rules.REFERRAL_OUTCOMES
        # A family with no referral in the last year, or (when none is free) any family whose case is closed:
        # that referral is then a re-referral, as it would be in life.
        picked = self._pick(received_at, referral=is_referral) or self._pick(received_at, referral=False)
        if picked is None:
            self.stats["skipped"] += 1
            return
        household, children = picked
        final = weighted(rng, rags)
        level = weighted(rng, levels)
        worker = rng.choice(self.mash_workers)
        # Working hours from receipt to decision: most within the RAG deadline, some late (drift the dashboard shows).
        hours = {Rag.RED: (0.5, 3.8, 4.5, 9.0), Rag.AMBER: (2.0, 22.0, 25.0, 40.0), Rag.GREEN: (3.0, 22.0, 25.0, 45.0)}[
            final
        ]
        late = rng.random() < (0.12 if final == Rag.RED else 0.18) and showcase is None
        delay = round(rng.uniform(hours[2], hours[3]) if late else rng.uniform(hours[0], hours[1]), 2)
        decided_at = wt.add(received_at, delay)
        if decided_at >= now:
            decided_at = received_at + (now - received_at) * rng.uniform(0.3, 0.8)
        contact_row = self._contact_rows(
            writer,
            received_at,
            source_index,
            household,
            children,
            status=ContactStatus.DECIDED,
            rag=final,
            due_at=received_at,
            link=True,
        )
        contact_id = contact_row["id"]
        rated_at, due_at = self._rate(writer, wt, contact_id, received_at, final, decided_at, worker)
        checks: list[dict[str, Any]] = []
        if level >= 2 and rng.random() < 0.55:
            checks = self._checks(writer, wt, contact_id, rated_at, decided_at, worker)
        needs_sign_off = front_door_rules.sign_off_required(outcome, wt.settings)
        signed_off_at = wt.add(decided_at, round(rng.uniform(0.1, 4.0), 2)) if needs_sign_off else decided_at
        waiting = needs_sign_off and (
            signed_off_at >= now or (pending and self.stats["awaiting_sign_off"] < self.size.awaiting_sign_off)
        )
        contact_row.update(
            due_at=due_at,
            screened_by_id=worker,
            screening_notes="Screened: history checked, partner information requested where needed.",
            status=(ContactStatus.AWAITING_SIGN_OFF if waiting else ContactStatus.DECIDED).value,
            decided_at=None if waiting else decided_at,
        )
        decision_table = table_of(ContactDecision)
        decision_id = writer.new_id(decision_table)
        manager = rng.choice(self.mash_managers)
        writer.add(
            decision_table,
            {
                "id": decision_id,
                "contact_id": contact_id,
                "level_of_need": level,
                "outcome": outcome.value,
                "rationale": rng.choice(texts.DECISION_RATIONALES[outcome.value]),
                "decided_by_id": worker,
                "decided_at": decided_at,
                "working_hours_to_decision": round(wt.between(received_at, decided_at), 4),
                "within_deadline": decided_at <= due_at,
                "status": (DecisionStatus.AWAITING_SIGN_OFF if waiting else DecisionStatus.IN_EFFECT).value,
                "signed_off_by_id": manager if needs_sign_off and not waiting else None,
                "signed_off_at": signed_off_at if needs_sign_off and not waiting else None,
                "sign_off_note": "Agree with the decision and rationale." if needs_sign_off and not waiting else None,
                "took_effect_at": None if waiting else signed_off_at,
            },
        )
        if waiting:
            self.stats["awaiting_sign_off"] += 1
            return
        self._close_unanswered(checks)
        if is_referral:
            self._refer(
                writer,
                household,
                children,
                contact_id,
                decision_id,
                outcome,
                SOURCE_MIX[source_index][0],
                signed_off_at,
                showcase,
            )

    def _refer(
        self,
        writer: Any,
        household: Household,
        children: list[PersonInfo],
        contact_id: int,
        decision_id: int,
        outcome: Outcome,
        source: str,
        took_effect_at: datetime,
        showcase: str | None = None,
    ) -> None:
        """One referral per child, flagged a re-referral exactly as casework.referrals.record_referral would flag it:
        the latest earlier referral of the child on or after the date twelve months before."""
        rng, now = self.rng, self.now
        referral_table, allocation_table = table_of(Referral), table_of(Allocation)
        on = local_day(took_effect_at)
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
        if showcase is not None:
            # One of the demo social worker's cases that show drift: allocated to them, in their team, still open.
            demo_worker = self.staff["social.worker"]
            worker, team_id, closed = demo_worker.id, demo_worker.team_id, False
            self.showcase.update(dict.fromkeys((c.id for c in children), showcase))
        for child in children:
            previous = self.person_referrals.get(child.id)
            is_re = previous is not None and previous[1] >= window_start
            referral_id = writer.new_id(referral_table)
            writer.add(
                referral_table,
                {
                    "id": referral_id,
                    "person_id": child.id,
                    "contact_id": contact_id,
                    "decision_id": decision_id,
                    "referral_date": on,
                    "referral_source": source,
                    "primary_need": weighted(rng, PRIMARY_NEED_MIX),
                    "is_re_referral": is_re,
                    "previous_referral_id": previous[0] if is_re and previous else None,
                    "route": outcome.value,
                    "closed_date": local_day(ends) if closed else None,
                    "closure_reason": (("RC7" if continuing else rng.choice(("RC8", "RC9"))) if closed else None),
                    "created_at": took_effect_at,
                },
            )
            self.person_referrals[child.id] = (referral_id, on)
            self.stats["referrals"] += 1
            self.stats["re_referrals"] += int(is_re)
            writer.add(
                allocation_table,
                {
                    "id": writer.new_id(allocation_table),
                    "person_id": child.id,
                    "worker_id": worker,
                    "team_id": team_id,
                    "started_at": took_effect_at,
                    "ended_at": ends if closed else None,
                    "handover_note": None,
                },
            )
            self.stats["allocations_open"] += int(not closed)
        household.last_referral_date = on
        household.last_referral_children = [c.id for c in children]
        episode_end = ends if closed else datetime.max.replace(tzinfo=UTC)
        household.episodes.append((took_effect_at, episode_end, worker, tuple(c.id for c in children)))
        household.open_until = max(household.open_until or episode_end, episode_end)
        self.referred.append(household)

    def _with_showcase(self, arrivals: list[tuple[datetime, int]]) -> tuple[list[tuple[datetime, int]], dict[int, str]]:
        """The history's arrivals with those of the demo social worker's drift cases (``demo.picture.SHOWCASE``)
        in place of the arrivals nearest them (so the council keeps its number of contacts), and which index of
        the sorted list makes which kind of case. Each arrives at 10:30 on a working day a set number of working
        days before the reference day."""
        today = local_day(self.now)
        wanted: list[tuple[datetime, str]] = []
        for kind, ages in SHOWCASE.items():
            for age in ages:
                day, counted = today, 0
                while counted < age:
                    day -= timedelta(days=1)
                    counted += is_working_day(day)
                wanted.append((self.local(day, time(10, 30)), kind))
        replaced: dict[int, tuple[datetime, str]] = {}
        for moment, kind in wanted:
            index = min(bisect_left(arrivals, (moment, -1)), len(arrivals) - 1)
            while index in replaced and index > 0:
                index -= 1
            replaced[index] = (moment, kind)
        changed = list(arrivals)
        for index, (moment, _kind) in replaced.items():
            changed[index] = (moment, changed[index][1])
        order = sorted(range(len(changed)), key=lambda i: changed[i])
        position = {old: new for new, old in enumerate(order)}
        return [changed[i] for i in order], {position[i]: kind for i, (_moment, kind) in replaced.items()}

    def _queue_contact(self, writer: Any, wt: _WorkingTime, received_at: datetime, source_index: int) -> None:
        """A contact still with the MASH: awaiting screening, or rated and waiting on checks and a decision."""
        rng, now = self.rng, self.now
        if rng.random() < 0.08:
            social_worker = self.staff["social.worker"].id
            picked = self._pick(received_at, referral=False, open_case=True, prefer_worker=social_worker)
            if picked is not None:
                self._routed(writer, wt, received_at, source_index, *picked)
                return
        picked = self._pick(received_at, referral=False)
        if picked is None:
            self.stats["skipped"] += 1
            return
        household, children = picked
        worker = rng.choice(self.mash_workers)
        rated_at = wt.add(received_at, round(rng.uniform(0.1, 2.0), 2))
        screened = rated_at < now and rng.random() < 0.65
        final = weighted(rng, ((Rag.RED, 12), (Rag.AMBER, 45), (Rag.GREEN, 43)))
        row = self._contact_rows(
            writer,
            received_at,
            source_index,
            household,
            children,
            status=ContactStatus.IN_SCREENING if screened else ContactStatus.AWAITING_SCREENING,
            rag=final if screened else None,
            due_at=wt.deadline(received_at, None),
            link=rng.random() < 0.5,
        )
        contact_id = row["id"]
        due_at = row["due_at"]
        if screened:
            _first, due_at = self._rate(writer, wt, contact_id, received_at, final, now, worker)
            row.update(due_at=due_at, screened_by_id=worker)
            if rng.random() < 0.5:
                self._checks(writer, wt, contact_id, rated_at, now, worker)
        self.stats["open"] += 1
        self.stats["overdue"] += int(due_at < now)


def build(builder: Any, writer: Any, settings: dict[str, Any]) -> None:
    """Add the council's contacts, decisions, referrals and allocations through ``writer``."""
    _Stage(builder).run(writer, settings)
