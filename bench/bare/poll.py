"""The floor of a polled endpoint (``bench/floor.py live``): a WSGI callable with nothing
behind it — no Django, no database, no cache — answering a poll as the live feed's
``NotModifiedShortcut`` does: 304 with the ETag when ``If-None-Match`` is current, else a small
200. Served with the subject's gunicorn settings, it is what any design of the live page could
at best do on this machine with this server."""

import os
from collections.abc import Callable, Iterable
from typing import Any

ETAG = os.environ.get("BENCH_LIVE_ETAG", '"floor"')
BODY = b'{"categories": [], "revealed": []}'
HEADERS_304 = [
    ("ETag", ETAG),
    ("Cache-Control", "no-cache, private"),
    ("Vary", "Accept-Language, Cookie"),
]
HEADERS_200 = [
    *HEADERS_304,
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(BODY))),
]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("HTTP_IF_NONE_MATCH") == ETAG:
        start_response("304 Not Modified", HEADERS_304)
        return [b""]
    start_response("200 OK", HEADERS_200)
    return [BODY]
