"""Minimal CIN census XML for tests: a clean child by default, every part overridable.

The default child is born 2015-06-01 with a valid UPN (LA 201), sex F, ethnicity WBRI, disability NONE, and one
open episode referred 2025-05-01 from a school (2A), need N1, not NFA, with one assessment authorised 2025-06-02
with factor 16A. Collection year 2026 (1 April 2025 to 31 March 2026).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from safeguarding.people.rules import upn_check_letter


def upn(serial: int = 1, la: str = "201") -> str:
    body = f"{la}15{serial:06d}1"
    return upn_check_letter(body) + body


def _leaves(items: Iterable[tuple[str, str | None]]) -> str:
    return "".join(f"<{k}>{escape(v)}</{k}>" for k, v in items if v is not None)


def assessment(
    start: str | None = "2025-05-02", auth: str | None = "2025-06-02", factors: Sequence[str] | None = ("16A",)
) -> str:
    inner = _leaves([("AssessmentActualStartDate", start), ("AssessmentAuthorisationDate", auth)])
    if factors is not None:
        inner += (
            "<FactorsIdentifiedAtAssessment>"
            + _leaves(("AssessmentFactors", f) for f in factors)
            + "</FactorsIdentifiedAtAssessment>"
        )
    return f"<Assessments>{inner}</Assessments>"


def cin_plan(start: str | None = "2025-06-02", end: str | None = None) -> str:
    return f"<CINPlanDates>{_leaves([('CINPlanStartDate', start), ('CINPlanEndDate', end)])}</CINPlanDates>"


def s47(
    start: str | None = "2025-05-12",
    icpc: str | None = "2025-05-20",
    target: str | None = None,
    not_required: str | None = "false",
) -> str:
    return (
        "<Section47>"
        + _leaves(
            [
                ("S47ActualStartDate", start),
                ("InitialCPCtarget", target),
                ("DateOfInitialCPC", icpc),
                ("ICPCnotRequired", not_required),
            ]
        )
        + "</Section47>"
    )


def cpp(
    start: str | None = "2025-05-20",
    end: str | None = None,
    initial: str | None = "NEG",
    latest: str | None = "NEG",
    previous: str | None = "0",
    reviews: Sequence[str] | None = None,
) -> str:
    inner = _leaves(
        [
            ("CPPstartDate", start),
            ("CPPendDate", end),
            ("InitialCategoryOfAbuse", initial),
            ("LatestCategoryOfAbuse", latest),
            ("NumberOfPreviousCPP", previous),
        ]
    )
    if reviews is not None:
        inner += "<Reviews>" + _leaves(("CPPreviewDate", r) for r in reviews) + "</Reviews>"
    return f"<ChildProtectionPlans>{inner}</ChildProtectionPlans>"


# A parameter not given (None means the element is left out): Any, so it stands for any parameter's type.
DEFAULT: Any = object()


def episode(
    referral: str | None = "2025-05-01",
    source: str | None = "2A",
    need: str | None = "N1",
    closed: str | None = None,
    reason: str | None = None,
    icpc: str | None = None,
    nfa: str | None = "false",
    assessments: Sequence[str] | None = None,
    cin_plans: Sequence[str] = (),
    s47s: Sequence[str] = (),
    cpps: Sequence[str] = (),
) -> str:
    parts = [
        _leaves(
            [
                ("CINreferralDate", referral),
                ("ReferralSource", source),
                ("PrimaryNeedCode", need),
                ("CINclosureDate", closed),
                ("ReasonForClosure", reason),
                ("DateOfInitialCPC", icpc),
            ]
        )
    ]
    parts += [assessment()] if assessments is None else list(assessments)  # None: one assessment
    parts += list(cin_plans) + list(s47s) + [_leaves([("ReferralNFA", nfa)])] + list(cpps)
    return "<CINdetails>" + "".join(parts) + "</CINdetails>"


NFA = episode(nfa="true", need=None, assessments=(), closed="2025-05-02", reason="RC8")


def child(
    la_child_id: str | None = "C1",
    child_upn: str | None = DEFAULT,
    former_upn: str | None = None,
    upn_unknown: str | None = None,
    birth: str | None = "2015-06-01",
    expected: str | None = None,
    sex: str | None = "F",
    gender: str | None = None,
    death: str | None = None,
    ethnicity: str | None = "WBRI",
    disabilities: Sequence[str] | None = ("NONE",),
    episodes: Sequence[str] | None = None,
) -> str:
    the_upn = upn() if child_upn is DEFAULT else child_upn
    ids = _leaves(
        [
            ("LAchildID", la_child_id),
            ("UPN", the_upn),
            ("FormerUPN", former_upn),
            ("UPNunknown", upn_unknown),
            ("PersonBirthDate", birth),
            ("ExpectedPersonBirthDate", expected),
            ("GenderCurrent", gender),
            ("Sex", sex),
            ("PersonDeathDate", death),
        ]
    )
    chars = _leaves([("Ethnicity", ethnicity)])
    if disabilities is not None:
        chars += "<Disabilities>" + _leaves(("Disability", d) for d in disabilities) + "</Disabilities>"
    body = "".join([episode()] if episodes is None else episodes)
    return (
        f"<Child><ChildIdentifiers>{ids}</ChildIdentifiers><ChildCharacteristics>{chars}"
        f"</ChildCharacteristics>{body}</Child>"
    )


def census(*children: str, year: int = 2026, reference_date: str | None = None) -> bytes:
    ref = reference_date or f"{year}-03-31"
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<Message><Header><CollectionDetails><Collection>CIN'
        f"</Collection><Year>{year}</Year><ReferenceDate>{ref}</ReferenceDate></CollectionDetails><Source>"
        f"<SourceLevel>L</SourceLevel><LEA>201</LEA><SoftwareCode>Test</SoftwareCode><Release>1</Release>"
        f"<SerialNo>001</SerialNo><DateTime>2026-04-02T10:00:00</DateTime></Source></Header>\n<Children>\n"
        + "\n".join(children)
        + "\n</Children></Message>\n"
    ).encode()
