"""The API's one error body and the error responses every operation declares in the OpenAPI document.

Every error the API gives (a refusal by a service, a request FastAPI cannot read, a limit at the edge) comes back
as a ``Problem``, so partner systems handle one shape; the document says so for every operation, in one place.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """Every error: a message, the field at fault where there is one, and each field's message."""

    detail: str
    field: str | None = None
    errors: list[FieldError] | None = None


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


# Declared on every API operation (``include_router(..., responses=API_ERRORS)``); an operation overrides one
# status's description where it can say more.
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _problem("The body could not be read (it is not JSON, or not the content type sent)"),
    401: _problem("No valid bearer token"),
    403: _problem("Not allowed for this account"),
    404: _problem("No such record"),
    413: _problem("The request body is larger than the service accepts"),
    422: _problem("A field is not valid; `errors` names each one"),
    429: _problem("Too many requests; wait before trying again"),
}
