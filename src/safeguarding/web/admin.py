"""Administration: users, teams, partner agencies and local settings."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from safeguarding.web.deps import TransactionalRoute, csrf_protect

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
