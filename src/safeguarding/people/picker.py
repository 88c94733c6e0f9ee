"""The one way a form links a person: search by name, never a typed record number.

A picker field ``NAME`` is shown by the ``person_picker`` macro (people/_picker.html): a text box ``NAME.q`` for
the name and a Find button (``web.forms.PICK_SEARCH`` = ``NAME``). Without JavaScript the button posts the form,
which ``web.forms.submit`` shows again unsaved with the people found as radios named ``NAME`` (the chosen person's
id); with htmx the button fetches only the results (``GET /people/pick``). Searching is ``people.search.search``:
the access policy is asked and the search audited, and a restricted record the user may not open is never offered.
Each person is shown with their date of birth, age and address, so two people of one name can be told apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import pass_context
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.db import Database
from safeguarding.core.form_fields import record_id
from safeguarding.core.users import User
from safeguarding.people import search
from safeguarding.people.inputs import SearchQuery
from safeguarding.people.models import Person
from safeguarding.people.records import may_open
from safeguarding.web.forms import PICK_SEARCH
from safeguarding.web.templating import templates

# At most this many people are offered: a longer list is a sign to type more of the name.
MAX_OPTIONS = 20


@dataclass(frozen=True)
class PickOption:
    """A person as a picker offers them: enough to tell two people of one name apart."""

    person_id: int
    name: str
    born: date | None  # shown with the age by the ``born`` filter
    address: str
    kind: str


@dataclass(frozen=True)
class PickerView:
    """What a picker field shows: the name typed, whether a search was asked for, the people found, the person
    already chosen, and whether a restricted record matched (said, never shown)."""

    name: str
    query: str
    searched: bool
    options: tuple[PickOption, ...]
    chosen: PickOption | None
    restricted_match: bool = False
    may_search: bool = True
    problem: str = ""

    @property
    def dom_id(self) -> str:
        return dom_id(self.name)


def dom_id(name: str) -> str:
    """A field name as an element id usable in a CSS selector (``subjects.0.person`` -> ``subjects-0-person``)."""
    return name.replace(".", "-")


def option(person: Person) -> PickOption:
    born = person.date_of_birth
    address = person.current_address
    return PickOption(
        person_id=person.id,
        name=person.full_name,
        born=born,
        address=address.one_line if address is not None else "",
        kind=str(person.kind),
    )


def split_name(text: str) -> tuple[str, str]:
    """A name typed in one box as (first, last): the last word is the surname; one word is searched as either."""
    words = text.split()
    if not words:
        return "", ""
    if len(words) == 1:
        return words[0], ""
    return " ".join(words[:-1]), words[-1]


def may_search(user: User | None) -> bool:
    return user is not None and access.role_may(user, Kind.PERSON, Action.SEARCH)


def find(session: Session, database: Database, user: User, text: str) -> tuple[list[PickOption], bool]:
    """The people a name finds that this user may open (through ``people.search``, which asks the policy and
    audits), and whether a restricted record they may not open matched too."""
    first, last = split_name(text)
    found = search.search(session, database, user, SearchQuery(first_name=first, last_name=last))
    options = [option(c.person) for c in found if c.person is not None][:MAX_OPTIONS]
    return options, any(c.hidden for c in found)


def chosen(session: Session, user: User, value: str | None) -> PickOption | None:
    """The person a picker's value names, if this user may open them (else nothing is shown)."""
    person_id = record_id(value)
    if person_id is None or not may_search(user) or not may_open(session, user, person_id):
        return None
    person = session.scalar(select(Person).where(Person.id == person_id).options(selectinload(Person.addresses)))
    return option(person) if person is not None else None


def picker_view(
    session: Session, database: Database, user: User | None, name: str, form: Mapping[str, Any]
) -> PickerView:
    query = str(form.get(f"{name}.q", "") or "").strip()
    if user is None or not may_search(user):
        return PickerView(name, query, False, (), None, may_search=False)
    picked = chosen(session, user, str(form.get(name, "") or ""))
    searched = form.get(PICK_SEARCH) == name
    if not searched:
        return PickerView(name, query, False, (), picked)
    if not any(split_name(query)):
        return PickerView(name, query, True, (), picked, problem="Enter a name to search for")
    options, restricted = find(session, database, user, query)
    return PickerView(name, query, True, tuple(options), picked, restricted_match=restricted)


@pass_context
def _person_pick(context: Any, name: str, form: Mapping[str, Any] | None = None) -> PickerView:
    """The ``person_pick(name, form)`` templates call: the picker's state for this page's user."""
    request = context["request"]
    return picker_view(
        request.state.db, request.app.state.database, getattr(request.state, "user", None), name, form or {}
    )


templates.env.globals["person_pick"] = _person_pick
