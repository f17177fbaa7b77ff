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
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        wanted = environ.get("HTTP_IF_NONE_MATCH")
        if wanted and environ.get("REQUEST_METHOD") == "GET" and _routes:
            etag = self._current(environ.get("PATH_INFO", ""))
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
        return self.app(environ, start_response)

    def _current(self, path: str) -> str | None:
        for route, pattern in self._patterns():
            match = pattern.fullmatch(path)
            if match is None:
                continue
            now = time.monotonic()
            remembered = self._memo.get(path)
            if remembered is not None and now - remembered[0] < MEMO_SECONDS:
                return remembered[1]
            try:
                close_old_connections()  # outside a request: drop a connection past its age
                etag = route.etag(match)
            except Exception:  # the database is away: Django answers, with its own handling
                logger.warning("ETag of %s not found; Django answers", path, exc_info=True)
                return None
            if len(self._memo) > 10_000:  # only polled paths land here; never let it grow
                self._memo.clear()
            self._memo[path] = (now, etag)
            return etag
        return None

    def _patterns(self) -> list[tuple[Conditional, re.Pattern[str]]]:
        if self._compiled_routes != len(_routes):
            with self._lock:
                self._compiled = [(route, p) for route in _routes for p in route.patterns()]
                self._compiled_routes = len(_routes)
        return self._compiled
