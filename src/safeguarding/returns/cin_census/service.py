"""Use-cases of the CIN census: the live record checked against the rules, the analysts' findings, the export.

Every call asks core/access.py and writes the audit log. The nightly check (``safeguarding returns cin-census
check-live``, run by cron) and the analysts' page (GET /returns/cin-census, POST /returns/cin-census/run) validate
the live record through the same rules as a file, without writing XML (returns/cin_census/export.py feeds the
validator directly), and store each run with its findings (returns/models.py CensusRun, CensusFinding).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import IO

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import Actor, record
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.users import User
from safeguarding.returns.cin_census.census import FIRST_YEAR, LATEST_YEAR, CensusYear
from safeguarding.returns.cin_census.export import children_in_scope, council_la_code, export_to_file
from safeguarding.returns.cin_census.rules import RULES
from safeguarding.returns.cin_census.validator import SCHEMA_CODE, SCHEMA_TEXT, Finding, Report, validate_children
from safeguarding.returns.findings import stored_page
from safeguarding.returns.models import CensusFinding, CensusRun

SYSTEM = Actor(id=None, username="safeguarding command", role="system")


def current_year(today: date) -> CensusYear:
    """The collection year a day falls in: 1 April to 31 March, named by its end."""
    year = today.year + 1 if today.month >= 4 else today.year
    return CensusYear(min(max(year, 2023), LATEST_YEAR + 1))


def chosen_year(raw: str | None, today: date) -> CensusYear:
    """The collection year chosen on the analysts' page (by default the one today falls in); refused naming
    ``year``."""
    chosen = (raw or "").strip() or str(current_year(today).year)
    try:
        if chosen.isdigit() and len(chosen) == 4:
            return CensusYear(int(chosen))
    except ValueError:
        pass
    raise ValidationFailed({"year": f"Choose a collection year from {FIRST_YEAR} to {LATEST_YEAR + 1}"})


def validate_live(session: Session, year: CensusYear, today: date | None = None) -> Report:
    """Validate the live record for the year (no access check: for the nightly job and the services below), as the
    return of the council whose LA code is set (its own UPNs pass rule 1530). Run before the census date
    (``today``), each finding says whether it is wrong now or only becomes one if nothing happens by then."""
    if year.la_code is None:
        year = replace(year, la_code=council_la_code(session))
    return validate_children(children_in_scope(session, year), year, today=today)


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


SEVERITIES = ("error", "query")


def run_live_check(
    session: Session, year: CensusYear, *, user: User | None = None, today: date | None = None
) -> CensusRun:
    """Validate the live record for the year and store the run with its findings (no access check: the nightly
    command calls this directly; the page goes through :func:`check_now`). Nothing is committed here: the
    caller's one transaction holds the run and every finding, so a run is stored whole or not at all."""
    run = CensusRun(
        year=year.year, ruleset=year.ruleset, started_at=utcnow(), started_by_id=user.id if user is not None else None
    )
    session.add(run)
    session.flush()
    report = validate_live(session, year, today or today_in_london())
    rows = [
        {
            "run_id": run.id,
            "code": f.code,
            "severity": str(f.severity),
            "la_child_id": f.la_child_id[:100],
            "person_id": f.person_id,
            "element": f.element[:200],
            "message": f.message,
            "by_census_date": f.by_census_date,
        }
        for f in report.findings
    ]
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(CensusFinding), rows[chunk : chunk + 5000])
    run.children = report.children
    run.errors = len(report.errors)
    run.queries = len(report.queries)
    run.finished_at = utcnow()
    record(
        session,
        access.actor_of(user) if user else SYSTEM,
        "run",
        "cin_census_check",
        run.id,
        detail={
            "year": year.year,
            "ruleset": year.ruleset,
            "children": run.children,
            "errors": run.errors,
            "queries": run.queries,
            "by_census_date": sum(f.by_census_date for f in report.findings),
        },
    )
    return run


def check_now(session: Session, database: Database, user: User, year: CensusYear) -> CensusRun:
    """An analyst or team manager re-runs the check from the page (POST /returns/cin-census/run)."""
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.UPDATE)
    return run_live_check(session, year, user=user)


@dataclass(frozen=True)
class RuleCount:
    code: str
    severity: str
    text: str
    children: int
    findings: int
    by_census_date: int = 0  # of the findings, those not wrong yet (they become findings at the census date)


@dataclass(frozen=True)
class FindingLine:
    code: str
    severity: str
    la_child_id: str
    person_id: int | None
    name: str | None  # None where the child is restricted and the viewer may not open the record
    element: str
    message: str
    rule_text: str
    by_census_date: bool = False


@dataclass(frozen=True)
class FindingsPage:
    run: CensusRun | None
    counts: list[RuleCount]
    findings: list[FindingLine]
    total: int  # findings matching the filter
    page: int
    pages: int
    rule: str | None
    severity: str | None
    when: str | None = None  # "now" (wrong now) or "census" (becomes a finding at the census date), None: both
    wrong_now: dict[str, int] = field(default_factory=dict)  # errors and queries wrong now, by severity
    by_census_date: dict[str, int] = field(default_factory=dict)  # those only due at the census date

    @property
    def census_date(self) -> date | None:
        return date(self.run.year, 3, 31) if self.run is not None else None


WHEN = ("now", "census")


_DFE_DAY = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")


def plain_dates(message: str) -> str:
    """A finding's message for people to read: its dates (written 01/05/2025 as the DfE's tools write them) as
    "1 May 2025"."""

    def long(found: re.Match[str]) -> str:
        try:
            day = date(int(found[3]), int(found[2]), int(found[1]))
        except ValueError:
            return found[0]
        return f"{day.day} {day:%B %Y}"

    return _DFE_DAY.sub(long, message)


def rule_text(code: str) -> str:
    rule = RULES.get(code)
    return rule.text if rule is not None else SCHEMA_TEXT


def latest_findings(
    session: Session,
    database: Database,
    user: User,
    *,
    rule: str | None = None,
    severity: str | None = None,
    page: int = 1,
    when: str | None = None,
) -> FindingsPage:
    """The analysts' page: the latest run, counts by rule with the rule text, and its findings (filtered by rule
    and severity, fifty a page, in the order found). A restricted child's name is left out unless the
    viewer may open the record; the LAchildID (which the return itself carries) and the link stay."""
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.VIEW)
    errors: dict[str, str] = {}
    rule = (rule or "").strip() or None
    severity = (severity or "").strip() or None
    when = (when or "").strip() or None
    if when is not None and when not in WHEN:
        errors["when"] = "Choose wrong now or due by the census date"
    if severity is not None and severity not in SEVERITIES:
        errors["severity"] = "Choose errors or queries"
    if rule is not None and rule not in RULES and rule != SCHEMA_CODE:
        errors["rule"] = "Choose a rule from the list"
    if page < 1:
        errors["page"] = "Page must be 1 or more"
    if errors:
        raise ValidationFailed(errors)
    run = session.scalars(
        select(CensusRun).where(CensusRun.finished_at.is_not(None)).order_by(CensusRun.id.desc()).limit(1)
    ).first()
    if run is None:
        record(session, access.actor_of(user), "view", "cin_census_findings", None, detail={"run": None})
        return FindingsPage(None, [], [], 0, 1, 1, rule, severity, when)
    later = func.sum(case((CensusFinding.by_census_date, 1), else_=0))
    counts = [
        RuleCount(code, sev, rule_text(code), children, findings, int(due or 0))
        for code, sev, findings, children, due in session.execute(
            select(
                CensusFinding.code,
                CensusFinding.severity,
                func.count(),
                func.count(func.distinct(CensusFinding.la_child_id)),
                later,
            )
            .where(CensusFinding.run_id == run.id)
            .group_by(CensusFinding.code, CensusFinding.severity)
        )
    ]
    wrong_now: dict[str, int] = defaultdict(int)
    by_census_date: dict[str, int] = defaultdict(int)
    for c in counts:
        wrong_now[c.severity] += c.findings - c.by_census_date
        by_census_date[c.severity] += c.by_census_date
    counts.sort(key=lambda c: (c.severity != "error", -c.findings, c.code))
    where = [CensusFinding.run_id == run.id]
    if rule is not None:
        where.append(CensusFinding.code == rule)
    if severity is not None:
        where.append(CensusFinding.severity == severity)
    if when is not None:
        where.append(CensusFinding.by_census_date.is_(when == "census"))
    stored = stored_page(session, user, CensusFinding, where, page)
    rows, hidden, total, page, pages = stored.rows, stored.hidden, stored.total, stored.page, stored.pages
    findings = [
        FindingLine(
            f.code,
            f.severity,
            f.la_child_id,
            f.person_id,
            None if f.person_id in hidden or first is None else f"{first} {last}",
            f.element,
            plain_dates(f.message),
            rule_text(f.code),
            f.by_census_date,
        )
        for f, first, last in rows
    ]
    record(
        session,
        access.actor_of(user),
        "view",
        "cin_census_findings",
        run.id,
        detail={
            "year": run.year,
            "rule": rule,
            "severity": severity,
            "when": when,
            "page": page,
            "shown": len(findings),
            "hidden_names": len(hidden),
        },
    )
    return FindingsPage(
        run, counts, findings, total, page, pages, rule, severity, when, dict(wrong_now), dict(by_census_date)
    )


def export_census(
    session: Session,
    year: CensusYear,
    out: Path | IO[bytes],
    *,
    lea: str | None = None,
    user: User | None = None,
    database: Database | None = None,
) -> int:
    """Write the census XML; audited as an export (by the user, or by the command line)."""
    if user is not None and database is not None:
        access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    written = export_to_file(session, year, out, lea=lea)
    record(
        session,
        access.actor_of(user) if user else SYSTEM,
        "export",
        "cin_census",
        year.year,
        detail={"children": written, "ruleset": year.ruleset},
    )
    return written


__all__ = [
    "RULES",
    "FindingsPage",
    "RuleGroup",
    "check_now",
    "chosen_year",
    "current_year",
    "export_census",
    "grouped",
    "latest_findings",
    "run_live_check",
    "validate_live",
]
