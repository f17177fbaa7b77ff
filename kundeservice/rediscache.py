"""Django's Redis cache, made to give up at once while Redis is found unwell.

The cache is an optimisation (``kundeservice.caching``): every caller copes with a miss or an
error. What it cannot cope with is waiting. A Redis that accepts connections and never answers
holds each operation for the socket timeout, and a request makes several (a version, a page, a
rate limit): with a 2 s timeout one request waited 8 s. So after one failed operation this
process skips Redis for ``CACHE_DOWN_PAUSE`` seconds: every operation raises
``CacheUnavailable`` without touching the network, which callers treat like any cache error.
"""

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

#: Seconds a process leaves Redis alone after an operation failed.
CACHE_DOWN_PAUSE = 30.0
#: The operations that reach Redis.
OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


class CacheUnavailable(ConnectionError):
    """Redis failed a moment ago; the cache is skipped for a while."""


class ResilientRedisCache(RedisCache):
    down_until = 0.0  # time.monotonic() before which this process skips Redis (class-wide)

    def probe(self, key: str) -> bool:
        """Write, read and delete ``key`` on Redis itself, paused or not (the health check);
        an answer ends the pause."""
        RedisCache.set(self, key, "1", timeout=5)
        ok = RedisCache.get(self, key) == "1"
        RedisCache.delete(self, key)
        ResilientRedisCache.down_until = 0.0
        return ok


def _guarded(name: str) -> Callable[..., Any]:
    operation = getattr(RedisCache, name)

    @wraps(operation)
    def guarded(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < ResilientRedisCache.down_until:
            raise CacheUnavailable("the cache failed just now; skipped for a while")
        try:
            return operation(self, *args, **kwargs)
        except (RedisError, OSError):
            ResilientRedisCache.down_until = time.monotonic() + CACHE_DOWN_PAUSE
            logger.warning("cache failed; skipping it for %g s", CACHE_DOWN_PAUSE)
            raise

    return guarded


for _name in OPERATIONS:
    setattr(ResilientRedisCache, _name, _guarded(_name))
