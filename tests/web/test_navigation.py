"""The header's sections: each role still sees every page it saw in the flat header, the current section follows
the path, and a team manager's page shows the Case work section and its pages."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from safeguarding.web.navigation import SECTIONS, Navigation, navigation
from tests.support import Factory, sign_in_as

R = Role

# What each role saw in the flat header before it was grouped into sections (label, href). A page lost from the
# sections, or one gained, fails here; the authorization matrix (tests/matrix.py) still decides access.
BEFORE: dict[Role, set[tuple[str, str]]] = {
    R.PARTNER_PRACTITIONER: {
        ("Partner portal", "/portal"),
        ("Early help", "/early-help"),  # the families they lead (early_help/)
        ("Intelligence", "/exploitation/intelligence"),
    },
    R.MASH_WORKER: {("MASH queue", "/mash/queue"), ("Record a contact", "/mash/contacts/new"), ("People", "/people")},
    R.MASH_MANAGER: {
        ("MASH queue", "/mash/queue"),
        ("Record a contact", "/mash/contacts/new"),
        ("Sign-off", "/mash/sign-off"),
        ("MASH dashboard", "/mash/dashboard"),
        ("People", "/people"),
        ("Audit", "/audit"),
        ("Local settings", "/admin/settings"),
        ("Indicators", "/returns/indicators"),
        ("Improvement plan", "/returns/improvement"),
    },
    R.SOCIAL_WORKER: {
        ("Home", "/home"),
        ("What is due", "/due"),
        ("My contacts", "/my-contacts"),
        ("People", "/people"),
        ("Supervision", "/supervision"),
    },
    R.TEAM_MANAGER: {
        ("Home", "/home"),
        ("What is due", "/due"),
        ("Team timescales", "/due/team"),
        ("Service timescales", "/due/service"),
        ("My contacts", "/my-contacts"),
        ("MASH dashboard", "/mash/dashboard"),
        ("People", "/people"),
        ("Unallocated", "/unallocated-children"),
        ("Supervision", "/supervision"),
        ("Children in care", "/children-in-care"),
        ("Audit", "/audit"),
        ("Exploitation", "/exploitation"),
        ("MACE", "/exploitation/mace"),
        ("Care leavers", "/care-leavers"),
        ("Prospective adopters", "/adopters"),
        ("Indicators", "/returns/indicators"),
        ("CIN census", "/returns/cin-census"),
        ("SSDA903", "/returns/ssda903"),
        ("Workforce", "/returns/workforce"),
        ("Improvement plan", "/returns/improvement"),
    },
    R.EXPLOITATION_PRACTITIONER: {
        ("What is due", "/due"),
        ("People", "/people"),
        ("Exploitation", "/exploitation"),
        ("Intelligence", "/exploitation/intelligence"),
        ("Network", "/exploitation/network/analyses"),
        ("MACE", "/exploitation/mace"),
        ("Disruption", "/exploitation/disruption"),
    },
    R.PERFORMANCE_ANALYST: {
        ("Service timescales", "/due/service"),
        ("MASH dashboard", "/mash/dashboard"),
        ("Indicators", "/returns/indicators"),
        ("Annex A", "/returns/annex-a"),
        ("CIN census", "/returns/cin-census"),
        ("SSDA903", "/returns/ssda903"),
        ("Workforce", "/returns/workforce"),
        ("Improvement plan", "/returns/improvement"),
    },
    # A care leaver's personal adviser (issue 15): their care leavers and their due page.
    R.PERSONAL_ADVISER: {("Care leavers", "/care-leavers"), ("What is due", "/due")},
    # Early help staff also find or add a family in the person index before early help starts (issue 16).
    R.EARLY_HELP_PRACTITIONER: {("Early help", "/early-help"), ("What is due", "/due"), ("People", "/people")},
    R.EARLY_HELP_MANAGER: {
        ("Early help", "/early-help"),
        ("Supporting Families", "/early-help/supporting-families"),
        ("What is due", "/due"),
        ("People", "/people"),
    },
    R.ADMINISTRATOR: {("Audit", "/audit"), ("Administration", "/admin"), ("Workforce", "/returns/workforce")},
    # Read-only across the service (issue 14): drift, figures, workforce, the plan, MASH decisions and the audit.
    R.SERVICE_LEADER: {
        ("Home", "/home"),
        ("Service timescales", "/due/service"),
        ("MASH dashboard", "/mash/dashboard"),
        ("Indicators", "/returns/indicators"),
        ("CIN census", "/returns/cin-census"),
        ("SSDA903", "/returns/ssda903"),
        ("Workforce", "/returns/workforce"),
        ("Improvement plan", "/returns/improvement"),
        ("Audit", "/audit"),
    },
    # Children in care (issue 15): the IRO's and the placements team's children in care; the virtual school's plans.
    R.INDEPENDENT_REVIEWING_OFFICER: {("Children in care", "/children-in-care")},
    # Family finding (issue 15): the placements team keeps the prospective adopters, as team managers do.
    R.PLACEMENTS_OFFICER: {("Children in care", "/children-in-care"), ("Prospective adopters", "/adopters")},
    R.VIRTUAL_SCHOOL: {("Education", "/children-in-care/education")},
    # The person index's keeper (issue 17): the proposed duplicates and the merges made.
    R.DATA_QUALITY_OFFICER: {("Duplicates", "/duplicates"), ("Merges", "/merges")},
}


def _as(role: Role) -> User:
    return User(username=f"nav.{role.value}", full_name="Nav Test", role=role.value)


def _nav(role: Role, path: str) -> Navigation:
    return navigation(_as(role), path)


def test_every_role_is_listed() -> None:
    assert set(BEFORE) == set(Role)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_the_sections_hold_exactly_the_pages_the_role_saw_before(role: Role) -> None:
    nav = _nav(role, "/")
    pages = [(page.label, page.href) for section in nav.sections for page in section.pages]
    assert len(pages) == len(set(pages)), "a page listed in two sections"
    assert set(pages) == BEFORE[role]
    # A handful of header links, every one reaching a page of the role's.
    assert 1 <= len(nav.sections) <= 7
    assert {section.href for section in nav.sections} <= {href for _label, href in BEFORE[role]}


def test_a_section_with_one_page_for_the_role_is_a_plain_link_under_the_page_name() -> None:
    labels = [(s.label, s.href) for s in _nav(R.MASH_MANAGER, "/").sections]
    assert labels == [
        ("Front door", "/mash/queue"),
        ("People", "/people"),
        ("Insight", "/returns/indicators"),
        ("Audit", "/audit"),
        ("Local settings", "/admin/settings"),
    ]
    partner = [(s.label, s.href) for s in _nav(R.PARTNER_PRACTITIONER, "/").sections]
    assert partner == [
        ("Partner portal", "/portal"),
        ("Early help", "/early-help"),
        ("Intelligence", "/exploitation/intelligence"),
    ]


def test_every_page_sits_in_one_section() -> None:
    hrefs = [page.href for section in SECTIONS for page in section.pages]
    assert len(hrefs) == len(set(hrefs))


@pytest.mark.parametrize(
    ("role", "path", "section", "page", "aria"),
    [
        # The longest matching prefix wins: /due/team is Team timescales, not What is due.
        (R.TEAM_MANAGER, "/due/team", "Case work", "Team timescales", "page"),
        (R.TEAM_MANAGER, "/due", "Case work", "What is due", "page"),
        (R.TEAM_MANAGER, "/due/deadlines/12", "Case work", "What is due", "true"),
        (R.TEAM_MANAGER, "/supervision/3", "Case work", "Supervision", "true"),
        (R.TEAM_MANAGER, "/exploitation/mace/4", "Exploitation", "MACE", "true"),
        (R.TEAM_MANAGER, "/exploitation", "Exploitation", "Exploitation", "page"),
        (R.TEAM_MANAGER, "/returns/cin-census", "Insight", "CIN census", "page"),
        (R.TEAM_MANAGER, "/people/7", "People", "People", "true"),
        (R.PLACEMENTS_OFFICER, "/adopters/3", "Case work", "Prospective adopters", "true"),
        (R.PLACEMENTS_OFFICER, "/adopters", "Case work", "Prospective adopters", "page"),
        # A path the section claims without a page of its own marks the section, not a page.
        (R.TEAM_MANAGER, "/cases/7", "Case work", None, None),
        (R.MASH_WORKER, "/mash/contacts/55", "Front door", None, None),
        (R.EXPLOITATION_PRACTITIONER, "/exploitation/network/analyses/2", "Exploitation", "Network", "true"),
        (R.MASH_MANAGER, "/admin/settings", "Local settings", "Local settings", "page"),
        (R.ADMINISTRATOR, "/admin/users/3", "Administration", "Administration", "true"),
        # A prefix only counts at a path segment: /peoplesearch is not under /people.
        (R.TEAM_MANAGER, "/peoplesearch", None, None, None),
        (R.TEAM_MANAGER, "/account", None, None, None),
    ],
)
def test_the_current_section_is_decided_by_the_path(
    role: Role, path: str, section: str | None, page: str | None, aria: str | None
) -> None:
    nav = _nav(role, path)
    current = nav.current
    assert (current.label if current else None) == section
    marked = [p for s in nav.sections for p in s.pages if p.current]
    assert [(p.label, p.current) for p in marked] == ([(page, aria)] if page else [])
    assert len([s for s in nav.sections if s.current]) == (1 if section else 0)


def test_the_sub_navigation_lists_the_current_sections_pages_only_when_there_are_several() -> None:
    assert [p.label for p in _nav(R.TEAM_MANAGER, "/due/team").sub_pages] == [
        "What is due",
        "Team timescales",
        "Service timescales",
        "Unallocated",
        "Supervision",
        "Children in care",
        "Care leavers",
        "Prospective adopters",
    ]
    assert _nav(R.TEAM_MANAGER, "/people").sub_pages == ()
    assert _nav(R.TEAM_MANAGER, "/account").sub_pages == ()
    assert _nav(R.SOCIAL_WORKER, "/my-contacts").sub_pages == ()  # My contacts is the worker's one front-door page
    assert navigation(None, "/due").sections == ()


class _Navs(HTMLParser):
    """Each labelled <nav>'s links: (text, href, aria-current)."""

    def __init__(self) -> None:
        super().__init__()
        self.navs: dict[str, list[tuple[str, str, str | None]]] = {}
        self._nav: str | None = None
        self._link: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "nav":
            self._nav = attributes.get("aria-label") or ""
            self.navs[self._nav] = []
        elif tag == "a" and self._nav is not None:
            self._link, self._text = attributes, []

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None and self._nav is not None:
            self.navs[self._nav].append(
                ("".join(self._text).strip(), self._link.get("href") or "", self._link.get("aria-current"))
            )
            self._link = None
        elif tag == "nav":
            self._nav = None


def _navs(html: str) -> dict[str, list[tuple[str, str, str | None]]]:
    parser = _Navs()
    parser.feed(html)
    return parser.navs


def test_a_team_managers_team_page_shows_case_work_current_and_its_pages(
    factory: Factory, database: Database, client: TestClient
) -> None:
    team = factory.team("Assessment East", service="assessment")
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    sign_in_as(client, database, manager)
    page = client.get("/due/team")
    assert page.status_code == 200
    navs = _navs(page.text)
    assert navs["Main sections"] == [
        ("Home", "/home", None),
        ("Front door", "/mash/dashboard", None),
        ("Case work", "/due", "true"),
        ("People", "/people", None),
        ("Exploitation", "/exploitation", None),
        ("Insight", "/returns/indicators", None),
        ("Audit", "/audit", None),
    ]
    assert navs["Case work pages"] == [
        ("What is due", "/due", None),
        ("Team timescales", "/due/team", "page"),
        ("Service timescales", "/due/service", None),
        ("Unallocated", "/unallocated-children", None),
        ("Supervision", "/supervision", None),
        ("Children in care", "/children-in-care", None),
        ("Care leavers", "/care-leavers", None),
        ("Prospective adopters", "/adopters", None),
    ]
    assert navs["Account"] == [("Your account", "/account", None)]  # and the sign-out button
    # On a one-page section there is no list of pages under the header.
    people = _navs(client.get("/people").text)
    assert ("People", "/people", "page") in people["Main sections"]
    assert not any(label.endswith(" pages") for label in people)
