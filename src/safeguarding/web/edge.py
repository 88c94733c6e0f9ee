"""What every request meets before any route reads it: a size limit on its body, a refusal of unsafe requests that
carry no credentials at all, and a refusal of control characters in the query string and in posted forms.

Plain ASGI (like ``SecurityHeaders``): the body is counted and scanned as it streams in, never held here, so a large
or hostile body costs neither memory nor a parse. JSON bodies are checked for control characters field by field by
the API's models (``core.form_fields.PlainInput``), which name the field.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguarding.core.form_fields import has_control_character
from safeguarding.web.deps import SESSION_COOKIE, UNSAFE_METHODS
from safeguarding.web.templating import render

API_PREFIX = "/api/v1"
# Forms anyone may post: signing in (its second step included) and out. Every other form needs a session.
PUBLIC_FORM_PREFIXES = ("/sign-in", "/sign-out")
# "Authorization: Bearer <token>": the shape of a credential, checked here; whether it is valid, by the route.
_BEARER = re.compile(r"^bearer +[A-Za-z0-9._~+/=-]+$", re.IGNORECASE)
# A control character other than tab and line breaks, percent-encoded in a form (C0, DEL, and C1 as UTF-8) or raw.
_FORM_CONTROL = re.compile(
    rb"%(?:0[0-8BCEF]|1[0-9A-F]|7F|C2%[89][0-9A-F])|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", re.IGNORECASE
)
_CARRY = 5  # bytes kept between chunks, so an escape split across two chunks is still seen

TOO_LARGE = "The request is too large: it can be at most {limit:,} bytes."
CONTROL = (
    "What was sent contains a control character (other than tab or a line break) that cannot be stored. "
    "Remove it and try again."
)
NO_CREDENTIALS = "A valid API token is required (Authorization: Bearer ...)"


class _BodyRefused(BaseException):
    """Raised from ``receive`` to stop the route. A BaseException because FastAPI turns any Exception raised while
    it reads a body into its own 400."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _refusal(scope: Scope, status: int, message: str) -> Response:
    if scope["path"].startswith(API_PREFIX):
        return JSONResponse({"detail": message}, status_code=status)
    if Headers(scope=scope).get("hx-request"):
        return PlainTextResponse(message, status_code=status)
    # A person at a browser gets a GOV.UK page; the browser's Back keeps what they typed.
    heading = "The request is too large" if status == 413 else "There is a problem"
    return render(
        Request(scope),
        "web/error.html",
        status_code=status,
        title=heading,
        heading=heading,
        message=message + " Go back to the form: what you typed is still there.",
    )


class RequestEdge:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal_before_reading(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        headers = Headers(scope=scope)
        scan = scope["method"] in UNSAFE_METHODS and headers.get("content-type", "").lower().startswith(
            "application/x-www-form-urlencoded"
        )
        limit = self.max_body_bytes
        received = 0
        tail = b""
        started = False

        async def counted_receive() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk: bytes = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise _BodyRefused(413, TOO_LARGE.format(limit=limit))
                if scan and chunk:
                    if _FORM_CONTROL.search(tail + chunk):
                        raise _BodyRefused(422, CONTROL)
                    tail = (tail + chunk)[-_CARRY:]
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _BodyRefused as refused:
            if started:
                raise
            await _refusal(scope, refused.status, refused.message)(scope, receive, send)

    def _refusal_before_reading(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return _refusal(scope, 413, TOO_LARGE.format(limit=self.max_body_bytes))
        query = scope.get("query_string", b"").decode("latin-1")
        if query and has_control_character(unquote(query.replace("+", " "), errors="replace")):
            return _refusal(scope, 422, CONTROL)
        if scope["method"] not in UNSAFE_METHODS:
            return None
        path: str = scope["path"]
        if path.startswith(API_PREFIX):
            if not _BEARER.match(headers.get("authorization", "").strip()):
                return JSONResponse({"detail": NO_CREDENTIALS}, status_code=401)
            return None
        if path.startswith(PUBLIC_FORM_PREFIXES) or SESSION_COOKIE in cookie_parser(headers.get("cookie", "")):
            return None
        # A form from nobody signed in: to sign-in, as the routes themselves would, without reading the body.
        if headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/sign-in"})
        return RedirectResponse(f"/sign-in?next={path}", status_code=303)
