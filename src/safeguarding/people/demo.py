"""The demo council's people and families: parents, children (some unborn), half-siblings across households,
adults known by another name, grandparents who care, addresses with their history. A mother's children are born
nine months or more apart, or on one day (twins); no two children of a family (nor of one father) share a first
name; streets come whole from ``demo.names.STREETS``. A stage of
``demo.council.build_council``, run after the staff and before the front door's contacts (which are about these
families), drawing from the council's own random sequence (``builder.rng``) so a seed gives the same council.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table

from safeguarding.demo import names
from safeguarding.demo.picture import Household, PersonInfo, add_years, local_day, table_of, weighted
from safeguarding.people import rules as people_rules
from safeguarding.people.models import Address, FamilyRelationship, Person, PersonAlias, PersonKind, RelationshipKind

TABLES: list[Table] = [table_of(Person), table_of(PersonAlias), table_of(Address), table_of(FamilyRelationship)]

ETHNICITY_MIX = (
    ("WBRI", 60),
    ("WOTH", 7),
    ("WIRI", 1),
    ("WROM", 1),
    ("MWBC", 3),
    ("MWAS", 2),
    ("MOTH", 2),
    ("APKN", 6),
    ("AIND", 3),
    ("ABAN", 3),
    ("BAFR", 5),
    ("BCRB", 2),
    ("CHNE", 1),
    ("OOTH", 2),
    ("NOBT", 2),
)


# Children of one mother are born at least this many days apart (nine months and more), or on the same day (twins).
MIN_BIRTH_GAP = 280
# Two births drawn closer than this become twins.
TWINS_WITHIN = 21


def spaced_births(drawn: list[date], earliest: date, latest: date, *, last_apart: bool = False) -> list[date]:
    """The drawn birth days made possible for one mother: in order, each at least ``MIN_BIRTH_GAP`` days after
    the one before or on the same day (twins, when two were drawn within ``TWINS_WITHIN`` days), kept between
    ``earliest`` and ``latest`` (the later children dropped when they do not fit). ``last_apart``: the youngest
    has another father, so is no twin. Draws nothing: the same drawn days give the same births."""
    births: list[date] = []
    for day in sorted(drawn):
        if births:
            previous = births[-1]
            twins = (day - previous).days < TWINS_WITHIN and (len(births) < 2 or births[-2] != previous)
            if last_apart and len(births) == len(drawn) - 1:
                twins = False
            if twins:
                day = previous
            elif (day - previous).days < MIN_BIRTH_GAP:
                day = previous + timedelta(days=MIN_BIRTH_GAP)
        births.append(day)
    # Pushed past the latest day: move the family back as far as the earliest day allows, then drop who won't fit.
    excess = (births[-1] - latest).days if births else 0
    if excess > 0:
        shift = min(excess, (births[0] - earliest).days)
        births = [day - timedelta(days=shift) for day in births]
    return [day for day in births if day <= latest]


def unused_name(rng: Any, choices: tuple[str, ...], taken: set[str]) -> str:
    """A first name from ``choices`` that is not ``taken`` (one draw when the first is free, as it mostly is)."""
    first = rng.choice(choices)
    if first in taken:
        free = [name for name in choices if name not in taken]
        first = rng.choice(free) if free else first
    return str(first)


class _Stage:
    """The people's part of the build, on the council's builder (its random sequence, clock and size), adding each
    household to ``builder.households``."""

    def __init__(self, builder: Any) -> None:
        self.rng, self.now, self.start, self.size = builder.rng, builder.now, builder.start, builder.size
        self.identifiers, self.households, self.stats = builder.identifiers, builder.households, builder.stats
        self.task, self.advance = builder.task, builder.advance

    def run(self, writer: Any) -> None:
        rng, today = self.rng, local_day(self.now)
        person_table, address_table = table_of(Person), table_of(Address)
        relation_table, alias_table = table_of(FamilyRelationship), table_of(PersonAlias)
        task = self.task("People and families", self.size.people)
        people_made = 0
        created_base = self.start
        men_by_household: list[tuple[PersonInfo, Household]] = []
        father_children: dict[int, set[str]] = {}  # a father's children's first names, in every household

        def address() -> tuple[str, str | None, str]:
            line1 = f"{rng.randint(1, 220)} {rng.choice(names.STREETS)}"
            line2 = rng.choice(names.ESTATES) if rng.random() < 0.3 else None
            postcode = (
                f"{names.POSTCODE_AREA}{rng.randint(1, 24)} {rng.randint(0, 9)}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            )
            return line1, line2, postcode

        def person(
            kind: PersonKind,
            first: str,
            last: str,
            dob: date | None,
            sex: str,
            ethnicity: str,
            *,
            expected: date | None = None,
            nhs: bool = True,
        ) -> PersonInfo:
            nonlocal people_made
            person_id = writer.new_id(person_table)
            is_child = kind == PersonKind.CHILD
            nhs_number = self.identifiers.nhs_number() if nhs else None
            upn = upn_unknown = None
            if is_child and dob is not None:
                if people_rules.age_on(dob, today) >= 5:
                    upn = self.identifiers.upn(dob.year + 4)
                else:
                    upn_unknown = "UN1"
            created = max(created_base, datetime.combine(dob, time(12), UTC)) if dob else created_base
            writer.add(
                person_table,
                {
                    "id": person_id,
                    "kind": kind.value,
                    "first_name": first,
                    "last_name": last,
                    "date_of_birth": dob,
                    "expected_date_of_birth": expected,
                    "sex": sex,
                    "ethnicity": ethnicity,
                    "nhs_number": nhs_number,
                    "upn": upn,
                    "upn_unknown": upn_unknown,
                    "la_child_id": f"NB{person_id:08d}" if is_child else None,
                    "first_name_key": people_rules.name_key(first),
                    "last_name_key": people_rules.name_key(last),
                    "first_name_sound": people_rules.sound_key(first),
                    "last_name_sound": people_rules.sound_key(last),
                    "notes": None,
                    "version": 1,
                    "created_at": created,
                },
            )
            people_made += 1
            return PersonInfo(person_id, first, last, dob, nhs_number, is_child)

        def relate(a: int, b: int, kind: RelationshipKind, started: date | None) -> None:
            if kind in (RelationshipKind.SIBLING, RelationshipKind.HALF_SIBLING) and a > b:
                a, b = b, a  # symmetric ties are stored once, lower id first
            writer.add(
                relation_table,
                {
                    "id": writer.new_id(relation_table),
                    "from_person_id": a,
                    "to_person_id": b,
                    "kind": kind.value,
                    "started": started,
                    "ended": None,
                    "recorded_at": created_base,
                    "recorded_by_id": None,
                },
            )

        def live_at(
            members: list[PersonInfo], line1: str, line2: str | None, postcode: str, moved_in: date, history: bool
        ) -> None:
            previous = address() if history else None
            for member in members:
                if previous:
                    writer.add(
                        address_table,
                        {
                            "id": writer.new_id(address_table),
                            "person_id": member.id,
                            "line1": previous[0],
                            "line2": previous[1],
                            "town": names.TOWN,
                            "postcode": previous[2],
                            "moved_in": moved_in - timedelta(days=rng.randint(200, 2000)),
                            "moved_out": moved_in,
                        },
                    )
                writer.add(
                    address_table,
                    {
                        "id": writer.new_id(address_table),
                        "person_id": member.id,
                        "line1": line1,
                        "line2": line2,
                        "town": names.TOWN,
                        "postcode": postcode,
                        "moved_in": moved_in,
                        "moved_out": None,
                    },
                )

        while people_made < self.size.people:
            before = people_made
            ethnicity = weighted(rng, ETHNICITY_MIX)
            family_name = rng.choice(names.SURNAMES)
            mother_age = rng.randint(19, 48)
            mother_dob = today - timedelta(days=mother_age * 365 + rng.randint(0, 364))
            mother_last = family_name if rng.random() < 0.7 else rng.choice(names.SURNAMES)
            mother = person(
                PersonKind.ADULT,
                rng.choice(names.WOMEN),
                mother_last,
                mother_dob,
                "F",
                ethnicity,
                nhs=rng.random() < 0.9,
            )
            adults = [mother]
            if rng.random() < 0.2:
                # A name she was known by before: searches must find her under either.
                maiden = rng.choice(names.SURNAMES)
                writer.add(
                    alias_table,
                    {
                        "id": writer.new_id(alias_table),
                        "person_id": mother.id,
                        "first_name": mother.first_name,
                        "last_name": maiden,
                        "first_name_key": people_rules.name_key(mother.first_name),
                        "last_name_key": people_rules.name_key(maiden),
                        "last_name_sound": people_rules.sound_key(maiden),
                    },
                )
            father: PersonInfo | None = None
            if rng.random() < 0.6:
                father_dob = mother_dob - timedelta(days=rng.randint(-3 * 365, 8 * 365))
                father = person(
                    PersonKind.ADULT,
                    rng.choice(names.MEN),
                    family_name,
                    father_dob,
                    "M",
                    ethnicity,
                    nhs=rng.random() < 0.85,
                )
                adults.append(father)
            # A non-resident father from another household makes half-siblings across households.
            outside: tuple[PersonInfo, Household] | None = None
            if men_by_household and rng.random() < 0.15:
                outside = rng.choice(men_by_household)
            n_children = weighted(rng, ((1, 30), (2, 35), (3, 20), (4, 10), (5, 5)))
            children: list[PersonInfo] = []
            latest_birth = min(today, add_years(mother_dob, 45))
            earliest_birth = max(add_years(mother_dob, 16), today - timedelta(days=17 * 365 + 300))
            if earliest_birth >= latest_birth:
                earliest_birth = latest_birth - timedelta(days=30)
            span = (latest_birth - earliest_birth).days
            births = spaced_births(
                [earliest_birth + timedelta(days=rng.randint(0, max(0, span))) for _ in range(n_children)],
                earliest_birth,
                latest_birth,
                last_apart=outside is not None,
            )
            # A family's children never share a first name: nor do a father's children in another household.
            taken = set(father_children.get(outside[0].id, ())) if outside is not None else set()
            for n, dob in enumerate(births):
                sex = "F" if rng.random() < 0.49 else "M"
                first = unused_name(rng, names.GIRLS if sex == "F" else names.BOYS, taken)
                taken.add(first)
                half = outside is not None and n == len(births) - 1
                last = outside[0].last_name if half and outside else (father.last_name if father else mother_last)
                children.append(person(PersonKind.CHILD, first, last, dob, sex, ethnicity))
            if rng.random() < 0.01 and (not births or (today - births[-1]).days > 90):
                # An unborn child: a pre-birth concern has no date of birth yet (and comes nine months or more
                # after the last birth).
                expected = max(
                    today + timedelta(days=rng.randint(20, 200)),
                    births[-1] + timedelta(days=MIN_BIRTH_GAP) if births else today,
                )
                children.append(
                    person(PersonKind.CHILD, "Unborn", mother_last, None, "U", ethnicity, expected=expected, nhs=False)
                )
            line1, line2, postcode = address()
            moved_in = today - timedelta(days=rng.randint(60, 3650))
            household = Household(
                len(self.households),
                adults,
                [c for c in children if c.date_of_birth],
                f"{line1}, {names.TOWN}",
                postcode,
            )
            live_at(adults + children, line1, line2, postcode, moved_in, rng.random() < 0.4)
            born = [c for c in children if c.date_of_birth]
            for child in children:
                relate(mother.id, child.id, RelationshipKind.PARENT, child.date_of_birth)
                if father is not None:
                    is_half = outside is not None and child.date_of_birth is not None and child is born[-1]
                    relate(
                        father.id,
                        child.id,
                        RelationshipKind.CARER if is_half else RelationshipKind.PARENT,
                        child.date_of_birth,
                    )
            for i, a in enumerate(born):
                for b in born[i + 1 :]:
                    half = outside is not None and (a is born[-1] or b is born[-1])
                    relate(a.id, b.id, RelationshipKind.HALF_SIBLING if half else RelationshipKind.SIBLING, None)
            for parent in (father, outside[0] if outside is not None else None):
                if parent is not None:
                    father_children.setdefault(parent.id, set()).update(c.first_name for c in born)
            if outside is not None and born:
                other_father, other_home = outside
                half_child = born[-1]
                relate(other_father.id, half_child.id, RelationshipKind.PARENT, half_child.date_of_birth)
                for sibling in other_home.children:
                    relate(half_child.id, sibling.id, RelationshipKind.HALF_SIBLING, None)
            if rng.random() < 0.08 and born:
                # A grandparent living elsewhere who cares for the children part of the week.
                grand_dob = mother_dob - timedelta(days=rng.randint(18 * 365, 30 * 365))
                grandparent = person(PersonKind.ADULT, rng.choice(names.WOMEN), mother_last, grand_dob, "F", ethnicity)
                g1, g2, gpc = address()
                live_at([grandparent], g1, g2, gpc, today - timedelta(days=rng.randint(2000, 9000)), False)
                for child in born:
                    relate(grandparent.id, child.id, RelationshipKind.CARER, None)
            self.households.append(household)
            if father is not None:
                men_by_household.append((father, household))
            writer.maybe_flush()
            self.advance(task, people_made - before)
        self.stats["people"] = people_made


def build(builder: Any, writer: Any) -> None:
    """Add the council's people and families through ``writer``."""
    _Stage(builder).run(writer)
