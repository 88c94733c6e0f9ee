"""Use-cases of the SSDA903 return on the live record: the stored check, the analysts' findings, the download.

As the CIN census's (``returns.cin_census.service``): the nightly check (``safeguarding returns ssda903
check-live``, run by cron) and the returns page (GET /returns/ssda903, POST /returns/ssda903/run) validate the return
the live record would make (``export.build_return``, in memory, never written) against every DfE rule of the year,
and store each run with its findings (returns/models.py ``Ssda903Run``, ``Ssda903Finding``), each finding joined to
the child's record so that the page links to it. Every call asks core/access.py and writes the audit log.

The rules comparing with last year's return are not run on the live record: last year's return is what the council
sent, not what the record says of last year today; the run says how many were left out.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import Actor, record
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.users import User
from safeguarding.people.models import Person
from safeguarding.returns.cin_census.service import plain_dates as census_plain_dates
from safeguarding.returns.findings import stored_page
from safeguarding.returns.models import Ssda903Finding, Ssda903Run
from safeguarding.returns.ssda903.export import FORMATS, build_return, export_return
from safeguarding.returns.ssda903.reference import Reference
from safeguarding.returns.ssda903.rules import RULES
from safeguarding.returns.ssda903.tables import EARLIEST_YEAR, LATEST_YEAR, CollectionYear, Return
from safeguarding.returns.ssda903.validator import Report, validate

SYSTEM: Final = Actor(id=None, username="safeguarding command", role="system")
SEVERITIES: Final = ("error", "query")
CHUNK: Final = 500


def current_year(today: date) -> CollectionYear:
    """The collection year a day falls in (1 April to 31 March, named by its end), within the years held."""
    year = today.year + 1 if today.month >= 4 else today.year
    return CollectionYear(min(max(year, EARLIEST_YEAR), LATEST_YEAR))


def chosen_year(raw: str | None, today: date) -> CollectionYear:
    """The collection year chosen on the page (by default the one today falls in); refused naming ``year``."""
    chosen = (raw or "").strip()
    if not chosen:
        return current_year(today)
    if chosen.isdigit() and len(chosen) == 4 and EARLIEST_YEAR <= int(chosen) <= LATEST_YEAR:
        return CollectionYear(int(chosen))
    raise ValidationFailed({"year": f"Choose a collection year from {EARLIEST_YEAR} to {LATEST_YEAR}"})


def year_choices() -> list[tuple[str, str]]:
    return [
        (str(y), f"{y - 1} to {y % 100:02d} (1 April {y - 1} to 31 March {y})")
        for y in range(LATEST_YEAR, EARLIEST_YEAR - 1, -1)
    ]


def rule_text(code: str) -> str:
    rule = RULES.get(code)
    return rule.text if rule is not None else "A rule of the return"


def rule_choices() -> list[tuple[str, str]]:
    """What each rule says, in the DfE's words, ordered by it; the code travels in the value only."""
    return [(code, rule.text[:120]) for code, rule in sorted(RULES.items(), key=lambda item: item[1].text)]


def people_of(session: Session, built: Return) -> dict[str, int]:
    """Each CHILD id of the return with the record it came from (``export.child_id_of``: the LAchildID, or P and
    the record number where the child has none)."""
    found: dict[str, int] = {}
    by_reference: list[str] = []
    for child in built.children:
        if child[:1] == "P" and child[1:].isdigit():
            found[child] = int(child[1:])
        else:
            by_reference.append(child)
    for i in range(0, len(by_reference), CHUNK):
        chunk = by_reference[i : i + CHUNK]
        for person_id, reference in session.execute(
            select(Person.id, Person.la_child_id).where(Person.la_child_id.in_(chunk))
        ):
            if reference is not None:
                found.setdefault(reference, person_id)
    return found


def validate_live(session: Session, year: CollectionYear, reference: Reference | None = None) -> tuple[Report, Return]:
    """The return the live record would make, validated in memory (no access check: for the nightly job and the
    services below); with the council's reference data (``check-live --reference DIR --la CODE``) the rules that
    read it run too."""
    built = build_return(session, year)
    return validate(built, year, reference=reference), built


def run_live_check(
    session: Session, year: CollectionYear, *, user: User | None = None, reference: Reference | None = None
) -> tuple[Ssda903Run, Report]:
    """Validate the live record for the year and store the run with its findings (no access check: the nightly
    command calls this directly; the page goes through :func:`check_now`). Nothing is committed here: the caller's
    one transaction holds the run and every finding."""
    run = Ssda903Run(
        year=year.year, ruleset=year.ruleset, started_at=utcnow(), started_by_id=user.id if user is not None else None
    )
    session.add(run)
    session.flush()
    report, built = validate_live(session, year, reference)
    people = people_of(session, built)
    rows = [
        {
            "run_id": run.id,
            "code": f.code[:12],
            "severity": str(f.severity),
            "child": f.child[:100],
            "person_id": people.get(f.child),
            "table_name": f.table[:30],
            "fields": f.fields[:200],
            "message": f.message,
        }
        for f in report.findings
    ]
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(Ssda903Finding), rows[chunk : chunk + 5000])
    run.children = report.children
    run.errors = len(report.errors)
    run.queries = len(report.queries)
    run.rules_run = report.rules_run
    run.rules_skipped = report.rules_skipped_without_previous
    run.finished_at = utcnow()
    record(
        session,
        access.actor_of(user) if user else SYSTEM,
        "run",
        "ssda903_check",
        run.id,
        detail={
            "year": year.year,
            "ruleset": year.ruleset,
            "children": run.children,
            "errors": run.errors,
            "queries": run.queries,
        },
    )
    return run, report


def check_now(session: Session, database: Database, user: User, year: CollectionYear) -> Ssda903Run:
    """An analyst or team manager re-runs the check from the page (POST /returns/ssda903/run)."""
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.UPDATE)
    run, _report = run_live_check(session, year, user=user)
    return run


@dataclass(frozen=True)
class RuleCount:
    code: str
    severity: str
    text: str
    children: int
    findings: int


@dataclass(frozen=True)
class FindingLine:
    code: str
    severity: str
    child: str
    person_id: int | None
    name: str | None  # None where the child is restricted and the viewer may not open the record
    table: str
    fields: str
    message: str
    rule_text: str

    @property
    def detail(self) -> str:
        """What the message adds to the rule's words (the rows and dates concerned), if anything, its dates as
        people read them ("3 November 2026")."""
        detail = self.message
        if detail.startswith(self.rule_text):
            detail = detail[len(self.rule_text) :].strip().removeprefix("(").removesuffix(")")
        return plain_dates(detail)


_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def plain_dates(text: str) -> str:
    """Dates in a finding (01/05/2025 as the DfE writes them, or 2025-05-01) as "1 May 2025"."""

    def long(found: re.Match[str]) -> str:
        try:
            day = date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            return found[0]
        return long_date(day)

    return _ISO_DAY.sub(long, census_plain_dates(text))


@dataclass(frozen=True)
class FindingsPage:
    run: Ssda903Run | None
    counts: list[RuleCount]
    findings: list[FindingLine]
    total: int
    page: int
    pages: int
    rule: str | None
    severity: str | None
    by_severity: dict[str, int] = field(default_factory=dict)


def latest_findings(
    session: Session,
    database: Database,
    user: User,
    *,
    rule: str | None = None,
    severity: str | None = None,
    page: int = 1,
) -> FindingsPage:
    """The returns page: the latest run, counts by rule with the rule's words, and its findings (filtered by rule
    and type, fifty a page, in the order found). A restricted child's name is left out unless the viewer
    may open the record; the CHILD id (which the return itself carries) and the link stay."""
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.VIEW)
    errors: dict[str, str] = {}
    rule = (rule or "").strip() or None
    severity = (severity or "").strip() or None
    if rule is not None and rule not in RULES:
        errors["rule"] = "Choose a rule from the list"
    if severity is not None and severity not in SEVERITIES:
        errors["severity"] = "Choose errors or queries"
    if page < 1:
        errors["page"] = "Page must be 1 or more"
    if errors:
        raise ValidationFailed(errors)
    run = session.scalars(
        select(Ssda903Run).where(Ssda903Run.finished_at.is_not(None)).order_by(Ssda903Run.id.desc()).limit(1)
    ).first()
    if run is None:
        record(session, access.actor_of(user), "view", "ssda903_findings", None, detail={"run": None})
        return FindingsPage(None, [], [], 0, 1, 1, rule, severity)
    counts = [
        RuleCount(code, sev, rule_text(code), children, findings)
        for code, sev, findings, children in session.execute(
            select(
                Ssda903Finding.code,
                Ssda903Finding.severity,
                func.count(),
                func.count(func.distinct(Ssda903Finding.child)),
            )
            .where(Ssda903Finding.run_id == run.id)
            .group_by(Ssda903Finding.code, Ssda903Finding.severity)
        )
    ]
    counts.sort(key=lambda c: (c.severity != "error", -c.findings, c.code))
    by_severity: dict[str, int] = defaultdict(int)
    for c in counts:
        by_severity[c.severity] += c.findings
    where = [Ssda903Finding.run_id == run.id]
    if rule is not None:
        where.append(Ssda903Finding.code == rule)
    if severity is not None:
        where.append(Ssda903Finding.severity == severity)
    stored = stored_page(session, user, Ssda903Finding, where, page)
    rows, hidden, total, page, pages = stored.rows, stored.hidden, stored.total, stored.page, stored.pages
    findings = [
        FindingLine(
            f.code,
            f.severity,
            f.child,
            f.person_id,
            None if f.person_id in hidden or first is None else f"{first} {last}",
            f.table_name,
            f.fields,
            f.message,
            rule_text(f.code),
        )
        for f, first, last in rows
    ]
    record(
        session,
        access.actor_of(user),
        "view",
        "ssda903_findings",
        run.id,
        detail={
            "year": run.year,
            "rule": rule,
            "severity": severity,
            "page": page,
            "shown": len(findings),
            "hidden_names": len(hidden),
        },
    )
    return FindingsPage(run, counts, findings, total, page, pages, rule, severity, dict(by_severity))


@dataclass(frozen=True)
class Download:
    name: str
    media_type: str
    body: bytes
    children: int


def download(session: Session, database: Database, user: User, year: CollectionYear, format: str) -> Download:
    """The return as the DfE's CSV tables in one zip, or the XML form, from one read of the live record; only
    analysts (STATUTORY_RETURN EXPORT), audited as an export by ``export.export_return``. A year with no child looked
    after in it is refused naming ``year``."""
    access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    if format not in FORMATS:
        raise ValidationFailed({"format": "Choose CSV tables or XML"})
    with tempfile.TemporaryDirectory(prefix="ssda903-") as folder:
        target = Path(folder) / ("return.xml" if format == "xml" else "return")
        built = export_return(session, year, target, format=format, user=user, database=database)
        if not built.children:
            raise ValidationFailed(
                {"year": f"No child was looked after in {year.name} (1 April {year.year - 1} to 31 March {year.year})"}
            )
        stem = f"ssda903-{year.name}"
        if format == "xml":
            return Download(f"{stem}.xml", "application/xml", target.read_bytes(), len(built.children))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
            for path in sorted(target.iterdir()):
                package.write(path, f"{stem}/{path.name}")
        return Download(f"{stem}.zip", "application/zip", buffer.getvalue(), len(built.children))
