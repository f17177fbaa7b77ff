"""The webhooks API: endpoints (the secret shown once), rotation, test events, the delivery
log and redelivery. Who may call it is the permission matrix's."""

from typing import Any

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from kundeservice.roles import Role
from tests.factories import UserFactory, WaveFactory
from tests.webhooks.conftest import THING, deliver, emit, endpoint_for
from tests.webhooks.receiver import Receiver, Reply
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[Role.STAFF_ADMIN]))
    return client


def test_create_returns_the_secret_once(admin: APIClient, receiver: Receiver) -> None:
    wave = WaveFactory()
    created = admin.post(
        "/api/v1/webhooks/endpoints/",
        {
            "url": receiver.url,
            "event_types": ["response.saved", "wave.results_published"],
            "scope": f"study:{wave.study_id}",
            "description": "CRM",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["is_active"] is True
    assert body["scope"] == f"study:{wave.study_id}"
    shown = admin.get(f"/api/v1/webhooks/endpoints/{body['id']}/").json()
    assert "secret" not in shown
    assert body["secret"] not in str(admin.get("/api/v1/webhooks/endpoints/").json())
    assert WebhookEndpoint.objects.get().secret == body["secret"]


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "internal address"), ("nb", "intern adresse")],
)
def test_an_unsafe_url_is_a_400_in_the_users_language(
    admin: APIClient, settings: Any, language: str, message: str
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    refused = admin.post(
        "/api/v1/webhooks/endpoints/",
        {"url": "http://169.254.169.254/latest/", "event_types": ["nope"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert refused.status_code == 400
    assert message in refused.json()["url"][0]
    assert refused.json()["event_types"]
    assert not WebhookEndpoint.objects.exists()


def test_wrong_types_are_a_400_not_a_500(admin: APIClient) -> None:
    for body in [
        {"url": 5, "event_types": ["response.saved"]},
        {"url": "https://x.example", "event_types": "response.saved"},
        {"url": "https://x.example", "event_types": ["response.saved"], "scope": "wave:x"},
    ]:
        assert admin.post("/api/v1/webhooks/endpoints/", body, format="json").status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_rotation_returns_a_new_secret_and_both_sign(admin: APIClient, receiver: Receiver) -> None:
    endpoint, old = endpoint_for(receiver.url)
    rotated = admin.post(
        f"/api/v1/webhooks/endpoints/{endpoint.pk}/rotate-secret/",
        {"grace_hours": 1},
        format="json",
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert rotated.json()["previous_secret_expires_at"]
    emit(1)
    deliver(endpoint)
    request = receiver.received[0]
    for secret in (old, new):
        assert Webhook(secret).verify(request.body, request.headers)["data"] == {"n": 1}


def test_send_test_event_and_follow_its_delivery(
    admin: APIClient, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint, secret = endpoint_for(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        sent = admin.post(f"/api/v1/webhooks/endpoints/{endpoint.pk}/test/")
    assert sent.status_code == 202
    assert sent.json()["event"] == "webhook.test"
    payload = Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert payload["type"] == "webhook.test"
    assert payload["data"]["endpoint"] == endpoint.pk
    detail = admin.get(f"/api/v1/webhooks/deliveries/{sent.json()['id']}/").json()
    assert detail["status"] == "delivered"
    assert detail["attempt_log"][0]["status_code"] == 200
    assert detail["payload"]["type"] == "webhook.test"


def test_a_paused_endpoint_refuses_a_test_event(admin: APIClient, receiver: Receiver) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    assert admin.post(f"/api/v1/webhooks/endpoints/{endpoint.pk}/pause/").status_code == 200
    refused = admin.post(f"/api/v1/webhooks/endpoints/{endpoint.pk}/test/")
    assert refused.status_code == 409
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_the_delivery_log_and_redelivery(
    admin: APIClient,
    receiver: Receiver,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    receiver.answer(Reply(500, body=b"boom " * 1000))
    emit(1, 2, 3)
    deliver(endpoint)
    with django_assert_max_num_queries(4):
        listed = admin.get(f"/api/v1/webhooks/deliveries/?endpoint={endpoint.pk}&status=pending")
    assert listed.json()["count"] == 1
    [waiting] = listed.json()["results"]
    detail = admin.get(f"/api/v1/webhooks/deliveries/{waiting['id']}/").json()
    [attempt] = detail["attempt_log"]
    assert attempt["status_code"] == 500
    assert len(attempt["response_body"]) == 2000  # truncated
    assert attempt["request_headers"]["webhook-id"] == waiting["webhook_id"]
    assert attempt["duration_ms"] >= 0
    with django_capture_on_commit_callbacks(execute=True):
        again = admin.post(f"/api/v1/webhooks/deliveries/{waiting['id']}/redeliver/")
    assert again.status_code == 202
    assert admin.get(f"/api/v1/webhooks/deliveries/{waiting['id']}/").json()["status"] == (
        "delivered"
    )
    bad = admin.get("/api/v1/webhooks/deliveries/?status=lost")
    assert bad.status_code == 400


def test_event_types_are_listed(admin: APIClient) -> None:
    listed = admin.get("/api/v1/webhooks/event-types/").json()
    names = [row["name"] for row in listed]
    assert "response.saved" in names
    assert THING in names
    assert all(row["version"] >= 1 and row["description"] for row in listed)


def test_update_checks_like_create_and_delete_removes_the_log(
    admin: APIClient, receiver: Receiver
) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    emit(1)
    deliver(endpoint)
    changed = admin.patch(
        f"/api/v1/webhooks/endpoints/{endpoint.pk}/",
        {"event_types": ["wave.results_hidden"]},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["event_types"] == ["wave.results_hidden"]
    refused = admin.patch(
        f"/api/v1/webhooks/endpoints/{endpoint.pk}/", {"event_types": []}, format="json"
    )
    assert refused.status_code == 400
    assert admin.delete(f"/api/v1/webhooks/endpoints/{endpoint.pk}/").status_code == 204
    assert not WebhookDelivery.objects.exists()
