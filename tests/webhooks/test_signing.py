"""Signatures verify with the Standard Webhooks reference library, as any receiver would."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from kundeservice.errors import DomainError
from tests.webhooks.conftest import deliver, emit, endpoint_for
from tests.webhooks.receiver import Received, Receiver
from webhooks.models import WebhookDelivery
from webhooks.services.delivery import webhook_lane_run
from webhooks.services.endpoints import webhook_delivery_redeliver, webhook_endpoint_rotate_secret
from webhooks.signing import secret_new

pytestmark = pytest.mark.django_db


def verify(secret: str, request: Received, body: bytes | None = None) -> Any:
    return Webhook(secret).verify(body if body is not None else request.body, request.headers)


def test_a_delivery_verifies_with_the_reference_library(receiver: Receiver) -> None:
    endpoint, secret = endpoint_for(receiver.url)
    emit(7)
    deliver(endpoint)
    request = receiver.received[0]
    assert verify(secret, request)["data"] == {"n": 7}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")
    assert "." not in request.headers["webhook-id"]


def test_a_tampered_body_or_another_secret_fails(receiver: Receiver) -> None:
    endpoint, secret = endpoint_for(receiver.url)
    emit(7)
    deliver(endpoint)
    request = receiver.received[0]
    tampered = request.body.replace(b'"n":7', b'"n":8')
    with pytest.raises(WebhookVerificationError):
        verify(secret, request, tampered)
    with pytest.raises(WebhookVerificationError):
        verify(secret_new(), request)
    forged = {**request.headers, "webhook-id": "msg_other"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body, forged)


def test_an_old_timestamp_fails(receiver: Receiver) -> None:
    """A request replayed later than the tolerance (5 minutes) is refused; a retry is signed
    afresh, so it is not."""
    endpoint, secret = endpoint_for(receiver.url)
    emit(7)
    deliver(endpoint)
    request = receiver.received[0]
    old = str(int((timezone.now() - timedelta(minutes=10)).timestamp()))
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(request.body, {**request.headers, "webhook-timestamp": old})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(hours=3)
    )
    webhook_delivery_redeliver(delivery=delivery)
    webhook_lane_run(endpoint_id=endpoint.pk)
    assert verify(secret, receiver.received[1])["data"] == {"n": 7}


def test_both_secrets_verify_during_a_rotation_and_only_the_new_after(
    receiver: Receiver,
) -> None:
    endpoint, old_secret = endpoint_for(receiver.url)
    new_secret = webhook_endpoint_rotate_secret(endpoint=endpoint, grace_hours=24)
    assert new_secret != old_secret
    emit(1)
    deliver(endpoint)
    during = receiver.received[0]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert verify(old_secret, during)["data"] == {"n": 1}
    assert verify(new_secret, during)["data"] == {"n": 1}

    type(endpoint).objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    emit(2)
    deliver(endpoint)
    after = receiver.received[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert verify(new_secret, after)["data"] == {"n": 2}
    with pytest.raises(WebhookVerificationError):
        verify(old_secret, after)


def test_a_rotation_without_grace_retires_the_old_secret_at_once(receiver: Receiver) -> None:
    endpoint, old_secret = endpoint_for(receiver.url)
    new_secret = webhook_endpoint_rotate_secret(endpoint=endpoint, grace_hours=0)
    emit(1)
    deliver(endpoint)
    with pytest.raises(WebhookVerificationError):
        verify(old_secret, receiver.received[0])
    assert verify(new_secret, receiver.received[0])


def test_a_grace_period_out_of_range_is_refused_and_changes_nothing(receiver: Receiver) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    before = endpoint.secret
    with pytest.raises(DomainError) as refused:
        webhook_endpoint_rotate_secret(endpoint=endpoint, grace_hours=1000)
    assert refused.value.message_dict["grace_hours"] == [
        "Behold den gamle hemmeligheten i 0 til 168 timer."
    ]
    endpoint.refresh_from_db()
    assert endpoint.secret == before


def test_secrets_follow_the_spec_form() -> None:
    secret = secret_new()
    assert secret.startswith("whsec_")
    assert 24 <= len(Webhook(secret)._whsecret) <= 64
    assert json.dumps(secret)  # plain text, safe to show once
