"""Answer "304 Not Modified" to endpoints that thousands of clients poll, before Django's
request stack runs.

The award night's live page polls every two seconds from every phone in the hall; nearly every
poll is answered "nothing changed". Such an endpoint registers a function giving its current
ETag; a GET whose ``If-None-Match`` equals it gets a bodiless 304 here. Anything else — no
ETag sent, a different one, an error — goes to Django, which builds the response after its usual
checks. A 304 carries no content, so it can reveal nothing: it only tells a client that what it
already has is current. Each process remembers an ETag for ``MEMO_SECONDS``, so a poll costs a
database read a few times a second at most, whatever the number of clients; a change reaches a
poller within its interval plus that.

An endpoint whose content is the same for every client (``shared=True``) also has its last 200
kept per process, with its headers, under the ETag Django gave it: a poll whose ETag is stale
gets that copy while it is still current, instead of Django rendering it again for every client
(after a reveal every phone in the hall asks within one polling interval). A response that sets
a cookie is never kept, and a copy is served only while its ETag is the current one, which
moves with anything that changes what the endpoint shows.
"""

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import close_old_connections

logger = logging.getLogger(__name__)
#: How long a process reuses an endpoint's ETag before asking again.
MEMO_SECONDS = 0.25


@dataclass(frozen=True)
class Conditional:
    """An endpoint answered here: ``patterns()`` gives its paths (built on first use, so they
    may come from the URLconf), ``etag(match)`` its current ETag or None (let Django answer)."""

    name: str
    patterns: Callable[[], list[re.Pattern[str]]]
    etag: Callable[[re.Match[str]], str | None]
    #: True when every client gets the same 200 for a given ETag (nothing per user or cookie).
    shared: bool = False


_routes: list[Conditional] = []


def register_conditional(route: Conditional) -> None:
    if all(r.name != route.name for r in _routes):
        _routes.append(route)


class NotModifiedShortcut:
    """WSGI middleware around Django's application."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self._compiled: list[tuple[Conditional, re.Pattern[str]]] = []
        self._compiled_routes = 0
        self._memo: dict[str, tuple[float, str | None]] = {}
        # path -> (ETag, headers, body) of the last 200 Django gave for a shared endpoint.
        self._bodies: dict[str, tuple[str, list[tuple[str, str]], bytes]] = {}
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        wanted = environ.get("HTTP_IF_NONE_MATCH")
        if wanted and environ.get("REQUEST_METHOD") == "GET" and _routes:
            path = environ.get("PATH_INFO", "")
            route, etag = self._current(path)
            if etag is not None and etag == wanted:
                start_response(
                    "304 Not Modified",
                    [
                        ("ETag", etag),
                        ("Cache-Control", "no-cache, private"),
                        ("Vary", "Accept-Language, Cookie"),
                    ],
                )
                return [b""]
            if etag is not None and route is not None and route.shared:
                kept = self._bodies.get(path)
                if kept is not None and kept[0] == etag:
                    start_response("200 OK", list(kept[1]))
                    return [kept[2]]
                return self._keep(path, environ, start_response)
        return self.app(environ, start_response)

    def _keep(
        self, path: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Django's answer, kept for the next stale poll when it is a 200 with an ETag and no
        cookie."""
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, *exc_info)

        result = self.app(environ, capture)
        headers: list[tuple[str, str]] = seen.get("headers", [])
        names = {name.lower(): value for name, value in headers}
        if not str(seen.get("status", "")).startswith("200 ") or "set-cookie" in names:
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # Django's request_finished: connections go back as after any request
        if names.get("etag"):
            if len(self._bodies) > 1_000:
                self._bodies.clear()
            self._bodies[path] = (names["etag"], list(headers), body)
        return [body]

    def _current(self, path: str) -> tuple[Conditional | None, str | None]:
        for route, pattern in self._patterns():
            match = pattern.fullmatch(path)
            if match is None:
                continue
            now = time.monotonic()
            remembered = self._memo.get(path)
            if remembered is not None and now - remembered[0] < MEMO_SECONDS:
                return route, remembered[1]
            try:
                close_old_connections()  # outside a request: drop a connection past its age
                etag = route.etag(match)
            except Exception:  # the database is away: Django answers, with its own handling
                logger.warning("ETag of %s not found; Django answers", path, exc_info=True)
                return route, None
            if len(self._memo) > 10_000:  # only polled paths land here; never let it grow
                self._memo.clear()
            self._memo[path] = (now, etag)
            return route, etag
        return None, None

    def _patterns(self) -> list[tuple[Conditional, re.Pattern[str]]]:
        if self._compiled_routes != len(_routes):
            with self._lock:
                self._compiled = [(route, p) for route in _routes for p in route.patterns()]
                self._compiled_routes = len(_routes)
        return self._compiled
