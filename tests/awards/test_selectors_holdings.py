"""``capacity_holdings`` is hand-written SQL (built once per process); these tests hold it to
the ORM's rule for what holds seats (``holding_orders``) in every status an order or a
waiting-list entry can have."""

import secrets
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from awards.models import Order, OrderLine, OrderStatus, WaitingListEntry, WaitingStatus
from awards.selectors import capacity_holdings, holding_orders
from awards.services import orders as order_services
from tests.awards.ticketing import shop_with_type, ticket_type

pytestmark = pytest.mark.django_db


def test_the_statement_counts_what_the_orm_rule_counts_in_every_status() -> None:
    shop, company = shop_with_type(capacity=100)
    table = ticket_type(shop.event, name="Bord", seats=10, price=9000_00, capacity=10)
    now = timezone.now()
    quantities = {}
    for i, status in enumerate(OrderStatus.values):
        for ticket, quantity in ((company, i + 1), (table, 1)):
            order = order_services.order_reserve(
                event=shop.event, quantities={ticket.pk: quantity}, client_key=f"{status}-{ticket}"
            )
            order.status = status
            order.save(update_fields=["status"])
            quantities[order.pk] = quantity
    expired = order_services.order_reserve(event=shop.event, quantities={company.pk: 7})
    expired.expires_at = now - timedelta(seconds=1)
    expired.save(update_fields=["expires_at"])
    entries = []
    for status in WaitingStatus.values:
        for offset in (timedelta(hours=1), -timedelta(hours=1)):
            entries.append(
                WaitingListEntry.objects.create(
                    event=shop.event,
                    ticket_type=company,
                    name="Kari",
                    email="kari@example.no",
                    quantity=2,
                    status=status,
                    token=secrets.token_urlsafe(16),
                    offer_expires_at=now + offset,
                )
            )
    types = {company.pk: company, table.pk: table}

    holdings = capacity_holdings(event=shop.event, types=types, now=now)

    held = dict(
        OrderLine.objects.filter(holding_orders(now=now), order__event=shop.event)
        .values_list("ticket_type_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    open_offers = WaitingListEntry.objects.filter(
        status=WaitingStatus.OFFERED, offer_expires_at__gt=now
    )
    for type_id, units in open_offers.values_list("ticket_type_id").annotate(u=Sum("quantity")):
        held[type_id] = held.get(type_id, 0) + units
    queued = dict(
        WaitingListEntry.objects.filter(status=WaitingStatus.WAITING)
        .values_list("ticket_type_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    assert holdings.held == held
    assert holdings.queued == queued
    assert holdings.seats_held == held[company.pk] + 10 * held[table.pk]
    assert holdings.seats_queued == queued[company.pk]
    # The rule itself: reserved (unexpired), pending, invoiced and paid hold; the rest do not.
    assert held[table.pk] == 4
    counting = sum(i + 1 for i, s in enumerate(OrderStatus.values) if s in Order.COUNTING)
    assert held[company.pk] == counting + 2  # and the open offer's two
    offered = next(
        e for e in entries if e.status == WaitingStatus.OFFERED and e.offer_expires_at > now
    )
    without = capacity_holdings(event=shop.event, types=types, now=now, except_offer=offered.pk)
    assert without.held[company.pk] == holdings.held[company.pk] - 2
    # The reservation being made (written before it is counted) is left out of its own count.
    paid = Order.objects.get(client_key=f"{OrderStatus.PAID}-{company}")
    others = capacity_holdings(event=shop.event, types=types, now=now, except_order=paid.pk)
    assert others.held[company.pk] == holdings.held[company.pk] - quantities[paid.pk]
    assert others.held[table.pk] == holdings.held[table.pk]


def test_another_events_orders_hold_none_of_its_seats() -> None:
    shop, ticket = shop_with_type()
    other_shop, other = shop_with_type()
    order_services.order_reserve(event=other_shop.event, quantities={other.pk: 3})
    holdings = capacity_holdings(event=shop.event, types={ticket.pk: ticket}, now=timezone.now())
    assert holdings.held == {}
    assert holdings.seats_held == 0
