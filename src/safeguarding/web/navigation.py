"""The links each role sees in the header, and where each role lands after signing in."""

from __future__ import annotations

from dataclasses import dataclass

from safeguarding.core.users import Role, User

R = Role


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[Role]


NAV: tuple[NavItem, ...] = (
    NavItem("Partner portal", "/portal", frozenset({R.PARTNER_PRACTITIONER})),
    NavItem("MASH queue", "/mash/queue", frozenset({R.MASH_WORKER, R.MASH_MANAGER})),
    NavItem("Record a contact", "/mash/contacts/new", frozenset({R.MASH_WORKER, R.MASH_MANAGER})),
    NavItem("Sign-off", "/mash/sign-off", frozenset({R.MASH_MANAGER})),
    NavItem("What is due", "/due", frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.EXPLOITATION_PRACTITIONER})),
    NavItem("Team timescales", "/due/team", frozenset({R.TEAM_MANAGER})),
    NavItem("Service timescales", "/due/service", frozenset({R.TEAM_MANAGER, R.PERFORMANCE_ANALYST})),
    NavItem("My contacts", "/my-contacts", frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER})),
    NavItem("MASH dashboard", "/mash/dashboard", frozenset({R.MASH_MANAGER, R.TEAM_MANAGER,
                                                            R.PERFORMANCE_ANALYST})),
    NavItem("People", "/people", frozenset({R.MASH_WORKER, R.MASH_MANAGER, R.SOCIAL_WORKER, R.TEAM_MANAGER,
                                            R.EXPLOITATION_PRACTITIONER})),
    # Case work (casework/): team managers allocate; supervision for managers and the workers they supervise.
    NavItem("Unallocated", "/unallocated-children", frozenset({R.TEAM_MANAGER})),
    NavItem("Supervision", "/supervision", frozenset({R.TEAM_MANAGER, R.SOCIAL_WORKER})),
    NavItem("Audit", "/audit", frozenset({R.MASH_MANAGER, R.TEAM_MANAGER, R.ADMINISTRATOR})),
    NavItem("Administration", "/admin", frozenset({R.ADMINISTRATOR})),
    # MASH managers read the local standards (RAG deadlines) their queue runs to; administrators change them.
    NavItem("Local settings", "/admin/settings", frozenset({R.MASH_MANAGER})),
    # The exploitation team (exploitation/): its home, and partners' intelligence (their own agency's items).
    NavItem("Exploitation", "/exploitation", frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER})),
    NavItem("Intelligence", "/exploitation/intelligence", frozenset({R.PARTNER_PRACTITIONER,
                                                                     R.EXPLOITATION_PRACTITIONER})),
    # The network, MACE panels and disruption (exploitation/network_routes.py).
    NavItem("Network", "/exploitation/network/analyses", frozenset({R.EXPLOITATION_PRACTITIONER})),
    NavItem("MACE", "/exploitation/mace", frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER})),
    NavItem("Disruption", "/exploitation/disruption", frozenset({R.EXPLOITATION_PRACTITIONER})),
    # Insight (returns/insight_routes.py): indicators and the improvement plan for leaders, Annex A for analysts.
    NavItem("Indicators", "/returns/indicators", frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.MASH_MANAGER})),
    NavItem("Annex A", "/returns/annex-a", frozenset({R.PERFORMANCE_ANALYST})),
    # The CIN census checked on the live record (returns/routes.py): analysts fix the data before the return.
    NavItem("CIN census", "/returns/cin-census", frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER})),
    NavItem("Workforce", "/returns/workforce", frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.ADMINISTRATOR})),
    NavItem("Improvement plan", "/returns/improvement", frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER,
                                                                   R.MASH_MANAGER})),
)

HOME: dict[Role, str] = {
    R.PARTNER_PRACTITIONER: "/portal",
    R.MASH_WORKER: "/mash/queue",
    R.MASH_MANAGER: "/mash/queue",
    # Social workers and team managers land on what is due (timescales/): drift shows before it happens.
    R.SOCIAL_WORKER: "/due",
    R.TEAM_MANAGER: "/due/team",
    R.EXPLOITATION_PRACTITIONER: "/exploitation",
    # Analysts land on the indicators leaders read (returns/insight_routes.py).
    R.PERFORMANCE_ANALYST: "/returns/indicators",
    R.ADMINISTRATOR: "/admin",
}


def nav_items(user: User | None) -> list[NavItem]:
    if user is None:
        return []
    return [item for item in NAV if Role(user.role) in item.roles]
