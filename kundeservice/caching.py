"""The cache as an optimisation that can never outlive a permission.

One rule for everything embargoed (unpublished results, finalists and winners before their
time, scheduled episodes): a public response is served only after a visibility check that runs
on every request, cache hits included, and the cache key carries the version of what the
public may see. That version is a counter in the database (``PublicVersion``), bumped in the
same transaction as the change of visibility: it cannot fail apart from the change, so a cache
that stalls or is down while staff hide a wave or reveal a winner leaves, at worst, entries that
no request will ask for again. Nothing here trusts the cache to forget.

The cache itself is never needed: when Redis is down every read is a miss and every write is
dropped, and pages are built afresh.
"""

import hashlib
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from kundeservice.models import PublicVersion

logger = logging.getLogger(__name__)

#: Query parameters a cached public page may carry; any other URL is built afresh (random
#: query strings must not fill the cache).
CACHED_PARAMETERS = frozenset({"download", "format"})
#: Headers kept with a cached body.
KEPT_HEADERS = ("Content-Disposition", "Content-Language", "ETag", "Last-Modified")


def safe_cache_get(key: str) -> Any:
    """The cached value, or None when there is none or the cache does not answer."""
    try:
        return cache.get(key)
    except Exception:  # any backend error (connection refused, timeout) means "not cached"
        logger.warning("cache unavailable reading %s", key, exc_info=True)
        return None


def safe_cache_set(key: str, value: Any, timeout: int | None) -> None:
    """Store a value if the cache answers; a failure only costs the next reader a rebuild."""
    try:
        cache.set(key, value, timeout)
    except Exception:  # see safe_cache_get
        logger.warning("cache unavailable writing %s", key, exc_info=True)


def visibility_version(name: str) -> int:
    """The current version of what the public may see under ``name`` (one indexed read)."""
    found = PublicVersion.objects.filter(name=name).values_list("version", flat=True).first()
    return found or 0


def visibility_versions(names: tuple[str, ...]) -> str:
    """The versions of several names at once, as one key part (one query)."""
    if len(names) == 1:
        return str(visibility_version(names[0]))
    found = dict(PublicVersion.objects.filter(name__in=names).values_list("name", "version"))
    return ".".join(str(found.get(name, 0)) for name in names)


def visibility_bump(name: str) -> None:
    """Start a new version of ``name``: call it inside the transaction that changes what the
    public may see, so both commit (or roll back) together."""
    with transaction.atomic():
        if PublicVersion.objects.filter(name=name).update(version=F("version") + 1):
            return
        try:
            with transaction.atomic():
                PublicVersion.objects.create(name=name, version=1)
        except IntegrityError:  # created meanwhile by another transaction
            PublicVersion.objects.filter(name=name).update(version=F("version") + 1)


def cached_for_the_public(
    *,
    namespace: str | Callable[[], tuple[str, ...]],
    visible: Callable[..., Any],
    timeout: Callable[[], int] | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve anonymous GETs of a view from the cache, after ``visible(**view_kwargs)`` says on
    this very request what the public may see.

    ``visible`` returns a token that changes with what the page shows (a result set's id, a
    reveal state), or None when the page is not public: the view then runs uncached and answers
    for itself (404 to the public, a preview to staff). The key is the namespace's
    ``visibility_version`` (several namespaces' when a page shows content of several, given as
    a function returning their names), the token, the language and the URL."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.is_authenticated or not set(request.GET) <= CACHED_PARAMETERS:
                return view(request, *args, **kwargs)
            token = visible(**kwargs)
            if token is None:
                return view(request, *args, **kwargs)
            path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
            names = (namespace,) if isinstance(namespace, str) else namespace()
            version = visibility_versions(names)
            key = f"public:{'+'.join(names)}:{version}:{token}:{get_language()}:{path}"
            hit = safe_cache_get(key)
            if hit is not None:
                return HttpResponse(
                    hit["content"], content_type=hit["type"], headers=hit["headers"]
                )
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                headers = {k: response[k] for k in KEPT_HEADERS if k in response}
                stored = {
                    "content": response.content,
                    "type": response["Content-Type"],
                    "headers": headers,
                }
                seconds = timeout() if timeout else settings.RESULTS_CACHE_SECONDS
                safe_cache_set(key, stored, seconds)
            return response

        return wrapped

    return decorator
