"""Delivery: fan-out, order, retries with backoff, giving up, pausing, redelivery by hand."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from kundeservice.errors import ConflictError
from tests.factories import WaveFactory
from tests.webhooks.conftest import THING, deliver, emit, endpoint_for, statuses
from tests.webhooks.receiver import Receiver, Reply
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent
from webhooks.services.delivery import (
    retry_delay,
    webhook_events_prune,
    webhook_lane_run,
    webhooks_sweep,
)
from webhooks.services.endpoints import (
    webhook_delivery_redeliver,
    webhook_endpoint_pause,
    webhook_endpoint_resume,
)

pytestmark = pytest.mark.django_db


def make_due(delivery: WebhookDelivery | None = None) -> None:
    """Let time pass: the waiting retries are due now."""
    waiting = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
    if delivery is not None:
        waiting = waiting.filter(pk=delivery.pk)
    waiting.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def overtaken(order: list[int]) -> int:
    """The most earlier events any request arrived behind: 0 when strictly in order."""
    return max((sum(1 for v in order[:i] if v > n) for i, n in enumerate(order)), default=0)


def bodies(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.received]


def test_each_event_goes_once_in_order_with_one_id(receiver: Receiver) -> None:
    endpoint, _secret = endpoint_for(receiver.url)
    emit(*range(150))
    assert deliver(endpoint) == {"delivered": 150}
    assert len(receiver.received) == 150
    ids = receiver.ids()
    assert len(set(ids)) == 150
    assert set(ids) == {e.msg_id for e in WebhookEvent.objects.all()}
    assert {b["type"] for b in bodies(receiver)} == {THING}
    assert {b["version"] for b in bodies(receiver)} == {1}
    # Rounds of 64 go in order; within one a slow request may be overtaken.
    assert overtaken([b["data"]["n"] for b in bodies(receiver)]) < 64


def test_an_endpoint_gets_only_its_events_and_scope(receiver: Receiver) -> None:
    wave = WaveFactory()
    everything, _ = endpoint_for(receiver.url)
    only_wave, _ = endpoint_for(receiver.url, scope=f"wave:{wave.pk}")
    other_type, _ = endpoint_for(receiver.url, events=("response.saved",))
    emit(wave.pk, wave.pk + 1000)
    deliver(everything)
    assert WebhookDelivery.objects.filter(endpoint=everything).count() == 2
    assert WebhookDelivery.objects.filter(endpoint=only_wave).get().event.scopes == [
        f"wave:{wave.pk}"
    ]
    assert not WebhookDelivery.objects.filter(endpoint=other_type).exists()


def test_two_endpoints_get_the_same_event_under_the_same_id(receiver: Receiver) -> None:
    first, _ = endpoint_for(receiver.url)
    endpoint_for(receiver.url + "/second")
    emit(1)
    deliver(first)
    assert len(receiver.ids()) == 2
    assert len(set(receiver.ids())) == 1


def test_a_500_is_retried_with_backoff_then_delivered(receiver: Receiver, settings: Any) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    receiver.answer(Reply(500), Reply(502))
    emit(1)
    before = timezone.now()
    assert deliver(endpoint) == {"pending": 1}
    delivery = WebhookDelivery.objects.get()
    assert delivery.failures == 1
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at is not None
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert settings.WEBHOOK_RETRY_BASE * 0.8 <= wait <= settings.WEBHOOK_RETRY_BASE * 1.2 + 1
    # Not due yet: nothing is sent.
    assert webhook_lane_run(endpoint_id=endpoint.pk) == {}
    assert len(receiver.received) == 1
    make_due()
    assert webhook_lane_run(endpoint_id=endpoint.pk) == {"pending": 1}
    delivery.refresh_from_db()
    assert delivery.failures == 2
    second_wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert second_wait > settings.WEBHOOK_RETRY_BASE * 1.5  # doubled
    make_due()
    assert webhook_lane_run(endpoint_id=endpoint.pk) == {"delivered": 1}
    assert [a.status_code for a in WebhookAttempt.objects.order_by("number")] == [500, 502, 200]
    assert [a.number for a in WebhookAttempt.objects.order_by("number")] == [1, 2, 3]
    assert len(set(receiver.ids())) == 1  # every retry carries the same id


def test_a_timeout_is_a_failure_and_is_logged(receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_TIMEOUT = 0.3
    endpoint, _ = endpoint_for(receiver.url)
    receiver.answer(Reply(200, delay=1.0))
    emit(1)
    assert deliver(endpoint) == {"pending": 1}
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "0.3" in attempt.error
    assert 250 <= attempt.duration_ms < 1000


def test_a_receiver_that_refuses_connections_is_retried(settings: Any) -> None:
    with Receiver() as gone:
        url = gone.url
    endpoint, _ = endpoint_for(url)
    emit(1)
    assert deliver(endpoint) == {"pending": 1}
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error


def test_a_failure_blocks_the_lane_and_the_rest_follow_in_order(receiver: Receiver) -> None:
    """A receiver down for a while: while the oldest delivery waits for its retry, nothing
    later is sent; the retry goes alone; once it gets through everything goes, in order."""
    endpoint, _ = endpoint_for(receiver.url)
    receiver.default = Reply(503)
    emit(*range(100))
    deliver(endpoint)
    assert len(receiver.received) == 64  # the first round, all refused
    for _retry in range(3):
        make_due()
        webhook_lane_run(endpoint_id=endpoint.pk)
    assert len(receiver.received) == 64 + 3  # one probe per retry, the oldest event
    assert {json.loads(r.body)["data"]["n"] for r in receiver.received[64:]} == {0}
    receiver.default = Reply(200)
    make_due()
    webhook_lane_run(endpoint_id=endpoint.pk)
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 100
    after = [json.loads(r.body)["data"]["n"] for r in receiver.received[67:]]
    assert after[0] == 0  # the probe that got through
    assert sorted(after) == list(range(100))
    assert overtaken(after) < 64


def test_410_gone_stops_at_once_pauses_and_mails_the_owner(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    receiver.answer(Reply(410))
    emit(1, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(endpoint) == {"failed": 1, "delivered": 1}  # one window, one 410
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "410" in endpoint.paused_reason
    assert WebhookDelivery.objects.get(status=DeliveryStatus.FAILED).attempts == 1
    make_due()
    assert webhook_lane_run(endpoint_id=endpoint.pk) == {"busy": 1}  # paused: no lane
    assert len(receiver.received) == 2  # both went in the first window
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["eier@example.no"]
    assert endpoint.url in mail.outbox[0].body


def test_a_delivery_that_keeps_failing_fails_and_pauses_the_endpoint(
    receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WEBHOOK_MAX_FAILURES = 4
    endpoint, _ = endpoint_for(receiver.url)
    receiver.default = Reply(500)
    emit(1)
    deliver(endpoint)
    for _retry in range(3):
        make_due()
        with django_capture_on_commit_callbacks(execute=True):
            webhook_lane_run(endpoint_id=endpoint.pk)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.failures) == (DeliveryStatus.FAILED, 4)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "4" in endpoint.paused_reason
    assert len(mail.outbox) == 1
    assert len(receiver.received) == 4


def test_the_backoff_spans_about_a_day(settings: Any) -> None:
    failures = range(1, settings.WEBHOOK_MAX_FAILURES)
    low = sum(settings.WEBHOOK_RETRY_BASE * 2 ** (n - 1) * 0.8 for n in failures)
    high = sum(settings.WEBHOOK_RETRY_BASE * 2 ** (n - 1) * 1.2 for n in failures)
    assert 16 * 3600 < low < 24 * 3600 < high < 30 * 3600
    delays = [retry_delay(1) for _ in range(200)]
    assert min(delays) >= 4
    assert max(delays) <= 6
    assert len({round(d, 3) for d in delays}) > 50  # jittered
    assert retry_delay(1, retry_after=120) == 120


def test_retry_after_is_honoured(receiver: Receiver) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    receiver.answer(Reply(429, headers={"Retry-After": "90"}))
    emit(1)
    deliver(endpoint)
    wait = (WebhookDelivery.objects.get().next_attempt_at - timezone.now()).total_seconds()
    assert 85 < wait <= 90


def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    with Receiver() as internal:
        endpoint, _ = endpoint_for(receiver.url)
        receiver.answer(Reply(302, headers={"Location": internal.url}))
        emit(1)
        deliver(endpoint)
        assert internal.received == []
    assert WebhookAttempt.objects.get().status_code == 302
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


def test_a_paused_endpoint_gets_nothing_and_resumed_gets_what_waited(receiver: Receiver) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    receiver.answer(Reply(503))
    emit(1)
    deliver(endpoint)  # refused once: waits for its retry
    webhook_endpoint_pause(endpoint=endpoint)
    emit(2)  # while paused: not kept for it
    make_due()
    deliver(endpoint)
    webhooks_sweep()
    assert webhook_lane_run(endpoint_id=endpoint.pk) == {"busy": 1}
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.count() == 1
    webhook_endpoint_resume(endpoint=endpoint)
    webhook_lane_run(endpoint_id=endpoint.pk)
    assert [json.loads(r.body)["data"]["n"] for r in receiver.received] == [1, 1]
    assert statuses(endpoint) == {"delivered": 1}


def test_redelivery_by_hand_sends_the_same_id_again(receiver: Receiver) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    emit(1)
    deliver(endpoint)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    webhook_delivery_redeliver(delivery=delivery)
    webhook_lane_run(endpoint_id=endpoint.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(receiver.ids()) == 2
    assert len(set(receiver.ids())) == 1


def test_redelivery_of_a_paused_endpoint_is_refused(receiver: Receiver) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    emit(1)
    deliver(endpoint)
    webhook_endpoint_pause(endpoint=endpoint)
    delivery = WebhookDelivery.objects.select_related("endpoint").get()
    with pytest.raises(ConflictError) as refused:
        webhook_delivery_redeliver(delivery=delivery)
    assert refused.value.code == "paused"
    assert delivery.attempts == 1


def test_a_second_lane_for_the_same_endpoint_returns_at_once(receiver: Receiver) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    emit(1)
    type(endpoint).objects.filter(pk=endpoint.pk).update(
        lane_until=timezone.now() + timedelta(seconds=30)
    )
    assert deliver(endpoint) == {"pending": 1}
    assert webhook_lane_run(endpoint_id=endpoint.pk) == {"busy": 1}
    assert receiver.received == []
    # A lane whose worker was lost lapses, and the sweep starts a new one.
    type(endpoint).objects.filter(pk=endpoint.pk).update(
        lane_until=timezone.now() - timedelta(seconds=1)
    )
    assert webhooks_sweep()["lanes"] == 1
    assert len(receiver.received) == 1


def test_an_event_rolled_back_with_its_change_is_never_sent(receiver: Receiver) -> None:
    from django.db import transaction

    endpoint, _ = endpoint_for(receiver.url)

    def change_that_fails() -> None:
        with transaction.atomic():
            emit(1)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_that_fails()
    deliver(endpoint)
    assert not WebhookEvent.objects.exists()
    assert receiver.received == []


def test_old_events_are_forgotten_once_nothing_waits_for_them(
    receiver: Receiver, settings: Any
) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    receiver.answer(Reply(200), Reply(500))
    emit(1)
    deliver(endpoint)
    emit(2)
    deliver(endpoint)
    assert statuses(endpoint) == {"delivered": 1, "pending": 1}
    long_ago = timezone.now() - timedelta(days=settings.WEBHOOK_RETENTION_DAYS + 1)
    WebhookEvent.objects.update(created_at=long_ago)
    emit(3)  # recent: kept
    assert webhook_events_prune() == 1
    assert sorted(json.loads(e.body)["data"]["n"] for e in WebhookEvent.objects.all()) == [2, 3]
    assert WebhookAttempt.objects.filter(delivery__event__body__contains='"n":1').count() == 0
