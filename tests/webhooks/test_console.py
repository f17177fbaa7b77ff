"""The staff console's webhook pages: the secret seen once, bad input refused in place, the
log and its buttons, within a query budget."""

from typing import Any

import pytest
from django.test import Client

from kundeservice.roles import Role
from tests.factories import UserFactory
from tests.webhooks.conftest import deliver, emit, endpoint_for
from tests.webhooks.receiver import Receiver, Reply
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client: Client) -> Client:
    client.force_login(UserFactory(roles=[Role.STAFF_ADMIN]))
    return client


def test_a_new_endpoint_shows_its_secret_once(admin: Client, receiver: Receiver) -> None:
    page = admin.post(
        "/en/staff/webhooks/new/",
        {"url": receiver.url, "event_types": ["response.saved"], "description": "CRM"},
    )
    assert page.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in page.content.decode()
    assert "not shown again" in page.content.decode()
    detail = admin.get(f"/en/staff/webhooks/{endpoint.pk}/")
    assert detail.status_code == 200
    assert endpoint.secret not in detail.content.decode()
    assert endpoint.secret not in admin.get("/en/staff/webhooks/").content.decode()


def test_bad_input_is_shown_beside_its_field_and_saves_nothing(
    admin: Client, settings: Any
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    page = admin.post(
        "/staff/webhooks/new/", {"url": "http://10.0.0.1/hooks", "event_types": ["response.saved"]}
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "intern adresse" in text
    assert 'role="alert"' in text
    assert not WebhookEndpoint.objects.exists()


def test_rotating_shows_the_new_secret_once(admin: Client, receiver: Receiver) -> None:
    endpoint, old = endpoint_for(receiver.url)
    assert admin.get(f"/en/staff/webhooks/{endpoint.pk}/secret/").status_code == 200
    page = admin.post(f"/en/staff/webhooks/{endpoint.pk}/secret/", {"grace_hours": "24"})
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.previous_secret == old
    assert endpoint.secret in page.content.decode()
    assert "old secret too" in page.content.decode()
    refused = admin.post(f"/en/staff/webhooks/{endpoint.pk}/secret/", {"grace_hours": "999"})
    assert refused.status_code == 400


def test_the_endpoint_page_lists_deliveries_and_its_buttons_work(
    admin: Client,
    receiver: Receiver,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    receiver.answer(Reply(500))
    emit(*range(30))
    deliver(endpoint)
    with django_assert_max_num_queries(12):
        page = admin.get(f"/en/staff/webhooks/{endpoint.pk}/")
    text = page.content.decode()
    assert text.count('href="/en/staff/webhooks/deliveries/') == 30
    assert "Send test event" in text
    # One refused in the first window: it waits for its retry, and so does all behind it.
    waiting = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count()
    assert 1 <= waiting < 30
    filtered = admin.get(f"/en/staff/webhooks/{endpoint.pk}/?status=pending")
    assert filtered.content.decode().count('href="/en/staff/webhooks/deliveries/') == waiting

    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(
            f"/en/staff/webhooks/{endpoint.pk}/action/", {"action": "pause"}
        ).url.endswith(f"/staff/webhooks/{endpoint.pk}/")
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    refused = admin.post(
        f"/en/staff/webhooks/{endpoint.pk}/action/", {"action": "test"}, follow=True
    )
    assert "resume it" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/en/staff/webhooks/{endpoint.pk}/action/", {"action": "resume"})
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 30
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/en/staff/webhooks/{endpoint.pk}/action/", {"action": "test"})
    assert receiver.ids()[-1] == WebhookDelivery.objects.order_by("-id")[0].event.msg_id


def test_the_delivery_page_shows_the_log_and_redelivers(
    admin: Client,
    receiver: Receiver,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    receiver.answer(Reply(503, body=b"vedlikehold"))
    emit(1)
    deliver(endpoint)
    delivery = WebhookDelivery.objects.get()
    with django_assert_max_num_queries(8):
        page = admin.get(f"/en/staff/webhooks/deliveries/{delivery.pk}/")
    text = page.content.decode()
    assert "Attempt 1" in text
    assert "503" in text
    assert "vedlikehold" in text
    assert delivery.event.msg_id in text
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/en/staff/webhooks/deliveries/{delivery.pk}/")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert admin.get("/en/staff/webhooks/deliveries/999999/").status_code == 404


def test_deleting_an_endpoint(admin: Client, receiver: Receiver) -> None:
    endpoint, _ = endpoint_for(receiver.url)
    gone = admin.post(f"/en/staff/webhooks/{endpoint.pk}/action/", {"action": "delete"})
    assert gone.url.endswith("/staff/webhooks/")
    assert not WebhookEndpoint.objects.exists()


def test_the_dashboard_links_webhooks_for_staff_admins_only(client: Client) -> None:
    client.force_login(UserFactory(roles=[Role.STAFF_ADMIN]))
    assert "/staff/webhooks/" in client.get("/staff/").content.decode()
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    assert "/staff/webhooks/" not in client.get("/staff/").content.decode()
