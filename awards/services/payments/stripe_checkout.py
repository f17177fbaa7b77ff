"""Stripe Checkout through the ``stripe`` library.

The buyer pays on Stripe's hosted page; the order is paid only when Stripe's webhook says so,
with a signature checked against ``STRIPE_WEBHOOK_SECRET`` (``Webhook.construct_event``, which
also refuses messages older than five minutes). A session expires after 30 minutes, Stripe's
shortest, and its ``checkout.session.expired`` message releases the order's seats.
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.utils import timezone

from awards.services.payments.base import (
    CheckoutSession,
    NoticeKind,
    PaymentNotice,
    PaymentProvider,
    PaymentUnavailable,
    WebhookRejected,
)

if TYPE_CHECKING:
    from awards.models import Order, Payment

SESSION_MINUTES = 30
PAID_TYPES = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
EXPIRED_TYPES = {"checkout.session.expired", "checkout.session.async_payment_failed"}


class StripeCheckout(PaymentProvider):
    name = "stripe"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        webhook_secret: str | None = None,
        http_client: stripe.HTTPClient | None = None,
    ) -> None:
        self.api_key = settings.STRIPE_SECRET_KEY if api_key is None else api_key
        self.webhook_secret = (
            settings.STRIPE_WEBHOOK_SECRET if webhook_secret is None else webhook_secret
        )
        self.http_client = http_client

    def is_configured(self) -> bool:
        return bool(self.api_key and self.webhook_secret)

    def checkout_start(
        self, *, order: "Order", payment: "Payment", success_url: str, cancel_url: str
    ) -> CheckoutSession:
        expires_at = timezone.now() + timedelta(minutes=SESSION_MINUTES)
        params: Any = {
            "mode": "payment",
            "client_reference_id": order.code,
            "customer_email": order.buyer_email,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "nok",
                        "unit_amount": payment.amount,
                        "product_data": {"name": f"{order.event.display_name} – {order.code}"},
                    },
                }
            ],
            "metadata": {"order": order.code, "payment": str(payment.pk)},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "expires_at": int(expires_at.timestamp()),
        }
        try:
            session = self._client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{payment.pk}"}
            )
        except stripe.StripeError as exc:
            raise PaymentUnavailable(str(exc)) from exc
        return CheckoutSession(
            reference=session.id,
            url=session.url or "",
            expires_at=datetime.fromtimestamp(session.expires_at, tz=UTC),
        )

    def notice_parse(self, *, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        signature = headers.get("Stripe-Signature") or headers.get("stripe-signature")
        if not signature or not self.webhook_secret:
            raise WebhookRejected("no signature")
        try:
            event = stripe.Webhook.construct_event(body, signature, self.webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise WebhookRejected(str(exc)) from exc
        session = event.to_dict()["data"]["object"]
        if event.type in PAID_TYPES and session.get("payment_status") in {
            "paid",
            "no_payment_required",
        }:
            kind = NoticeKind.PAID
        elif event.type in EXPIRED_TYPES:
            kind = NoticeKind.EXPIRED
        else:
            kind = NoticeKind.OTHER
        return PaymentNotice(
            event_id=event.id,
            kind=kind,
            provider_type=event.type,
            reference=str(session.get("id") or "") if event.type.startswith("checkout.") else "",
            amount=session.get("amount_total"),
            currency=str(session.get("currency") or "").upper(),
            charge_reference=str(session.get("payment_intent") or ""),
        )

    def refund(self, *, payment: "Payment") -> str:
        try:
            refund = self._client().v1.refunds.create(
                params={"payment_intent": payment.charge_reference},
                options={"idempotency_key": f"refund-{payment.pk}"},
            )
        except stripe.StripeError as exc:
            raise PaymentUnavailable(str(exc)) from exc
        return str(refund.id)

    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            self.api_key, http_client=self.http_client, max_network_retries=2
        )
