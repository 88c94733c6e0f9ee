"""The one form layer (web/forms.py): what a posted form reads as, and what a page answers for errors and success."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from safeguarding.core.errors import ValidationFailed
from safeguarding.web.forms import PostedForm, submit


def test_a_posted_form_keeps_the_last_value_and_every_repeated_one_without_the_csrf_token() -> None:
    form = PostedForm(
        [("csrf_token", "secret"), ("name", "Amy"), ("factors", "1A"), ("factors", "2B"), ("name", "Amelia")]
    )
    assert form["name"] == "Amelia"
    assert form.all("factors") == ["1A", "2B"]
    assert form.get("missing") is None and form.all("missing") == []
    assert "csrf_token" not in form and form.as_dict() == {"name": "Amelia", "factors": "2B"}


def _app(engine: Engine) -> FastAPI:
    app = FastAPI()

    @app.post("/save")
    async def save(request: Request) -> Response:
        session = Session(engine)

        def write(form: PostedForm) -> int:
            session.execute(text("INSERT INTO note (body) VALUES (:body)"), {"body": form.get("body", "")})
            if not form.get("body"):
                raise ValidationFailed({"body": "Enter the note"})
            session.commit()
            return 7

        def again(form: PostedForm, errors: dict[str, str]) -> Response:
            return HTMLResponse(f"{errors['body']}|{form.get('title')}")

        try:
            return await submit(request, session, write, done=lambda number: f"/notes/{number}", again=again)
        finally:
            session.close()

    return app


def test_errors_show_the_page_again_with_422_and_nothing_written_and_success_redirects_with_303() -> None:
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (body TEXT)"))
    client = TestClient(_app(engine))

    refused = client.post("/save", data={"title": "Visit", "body": ""}, follow_redirects=False)
    assert refused.status_code == 422
    assert refused.text == "Enter the note|Visit"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM note")).scalar_one() == 0

    saved = client.post("/save", data={"title": "Visit", "body": "Seen at home"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/notes/7"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT body FROM note")).scalars().all() == ["Seen at home"]
