"""A large census is checked by worker processes in batches: the findings are exactly those of one process, in the
same (file) order, including the return rules that look across every child (duplicate LAchildIDs and UPNs in
different batches), and a file the reader refuses is still refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safeguarding.returns.cin_census import validator as validator_module
from safeguarding.returns.cin_census.reader import CensusFileRefused
from safeguarding.returns.cin_census.rules import RULES, Severity
from safeguarding.returns.cin_census.validator import FileCheck
from tests.returns.census_xml import census, child, episode, upn

N = 1_300  # more than three batches


def _children() -> list[str]:
    made = []
    for n in range(N):
        la_id = f"P{n:05d}" if n != 1_250 else "P00003"  # a duplicate LAchildID in a later batch
        the_upn = upn(n + 1) if n != 1_100 else upn(8)  # a duplicate UPN in a later batch (1520)
        kind = n % 9
        if kind == 0:
            made.append(child(la_id, the_upn, ethnicity=None))  # 4220
        elif kind == 1:
            made.append(child(la_id, the_upn, birth="2015-13-01"))  # not a date: XSD
        elif kind == 2:
            made.append(child(la_id, the_upn, episodes=[episode(source=None)]))  # 8866
        elif kind == 3:
            made.append(child(la_id, the_upn, disabilities=("NONE", "LD")))  # 8790
        else:
            made.append(child(la_id, the_upn))
    return made


@pytest.fixture(scope="module")
def large_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cin") / "census.xml"
    path.write_bytes(census(*_children()))
    return path


def _rows(check: FileCheck) -> list[tuple[str, Severity, str, str, str, int | None]]:
    return [(f.code, f.severity, f.la_child_id, f.element, f.message, f.line) for f in check.findings()]


def test_workers_find_what_one_process_finds_in_the_same_order(large_file: Path) -> None:
    alone = FileCheck(large_file, workers=1)
    one = _rows(alone)
    shared = FileCheck(large_file, workers=2)
    assert shared.workers == 2
    two = _rows(shared)
    assert two == one
    assert shared.children == alone.children == N
    codes = {row[0] for row in two}
    assert {"4220", "XSD", "8866", "8790", "1520", "8510"} <= codes
    # Child findings in file order (the return rules come last and name children anywhere in the file).
    lines = [row[5] for row in two if row[5] is not None and (row[0] not in RULES or RULES[row[0]].scope == "child")]
    assert len(lines) > N // 3 and lines == sorted(lines)


def test_a_large_file_gets_workers_by_default_and_a_small_one_does_not(
    large_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validator_module, "PARALLEL_MIN_BYTES", 1_000)
    assert FileCheck(large_file).workers >= (2 if validator_module.default_workers(large_file) > 1 else 1)
    monkeypatch.setattr(validator_module, "PARALLEL_MIN_BYTES", 10**12)
    assert FileCheck(large_file).workers == 1


def test_a_cut_short_file_is_refused_with_workers(large_file: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.xml"
    data = large_file.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(CensusFileRefused, match=r"cut short|not complete"):
        list(FileCheck(cut, workers=2).findings())


def test_a_file_without_children_says_so_with_workers(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(census())
    findings = list(FileCheck(empty, workers=2).findings())
    assert [(f.code, f.element) for f in findings if f.code == "XSD"] == [("XSD", "Children")]


def test_a_worker_that_dies_is_an_error_not_a_hang(large_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def dies(*args: object) -> None:
        os._exit(3)

    monkeypatch.setattr(validator_module, "_check_share", dies)
    with pytest.raises(RuntimeError, match="exit code 3"):
        list(FileCheck(large_file, workers=2).findings())
