"""Rate limits per client address, with django-ratelimit's counters in the cache.

django-ratelimit is used as a library (``is_ratelimited``), not as an installed app: its system
checks reject the local-memory cache of the embedded default and warn on Django's own Redis cache.
"""

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

logger = logging.getLogger(__name__)


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
