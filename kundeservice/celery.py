"""The Celery application: JSON only, a queue per kind of work, time limits, the database beat
scheduler."""

import gc
import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init
from kombu import Queue
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kundeservice.settings")

app = Celery("kundeservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The names of settings.CELERY_TASK_QUEUES_NAMES (settings cannot be read here: the settings
# module imports this package).
app.conf.task_queues = [Queue(name) for name in ("default", "mail", "aggregation", "webhooks")]
app.conf.task_routes = {
    "surveys.tasks.send_*": {"queue": "mail"},
    "surveys.tasks.mail_*": {"queue": "mail"},
    "awards.tasks.mail_*": {"queue": "mail"},
    "surveys.tasks.aggregate_*": {"queue": "aggregation"},
    "webhooks.tasks.mail_*": {"queue": "mail"},
    "webhooks.tasks.*": {"queue": "webhooks"},
}
app.conf.beat_schedule = {
    "send-due-reminders": {"task": "surveys.tasks.send_due_reminders", "schedule": 60 * 60},
    "aggregate-stale-waves": {
        "task": "surveys.tasks.aggregate_stale_waves",
        "schedule": crontab(hour=2, minute=15),
    },
    # Submissions accepted while the broker was down (or whose task was lost) are saved here.
    "expand-submissions": {"task": "surveys.tasks.expand_submissions", "schedule": 60},
    # Ticket reservations hold seats for 15 minutes; this frees them and serves the waiting list.
    "release-expired-tickets": {"task": "awards.tasks.release_expired", "schedule": 60},
    # Webhooks whose dispatch was lost, and retries due later than a lane waits for.
    "webhooks-sweep": {"task": "webhooks.tasks.sweep", "schedule": 60},
    "webhooks-prune": {"task": "webhooks.tasks.prune", "schedule": crontab(hour=3, minute=40)},
    # Scheduled temperature updates go public within half a minute of their time.
    "publish-due-episodes": {"task": "surveys.tasks.publish_due_episodes", "schedule": 30},
}
app.autodiscover_tasks()


def _keep_channel_conninfo() -> None:
    """Keep the worker alive when Redis restarts while it holds unacknowledged (ETA or running
    ``acks_late``) tasks.

    On a lost broker connection celery 5.7's consumer first ``collect()``s the connection, which
    sets the transport's ``client`` to None, and then closes it; closing the channel restores
    the unacknowledged messages through a new Redis client built from ``transport.client``, and
    ``'NoneType' object has no attribute 'hostname'`` ended the worker ("Unrecoverable error").
    A channel remembers the connection settings it was made with and uses them when the
    transport has forgotten its own, so the messages go back to their queue (or, with Redis
    still down, stay in the unacked set for the next worker) and the worker reconnects."""
    channel: Any = kombu_redis.Channel  # typed loosely: patched below
    if getattr(channel, "_ks_conninfo_kept", False):
        return
    original_init = channel.__init__
    original_connparams = channel._connparams

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        self._ks_conninfo = args[0].client if args else None
        original_init(self, *args, **kwargs)

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        transport = self.connection
        if transport.client is not None or self._ks_conninfo is None:
            return original_connparams(self, asynchronous=asynchronous)
        transport.client = self._ks_conninfo
        try:
            return original_connparams(self, asynchronous=asynchronous)
        finally:
            transport.client = None

    channel.__init__ = __init__
    channel._connparams = _connparams
    channel._ks_conninfo_kept = True


_keep_channel_conninfo()


@worker_process_init.connect
def prepare_worker_process(**_kwargs: object) -> None:
    """Move what a worker process has loaded at start (Django, the apps, their modules) out of
    the garbage collector's sight: a full collection then walks only what a task creates. An
    aggregation creates tens of thousands of small objects; the collections they set off spent
    0.1 s walking the loaded modules in every run."""
    gc.freeze()
