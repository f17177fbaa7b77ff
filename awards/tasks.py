"""Celery tasks of the award night: thin, safe to run twice."""

import smtplib
from typing import Any

from celery import Task, shared_task

MAIL_ERRORS = (smtplib.SMTPException, OSError)


@shared_task(bind=True, name="awards.tasks.seed_demo_award_night", max_retries=120)
def seed_demo_award_night(self: Task) -> dict[str, Any]:
    """Build the demo award night once the demo results are published (a worker may still be
    aggregating them: try again in five seconds, for up to ten minutes)."""
    from awards import demo

    if not demo.results_ready():
        raise self.retry(countdown=5)
    event = demo.build_night()
    return {"event": event.slug if event else None}


@shared_task(
    name="awards.tasks.mail_order_event",
    acks_late=True,
    autoretry_for=MAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def mail_order_event(*, event_id: int) -> dict[str, Any]:
    """Mail what an order event asks for (``mail`` queue): the confirmation with tickets, or a
    cancellation. Sent once however often it runs; retried while the mail server is down."""
    from awards.services.mail import order_event_mail

    return order_event_mail(event_id=event_id)


@shared_task(
    name="awards.tasks.mail_waiting_offer",
    acks_late=True,
    autoretry_for=MAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def mail_waiting_offer(*, entry_id: int) -> dict[str, Any]:
    """Mail a waiting-list offer with its link (``mail`` queue); once."""
    from awards.services.mail import waiting_offer_mail

    return waiting_offer_mail(entry_id=entry_id)


@shared_task(name="awards.tasks.offer_freed_seats", acks_late=True)
def offer_freed_seats(*, event_id: int) -> dict[str, Any]:
    """Offer an event's freed seats to its waiting list, in order (``default`` queue)."""
    from awards.models import AwardEvent
    from awards.services.waitinglist import waiting_list_offer

    event = AwardEvent.objects.filter(pk=event_id).first()
    if event is None:
        return {"skipped": "no such event"}
    return {"offered": waiting_list_offer(event=event)}


@shared_task(name="awards.tasks.release_expired")
def release_expired() -> dict[str, Any]:
    """Every minute (beat): expire reservations and abandoned card checkouts, let lapsed
    waiting-list offers go, and offer what that frees to those waiting."""
    from awards.models import AwardEvent
    from awards.selectors import events_with_waiting
    from awards.services.orders import orders_expire_due
    from awards.services.waitinglist import waiting_list_offer

    expired = orders_expire_due()
    offered = {
        event.slug: waiting_list_offer(event=event)
        for event in AwardEvent.objects.filter(pk__in=events_with_waiting())
    }
    return {"expired": expired, "offered": offered}
