"""The WSGI shortcut that answers a polled endpoint's 304 before Django's stack: the same ETag
the view gives, 304 only when it matches, Django for everything else."""

import io
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from awards.models import EventState
from awards.services.categories import category_reveal, category_unreveal
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
    monkeypatch.setattr(application, "_bodies", {})
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


def test_after_a_reveal_every_stale_poll_gets_one_rendering_until_the_next_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a reveal the first stale poll is rendered by Django and the rest get that copy;
    the next change (hiding the reveal) is rendered again: no copy outlives its ETag."""
    category = confirmed_night()
    manager = UserFactory(roles=[Role.AWARD_MANAGER])
    event_state_set(event=category.event, state=EventState.LIVE, by=manager)
    path = f"/prisutdeling/{category.event.slug}/live/feed/"
    _status, headers, before = call(path)
    stale = headers["ETag"]
    category_reveal(category=category, by=manager)
    django_app = application.app
    rendered: list[str] = []

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        rendered.append(environ["PATH_INFO"])
        return django_app(environ, start_response)

    monkeypatch.setattr(application, "app", counting)
    answers = [call(path, stale) for _phone in range(5)]
    assert len(rendered) == 1
    assert {status for status, _h, _b in answers} == {"200 OK"}
    assert len({body for _s, _h, body in answers}) == 1
    assert b"award-winner" in answers[0][2]
    assert b"award-winner" not in before
    assert answers[-1][1] == answers[0][1]  # the same headers, the new ETag among them
    revealed = answers[0][1]["ETag"]
    assert call(path, revealed)[0] == "304 Not Modified"

    category_unreveal(category=category, by=manager, reason="Feil kategori")
    status, headers, body = call(path, revealed)
    assert len(rendered) == 2
    assert status == "200 OK"
    assert headers["ETag"] != revealed
    assert b"award-winner" not in body


def test_a_response_that_sets_a_cookie_is_never_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    category = confirmed_night()
    manager = UserFactory(roles=[Role.AWARD_MANAGER])
    event_state_set(event=category.event, state=EventState.LIVE, by=manager)
    path = f"/prisutdeling/{category.event.slug}/live/feed/"
    django_app = application.app

    def with_cookie(environ: dict[str, Any], start_response: Any) -> Any:
        def add_cookie(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            return start_response(status, [*headers, ("Set-Cookie", "sessionid=x")], *rest)

        return django_app(environ, add_cookie)

    monkeypatch.setattr(application, "app", with_cookie)
    call(path, '"stale"')
    assert application._bodies == {}
