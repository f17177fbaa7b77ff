"""Health of what the site depends on: the database, the cache and the Celery broker."""

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

#: Seconds /healthz waits for a check run beside the others (a hung Redis answers nothing).
CHECK_DEADLINE = 1.5


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "backend": connection.vendor}


def check_cache() -> dict[str, Any]:
    key = f"healthz:{uuid.uuid4().hex}"
    probe = getattr(cache, "probe", None)  # asks Redis even while the cache is skipped
    if probe is not None:
        ok = probe(key)
    else:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    backend = str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1]
    return {"ok": ok, "backend": backend}


def check_broker() -> dict[str, Any]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "backend": "eager"}
    from kundeservice.celery import app

    with app.connection_for_write() as conn:
        # One attempt: a retry would come after the deadline /healthz gives the check.
        conn.ensure_connection(max_retries=0)
    return {"ok": True, "backend": app.conf.broker_url.split(":", 1)[0]}


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


#: Checks that run in the request's own thread: the database connection belongs to it.
IN_REQUEST_THREAD = {"database"}


def _timed(check: Callable[[], dict[str, Any]], details: bool) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # a health check reports every failure, whatever its type
        error = f"{type(exc).__name__}: {exc}" if details else type(exc).__name__
        result = {"ok": False, "error": error[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def run_checks(*, details: bool = True) -> tuple[bool, dict[str, Any]]:
    """Run every check; a failing one is reported with its error rather than raising. Without
    ``details`` the error is only its kind: its message names internal hosts and ports.

    The cache and broker checks run at once in helper threads and are given ``CHECK_DEADLINE``
    seconds: a Redis that accepts connections and never answers makes them time out, and the
    answer still comes within two seconds, saying so."""
    results: dict[str, Any] = {}
    threads: dict[str, threading.Thread] = {}
    for name, check in CHECKS.items():
        if name in IN_REQUEST_THREAD:
            continue

        def run(name: str = name, check: Callable[[], dict[str, Any]] = check) -> None:
            results[name] = _timed(check, details)

        threads[name] = threading.Thread(target=run, name=f"healthz {name}", daemon=True)
        threads[name].start()
    deadline = time.monotonic() + CHECK_DEADLINE
    for name, check in CHECKS.items():
        if name in IN_REQUEST_THREAD:
            results[name] = _timed(check, details)
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if name not in results:
            results[name] = {
                "ok": False,
                "error": f"no answer within {CHECK_DEADLINE:g} s",
                "ms": round(CHECK_DEADLINE * 1000, 1),
            }
    ordered = {name: results[name] for name in CHECKS}
    return all(r["ok"] for r in ordered.values()), ordered
