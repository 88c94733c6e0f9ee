"""Helpers for the people tests: create people through the service, as a user would."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.people import rules
from safeguarding.people.inputs import AddressInput, AliasInput, PersonInput
from safeguarding.people.models import Person
from safeguarding.people.records import create_person
from tests.support import Factory


def valid_nhs(seed: int) -> str:
    """A valid synthetic NHS number from a seed (the first nine digits vary; the check digit is computed)."""
    n = seed
    while True:
        first_nine = f"{n:09d}"[-9:]
        check = rules.nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)
        n += 1


def valid_upn(seed: int) -> str:
    body = f"{seed:011d}"[-11:] + "0"
    return rules.upn_check_letter(body) + body


class People:
    def __init__(self, database: Database, user: User) -> None:
        self.database = database
        self.user = user

    def add(
        self,
        first_name: str,
        last_name: str,
        *,
        date_of_birth: date | None = date(2015, 3, 14),
        postcode: str | None = None,
        aliases: tuple[tuple[str, str], ...] = (),
        **extra: Any,
    ) -> Person:
        data = PersonInput(
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            aliases=[AliasInput(f, la) for f, la in aliases],
            address=AddressInput(line1="1 Test Street", postcode=postcode) if postcode else None,
            **extra,
        )
        with self.database.transaction() as s:
            person = create_person(s, self.database, self.user, data)
            s.flush()
            s.expunge_all()
            return person


@pytest.fixture()
def worker(factory: Factory) -> User:
    return factory.user(Role.MASH_WORKER)


@pytest.fixture()
def manager(factory: Factory) -> User:
    return factory.user(Role.MASH_MANAGER)


@pytest.fixture()
def people(database: Database, worker: User) -> People:
    return People(database, worker)
