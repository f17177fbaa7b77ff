"""Fault tests: real processes (gunicorn, Celery workers, a private Redis and PostgreSQL) are
stopped, hung, killed and restarted while the site works. Every test here is marked
``faults`` and ``postgres`` (the processes share the test database); they run in CI."""

import subprocess
from collections.abc import Iterator

import pytest

from kundeservice.celery import app as celery_app
from tests.faults.services import PrivateRedis
from tests.integration.conftest import start_worker, stop_worker


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.close()


@pytest.fixture
def real_worker(transactional_db: None) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker on the test's own Redis database (``REDIS_URL``), as in the integration
    tests; stopped (if still alive) afterwards."""
    worker = start_worker()
    try:
        yield worker
    finally:
        celery_app.conf.task_always_eager = True
        stop_worker(worker)
