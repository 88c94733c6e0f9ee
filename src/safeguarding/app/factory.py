"""The application factory: mounts every capability's pages and JSON API (under /api/v1), the static assets, and
the error handling. The top of the house: nothing imports it but the ASGI entry point (``app.main``) and tests."""

from __future__ import annotations

import asyncio
import gc
import logging
import re

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguarding.app import admin, audit_pages, auth
from safeguarding.app import home as home_pages
from safeguarding.casework import routes as casework_routes
from safeguarding.children_in_care import care_leaver_routes as children_in_care_care_leaver_routes
from safeguarding.children_in_care import permanence_routes as children_in_care_permanence_routes
from safeguarding.children_in_care import routes as children_in_care_routes
from safeguarding.core import timings
from safeguarding.core.db import Database, get_database
from safeguarding.core.errors import Conflict, DomainError, TooManyAttempts, ValidationFailed
from safeguarding.core.record_versions import RecordLocked
from safeguarding.core.settings import DEVELOPMENT_SECRET_KEY, get_settings
from safeguarding.early_help import outcomes_routes as early_help_outcomes_routes
from safeguarding.early_help import routes as early_help_routes
from safeguarding.early_help import transitions as early_help_transitions  # noqa: F401  (supplies the MASH's panel)
from safeguarding.early_help import transitions_routes as early_help_transitions_routes
from safeguarding.exploitation import context_routes as exploitation_context_routes
from safeguarding.exploitation import disruption_routes as exploitation_disruption_routes
from safeguarding.exploitation import intelligence_routes as exploitation_intelligence_routes
from safeguarding.exploitation import mace_routes as exploitation_mace_routes
from safeguarding.exploitation import network_routes as exploitation_network_routes
from safeguarding.exploitation import nrm_routes as exploitation_nrm_routes
from safeguarding.exploitation import routes as exploitation_routes
from safeguarding.family_network import routes as family_network_routes
from safeguarding.front_door import api as front_door_api
from safeguarding.front_door import portal as front_door_portal
from safeguarding.front_door import routes as front_door_routes
from safeguarding.insight import routes as insight_routes
from safeguarding.people import routes as people_routes
from safeguarding.people.duplicates import routes as people_duplicates_routes
from safeguarding.returns import routes as returns_routes
from safeguarding.timescales import routes as timescales_routes
from safeguarding.web.api_errors import API_ERRORS
from safeguarding.web.api_params import declare_plain_text
from safeguarding.web.deps import CurrentUser, PasswordChangeRequired, SignInRequired, TransactionalRoute
from safeguarding.web.edge import RequestEdge
from safeguarding.web.forms import locked_page
from safeguarding.web.navigation import HOME
from safeguarding.web.templating import STATIC_DIR, render

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


# No inline script, no eval, no inline style: the pages' scripts are files under /static, their data JSON blocks.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

# The API's browsable documentation: Swagger UI from the app's own static files, started by a static script.
_API_DOCS = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Safeguarding API</title>
  <link rel="icon" type="image/png" href="/static/vendor/swagger-ui/favicon-32x32.png">
  <link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
  <script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
"""


class ThreadLimit:
    """How many requests a worker process serves at once, each with its thread (anyio's default: 40 threads, and
    no limit on requests).

    Page handlers are synchronous and share the process's GIL: with 40 threads runnable, a thread back from each
    database call waited for the GIL behind the others, many times per page (bench/results/mash-load-2026-12-07.md).
    Requests beyond the limit wait their turn on the event loop, in order, before they touch the database: a
    request holds its database connection from its first query to its end, so limiting only the threads let more
    requests hold connections than the pool has while the threads that could finish them waited for one (at 100
    users on SQLite: pool timeouts after 30 s)."""

    def __init__(self, app: ASGIApp, threads: int) -> None:
        self.app = app
        self.threads = threads
        # Both belong to an event loop (one per worker process; tests start several in turn).
        self.loop: asyncio.AbstractEventLoop | None = None
        self.turn = asyncio.Semaphore(threads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.threads
            self.loop, self.turn = loop, asyncio.Semaphore(self.threads)
        async with self.turn:
            await self.app(scope, receive, send)


class SecurityHeaders:
    """Security headers on every response. Plain ASGI rather than ``BaseHTTPMiddleware``, which runs each request
    in an extra task with a streamed copy of the response: a measurable share of a page's time under load."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith(("/static", "/assets", "/favicon.ico"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Content-Security-Policy", _CSP)
                if not cacheable:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


home_router = APIRouter(route_class=TransactionalRoute)


@home_router.get("/", include_in_schema=False)
def home(user: CurrentUser) -> Response:
    return RedirectResponse(HOME.get(user.role, "/people"), status_code=303)


async def favicon() -> Response:
    """The icon browsers ask for at /favicon.ico whatever the page links (pages link the SVG in /static)."""
    return FileResponse(STATIC_DIR / "favicon.ico", media_type="image/x-icon")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _problem(
    status: int,
    message: str,
    field: str | None = None,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, object] = {"detail": message}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = [{"field": k, "message": v} for k, v in errors.items()]
    return JSONResponse(body, status_code=status, headers=headers)


def _install_method_not_allowed(api: FastAPI) -> None:
    """A 405 lists every method the path takes, as the OpenAPI document does: Starlette's lists only those of the
    first route matching the path, so ``OPTIONS /contacts`` said ``Allow: POST`` though ``GET /contacts`` exists."""

    def allowed(path: str) -> list[str]:
        methods: set[str] = set()
        for template, operations in api.openapi()["paths"].items():
            if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
                methods |= {method.upper() for method in operations}
        return sorted(methods)

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed(request.url.path.removeprefix(API_PREFIX)))
        return _problem(exc.status_code, str(exc.detail), headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _exc: SignInRequired) -> Response:
        if _is_api(request):
            return _problem(
                401, "A valid API token is required (Authorization: Bearer ...)", headers={"WWW-Authenticate": "Bearer"}
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": f"/sign-in?next={target}"})
        return RedirectResponse(f"/sign-in?next={target}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def _password_change(request: Request, _exc: PasswordChangeRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=403, headers={"HX-Redirect": "/account/password"})
        return RedirectResponse("/account/password", status_code=303)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, _exc: StaleDataError) -> Response:
        return await _domain(
            request,
            Conflict(
                "Someone else changed this record while you were working on it. Nothing you entered was saved: "
                "reload the page to see their change, then try again.",
                field="version",
            ),
        )

    @app.exception_handler(RecordLocked)
    async def _locked(request: Request, exc: RecordLocked) -> Response:
        # A signed-off record opened with its ordinary edit form: the page that says so links to its amendment.
        if _is_api(request):
            return _problem(exc.status_code, exc.message, exc.field)
        return locked_page(request, exc)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        errors = exc.errors if isinstance(exc, ValidationFailed) else None
        # A throttled client is told when it may try again.
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
        if _is_api(request):
            return _problem(exc.status_code, exc.message, exc.field, errors, headers)
        decision = getattr(exc, "decision", None)
        heading = {
            403: "You do not have access",
            404: "Page not found",
            409: "This record has changed",
            429: "Too many attempts to sign in",
        }.get(exc.status_code, "There is a problem")
        person_ids = getattr(decision, "restricted_person_ids", ()) if decision else ()
        response = render(
            request,
            "web/error.html",
            status_code=exc.status_code,
            title=heading,
            heading=heading,
            message=exc.message,
            errors=errors,
            break_glass_person_id=person_ids[0] if decision and decision.break_glass_possible and person_ids else None,
        )
        response.headers.update(headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if any(tuple(error.get("loc", ()))[:1] == ("path",) for error in exc.errors()):
            # A record number no record can have (0, -1, 10**20, not a number): there is no such page.
            if _is_api(request):
                return _problem(404, "There is no record with this number.")
            return render(
                request,
                "web/error.html",
                status_code=404,
                title="Page not found",
                heading="Page not found",
                message="There is no record with this number.",
            )
        errors: dict[str, str] = {}
        for error in exc.errors():
            loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form")]
            errors[".".join(loc) or "request"] = str(error.get("msg", "is not valid"))
        if _is_api(request):
            return _problem(
                422,
                "The request is not valid: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
                field=next(iter(errors)),
                errors=errors,
            )
        return render(
            request,
            "web/error.html",
            status_code=422,
            title="There is a problem",
            heading="There is a problem",
            message="Some of what was sent is not valid.",
            errors=errors,
        )


# The cyclic garbage collector's full collections walked every object of the loaded application (SQLAlchemy's
# mappers, FastAPI's routes, the compiled templates: hundreds of thousands) while a page view waited: the 40-55 ms
# of CPU in the slowest 5 % of queue views (bench/results/mash-load-2026-12-07.md). Objects alive after start-up
# live as long as the process, so they are frozen out of collections; and a page view makes tens of thousands of
# short-lived objects, so the youngest generation is collected every 20,000 allocations rather than every 700
# (fewer objects promoted on to the older generations by a collection in the middle of a request). Reference
# counting still frees everything that is not in a cycle at once; cycles are still collected.
GC_THRESHOLDS = (20_000, 20, 20)


def tune_garbage_collection() -> None:
    """For a serving process, once its application is built (``safeguarding.app.main``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def create_app(database: Database | None = None) -> FastAPI:
    """Build the app. Capabilities contribute a ``router`` (pages) and an ``api_router`` (JSON)."""
    capabilities = (
        front_door_routes,
        people_routes,
        people_duplicates_routes,
        casework_routes,
        children_in_care_routes,
        children_in_care_care_leaver_routes,
        family_network_routes,
        children_in_care_permanence_routes,
        # Before early_help_routes: their literal paths (/early-help/supporting-families) before its /early-help/{id}.
        early_help_transitions_routes,
        early_help_outcomes_routes,
        early_help_routes,
        timescales_routes,
        exploitation_routes,
        exploitation_context_routes,
        exploitation_intelligence_routes,
        exploitation_network_routes,
        exploitation_mace_routes,
        exploitation_disruption_routes,
        exploitation_nrm_routes,
        returns_routes,
        insight_routes,
    )

    settings = get_settings()
    if settings.secret_key == DEVELOPMENT_SECRET_KEY:
        log.warning("SAFEGUARDING_SECRET_KEY is the development default; set your own in production")

    app = FastAPI(title="Safeguarding", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.database = database or get_database()
    app.add_middleware(SecurityHeaders)
    # Outermost but for the headers: size, credentials and control characters checked before a route reads.
    app.add_middleware(RequestEdge, max_body_bytes=settings.max_body_bytes)

    api = FastAPI(
        title="Safeguarding API",
        version="1",
        description="JSON API for partner systems. Authenticate with `Authorization: Bearer <token>` "
        "(`safeguarding tokens create USERNAME`). Every date and time is checked: dates fall between 1 January "
        "1900 and a year from today (ten years for booked dates such as reviews), and a date-time must give its zone "
        "(`2026-03-31T14:30:00+01:00` or `...Z`): one without is refused with 422, never guessed. Text may not hold "
        "control characters other than tab and line breaks (refused with 422 naming the field).",
        openapi_url="/openapi.json",
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN with an inline script: ours is below
        redoc_url=None,
    )

    @api.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(_API_DOCS.format(openapi_url=f"{API_PREFIX}/openapi.json"))

    declare_plain_text(api)
    api.state.database = app.state.database
    for module in (*capabilities, auth):
        if hasattr(module, "api_router"):
            api.include_router(module.api_router, responses=API_ERRORS)
    api.include_router(front_door_api.router, responses=API_ERRORS)
    _install_error_handlers(api)
    _install_method_not_allowed(api)
    app.mount(API_PREFIX, api)

    app.include_router(auth.router)
    app.include_router(home_router)
    app.include_router(home_pages.router)
    app.include_router(admin.router)
    app.include_router(audit_pages.router)
    for module in capabilities:
        app.include_router(module.router)
    app.include_router(front_door_portal.router)
    app.add_api_route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False)

    vendor = STATIC_DIR / "vendor"
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    assets = vendor / "govuk-frontend" / "assets"
    if assets.is_dir():
        # GOV.UK Frontend's compiled CSS refers to its fonts and images under /assets.
        app.mount("/assets", StaticFiles(directory=str(assets)), name="assets")
    _install_error_handlers(app)
    if settings.web_threads > 0:
        app.add_middleware(ThreadLimit, threads=settings.web_threads)
    timings_file = timings.requested_path()
    if timings_file:  # the benchmarks' breakdown of each request's time (off unless asked for)
        timings.install(app, app.state.database, timings_file)
    return app
