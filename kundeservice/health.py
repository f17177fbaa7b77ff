"""Health of what the site depends on: the database, the cache and the Celery broker."""

import time
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "backend": connection.vendor}


def check_cache() -> dict[str, Any]:
    key = f"healthz:{uuid.uuid4().hex}"
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
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"ok": True, "backend": app.conf.broker_url.split(":", 1)[0]}


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks(*, details: bool = True) -> tuple[bool, dict[str, Any]]:
    """Run every check; a failing one is reported with its error rather than raising. Without
    ``details`` the error is only its kind: its message names internal hosts and ports."""
    results: dict[str, Any] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            result = check()
        except Exception as exc:  # a health check reports every failure, whatever its type
            error = f"{type(exc).__name__}: {exc}" if details else type(exc).__name__
            result = {"ok": False, "error": error[:300]}
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    return all(r["ok"] for r in results.values()), results
