"""How far a placement is from the child's home, and whether it is in the council's area: from the two postcodes of
the placement and where their districts lie (``models.PostcodeDistrict``).

The DfE measures the distance between the home and placement postcodes of each placement ("Children looked after in
England", placements more than 20 miles from home; the SSDA903 collects HOME_POST and PL_POST for it). This system
holds where each postcode district (the outward code) lies, not each full postcode: the distance is between the two
districts' centres on the Ordnance Survey National Grid, a straight line, so a placement in the home district counts
as 0 miles and one near a district's edge may be a few miles out either way. Said beside the figure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.insight.models import PostcodeDistrict

METRES_IN_A_MILE: Final = 1609.344
FAR_FROM_HOME_MILES: Final = 20  # DfE: placements "more than 20 miles from home"

_OUTWARD = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)(?: ?[0-9][A-Z]{0,2})?$")


def district_of(postcode: str | None) -> str | None:
    """The outward code of a full or partial postcode ("NB3 4CD" and "NB3 4" give "NB3"); None if it is not one."""
    if not postcode:
        return None
    found = _OUTWARD.match(" ".join(postcode.upper().split()))
    return found[1] if found else None


Grid = Mapping[str, tuple[int, int]]  # district: (easting, northing) in metres


def miles_between(home: str | None, placement: str | None, grid: Grid) -> float | None:
    """Straight-line miles between the centres of the two postcodes' districts; None where either is not known."""
    a, b = grid.get(district_of(home) or ""), grid.get(district_of(placement) or "")
    if a is None or b is None:
        return None
    return math.hypot(a[0] - b[0], a[1] - b[1]) / METRES_IN_A_MILE


def far_from_home(home: str | None, placement: str | None, grid: Grid) -> bool | None:
    """More than 20 miles from home (DfE); None where the distance is not known."""
    miles = miles_between(home, placement, grid)
    return None if miles is None else miles > FAR_FROM_HOME_MILES


def grid_of(session: Session) -> dict[str, tuple[int, int]]:
    return {
        d: (e, n)
        for d, e, n in session.execute(
            select(PostcodeDistrict.district, PostcodeDistrict.easting, PostcodeDistrict.northing)
        )
    }


def authorities_of(session: Session) -> dict[str, int]:
    """Each district's local authority (DfE code), where known."""
    return {
        d: la
        for d, la in session.execute(
            select(PostcodeDistrict.district, PostcodeDistrict.la_code).where(PostcodeDistrict.la_code.is_not(None))
        )
        if la is not None
    }
