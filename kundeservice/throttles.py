"""DRF's request throttles, with a clear message and without depending on the cache.

The counters live in the cache; when it does not answer, requests go through (and a warning is
logged) rather than every API call failing with it, as ``kundeservice.ratelimits`` does.
"""

import logging
from typing import Any

from rest_framework import throttling
from rest_framework.request import Request

logger = logging.getLogger(__name__)


class FailOpenMixin:
    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return bool(super().allow_request(request, view))  # type: ignore[misc]
        except Exception:  # any cache backend error (connection refused, timeout)
            logger.warning("API throttle not checked: cache unavailable", exc_info=True)
            return True


class AnonRateThrottle(FailOpenMixin, throttling.AnonRateThrottle):
    """Anonymous requests per client address."""


class UserRateThrottle(FailOpenMixin, throttling.UserRateThrottle):
    """Requests per signed-in account."""
