"""Every response carries a strict Content-Security-Policy and a Permissions-Policy; the door's
scanner page alone may compile WebAssembly."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from kundeservice.roles import Role
from tests.awards.ticketing import shop_with_type
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("path", ["/", "/en/", "/konto/logg-inn/", "/healthz", "/api/v1/"])
def test_pages_forbid_inline_and_foreign_scripts(client: Any, path: str) -> None:
    response = client.get(path)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["frame-src"] == ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]
    permissions = response["Permissions-Policy"]
    assert "camera=(self)" in permissions
    assert "microphone=()" in permissions
    assert "geolocation=()" in permissions


def test_the_api_docs_may_add_styles_but_no_inline_script(client: Any) -> None:
    policy = directives(client.get("/api/docs/")["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]


def test_only_the_scanner_may_compile_webassembly(client: Any) -> None:
    _shop, ticket = shop_with_type()
    client.force_login(UserFactory(roles=[Role.DOOR_STAFF]))
    response = client.get(reverse("checkin-scanner", args=[ticket.event.pk]))
    assert response.status_code == 200, response.status_code
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"]


def test_no_template_carries_an_inline_script_or_event_handler() -> None:
    root = Path(settings.BASE_DIR)
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)
    offenders = [
        str(path.relative_to(root))
        for folder in ("templates", "kundeservice", "surveys", "awards", "webhooks")
        for path in (root / folder).rglob("*.html")
        if inline_script.search(text := path.read_text()) or handler.search(text)
    ]
    assert offenders == []
