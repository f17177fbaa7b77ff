"""Real concurrent clients against PostgreSQL: a gunicorn server on the test database."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import database_url_for_test_db

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/concurrency/" in str(item.fspath):
            item.add_marker(pytest.mark.postgres)


@contextmanager
def gunicorn(**extra_env: str) -> Iterator[str]:
    """gunicorn with 4 processes × 8 threads (32 requests at once, like production) on the test
    database, with ``extra_env`` added to its environment; yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_test_db(),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Every client here shares one IP: the poll rate limit is not what these tests measure.
        "POLL_RATE": "100000/h",
        **extra_env,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kundeservice.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--threads",
            "8",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # the shared machine can be slow to start 32 threads
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.terminate()
        raise RuntimeError("gunicorn did not start")
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture
def server_url(transactional_db: None) -> Iterator[str]:
    with gunicorn() as url:
        yield url
