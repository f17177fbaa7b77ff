"""Site-wide tasks and the helper that queues work only after the transaction commits."""

import logging
import threading
import time
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
BROKER_ERRORS = (KombuOperationalError, RedisError, ConnectionError, OSError)
#: Seconds a process queues nothing after the broker was found down.
BROKER_DOWN_PAUSE = 60.0
_broker_down_until = 0.0  # time.monotonic() before which this process queues nothing


def queue_down_message() -> str:
    """What staff read on a job or a run that could not be queued."""
    return _("The task queue is not answering, so this was not started. Try again shortly.")


def enqueue(task: Task, /, *, countdown: float | None = None, **kwargs: Any) -> bool:
    """Queue ``task`` with keyword arguments now (to run ``countdown`` seconds later); False,
    logged, when the broker cannot take it.

    Finding the broker down is slow: redis-py retries the connection for some 6 s, and a hung
    Redis (connections accepted, never answered) holds a publish until its socket timeouts. So
    a publish is given ``settings.ENQUEUE_DEADLINE`` seconds, and after a failure this process
    queues nothing for ``BROKER_DOWN_PAUSE`` seconds, and answers False at once. (Task results
    are not stored, ``CELERY_TASK_IGNORE_RESULT``: queueing a task that kept its result also
    waited 19 s for the result store, then raised ``RuntimeError``.)

    Run eagerly (no broker: development and tests) the task runs here; what it raises is its
    own failure, which its job records, so that is logged and True returned."""
    global _broker_down_until
    eager = task.app.conf.task_always_eager
    if not eager and time.monotonic() < _broker_down_until:
        logger.warning("broker found down just now; %s(%s) not queued", task.name, kwargs)
        return False
    options: dict[str, Any] = {"kwargs": kwargs, "retry": False}
    if countdown is not None:
        options["countdown"] = countdown
    try:
        if eager:
            task.apply_async(**options)
        else:
            _publish_within(task, options, settings.ENQUEUE_DEADLINE)
    except BROKER_ERRORS:
        logger.exception("broker unavailable; %s(%s) not queued", task.name, kwargs)
        if eager:
            return True
        _broker_down_until = time.monotonic() + BROKER_DOWN_PAUSE
        return False
    return True


class BrokerDeadline(TimeoutError):
    """The broker took the connection but did not answer in time (a hung Redis)."""


def _publish_within(task: Task, options: dict[str, Any], deadline: float) -> None:
    """Publish in a helper thread and wait at most ``deadline`` seconds for it.

    The broker's socket timeouts bound each read and write, but the client may connect, retry
    and time out more than once; a request waits for none of that. A publish still under way
    when the deadline passes finishes (or fails on its socket timeout) in its thread; the
    caller treats the task as not queued, and the sweep that covers a down broker catches the
    work up (a task that did reach the broker then runs twice, which every task allows)."""
    outcome: list[BaseException | None] = []

    def publish() -> None:
        try:
            task.apply_async(**options)
        except BaseException as exc:  # handed to the caller below
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=publish, name=f"enqueue {task.name}", daemon=True)
    thread.start()
    thread.join(deadline)
    if not outcome:
        raise BrokerDeadline(f"the broker did not take {task.name} within {deadline:g} s")
    if outcome[0] is not None:
        raise outcome[0]


def enqueue_on_commit(task: Task, /, **kwargs: Any) -> None:
    """Queue ``task`` with keyword arguments once the current transaction commits (at once when
    there is none), so a worker never sees rows that were rolled back or not yet visible.

    If the broker is down the request that caused the work still succeeds: the data is
    committed and the failure logged. A task given a ``job_id`` has that job failed with a
    message to try again (nothing else would ever run it); other work is caught up by its
    periodic task."""

    def send() -> None:
        if not enqueue(task, **kwargs) and "job_id" in kwargs:
            from kundeservice.jobs import job_fail

            job_fail(job_id=kwargs["job_id"], message=queue_down_message())

    transaction.on_commit(send)


@shared_task(name="kundeservice.tasks.ping", ignore_result=False)
def ping(*, payload: str) -> dict[str, Any]:
    """Round-trip check for operators and tests: echoes the payload with the worker's view of
    the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"payload": payload, "database": connection.vendor}
