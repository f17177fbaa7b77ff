"""Builders for ticket tests: an award night with a shop, ticket types, orders in each state,
and Stripe webhook requests signed as Stripe signs them."""

import hashlib
import hmac
import itertools
import json
import time
from datetime import timedelta
from typing import Any

from django.utils import timezone

from awards.models import AwardEvent, EventState, Order, TicketShop, TicketType
from awards.services import orders as order_services

SELLER_ORG = "974760673"
BUYER_ORG = "988077917"
WEBHOOK_SECRET = "whsec_test_secret"
_serial = itertools.count(1)


def checkout_form(**overrides: str) -> dict[str, str]:
    """The order page's form as a company buyer paying by invoice fills it in, one attendee."""
    return {
        "method": "invoice",
        "name": "Kari",
        "email": "kari@bedrift.no",
        "company": "Bedrift AS",
        "org_number": BUYER_ORG,
        "street": "Storgata 2",
        "postcode": "0155",
        "city": "Oslo",
        "attendee-1-name": "Ola",
        **overrides,
    }


def award_event(**kwargs: Any) -> AwardEvent:
    n = next(_serial)
    values: dict[str, Any] = {
        "slug": f"gallaen-{n}",
        "name": f"Kundeserviceprisen {n}",
        "name_en": f"Customer Service Award {n}",
        "starts_at": timezone.now() + timedelta(days=60),
        "venue": "Oslo Konserthus",
        "address": "Munkedamsveien 14, 0115 Oslo",
        "finalists_public_at": timezone.now() + timedelta(days=30),
        "state": EventState.FINALISTS_PUBLIC,
    }
    values.update(kwargs)
    return AwardEvent.objects.create(**values)


def ticket_shop(event: AwardEvent | None = None, **kwargs: Any) -> TicketShop:
    values: dict[str, Any] = {
        "event": event or award_event(),
        "is_open": True,
        "capacity": 100,
        "seller_name": "Kundeserviceprisen AS",
        "seller_org_number": SELLER_ORG,
        "seller_street": "Karl Johans gate 1",
        "seller_postcode": "0154",
        "seller_city": "Oslo",
        "seller_account": "86011117947",
        "seller_email": "billetter@kundeserviceprisen.no",
    }
    values.update(kwargs)
    return TicketShop.objects.create(**values)


def ticket_type(event: AwardEvent, **kwargs: Any) -> TicketType:
    values: dict[str, Any] = {
        "event": event,
        "name": "Bedriftsbillett",
        "name_en": "Company ticket",
        "price": 249000,
        "capacity": 50,
        "max_per_order": 10,
    }
    values.update(kwargs)
    return TicketType.objects.create(**values)


def shop_with_type(**type_kwargs: Any) -> tuple[TicketShop, TicketType]:
    shop = ticket_shop()
    return shop, ticket_type(shop.event, **type_kwargs)


BUYER = order_services.Buyer(
    name="Kari Nordmann",
    email="kari@bedrift.no",
    phone="+47 912 34 567",
    company="Bedrift AS",
    org_number=BUYER_ORG,
    street="Storgata 2",
    postcode="0155",
    city="Oslo",
    reference="PO-4711",
)


def attendees(n: int) -> list[order_services.Attendee]:
    return [
        order_services.Attendee(name=f"Gjest {i} Ærlig", company="Bedrift AS")
        for i in range(1, n + 1)
    ]


def invoiced_order(ticket_type: TicketType, quantity: int = 2, **kwargs: Any) -> Order:
    order = order_services.order_reserve(
        event=ticket_type.event, quantities={ticket_type.pk: quantity}, **kwargs
    )
    seats = quantity * ticket_type.seats
    order_services.order_checkout(
        order=order, buyer=BUYER, attendees=attendees(seats), method="invoice"
    )
    order.refresh_from_db()
    return order


def stripe_signature(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header Stripe sends: t=<time>,v1=<HMAC-SHA256 of "t.payload">."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def stripe_event(
    kind: str, *, session: str, amount: int, event_id: str = "evt_1", paid: bool = True
) -> bytes:
    """A Stripe event about a Checkout session, as its webhook body."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": session,
                    "object": "checkout.session",
                    "amount_total": amount,
                    "currency": "nok",
                    "payment_status": "paid" if paid else "unpaid",
                    "payment_intent": f"pi_{session}",
                }
            },
        }
    ).encode()
