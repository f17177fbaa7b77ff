"""Ticket sales for the demo award night: a company ticket, a table of ten and a free press
ticket behind a voucher; orders paid by invoice, one unpaid, one paid by card through a
recorded Stripe webhook (signed here and verified as a real one is); a few check-ins. So the
door and the sales pages have something to show."""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

from django.utils import timezone

from awards.models import AwardEvent, Order, OrderEvent, Payment, TicketShop, TicketType, Voucher
from awards.services import orders as order_services
from awards.services.checkin import checkin_scan
from awards.services.invoices import invoice_mark_paid
from awards.services.payments.base import CheckoutSession
from awards.services.payments.stripe_checkout import StripeCheckout
from awards.services.tickets import ticket_shop_save

DEMO_WEBHOOK_SECRET = "whsec_demo_recorded"  # noqa: S105 - signs the recorded demo webhook only
BUYERS = [
    ("Telenor Norge AS", "976967631", "Snarøyveien 30", "1360", "Fornebu", "PO-2026-118"),
    ("Gjensidige Forsikring ASA", "995568217", "Schweigaards gate 21", "0191", "Oslo", "KSP-7"),
    ("NAV", "889640782", "Fyrstikkalléen 1", "0661", "Oslo", "2026/4417"),
]
ATTENDEES = ["Ingrid Berg", "Ola Hansen", "Kari Lie", "Per Dahl", "Siri Moen", "Jon Bakke"]


class RecordedCheckout(StripeCheckout):
    """Stripe Checkout as recorded: the session a test-mode checkout answered, no network."""

    def checkout_start(
        self, *, order: Any, payment: Any, success_url: str, cancel_url: str
    ) -> CheckoutSession:
        return CheckoutSession(
            reference=f"cs_test_demo_{order.code}",
            url="https://checkout.stripe.com/c/pay/cs_test_demo",
            expires_at=timezone.now() + timedelta(minutes=30),
        )


def seed_tickets(*, event: AwardEvent) -> TicketShop:
    """The demo night's shop, types, orders and check-ins (in the caller's transaction)."""
    shop = ticket_shop_save(
        event=event,
        data={
            "is_open": True,
            "capacity": 400,
            "seller_name": "Kundeserviceprisen AS",
            "seller_org_number": "974760673",
            "seller_street": "Karl Johans gate 1",
            "seller_postcode": "0154",
            "seller_city": "Oslo",
            "seller_account": "86011117947",
            "seller_email": "billetter@kundeservice.local",
            "payment_terms_days": 14,
        },
    )
    company = TicketType.objects.create(
        event=event,
        name="Bedriftsbillett",
        name_en="Company ticket",
        price=2490_00,
        capacity=300,
        max_per_order=10,
        position=1,
    )
    table = TicketType.objects.create(
        event=event,
        name="Bord for ti",
        name_en="Table of ten",
        price=22900_00,
        seats=10,
        capacity=8,
        max_per_order=2,
        position=2,
    )
    press = TicketType.objects.create(
        event=event,
        name="Pressebillett",
        name_en="Press ticket",
        price=2490_00,
        capacity=20,
        max_per_order=2,
        is_visible=False,
        position=3,
    )
    Voucher.objects.create(event=event, ticket_type=press, code="PRESSE2026", max_uses=10)
    orders = []
    for number, (name, org, street, postcode, city, reference) in enumerate(BUYERS):
        kind = table if number == 0 else company
        order = order_services.order_reserve(
            event=event, quantities={kind.pk: 1 if kind == table else 2}
        )
        order_services.order_checkout(
            order=order,
            buyer=order_services.Buyer(
                name=ATTENDEES[number],
                email=f"innkjop{number}@kundeservice.local",
                company=name,
                org_number=org,
                street=street,
                postcode=postcode,
                city=city,
                reference=reference,
                wants_ehf=name == "NAV",
            ),
            attendees=_attendees(order.tickets.count(), name),
            method="invoice",
        )
        orders.append(Order.objects.get(pk=order.pk))
    invoice_mark_paid(invoice=orders[0].invoices.get(), note="Demo")
    invoice_mark_paid(invoice=orders[1].invoices.get(), note="Demo")
    _card_order(event, company)
    press_order = order_services.order_reserve(
        event=event, quantities={press.pk: 1}, voucher_code="PRESSE2026"
    )
    order_services.order_checkout(
        order=press_order,
        buyer=order_services.Buyer(name="Pål Presse", email="presse@kundeservice.local"),
        attendees=[order_services.Attendee(name="Pål Presse", company="Dagsavisen")],
        method="free",
    )
    for position, ticket in enumerate(orders[0].tickets.all()[:3]):
        checkin_scan(
            event=event, secret=ticket.secret, nonce=f"demo-door-{position:04d}", device="Dør 1"
        )
    # Demo buyers are not mailed: their confirmations count as sent.
    OrderEvent.objects.filter(order__event=event).exclude(mail="").update(mailed_at=timezone.now())
    return shop


def _card_order(event: AwardEvent, ticket_type: TicketType) -> Order:
    order = order_services.order_reserve(event=event, quantities={ticket_type.pk: 1})
    provider = RecordedCheckout(api_key="sk_test_demo", webhook_secret=DEMO_WEBHOOK_SECRET)
    order_services.order_checkout(
        order=order,
        buyer=order_services.Buyer(name="Eva Nilsen", email="eva@kundeservice.local"),
        attendees=[order_services.Attendee(name="Eva Nilsen")],
        method="card",
        provider=provider,
    )
    payment = Payment.objects.get(order=order)
    body = json.dumps(
        {
            "id": f"evt_demo_{order.code}",
            "object": "event",
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "id": payment.reference,
                    "object": "checkout.session",
                    "amount_total": payment.amount,
                    "currency": "nok",
                    "payment_status": "paid",
                    "payment_intent": f"pi_demo_{order.code}",
                }
            },
        }
    ).encode()
    notice = provider.notice_parse(body=body, headers={"Stripe-Signature": _sign(body)})
    order_services.payment_notice_apply(provider_name=provider.name, notice=notice)
    return order


def _sign(body: bytes) -> str:
    now = int(time.time())
    digest = hmac.new(DEMO_WEBHOOK_SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256)
    return f"t={now},v1={digest.hexdigest()}"


def _attendees(count: int, company: str) -> list[order_services.Attendee]:
    return [
        order_services.Attendee(name=f"{ATTENDEES[i % len(ATTENDEES)]} {i + 1}", company=company)
        for i in range(count)
    ]
