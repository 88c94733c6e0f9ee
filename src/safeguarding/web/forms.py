"""The one way a page handles a posted form.

Every form page does the same four things: read the posted form, run the service off the event loop (SQLAlchemy is
synchronous), and then either show the page again with the errors (422, the form as typed kept) or go on to the next
page (303, post/redirect/get). ``submit`` does them; a route supplies only the service call, where to go, and how to
show the page again. Fields are read with ``core.form_fields`` (record ids, dates from the three GOV.UK boxes, text
with length limits and control characters refused), inside the service's typed input, so every message names its
field and all problems show at once.

    @router.post("/cases/{person_id}/notes/new")
    async def add_note(request: Request, person_id: RecordId, db: DbSession, database: Db,
                       user: CurrentUser) -> Response:
        return await submit(
            request, db,
            lambda form: service.add_note(db, database, user, person_id, NoteInput.read(form)),
            done=f"/cases/{person_id}?done=saved",
            again=lambda form, errors: note_page(request, db, database, user, person_id, form, errors),
        )
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from starlette.concurrency import run_in_threadpool

from safeguarding.core.db import Database, rollback_keeping_survivors
from safeguarding.core.errors import Conflict, ValidationFailed
from safeguarding.core.form_fields import combine_date_parts
from safeguarding.core.record_versions import EditConflict, RecordLocked, SavedField, SavedVersion
from safeguarding.core.users import User
from safeguarding.web.deps import CurrentUser, Db, DbSession, path_record_id
from safeguarding.web.templating import render

T = TypeVar("T")

STALE_MESSAGE = (
    "Someone else changed this record while you were saving it. Nothing you entered was saved, and what you typed is "
    "still in the form: check their change, then save again."
)

# Never handed to a service or shown again: the CSRF token is checked by web.deps.csrf_protect before the route.
_NOT_FIELDS = frozenset({"csrf_token"})

# A person picker's Find button (people.picker): its value names the picker field. A form posted by it is shown
# again, unsaved and without errors, with the people found; nothing is saved until the form's own button is pressed.
PICK_SEARCH = "pick_search"


class PostedForm(Mapping[str, str]):
    """A posted form as text: ``form["name"]`` (or ``form.get``) is a field's last value, ``form.all("name")`` every
    value of a repeated field (checkboxes, rows), in the order sent. Files and the CSRF token are left out."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in items:
            if name not in _NOT_FIELDS:
                self._values.setdefault(name, []).append(value)

    def __getitem__(self, name: str) -> str:
        return self._values[name][-1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def all(self, name: str) -> list[str]:
        return list(self._values.get(name, []))

    def as_dict(self) -> dict[str, str]:
        """Each field's last value: what a template shows again in the boxes after an error."""
        return {name: values[-1] for name, values in self._values.items()}

    def with_value(self, name: str, value: str) -> PostedForm:
        """The same form with one field's value replaced (the version, after someone else saved first)."""
        changed = PostedForm()
        changed._values = {**self._values, name: [value]}
        return changed


@dataclass(frozen=True)
class ConflictView:
    """What a form shown again after someone else saved first puts beside the user's own text: the saved version,
    who saved it and when, and, field by field, the saved value beside what the user typed (``rows``)."""

    saved: SavedVersion
    typed: PostedForm

    @property
    def rows(self) -> list[tuple[SavedField, str, bool]]:
        """(field, what the user typed as shown, whether it differs from the saved value)."""
        shown: list[tuple[SavedField, str, bool]] = []
        for f in self.saved.fields:
            typed = f.typed_in(self.typed)
            shown.append((f, f.shown_for(typed), f.differs_from(typed)))
        return shown


async def read_form(request: Request) -> PostedForm:
    """The posted form, each GOV.UK date input's three boxes read into the one field its reader asks for."""
    data = await request.form()
    return PostedForm(
        combine_date_parts([(name, value) for name, value in data.multi_items() if isinstance(value, str)])
    )


def read_query(request: Request) -> PostedForm:
    """A GET form's fields (filters, periods), date inputs read as ``read_form`` reads them."""
    return PostedForm(combine_date_parts(list(request.query_params.multi_items())))


async def in_thread(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Synchronous work (the database, rendering a page that queries) off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)


async def submit(
    request: Request,
    session: Session,
    save: Callable[[PostedForm], T],
    *,
    done: str | Callable[[T], str | Response],
    again: Callable[[PostedForm, dict[str, str]], Response],
    rollback: bool = True,
) -> Response:
    """Read the form and run ``save``; on ``ValidationFailed`` undo anything written (keeping the audit of a
    refusal) and answer ``again(form, errors)`` with status 422; else redirect (303) to ``done``.

    ``save`` and ``again`` run in the thread pool. ``done`` is a path, or a function of what ``save`` returned (the
    new record, say) giving the path, or giving the page itself where what it shows must not travel in a URL (a new
    API token, shown once). ``rollback=False`` keeps what ``save`` wrote before it refused, where the refusal is
    itself a change to keep (a wrong current password counts towards the account's lockout). Access refusals and
    missing records are not caught: the app shows them as 403 and 404.

    A ``Conflict`` on the version (someone else saved the record since the form was loaded) is the one way every
    form keeps a second editor's work: the form is shown again (409) with what they typed, and, when the service
    raised ``EditConflict``, the saved version beside it (the layout shows ``ConflictView``) and the saved version's
    number in the form. A signed-off record (``RecordLocked``) answers the page that links to its amendment.
    """
    form = await read_form(request)
    if form.get(PICK_SEARCH):
        return await run_in_threadpool(again, form, {})
    try:
        result = await run_in_threadpool(save, form)
    except ValidationFailed as problem:
        if rollback:
            await run_in_threadpool(rollback_keeping_survivors, session)
        page = await run_in_threadpool(again, form, problem.errors)
        page.status_code = 422
        return page
    except RecordLocked as locked:
        await run_in_threadpool(rollback_keeping_survivors, session)
        return locked_page(request, locked)
    except Conflict as problem:
        # Someone else saved first: nothing is written, and nothing typed is lost. The form comes back with the
        # user's text in its fields, the saved version beside it, and the saved version's number, so that saving
        # again (having compared) is a deliberate change on top of theirs.
        if problem.field != "version":
            raise
        await run_in_threadpool(rollback_keeping_survivors, session)
        shown = form
        if isinstance(problem, EditConflict):
            request.state.conflict = ConflictView(problem.saved, form)
            shown = form.with_value("version", str(problem.saved.version))
        page = await run_in_threadpool(again, shown, {"version": problem.message})
        page.status_code = 409
        return page
    except StaleDataError:
        # The same race caught by the database as the row was written: the form comes back with the text typed.
        await run_in_threadpool(rollback_keeping_survivors, session)
        page = await run_in_threadpool(again, form, {"version": STALE_MESSAGE})
        page.status_code = 409
        return page
    if isinstance(done, str):
        return RedirectResponse(done, status_code=303)
    answer = await run_in_threadpool(done, result)
    return answer if isinstance(answer, Response) else RedirectResponse(answer, status_code=303)


def locked_page(request: Request, locked: RecordLocked) -> Response:
    """The refusal of an ordinary edit of a signed-off record, with the way to amend it (409)."""
    return render(
        request,
        "web/locked.html",
        status_code=409,
        title="This record is signed off",
        message=locked.message,
        amend_url=locked.amend_url,
        back_url=locked.back_url,
    )


RecordChange = Callable[[Session, Database, User, int, PostedForm], object]
RecordPage = Callable[[Request, Session, Database, User, int, dict[str, str], dict[str, str]], Response]


def record_form(
    router: APIRouter,
    page: str,
    id_name: str,
    action: str,
    *,
    save: RecordChange,
    again: RecordPage,
    done: str,
    name: str,
) -> None:
    """Mount one of the forms on a record's page: ``POST {page}/{id}/{action}`` runs ``save(db, database, user, id,
    form)`` through ``submit``, then goes back to ``{page}/{id}?done={done}``, or shows the page again with
    ``again(request, db, database, user, id, form, errors)``. ``name`` names the endpoint."""

    async def handler(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
        number = path_record_id(request, id_name)
        return await submit(
            request,
            db,
            lambda form: save(db, database, user, number, form),
            done=f"{page}/{number}?done={done}",
            again=lambda form, errors: again(request, db, database, user, number, form.as_dict(), errors),
        )

    handler.__name__ = name
    router.add_api_route(f"{page}/{{{id_name}}}/{action}", handler, methods=["POST"], include_in_schema=False)
