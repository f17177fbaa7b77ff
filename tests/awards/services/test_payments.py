"""Card payment through Stripe Checkout: only a verified webhook pays, once. No test touches
the network: the Stripe library talks to a fake HTTP client, webhooks are signed here."""

import json
import logging
from typing import Any

import pytest
import stripe

from awards.models import Order, OrderStatus, Payment, PaymentStatus, ProviderEvent
from awards.services import orders as order_services
from awards.services.payments.stripe_checkout import StripeCheckout
from tests.awards.ticketing import (
    BUYER,
    WEBHOOK_SECRET,
    attendees,
    shop_with_type,
    stripe_event,
    stripe_signature,
)

pytestmark = pytest.mark.django_db


class FakeStripe(stripe.HTTPClient):
    """Answers the Stripe API calls the shop makes, and records them."""

    name = "fake"

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, Any]] = []

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, **_: Any) -> Any:
        self.calls.append((method, url, post_data))
        if url.endswith("/v1/checkout/sessions"):
            body = {
                "id": f"cs_test_{len(self.calls)}",
                "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/pay/cs_test",
                "expires_at": 4102444800,
            }
        elif url.endswith("/v1/refunds"):
            body = {"id": "re_test_1", "object": "refund", "status": "succeeded"}
        else:
            return json.dumps({"error": {"message": "unexpected"}}), 400, {}
        return json.dumps(body), 200, {}

    def close(self) -> None:
        pass


@pytest.fixture
def fake_stripe(settings: Any, monkeypatch: pytest.MonkeyPatch) -> FakeStripe:
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    fake = FakeStripe()
    original = StripeCheckout.__init__

    def init(self: StripeCheckout, **kwargs: Any) -> None:
        original(self, http_client=fake)

    monkeypatch.setattr(StripeCheckout, "__init__", init)
    return fake


def card_order(quantity: int = 1) -> Order:
    _shop, ticket = shop_with_type(price=1500_00)
    order = order_services.order_reserve(event=ticket.event, quantities={ticket.pk: quantity})
    url = order_services.order_checkout(
        order=order,
        buyer=BUYER,
        attendees=attendees(quantity),
        method="card",
        success_url="https://example.no/ok",
        cancel_url="https://example.no/back",
    )
    assert url == "https://checkout.stripe.com/c/pay/cs_test"
    order.refresh_from_db()
    return order


def deliver(body: bytes, signature: str | None = None) -> str:
    provider = StripeCheckout()
    notice = provider.notice_parse(
        body=body, headers={"Stripe-Signature": signature or stripe_signature(body)}
    )
    return order_services.payment_notice_apply(provider_name="stripe", notice=notice)


def test_card_checkout_waits_for_the_webhook(fake_stripe: FakeStripe) -> None:
    order = card_order(2)
    assert order.status == OrderStatus.PENDING
    method, url, data = fake_stripe.calls[0]
    assert (method, url.rsplit("/", 3)[-3:]) == ("post", ["v1", "checkout", "sessions"])
    assert "[unit_amount]=300000" in data
    assert f"client_reference_id={order.code}" in data


def test_a_bad_signature_is_rejected_and_changes_nothing(
    client: Any, fake_stripe: FakeStripe
) -> None:
    order = card_order()
    session = order.payments.get().reference
    body = stripe_event("checkout.session.completed", session=session, amount=1500_00)
    url = "/api/v1/awards/payments/stripe/webhook/"
    for header in (stripe_signature(body, secret="whsec_wrong"), "t=1,v1=00", ""):
        answer = client.post(
            url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
        assert answer.status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not ProviderEvent.objects.exists()


def test_the_same_event_twice_pays_once(
    client: Any, fake_stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    order = card_order()
    session = order.payments.get().reference
    body = stripe_event("checkout.session.completed", session=session, amount=1500_00)
    url = "/api/v1/awards/payments/stripe/webhook/"
    outcomes = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            answer = client.post(
                url,
                body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=stripe_signature(body),
            )
            assert answer.status_code == 200
            outcomes.append(answer.json()["outcome"])
    assert outcomes == ["paid", "duplicate"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.events.filter(kind="paid").count() == 1
    assert len(mail.outbox) == 1
    again = stripe_event(
        "checkout.session.async_payment_succeeded",
        session=session,
        amount=1500_00,
        event_id="evt_2",
    )
    assert deliver(again) == "already paid"


def test_an_event_for_an_unknown_or_expired_order_is_logged_and_changes_nothing(
    fake_stripe: FakeStripe, caplog: pytest.LogCaptureFixture
) -> None:
    order = card_order()
    session = order.payments.get().reference
    caplog.set_level(logging.WARNING)
    unknown = stripe_event("checkout.session.completed", session="cs_nobody", amount=100)
    assert deliver(unknown) == "unknown checkout"
    expired = stripe_event(
        "checkout.session.expired", session=session, amount=1500_00, event_id="evt_x"
    )
    assert deliver(expired) == "expired"
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    late = stripe_event(
        "checkout.session.completed", session=session, amount=1500_00, event_id="evt_late"
    )
    assert deliver(late).startswith("order expired")
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert order.payments.get().status == PaymentStatus.EXPIRED
    assert "cs_nobody" in caplog.text
    assert order.code in caplog.text
    assert set(ProviderEvent.objects.values_list("outcome", flat=True)) == {
        "unknown checkout",
        "expired",
        "order expired: nothing changed",
    }


def test_a_payment_of_the_wrong_amount_does_not_pay(fake_stripe: FakeStripe) -> None:
    order = card_order()
    session = order.payments.get().reference
    assert deliver(stripe_event("checkout.session.completed", session=session, amount=1)) == (
        "amount differs: nothing changed"
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_refund_cancels_through_the_provider(fake_stripe: FakeStripe) -> None:
    order = card_order()
    session = order.payments.get().reference
    deliver(stripe_event("checkout.session.completed", session=session, amount=1500_00))
    order_services.order_cancel(order=Order.objects.get(pk=order.pk), refund=True)
    payment = Payment.objects.get()
    assert (payment.status, payment.refund_reference) == (PaymentStatus.REFUNDED, "re_test_1")
    assert fake_stripe.calls[-1][1].endswith("/v1/refunds")
    assert f"payment_intent=pi_{session}" in fake_stripe.calls[-1][2]
