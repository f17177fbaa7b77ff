"""Webhooks run on a queue of their own, and every way of starting a worker consumes it."""

import re
from pathlib import Path

from django.conf import settings

from kundeservice.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_webhook_tasks_have_their_own_queue_and_the_owner_mail_goes_by_mail() -> None:
    route = app.amqp.router.route
    assert route({}, "webhooks.tasks.deliver_endpoint")["queue"].name == "webhooks"
    assert route({}, "webhooks.tasks.dispatch_events")["queue"].name == "webhooks"
    assert route({}, "webhooks.tasks.mail_endpoint_paused")["queue"].name == "mail"
    assert "webhooks" in settings.CELERY_TASK_QUEUES_NAMES
    assert [q.name for q in app.conf.task_queues] == list(settings.CELERY_TASK_QUEUES_NAMES)


def test_every_worker_command_consumes_every_queue() -> None:
    wanted = set(settings.CELERY_TASK_QUEUES_NAMES)
    sources = {
        "Makefile": (ROOT / "Makefile").read_text(),
        "docker-compose.yml": (ROOT / "docker-compose.yml").read_text(),
        "tests/integration/conftest.py": (ROOT / "tests/integration/conftest.py").read_text(),
    }
    for name, text in sources.items():
        queues = re.search(r'-Q[\s",]+([a-z][a-z,]+)', text)
        assert queues is not None, name
        assert set(queues.group(1).split(",")) == wanted, name
