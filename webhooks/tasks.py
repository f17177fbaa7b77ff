"""Celery tasks for webhooks (the ``webhooks`` queue; the owner's mail on ``mail``): thin,
take ids, safe to run twice."""

import smtplib
from typing import Any

from celery import shared_task

MAIL_ERRORS = (smtplib.SMTPException, OSError)


@shared_task(name="webhooks.tasks.dispatch_events", acks_late=True)
def dispatch_events() -> dict[str, int]:
    """Make the deliveries of the events waiting in the outbox and start their endpoints'
    lanes. Queued after events commit; safe in parallel."""
    from webhooks.services.delivery import webhook_events_dispatch

    return webhook_events_dispatch()


@shared_task(name="webhooks.tasks.deliver_endpoint", acks_late=True)
def deliver_endpoint(*, endpoint_id: int) -> dict[str, int]:
    """Run an endpoint's delivery lane: its due deliveries, in order, for a while. A second
    lane for the same endpoint returns at once."""
    from webhooks.services.delivery import webhook_lane_run

    return webhook_lane_run(endpoint_id=endpoint_id)


@shared_task(name="webhooks.tasks.sweep")
def sweep() -> dict[str, int]:
    """Periodic (beat, every minute): dispatch what was never dispatched and wake the lanes
    whose retries are due."""
    from webhooks.services.delivery import webhooks_sweep

    return webhooks_sweep()


@shared_task(name="webhooks.tasks.prune")
def prune() -> int:
    """Daily (beat): forget delivered events older than the retention period."""
    from webhooks.services.delivery import webhook_events_prune

    return webhook_events_prune()


@shared_task(
    name="webhooks.tasks.mail_endpoint_paused",
    acks_late=True,
    autoretry_for=MAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def mail_endpoint_paused(*, endpoint_id: int) -> dict[str, Any]:
    """Tell a paused endpoint's owner why it was paused (``mail`` queue); retried while the
    mail server is down."""
    from webhooks.services.endpoints import webhook_endpoint_paused_mail

    return webhook_endpoint_paused_mail(endpoint_id=endpoint_id)
