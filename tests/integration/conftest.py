"""A real Celery worker process against Redis, sharing the test database."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kundeservice.celery import app as celery_app
from tests.conftest import database_url_for_test_db

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def start_worker() -> subprocess.Popen[bytes]:
    """Start ``celery worker`` on every queue, with this process's environment, and wait until
    it answers a ping. Its log goes to ``.pytest_cache/celery-worker.log``."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_test_db(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    log = open(ROOT / ".pytest_cache" / "celery-worker.log", "ab")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kundeservice",
            "worker",
            "--pool=solo",
            "-Q",
            "default,mail,aggregation,webhooks",
            "-n",
            f"pytest-{os.getpid()}@%h",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    celery_app.conf.task_always_eager = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError("celery worker exited at start; see .pytest_cache/celery-worker.log")
        if celery_app.control.ping(
            timeout=0.5, destination=[f"pytest-{os.getpid()}@{os.uname().nodename}"]
        ):
            return worker
    worker.terminate()
    raise RuntimeError("celery worker did not answer within 60 s")


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker; tasks go through Redis, not eagerly."""
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    (ROOT / ".pytest_cache" / "celery-worker.log").write_bytes(b"")
    worker = start_worker()
    yield worker
    celery_app.conf.task_always_eager = True
    stop_worker(worker)


@pytest.fixture
def worker_log() -> Any:
    return lambda: (ROOT / ".pytest_cache" / "celery-worker.log").read_text(errors="replace")
