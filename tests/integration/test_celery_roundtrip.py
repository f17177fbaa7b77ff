"""A task goes through Redis to a real worker process and its result comes back."""

import os
from typing import Any

from django.conf import settings

from kundeservice.tasks import ping


def test_task_round_trips_through_a_real_worker(celery_worker: Any, worker_log: Any) -> None:
    assert not settings.CELERY_TASK_ALWAYS_EAGER or os.environ.get("REDIS_URL")
    result = ping.apply_async(kwargs={"payload": "hei"})
    answer = result.get(timeout=30)
    assert answer == {
        "payload": "hei",
        "database": "postgresql" if "postgres" in os.environ.get("DATABASE_URL", "") else "sqlite",
    }
    assert result.successful()
    assert "kundeservice.tasks.ping" in worker_log()


def test_healthz_sees_the_real_broker(celery_worker: Any, client: Any, settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    body = client.get("/healthz").json()
    assert body["checks"]["broker"] == {**body["checks"]["broker"], "ok": True, "backend": "redis"}
