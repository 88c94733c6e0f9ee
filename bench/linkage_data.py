"""Synthetic multi-agency person records with ground truth, for the linkage bench (seeded; synthetic people only).

People live in households (parents and children sharing a surname and a postcode). Each person appears in one or
more agencies' records (school, health, police, social care, housing), each record with the slips real records
have: nicknames (Bill for William), typing slips in names, first name and surname swapped, day and month of birth
swapped or one part mistyped, a surname changed, an old address after a move, missing NHS numbers, postcodes, sex
and dates. The hard cases are made on purpose: twins (same surname, date of birth and address, different first
names) and namesakes (the same name and date of birth, different people elsewhere).

Writes, into the folder given:
    records.csv    record_id, source, first_name, surname, dob, sex, postcode, nhs_number
    truth.csv      record_id, person_id
    twins.csv      person_a, person_b   (the twin pairs)
    namesakes.csv  person_a, person_b   (the namesake pairs)

    python bench/linkage_data.py --records 100000 --seed 1 --out var/bench/linkage-100k
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from safeguarding.people.linkage.short_forms import FULL_NAMES, known_forms  # noqa: E402
from safeguarding.people.rules import nhs_check_digit  # noqa: E402

BOYS = (  # noqa: SIM905 (a word list reads better as words)
    "oliver george noah arthur muhammad leo harry oscar archie henry theodore freddie jack charlie theo alfie jacob "
    "thomas finley arlo william lucas roman tommy isaac teddy alexander luca edward james joshua albie elijah max "
    "mohammed reggie harrison sebastian ronnie logan daniel samuel benjamin joseph adam michael david andrew "
    "christopher matthew richard robert anthony jonathan patrick peter stephen timothy nicholas frederick ethan "
    "dylan callum kieran connor liam ryan tyler jayden kai ibrahim yusuf omar ali hamza zain aryan arjun rohan "
    "kacper jakub filip mateusz ahmed"
).split()
GIRLS = (  # noqa: SIM905
    "olivia amelia isla ava ivy freya lily florence mia willow rosie sophia isabella grace daisy sienna poppy "
    "elsie emily ella evelyn phoebe sofia evie charlotte harper millie matilda maya sophie alice emilia isabelle "
    "ruby luna maisie aria penelope mila bonnie eva hallie eliza ada violet esme sarah rebecca elizabeth "
    "katherine catherine margaret victoria samantha jessica jennifer nicola patricia susan deborah christine "
    "hannah chloe megan lauren amy zara aisha fatima maryam zainab amira leah jade kayla shannon zuzanna "
    "julia maja hanna priya anya"
).split()
SURNAMES = (  # noqa: SIM905
    "smith jones williams taylor brown davies evans wilson thomas johnson roberts robinson thompson wright walker "
    "white edwards hughes green hall lewis harris clarke patel jackson wood turner martin cooper hill ward morris "
    "moore clark lee king baker harrison morgan allen james scott phillips watson davis parker price bennett young "
    "griffiths mitchell kelly cook carter richardson bailey collins bell shaw murphy miller cox richards khan "
    "marshall anderson simpson ellis adams singh begum wilkinson foster chapman powell webb rogers gray mason ali "
    "hunt hussain campbell matthews owen palmer holmes mills barnes knight lloyd butler russell barker fisher "
    "stevens jenkins murray dixon harvey graham pearson ahmed fletcher walsh kaur gibson howard andrews stewart "
    "elliott reynolds saunders payne fox ford pearce day brooks west lawrence cole atkinson bradley spencer gill "
    "dawson ball burton obrien watts rose booth perry ryan grant wells armstrong francis rees hayes hart hudson "
    "newman barrett webster hunter gregory carr lowe page marsh riley dunn woods parsons berry stone reid holland "
    "hawkins harding porter robertson newton oconnor kennedy burns chambers rahman nowak kowalski okafor mensah "
    "osei adeyemi nguyen chen wang"
).split()
SOURCES = ("school", "health", "police", "social care", "housing")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
SHORT_FORMS = {full: shorts for full, shorts in FULL_NAMES.items()}


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


@dataclass
class Person:
    person_id: int
    first_name: str
    surname: str
    dob: date
    sex: str
    nhs_number: str
    postcode: str
    old_postcode: str | None = None


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.boy_weights = zipf_weights(len(BOYS), 0.9)
        self.girl_weights = zipf_weights(len(GIRLS), 0.9)
        self.surname_weights = zipf_weights(len(SURNAMES), 0.8)
        self.people: list[Person] = []
        self.twins: list[tuple[int, int]] = []
        self.namesakes: list[tuple[int, int]] = []
        self.used_nhs: set[str] = set()
        self.used_postcodes: set[str] = set()
        self.areas = [a + b for a in "BLMNS" for b in ("", "D", "E", "K", "R", "W")]

    def nhs(self) -> str:
        while True:
            first = f"{self.rng.randrange(400_000_000, 999_999_999):09d}"
            check = nhs_check_digit(first)
            if check is not None and (number := first + str(check)) not in self.used_nhs:
                self.used_nhs.add(number)
                return number

    def postcode(self, near: str | None = None) -> str:
        rng = self.rng
        while True:
            if near is not None and rng.random() < 0.5:
                district = near.split(" ")[0]  # a move within the district
            else:
                district = f"{rng.choice(self.areas)}{rng.randrange(1, 30)}"
            code = f"{district} {rng.randrange(0, 10)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
            if code not in self.used_postcodes:
                self.used_postcodes.add(code)
                return code

    def first_name(self, sex: str, avoid: set[str] = frozenset()) -> str:  # type: ignore[assignment]
        """A name, never one of ``avoid`` nor a form of one (parents do not call brothers Henry and Harry)."""
        names, weights = (BOYS, self.boy_weights) if sex == "M" else (GIRLS, self.girl_weights)
        taken = set(avoid).union(*(known_forms(name) for name in avoid))
        while True:
            name = self.rng.choices(names, weights)[0]
            if name not in taken and not known_forms(name) & taken:
                return name

    def surname(self) -> str:
        return self.rng.choices(SURNAMES, self.surname_weights)[0]

    def add(self, first: str, surname: str, dob: date, sex: str, postcode: str) -> Person:
        person = Person(len(self.people), first, surname, dob, sex, self.nhs(), postcode)
        if self.rng.random() < 0.12:  # moved: some records still have the old address
            person.old_postcode = self.postcode(near=postcode)
        self.people.append(person)
        return person

    def household(self, today: date) -> list[Person]:
        rng = self.rng
        surname = self.surname()
        postcode = self.postcode()
        members: list[Person] = []
        for _ in range(rng.choice((1, 2, 2))):
            sex = rng.choice("MF")
            dob = today - timedelta(days=rng.randrange(20 * 365, 55 * 365))
            members.append(self.add(self.first_name(sex), surname, dob, sex, postcode))
        used: set[str] = {p.first_name for p in members}
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            sex = rng.choice("MF")
            dob = today - timedelta(days=rng.randrange(0, 18 * 365))
            child = self.add(self.first_name(sex, used), surname, dob, sex, postcode)
            used.add(child.first_name)
            members.append(child)
            if rng.random() < 0.04:  # twins: same surname, date of birth and address, a different first name
                twin_sex = rng.choice("MF")
                twin = self.add(self.first_name(twin_sex, used), surname, dob, twin_sex, postcode)
                used.add(twin.first_name)
                members.append(twin)
                self.twins.append((child.person_id, twin.person_id))
        return members

    def namesake_of(self, other: Person) -> Person:
        """Someone else with the same name and date of birth, living elsewhere."""
        person = self.add(other.first_name, other.surname, other.dob, other.sex, self.postcode())
        self.namesakes.append((other.person_id, person.person_id))
        return person

    # --- the slips of real records ----------------------------------------------------------------------------
    def typo(self, name: str) -> str:
        rng = self.rng
        if len(name) < 3:
            return name
        i = rng.randrange(1, len(name))
        kind = rng.randrange(4)
        if kind == 0:
            return name[:i] + name[i + 1 :]  # a letter dropped
        if kind == 1:
            return name[:i] + name[i] + name[i:]  # a letter doubled
        if kind == 2 and i < len(name) - 1:
            return name[:i] + name[i + 1] + name[i] + name[i + 2 :]  # two letters swapped
        return name[:i] + rng.choice("aeiouyrnst") + name[i + 1 :]  # a letter changed

    def record(self, person: Person, source: str) -> list[str]:
        rng = self.rng
        first, surname, dob, sex = person.first_name, person.surname, person.dob, person.sex
        if first in SHORT_FORMS and rng.random() < 0.10:
            first = rng.choice(SHORT_FORMS[first])
        if rng.random() < 0.05:
            first = self.typo(first)
        if rng.random() < 0.04:
            surname = self.typo(surname)
        if rng.random() < 0.015:
            surname = self.surname() if rng.random() < 0.5 else f"{surname}-{self.surname()}"  # a changed surname
        if rng.random() < 0.01:
            first, surname = surname, first
        dob_text = dob.isoformat()
        roll = rng.random()
        if roll < 0.02 and dob.day <= 12 and dob.day != dob.month:
            dob_text = date(dob.year, dob.day, dob.month).isoformat()
        elif roll < 0.05:
            part = rng.randrange(3)
            try:
                if part == 0:
                    dob_text = dob.replace(day=rng.randrange(1, 29)).isoformat()
                elif part == 1:
                    dob_text = dob.replace(month=rng.randrange(1, 13)).isoformat()
                else:
                    dob_text = dob.replace(year=dob.year + rng.choice((-1, 1))).isoformat()
            except ValueError:
                pass
        elif roll < 0.07:
            dob_text = ""
        postcode = person.old_postcode if person.old_postcode and rng.random() < 0.5 else person.postcode
        if rng.random() < 0.04:
            postcode = ""
        nhs_missing = {"police": 0.6, "housing": 0.7, "school": 0.4}.get(source, 0.15)
        nhs = "" if rng.random() < nhs_missing else person.nhs_number
        sex_text = "" if rng.random() < 0.05 else sex
        cased = (lambda s: s.upper()) if rng.random() < 0.2 else (lambda s: s.title())
        return [source, cased(first), cased(surname), dob_text, sex_text, postcode, nhs]


def generate(records: int, seed: int, out: Path) -> dict[str, int]:
    gen = Generator(seed)
    rng = gen.rng
    today = date(2026, 12, 1)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    by_record: list[tuple[list[str], int]] = []
    while written < records:
        members = gen.household(today)
        if rng.random() < 0.01:
            members.append(gen.namesake_of(rng.choice(members)))
        for person in members:
            count = 1 + min(4, int(rng.expovariate(0.8)))
            for source in rng.sample(SOURCES, count):
                by_record.append((gen.record(person, source), person.person_id))
                written += 1
    by_record = by_record[:records]
    rng.shuffle(by_record)
    with (
        (out / "records.csv").open("w", newline="", encoding="utf-8") as rf,
        (out / "truth.csv").open("w", newline="", encoding="utf-8") as tf,
    ):
        rw, tw = csv.writer(rf), csv.writer(tf)
        rw.writerow(["record_id", "source", "first_name", "surname", "dob", "sex", "postcode", "nhs_number"])
        tw.writerow(["record_id", "person_id"])
        for n, (row, person_id) in enumerate(by_record, start=1):
            record_id = f"R{n:08d}"
            rw.writerow([record_id, *row])
            tw.writerow([record_id, person_id])
    for name, pairs in (("twins.csv", gen.twins), ("namesakes.csv", gen.namesakes)):
        with (out / name).open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["person_a", "person_b"])
            writer.writerows(pairs)
    return {
        "records": len(by_record),
        "people": len(gen.people),
        "twins": len(gen.twins),
        "namesakes": len(gen.namesakes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(generate(args.records, args.seed, args.out))


if __name__ == "__main__":
    main()
