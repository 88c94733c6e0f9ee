"""Search before create, and the matching other capabilities use: candidates gathered by indexed lookups (never a
scan), kept when ``rules.score_match`` finds them a candidate (its short reasons are what the list shows), ranked by
the record-linkage model (``people.linkage``: the same model as the duplicate check and partners' files) with its
probability and evidence in words, and shown only as the searcher may see them.

Other capabilities call :func:`exact_matches` and :func:`find_candidates` (then :func:`visible_to`); keep their
signatures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session, joinedload

from safeguarding.core import access, audit
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.db import Database
from safeguarding.core.settings import get_settings
from safeguarding.core.users import User
from safeguarding.people import rules
from safeguarding.people.inputs import SearchQuery
from safeguarding.people.linkage import DEFAULT_MODEL, PersonRecord
from safeguarding.people.linkage.records import Prepared, prepare
from safeguarding.people.linkage.scoring import LevelsAgainst, agrees_throughout
from safeguarding.people.linkage.scoring import scored as scored_pair
from safeguarding.people.linkage.short_forms import full_names, known_forms
from safeguarding.people.models import Address, Person, PersonAlias
from safeguarding.people.records import may_open

# Each candidate-gathering lookup reads at most this many rows, so a very common surname or a large block of flats
# cannot turn a search into a scan; scoring then ranks what was gathered.
GATHER_LIMIT = 1500


@dataclass(frozen=True)
class Candidate:
    """A person who may be the one searched for, with the score and reasons. ``person`` is None when the searcher
    may not open the record: it is then shown only as a restricted record."""

    person_id: int
    score: int
    reasons: tuple[str, ...]
    person: Person | None
    restricted: bool = False
    # Matched by an identifier (the same NHS number, or the same name and date of birth): certainly this person.
    identified: bool = False
    # The linkage model's view: how likely this is the person searched for, and why, in words.
    probability: float | None = None
    evidence: tuple[str, ...] = ()

    @property
    def hidden(self) -> bool:
        return self.person is None


def exact_matches(
    session: Session,
    *,
    nhs_number: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    date_of_birth: date | None = None,
) -> list[Person]:
    """People who are certainly this person, for automatic linking by other services (no access check): the same
    valid NHS number, or the same normalised first and last name and date of birth."""
    conditions = []
    if nhs_number and rules.is_valid_nhs_number(nhs_number):
        conditions.append(Person.nhs_number == rules.normalise_nhs_number(nhs_number))
    first_key, last_key = rules.name_key(first_name or ""), rules.name_key(last_name or "")
    if first_key and last_key and date_of_birth is not None:
        conditions.append(
            and_(
                Person.last_name_key == last_key,
                Person.first_name_key == first_key,
                Person.date_of_birth == date_of_birth,
            )
        )
    if not conditions:
        return []
    return list(
        session.scalars(select(Person).where(or_(*conditions), Person.merged_into_id.is_(None)).order_by(Person.id))
    )


def _match_query(
    first_name: str | None,
    last_name: str | None,
    date_of_birth: date | None,
    nhs_number: str | None,
    postcode: str | None,
) -> rules.MatchQuery:
    nhs = rules.normalise_nhs_number(nhs_number or "")
    code = (postcode or "").strip()
    return rules.MatchQuery(
        first_key=rules.name_key(first_name or ""),
        last_key=rules.name_key(last_name or ""),
        date_of_birth=date_of_birth,
        # An invalid NHS number or postcode finds nobody by that field rather than failing the whole search.
        nhs_number=nhs if rules.is_valid_nhs_number(nhs) else "",
        postcode=rules.normalise_postcode(code) if code and rules.is_valid_postcode(code) else "",
    )


_SCORING_COLUMNS = (
    Person.id,
    Person.first_name_key,
    Person.last_name_key,
    Person.date_of_birth,
    Person.nhs_number,
    Person.merged_into_id,
)


@dataclass(frozen=True)
class _Lookup:
    """One gathering lookup, an indexed equality or prefix range reading the scoring columns, capped: what it reads
    (``reads``, and ``order``: "after", "before" or "unknown" for the nearest in date of birth, "near" for within a
    year of it, "" for any), the values it compares with, whether it finds people by name (the broad lookups run
    only when those found few), and its cap. Its statement is built once for each shape of search
    (:func:`_statement`): a search binds only its values, as building the union of a dozen lookups every time cost
    more than running it, and left thousands of objects for the garbage collector."""

    reads: str
    order: str
    values: tuple[Any, ...]
    named: bool
    cap: int


# A name lookup of a search with a date of birth reads, of the people with that name, at most this many born on or
# after it, as many before it, and as many with no date of birth: the nearest first, in the index's order, so that a
# very common name (thousands of Olivia Smiths among a million people) gathers the likeliest few hundred rather than
# an arbitrary GATHER_LIMIT of them.
NEAREST_BY_BIRTH = 100

# A broad lookup (first letters of the surname) of a search with a date of birth reads only the people born within
# this of it (a day and month swapped stays within a year), or with none.
_NEAR = timedelta(days=366)


@dataclass
class _Gathered:
    """One person gathered: their scoring columns, the other names they are known by, and whether the postcode
    searched for is one of theirs."""

    row: Any
    aliases: list[tuple[str, str]]
    at_postcode: bool
    named: bool


def _prefix_range(column: Any, prefix: Any, beyond: Any) -> Any:
    # A range on the key rather than LIKE, so both SQLite and PostgreSQL use the index whatever the collation.
    return and_(column >= prefix, column < beyond)


def _after(prefix: str) -> str:
    return prefix + "\U0010ffff"


# What each kind of lookup compares, given its values as bound parameters (in the order of ``_Lookup.values``).
_CONDITIONS: dict[str, Callable[[list[Any]], list[Any]]] = {
    "nhs_number": lambda v: [Person.nhs_number == v[0]],
    "date_of_birth": lambda v: [Person.date_of_birth == v[0]],
    "name": lambda v: [Person.last_name_key == v[0], Person.first_name_key == v[1]],
    "short_forms": lambda v: [Person.last_name_key == v[0], Person.first_name_key.in_(v[1])],
    "sound": lambda v: [Person.last_name_sound == v[0], Person.first_name_sound == v[1]],
    "surname": lambda v: [Person.last_name_key == v[0]],
    "surname_sound": lambda v: [Person.last_name_sound == v[0]],
    "initials": lambda v: [
        _prefix_range(Person.last_name_key, v[0], v[1]),
        _prefix_range(Person.first_name_key, v[2], v[3]),
    ],
    "surname_start": lambda v: [_prefix_range(Person.last_name_key, v[0], v[1])],
}


# A lookup's shape: what it reads, its order, its cap, and which of its values are lists.
_Shape = tuple[str, str, int, tuple[bool, ...]]


def _shape(lookup: _Lookup) -> _Shape:
    return (lookup.reads, lookup.order, lookup.cap, tuple(isinstance(value, list) for value in lookup.values))


def _lookup_statement(shape: _Shape, n: int) -> Select[*tuple[Any, ...]]:
    """The statement of the ``n``th lookup of a search, its values bound as ``l{n}_{i}`` (a short form's list of
    names expanding), with the date of birth searched for as ``l{n}_born`` and a year either side of it."""
    reads, order, cap, lists = shape
    values: list[Any] = [bindparam(f"l{n}_{i}", expanding=listed) for i, listed in enumerate(lists)]
    born: Any = bindparam(f"l{n}_born", type_=Person.date_of_birth.type)
    statement = select(*_SCORING_COLUMNS)
    if reads == "postcode":
        statement = statement.join(Address, Address.person_id == Person.id).where(Address.postcode == values[0])
    elif reads in ("other_names", "other_names_start"):
        other = [_prefix_range(PersonAlias.last_name_key, values[0], values[1])]
        if reads == "other_names":
            other.append(PersonAlias.last_name_sound == values[2])
        statement = statement.join(PersonAlias, PersonAlias.person_id == Person.id).where(or_(*other))
    else:
        statement = statement.where(*_CONDITIONS[reads](values))
    if order == "after":
        statement = statement.where(Person.date_of_birth >= born).order_by(Person.date_of_birth)
    elif order == "before":
        statement = statement.where(Person.date_of_birth < born).order_by(Person.date_of_birth.desc())
    elif order == "unknown":
        statement = statement.where(Person.date_of_birth.is_(None))
    elif order == "near":
        # Compared as an expression no index serves: read from the name index's own entries, it can never send
        # the database to the index of dates of birth instead (tens of thousands born within a year, each read from
        # the table). An unknown date counts as near.
        statement = statement.where(
            func.coalesce(Person.date_of_birth, born).between(
                bindparam(f"l{n}_from", type_=Person.date_of_birth.type),
                bindparam(f"l{n}_to", type_=Person.date_of_birth.type),
            )
        )
    return statement.limit(cap)


def _parameters(lookups: list[_Lookup], born: date | None) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for n, lookup in enumerate(lookups):
        parameters.update((f"l{n}_{i}", value) for i, value in enumerate(lookup.values))
        if lookup.order in ("after", "before", "near"):
            parameters[f"l{n}_born"] = born
        if lookup.order == "near" and born is not None:
            parameters[f"l{n}_from"], parameters[f"l{n}_to"] = born - _NEAR, born + _NEAR
    return parameters


def _lookups(query: rules.MatchQuery) -> tuple[list[_Lookup], list[_Lookup]]:
    """The gathering lookups: the strong ones (identifiers, date of birth, postcode, the same name and the
    same-sounding name by the (last, first, date of birth) indexes), and the broad ones (the first three letters of
    the surname with the first initial, other names)."""
    born = query.date_of_birth

    def by_name(reads: str, *values: Any) -> list[_Lookup]:
        # With a date of birth searched for, the people of that name born nearest to it on either side and those
        # with none; without one, the first GATHER_LIMIT.
        if born is None:
            return [_Lookup(reads, "", values, True, GATHER_LIMIT)]
        return [_Lookup(reads, order, values, True, NEAREST_BY_BIRTH) for order in ("after", "before", "unknown")]

    def broad_by(reads: str, *values: Any) -> _Lookup:
        return _Lookup(reads, "" if born is None else "near", values, False, GATHER_LIMIT)

    strong: list[_Lookup] = []
    broad: list[_Lookup] = []
    if query.nhs_number:
        strong.append(_Lookup("nhs_number", "", (query.nhs_number,), False, GATHER_LIMIT))
    if born is not None:
        strong.append(_Lookup("date_of_birth", "", (born,), False, GATHER_LIMIT))
    if query.postcode:
        strong.append(_Lookup("postcode", "", (query.postcode,), False, GATHER_LIMIT))
    name_parts = [(query.last_key, query.first_key)]
    if query.first_key and query.last_key:
        name_parts.append((query.first_key, query.last_key))  # transposed
    elif query.first_key:
        name_parts.append((query.first_key, ""))  # a lone first name may be a surname typed in the wrong box
    for last, first in name_parts:
        if not last:
            continue
        sound, first_sound = rules.sound_key(last), rules.sound_key(first)
        if first:
            strong += by_name("name", last, first)
            # Bill for William, Peggy for Margaret: the full names a short form stands for, and its other forms;
            # nearest in date of birth too (Oliver is common, and one of the names Olly stands for).
            forms = sorted(known_forms(first) - {first})
            if forms:
                strong += by_name("short_forms", last, forms)
            if sound and first_sound:
                strong += by_name("sound", sound, first_sound)
            broad.append(broad_by("initials", last[:3], _after(last[:3]), first[:1], _after(first[:1])))
        else:
            strong += by_name("surname", last)
            if sound:
                strong += by_name("surname_sound", sound)
            broad.append(broad_by("surname_start", last[:3], _after(last[:3])))
        if sound:
            broad.append(_Lookup("other_names", "", (last[:3], _after(last[:3]), sound), False, GATHER_LIMIT))
        else:
            broad.append(_Lookup("other_names_start", "", (last[:3], _after(last[:3])), False, GATHER_LIMIT))
    return strong, broad


_ALIAS, _LIVES_AT = -1, -2  # the rows of the gathering statement that are not a lookup's: details of a gathered person


@lru_cache(maxsize=512)
def _statement(shapes: tuple[_Shape, ...], postcode: bool) -> Any:
    """The gathering statement for one shape of search: the lookups' union, each person's other names and whether
    they live at the postcode searched for (bound as ``postcode``), read from the gathered ids held in the statement
    rather than sent back as a list."""
    parts = [
        select(literal(n).label("lookup"), *_lookup_statement(shape, n).subquery().c) for n, shape in enumerate(shapes)
    ]
    gathered = (parts[0] if len(parts) == 1 else union_all(*parts)).cte("gathered")
    ids = select(gathered.c.id)

    def unknown(column: Any) -> Any:
        return cast(null(), column.type)  # typed, so PostgreSQL knows each column of the union

    details: list[Any] = [
        select(
            literal(_ALIAS),
            PersonAlias.person_id,
            PersonAlias.first_name_key,
            PersonAlias.last_name_key,
            *(unknown(column) for column in _SCORING_COLUMNS[3:]),
        ).where(PersonAlias.person_id.in_(ids))
    ]
    if postcode:
        details.append(
            select(literal(_LIVES_AT), Address.person_id, *(unknown(column) for column in _SCORING_COLUMNS[1:])).where(
                Address.postcode == bindparam("postcode"), Address.person_id.in_(ids)
            )
        )
    return union_all(select(gathered), *details)


def _gathered_by(
    session: Session, query: rules.MatchQuery, lookups: list[_Lookup]
) -> tuple[dict[int, _Gathered], bool]:
    """The lookups run as one statement (one round trip, whatever their number), with each gathered person's other
    names and whether the postcode searched for is one of theirs: each person once, and whether a name lookup was
    cut short by its cap (there are plenty of people by that name)."""
    if not lookups:
        return {}, False
    parameters = _parameters(lookups, query.date_of_birth)
    if query.postcode:
        parameters["postcode"] = query.postcode
    found: dict[int, _Gathered] = {}
    read = [0] * len(lookups)
    later: list[Any] = []
    for row in session.execute(_statement(tuple(map(_shape, lookups)), bool(query.postcode)), parameters):
        if row.lookup < 0:
            later.append(row)  # the rows of one statement come in any order: details once everyone is gathered
            continue
        read[row.lookup] += 1
        named = lookups[row.lookup].named
        person = found.get(row.id)
        if person is None:
            found[row.id] = _Gathered(row, [], False, named)
        elif named:
            person.named = True
    for row in later:
        person = found[row.id]
        if row.lookup == _LIVES_AT:
            person.at_postcode = True
        elif (row.first_name_key, row.last_name_key) not in person.aliases:
            person.aliases.append((row.first_name_key, row.last_name_key))
    capped = any(lookup.named and read[n] >= lookup.cap for n, lookup in enumerate(lookups))
    return found, capped


def _gather(session: Session, query: rules.MatchQuery, enough: int) -> dict[int, _Gathered]:
    """People who might match, with what scoring reads. Every lookup is an indexed equality or prefix range, capped,
    so no search reads the whole table.

    The broad lookups run only when the strong ones found fewer than ``enough`` people by name and no name lookup
    was cut short: they can only add weaker name matches, and a common name (a town has thousands of Smiths) must
    not make every search read thousands of rows."""
    strong, broad = _lookups(query)
    found, capped = _gathered_by(session, query, strong)
    if broad and not capped and sum(1 for person in found.values() if person.named) < enough:
        for person_id, person in _gathered_by(session, query, broad)[0].items():
            found.setdefault(person_id, person)
    return found


def _searched(query: rules.MatchQuery) -> PersonRecord:
    return PersonRecord(
        record_id="search",
        source="search",
        first_name=query.first_key or None,
        surname=query.last_key or None,
        dob=query.date_of_birth,
        sex=None,
        postcode=query.postcode or None,
        nhs_number=query.nhs_number or None,
    )


@dataclass(frozen=True)
class _Scored:
    person_id: int
    result: rules.MatchScore
    weight: float  # the linkage model's match weight: the ranking
    theirs: Prepared
    levels: tuple[int | None, ...]


REASON_SHORT_FORM = "a known short form of the name"
REASON_LIKELY = "likely the same person under another name"

# A person of another name is a candidate when the model's match weight says more likely than not (probability
# 0.5). Measured on 1,000,000 people (bench/linkage.py): the people so found were the person sought (probability
# 0.91-0.98); twins and others born the same day stayed below 0.01.
LIKELY_WEIGHT = 0.0


def _score(query: rules.MatchQuery, gathered: dict[int, _Gathered]) -> list[_Scored]:
    scored: list[_Scored] = []
    mine = prepare(_searched(query), 0)
    against = LevelsAgainst(mine, DEFAULT_MODEL)
    query_forms = set(full_names(query.first_key))
    for person_id, person in gathered.items():
        row, aliases = person.row, person.aliases
        if row.merged_into_id is not None:
            continue  # merged into another record: that one is found instead (people/duplicates)
        result = rules.score_match(
            query,
            rules.MatchRecord(
                first_key=row.first_name_key,
                last_key=row.last_name_key,
                date_of_birth=row.date_of_birth,
                nhs_number=row.nhs_number,
                postcodes=frozenset((query.postcode,)) if person.at_postcode else frozenset(),
                aliases=tuple(aliases),
            ),
        )
        short_form = bool(query_forms & set(full_names(row.first_name_key)))
        # Born on the day searched for, with the first name or the surname searched for but not both (a surname
        # changed or double-barrelled, a first name mistyped beyond a slip): weighed by the model too, which alone
        # can tell such a person from a twin.
        same_day = (
            query.date_of_birth is not None
            and row.date_of_birth == query.date_of_birth
            and (row.first_name_key == query.first_key or row.last_name_key == query.last_key)
        )
        if not (result.matched or short_form or same_day):
            continue
        # The postcode searched for counts when it is one of theirs; otherwise it is no evidence either way (a
        # person's other addresses are not read for every candidate). The name on file, or the other name they are
        # known by that fits best.
        on_file = query.postcode if person.at_postcode else None
        best: tuple[float, Prepared, tuple[int | None, ...]] | None = None
        for first, last in [(row.first_name_key, row.last_name_key), *aliases]:
            theirs = prepare(
                PersonRecord(
                    record_id=str(person_id),
                    source="index",
                    first_name=first or None,
                    surname=last or None,
                    dob=row.date_of_birth,
                    sex=None,
                    postcode=on_file,
                    nhs_number=row.nhs_number,
                ),
                1,
            )
            levels = against.of(theirs)
            weight = DEFAULT_MODEL.weight_of(levels)
            if best is None or weight > best[0]:
                best = (weight, theirs, levels)
        assert best is not None
        weight, theirs, levels = best
        if not result.matched and short_form and agrees_throughout(levels, "surname"):
            # Found as a known short form of the name: a candidate when the surname is there too and nothing the
            # model compares disagrees.
            result = replace(result, reasons=(*result.reasons, REASON_SHORT_FORM), matched=True)
        elif not result.matched and same_day and weight >= LIKELY_WEIGHT:
            # Another name, but everything else the model weighs makes them more likely than not the person.
            result = replace(result, reasons=(*result.reasons, REASON_LIKELY), matched=True)
        if not result.matched:
            continue
        scored.append(_Scored(person_id, result, weight, theirs, levels))
    scored.sort(key=lambda item: (-item.weight, -item.result.score, item.person_id))
    return scored


def _candidates(session: Session, query: rules.MatchQuery, limit: int) -> list[Candidate]:
    if query.is_empty:
        return []
    scored = _score(query, _gather(session, query, limit))[:limit]
    ids = [item.person_id for item in scored]
    # The people and their addresses (the list shows each one's postcode) in one statement.
    shown = select(Person).where(Person.id.in_(ids)).options(joinedload(Person.addresses))
    people = {p.id: p for p in session.scalars(shown).unique()} if ids else {}
    restricted = access.restricted_among(session, ids)
    mine = prepare(_searched(query), 0)
    found = []
    for item in scored:
        if item.person_id not in people:
            continue
        # Put in words only for the candidates shown.
        pair = scored_pair(mine, item.theirs, item.levels, DEFAULT_MODEL.holds_back(mine, item.theirs))
        found.append(
            Candidate(
                person_id=item.person_id,
                score=item.result.score,
                reasons=item.result.reasons,
                person=people[item.person_id],
                restricted=item.person_id in restricted,
                identified=_identifies(query, people[item.person_id]),
                probability=pair.probability,
                evidence=tuple(pair.evidence),
            )
        )
    return found


def _identifies(query: rules.MatchQuery, person: Person) -> bool:
    if query.nhs_number and person.nhs_number == query.nhs_number:
        return True
    return bool(
        query.first_key
        and query.last_key
        and query.date_of_birth is not None
        and (person.first_name_key, person.last_name_key, person.date_of_birth)
        == (query.first_key, query.last_key, query.date_of_birth)
    )


RESTRICTED_MATCH = "A restricted record matches these details: ask a manager before creating a new record"


def find_candidates(
    session: Session,
    *,
    first_name: str | None,
    last_name: str | None,
    date_of_birth: date | None,
    nhs_number: str | None,
    postcode: str | None,
) -> list[Candidate]:
    """Possible matches for a named person, ranked, with reasons (no access check and no audit: the caller does
    both, and must pass the result through :func:`visible_to` before showing it to a user)."""
    query = _match_query(first_name, last_name, date_of_birth, nhs_number, postcode)
    return _candidates(session, query, get_settings().max_page_size)


def visible_to(session: Session, user: User, candidates: list[Candidate]) -> list[Candidate]:
    """The candidates as this user may see them. A restricted person they may not open is shown only when the
    search identifies them (the same NHS number, or the same name and date of birth), and then only as "a
    restricted record matches", so a duplicate is not created; nothing else about them (not even that a restricted
    record has a similar name) is told. The hidden candidate keeps its id for the audit row only: pages and the
    API must not show ``person_id`` of a ``hidden`` candidate."""
    locked = {c.person_id for c in candidates if c.restricted and not may_open(session, user, c.person_id)}
    return [
        replace(c, person=None, score=0, reasons=(RESTRICTED_MATCH,), probability=None, evidence=())
        if c.person_id in locked
        else c
        for c in candidates
        if c.person_id not in locked or c.identified
    ]


def search(session: Session, database: Database, user: User, query: SearchQuery) -> list[Candidate]:
    """Search before create: by name (spelling- and order-tolerant, aliases too), date of birth, NHS number,
    postcode, or any mix. Ranked, capped at the page size, audited with its terms."""
    access.require(session, database, user, Action.SEARCH, AccessSubject(kind=Kind.PERSON))
    match = _match_query(query.first_name, query.last_name, query.date_of_birth, query.nhs_number, query.postcode)
    found = _candidates(session, match, get_settings().max_page_size)
    candidates = visible_to(session, user, found)
    # Every hit is recorded, shown or not, so each found person's "who has looked at this record" shows the search
    # (and the audit pages hide its terms from those who may not open a restricted one).
    audit.record_search(
        session,
        access.actor_of(user),
        "person",
        query.terms(),
        [c.person_id for c in found],
        detail={"results": len(candidates)},
    )
    return candidates
