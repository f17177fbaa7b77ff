"""Site-wide tasks and the helper that queues work only after the transaction commits."""

import logging
from typing import Any

from celery import Task, shared_task
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
BROKER_ERRORS = (KombuOperationalError, RedisError, ConnectionError, OSError)


def enqueue_on_commit(task: Task, /, **kwargs: Any) -> None:
    """Queue ``task`` with keyword arguments once the current transaction commits (at once when
    there is none), so a worker never sees rows that were rolled back or not yet visible.

    If the broker is down the request that caused the work still succeeds: the data is
    committed, the failure is logged, and periodic tasks pick the work up later."""

    def send() -> None:
        try:
            task.apply_async(kwargs=kwargs, retry=False)
        except BROKER_ERRORS:
            logger.exception("broker unavailable; %s(%s) not queued", task.name, kwargs)

    transaction.on_commit(send)


@shared_task(name="kundeservice.tasks.ping")
def ping(*, payload: str) -> dict[str, Any]:
    """Round-trip check for operators and tests: echoes the payload with the worker's view of
    the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"payload": payload, "database": connection.vendor}
