"""The data quality officer's pages: the queue of proposed duplicates, a pair with its evidence, "not the same
person", the merge preview and its confirmation, a merge's record, and the unmerge preview and its confirmation.

Routes only translate between HTTP and the services (``queue``, ``merging``), which ask the access policy and audit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import record_id
from safeguarding.core.users import User
from safeguarding.people.duplicates import merging, queue
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.forms import PostedForm, read_query, submit
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

FLASH = {
    "checked": "Duplicate check run",
    "rejected": "Recorded as two different people: this pair will not be proposed again",
    "merged": "Records merged",
    "unmerged": "Merge undone: both records are as they were",
}


# --- the queue ---------------------------------------------------------------------------------------------------


@router.get("/duplicates", include_in_schema=False)
def queue_page(request: Request, db: DbSession, database: Db, user: CurrentUser, done: str | None = None) -> Response:
    pairs = queue.queue(db, database, user)
    return render(
        request,
        "people/duplicates_queue.html",
        title="Possible duplicates",
        pairs=pairs,
        flash=FLASH.get(done or ""),
        summary=request.query_params.get("summary"),
    )


@router.post("/duplicates/check", include_in_schema=False)
async def check_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    result: list[queue.CheckResult] = []

    def save(_form: PostedForm) -> None:
        result.append(queue.run_check(db, database, user))

    return await submit(
        request,
        db,
        save,
        done=lambda _none: "/duplicates?done=checked",
        again=lambda _form, _errors: queue_page(request, db, database, user),
    )


# --- one pair ----------------------------------------------------------------------------------------------------


def _pair_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    pair_id: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    shown = queue.view_pair(db, database, user, pair_id)
    return render(
        request,
        "people/duplicates_pair.html",
        status_code=422 if errors else 200,
        title="Possible duplicate",
        shown=shown,
        form=form or {},
        errors=errors,
    )


@router.get("/duplicates/{pair_id}", include_in_schema=False)
def pair_page(request: Request, pair_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _pair_page(request, db, database, user, pair_id)


@router.post("/duplicates/{pair_id}/not-same-person", include_in_schema=False)
async def reject_page(request: Request, pair_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: queue.reject(db, database, user, pair_id, form.get("reason", "")),
        done="/duplicates?done=rejected",
        again=lambda form, errors: _pair_page(request, db, database, user, pair_id, form.as_dict(), errors),
    )


# --- merging -----------------------------------------------------------------------------------------------------


def _sides(db: Session, database: Database, user: User, pair_id: int, form: PostedForm) -> tuple[int, int]:
    """(survivor, merged) as the officer chose; the older record survives unless they say otherwise."""
    pair = queue.view_pair(db, database, user, pair_id).pair
    survivor = record_id(form.get("survivor"))
    if survivor not in (pair.left_id, pair.right_id):
        survivor = pair.left_id
    return (pair.left_id, pair.right_id) if survivor == pair.left_id else (pair.right_id, pair.left_id)


def _choices(form: PostedForm) -> dict[str, str]:
    return {
        name: form.get(f"choice.{name}", "")
        for name, _label in merging.CHOOSABLE
        if form.get(f"choice.{name}") in (merging.SURVIVOR, merging.MERGED)
    }


def _merge_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    pair_id: int,
    form: PostedForm,
    errors: dict[str, str] | None = None,
) -> Response:
    survivor_id, merged_id = _sides(db, database, user, pair_id, form)
    plan = merging.merge_preview(db, database, user, survivor_id, merged_id, _choices(form))
    return render(
        request,
        "people/duplicates_merge.html",
        status_code=422 if errors else 200,
        title="Merge these records",
        pair_id=pair_id,
        plan=plan,
        form=form.as_dict(),
        errors=errors,
    )


@router.get("/duplicates/{pair_id}/merge", include_in_schema=False)
def merge_preview_page(request: Request, pair_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _merge_page(request, db, database, user, pair_id, read_query(request))


def _merge(db: Session, database: Database, user: User, pair_id: int, form: PostedForm) -> int:
    survivor_id, merged_id = _sides(db, database, user, pair_id, form)
    # Every problem at once, in the form's order: the details to choose, the reason, the confirmation.
    plan = merging.merge_preview(db, database, user, survivor_id, merged_id, _choices(form))
    errors = merging.choice_problems(plan.fields)
    errors |= merging.reason_problems(form.get("reason", ""), merging.MERGE_REASON)
    if form.get("confirm") != "yes":
        errors["confirm"] = "Confirm that these two records are the same person"
    if errors:
        raise ValidationFailed(errors)
    found = merging.merge(
        db, database, user, survivor_id, merged_id, _choices(form), form.get("reason", ""), pair_id=pair_id
    )
    return found.id


@router.post("/duplicates/{pair_id}/merge", include_in_schema=False)
async def merge_page(request: Request, pair_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return await submit(
        request,
        db,
        lambda form: _merge(db, database, user, pair_id, form),
        done=lambda merge_id: f"/merges/{merge_id}?done=merged",
        again=lambda form, errors: _merge_page(request, db, database, user, pair_id, form, errors),
    )


# --- merges and unmerging ----------------------------------------------------------------------------------------


@router.get("/merges", include_in_schema=False)
def merges_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return render(request, "people/duplicates_merges.html", title="Merges", merges=merging.merges(db, database, user))


@router.get("/merges/{merge_id}", include_in_schema=False)
def merge_record_page(
    request: Request, merge_id: RecordId, db: DbSession, database: Db, user: CurrentUser, done: str | None = None
) -> Response:
    shown = merging.merge_record(db, database, user, merge_id)
    return render(
        request, "people/duplicates_merged.html", title="Merged record", shown=shown, flash=FLASH.get(done or "")
    )


def _unmerge_page(
    request: Request,
    db: Session,
    database: Database,
    user: User,
    merge_id: int,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    plan = merging.unmerge_preview(db, database, user, merge_id)
    return render(
        request,
        "people/duplicates_unmerge.html",
        status_code=422 if errors else 200,
        title="Undo this merge",
        plan=plan,
        fields=_before_fields(plan),
        form=form,
        errors=errors,
    )


def _before_fields(plan: merging.UnmergePlan) -> list[tuple[str, str, str]]:
    from safeguarding.people.models import Person

    table = Person.__table__
    shown: Callable[[dict[str, Any], str], str] = lambda before, name: merging.shown_value(  # noqa: E731
        name, merging.decoded(table, name, before.get(name))
    )
    return [
        (label, shown(plan.survivor_before, name), shown(plan.merged_before, name)) for name, label in merging.CHOOSABLE
    ]


@router.get("/merges/{merge_id}/unmerge", include_in_schema=False)
def unmerge_preview_page(
    request: Request, merge_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return _unmerge_page(request, db, database, user, merge_id, {})


def _unmerge(db: Session, database: Database, user: User, merge_id: int, form: PostedForm) -> int:
    errors = merging.reason_problems(form.get("reason", ""), merging.UNMERGE_REASON)
    if form.get("confirm") != "yes":
        errors["confirm"] = "Confirm that you want to undo this merge"
    if errors:
        raise ValidationFailed(errors)
    destinations = {name: form.get(name, "") for name in form if name.startswith("since.")}
    return merging.unmerge(db, database, user, merge_id, form.get("reason", ""), destinations).id


@router.post("/merges/{merge_id}/unmerge", include_in_schema=False)
async def unmerge_page(
    request: Request, merge_id: RecordId, db: DbSession, database: Db, user: CurrentUser
) -> Response:
    return await submit(
        request,
        db,
        lambda form: _unmerge(db, database, user, merge_id, form),
        done=lambda found_id: f"/merges/{found_id}?done=unmerged",
        again=lambda form, errors: _unmerge_page(request, db, database, user, merge_id, form.as_dict(), errors),
    )
