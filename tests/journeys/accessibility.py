"""axe-core in the journeys' pages: every page a journey visits is checked against WCAG 2.x A and AA.

axe-core comes from npm (package.json, installed into node_modules by ``make setup``) and is never served by the
application. It is added to each page through the browser's debugging protocol (Playwright's init scripts), which
the Content-Security-Policy does not govern, so the policy stays as strict as production's.

``Accessibility.watch(page)`` notes every document the page shows; ``check(page)`` runs axe on the page as it is now
and fails the test listing the violations; at the end of the test ``unchecked()`` names any document shown but
never checked, so a journey cannot skip a page by forgetting to check it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

RUN = """async (tags) => {
  const results = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary.replace(/\\s+/g, " ")),
  }));
}"""


def describe(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe-core found {len(violations)} WCAG A/AA violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {node}" for node in v["nodes"][:5])
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


@dataclass
class _Shown:
    url: str
    checked: bool = False


@dataclass
class Accessibility:
    """The documents each watched page has shown, and whether each was checked."""

    shown: dict[int, list[_Shown]] = field(default_factory=dict)
    pages_checked: int = 0
    seconds: float = 0.0  # spent in axe-core, reported with the journey's outcome

    def watch(self, page: Any) -> Any:
        if not AXE.exists():
            pytest.fail(f"axe-core is missing ({AXE}): run `make setup` (npm ci) first")
        page.add_init_script(path=str(AXE))
        shown = self.shown.setdefault(id(page), [])

        def navigated(frame: Any) -> None:
            new_document = not shown or shown[-1].url != frame.url or shown[-1].checked
            if frame == page.main_frame and frame.url != "about:blank" and new_document:
                shown.append(_Shown(frame.url))

        page.on("framenavigated", navigated)
        return page

    def check(self, page: Any) -> None:
        """Run axe on the page as it is now; fail the test listing every WCAG A/AA violation."""
        page.wait_for_load_state("load")
        started = time.perf_counter()
        violations: list[dict[str, Any]] = page.evaluate(RUN, list(WCAG_TAGS))
        self.seconds += time.perf_counter() - started
        self.pages_checked += 1
        shown = self.shown.get(id(page))
        if shown:
            shown[-1].checked = True
        if violations:
            pytest.fail(describe(page.url, violations), pytrace=False)

    def unchecked(self) -> list[str]:
        return [s.url for shown in self.shown.values() for s in shown if not s.checked]
