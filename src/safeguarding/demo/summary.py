"""What a demo load produced, and how to sign in to it (``safeguarding demo`` prints ``describe()``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    role: str
    full_name: str


@dataclass(frozen=True)
class CouncilSummary:
    council: str
    size: str
    seed: int
    reference_time: datetime
    counts: dict[str, int]
    sign_ins: list[DemoSignIn]
    password: str
    admin_totp_secret: str
    open_contacts: int
    overdue_contacts: int
    awaiting_sign_off: int
    routed_contacts: int
    referrals: int
    re_referrals: int
    open_allocations: int
    restricted_people: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def re_referral_rate(self) -> float:
        return self.re_referrals / self.referrals if self.referrals else 0.0

    def describe(self) -> str:
        """A plain-text (Rich markup) account of the load and the demo sign-ins with their password."""
        rows = self.counts
        width = max(len(s.username) for s in self.sign_ins)
        lines = [
            f"[bold]{self.council}[/bold]: demo council loaded (size {self.size}, seed {self.seed}) "
            f"in {self.seconds:.1f} s.",
            f"  {rows.get('person', 0):,} people, {rows.get('app_user', 0):,} users, "
            f"{rows.get('contact', 0):,} contacts over three years;",
            f"  MASH queue: {self.open_contacts} open ({self.overdue_contacts} overdue), "
            f"{self.awaiting_sign_off} decisions awaiting sign-off;",
            f"  {self.routed_contacts:,} contacts routed to allocated workers, "
            f"{self.open_allocations:,} open allocations;",
            f"  {self.referrals:,} referrals, {self.re_referral_rate:.1%} re-referrals within 12 months "
            "(England 22.6%);",
            f"  {len(self.restricted_people)} restricted records.",
            "",
            "[bold]Demo sign-ins[/bold] (synthetic data only; every demo account has the same password):",
        ]
        role_width = max((len(s.role) for s in self.sign_ins), default=0)
        for sign_in in self.sign_ins:
            lines.append(f"  {sign_in.username:<{width}}  {sign_in.role:<{role_width}} {sign_in.full_name}")
        lines += [
            "",
            f"  Password:         [bold]{self.password}[/bold]",
            f"  admin TOTP secret: [bold]{self.admin_totp_secret}[/bold]",
            "  (administrators need a security code: add the secret to an authenticator app)",
            "",
            "Restricted records (a staff member's relative) open only for mash.manager,",
            "team.manager and social.worker; others may break the glass with a reason.",
        ]
        return "\n".join(lines)
