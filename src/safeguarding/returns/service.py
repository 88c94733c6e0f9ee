"""Use-cases of the returns capability: the CIN census checked on the live record, and its export.

Every call asks core/access.py and writes the audit log. The nightly check and the analysts' page validate the
live record through the same rules as a file, without writing XML (returns/cin_census/export.py feeds the
validator directly).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import Actor, record
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.returns.cin_census.census import LATEST_YEAR, CensusYear
from safeguarding.returns.cin_census.export import children_in_scope, export_to_file
from safeguarding.returns.cin_census.rules import RULES
from safeguarding.returns.cin_census.validator import Finding, Report, validate_children

SYSTEM = Actor(id=None, username="safeguarding command", role="system")


def current_year(today: date) -> CensusYear:
    """The collection year a day falls in: 1 April to 31 March, named by its end."""
    year = today.year + 1 if today.month >= 4 else today.year
    return CensusYear(min(max(year, 2023), LATEST_YEAR + 1))


def validate_live(session: Session, year: CensusYear) -> Report:
    """Validate the live record for the year (no access check: for the nightly job and the services below)."""
    return validate_children(children_in_scope(session, year), year)


@dataclass(frozen=True)
class RuleGroup:
    code: str
    severity: str
    text: str
    findings: list[Finding]


def grouped(report: Report) -> list[RuleGroup]:
    """Findings by rule, errors first, then by how many children each rule catches."""
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_code[finding.code].append(finding)
    groups = [RuleGroup(code, str(items[0].severity), items[0].rule_text, items) for code, items in by_code.items()]
    return sorted(groups, key=lambda g: (g.severity != "error", -len(g.findings), g.code))


def check_live_record(session: Session, database: Database, user: User, year: CensusYear) -> Report:
    """The analysts' page: who may see the census findings, audited as a view of the return."""
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.VIEW)
    report = validate_live(session, year)
    record(session, access.actor_of(user), "view", "cin_census_findings", year.year,
           detail={"children": report.children, "errors": len(report.errors), "queries": len(report.queries)})
    return report


def export_census(session: Session, year: CensusYear, out: Path | IO[bytes], *, lea: str | None = None,
                  user: User | None = None, database: Database | None = None) -> int:
    """Write the census XML; audited as an export (by the user, or by the command line)."""
    if user is not None and database is not None:
        access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    written = export_to_file(session, year, out, lea=lea)
    record(session, access.actor_of(user) if user else SYSTEM, "export", "cin_census", year.year,
           detail={"children": written, "ruleset": year.ruleset})
    return written


__all__ = ["RULES", "RuleGroup", "check_live_record", "current_year", "export_census", "grouped", "validate_live"]
