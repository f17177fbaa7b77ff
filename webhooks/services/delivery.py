"""Delivering the outbox: fan-out to endpoints, then one ordered lane per endpoint.

``webhook_events_dispatch`` claims undispatched events (``SKIP LOCKED``, so dispatchers in
parallel share them) and makes one ``WebhookDelivery`` per active endpoint that subscribes to
the event's type and scope; the pair is unique, so an event never reaches an endpoint under
two deliveries, and every attempt carries the event's one ``webhook-id``.

``webhook_lane_run`` sends an endpoint's waiting deliveries in event order. One lane per
endpoint runs at a time (a lease on the endpoint row, so a lost worker's lane is taken over
when it lapses). It takes the oldest waiting deliveries a round at a time (``ROUND`` times
``WEBHOOK_LANE_CONCURRENCY``) and starts their requests in event order,
``WEBHOOK_LANE_CONCURRENCY`` in flight at once. When one fails, the oldest failed delivery
blocks the lane: only it is tried again, after an exponential backoff with jitter
(``retry_delay``), and the rest follow in order once it gets through. So a receiver that was
down gets everything, in order, when it is back. Rounds go in order; within a round a slow
request can be overtaken by the others of its round (at most ``ROUND`` times the concurrency
minus one of them), which Standard Webhooks allows: it leaves ordering to the sender, and the
body's ``timestamp`` orders events exactly.

A delivery fails for good after ``WEBHOOK_MAX_FAILURES`` failed attempts (about a day) or at
once on ``410 Gone``; either pauses the endpoint and mails its owner. A paused endpoint is sent
nothing and gets no new deliveries; resumed, it gets what was waiting. Everything is
at-least-once: a worker lost between sending and recording sends again, with the same id.
"""

import logging
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kundeservice.celery import app as celery_app
from kundeservice.tasks import enqueue, enqueue_on_commit
from webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from webhooks.signing import request_headers
from webhooks.transport import Answer, UnsafeURL, post, target_for

logger = logging.getLogger(__name__)
DISPATCH_BATCH = 1000
#: Deliveries a lane takes per round, in multiples of the requests it has in flight: a round
#: costs a few statements whatever its size.
ROUND = 4
#: Seconds a lane holds an endpoint without renewing; a lost worker's lane lapses after it.
LANE_LEASE = 60
#: A lane waiting longer than this for its next retry leaves the waking to beat's sweep
#: (a Celery countdown held for hours is redelivered when it outlives the broker's
#: visibility timeout).
WAKE_WITHIN = 60.0


def retry_delay(failures: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt after ``failures`` failed ones: ``WEBHOOK_RETRY_BASE``
    doubled per failure, ±20 % jitter so receivers recovering from an outage are not hit by
    every sender at once, and at least what a ``Retry-After`` asked (at most an hour). With the
    defaults (5 s, 15 attempts) the last one comes about 23 h after the first."""
    delay = settings.WEBHOOK_RETRY_BASE * 2 ** (failures - 1) * random.uniform(0.8, 1.2)
    if retry_after:
        delay = max(delay, min(retry_after, 3600.0))
    return delay


def webhook_events_dispatch(*, batch_size: int = DISPATCH_BATCH) -> dict[str, int]:
    """Make the deliveries of every undispatched event, a batch per transaction, and start the
    lanes of the endpoints that got some. Safe to run twice or in parallel."""
    touched: set[int] = set()
    events = deliveries = 0
    while True:
        with transaction.atomic():
            batch = list(
                WebhookEvent.objects.filter(dispatched=False)
                .select_for_update(skip_locked=True)
                .order_by("id")
                .only("id", "type", "scopes")[:batch_size]
            )
            if not batch:
                break
            endpoints = list(
                WebhookEndpoint.objects.filter(is_active=True).only("id", "event_types", "scope")
            )
            now = timezone.now()
            made = [
                WebhookDelivery(endpoint_id=endpoint.pk, event_id=event.pk, next_attempt_at=now)
                for event in batch
                for endpoint in endpoints
                if event.type in endpoint.event_types
                and (not endpoint.scope or endpoint.scope in event.scopes)
            ]
            WebhookDelivery.objects.bulk_create(made, ignore_conflicts=True, batch_size=1000)
            WebhookEvent.objects.filter(pk__in=[event.pk for event in batch]).update(
                dispatched=True
            )
        touched.update(delivery.endpoint_id for delivery in made)
        events += len(batch)
        deliveries += len(made)
        if len(batch) < batch_size:
            break
    for endpoint_id in sorted(touched):
        _start_lane(endpoint_id)
    return {"events": events, "deliveries": deliveries}


@dataclass
class _Sent:
    delivery: WebhookDelivery
    at: datetime
    headers: dict[str, str]
    answer: Answer


def webhook_lane_run(*, endpoint_id: int) -> dict[str, int]:
    """Send an endpoint's due deliveries in event order for up to ``WEBHOOK_LANE_SECONDS``,
    then hand over to a new task (so one busy endpoint does not hold a worker). Returns how
    many were delivered, are waiting to be retried, and failed; ``busy`` when another lane
    holds the endpoint."""
    if not _lane_claim(endpoint_id):
        return {"busy": 1}
    counts: Counter[str] = Counter()
    deadline = time.monotonic() + settings.WEBHOOK_LANE_SECONDS
    size = settings.WEBHOOK_LANE_CONCURRENCY
    try:
        with ThreadPoolExecutor(max_workers=size, thread_name_prefix="webhook") as pool:
            while time.monotonic() < deadline:
                endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).first()
                window = _waiting(endpoint_id, size * ROUND) if endpoint else []
                if endpoint is None or not window or not _due(window[0]):
                    break
                # A delivery that failed before goes alone until it gets through: a receiver
                # that is down gets one request per retry, not a window of them.
                batch = window[:1] if window[0].failures else window
                sent = _send(pool, endpoint, batch)
                try:
                    counts.update(_record(endpoint, sent))
                except IntegrityError:  # the endpoint was deleted while its lane sent
                    if WebhookEndpoint.objects.filter(pk=endpoint_id).exists():
                        raise
                    return dict(counts)
                _lane_renew(endpoint_id)
    finally:
        _lane_release(endpoint_id)
    _follow_up(endpoint_id, sent=bool(counts))
    return dict(counts)


def webhooks_sweep() -> dict[str, int]:
    """Periodic (beat): dispatch events whose dispatch was never queued (broker down, worker
    lost) and start the lanes of endpoints whose next delivery is due with no lane running."""
    dispatched = webhook_events_dispatch()
    now = timezone.now()
    started = 0
    idle = WebhookEndpoint.objects.filter(is_active=True).filter(
        Q(lane_until__isnull=True) | Q(lane_until__lt=now)
    )
    for endpoint_id in idle.values_list("pk", flat=True):
        head = _waiting(endpoint_id, 1)
        if head and _due(head[0]):
            _start_lane(endpoint_id)
            started += 1
    return {**dispatched, "lanes": started}


def webhook_events_prune() -> int:
    """Daily (beat): forget events older than ``WEBHOOK_RETENTION_DAYS`` with nothing left to
    deliver, with their deliveries and log. Returns how many events went."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    old = WebhookEvent.objects.filter(created_at__lt=cutoff, dispatched=True).exclude(
        deliveries__status=DeliveryStatus.PENDING
    )
    _count, by_model = old.delete()
    return by_model.get(WebhookEvent._meta.label, 0)


def _waiting(endpoint_id: int, size: int) -> list[WebhookDelivery]:
    return list(
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=DeliveryStatus.PENDING)
        .select_related("event")
        .order_by("event_id")[:size]
    )


def _due(delivery: WebhookDelivery) -> bool:
    return delivery.next_attempt_at is None or delivery.next_attempt_at <= timezone.now()


def _send(
    pool: ThreadPoolExecutor, endpoint: WebhookEndpoint, batch: list[WebhookDelivery]
) -> list[_Sent]:
    """Send ``batch`` at once, each request signed with every secret in use. The address is
    resolved and checked once for the window, and every request goes to that address."""
    secrets_in_use = _secrets(endpoint)
    try:
        target = target_for(endpoint.url)
    except UnsafeURL as refused:
        now = timezone.now()
        return [_Sent(d, now, {}, Answer(None, "", refused.messages[0], 0)) for d in batch]

    def one(delivery: WebhookDelivery) -> _Sent:
        at = timezone.now()
        body = delivery.event.body.encode()
        headers = request_headers(
            secrets_in_use=secrets_in_use, msg_id=delivery.event.msg_id, timestamp=at, body=body
        )
        return _Sent(delivery, at, headers, post(target=target, headers=headers, body=body))

    return list(pool.map(one, batch))


def _secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > timezone.now():
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def _record(endpoint: WebhookEndpoint, sent: list[_Sent]) -> Counter[str]:
    """Log each attempt and move each delivery on: delivered, retried later, or failed (which
    pauses the endpoint and mails its owner)."""
    now = timezone.now()
    counts: Counter[str] = Counter()
    pause_reason = ""
    log = []
    for item in sent:
        delivery, answer = item.delivery, item.answer
        delivery.attempts += 1
        delivery.last_status_code = answer.status
        delivery.last_error = answer.error[:300]
        log.append(
            WebhookAttempt(
                delivery=delivery,
                number=delivery.attempts,
                at=item.at,
                url=endpoint.url,
                request_headers=item.headers,
                status_code=answer.status,
                response_body=answer.body,
                error=answer.error[:300],
                duration_ms=answer.duration_ms,
            )
        )
        if answer.ok:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
            delivery.next_attempt_at = None
        else:
            delivery.failures += 1
            if answer.status == 410:
                delivery.status = DeliveryStatus.FAILED
                pause_reason = _("The receiver answered 410 Gone: it wants no more webhooks.")
            elif delivery.failures >= settings.WEBHOOK_MAX_FAILURES:
                delivery.status = DeliveryStatus.FAILED
                pause_reason = _(
                    "A delivery failed %(n)d times in a row, over about a day; the last "
                    "answer: %(answer)s."
                ) % {"n": delivery.failures, "answer": answer.status or answer.error}
            else:
                delay = retry_delay(delivery.failures, answer.retry_after)
                delivery.next_attempt_at = now + timedelta(seconds=delay)
        counts[delivery.status] += 1
    with transaction.atomic():
        WebhookAttempt.objects.bulk_create(log)
        _save_outcomes([item.delivery for item in sent], now)
        if pause_reason:
            endpoint_pause_for_failure(endpoint_id=endpoint.pk, reason=pause_reason)
    return counts


def _save_outcomes(deliveries: list[WebhookDelivery], now: datetime) -> None:
    """One UPDATE for the delivered ones with the same status code (most of a round), one per
    failed one. (``bulk_update`` compiles a CASE per row and field: it cost the lane half its
    time.)"""
    delivered: dict[int | None, list[int]] = {}
    for delivery in deliveries:
        if delivery.status == DeliveryStatus.DELIVERED:
            delivered.setdefault(delivery.last_status_code, []).append(delivery.pk)
            continue
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=delivery.status,
            failures=delivery.failures,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
        )
    for status_code, pks in delivered.items():
        WebhookDelivery.objects.filter(pk__in=pks).update(
            status=DeliveryStatus.DELIVERED,
            attempts=F("attempts") + 1,
            next_attempt_at=None,
            last_status_code=status_code,
            last_error="",
            delivered_at=now,
        )


def endpoint_pause_for_failure(*, endpoint_id: int, reason: str) -> None:
    """Pause an endpoint that keeps failing (or said 410) and mail its owner after commit."""
    from webhooks.tasks import mail_endpoint_paused

    paused = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
        is_active=False, paused_reason=reason[:300], paused_at=timezone.now()
    )
    if paused:
        logger.warning("webhook endpoint %s paused: %s", endpoint_id, reason)
        enqueue_on_commit(mail_endpoint_paused, endpoint_id=endpoint_id)


def _start_lane(endpoint_id: int) -> None:
    from webhooks.tasks import deliver_endpoint

    enqueue(deliver_endpoint, endpoint_id=endpoint_id)


def _lane_claim(endpoint_id: int) -> bool:
    now = timezone.now()
    return bool(
        WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True)
        .filter(Q(lane_until__isnull=True) | Q(lane_until__lt=now))
        .update(lane_until=now + timedelta(seconds=LANE_LEASE))
    )


def _lane_renew(endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        lane_until=timezone.now() + timedelta(seconds=LANE_LEASE)
    )


def _lane_release(endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(lane_until=None)


def _follow_up(endpoint_id: int, *, sent: bool) -> None:
    """After a lane ends: a due head (the time ran out, or deliveries arrived while the lease
    was being given up) gets a new lane now. A head waiting for its retry gets one then, when
    that is soon, from the lane that sent it (so lanes started meanwhile, finding it waiting,
    do not each queue another); beat's sweep wakes the rest."""
    if not WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).exists():
        return
    head = _waiting(endpoint_id, 1)
    if not head:
        return
    if _due(head[0]):
        _start_lane(endpoint_id)
        return
    if not sent or celery_app.conf.task_always_eager:
        return  # run eagerly a countdown would not wait: beat's sweep retries it
    assert head[0].next_attempt_at is not None
    wait = (head[0].next_attempt_at - timezone.now()).total_seconds()
    if wait > WAKE_WITHIN:
        return
    from webhooks.tasks import deliver_endpoint

    enqueue(deliver_endpoint, countdown=max(wait, 0.0), endpoint_id=endpoint_id)
