"""Validate a CIN census, one child at a time, against every DfE rule of the collection year.

The validator takes :mod:`.census` children from anywhere: :func:`validate_file` reads them from XML (any system's),
and the nightly check of the live record feeds them from :mod:`.export` without writing XML. Findings carry the
rule code as the DfE writes it (queries keep their Q), the child's LAchildID, the element and a plain message.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from safeguarding.returns.cin_census.census import LATEST_YEAR, CensusYear, Child, Header
from safeguarding.returns.cin_census.reader import RawChild, child_from_raw, open_census
from safeguarding.returns.cin_census.rules import (
    Problem,
    ReturnTally,
    Rule,
    Severity,
    features,
    rules_for,
)

SCHEMA_CODE = "XSD"  # a value that is not of its schema type (the DfE's XSD check), not one of the numbered rules
SCHEMA_TEXT = "Value does not match the DfE schema type"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    la_child_id: str
    element: str
    message: str
    rule_text: str
    line: int | None = None
    person_id: int | None = None

    def as_row(self) -> dict[str, object]:
        row = asdict(self)
        row["severity"] = str(self.severity)
        return row


@dataclass
class Report:
    year: CensusYear
    findings: list[Finding]
    children: int

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def queries(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.QUERY]


class Validator:
    """Checks children as they come, then the return as a whole (:meth:`finish`)."""

    def __init__(self, year: CensusYear) -> None:
        self.year = year
        rules = rules_for(year.year)
        self.child_rules = [r for r in rules if r.scope == "child"]
        self.return_rules = [r for r in rules if r.scope == "return"]
        self.header_rules = [r for r in rules if r.scope == "header"]
        self._rules_for: dict[frozenset[str], list[Rule]] = {}
        self.tally = ReturnTally()
        self.children = 0
        self._where: dict[str, tuple[int | None, int | None]] = {}  # LAchildID -> (line, person id), for return rules

    def _finding(self, rule: Rule, problem: Problem, child: Child | None) -> Finding:
        la_child_id = problem.la_child_id if problem.la_child_id is not None else (child.key if child else "")
        line, person_id = (child.line, child.person_id) if child else self._where.get(la_child_id, (None, None))
        return Finding(rule.code, rule.severity, la_child_id, problem.element, problem.message, rule.text,
                       line, person_id)

    def header(self, header: Header) -> list[Finding]:
        return [self._finding(r, p, None) for r in self.header_rules
                for p in r.check(header, self.year)]  # type: ignore[arg-type]

    def child(self, child: Child, schema_problems: Iterable[Problem] = ()) -> list[Finding]:
        self.children += 1
        self.tally.add(child, self.year)
        if child.la_child_id and child.la_child_id not in self._where:
            self._where[child.la_child_id] = (child.line, child.person_id)
        found = [Finding(SCHEMA_CODE, Severity.ERROR, child.key, p.element, p.message, SCHEMA_TEXT, child.line,
                         child.person_id) for p in schema_problems]
        parts = features(child)
        rules = self._rules_for.get(parts)
        if rules is None:
            rules = self._rules_for[parts] = [r for r in self.child_rules if r.needs is None or r.needs in parts]
        for rule in rules:
            for problem in rule.check(child, self.year):  # type: ignore[arg-type]
                found.append(self._finding(rule, problem, child))
        return found

    def take(self, batch: BatchResult) -> list[Finding]:
        """A batch of the children that come next in the file, checked by another process (:func:`check_batch`)."""
        self.children += batch.children
        self.tally.merge(batch.tally)
        for la_child_id, where in batch.where.items():
            self._where.setdefault(la_child_id, where)
        return batch.findings

    def finish(self) -> list[Finding]:
        return [self._finding(r, p, None) for r in self.return_rules
                for p in r.check(self.tally, self.year)]  # type: ignore[arg-type]


@dataclass
class BatchResult:
    findings: list[Finding]
    tally: ReturnTally
    where: dict[str, tuple[int | None, int | None]]
    children: int


def check_batch(year: int, batch: list[RawChild]) -> BatchResult:
    """Check children read elsewhere (in a worker process): the child rules, and the batch's part of the tally."""
    validator = Validator(CensusYear(year))
    findings: list[Finding] = []
    for raw in batch:
        read = child_from_raw(raw)
        findings += validator.child(read.child, read.problems)
    return BatchResult(findings, validator.tally, validator._where, validator.children)


def validate_children(children: Iterable[Child], year: CensusYear, header: Header | None = None) -> Report:
    """Validate children held or produced in memory (the live record): every child rule, then the return rules."""
    validator = Validator(year)
    findings: list[Finding] = []
    if header is not None:
        findings += validator.header(header)
    for child in children:
        findings += validator.child(child)
    findings += validator.finish()
    return Report(year, findings, validator.children)


# Below this size one process is quicker than starting workers; above it, the children are checked in batches by
# worker processes (one per core) while this process reads the file, and the findings still come in file order.
PARALLEL_MIN_BYTES = 20_000_000
BATCH_CHILDREN = 400


def default_workers(source: Path | str | IO[bytes]) -> int:
    if not isinstance(source, (Path, str)):
        return 1
    path = Path(source)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2 or not path.is_file() or path.stat().st_size < PARALLEL_MIN_BYTES:
        return 1
    return min(cores, 8)


class FileCheck:
    """The validation of one file, streamed: iterate :meth:`findings`; then ``children`` and ``year`` are known.
    Raises CensusFileRefused (naming the line) where the file cannot be read. ``year`` defaults to the file's Year.

    ``workers`` (default: one per core for a large file, else none) check batches of children in other processes;
    this process still reads the whole file safely (the reader's refusals are unchanged), hands each ``<Child>`` on
    as its own XML, keeps at most a few batches in flight (memory stays bounded) and yields each batch's findings
    in file order; the return rules then run on the merged tallies, so the findings are the same either way."""

    def __init__(self, source: Path | str | IO[bytes], year: CensusYear | None = None,
                 workers: int | None = None) -> None:
        self.workers = default_workers(source) if workers is None else max(1, workers)
        self.census = open_census(source)
        self.year = year
        self.children = 0

    def findings(self) -> Iterator[Finding]:
        if self.workers > 1:
            yield from self._findings_in_workers()
            return
        validator: Validator | None = None
        for read in self.census.children():
            if validator is None:
                validator = self._start()
                yield from self._header(validator)
            yield from validator.child(read.child, read.problems)
        yield from self._end(validator)

    def _end(self, validator: Validator | None) -> Iterator[Finding]:
        if validator is None:
            validator = self._start()
            yield from self._header(validator)
            yield Finding(SCHEMA_CODE, Severity.ERROR, "", "Children", "the return has no <Child>", SCHEMA_TEXT)
        self.children = validator.children
        yield from validator.finish()

    def _findings_in_workers(self) -> Iterator[Finding]:
        validator: Validator | None = None
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        in_flight: deque[Future[BatchResult]] = deque()
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        try:
            batch: list[RawChild] = []
            for raw in self.census.raw_children():
                if validator is None:
                    validator = self._start()
                    yield from self._header(validator)
                batch.append(raw)
                if len(batch) >= BATCH_CHILDREN:
                    in_flight.append(pool.submit(check_batch, validator.year.year, batch))
                    batch = []
                    if len(in_flight) > 2 * self.workers:
                        yield from validator.take(in_flight.popleft().result())
            if batch and validator is not None:
                in_flight.append(pool.submit(check_batch, validator.year.year, batch))
            while in_flight and validator is not None:
                yield from validator.take(in_flight.popleft().result())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        yield from self._end(validator)

    def _start(self) -> Validator:
        if self.year is None:
            self.year = year_of(self.census.header)
        return Validator(self.year)

    def _header(self, validator: Validator) -> Iterator[Finding]:
        for p in self.census.header_problems:
            yield Finding(SCHEMA_CODE, Severity.ERROR, "", p.element, p.message, SCHEMA_TEXT)
        yield from validator.header(self.census.header or Header())


def year_of(header: Header | None) -> CensusYear:
    """The year a file names in its header, or the latest year held where it names none the system knows."""
    if header and header.year and header.year.isdigit():
        try:
            return CensusYear(int(header.year))
        except ValueError:
            pass
    return CensusYear(LATEST_YEAR)


def validate_file(source: Path | str | IO[bytes], year: CensusYear | None = None) -> Report:
    check = FileCheck(source, year)
    findings = list(check.findings())
    assert check.year is not None
    return Report(check.year, findings, check.children)
