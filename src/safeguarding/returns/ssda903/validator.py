"""Validate an SSDA903 return, one child at a time, against every DfE rule of the collection year.

The return comes from anywhere: :func:`validate_path` reads a folder of CSV tables or an XML file (ours or another
system's), and an export of the live record can be passed to :func:`validate` in memory. Last year's return, where
given, is read the same way and lets the rules that compare years run (202 to 208, 502, 503A-F, 559 to 562, 576,
624, 626, SW16a-c...); without it they are skipped, and the report says how many.
Findings carry the rule code as the DfE writes it, the CHILD id, the table, the fields and a plain message.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from safeguarding.returns.ssda903.reader import read_return, without_cyclic_collection
from safeguarding.returns.ssda903.reference import Reference
from safeguarding.returns.ssda903.rules import Child, Problem, Rule, Severity, features, rules_for
from safeguarding.returns.ssda903.tables import ChildRecord, CollectionYear, Return

FILE_OF_TABLE = {
    "Header": "header.csv",
    "Episodes": "episodes.csv",
    "Reviews": "reviews.csv",
    "UASC": "uasc.csv",
    "OC2": "oc2.csv",
    "OC3": "oc3.csv",
    "AD1": "ad1.csv",
    "PlacedAdoption": "placed_for_adoption.csv",
    "PrevPerm": "previous_permanence.csv",
    "Missing": "missing.csv",
    "SWEpisodes": "sw_episodes.csv",
    "DoLo": "dolo.csv",
}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    child: str
    table: str
    fields: str
    message: str
    line: int
    rule_text: str

    def as_row(self) -> dict[str, object]:
        row = asdict(self)
        row["severity"] = str(self.severity)
        return row


@dataclass
class Report:
    year: CollectionYear
    findings: list[Finding]
    children: int
    rules_run: int
    rules_skipped_without_previous: int = 0
    rules_skipped_without_reference: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def queries(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.QUERY]


class Validator:
    """Checks children one at a time; a child runs only the rules whose table it has rows in."""

    def __init__(self, year: CollectionYear, with_previous: bool, reference: Reference | None = None) -> None:
        self.year = year
        self.reference = reference
        parts = reference.parts if reference is not None else frozenset()
        everything = frozenset({"providers", "postcodes", "authority"})
        self.rules = rules_for(year.year, with_previous, parts)
        self.skipped = (
            len(rules_for(year.year, True, parts)) - len(rules_for(year.year, False, parts)) if not with_previous else 0
        )
        self.skipped_without_reference = len(rules_for(year.year, with_previous, everything)) - len(self.rules)
        self._by_parts: dict[frozenset[str], list[tuple[Rule, Callable[..., Iterator[Problem]]]]] = {}

    def child(self, record: ChildRecord, last: ChildRecord | None = None) -> list[Finding]:
        parts = features(record)
        checks = self._by_parts.get(parts)
        if checks is None:
            checks = self._by_parts[parts] = [(r, r.check) for r in self.rules if r.needs is None or r.needs in parts]
        c = Child(record, last, self.reference)
        year = self.year
        found: list[Finding] = []
        try:
            for rule, check in checks:
                for p in check(c, year):
                    found.append(self._finding(rule, record, p))
        except (TypeError, ValueError, AttributeError, IndexError, OverflowError):
            return self._one_by_one(checks, c, record)
        return found

    def _finding(self, rule: Rule, record: ChildRecord, p: Problem) -> Finding:
        message = f"{rule.text} ({p.detail})" if p.detail else rule.text
        return Finding(rule.code, rule.severity, record.child, p.table, ", ".join(p.fields), message, p.line, rule.text)

    def _one_by_one(
        self, checks: list[tuple[Rule, Callable[..., Iterator[Problem]]]], c: Child, record: ChildRecord
    ) -> list[Finding]:
        """A combination of values no rule foresaw: each rule again on its own, and the one that could not check
        the child said as a finding, never a crash of the whole check."""
        found: list[Finding] = []
        for rule, check in checks:
            try:
                found += [self._finding(rule, record, p) for p in check(c, self.year)]
            except (TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
                found.append(
                    Finding(
                        rule.code,
                        Severity.QUERY,
                        record.child,
                        rule.tables[0],
                        "",
                        f"this rule could not be checked on this child's rows ({type(exc).__name__})",
                        0,
                        rule.text,
                    )
                )
        return found


def validate(
    current: Return, year: CollectionYear, previous: Return | None = None, reference: Reference | None = None
) -> Report:
    validator = Validator(year, previous is not None, reference)
    last = previous.children if previous is not None else {}
    findings: list[Finding] = []
    for child_id, record in current.children.items():
        findings += validator.child(record, last.get(child_id))
    return Report(
        year,
        findings,
        len(current.children),
        len(validator.rules),
        validator.skipped,
        validator.skipped_without_reference,
    )


# Below this much CSV or XML one process is quicker than starting workers.
PARALLEL_MIN_BYTES = 20_000_000
_TABLE_ORDER = {name: i for i, name in enumerate(FILE_OF_TABLE)}


def _order(f: Finding) -> tuple[str, int, int, str]:
    return (f.child, _TABLE_ORDER.get(f.table, 99), f.line, f.code)


def _bytes(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size if path.is_file() else 0


def default_workers(path: Path | str, previous: Path | str | None = None) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    size = _bytes(Path(path)) + (_bytes(Path(previous)) if previous is not None else 0)
    if cores < 2 or size < PARALLEL_MIN_BYTES or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(cores, 4)


def _check_share(
    path: Path | str,
    year: CollectionYear,
    previous: Path | str | None,
    shard: tuple[int, int] | None,
    reference: Reference | None = None,
) -> Report:
    with without_cyclic_collection():
        current = read_return(path, shard, year.year)
        last = read_return(previous, shard, year.year - 1) if previous is not None else None
        return validate(current, year, last, reference)


def _check_share_args(
    args: tuple[Path | str, CollectionYear, Path | str | None, tuple[int, int], Reference | None],
) -> Report:
    return _check_share(*args)


def validate_path(
    path: Path | str,
    year: CollectionYear,
    previous: Path | str | None = None,
    workers: int | None = None,
    reference: Reference | None = None,
) -> Report:
    """Raises :class:`~.reader.ReturnRefused` (naming file, line and column) where a return cannot be read.

    ``workers`` (default: one per core, at most 4, for returns over 20 MB; else none): each worker process reads
    every file (so any refusal is the same) but keeps and checks only its share of the children, chosen by their
    CHILD id, so the whole return is never held twice. The findings come back in the same order either way: by
    child, then table, line and rule."""
    count = default_workers(path, previous) if workers is None else max(1, workers)
    if count == 1:
        report = _check_share(path, year, previous, None, reference)
        report.findings.sort(key=_order)
        return report
    context = multiprocessing.get_context("fork")
    with context.Pool(count) as pool:
        reports = pool.map(_check_share_args, [(path, year, previous, (k, count), reference) for k in range(count)])
    findings = sorted((f for r in reports for f in r.findings), key=_order)
    return Report(
        year,
        findings,
        sum(r.children for r in reports),
        reports[0].rules_run,
        reports[0].rules_skipped_without_previous,
        reports[0].rules_skipped_without_reference,
    )
