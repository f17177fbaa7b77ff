"""``RenderedPages``: pages kept under the key of what they show, with per-request holes."""

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import add_message, constants
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpRequest
from django.test import RequestFactory

from kundeservice.pagecache import RenderedPages, field_values

PAGE = '<p>{{ name }}</p><input value="{{ csrf_token }}"><i>{{ nonce }}</i>'


@pytest.fixture
def templates(settings: Any) -> None:
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", {"page.html": PAGE})],
                "context_processors": ["django.contrib.messages.context_processors.messages"],
            },
        }
    ]


def _request() -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def _render(pages: RenderedPages, name: str, request: HttpRequest | None = None) -> str:
    nonces = iter(range(1000))
    response = pages.render(
        request or _request(),
        "page.html",
        {"name": name},
        key=name,
        holes={"nonce": lambda: f"n{next(nonces)}"},
    )
    return response.content.decode()


def test_holes_are_filled_per_request_and_the_rest_is_kept(templates: None) -> None:
    pages = RenderedPages()
    first, second = _render(pages, "Ada"), _render(pages, "Ada")
    assert len(pages) == 1
    assert first.startswith("<p>Ada</p>")
    assert second.startswith("<p>Ada</p>")
    assert "hole" not in first + second
    assert first.split('value="')[1][:64] != second.split('value="')[1][:64]  # own CSRF tokens


def test_the_least_recently_served_page_is_forgotten_first(templates: None) -> None:
    pages = RenderedPages(size=2)
    for name in ("a", "b", "a", "c"):
        _render(pages, name)
    assert len(pages) == 2
    assert [key[1] for key in pages._pages] == ["a", "c"]


def test_a_changed_setting_forgets_every_page(templates: None, settings: Any) -> None:
    pages = RenderedPages()
    _render(pages, "Ada")
    settings.SITE_NAME = "Annet"
    assert len(pages) == 0


def test_a_visitor_with_a_message_waiting_gets_a_page_of_their_own(templates: None) -> None:
    pages = RenderedPages()
    request = _request()
    add_message(request, constants.INFO, "Lagret")
    _render(pages, "Ada", request)
    assert len(pages) == 0


def test_field_values_change_with_any_field(django_user_model: Any, db: None) -> None:
    user = django_user_model.objects.create_user("ola")
    before = field_values(user)
    user.first_name = "Ola"
    assert field_values(user) != before
