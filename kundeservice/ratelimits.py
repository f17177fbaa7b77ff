"""Rate limits per client address and per account, with django-ratelimit's counters in the cache.

django-ratelimit is used as a library (``is_ratelimited``, ``get_usage``), not as an installed
app: its system checks reject the local-memory cache of the embedded default and warn on
Django's own Redis cache.

Two kinds of limit:
- ``over_limit`` counts every use (a poll's new responses, an order look-up) per address;
- ``failures_wait`` and ``failure_count`` count failed attempts at a secret (a password, an
  order's e-mail, an invitation link) per account *and* per client address, so neither one
  address trying many accounts nor many addresses trying one account gets far. Successful
  attempts cost nothing, so an office behind one address is not locked out by its own staff.
"""

import hashlib
import ipaddress
import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django_ratelimit import core as ratelimit_core
from django_ratelimit.core import get_usage, is_ratelimited

logger = logging.getLogger(__name__)

ViewFunction = Callable[..., HttpResponseBase]


def over_limit(request: HttpRequest, *, group: str, rate: str) -> bool:
    """Count one more use of ``group`` by this client address; True once past ``rate``.

    The cache is an optimisation of the site, not a gate to it: when it is down the limit is
    not enforced (and logged) rather than turning every respondent away.
    """
    try:
        return bool(is_ratelimited(request, group=group, key="ip", rate=rate, increment=True))
    except Exception:  # any cache backend error (connection refused, timeout)
        logger.warning("rate limit not checked for %s: cache unavailable", group, exc_info=True)
        return False


def too_many_attempts_message(wait: int) -> str:
    """What a 429 says, to people and API clients alike, in the active language."""
    minutes = max(1, (wait + 59) // 60)
    return ngettext(
        "Too many attempts. Please wait %(minutes)d minute and try again.",
        "Too many attempts. Please wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


def failures_wait(
    request: HttpRequest,
    *,
    group: str,
    account: str | None,
    account_rate: str | None,
    address_rate: str | None,
) -> int:
    """Seconds this client address must wait before trying ``group`` again, or anyone must
    before trying it on ``account``; 0 when the attempt may go ahead. Counts nothing, and
    reads every counter in one cache round trip (``_peek``): this runs before every look-up
    of a respondent's link."""
    return max(
        (
            _usage_wait(usage)
            for usage in _peek(request, group, account, account_rate, address_rate)
        ),
        default=0,
    )


def failure_count(
    request: HttpRequest,
    *,
    group: str,
    account: str | None,
    account_rate: str | None,
    address_rate: str | None,
) -> None:
    """Count one failed attempt at ``group`` against the account and the client address."""
    for key, rate in _counters(group, account, account_rate, address_rate):
        _usage(request, group, key, rate, increment=True)


def _counters(
    group: str, account: str | None, account_rate: str | None, address_rate: str | None
) -> list[tuple[str | None, str]]:
    """(key, rate) of the account's counter and the address's; a rate of None is not counted
    here."""
    counters: list[tuple[str | None, str]] = []
    if account is not None and account_rate is not None:
        # The account as typed, folded, and hashed: the cache holds no user names or e-mails.
        folded = account.strip().casefold()
        digest = hashlib.sha256(f"{group}:{folded}".encode()).hexdigest()
        counters.append((digest, account_rate))
    if address_rate is not None:
        counters.append((None, address_rate))
    return counters


def _usage(
    request: HttpRequest, group: str, account: str | None, rate: str, *, increment: bool
) -> dict[str, Any] | None:
    """django-ratelimit's usage of one counter: the account's, or the address's (None)."""
    if account is None and not request.META.get("REMOTE_ADDR"):
        return None  # no address to count (a WSGI call without one: only in tests)
    try:
        if account is None:
            return get_usage(
                request, group=f"{group}:address", key="ip", rate=rate, increment=increment
            )
        return get_usage(
            request,
            group=f"{group}:account",
            key=lambda _group, _request: account,
            rate=rate,
            increment=increment,
        )
    except Exception:  # any cache backend error: not enforced, as in over_limit
        logger.warning("rate limit not checked for %s: cache unavailable", group, exc_info=True)
        return None


def _peek(
    request: HttpRequest,
    group: str,
    account: str | None,
    account_rate: str | None,
    address_rate: str | None,
) -> list[dict[str, Any] | None]:
    """The usage of each counter ``_usage`` keeps, as django-ratelimit's ``get_usage`` reports
    it without counting, read with one ``get_many``. (``get_usage`` without counting still
    writes a zero with ``add`` and then reads: two round trips a counter. The keys are its own,
    made by its helpers; a test holds the two to the same answers.)"""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return []
    try:
        wanted = _peek_keys(request, group, account, account_rate, address_rate)
        counts = (
            caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")].get_many(
                [cache_key for cache_key, _limit, _window in wanted]
            )
            if wanted
            else {}
        )
    except Exception:  # any cache backend error: not enforced, as in over_limit
        logger.warning("rate limit not checked for %s: cache unavailable", group, exc_info=True)
        return []
    now = int(time.time())
    return [
        {"count": counts.get(cache_key, 0), "limit": limit, "time_left": window - now}
        for cache_key, limit, window in wanted
    ]


def _peek_keys(
    request: HttpRequest,
    group: str,
    account: str | None,
    account_rate: str | None,
    address_rate: str | None,
) -> list[tuple[str, int, int]]:
    """(cache key, limit, end of the window) of each counter ``_usage`` keeps."""
    wanted: list[tuple[str, int, int]] = []
    for key, rate in _counters(group, account, account_rate, address_rate):
        if key is not None:
            value, counter_group = key, f"{group}:account"
        elif request.META.get("REMOTE_ADDR"):
            value, counter_group = ratelimit_core._SIMPLE_KEYS["ip"](request), f"{group}:address"
        else:
            continue  # no address to count (a WSGI call without one: only in tests)
        limit, period = ratelimit_core._split_rate(rate)
        window = ratelimit_core._get_window(value, period)
        cache_key = ratelimit_core._make_cache_key(
            counter_group, window, rate, value, ratelimit_core.ALL
        )
        wanted.append((cache_key, limit, window))
    return wanted


def _usage_wait(usage: dict[str, Any] | None) -> int:
    # django-ratelimit reports a cache that failed to count as limit 0 with no time left;
    # like over_limit, that does not turn people away.
    if usage is None or usage["time_left"] < 0 or usage["count"] < usage["limit"]:
        return 0
    return max(1, int(usage["time_left"]))


def guesses_limited(
    *, group: str, rate_setting: str, json: bool = False
) -> Callable[[ViewFunction], ViewFunction]:
    """Wrap a view that looks a secret link up (``/s/<token>/``): each 404 it answers counts
    against the client address, and past the rate in ``settings.<rate_setting>`` the address is
    answered 429 without a look-up until the period is over. Real links never count."""

    def decorator(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            rate = getattr(settings, rate_setting)
            limits: dict[str, Any] = {
                "group": group,
                "account": None,
                "account_rate": None,
                "address_rate": rate,
            }
            wait = failures_wait(request, **limits)
            if wait:
                return _too_many(request, wait, json=json)
            response = view(request, *args, **kwargs)
            if response.status_code == 404:
                failure_count(request, **limits)
            return response

        return wrapped

    return decorator


def _too_many(request: HttpRequest, wait: int, *, json: bool) -> HttpResponse:
    message = too_many_attempts_message(wait)
    response: HttpResponse
    if json:
        response = JsonResponse({"detail": message, "code": "throttled"}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(wait)
    return response


def client_ip(request: HttpRequest) -> str:
    """The client's address behind ``TRUSTED_PROXY_COUNT`` reverse proxies.

    Each proxy appends the address it was connected from to X-Forwarded-For, so the client is the
    entry that many places from the end; anything before it was written by the client and is not
    trusted. A header with too few or malformed entries falls back to the connecting address.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
    ]
    if hops <= 0 or len(forwarded) < hops:
        return remote
    candidate = forwarded[-hops]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate
