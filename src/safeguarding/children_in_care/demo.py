"""The demo council's children in care: a stage of ``demo.council.build_council``.

From the children whose cases case work left open (most of them on a child protection plan, the rest on a child in
need plan or in assessment), one in five comes into care -- a few dozen in the small council -- with a
history: a legal status that moves on (police protection to an interim care order, an interim care order to a care
order, section 20 to a care order), placements and moves with their reasons, a new carer now and then, the care
and placement plans, the IRO's reviews, statutory visits, health assessments and personal education plans. Some
have left care (home, to a special guardian, to live with relatives). Drift is kept on purpose: late first reviews,
visits that stopped, care plans never written, initial health assessments still awaited.

Beside them, from a second random stream (so the rows above stay as they were), a few children whose care the
leaders' figures need: children looked after for years (from before the episode of need now open: a settled
long-term placement for most, so that long-term stability has its children), children who move often (three or
more placements in a year), and children who go missing from care now and then, with their return interviews.

Deterministic from the seed, with its own random streams; every event is in order (``rules.order_problem`` would
accept each), so the episodes derived from them are well formed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, select, update

from safeguarding.casework.models import Allocation, ChildProtectionPlan, Referral
from safeguarding.children_in_care import outcomes, rules
from safeguarding.children_in_care.models import (
    CareEvent,
    CarePeriod,
    CareVisit,
    DeprivationOfLiberty,
    EducationPlan,
    HealthAssessment,
    HealthOutcomes,
    LookedAfterReview,
)
from safeguarding.children_in_care.permanence_models import (
    Adopter,
    AdoptionDecision,
    AdoptiveFamily,
    PermanencePlan,
    PreviousPermanence,
)
from safeguarding.core.calendar import LONDON, add_calendar_months, add_working_days_quick
from safeguarding.core.dates import birthday
from safeguarding.core.users import Role, User
from safeguarding.exploitation import demo as exploitation_demo
from safeguarding.people.models import Person


def _t(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


MODELS: tuple[type[Any], ...] = (
    CarePeriod,
    CareEvent,
    LookedAfterReview,
    CareVisit,
    HealthAssessment,
    EducationPlan,
    HealthOutcomes,
    AdoptiveFamily,
    Adopter,
    AdoptionDecision,
    PermanencePlan,
    PreviousPermanence,
    DeprivationOfLiberty,
)
TABLES: list[Table] = [_t(m) for m in MODELS]

SHARE = 0.2  # of the open cases that come into care
FIRST_PLACEMENTS = (("U6", "PR1"), ("U6", "PR4"), ("U3", "PR1"), ("K2", "PR4"), ("U1", "PR1"), ("R1", "PR4"))
MOVES = (("U6", "PR4"), ("U4", "PR1"), ("K2", "PR4"), ("U3", "PR1"), ("U5", "PR1"), ("K3", "PR4"))
REASONS = ("CARPL", "CARPL", "CREQB", "CREQO", "CHILD", "CLOSE", "STAND", "LAREQ")
LEAVING = ("E4A", "E4A", "E13", "E45", "E41", "E48")
CARER_FIRST = ("Ash", "Bea", "Cal", "Dee", "Eli", "Fern", "Gil", "Hana", "Ivo", "Jo", "Kit", "Lee", "Max", "Nia")
CARER_LAST = ("Ashdown", "Brook", "Carrow", "Dene", "Elmore", "Fairley", "Glen", "Hartley", "Ings", "Kersey")
HOMES = ("Beacon House", "Oakfield Lodge", "Riverside Home", "Willow Court", "Hilltop House")
# The second stream's children (a few whatever the council's size: the leaders' figures need some of each).
LONG_STANDING = 5  # looked after for two and a half to five years
UNSETTLED = 6  # moving every one to four months


FOSTER = frozenset({"U1", "U2", "U3", "U4", "U5", "U6"})
# A foster placement's Ofsted URN is its fostering service's (SSDA903 URN; rule 218 asks it of every placement but
# P1, P3, R1, R2, R5, temporary and "other" ones): the council's own service (PR1), or the independent or voluntary
# agency's (PR4, PR5); a placement for adoption's is its adoption agency's. Synthetic numbers.
FOSTERING_URNS = {"PR1": "SC470001", "PR4": "SC480002", "PR5": "SC480003"}
ADOPTION_URNS = {"PR1": "SC490001", "PR5": "SC490002"}
ADOPTION_PLACEMENTS = frozenset({"A3", "A4", "A5", "A6"})


def away_from(postcode: str, home: str) -> str:
    """The postcode, its sector moved on by one where it is the home's (no further draw: the rest of the demo is
    unchanged)."""
    if postcode[:-2] != home[:-2]:
        return postcode
    digit = int(postcode[-3])
    return f"{postcode[:-3]}{digit % 9 + 1}{postcode[-2:]}"


def fostering_urn(place: str, provider: str | None) -> str | None:
    """The URN of a foster placement's fostering service, or a placement for adoption's adoption agency; None for
    any other placement."""
    if place in FOSTER:
        return FOSTERING_URNS.get(provider or "")
    return ADOPTION_URNS.get(provider or "") if place in ADOPTION_PLACEMENTS else None


# Why a child in care's social worker changed (the DfE's SW_REASON codes, core.codes.SOCIAL_WORKER_CHANGE_REASONS).
TRANSFER_REASONS = ("TSPROC", "TSPROC", "PCCHAN", "LEFTRL", "MANAGE", "CHCHAN", "ORGRST")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _until_18(born: date, today: date) -> date | None:
    """The 18th birthday where it has passed (the day the status ceased at the latest), else None (still held)."""
    try:
        eighteen = born.replace(year=born.year + 18)
    except ValueError:  # 29 February
        eighteen = date(born.year + 18, 3, 1)
    return eighteen if eighteen <= today else None


class _Stage:
    def __init__(self, builder: Any, writer: Any) -> None:
        self.builder = builder
        self.writer = writer
        self.rng = random.Random(f"children-in-care-{builder.seed}")
        self.today = builder.now.astimezone(LONDON).date()
        self.stats = {"periods": 0, "left_care": 0, "placements": 0, "reviews": 0, "visits": 0, "dolo": 0}
        # Missing and absent episodes from care have their own stream, so the rest of the council is unchanged.
        self.missing_rng = random.Random(f"children-in-care-missing-{builder.seed}")
        self.missing: list[tuple[int, datetime, str]] = []
        # Transfers to another social worker, with the reason recorded: their own stream too.
        self.transfer_rng = random.Random(f"children-in-care-transfers-{builder.seed}")
        self.workers: list[tuple[int, int | None]] = []
        self.routed: set[int] = set()
        # Permanence draws from its own stream, so that adding it left every other child's history as it was.
        self.perm = random.Random(f"permanence-{builder.seed}")
        self.families = 0
        self.stats.update({"adoption_decisions": 0, "adopted": 0, "permanence_plans": 0})

    # -- plumbing --------------------------------------------------------------------------------------------------

    def add(self, model: type[Any], row: dict[str, Any]) -> int:
        table = _t(model)
        row["id"] = self.writer.new_id(table)
        if "created_at" in table.c and "created_at" not in row:
            row["created_at"] = datetime.combine(row.get("_on", self.today), time(11, 0), LONDON).astimezone(UTC)
        row.pop("_on", None)
        self.writer.add(table, row)
        return int(row["id"])

    def wd(self, day: date, n: int) -> date:
        return add_working_days_quick(day, max(0, n))

    def postcode(self, area: str = "NB") -> str:
        rng = self.rng
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return f"{area}{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"

    def carer(self, place: str) -> str:
        rng = self.rng
        if place in {"K2", "K3", "R1"}:
            return rng.choice(HOMES)
        return f"{rng.choice(CARER_FIRST)} and {rng.choice(CARER_FIRST)} {rng.choice(CARER_LAST)}"

    # -- who comes into care ---------------------------------------------------------------------------------------

    def candidates(self) -> list[tuple[int, date, int, date]]:
        """Open cases: (child, referral date, referral id, date of birth), those on a protection plan first."""
        conn = self.writer.connection
        allocation, referral, plan, person = _t(Allocation), _t(Referral), _t(ChildProtectionPlan), _t(Person)
        open_children = set(
            conn.execute(select(allocation.c.person_id).where(allocation.c.ended_at.is_(None))).scalars()
        )
        on_plan = set(conn.execute(select(plan.c.person_id).where(plan.c.ended_on.is_(None))).scalars())
        rows = conn.execute(
            select(referral.c.person_id, referral.c.referral_date, referral.c.id, person.c.date_of_birth)
            .join(person, person.c.id == referral.c.person_id)
            .where(referral.c.closed_date.is_(None))
            .order_by(referral.c.id)
        )
        found = [
            (pid, ref_date, rid, born)
            for pid, ref_date, rid, born in rows
            if pid in open_children and born is not None and born < ref_date - timedelta(days=60)
        ]
        found.sort(key=lambda r: (r[0] not in on_plan, r[0]))
        return found

    def reviewing_officers(self) -> list[int]:
        table = _t(User)
        return list(
            self.writer.connection.execute(
                select(table.c.id).where(table.c.role == Role.INDEPENDENT_REVIEWING_OFFICER.value).order_by(table.c.id)
            ).scalars()
        )

    # -- one child's history ---------------------------------------------------------------------------------------

    def child(
        self,
        person_id: int,
        referral_date: date,
        referral_id: int,
        born: date,
        iros: list[int],
        *,
        long_standing: bool = False,
        unsettled: bool = False,
    ) -> bool:
        """One child's time in care; ``long_standing``: in care for years, from before the open episode of need
        (settled in a long-term placement, mostly); ``unsettled``: from soon after the referral, moving often.
        Whether the child came into care."""
        rng = self.rng
        latest_start = self.today - timedelta(days=3)
        earliest = max(referral_date + timedelta(days=2), born + timedelta(days=30))
        if long_standing:
            earliest = self.today - timedelta(days=rng.randint(950, 1800))
            if earliest < born + timedelta(days=30):
                return False
            started = earliest
        elif earliest > latest_start:
            return False
        elif unsettled:
            started = earliest + timedelta(days=rng.randint(0, 10))
        else:
            started = earliest + timedelta(days=int(rng.random() ** 1.5 * (latest_start - earliest).days))
        if started > latest_start:
            return False
        age = (started - born).days / 365.25
        uasc = age >= 15 and rng.random() < 0.15
        legal = "V2" if uasc else rng.choice(("C1", "C1", "C1", "V2", "L1", "L2"))
        leaves = not (long_standing or unsettled) and rng.random() < 0.2 and (self.today - started).days > 90
        # The second stream's children (long-standing, unsettled) are not on an adoption journey: their own histories
        # are what the stability indicators read, and the first stream's draws stay as they were.
        adoption = None if (long_standing or unsettled) else self.adoption_journey(started, age, uasc)
        if adoption is not None:
            leaves = False  # the adoption order, or the decision ending, is this child's way out of care
        end = started + timedelta(days=rng.randint(60, max(61, (self.today - started).days - 1))) if leaves else None
        if adoption is not None and adoption.get("adopted") is not None:
            end = adoption["adopted"]
        last_day = end or self.today
        period_id = self.add(
            CarePeriod,
            {
                "person_id": person_id,
                # A child in care from before the episode of need now open came into care from an earlier one.
                "referral_id": None if uasc or long_standing else referral_id,
                "started_on": started,
                "ended_on": end,
                "reason_ended": None,  # set with the leaving event, below
                "unaccompanied_asylum_seeking": uasc,
                # An unaccompanied asylum-seeking child's status ends at 18 at the latest (SSDA903 rule 304).
                "unaccompanied_until": _until_18(born, self.today) if uasc else None,
                "iro_id": rng.choice(iros) if iros and rng.random() > 0.06 else None,
                # Drift: one care plan in eight never written, one in six late.
                "care_plan_on": None
                if rng.random() < 0.12
                else self.wd(started, rng.randint(0, 9) if rng.random() > 0.17 else rng.randint(12, 30)),
                "_on": started,
            },
        )
        self.stats["periods"] += 1
        home = self.postcode()
        place, provider = rng.choice(FIRST_PLACEMENTS)
        common = {"period_id": period_id, "person_id": person_id}
        self.add(
            CareEvent,
            {
                **common,
                "kind": rules.START,
                "occurred_on": started,
                "legal_status": legal,
                "category_of_need": "N1" if rng.random() < 0.7 else rng.choice(("N2", "N4", "N5", "N8")),
                "placement_type": place,
                "placement_provider": provider,
                "carer": self.carer(place),
                "placement_postcode": self.postcode("ZZ" if rng.random() < 0.15 else "NB"),
                "home_postcode": home,
                "urn": f"SC{rng.randint(100000, 999999)}"
                if place in {"K2", "K3", "R1"}
                else fostering_urn(place, provider),
                "long_term": place in {"U1", "U4"},
                "placement_plan_on": self.wd(started, rng.randint(0, 4)) if rng.random() > 0.15 else None,
                "_on": started,
            },
        )
        placements = [started]
        # The legal status moves on: protection to an interim order within days, an interim order to a care order.
        day = started
        if legal in {"L1", "L2"}:
            day = started + timedelta(days=rng.randint(1, 3))
            legal = self.change_status(common, day, "C1", last_day)
        if adoption is not None and adoption.get("order") is not None:
            legal = self.change_status(common, adoption["order"], "E1", last_day)  # the placement order
        elif legal == "C1":
            day = day + timedelta(days=rng.randint(70, 240))
            legal = self.change_status(common, day, "C2", last_day)
        elif legal == "V2" and not uasc and rng.random() < 0.3:
            day = day + timedelta(days=rng.randint(30, 200))
            legal = self.change_status(common, day, "C1", last_day)
        # Moves: about one a year, more for the unsettled.
        moved = started
        settled = long_standing and rng.random() < 0.75
        moves_until = adoption["placed"] if adoption is not None and adoption.get("placed") else last_day
        while True:
            moved = moved + timedelta(days=rng.randint(40, 110) if unsettled else rng.randint(40, 420))
            if moved >= moves_until or (settled and len(placements) > 1):
                break
            kind = rules.CARER if rng.random() < 0.15 and place.startswith("U") else rules.PLACEMENT
            if kind == rules.CARER:
                # A new foster family of the same kind and provider: a new household, so a new placement postcode
                # (the SSDA903 rule 435 looks for the change of placement an RNE of P says happened).
                self.add(
                    CareEvent,
                    {
                        **common,
                        "kind": rules.PLACEMENT,
                        "occurred_on": moved,
                        "placement_type": place,
                        "placement_provider": provider,
                        "carer": self.carer("U6"),
                        "reason_place_change": rng.choice(("CLOSE", "CREQO", "APPRR")),
                        "placement_postcode": self.postcode(),
                        "urn": fostering_urn(place, provider),
                        "long_term": place in {"U1", "U4"},
                        "placement_plan_on": self.wd(moved, rng.randint(0, 6)),
                        "_on": moved,
                    },
                )
            else:
                place, provider = rng.choice(MOVES)
                if place == "K3" and (moved - born).days < 16 * 365.25:
                    place = "K2"  # supported accommodation is for young people of 16 and over (rule 371)
                self.add(
                    CareEvent,
                    {
                        **common,
                        "kind": kind,
                        "occurred_on": moved,
                        "placement_type": place,
                        "placement_provider": provider,
                        "carer": self.carer(place),
                        "placement_postcode": self.postcode("ZZ" if rng.random() < 0.2 else "NB"),
                        "urn": f"SC{rng.randint(100000, 999999)}"
                        if place in {"K2", "K3"}
                        else fostering_urn(place, provider),
                        "long_term": place in {"U1", "U4"},
                        "placement_plan_on": self.wd(moved, rng.randint(0, 6)) if rng.random() > 0.1 else None,
                        "reason_place_change": rng.choice(REASONS),
                        "_on": moved,
                    },
                )
            placements.append(moved)
            self.stats["placements"] += 1
            if settled:  # the long-term placement the child has been in since
                place, provider = "U4", "PR1"
                self.writer.buffers[_t(CareEvent).name][-1].update(
                    placement_type=place,
                    placement_provider=provider,
                    long_term=True,
                    urn=fostering_urn(place, provider),
                )
        if adoption is None and end is None and place == "K2" and len(placements) > 1 and self.stats["dolo"] < 3:
            # A deprivation of liberty order for a few children moved to a children's home and still there: made
            # a week after the move, still in force (no random draw: every other child's history stays as it was).
            ordered = placements[-1] + timedelta(days=7)
            if ordered < self.today:
                self.add(DeprivationOfLiberty, {**common, "started_on": ordered, "version": 1, "_on": ordered})
                self.stats["dolo"] += 1
        if adoption is not None:
            self.record_adoption(common, adoption, placements, home)
        if end is not None:
            reason = rng.choice(LEAVING) if adoption is None else self.perm.choice(("E11", "E11", "E12"))
            if reason in {"E45", "E46"} and place not in FOSTER:
                # A special guardianship order to a former foster carer needs the child to have been fostered
                # (SSDA903 rule 516): from a children's home the child goes home instead.
                reason = "E4A"
            self.add(
                CareEvent,
                {**common, "kind": rules.LEAVE, "occurred_on": end, "reason_ended": reason, "_on": end},
            )
            self.writer.buffers[_t(CarePeriod).name][-1]["reason_ended"] = reason
            self.stats["left_care"] += 1
        self.went_missing(person_id, born, started, last_day)
        self.transfer(person_id, started, last_day)
        self.outcomes(person_id, born, started, end)
        self.permanence(common, started, last_day, adoption, end)
        self.reviews(common, started, last_day, born)
        self.visits(common, placements, last_day)
        # Drift among the long-standing: health assessments that stopped a year or two ago.
        stopped = self.today - timedelta(days=rng.randint(400, 700)) if long_standing and rng.random() < 0.4 else None
        self.health(common, started, min(last_day, stopped or last_day), born)
        if 4.5 <= age <= 16 and rng.random() > 0.1:
            day = self.wd(started, rng.randint(3, 14) if rng.random() > 0.2 else rng.randint(15, 30))
            if day <= last_day:
                self.add(
                    EducationPlan,
                    {
                        **common,
                        "held_on": day,
                        "school": rng.choice(("Northbridge Primary", "Northbridge Academy")),
                        "_on": day,
                    },
                )
        return True

    def transfer(self, person_id: int, started: date, last_day: date) -> None:
        """Two in five children in care move to another social worker some weeks after coming into care, the reason
        recorded as a team manager records it on the transfer (the SSDA903 SW_REASON): the case moving to the
        children in care team, a placement change, the worker leaving, a management decision. The demo social
        worker keeps their cases (the drift they show)."""
        rng = self.transfer_rng
        if rng.random() > 0.4 or not self.workers or person_id in self.routed:
            return
        latest = min(last_day, self.today) - timedelta(days=2)
        day = started + timedelta(days=rng.randint(5, 90))
        if day > latest:
            return
        table = _t(Allocation)
        conn = self.writer.connection
        current = conn.execute(
            select(table.c.id, table.c.worker_id, table.c.started_at)
            .where(table.c.person_id == person_id, table.c.ended_at.is_(None))
            .order_by(table.c.started_at.desc())
            .limit(1)
        ).first()
        if current is None or current.worker_id == self.builder.staff["social.worker"].id:
            return
        moment = datetime.combine(day, time(10, 0), LONDON).astimezone(UTC)
        if moment <= _aware(current.started_at):
            return
        worker_id, team_id = rng.choice([w for w in self.workers if w[0] != current.worker_id])
        conn.execute(update(table).where(table.c.id == current.id).values(ended_at=moment))
        self.add(
            Allocation,
            {
                "person_id": person_id,
                "worker_id": worker_id,
                "team_id": team_id,
                "started_at": moment,
                "ended_at": None,
                "handover_note": "Handover visit held with the new worker; the care plan shared.",
                "change_reason": rng.choice(TRANSFER_REASONS),
                "version": 1,
            },
        )
        self.stats["transfers"] = self.stats.get("transfers", 0) + 1

    def social_workers(self) -> list[tuple[int, int | None]]:
        table = _t(User)
        return [
            (row.id, row.team_id)
            for row in self.writer.connection.execute(
                select(table.c.id, table.c.team_id)
                .where(table.c.role == Role.SOCIAL_WORKER.value, table.c.team_id.is_not(None))
                .order_by(table.c.id)
            )
        ]

    def went_missing(self, person_id: int, born: date, started: date, last_day: date) -> None:
        """About a third of the children in care aged 11 or over go missing from their placement, or are away from
        it without permission, once to three times while looked after (the SSDA903 Missing table); written by
        exploitation's missing episodes, with the return and the return interview, in ``run``."""
        rng = self.missing_rng
        latest = min(last_day, self.today) - timedelta(days=4)
        if (started - born).days < 11 * 365.25 or rng.random() > 0.35 or latest <= started + timedelta(days=3):
            return
        days = sorted(
            {started + timedelta(days=rng.randint(3, (latest - started).days)) for _ in range(rng.randint(1, 3))}
        )
        for earlier, day in zip([None, *days], days, strict=False):
            if earlier is not None and (day - earlier).days < 6:
                continue  # one episode over (at most four days) before the next begins
            went = datetime.combine(day, time(rng.randint(15, 22), rng.choice((0, 15, 30, 45))), LONDON)
            self.missing.append((person_id, went.astimezone(UTC), "missing" if rng.random() < 0.7 else "absent"))

    def outcomes(self, person_id: int, born: date, started: date, end: date | None) -> None:
        """The health and outcomes (SSDA903 OC2) of each collection year at whose 31 March the child had been looked
        after for 12 months, answering the questions the DfE asks of the child's age; most children are well
        looked after, a few have no SDQ score (the carer refused, or another reason)."""
        rng = self.rng
        for year in range(outcomes.FIRST_YEAR, outcomes.collection_year_of(self.today) + 1):
            first, last = outcomes.year_span(year)
            if started > first or (end is not None and end <= last):
                continue
            asked = outcomes.Questions.of(born, year)
            scored = rng.random() < 0.9
            misuse = asked.convictions and rng.random() < 0.08
            received = misuse and rng.random() < 0.6
            self.add(
                HealthOutcomes,
                {
                    "person_id": person_id,
                    "year": year,
                    "sdq_score": rng.randint(4, 24) if asked.sdq and scored else None,
                    "sdq_reason": rng.choice(("SDQ2", "SDQ4")) if asked.sdq and not scored else None,
                    "convicted": rng.random() < 0.05 if asked.convictions else None,
                    "health_check": rng.random() < 0.9 if asked.health_check else None,
                    "immunisations": rng.random() < 0.88,
                    "teeth_check": rng.random() < 0.8,
                    "health_assessment": rng.random() < 0.9,
                    "substance_misuse": misuse,
                    "intervention_received": received if misuse else None,
                    "intervention_offered": (rng.random() < 0.5) if misuse and not received else None,
                    "version": 1,
                    "_on": min(last, self.today),
                },
            )

    # -- permanence ------------------------------------------------------------------------------------------------

    def adoption_journey(self, started: date, age: float, uasc: bool) -> dict[str, Any] | None:
        """For most children under 10 in care for 100 days or more (the demo's cases are recent, so its journeys are
        quicker than most councils'): the dates of their adoption, as far as
        today has reached (a decision, then the placement order, the match, the placement and the adoption order),
        with drift (matches slower than the scorecard's 121 days) and some decisions reversed."""
        perm = self.perm
        if uasc or age >= 10 or (self.today - started).days < 100 or perm.random() > 0.7:
            return None
        last = self.today - timedelta(days=1)
        steps: dict[str, Any] = {"decided": started + timedelta(days=perm.randint(20, 60))}
        if steps["decided"] > last:
            return None
        if perm.random() < 0.15:
            ceased = steps["decided"] + timedelta(days=perm.randint(20, 90))
            if ceased <= last:
                steps["ceased"], steps["reason"] = ceased, perm.choice(("RD1", "RD2", "RD3", "RD4"))
                return steps
        chain = (("order", 15, 40), ("matched", 20, 160), ("placed", 7, 21), ("adopted", 70, 150))
        day = steps["decided"]
        for name, low, high in chain:
            day = day + timedelta(days=perm.randint(low, high))
            if day > last:
                break
            steps[name] = day
        return steps

    def record_adoption(self, common: dict[str, Any], steps: dict[str, Any], placements: list[date], home: str) -> None:
        perm = self.perm
        matched = steps.get("matched")
        couple = perm.random() < 0.8
        sex = perm.choice(("MF", "MF", "MF", "FF", "MM")) if couple else perm.choice(("F1", "F1", "M1"))
        status = {"MF": perm.choice(("L11", "L11", "L3")), "FF": "L12", "MM": "L2"}.get(sex, "L0")
        family_id = self.family(matched, 2 if couple else 1, sex) if matched else None
        self.add(
            AdoptionDecision,
            {
                **common,
                "decided_on": steps["decided"],
                "matched_on": matched,
                "family_id": family_id,
                "adopters_number": (2 if couple else 1) if matched else None,
                "adopters_sex": sex if matched else None,
                "adopters_legal_status": status if matched else None,
                "foster_carers_adopting": False if matched else None,
                "ceased_on": steps.get("ceased"),
                "reason_ceased": steps.get("reason"),
                "version": 1,
                "_on": steps["decided"],
            },
        )
        self.stats["adoption_decisions"] += 1
        placed = steps.get("placed")
        if placed is not None:
            self.add(
                CareEvent,
                {
                    **common,
                    "kind": rules.PLACEMENT,
                    "occurred_on": placed,
                    "placement_type": "A6",
                    "placement_provider": "PR1",
                    "carer": self.carer("U6"),
                    # adopters live away from the child's home (SSDA903 rule 392d)
                    "placement_postcode": away_from(self.postcode(), home),
                    "urn": fostering_urn("A6", "PR1"),
                    "long_term": False,
                    "placement_plan_on": self.wd(placed, perm.randint(0, 4)),
                    "reason_place_change": "CARPL",
                    "_on": placed,
                },
            )
            placements.append(placed)
            self.stats["placements"] += 1
        if steps.get("adopted") is not None:
            self.stats["adopted"] += 1

    def family(self, matched: date, adopters: int, sex: str) -> int:
        """The prospective adopters a child was matched with: assessed and approved before the match."""
        perm = self.perm
        self.families += 1
        approved = matched - timedelta(days=perm.randint(10, 200))
        stage_two_ended = approved - timedelta(days=perm.randint(14, 40))
        stage_two_started = stage_two_ended - timedelta(days=perm.randint(100, 130))
        stage_one_ended = stage_two_started - timedelta(days=perm.randint(0, 30))
        stage_one_started = stage_one_ended - timedelta(days=perm.randint(40, 60))
        family_id = self.add(
            AdoptiveFamily,
            {
                "reference": f"AF{self.families:05d}",
                "enquiry_on": stage_one_started - timedelta(days=perm.randint(7, 60)),
                "stage_one_started_on": stage_one_started,
                "stage_one_ended_on": stage_one_ended,
                "stage_two_started_on": stage_two_started,
                "stage_two_ended_on": stage_two_ended,
                "applied_on": stage_one_ended + timedelta(days=perm.randint(0, 10)),
                "approved_on": approved,
                "fostering_for_adoption": perm.random() < 0.15,
                "version": 1,
                "_on": approved,
            },
        )
        genders = {"MF": ("a", "b"), "FF": ("b", "b"), "MM": ("a", "a"), "M1": ("a",), "F1": ("b",)}[sex]
        for gender in genders[:adopters]:
            self.add(
                Adopter,
                {
                    "family_id": family_id,
                    "gender": gender,
                    "ethnicity": perm.choice(("WBRI", "WBRI", "WBRI", "MWBC", "BCRB", "AIND", "WOTH")),
                    "disabled": perm.random() < 0.05,
                    "_on": approved,
                },
            )
        return family_id

    def prospective_families(self) -> None:
        """Families still in assessment or waiting to be matched, and some who left the process."""
        perm = self.perm
        for _ in range(max(2, self.families // 2)):
            self.families += 1
            enquiry = self.today - timedelta(days=perm.randint(20, 500))
            row: dict[str, Any] = {
                "reference": f"AF{self.families:05d}",
                "enquiry_on": enquiry,
                "fostering_for_adoption": perm.random() < 0.2,
                "version": 1,
                "_on": enquiry,
            }
            day = enquiry
            for name, low, high in (
                ("stage_one_started_on", 7, 60),
                ("stage_one_ended_on", 40, 60),
                ("stage_two_started_on", 0, 30),
                ("stage_two_ended_on", 100, 130),
                ("approved_on", 14, 40),
            ):
                day = day + timedelta(days=perm.randint(low, high))
                if day >= self.today:
                    break
                row[name] = day
                if name == "stage_one_ended_on":
                    row["applied_on"] = day
            if perm.random() < 0.2:
                left = enquiry + timedelta(days=perm.randint(30, 200))
                if left < self.today:
                    for name in list(row):
                        if name.endswith("_on") and name != "enquiry_on" and row[name] > left:
                            row[name] = None
                    row["left_on"], row["reason_left"] = left, perm.choice(("1", "1", "2", "3"))
            family_id = self.add(AdoptiveFamily, row)
            for gender in perm.choice((("a", "b"), ("b",), ("b", "b"))):
                self.add(
                    Adopter,
                    {"family_id": family_id, "gender": gender, "ethnicity": "WBRI", "disabled": False, "_on": enquiry},
                )

    def permanence(
        self,
        common: dict[str, Any],
        started: date,
        last_day: date,
        adoption: dict[str, Any] | None,
        end: date | None,
    ) -> None:
        """The permanence plan (by the second review; one in eight never recorded) and previous permanence (for
        periods from April 2016, as the DfE asks; some not recorded, the export then returns "not known")."""
        perm = self.perm
        planned = started + timedelta(days=perm.randint(60, 130))
        if planned <= last_day and perm.random() > 0.12:
            plan = "b" if adoption is not None else perm.choice(("a", "a", "c", "f", "f", "f", "e", "d", "g"))
            self.add(PermanencePlan, {**common, "decided_on": planned, "plan": plan, "_on": planned})
            self.stats["permanence_plans"] += 1
        if started >= date(2016, 4, 1) and perm.random() > 0.1:
            option = perm.choice(("Z1",) * 7 + ("P2", "P3", "P4"))
            order_on = started - timedelta(days=perm.randint(400, 2000)) if option in ("P2", "P3") else None
            self.add(
                PreviousPermanence,
                {
                    **common,
                    "option": option,
                    "la_code": perm.choice(("931", "316", "340")) if order_on else None,
                    "order_on": order_on,
                    "version": 1,
                    "_on": started,
                },
            )

    def change_status(self, common: dict[str, Any], day: date, legal: str, last_day: date) -> str:
        if day >= last_day:
            return legal
        self.add(
            CareEvent, {**common, "kind": rules.LEGAL_STATUS, "occurred_on": day, "legal_status": legal, "_on": day}
        )
        return legal

    def reviews(self, common: dict[str, Any], started: date, last_day: date, born: date) -> None:
        """The first within 20 working days (a few late), the second 3 months on, then every 6; one child in seven
        drifts, its reviews stopping."""
        rng = self.rng
        day = self.wd(started, rng.randint(12, 19) if rng.random() > 0.15 else rng.randint(22, 35))
        gaps = [3] + [6] * 40
        stops = rng.random() < 0.14
        for months in gaps:
            if day > last_day or day > self.today:
                break
            self.add(
                LookedAfterReview,
                {
                    **common,
                    "held_on": day,
                    "participation": "PN0"
                    if day < add_calendar_months(born, 48)
                    else rng.choice(("PN1", "PN1", "PN2", "PN4", "PN5", "PN6")),
                    "_on": day,
                },
            )
            self.stats["reviews"] += 1
            if stops and rng.random() < 0.5:
                break
            day = add_calendar_months(day, months) - timedelta(days=rng.randint(0, 20) if rng.random() > 0.1 else -20)

    def visits(self, common: dict[str, Any], placements: list[date], last_day: date) -> None:
        """A visit in each placement's first week (mostly), then about every five weeks; a few drift past six."""
        rng = self.rng
        stops = rng.random() < 0.1
        for index, placed in enumerate(placements):
            until = placements[index + 1] - timedelta(days=1) if index + 1 < len(placements) else last_day
            day = placed + timedelta(days=rng.randint(1, 6) if rng.random() > 0.12 else rng.randint(8, 14))
            while day <= until and day <= self.today:
                seen = rng.random() < 0.95
                self.add(
                    CareVisit,
                    {
                        **common,
                        "visited_on": day,
                        "child_seen": seen,
                        "seen_alone": seen and rng.random() < 0.6,
                        "_on": day,
                    },
                )
                self.stats["visits"] += 1
                if stops and index == len(placements) - 1 and rng.random() < 0.3:
                    break
                day = day + timedelta(days=rng.randint(28, 40) if rng.random() > 0.1 else rng.randint(45, 60))

    def health(self, common: dict[str, Any], started: date, last_day: date, born: date) -> None:
        rng = self.rng
        if rng.random() < 0.1:
            return  # the initial health assessment still awaited
        day = self.wd(started, rng.randint(8, 19) if rng.random() > 0.25 else rng.randint(21, 40))
        kind = "initial"
        while day <= last_day and day <= self.today:
            self.add(HealthAssessment, {**common, "kind": kind, "assessed_on": day, "_on": day})
            kind = "review"
            months = 6 if day < add_calendar_months(born, 60) else 12
            day = add_calendar_months(day, months) - timedelta(days=rng.randint(0, 25))

    def registration_numbers(self) -> None:
        """Each social worker and team manager a synthetic Social Work England number ("SW" and digits; the SSDA903
        social worker episodes' SW_ID)."""
        table = _t(User)
        conn = self.writer.connection
        workers = conn.execute(
            select(table.c.id).where(
                table.c.role.in_([Role.SOCIAL_WORKER.value, Role.TEAM_MANAGER.value]),
                table.c.registration_number.is_(None),
            )
        ).scalars()
        for worker_id in list(workers):
            conn.execute(
                update(table).where(table.c.id == worker_id).values(registration_number=f"SW{900000 + worker_id}")
            )

    def run(self) -> dict[str, int]:
        self.writer.flush()  # case work's rows, read below
        self.registration_numbers()
        iros = self.reviewing_officers()
        self.workers = [w for w in self.social_workers() if w[0] != self.builder.staff["social.worker"].id]
        # A child a contact was routed to their allocated worker about keeps that worker (the front door's rows say
        # who held the case when the contact came).
        self.routed = set(self.writer.connection.execute(self.builder.routed_children()).scalars())
        candidates = self.candidates()
        chosen = candidates[: max(1, round(len(candidates) * SHARE))] if candidates else []
        for person_id, referral_date, referral_id, born in chosen:
            self.child(person_id, referral_date, referral_id, born, iros)
            self.writer.maybe_flush()
        self.settled_and_unsettled(candidates[len(chosen) :], iros)
        self.prospective_families()
        self.whole_adoptions({person_id for person_id, *_ in chosen}, iros)
        # Both streams' children go missing in ``child`` (``went_missing``), written here by exploitation's demo.
        self.stats["missing_from_care"] = exploitation_demo.add_missing_episodes(
            self.builder, self.writer, self.missing
        )
        return {f"children_in_care_{k}": v for k, v in self.stats.items()}

    def settled_and_unsettled(self, rest: list[tuple[int, date, int, date]], iros: list[int]) -> None:
        """The second stream's children, from the open cases not already in care: long-standing ones among those
        referred before this collection year began (their social worker already known all year), then unsettled
        ones; some go missing from care, as the first stream's do."""
        self.rng = random.Random(f"children-in-care-{self.builder.seed}-stability")
        year_began = date(self.today.year if self.today.month >= 4 else self.today.year - 1, 4, 1)
        long_standing = unsettled = 0
        for person_id, referral_date, referral_id, born in rest:
            age = (self.today - born).days / 365.25
            if long_standing < LONG_STANDING and referral_date < year_began and 4 <= age < 15:
                if self.child(person_id, referral_date, referral_id, born, iros, long_standing=True):
                    long_standing += 1
            elif (
                unsettled < UNSETTLED
                and age >= 3
                and self.child(person_id, referral_date, referral_id, born, iros, unsettled=True)
            ):
                unsettled += 1
            if long_standing >= LONG_STANDING and unsettled >= UNSETTLED:
                break
            self.writer.maybe_flush()
        self.stats["long_standing"] = long_standing
        self.stats["unsettled"] = unsettled

    # -- whole adoption journeys -----------------------------------------------------------------------------------

    def whole_adoptions(self, taken: set[int], iros: list[int]) -> None:
        """Two children adopted at the end of a whole journey, at the pace most councils manage (about 14 months
        from care to moving in with the adopters, the scorecard's A1 threshold, and a few more to the order), so the
        SSDA903 AD1 table has rows: one adopted in the last collection year, one in this. The demo's open cases are
        too recent for a whole journey, so these are young children with no case here, each allocated to a social
        worker some weeks before coming into care until the adoption order. Drawn after every other child, from
        their own stream."""
        rng = random.Random(f"whole-adoptions-{self.builder.seed}")
        year_start = date(self.today.year if self.today.month >= 4 else self.today.year - 1, 4, 1)
        last_year = year_start - timedelta(days=rng.randint(40, 200))
        this_year = max(year_start, self.today - timedelta(days=rng.randint(10, 40)))
        person, user = _t(Person), _t(User)
        worker = self.writer.connection.execute(
            select(user.c.id, user.c.team_id)
            .where(user.c.role == Role.SOCIAL_WORKER.value, user.c.team_id.is_not(None))
            .order_by(user.c.id)
            .limit(1)
        ).first()
        for adopted in (last_year, this_year):
            if adopted >= self.today:
                continue
            # The dates back from the adoption order: the decision after the assessments and the family court's
            # timetable, the care and placement orders, family finding (the longest), the introductions, and the
            # adopters' application after at least 10 weeks together (Adoption and Children Act 2002 s42).
            durations = (rng.randint(90, 150), rng.randint(60, 120), rng.randint(90, 160), rng.randint(10, 28))
            placed = adopted - timedelta(days=rng.randint(90, 150))
            started = placed - timedelta(days=sum(durations))
            found = self.writer.connection.execute(
                select(person.c.id, person.c.date_of_birth)
                .where(
                    person.c.kind == "child",
                    person.c.date_of_birth <= started - timedelta(days=90),
                    person.c.date_of_birth >= started - timedelta(days=3 * 365),
                    ~person.c.id.in_(select(_t(Referral).c.person_id)),
                    ~person.c.id.in_(select(_t(CarePeriod).c.person_id)),
                    ~person.c.id.in_(taken),
                )
                .order_by(person.c.id)
                .limit(1)
            ).first()
            if found is None:
                continue
            taken.add(found[0])
            if worker is not None:
                allocated = started - timedelta(days=rng.randint(30, 120))
                self.writer.add(
                    _t(Allocation),
                    {
                        "id": self.writer.new_id(_t(Allocation)),
                        "person_id": found[0],
                        "worker_id": worker[0],
                        "team_id": worker[1],
                        "started_at": datetime.combine(allocated, time(10, 0), LONDON).astimezone(UTC),
                        "ended_at": datetime.combine(adopted, time(16, 0), LONDON).astimezone(UTC),
                        "version": 1,
                    },
                )
            self.whole_adoption(rng, found[0], None, found[1], started, durations, adopted, iros)

    def whole_adoption(
        self,
        rng: random.Random,
        person_id: int,
        referral_id: int | None,
        born: date,
        started: date,
        durations: tuple[int, int, int, int],
        adopted: date,
        iros: list[int],
    ) -> None:
        """One child's whole journey: into care on an interim care order with foster carers who are also approved
        adopters (fostering for adoption), the decision that they should be placed for adoption, the care and
        placement orders, the match with those carers, the placement for adoption with them (A5), the adoption order
        (E11); the permanence plan, previous permanence, reviews, visits and health assessments as for any child."""
        decided = started + timedelta(days=durations[0])
        ordered = decided + timedelta(days=durations[1])
        matched = ordered + timedelta(days=durations[2])
        placed = matched + timedelta(days=durations[3])
        period_id = self.add(
            CarePeriod,
            {
                "person_id": person_id,
                "referral_id": referral_id,
                "started_on": started,
                "ended_on": adopted,
                "reason_ended": "E11",
                "unaccompanied_asylum_seeking": False,
                "iro_id": iros[0] if iros else None,
                "care_plan_on": self.wd(started, rng.randint(0, 8)),
                "_on": started,
            },
        )
        self.stats["periods"] += 1
        common = {"period_id": period_id, "person_id": person_id}
        carers = f"{rng.choice(CARER_FIRST)} and {rng.choice(CARER_FIRST)} {rng.choice(CARER_LAST)}"
        postcode = self.postcode()
        home = self.postcode()
        # The return gives postcodes to the sector: one sector for home and placement is a query for all but P1
        # (SSDA903 rule 392d).
        while home[:-2] == postcode[:-2]:
            home = self.postcode()
        self.add(
            CareEvent,
            {
                **common,
                "kind": rules.START,
                "occurred_on": started,
                "legal_status": "C1",
                "category_of_need": "N1",
                "placement_type": "U5",  # a foster carer who is also an approved adopter
                "placement_provider": "PR1",
                "carer": carers,
                "placement_postcode": postcode,
                "home_postcode": home,
                "urn": fostering_urn("U5", "PR1"),
                "long_term": False,
                "placement_plan_on": self.wd(started, rng.randint(0, 4)),
                "_on": started,
            },
        )
        self.change_status(common, ordered, "E1", adopted)  # the care and placement orders, made together
        family_id = self.family(matched, 2, "MF")
        self.add(
            AdoptionDecision,
            {
                **common,
                "decided_on": decided,
                "matched_on": matched,
                "family_id": family_id,
                "adopters_number": 2,
                "adopters_sex": "MF",
                "adopters_legal_status": "L11",
                "foster_carers_adopting": True,
                "ceased_on": None,
                "reason_ceased": None,
                "version": 1,
                "_on": decided,
            },
        )
        self.stats["adoption_decisions"] += 1
        self.add(
            CareEvent,
            {
                **common,
                "kind": rules.PLACEMENT,
                "occurred_on": placed,
                "placement_type": "A5",  # under the placement order, with the child's foster carers
                "placement_provider": "PR1",
                "carer": carers,
                "placement_postcode": postcode,
                "urn": fostering_urn("A5", "PR1"),
                "long_term": False,
                "placement_plan_on": self.wd(placed, rng.randint(0, 3)),
                "reason_place_change": "PLACE",  # a change in the status of the placement only
                "_on": placed,
            },
        )
        self.stats["placements"] += 1
        self.add(
            CareEvent, {**common, "kind": rules.LEAVE, "occurred_on": adopted, "reason_ended": "E11", "_on": adopted}
        )
        self.stats["left_care"] += 1
        self.stats["adopted"] += 1
        self.add(PermanencePlan, {**common, "decided_on": self.wd(started, 60), "plan": "b", "_on": started})
        self.stats["permanence_plans"] += 1
        self.add(
            PreviousPermanence,
            {**common, "option": "Z1", "la_code": None, "order_on": None, "version": 1, "_on": started},
        )
        self.reviews(common, started, adopted, born)
        self.visits(common, [started, placed], adopted)
        self.health(common, started, adopted, born)


def build(builder: Any, writer: Any) -> dict[str, int]:
    """Add this capability's rows to the council being built; return counts for the summary."""
    return _Stage(builder, writer).run()


# -- care leavers' own time in care -----------------------------------------------------------------------------------

LEAVER_PLACEMENTS = (("U4", "PR1"), ("U6", "PR4"), ("U6", "PR1"), ("K2", "PR4"), ("U4", "PR4"))
LEAVING_CARE = ("E5", "E5", "E6", "E13", "E4A", "E8")  # at 16 or 17: to independent living, home, or otherwise


class LeaverCare(_Stage):
    """The care that made the demo council's care leavers care leavers (``care_leaver_demo``), on the record as any
    child's is: a period of care with its entry, a move to supported accommodation for some after the 16th birthday,
    the leaving event (or still looked after), and the reviews, visits, health assessments, personal education plan,
    outcomes and permanence of a child in care, drift included. The period is the one the care leaver's "left care"
    fact stands for (``care_leavers.periods_from_fact``), so their eligibility is the same read from either. Its own
    random streams: every other row of the council stays as it was."""

    def __init__(self, builder: Any, writer: Any) -> None:
        super().__init__(builder, writer)
        self.rng = random.Random(f"children-in-care-{builder.seed}-care-leavers")
        self.perm = random.Random(f"permanence-{builder.seed}-care-leavers")
        writer.flush()
        self.in_care = set(writer.connection.execute(select(_t(CarePeriod).c.person_id)).scalars())
        self.iros = self.reviewing_officers()
        self.workers = [w for w in self.social_workers() if w[0] != builder.staff["social.worker"].id]

    def period(self, person_id: int, born: date, started: date, left_on: date | None) -> bool:
        """Record a care leaver's period of care from ``started`` until ``left_on`` (the first day out of care), or
        still looked after. Whether it was recorded: not for a young person whose care is already on the record."""
        if person_id in self.in_care or (left_on is not None and left_on <= started):
            return False
        self.in_care.add(person_id)
        rng = self.rng
        end = left_on - timedelta(days=1) if left_on is not None else None  # the last day looked after
        last_day = end or self.today
        period_id = self.add(
            CarePeriod,
            {
                "person_id": person_id,
                "referral_id": None,
                "started_on": started,
                "ended_on": end,
                "reason_ended": None,
                "unaccompanied_asylum_seeking": False,
                "iro_id": rng.choice(self.iros) if self.iros else None,
                "care_plan_on": self.wd(started, rng.randint(0, 9)),
                "_on": started,
            },
        )
        self.stats["periods"] += 1
        common = {"period_id": period_id, "person_id": person_id}
        place, provider = rng.choice(LEAVER_PLACEMENTS)
        home = self.postcode()
        self.add(
            CareEvent,
            {
                **common,
                "kind": rules.START,
                "occurred_on": started,
                "legal_status": rng.choice(("C2", "C2", "V2")),
                "category_of_need": "N1" if rng.random() < 0.6 else rng.choice(("N2", "N4", "N5", "N8")),
                "placement_type": place,
                "placement_provider": provider,
                "carer": self.carer(place),
                "placement_postcode": away_from(self.postcode("ZZ" if rng.random() < 0.15 else "NB"), home),
                "home_postcode": home,
                "urn": f"SC{rng.randint(100000, 999999)}" if place == "K2" else fostering_urn(place, provider),
                "long_term": place == "U4",
                "placement_plan_on": self.wd(started, rng.randint(0, 4)),
                "_on": started,
            },
        )
        placements = [started]
        # Some move on to supported accommodation (K3, from 16: SSDA903 rule 371) a few months before leaving.
        moved = max(started, birthday(born, 16)) + timedelta(days=rng.randint(20, 200))
        if rng.random() < 0.4 and moved < last_day - timedelta(days=20) and moved < self.today:
            self.add(
                CareEvent,
                {
                    **common,
                    "kind": rules.PLACEMENT,
                    "occurred_on": moved,
                    "placement_type": "K3",
                    "placement_provider": "PR4",
                    "carer": self.carer("K3"),
                    "placement_postcode": away_from(self.postcode(), home),
                    "urn": f"SC{rng.randint(100000, 999999)}",
                    "long_term": False,
                    "placement_plan_on": self.wd(moved, rng.randint(0, 6)),
                    "reason_place_change": "CARPL",
                    "_on": moved,
                },
            )
            placements.append(moved)
            self.stats["placements"] += 1
        if end is not None:
            reason = rng.choice(LEAVING_CARE)
            self.add(CareEvent, {**common, "kind": rules.LEAVE, "occurred_on": end, "reason_ended": reason, "_on": end})
            self.writer.buffers[_t(CarePeriod).name][-1]["reason_ended"] = reason
            self.stats["left_care"] += 1
        self.outcomes(person_id, born, started, end)
        self.permanence(common, started, last_day, None, end)
        self.reviews(common, started, last_day, born)
        self.visits(common, placements, last_day)
        self.health(common, started, last_day, born)
        if started < birthday(born, 16) and rng.random() > 0.1:
            day = self.wd(started, rng.randint(3, 14))
            if day <= last_day:
                self.add(
                    EducationPlan,
                    {**common, "held_on": day, "school": "Northbridge Academy", "_on": day},
                )
        self.social_worker(person_id, started, end)
        self.pupil_number(person_id, born)
        return True

    def pupil_number(self, person_id: int, born: date) -> None:
        """A young adult's UPN, from their school years (the people stage gives children theirs; a young person
        looked after is asked it in the SSDA903 header, rule 442). No random draw."""
        table = _t(Person)
        conn = self.writer.connection
        if conn.execute(select(table.c.upn).where(table.c.id == person_id)).scalar() is None:
            upn = self.builder.identifiers.upn(born.year + 4)
            conn.execute(update(table).where(table.c.id == person_id).values(upn=upn))

    def social_worker(self, person_id: int, started: date, end: date | None) -> None:
        """A social worker allocated throughout the time in care (the SSDA903 social worker episodes: SW11STG2,
        SW12STG2, SW17STG2): where the young person's allocations from case work leave the time uncovered, to a
        children in care worker for each gap of two days or more (no allocation is changed)."""
        if not self.workers:
            return
        table = _t(Allocation)
        held = [
            (_aware(a), None if b is None else _aware(b))
            for a, b in self.writer.connection.execute(
                select(table.c.started_at, table.c.ended_at)
                .where(table.c.person_id == person_id)
                .order_by(table.c.started_at, table.c.id)
            )
        ]
        begin = datetime.combine(started, time(9, 0), LONDON).astimezone(UTC)
        until = None if end is None else datetime.combine(end, time(17, 0), LONDON).astimezone(UTC)
        gaps: list[tuple[datetime, datetime | None, bool]] = []  # (from, to, following an allocation)
        cursor: datetime | None = begin
        after = False
        for a, b in held:
            if cursor is None or (until is not None and cursor >= until):
                break
            if b is not None and b <= cursor:
                after = after or (cursor - b).days <= 7
                continue
            if a > cursor:
                gaps.append((cursor, a if until is None else min(a, until), after))
            cursor, after = b, True
        if cursor is not None and (until is None or cursor < until):
            gaps.append((cursor, until, after))
        for a, b, following in gaps:
            if b is not None and b - a < timedelta(days=2):
                continue
            worker_id, team_id = self.workers[person_id % len(self.workers)]
            self.add(
                Allocation,
                {
                    "person_id": person_id,
                    "worker_id": worker_id,
                    "team_id": team_id,
                    "started_at": a,
                    "ended_at": b,
                    # The case moved to the children in care team from the worker before; else their first contact.
                    "change_reason": "TSPROC" if following else None,
                    "version": 1,
                },
            )
