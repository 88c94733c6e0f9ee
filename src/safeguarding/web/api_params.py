"""Parameter types the API's operations share, so the OpenAPI document says exactly what each one accepts.

Dates are ``core.dates``' types (a date written YYYY-MM-DD within the range of its kind; a time with its zone).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from safeguarding.core.dates import BirthDate, BookedDate, EventDate, EventMoment

# A day bounding a search window: any date a record can hold, written as 2026-03-31.
IsoDate = BookedDate

__all__ = ["BirthDate", "BookedDate", "EventDate", "EventMoment", "IsoDate"]


# The document's form of core.form_fields' one definition of a control character (C0 but tab and line breaks, DEL,
# C1): the request edge and the models refuse these, so a text field's schema says so and a client (or schemathesis)
# knows a string holding one is not valid.
PLAIN_TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"


def _plain_text(schema: Any, components: dict[str, Any], seen: set[str]) -> None:
    if not isinstance(schema, dict):
        return
    if ref := schema.get("$ref"):
        name = str(ref).rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _plain_text(components.get(name), components, seen)
        return
    if schema.get("type") == "string" and not ({"format", "enum", "pattern", "const"} & schema.keys()):
        schema["pattern"] = PLAIN_TEXT_PATTERN
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, ()):
            _plain_text(branch, components, seen)
    for child in (schema.get("properties") or {}).values():
        _plain_text(child, components, seen)
    _plain_text(schema.get("items"), components, seen)


def declare_plain_text(api: FastAPI) -> None:
    """Every free-text parameter and request body field of the API's document carries ``PLAIN_TEXT_PATTERN``
    (what the API answers is left as it is)."""
    build = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = build()
            components = document.get("components", {}).get("schemas", {})
            seen: set[str] = set()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    for parameter in operation.get("parameters", ()):
                        if parameter.get("in") in ("query", "path"):
                            _plain_text(parameter.get("schema"), components, seen)
                    for content in operation.get("requestBody", {}).get("content", {}).values():
                        _plain_text(content.get("schema"), components, seen)
            api.openapi_schema = document
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
