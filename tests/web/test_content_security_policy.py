"""The Content-Security-Policy allows no inline script, no eval and no inline style, and nothing in the templates
needs them: every script is a file under /static, and data reaches it in JSON blocks (which are not executed)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import safeguarding
from safeguarding.web.templating import STATIC_DIR

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PACKAGE = Path(safeguarding.__file__).resolve().parent
TEMPLATES = sorted(PACKAGE.glob("**/templates/**/*.html"))
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.DOTALL)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/sign-in", "/api/v1/me", "/api/v1/docs", "/api/v1/openapi.json"])
def test_every_answer_refuses_inline_script_eval_and_inline_style(client: Any, path: str) -> None:
    assert client.get(path).headers["content-security-policy"] == CSP


def test_no_template_has_an_inline_script_an_event_handler_or_an_inline_style() -> None:
    assert TEMPLATES, "no templates found"
    found: list[str] = []
    for template in TEMPLATES:
        text = template.read_text(encoding="utf-8")
        name = template.relative_to(PACKAGE)
        for attributes in SCRIPT.findall(text):
            if "src=" not in attributes and 'type="application/json"' not in attributes:
                found.append(f"{name}: an inline <script{attributes}>")
        if re.search(r"<style\b", text, re.IGNORECASE):
            found.append(f"{name}: a <style> element")
        for tag in TAG.findall(text):
            if HANDLER.search(tag):
                found.append(f"{name}: an event handler attribute in {tag[:80]}")
            if STYLE_ATTRIBUTE.search(tag):
                found.append(f"{name}: a style attribute in {tag[:80]}")
    assert not found, "the CSP would refuse these:\n" + "\n".join(found)


def test_the_api_documentation_is_served_from_the_apps_own_files(client: Any) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.text
    assert "<script>" not in page and "cdn" not in page.lower()
    assert 'data-openapi-url="/api/v1/openapi.json"' in page
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets and "/static/api-docs.js" in assets
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} is not one of the app's own files"
        assert (STATIC_DIR / asset.removeprefix("/static/")).is_file(), f"{asset} is missing (run make setup)"
        assert client.get(asset).status_code == 200
