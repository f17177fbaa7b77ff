"""The Celery application: JSON only, a queue per kind of work, time limits, the database beat
scheduler."""

import gc
import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init
from kombu import Queue

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


@worker_process_init.connect
def prepare_worker_process(**_kwargs: object) -> None:
    """Move what a worker process has loaded at start (Django, the apps, their modules) out of
    the garbage collector's sight: a full collection then walks only what a task creates. An
    aggregation creates tens of thousands of small objects; the collections they set off spent
    0.1 s walking the loaded modules in every run."""
    gc.freeze()
