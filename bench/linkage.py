"""Record linkage at the scale of a region: ``safeguarding people link`` on 100,000 and 1,000,000 synthetic records
(``bench/linkage_data.py``), beside Splink on the same file in the same run, and the search-before-create lookup with
1,000,000 people in the index. Writes ``bench/results/linkage.md``.

Measured for each: wall time, peak memory (the process's maximum resident set), pairwise precision, recall and F1
against the ground truth (every pair of records put in one cluster), and the share of twin pairs and of namesake pairs
merged (any record of one in a cluster with any record of the other).

Targets (issue 17): F1 >= 0.97; <= 1% of twins and of namesakes merged; 100k < 10 s; 1M < 180 s and < 4 GiB; search
p95 <= 50 ms at 1M people.

    .venv/bin/python bench/linkage.py [--sizes 100000 1000000] [--splink-python PATH] [--search-people 1000000]
    .venv/bin/python bench/linkage.py --sizes 2000000 --search-people 1000000 --search-only  # the search alone

Splink runs under ``--splink-python`` (a Python with the bench extra: ``pip install -e '.[bench]'``); without one it
is left out and the report says so. Run it on a quiet machine: it takes the two cores.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, RESULTS_DIR, ROOT, figures, machine
from linkage_data import generate

# Lookups run before those timed (see search_lookups).
WARM_UP = 100

TARGETS = {
    "f1": 0.97,
    "twins": 0.01,
    "namesakes": 0.01,
    100_000: 10.0,
    1_000_000: 180.0,
    "memory": 4 << 30,
    "search_p95_ms": 50.0,
}


@dataclass
class Run:
    tool: str
    records: int
    seconds: float
    peak_bytes: int
    precision: float
    recall: float
    f1: float
    twins_merged: float
    namesakes_merged: float
    failed: str = ""


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int, str]:
    """Wall seconds, peak resident bytes, exit status and the end of stderr, of one process."""
    began = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read().decode(errors="replace")
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - began, usage.ru_maxrss * 1024, process.returncode, stderr[-2000:]


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    return rows[1:]


def evaluate(folder: Path, clusters_csv: Path) -> tuple[float, float, float, float, float]:
    person_of = {record_id: person for record_id, person in _read(folder / "truth.csv")}
    cluster_of = {record_id.lstrip("'"): cluster for record_id, cluster in _read(clusters_csv)}
    cells: Counter[tuple[str, str]] = Counter()
    clusters: Counter[str] = Counter()
    people: Counter[str] = Counter()
    clusters_of_person: dict[str, set[str]] = {}
    for record_id, person in person_of.items():
        cluster = cluster_of.get(record_id, f"missing:{record_id}")
        cells[(cluster, person)] += 1
        clusters[cluster] += 1
        people[person] += 1
        clusters_of_person.setdefault(person, set()).add(cluster)

    def pairs(counts: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    true_positive, proposed, actual = pairs(cells), pairs(clusters), pairs(people)  # type: ignore[arg-type]
    precision = true_positive / proposed if proposed else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def merged(name: str) -> float:
        listed = [(a, b) for a, b in _read(folder / name) if a in clusters_of_person and b in clusters_of_person]
        hit = sum(1 for a, b in listed if clusters_of_person[a] & clusters_of_person[b])
        return hit / len(listed) if listed else 0.0

    return precision, recall, f1, merged("twins.csv"), merged("namesakes.csv")


def dataset(records: int, seed: int) -> Path:
    folder = BENCH_DIR / f"linkage-{records}-{seed}"
    if not (folder / "records.csv").exists():
        print(f"generating {records:,} records in {folder}...", flush=True)
        generate(records, seed, folder)
    return folder


def run_ours(folder: Path, records: int, threshold: float) -> Run:
    out = folder / "clusters-ours.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "safeguarding.cli", "people", "link", str(folder / "records.csv")]
    seconds, peak, status, stderr = measured([*command, "--out", str(out), "--threshold", str(threshold)], env)
    if status != 0:
        return Run("safeguarding people link", records, seconds, peak, 0, 0, 0, 0, 0, failed=stderr)
    return Run("safeguarding people link", records, seconds, peak, *evaluate(folder, out))


def run_splink(folder: Path, records: int, python: str, threshold: float) -> Run:
    out = folder / "clusters-splink.csv"
    script = str(ROOT / "bench" / "linkage_splink.py")
    command = [python, script, str(folder / "records.csv"), str(out), "--threshold", str(threshold)]
    seconds, peak, status, stderr = measured(command)
    if status != 0:
        return Run("Splink (DuckDB)", records, seconds, peak, 0, 0, 0, 0, 0, failed=stderr)
    return Run("Splink (DuckDB)", records, seconds, peak, *evaluate(folder, out))


# --- the search with a million people ----------------------------------------------------------------------------


def people_database(folder: Path, people: int) -> tuple[str, list[list[str]], dict[str, int]]:
    """A database holding one record of each person of the file as the person index (at most ``people``), the
    other records of those people to search with, and each indexed person's id in the database by their person in
    the ground truth (so the bench can tell whether a search finds the right person)."""
    from sqlalchemy import create_engine, func, select

    from safeguarding.people import rules
    from safeguarding.people.models import Address, Person

    url = os.environ.get("SAFEGUARDING_BENCH_DATABASE_URL", f"sqlite:///{folder / 'people.db'}")
    person_of = dict(_read(folder / "truth.csv"))
    first_record: dict[str, list[str]] = {}
    others: list[list[str]] = []
    for row in _read(folder / "records.csv"):
        person = person_of[row[0]]
        if person not in first_record:
            if len(first_record) < people:
                first_record[person] = row
        else:
            others.append(row)
    import safeguarding.schema  # noqa: F401  (every table, for the access checks the search makes)
    from safeguarding.core.db import Base

    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        loaded = connection.execute(select(func.count()).select_from(Person)).scalar_one()
    if loaded < len(first_record):
        print(f"loading {len(first_record):,} people into {url}...", flush=True)
        with engine.begin() as connection:
            batch: list[dict[str, object]] = []
            addresses: list[dict[str, object]] = []
            seen_nhs: set[str] = set()
            for n, row in enumerate(first_record.values(), start=1):
                _id, _source, first, last, dob, sex, postcode, nhs = row
                nhs = nhs if nhs and nhs not in seen_nhs else ""
                seen_nhs.add(nhs)
                batch.append(
                    {
                        "id": n,
                        "kind": "child",
                        "first_name": first or "-",
                        "last_name": last or "-",
                        "date_of_birth": date.fromisoformat(dob) if dob else None,
                        "sex": sex or None,
                        "nhs_number": nhs or None,
                        "first_name_key": rules.name_key(first),
                        "last_name_key": rules.name_key(last),
                        "first_name_sound": rules.sound_key(first),
                        "last_name_sound": rules.sound_key(last),
                    }
                )
                if postcode:
                    addresses.append({"person_id": n, "line1": f"{n} Bench Street", "postcode": postcode})
                if len(batch) == 20_000:
                    connection.execute(Person.__table__.insert(), batch)  # type: ignore[attr-defined]
                    connection.execute(Address.__table__.insert(), addresses)  # type: ignore[attr-defined]
                    batch, addresses = [], []
            if batch:
                connection.execute(Person.__table__.insert(), batch)  # type: ignore[attr-defined]
            if addresses:
                connection.execute(Address.__table__.insert(), addresses)  # type: ignore[attr-defined]
            if url.startswith("sqlite"):
                connection.exec_driver_sql("ANALYZE")
            else:
                connection.exec_driver_sql("ANALYZE person; ANALYZE address")
    engine.dispose()
    indexed = {person: n for n, person in enumerate(first_record, start=1)}
    return url, others, indexed


def search_lookups(folder: Path, people: int, queries: int, seed: int) -> dict[str, object]:
    from sqlalchemy import event, func, select

    from safeguarding.app.factory import tune_garbage_collection
    from safeguarding.core.db import Database
    from safeguarding.people import search
    from safeguarding.people.models import Person

    url, others, indexed_as = people_database(folder, people)
    person_of = dict(_read(folder / "truth.csv"))
    database = Database(url)
    statements = [0]

    @event.listens_for(database.engine, "before_cursor_execute")
    def _count(*_args: object) -> None:
        statements[0] += 1

    with database.transaction() as session:
        # What the index holds (one record of each person of the file, at most ``people``), not what was asked for.
        indexed = session.scalar(select(func.count()).select_from(Person))
    rng = random.Random(seed)
    drawn = rng.sample(others, min(queries + WARM_UP, len(others)))
    # The lookups timed, and others before them that are not: a serving process has searched before, so each shape
    # of search has its statement built and compiled (the first of each shape costs that once; reported apart).
    sample, warm_up = drawn[:queries], drawn[queries:]
    wanted = {row[0]: indexed_as[person_of[row[0]]] for row in sample}
    # The file's two million rows are the bench's, not the search's: let go of them, then collect garbage as a
    # serving process does (what is loaded frozen out of collections, the youngest generation collected every 20,000
    # allocations: app.factory.tune_garbage_collection), so each lookup pays what it would pay in the server.
    del others, person_of, indexed_as
    tune_garbage_collection()
    samples: list[float] = []
    cold: list[float] = []
    right = 0
    for n, (record_id, _source, first, last, dob, _sex, postcode, nhs) in enumerate(warm_up + sample):
        if n == len(warm_up):
            statements[0] = 0
        began = time.perf_counter()
        with database.transaction() as session:
            candidates = search.find_candidates(
                session,
                first_name=first,
                last_name=last,
                date_of_birth=date.fromisoformat(dob) if dob else None,
                nhs_number=nhs,
                postcode=postcode,
            )
        if n < len(warm_up):
            cold.append((time.perf_counter() - began) * 1000)
            continue
        samples.append((time.perf_counter() - began) * 1000)
        # Found: the person this record is about is among the candidates (their one record in the index).
        right += wanted[record_id] in {c.person_id for c in candidates}
    database.dispose()
    found = figures(samples)
    return {
        "url": url.split("@")[-1],
        "people": indexed,
        "queries": len(samples),
        "p50": found.p50,
        "p95": found.p95,
        "found": right / len(samples) if samples else 0.0,
        "statements": statements[0] / len(samples) if samples else 0.0,
        "warm_up": len(cold),
        "cold_p95": figures(cold).p95 if cold else 0.0,
    }


# --- the report ----------------------------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(runs: list[Run], lookups: dict[str, object] | None, splink_note: str) -> str:
    lines = [
        "# Record linkage: `safeguarding people link` beside Splink",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/linkage.py` on "
        + ", ".join(f"{k}: {v}" for k, v in machine().items())
        + ".",
        "",
        "Synthetic multi-agency records from `bench/linkage_data.py` (seeded): households, nicknames, typing "
        "slips, swapped names, day-month swapped and mistyped dates, moved addresses, missing NHS numbers, twins "
        "and namesakes. Pairwise precision/recall/F1 over every pair of records put in one cluster; twins or "
        "namesakes merged: the share of listed pairs with a record of each in one cluster. Both tools at match "
        "probability 0.95.",
        "",
        "| tool | records | time (s) | peak memory (GiB) | precision | recall | F1 | twins merged | namesakes merged |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        if r.failed:
            lines.append(f"| {r.tool} | {r.records:,} | {r.seconds:.1f} | failed: {r.failed.splitlines()[-1][:120]} |")
            continue
        lines.append(
            f"| {r.tool} | {r.records:,} | {r.seconds:.1f} | {r.peak_bytes / (1 << 30):.2f} | {r.precision:.4f} | "
            f"{r.recall:.4f} | {r.f1:.4f} | {r.twins_merged:.2%} | {r.namesakes_merged:.2%} |"
        )
    lines += ["", "Targets for `safeguarding people link`:", ""]
    for r in runs:
        if r.tool.startswith("safeguarding") and not r.failed:
            limit = TARGETS.get(r.records)
            lines.append(
                f"- {r.records:,} records: F1 {r.f1:.4f} >= 0.97 {_verdict(r.f1 >= 0.97)}; twins {r.twins_merged:.2%} "
                f"<= 1% {_verdict(r.twins_merged <= 0.01)}; namesakes {r.namesakes_merged:.2%} <= 1% "
                f"{_verdict(r.namesakes_merged <= 0.01)}"
                + (f"; {r.seconds:.1f} s < {limit:.0f} s {_verdict(r.seconds < limit)}" if limit else "")
                + (
                    f"; {r.peak_bytes / (1 << 30):.2f} GiB < 4 GiB {_verdict(r.peak_bytes < 4 << 30)}"
                    if r.records >= 1_000_000
                    else ""
                )
            )
    if splink_note:
        lines += ["", splink_note]
    if lookups:
        lines += [
            "",
            f"Search before create (`people.search.find_candidates`, scored and explained by the linkage model) with "
            f"{lookups['people']:,} people in the index ({lookups['url']}): {lookups['queries']} lookups, p50 "
            f"{lookups['p50']:.1f} ms, p95 {lookups['p95']:.1f} ms (target <= 50 ms: "
            f"{_verdict(float(lookups['p95']) <= 50)}); "  # type: ignore[arg-type]
            f"the right person found in {float(lookups['found']):.1%} of lookups; "  # type: ignore[arg-type]
            f"{float(lookups['statements']):.1f} statements per lookup. "  # type: ignore[arg-type]
            f"Timed after {lookups['warm_up']} other "
            f"lookups, as in a server that has searched before (those first lookups, each shape of search built and "
            f"compiled once: p95 {float(lookups['cold_p95']):.1f} ms).",  # type: ignore[arg-type]
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=0.95)
    parser.add_argument("--splink-python", default=os.environ.get("SPLINK_PYTHON", ""))
    parser.add_argument("--search-people", type=int, default=1_000_000, help="0 to skip the search lookups")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--search-only", action="store_true", help="only the search lookups, on the file of the largest size"
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "linkage.md")
    args = parser.parse_args()
    runs: list[Run] = []
    note = "" if args.splink_python else "Splink was not run (no --splink-python with the bench extra installed)."
    for size in [] if args.search_only else args.sizes:
        folder = dataset(size, args.seed)
        runs.append(run_ours(folder, size, args.threshold))
        print(runs[-1], flush=True)
        if args.splink_python:
            runs.append(run_splink(folder, size, args.splink_python, args.threshold))
            print(runs[-1], flush=True)
    lookups = None
    if args.search_people:
        folder = dataset(max(args.sizes), args.seed)
        lookups = search_lookups(folder, args.search_people, args.queries, args.seed)
        print(lookups, flush=True)
    args.out.write_text(report(runs, lookups, note))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
