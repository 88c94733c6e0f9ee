"""The demo council's case work (assessments, strategy discussions, s47, conferences, plans, visits, notes,
supervision): a stage of ``demo.council.build_council``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

TABLES: list[Table] = []


def build(builder: Any, writer: Any) -> dict[str, int]:
    """Add this capability's rows to the council being built; return counts for the summary."""
    return {}
