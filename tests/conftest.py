"""Test harness shared by every suite.

Tests run on whatever ``scripts/with-services`` found: PostgreSQL and Redis when they answer,
else SQLite with eager Celery. With ``REQUIRE_SERVICES=1`` (CI) a missing service, or a missing
Chromium, fails the run instead of letting any test skip.
"""

import ipaddress
import os
import shutil
import socket
from typing import Any
from urllib.parse import urlparse

import pytest
from celery.result import _set_task_join_will_block
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from kundeservice import tasks
from kundeservice.celery import app as celery_app
from kundeservice.rediscache import ResilientRedisCache

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def redis_available() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1).close()
    except OSError:
        return False
    return True


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def shared_test_db() -> bool:
    """Can another process (a worker, a server) open the test database? Not SQLite's in-memory
    test database: given its name, a subprocess made a file ``memorydb_default`` instead."""
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("sqlite3"):
        return True
    name = str((db.get("TEST") or {}).get("NAME") or "")
    return bool(name) and "mode=memory" not in name and name != ":memory:"


def database_url_for_test_db() -> str:
    """A URL for the test database, for server and worker processes the tests start."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        if "mode=memory" in str(db["NAME"]) or db["NAME"] == ":memory:":
            raise pytest.UsageError(
                "SQLite's in-memory test database cannot be shared with another process; "
                "use PostgreSQL (DATABASE_URL) for tests that start workers or servers"
            )
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{user}{password}@{host}/{db['NAME']}"


def chromium_available() -> bool:
    return shutil.which(CHROMIUM) is not None


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    where = f"{db.get('HOST') or 'local'}:{db.get('PORT') or ''}" if on_postgres() else db["NAME"]
    return [
        f"database: {db['ENGINE'].rsplit('.', 1)[-1]} ({where})",
        f"redis: {os.environ.get('REDIS_URL') or 'none (eager Celery, local-memory cache)'}",
        f"chromium: {CHROMIUM if chromium_available() else 'not found'}",
        f"REQUIRE_SERVICES={'1' if REQUIRE_SERVICES else '0'}",
    ]


def pytest_sessionstart(session: pytest.Session) -> None:
    if not REQUIRE_SERVICES:
        return
    missing = []
    if not on_postgres():
        missing.append("PostgreSQL (DATABASE_URL)")
    if not redis_available():
        missing.append("Redis (REDIS_URL)")
    if not chromium_available():
        missing.append(f"Chromium ({CHROMIUM})")
    if missing:
        pytest.exit(f"REQUIRE_SERVICES=1 but missing: {', '.join(missing)}", returncode=2)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without REQUIRE_SERVICES, tests whose service is absent are skipped with the reason."""
    if REQUIRE_SERVICES:
        return
    reasons = {
        "postgres": (on_postgres(), "needs PostgreSQL: set DATABASE_URL or start it on 5432"),
        "integration": (
            redis_available() and shared_test_db(),
            "needs Redis (set REDIS_URL or start it on 6379) and a database a worker can share "
            "(PostgreSQL: set DATABASE_URL or start it on 5432)",
        ),
        "e2e": (chromium_available(), f"needs Chromium at {CHROMIUM} (apt install chromium)"),
        "faults": (
            shutil.which("redis-server") is not None,
            "needs redis-server on the PATH (apt install redis-server)",
        ),
    }
    for item in items:
        for marker, (available, reason) in reasons.items():
            if item.get_closest_marker(marker) and not available:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _webhooks_stay_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sends a webhook off this machine or asks DNS about a name: besides IP literals
    only ``localhost`` resolves, and a webhook to anything but loopback fails the test. (The
    schema fuzzer makes endpoints from made-up URLs; tests of the SSRF checks replace both.)"""
    from webhooks import transport

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host != "localhost":
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise socket.gaierror(f"tests resolve only localhost, not {host!r}") from None
        return real_getaddrinfo(host, port, *args, **kwargs)

    real_pool = transport._pool

    def loopback_only(target: Any) -> Any:
        if not ipaddress.ip_address(target.address).is_loopback:
            raise AssertionError(f"a test tried to send a webhook to {target.address}")
        return real_pool(target)

    monkeypatch.setattr(transport.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(transport, "_pool", loopback_only)


@pytest.fixture(autouse=True)
def _isolated(settings: pytest.FixtureRequest) -> None:
    """Fast password hashing, eager tasks, an empty cache and outbox, and bokmål for every test
    (a request to an /en/ page leaves English active in the thread: an earlier test's last
    request must not decide what a later test's ``reverse`` gives)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    tasks._broker_down_until = 0.0  # no test starts with the broker found down by another
    ResilientRedisCache.down_until = 0.0  # nor the cache
    # Celery marks "inside a task" with a process-wide flag around each eager run; two eager
    # runs at once (a live server's threads: a submit queues the webhook dispatch) can leave it
    # set, and a later result.get() then refuses to wait.
    _set_task_join_will_block(False)
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)
