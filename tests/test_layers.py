"""The layers of the house (import-linter contracts in pyproject.toml) hold, and an import that breaks one is caught.

Each contract is checked by ``lint-imports`` as CI runs it. A copy of the package with one import added where a
layer forbids it shows that the contracts are not vacuous: the import is named in the report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "safeguarding"
CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}

# Contracts written as they must be once issue 13's other parts land: they still fail while timescales.events reads
# case work's, the front door's and exploitation's tables and case work imports the front door's models (the
# casework helper's part). strict: once they hold, this test fails until the mark is removed.


def lint_imports(*args: str, source: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` with the project's contracts, on the package under ``source`` (default: this tree)."""
    env = {**os.environ, "COLUMNS": "200"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    command = [
        sys.executable,
        "-c",
        "from importlinter.cli import lint_imports_command; lint_imports_command()",
        "--config",
        str(ROOT / "pyproject.toml"),
        "--no-logo",
        "--no-cache",
        *args,
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("contract", [c for c in CONTRACTS])
def test_the_contract_holds(contract: str) -> None:
    result = lint_imports("--contract", contract)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{CONTRACTS[contract]} KEPT" in result.stdout


def copy_with_import(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the package's Python files with ``line`` added to the end of ``module`` (dotted, in the package)."""
    source = tmp_path / "src"
    shutil.copytree(
        PACKAGE,
        source / "safeguarding",
        ignore=shutil.ignore_patterns("templates", "static", "__pycache__", "*.html", "*.js", "*.css"),
    )
    path = source / Path(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text() + f"\n{line}\n")
    return source


@pytest.mark.parametrize(
    ("contract", "module", "line", "named"),
    [
        # The core below everything: the policy may not reach for a page's dependencies.
        (
            "house",
            "safeguarding.core.access",
            "from safeguarding.web import deps  # noqa",
            "safeguarding.core.access -> safeguarding.web.deps",
        ),
        # web's shared parts below the capabilities.
        (
            "house",
            "safeguarding.web.templating",
            "from safeguarding.casework import models  # noqa",
            "safeguarding.web.templating -> safeguarding.casework.models",
        ),
        # People below the capabilities.
        (
            "house",
            "safeguarding.people.rules",
            "from safeguarding.front_door import rules  # noqa",
            "safeguarding.people.rules -> safeguarding.front_door.rules",
        ),
        # Nothing below the top imports the app.
        (
            "house",
            "safeguarding.returns.routes",
            "from safeguarding.app import factory  # noqa",
            "safeguarding.returns.routes -> safeguarding.app.factory",
        ),
        # The front door and exploitation are independent siblings.
        (
            "capabilities",
            "safeguarding.front_door.rules",
            "from safeguarding.exploitation import rules  # noqa",
            "safeguarding.front_door.rules -> safeguarding.exploitation.rules",
        ),
        # Inside the core: the audit chain may not ask the policy (the cycle this issue broke).
        (
            "core",
            "safeguarding.core.audit",
            "from safeguarding.core import access  # noqa",
            "safeguarding.core.audit -> safeguarding.core.access",
        ),
        ("acyclic", "safeguarding.core.users", "from safeguarding.core import sign_in  # noqa", ".users -> .sign_in"),
    ],
)
def test_an_import_against_the_layers_breaks_the_contract(
    tmp_path: Path, contract: str, module: str, line: str, named: str
) -> None:
    result = lint_imports("--contract", contract, source=copy_with_import(tmp_path, module, line))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{CONTRACTS[contract]} BROKEN" in result.stdout
    assert named in result.stdout
