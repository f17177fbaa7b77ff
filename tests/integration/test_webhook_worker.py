"""A response submitted through the API reaches a receiver as a signed ``response.saved``
webhook, through Redis and a real worker on the webhooks queue, within seconds."""

import json
import time
from typing import Any

from rest_framework.test import APIClient
from standardwebhooks import Webhook

from surveys.models import Response
from surveys.services import submissions
from tests.factories import CompanyFactory, UserFactory, WaveFactory, invite
from tests.surveys.api.test_respond_submit import ANSWERS
from tests.webhooks.receiver import Receiver
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import events
from webhooks.services.endpoints import webhook_endpoint_create


def test_a_submitted_response_is_delivered_by_the_worker(
    celery_worker: Any, worker_log: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(submissions, "_expansion_due", 0.0)
    monkeypatch.setattr(events, "_dispatch_due", 0.0)
    CompanyFactory(slug="fjordbanken")
    token = invite(WaveFactory())
    with Receiver() as receiver:
        endpoint, secret = webhook_endpoint_create(
            url=receiver.url,
            event_types=["response.saved"],
            owner=UserFactory(roles=["staff_admin"]),
        )
        accepted = APIClient().post(
            f"/api/v1/respond/{token}/submit/", {"answers": ANSWERS}, format="json"
        )
        assert accepted.status_code == 202
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not receiver.received:
            time.sleep(0.2)
        assert len(receiver.received) == 1, worker_log()
        request = receiver.received[0]
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "response.saved"
    assert payload["data"]["id"] == Response.objects.get().pk
    assert json.loads(request.body) == payload
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    deadline = time.monotonic() + 10
    while delivery.status != DeliveryStatus.DELIVERED and time.monotonic() < deadline:
        time.sleep(0.2)
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert "webhooks.tasks.deliver_endpoint" in worker_log()
