"""Search-before-create latency against the large demo council, through ``people.search.search``.

Each query runs as a MASH worker would run it: one transaction with the access check, the search, and the audit row
written at commit. Queries are varied: exact names, misspellings, transposed names, name and date of birth, NHS
number, postcode and first name, surname prefixes, date of birth alone, and names people were known by before.
Target: p95 <= 50 ms.

    .venv/bin/python bench/search.py [--queries 600] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_database_url, ensure_large_council, figures, write_json

TARGET_P95_MS = 50.0


def misspell(rng: random.Random, name: str) -> str:
    """One typing slip: a letter dropped, doubled or two letters swapped (the searcher's, not the record's)."""
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 1)
    slip = rng.choice(("drop", "double", "swap"))
    if slip == "drop":
        return name[:i] + name[i + 1 :]
    if slip == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def build_queries(database, count: int, seed: int) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from safeguarding.people.inputs import SearchQuery
    from safeguarding.people.models import Address, Person, PersonAlias

    rng = random.Random(seed)
    with database.transaction() as s:
        top = s.scalar(select(func.max(Person.id))) or 0
        ids = sorted(rng.sample(range(1, top + 1), min(top, count * 2)))
        people = list(s.scalars(select(Person).where(Person.id.in_(ids))))
        postcodes = {
            person_id: postcode
            for person_id, postcode in s.execute(
                select(Address.person_id, Address.postcode).where(
                    Address.person_id.in_(ids), Address.moved_out.is_(None)
                )
            )
        }
        aliases = [
            (first, last)
            for first, last in s.execute(select(PersonAlias.first_name, PersonAlias.last_name).limit(count))
        ]
    kinds = (
        "exact name",
        "misspelt surname",
        "transposed names",
        "name and date of birth",
        "NHS number",
        "postcode and first name",
        "surname prefix",
        "date of birth",
        "former name",
    )
    queries: list[tuple[str, object]] = []
    for n in range(count):
        person = people[n % len(people)]
        kind = kinds[n % len(kinds)]
        if kind == "exact name":
            q = SearchQuery(first_name=person.first_name, last_name=person.last_name)
        elif kind == "misspelt surname":
            q = SearchQuery(first_name=person.first_name, last_name=misspell(rng, person.last_name))
        elif kind == "transposed names":
            q = SearchQuery(first_name=person.last_name, last_name=person.first_name)
        elif kind == "name and date of birth":
            q = SearchQuery(
                first_name=person.first_name, last_name=person.last_name, date_of_birth=person.date_of_birth
            )
        elif kind == "NHS number" and person.nhs_number:
            q = SearchQuery(nhs_number=person.nhs_number)
        elif kind == "postcode and first name" and person.id in postcodes:
            q = SearchQuery(first_name=person.first_name, postcode=postcodes[person.id] or "")
        elif kind == "surname prefix":
            q = SearchQuery(first_name=person.first_name[:3], last_name=person.last_name[:4])
        elif kind == "date of birth" and person.date_of_birth:
            q = SearchQuery(date_of_birth=person.date_of_birth)
        elif kind == "former name" and aliases:
            first, last = aliases[n % len(aliases)]
            q = SearchQuery(first_name=first, last_name=last)
        else:
            kind = "exact name"
            q = SearchQuery(first_name=person.first_name, last_name=person.last_name)
        queries.append((kind, q))
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    load = ensure_large_council()
    from sqlalchemy import func, select

    from safeguarding.core.db import Database
    from safeguarding.core.users import User
    from safeguarding.people import search as service
    from safeguarding.people.models import Person

    database = Database(bench_database_url())
    with database.transaction() as s:
        worker = s.scalar(select(User).where(User.username == "mash.worker"))
        assert worker is not None, "the benchmark council has no mash.worker"
        s.expunge(worker)
    with database.transaction() as s:
        people_count = s.scalar(select(func.count()).select_from(Person))
    queries = build_queries(database, args.queries, args.seed)
    for _kind, query in queries[:20]:  # warm the caches and the connection pool
        with database.transaction() as s:
            service.search(s, database, worker, query)  # type: ignore[arg-type]

    by_kind: dict[str, list[float]] = {}
    all_ms: list[float] = []
    results: list[int] = []
    for kind, query in queries:
        began = time.perf_counter()
        with database.transaction() as s:
            found = service.search(s, database, worker, query)  # type: ignore[arg-type]
        elapsed = (time.perf_counter() - began) * 1000
        all_ms.append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
        results.append(len(found))
    overall = figures(all_ms)
    print(f"Search-before-create over {people_count:,} people ({bench_database_url()}):")
    print(f"  {'all queries':<24} {overall.line()}")
    for kind, samples in by_kind.items():
        print(f"  {kind:<24} {figures(samples).line()}")
    print(f"  results per query: mean {sum(results) / len(results):.1f}, max {max(results)}")
    verdict = "meets" if overall.p95 <= TARGET_P95_MS else "MISSES"
    print(f"  p95 {overall.p95:.1f} ms {verdict} the target of {TARGET_P95_MS:.0f} ms")
    write_json(
        "search",
        {
            "overall": overall.__dict__,
            "by_kind": {k: figures(v).__dict__ for k, v in by_kind.items()},
            "target_p95_ms": TARGET_P95_MS,
            "queries": len(queries),
            "people": people_count,
            "load": load,
        },
    )
    database.dispose()


if __name__ == "__main__":
    main()
