"""Fault tests: real processes (gunicorn, Celery workers, a private Redis and PostgreSQL) are
stopped, hung, killed and restarted while the site works. Every test here is marked
``faults`` and ``postgres`` (the processes share the test database); they run in CI."""

from collections.abc import Iterator

import pytest

from tests.faults.services import PrivateRedis


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
