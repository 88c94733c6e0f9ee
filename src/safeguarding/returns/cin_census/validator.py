"""Validate a CIN census, one child at a time, against every DfE rule of the collection year.

The validator takes :mod:`.census` children from anywhere: :func:`validate_file` reads them from XML (any system's),
and the nightly check of the live record feeds them from :mod:`.export` without writing XML. Findings carry the
rule code as the DfE writes it (queries keep their Q), the child's LAchildID, the element and a plain message.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from queue import Empty
from typing import IO, Any

from safeguarding.returns.cin_census.census import LATEST_YEAR, CensusYear, Child, Header, la_code_of
from safeguarding.returns.cin_census.reader import CensusFileRefused, child_from_element, open_census
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
    # Found by the live check mid-year but not wrong as things stand today: it becomes an error or query at the
    # census date only if nothing happens by then (an assessment not authorised yet and not yet late).
    by_census_date: bool = False

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
        self._rules_for: dict[frozenset[str], list[tuple[Rule, Callable[..., Iterator[Problem]]]]] = {}
        self.tally = ReturnTally()
        self.children = 0
        self._where: dict[str, tuple[int | None, int | None]] = {}  # LAchildID -> (line, person id), for return rules

    def _finding(self, rule: Rule, problem: Problem, child: Child | None) -> Finding:
        la_child_id = problem.la_child_id if problem.la_child_id is not None else (child.key if child else "")
        line, person_id = (child.line, child.person_id) if child else self._where.get(la_child_id, (None, None))
        return Finding(
            rule.code, rule.severity, la_child_id, problem.element, problem.message, rule.text, line, person_id
        )

    def header(self, header: Header) -> list[Finding]:
        return [self._finding(r, p, None) for r in self.header_rules for p in r.check(header, self.year)]  # type: ignore[arg-type]

    def child(self, child: Child, schema_problems: Iterable[Problem] = ()) -> list[Finding]:
        self.children += 1
        self.tally.add(child, self.year)
        if child.la_child_id and child.la_child_id not in self._where:
            self._where[child.la_child_id] = (child.line, child.person_id)
        found = [
            Finding(
                SCHEMA_CODE, Severity.ERROR, child.key, p.element, p.message, SCHEMA_TEXT, child.line, child.person_id
            )
            for p in schema_problems
        ]
        parts = features(child)
        checks = self._rules_for.get(parts)
        if checks is None:
            checks = self._rules_for[parts] = [
                (r, r.check) for r in self.child_rules if r.needs is None or r.needs in parts
            ]
        year = self.year
        for rule, check in checks:
            for problem in check(child, year):
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
        return [self._finding(r, p, None) for r in self.return_rules for p in r.check(self.tally, self.year)]  # type: ignore[arg-type]


@dataclass
class BatchResult:
    findings: list[Finding]
    tally: ReturnTally
    where: dict[str, tuple[int | None, int | None]]
    children: int


def _check_share(path: Path, year: CensusYear, share: int, workers: int, out: Any) -> None:
    """A worker: stream the whole file (lxml's parse is cheap), turn into dataclasses and check only the batches
    numbered ``share`` modulo ``workers``, and send each batch's findings and tally in order, then "end"."""
    try:
        validator = Validator(year)
        found: list[Finding] = []
        current = -1
        for index, (el, ns) in enumerate(open_census(path).elements()):
            number = index // BATCH_CHILDREN
            if number % workers != share:
                continue
            if number != current:
                if current >= 0:
                    out.put(("batch", _result(validator, found)))
                validator, found, current = Validator(year), [], number
            read = child_from_element(el, ns)
            found += validator.child(read.child, read.problems)
        if current >= 0:
            out.put(("batch", _result(validator, found)))
        out.put(("end", None))
    except CensusFileRefused as exc:
        out.put(("refused", exc.message, exc.line))


def _next_message(queue: Any, process: Any) -> tuple[Any, ...]:
    """The worker's next message; a worker that died without saying why (killed for memory) is an error."""
    while True:
        try:
            message: tuple[Any, ...] = queue.get(timeout=1.0)
            return message
        except Empty:
            if not process.is_alive() and queue.empty():
                raise RuntimeError(f"a validation worker stopped (exit code {process.exitcode})") from None


def _result(validator: Validator, found: list[Finding]) -> BatchResult:
    return BatchResult(found, validator.tally, validator._where, validator.children)


def validate_children(
    children: Iterable[Child], year: CensusYear, header: Header | None = None, *, today: date | None = None
) -> Report:
    """Validate children held or produced in memory (the live record): every child rule, then the return rules.

    ``today`` before the year's reference date (the live record checked mid-year): each child with findings is
    checked again as things stand today (:attr:`CensusYear.as_of`), and a finding that a check today does not
    make is marked :attr:`Finding.by_census_date`: not wrong now, but due to become one by the census date."""
    validator = Validator(year)
    as_things_stand = (
        Validator(replace(year, as_of=today)) if today is not None and today < year.reference_date else None
    )
    findings: list[Finding] = []
    if header is not None:
        findings += validator.header(header)
    for child in children:
        found = validator.child(child)
        if found and as_things_stand is not None:
            now = {(f.code, f.element) for f in as_things_stand.child(child)}
            found = [f if (f.code, f.element) in now else replace(f, by_census_date=True) for f in found]
        findings += found
    findings += validator.finish()
    return Report(year, findings, validator.children)


# Below this size one process is quicker than starting workers; above it, worker processes (one per core) check
# the children in batches, and the findings still come in file order.
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

    ``workers`` (default: one per core for a large file, else none) share the children out in batches of
    :data:`BATCH_CHILDREN`: every worker streams the whole file through the same safe reader (lxml's parse is the
    cheap part), turns into dataclasses and checks only its own batches, and sends each batch's findings and tally
    through a queue of two, so memory stays bounded. This process reads the header, takes the batches in file order
    and runs the return rules on the merged tallies: the findings are the same, in the same order, either way."""

    def __init__(
        self, source: Path | str | IO[bytes], year: CensusYear | None = None, workers: int | None = None
    ) -> None:
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
        assert isinstance(self.census.source, Path)
        elements = self.census.elements()
        first = next(elements, None)  # reads the header (and refuses a file that is not a census)
        elements.close()
        if first is None:
            yield from self._end(None)
            return
        validator = self._start()
        yield from self._header(validator)
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        queues = [context.Queue(maxsize=2) for _ in range(self.workers)]
        processes = [
            context.Process(
                target=_check_share, daemon=True, args=(self.census.source, validator.year, k, self.workers, queues[k])
            )
            for k in range(self.workers)
        ]
        for process in processes:
            process.start()
        try:
            batch_number = 0
            while True:
                message = _next_message(queues[batch_number % self.workers], processes[batch_number % self.workers])
                if message[0] == "refused":
                    raise CensusFileRefused(message[1], message[2])
                if message[0] == "end":
                    break
                yield from validator.take(message[1])
                batch_number += 1
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()
        yield from self._end(validator)

    def _start(self) -> Validator:
        if self.year is None:
            self.year = year_of(self.census.header)
        elif self.year.la_code is None and self.census.header is not None:
            # The council sending the file is named in its header: the UPNs it allocated carry its code.
            self.year = replace(self.year, la_code=la_code_of(self.census.header.lea))
        return Validator(self.year)

    def _header(self, validator: Validator) -> Iterator[Finding]:
        for p in self.census.header_problems:
            yield Finding(SCHEMA_CODE, Severity.ERROR, "", p.element, p.message, SCHEMA_TEXT)
        yield from validator.header(self.census.header or Header())


def year_of(header: Header | None) -> CensusYear:
    """The year a file names in its header, or the latest year held where it names none the system knows; with the
    council the header names (LEA) as the one making the return."""
    la_code = la_code_of(header.lea) if header else None
    if header and header.year and header.year.isdigit():
        try:
            return CensusYear(int(header.year), la_code)
        except ValueError:
            pass
    return CensusYear(LATEST_YEAR, la_code)


def validate_file(source: Path | str | IO[bytes], year: CensusYear | None = None) -> Report:
    check = FileCheck(source, year)
    findings = list(check.findings())
    assert check.year is not None
    return Report(check.year, findings, check.children)
