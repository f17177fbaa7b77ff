"""A page rendered once a process and served again while nothing it shows has changed.

For a public page that many anonymous visitors load at once (the ticket shop in a rush: every
buyer loads it, and every refused reservation shows it again), rendering its templates is most
of its cost. ``RenderedPages`` keeps the rendered HTML under a key the view builds from
everything the page shows: the language, the URL, and the rows it reads with **all** their
field values (``field_values``), plus whatever the view computed from them or from the clock.
A change to any of them is a new key, so an entry is never stale; it is only forgotten when the
process has more pages than it keeps.

Per-request values cannot be in a shared page. They are rendered as *holes*, random markers
unique to the process, and filled in every response:

- the CSRF token (``{% csrf_token %}``, ``{{ csrf_token }}``): the request's own, from
  ``get_token``, which also sets the CSRF cookie as a normal render would;
- any value the view names in ``holes`` (a fresh idempotency key for the form, say).

Only a page that is the same for every visitor may be kept: the view calls ``render`` with
``cacheable=False`` for anything else. ``render`` also refuses on its own for a signed-in user
(the menu shows their consoles and a log-out form) and for a visitor with messages waiting.

It is not a security boundary: nothing embargoed may be rendered through it (that goes through
``kundeservice.caching``, which re-checks visibility on every hit).
"""

import secrets
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string


def field_values(instance: Model) -> tuple[Any, ...]:
    """Every concrete field's value of a row, in the model's field order: a key part that
    changes with anything a template could show of it."""
    return tuple(getattr(instance, field.attname) for field in instance._meta.concrete_fields)


class RenderedPages:
    """At most ``size`` rendered pages, the least recently served forgotten first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()
        # Only letters and digits: a template's escaping leaves them as they are.
        self._csrf_hole = f"csrfhole{secrets.token_hex(16)}"
        _ALL.add(self)

    def render(
        self,
        request: HttpRequest,
        template_name: str,
        context: dict[str, Any],
        *,
        key: Hashable,
        status: int = 200,
        holes: dict[str, Callable[[], str]] | None = None,
        cacheable: bool = True,
    ) -> HttpResponse:
        """The page as ``django.shortcuts.render`` would return it, from the kept HTML when
        ``key`` was rendered before. ``holes`` maps context names to what fills them on each
        request; the template must show those values only where escaping cannot change them."""
        holes = holes or {}
        if not cacheable or request.user.is_authenticated or len(get_messages(request)):
            filled = {name: make() for name, make in holes.items()}
            return HttpResponse(
                render_to_string(template_name, {**context, **filled}, request), status=status
            )
        full_key = (template_name, key)
        with self._lock:
            page = self._pages.get(full_key)
            if page is not None:
                self._pages.move_to_end(full_key)
        markers = {name: f"{name.replace('_', '')}hole{self._csrf_hole[8:]}" for name in holes}
        if page is None:
            page = render_to_string(
                template_name, {**context, **markers, "csrf_token": self._csrf_hole}, request
            )
            with self._lock:
                self._pages[full_key] = page
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        page = page.replace(self._csrf_hole, get_token(request))
        for name, make in holes.items():
            page = page.replace(markers[name], make())
        return HttpResponse(page, status=status)

    def __len__(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


#: Every ``RenderedPages`` of the process, forgotten when a setting changes (a test's
#: ``settings`` fixture): settings are the one input of a page that no key holds.
_ALL: "weakref.WeakSet[RenderedPages]" = weakref.WeakSet()


def _forget_all(**kwargs: Any) -> None:
    for pages in list(_ALL):
        pages.clear()


setting_changed.connect(_forget_all, dispatch_uid="kundeservice.pagecache")
