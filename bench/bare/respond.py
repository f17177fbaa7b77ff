"""The floor of the browser survey (``bench/floor.py browser``): a WSGI callable with nothing
behind it — no Django, no database, no cache — answering the respondent's requests as
``/s/<token>/`` does, with bodies of the real pages' size: a page (200) for a GET and "Next",
204 for an autosave that changes nothing shown and for "Submit" (the thank-you GET after it
gets the same small page: the locust user checks only that it holds no survey form).
Served with the subject's gunicorn settings and driven by the same locust user, it is what any
design of the browser path could at best do on this machine with this server."""

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

#: About the size of a page of the benchmark's survey as the project sends it (3.6 KB for the
#: first page, more for a page of rating scales).
PAGE_BYTES = 8_000
FORM = (
    b'<!doctype html><html lang="nb"><body><div id="survey"><form method="post">'
    b'<input type="hidden" name="csrfmiddlewaretoken" value="floor">'
)
PAGE = FORM + b" " * (PAGE_BYTES - len(FORM) - 30) + b"</form></div></body></html>"
HTML = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["REQUEST_METHOD"] == "GET":
        body = PAGE
        start_response("200 OK", [*HTML, ("Content-Length", str(len(body)))])
        return [body]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    fields = parse_qs(environ["wsgi.input"].read(length).decode())
    action = fields.get("action", ["stay"])[0]
    if action == "submit" or environ.get("HTTP_X_AUTOSAVE"):
        start_response("204 No Content", [("Cache-Control", "no-store")])
        return [b""]
    start_response("200 OK", [*HTML, ("Content-Length", str(len(PAGE)))])
    return [PAGE]
