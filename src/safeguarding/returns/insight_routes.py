"""Pages (``router``) and JSON (``api_router``) of Annex A, indicators, workforce and the improvement plan.
Every route is declared in the authorization matrix (tests/returns/authorization_insight.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from safeguarding.web.deps import TransactionalRoute, csrf_protect

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)
