"""Site-wide tasks and the helper that queues work only after the transaction commits."""

from typing import Any

from celery import Task, shared_task
from django.db import transaction


def enqueue_on_commit(task: Task, /, **kwargs: Any) -> None:
    """Queue ``task`` with keyword arguments once the current transaction commits (at once when
    there is none), so a worker never sees rows that were rolled back or not yet visible."""
    transaction.on_commit(lambda: task.apply_async(kwargs=kwargs))


@shared_task(name="kundeservice.tasks.ping")
def ping(*, payload: str) -> dict[str, Any]:
    """Round-trip check for operators and tests: echoes the payload with the worker's view of
    the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"payload": payload, "database": connection.vendor}
