"""Emitting webhook events: one outbox row per event, in the caller's transaction.

How a feature adds an event
---------------------------
1. Write a payload builder next to the feature, in the app that owns it
   (``surveys/webhook_events.py`` is the example): a function from the domain object to
   ``EventData(data=..., scopes=...)``.
   ``data`` carries ids, the fields a receiver needs, and ``links`` to the API; nothing that
   the least role able to read the object through the API could not read (no personal data).
   ``scopes`` are ``"<kind>:<id>"`` strings endpoints may filter on (``"wave:12"``).
2. Register it once, from the app's ``AppConfig.ready``::

       register_event(name="order.paid", version=1,
                      description=gettext_lazy("An order was paid."), build=order_paid_data)

   Give a new scope kind with ``register_scope`` if endpoints should filter on it.
3. In the service that makes the change, inside its ``transaction.atomic``, call
   ``webhook_event_emit(event="order.paid", subject=order)`` (or ``webhook_events_emit`` with
   many subjects, one INSERT for all). The row commits or rolls back with the change; nothing
   else happens in the request. After commit a dispatcher task (the ``webhooks`` queue) makes
   a delivery per subscribed, active endpoint and delivery lanes send them, signed, in event
   order per endpoint (``webhooks.services.delivery``).
4. Add the event to the payload tests (``tests/webhooks/test_payloads.py``): its data must be
   a part of what the API shows the least role.

Changing a payload incompatibly means a new ``version``; receivers read it from the body.
"""

import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from kundeservice.celery import app as celery_app
from kundeservice.tasks import enqueue
from webhooks.models import WebhookEvent
from webhooks.registry import EVENT_TYPES, EventType

#: Seconds a dispatch waits before it runs, so one task fans out every event a process emitted
#: meanwhile (queueing a task per event would cost the hot paths more than the INSERT).
DISPATCH_DELAY = 1.0


def webhook_event_emit(*, event: str, subject: Any) -> WebhookEvent:
    """Write one event of the registered type ``event`` about ``subject`` to the outbox, in
    the current transaction; it is dispatched after commit."""
    return webhook_events_emit(event=event, subjects=[subject])[0]


def webhook_events_emit(*, event: str, subjects: Iterable[Any]) -> list[WebhookEvent]:
    """Write an event of type ``event`` for each subject with one INSERT, in the current
    transaction; they are dispatched after commit. An unregistered type is a programming
    error (``KeyError``)."""
    kind = EVENT_TYPES[event]
    now = timezone.now()
    rows = [event_row(kind=kind, subject=subject, at=now) for subject in subjects]
    if rows:
        WebhookEvent.objects.bulk_create(rows)
        transaction.on_commit(_queue_dispatch)
    return rows


def event_row(*, kind: EventType, subject: Any, at: datetime) -> WebhookEvent:
    """An unsaved outbox row: the payload built now and serialised once, so that every attempt
    sends (and signs) the same bytes."""
    built = kind.build(subject)
    body = {
        "type": kind.name,
        "version": kind.version,
        "timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": built.data,
    }
    return WebhookEvent(
        type=kind.name,
        version=kind.version,
        body=json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False),
        scopes=sorted(built.scopes),
        created_at=at,
    )


_dispatch_due = 0.0  # time.monotonic() before which this process queues no dispatch


def _queue_dispatch() -> None:
    """Queue a dispatch after events commit, at most about one a second per process: the task
    waits ``DISPATCH_DELAY`` and takes every event waiting then. With the broker down nothing
    is queued for a while (``enqueue``); beat's sweep dispatches what waits."""
    global _dispatch_due
    from webhooks.tasks import dispatch_events

    if celery_app.conf.task_always_eager:
        enqueue(dispatch_events)
        return
    now = time.monotonic()
    # The margin covers a worker whose clock runs a little ahead of this one.
    if now < _dispatch_due - DISPATCH_DELAY / 4:
        return
    _dispatch_due = now + DISPATCH_DELAY
    enqueue(dispatch_events, countdown=DISPATCH_DELAY)
