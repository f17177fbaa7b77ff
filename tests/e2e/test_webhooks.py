"""A staff admin adds a webhook endpoint, copies its secret, sends a test event, reads the
delivery log, redelivers and rotates the secret: in Norwegian and English, on a phone and a
desktop, with an accessibility check on every page."""

from typing import Any

import pytest
from standardwebhooks import Webhook

from kundeservice.roles import Role
from tests.e2e.conftest import assert_accessible, assert_fits_width, wait_for_path
from tests.factories import TEST_PASSWORD, UserFactory
from tests.webhooks.receiver import Receiver
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)


def checked(page: Any) -> None:
    assert_accessible(page)
    assert_fits_width(page)


def test_staff_admin_sets_up_an_endpoint_and_follows_its_deliveries(
    live_server: Any, page: Any
) -> None:
    UserFactory(username="admin", roles=[Role.STAFF_ADMIN])
    with Receiver() as receiver:
        page.goto(live_server.url + "/staff/webhooks/")
        page.get_by_label("Brukernavn").fill("admin")
        page.get_by_label("Passord").fill(TEST_PASSWORD)
        page.get_by_label("Passord").press("Enter")
        wait_for_path(page, "/staff/webhooks/")
        assert page.get_by_role("heading", level=1).inner_text() == "Webhooks"
        assert page.get_by_text("Ingen mottakere ennå.").is_visible()
        checked(page)

        page.get_by_role("link", name="Ny mottaker").click()
        wait_for_path(page, "/staff/webhooks/new/")
        page.get_by_role("button", name="Opprett mottaker").click()
        assert page.get_by_role("alert").is_visible()  # nothing filled in: refused in place
        checked(page)
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Beskrivelse").fill("Partnerens dashbord")
        page.get_by_label("response.saved", exact=False).check()
        page.get_by_role("button", name="Opprett mottaker").click()
        secret = page.locator("output#secret").inner_text().strip()
        assert secret.startswith("whsec_")
        assert page.get_by_text("den vises ikke igjen").is_visible()
        checked(page)
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.secret == secret

        page.get_by_role("link", name="Gå til mottakeren").click()
        wait_for_path(page, f"/staff/webhooks/{endpoint.pk}/")
        assert secret not in page.content()
        page.get_by_role("button", name="Send testhendelse").click()
        wait_for_path(page, f"/staff/webhooks/{endpoint.pk}/")
        row = page.get_by_role("row").filter(has_text="webhook.test")
        assert "Levert" in row.inner_text()
        checked(page)
        assert len(receiver.received) == 1
        request = receiver.received[0]
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.test"

        row.get_by_role("link", name="webhook.test").click()
        assert page.get_by_role("heading", name="Forsøk 1: 200").is_visible()
        checked(page)
        page.get_by_role("button", name="Lever på nytt").click()
        assert page.get_by_text("Leveransen sendes på nytt.").is_visible()
        assert page.get_by_role("heading", name="Forsøk 2: 200").is_visible()
        assert len(set(receiver.ids())) == 1  # the same webhook-id again

        page.goto(f"{live_server.url}/staff/webhooks/{endpoint.pk}/secret/")
        checked(page)
        page.get_by_role("button", name="Lag en ny hemmelighet").click()
        rotated = page.locator("output#secret").inner_text().strip()
        assert rotated not in {secret, ""}
        checked(page)

        page.goto(f"{live_server.url}/en/staff/webhooks/{endpoint.pk}/")
        assert page.get_by_role("button", name="Send test event").is_visible()
        checked(page)
        page.goto(f"{live_server.url}/en/staff/webhooks/")
        assert page.get_by_role("link", name=receiver.url).is_visible()
        checked(page)
