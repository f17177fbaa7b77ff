"""The WSGI shortcut that answers a polled endpoint's 304 before Django's stack: the same ETag
the view gives, 304 only when it matches, Django for everything else."""

import io
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from awards.models import EventState
from awards.services.categories import category_reveal
from awards.services.events import event_state_set
from kundeservice import notmodified
from kundeservice.roles import Role
from kundeservice.wsgi import application
from tests.awards.test_embargo import confirmed_night
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def call(
    path: str, etag: str | None = None, method: str = "GET"
) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "PATH_INFO": path,
        "REQUEST_METHOD": method,
        "HTTP_HOST": "127.0.0.1",
        "SERVER_NAME": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
    }
    setup_testing_defaults(environ)
    if etag:
        environ["HTTP_IF_NONE_MATCH"] = etag
    found: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_args: Any) -> None:
        found["status"], found["headers"] = status, dict(headers)

    body = b"".join(application(environ, start_response))
    return found["status"], found["headers"], body


@pytest.fixture(autouse=True)
def _fresh_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(application, "_memo", {})
    monkeypatch.setattr(notmodified, "MEMO_SECONDS", 0.0)


@pytest.mark.parametrize("prefix", ["/prisutdeling", "/en/award"])
def test_an_unchanged_feed_is_answered_here_and_a_reveal_gets_through(prefix: str) -> None:
    category = confirmed_night()
    manager = UserFactory(roles=[Role.AWARD_MANAGER])
    event_state_set(event=category.event, state=EventState.LIVE, by=manager)
    path = f"{prefix}/{category.event.slug}/live/feed/"
    status, headers, body = call(path)
    assert status.startswith("200")
    etag = headers["ETag"]
    status, headers, body = call(path, etag)
    assert (status, headers["ETag"], body) == ("304 Not Modified", etag, b"")
    category_reveal(category=category, by=manager)
    status, headers, body = call(path, etag)
    assert status.startswith("200")
    assert b"award-winner" in body
    assert headers["ETag"] != etag


def test_a_hidden_event_and_other_paths_go_to_django() -> None:
    category = confirmed_night(state=EventState.DRAFT)
    status, _headers, _body = call(f"/prisutdeling/{category.event.slug}/live/feed/", '"x"')
    assert status.startswith("404")
    status, _headers, _body = call("/healthz", '"anything"')
    assert not status.startswith("304")
