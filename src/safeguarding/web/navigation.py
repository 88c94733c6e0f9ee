"""The header's sections and their pages for each role, and where each role lands after signing in.

The header shows one link per section a role sees (a section with only one page for the role is a plain link to that
page); the current section, decided from the request path, lists its pages under the header. Which pages a role sees
is a convenience, not access: the routes check access themselves (core/access.py, tests/matrix.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from safeguarding.core.users import Role, User

R = Role

# aria-current: "page" on the link to the page being shown, "true" on the section or page it belongs to.
AriaCurrent = Literal["page", "true"] | None


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class NavSection:
    label: str
    pages: tuple[NavItem, ...]
    # Further path prefixes whose pages belong to the section without being in it (a contact, a child's case).
    claims: tuple[str, ...] = ()


SECTIONS: tuple[NavSection, ...] = (
    # What is waiting for the role (app/home.py), for the roles whose day starts on a page composed from several
    # capabilities.
    NavSection("Home", (NavItem("Home", "/home", frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_LEADER})),)),
    # The front door (front_door/): partners' portal, the MASH's queue and sign-off, and contacts workers made.
    NavSection(
        "Front door",
        (
            NavItem("Partner portal", "/portal", frozenset({R.PARTNER_PRACTITIONER})),
            NavItem("MASH queue", "/mash/queue", frozenset({R.MASH_WORKER, R.MASH_MANAGER})),
            NavItem("Record a contact", "/mash/contacts/new", frozenset({R.MASH_WORKER, R.MASH_MANAGER})),
            NavItem("Sign-off", "/mash/sign-off", frozenset({R.MASH_MANAGER})),
            NavItem(
                "MASH dashboard",
                "/mash/dashboard",
                frozenset({R.MASH_MANAGER, R.TEAM_MANAGER, R.PERFORMANCE_ANALYST, R.SERVICE_LEADER}),
            ),
            NavItem("My contacts", "/my-contacts", frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER})),
        ),
        claims=("/mash", "/portal"),
    ),
    # Statutory case work: what is due (timescales/); team managers allocate; supervision for managers and the
    # workers they supervise (casework/); children in care (children_in_care/).
    NavSection(
        "Case work",
        (
            NavItem(
                "What is due",
                "/due",
                frozenset(
                    {
                        R.SOCIAL_WORKER,
                        R.TEAM_MANAGER,
                        R.EXPLOITATION_PRACTITIONER,
                        R.PERSONAL_ADVISER,
                        R.EARLY_HELP_PRACTITIONER,
                        R.EARLY_HELP_MANAGER,
                    }
                ),
            ),
            NavItem("Team timescales", "/due/team", frozenset({R.TEAM_MANAGER})),
            NavItem(
                "Service timescales",
                "/due/service",
                frozenset({R.TEAM_MANAGER, R.PERFORMANCE_ANALYST, R.SERVICE_LEADER}),
            ),
            NavItem("Unallocated", "/unallocated-children", frozenset({R.TEAM_MANAGER})),
            NavItem("Supervision", "/supervision", frozenset({R.TEAM_MANAGER, R.SOCIAL_WORKER})),
            # Children in care (children_in_care/): the children in care for team managers, the placements team and
            # IROs (an IRO's own); personal education plans for the virtual school.
            NavItem(
                "Children in care",
                "/children-in-care",
                frozenset({R.TEAM_MANAGER, R.PLACEMENTS_OFFICER, R.INDEPENDENT_REVIEWING_OFFICER}),
            ),
            NavItem("Education", "/children-in-care/education", frozenset({R.VIRTUAL_SCHOOL})),
            NavItem("Care leavers", "/care-leavers", frozenset({R.PERSONAL_ADVISER, R.TEAM_MANAGER})),
            # Prospective adopters and their assessment (children_in_care/permanence_routes.py): the council's family
            # finding, kept by the placements team and team managers (core/access.py, Kind.ADOPTERS).
            NavItem("Prospective adopters", "/adopters", frozenset({R.PLACEMENTS_OFFICER, R.TEAM_MANAGER})),
            # Early help and Family Help (early_help/): the council's early help staff, and a partner practitioner's
            # own families (the ones they lead).
            NavItem(
                "Early help",
                "/early-help",
                frozenset({R.EARLY_HELP_PRACTITIONER, R.EARLY_HELP_MANAGER, R.PARTNER_PRACTITIONER}),
            ),
            # The families with significant and sustained progress, for the council's claim (early_help/outcomes.py).
            NavItem("Supporting Families", "/early-help/supporting-families", frozenset({R.EARLY_HELP_MANAGER})),
        ),
        claims=("/cases", "/chronologies", "/children-in-care"),
    ),
    NavSection(
        "People",
        (
            NavItem(
                "People",
                "/people",
                frozenset(
                    {
                        R.MASH_WORKER,
                        R.MASH_MANAGER,
                        R.SOCIAL_WORKER,
                        R.TEAM_MANAGER,
                        R.EXPLOITATION_PRACTITIONER,
                        # Early help staff find a family in the person index, or add it, before early help starts.
                        R.EARLY_HELP_PRACTITIONER,
                        R.EARLY_HELP_MANAGER,
                    }
                ),
            ),
        ),
    ),
    # The exploitation team (exploitation/): its home, partners' intelligence (their own agency's items), the
    # network, MACE panels and disruption (exploitation/network_routes.py, mace_routes.py, disruption_routes.py).
    NavSection(
        "Exploitation",
        (
            NavItem("Exploitation", "/exploitation", frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER})),
            NavItem(
                "Intelligence",
                "/exploitation/intelligence",
                frozenset({R.PARTNER_PRACTITIONER, R.EXPLOITATION_PRACTITIONER}),
            ),
            NavItem("Network", "/exploitation/network/analyses", frozenset({R.EXPLOITATION_PRACTITIONER})),
            NavItem("MACE", "/exploitation/mace", frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER})),
            NavItem("Disruption", "/exploitation/disruption", frozenset({R.EXPLOITATION_PRACTITIONER})),
        ),
        claims=("/exploitation",),
    ),
    # Insight (returns/): indicators and the improvement plan for leaders, Annex A for analysts, the CIN census
    # checked on the live record (analysts fix the data before the return), the workforce.
    NavSection(
        "Insight",
        (
            NavItem(
                "Indicators",
                "/returns/indicators",
                frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.MASH_MANAGER, R.SERVICE_LEADER}),
            ),
            NavItem("Annex A", "/returns/annex-a", frozenset({R.PERFORMANCE_ANALYST})),
            NavItem(
                "CIN census",
                "/returns/cin-census",
                frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.SERVICE_LEADER}),
            ),
            NavItem(
                "SSDA903",
                "/returns/ssda903",
                frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.SERVICE_LEADER}),
            ),
            NavItem(
                "Workforce",
                "/returns/workforce",
                frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.ADMINISTRATOR, R.SERVICE_LEADER}),
            ),
            NavItem(
                "Improvement plan",
                "/returns/improvement",
                frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.MASH_MANAGER, R.SERVICE_LEADER}),
            ),
        ),
        claims=("/returns",),
    ),
    # The person index's keeper (people/duplicates/): the proposed duplicates and the merges made.
    NavSection(
        "Data quality",
        (
            NavItem("Duplicates", "/duplicates", frozenset({R.DATA_QUALITY_OFFICER})),
            NavItem("Merges", "/merges", frozenset({R.DATA_QUALITY_OFFICER})),
        ),
        claims=("/duplicates", "/merges"),
    ),
    NavSection(
        "Audit",
        (NavItem("Audit", "/audit", frozenset({R.MASH_MANAGER, R.TEAM_MANAGER, R.ADMINISTRATOR, R.SERVICE_LEADER})),),
    ),
    NavSection(
        "Administration",
        (
            NavItem("Administration", "/admin", frozenset({R.ADMINISTRATOR})),
            # MASH managers read the local standards (RAG deadlines) their queue runs to; administrators change them.
            NavItem("Local settings", "/admin/settings", frozenset({R.MASH_MANAGER})),
        ),
        claims=("/admin",),
    ),
)

# Every page in section order: what nav_items filters by role.
NAV: tuple[NavItem, ...] = tuple(page for section in SECTIONS for page in section.pages)

HOME: dict[Role, str] = {
    R.PARTNER_PRACTITIONER: "/portal",
    R.MASH_WORKER: "/mash/queue",
    R.MASH_MANAGER: "/mash/queue",
    # Social workers, team managers and service leaders land on what is waiting for them (app/home.py): routed
    # contacts, what is due, what awaits authorisation, drift.
    R.SOCIAL_WORKER: "/home",
    R.TEAM_MANAGER: "/home",
    R.SERVICE_LEADER: "/home",
    R.EXPLOITATION_PRACTITIONER: "/exploitation",
    # Analysts land on the indicators leaders read (insight/routes.py).
    R.PERFORMANCE_ANALYST: "/returns/indicators",
    R.PERSONAL_ADVISER: "/care-leavers",
    R.ADMINISTRATOR: "/admin",
    # Children in care: the IRO and the placements team land on the children in care (theirs, for an IRO); the
    # virtual school on the personal education plans.
    R.INDEPENDENT_REVIEWING_OFFICER: "/children-in-care",
    R.PLACEMENTS_OFFICER: "/children-in-care",
    R.VIRTUAL_SCHOOL: "/children-in-care/education",
    # Early help (early_help/): the council's early help staff land on the families in early help.
    R.EARLY_HELP_PRACTITIONER: "/early-help",
    R.EARLY_HELP_MANAGER: "/early-help",
    R.DATA_QUALITY_OFFICER: "/duplicates",
}


def nav_items(user: User | None) -> list[NavItem]:
    """Every page the user's role sees, in section order."""
    if user is None:
        return []
    return [item for item in NAV if Role(user.role) in item.roles]


@dataclass(frozen=True)
class PageLink:
    label: str
    href: str
    current: AriaCurrent


@dataclass(frozen=True)
class SectionLink:
    label: str
    href: str
    current: AriaCurrent
    pages: tuple[PageLink, ...]  # the role's pages in the section; one page makes the section a plain link


@dataclass(frozen=True)
class Navigation:
    sections: tuple[SectionLink, ...]

    @property
    def current(self) -> SectionLink | None:
        return next((section for section in self.sections if section.current), None)

    @property
    def sub_pages(self) -> tuple[PageLink, ...]:
        """The current section's pages, listed under the header only when there is more than one."""
        current = self.current
        return current.pages if current is not None and len(current.pages) > 1 else ()


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def navigation(user: User | None, path: str) -> Navigation:
    """The sections the user's role sees, with the one ``path`` belongs to (longest matching prefix) current."""
    if user is None:
        return Navigation(())
    role = Role(user.role)
    visible = [(section, tuple(p for p in section.pages if role in p.roles)) for section in SECTIONS]
    visible = [(section, pages) for section, pages in visible if pages]
    # A page's own href beats a section's claim of the same length, so "/exploitation" marks the home page.
    best: tuple[int, int, NavSection, NavItem | None] | None = None
    for section, pages in visible:
        candidates: list[tuple[str, NavItem | None]] = [(p.href, p) for p in pages]
        candidates += [(claim, None) for claim in section.claims]
        for prefix, page in candidates:
            if _under(path, prefix):
                key = (len(prefix), page is not None)
                if best is None or key > best[:2]:
                    best = (*key, section, page)
    current_section = best[2] if best else None
    current_page = best[3] if best else None

    def aria(href: str, is_current: bool) -> AriaCurrent:
        if not is_current:
            return None
        return "page" if path == href else "true"

    sections = []
    for section, pages in visible:
        links = tuple(PageLink(p.label, p.href, aria(p.href, p is current_page)) for p in pages)
        # A section with one page for this role is a plain link to that page, under the page's own name.
        label = pages[0].label if len(pages) == 1 else section.label
        sections.append(SectionLink(label, pages[0].href, aria(pages[0].href, section is current_section), links))
    return Navigation(tuple(sections))
