"""The Celery application: JSON only, three queues, time limits, the database beat scheduler."""

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kundeservice.settings")

app = Celery("kundeservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "mail", "aggregation")]
app.conf.task_routes = {
    "surveys.tasks.send_*": {"queue": "mail"},
    "surveys.tasks.mail_*": {"queue": "mail"},
    "awards.tasks.mail_*": {"queue": "mail"},
    "surveys.tasks.aggregate_*": {"queue": "aggregation"},
}
app.conf.beat_schedule = {
    "send-due-reminders": {"task": "surveys.tasks.send_due_reminders", "schedule": 60 * 60},
    "aggregate-stale-waves": {
        "task": "surveys.tasks.aggregate_stale_waves",
        "schedule": crontab(hour=2, minute=15),
    },
    # Submissions accepted while the broker was down (or whose task was lost) are saved here.
    "expand-submissions": {"task": "surveys.tasks.expand_submissions", "schedule": 60},
}
app.autodiscover_tasks()
