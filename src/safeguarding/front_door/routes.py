"""Pages and JSON API of this capability."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from safeguarding.web.deps import TransactionalRoute, csrf_protect

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])
api_router = APIRouter(route_class=TransactionalRoute)
