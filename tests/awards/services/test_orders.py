"""Reserving, checking out, paying and cancelling orders; capacity never oversold."""

import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone

from awards.models import (
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    Ticket,
    Voucher,
    WaitingListEntry,
    WaitingStatus,
)
from awards.services import orders as order_services
from awards.services.waitinglist import waiting_list_join, waiting_list_offer
from kundeservice.errors import DomainError
from tests.awards.ticketing import BUYER, attendees, invoiced_order, shop_with_type, ticket_type

pytestmark = pytest.mark.django_db


def reserve(ticket_type, quantity=1, **kwargs):  # type: ignore[no-untyped-def]
    return order_services.order_reserve(
        event=ticket_type.event, quantities={ticket_type.pk: quantity}, **kwargs
    )


def test_a_reservation_holds_seats_for_fifteen_minutes_with_one_ticket_per_seat() -> None:
    _shop, table = shop_with_type(name="Bord for ti", seats=10, price=20000_00, capacity=3)
    order = reserve(table, 1)
    assert order.status == OrderStatus.RESERVED
    assert order.total == 20000_00
    assert order.tickets.count() == 10
    assert timedelta(minutes=14) < order.expires_at - timezone.now() <= timedelta(minutes=15)
    assert len({t.secret for t in order.tickets.all()}) == 10
    assert all(len(t.secret) == 27 for t in order.tickets.all())  # 160 random bits


def test_the_same_client_key_reserves_once() -> None:
    _shop, ticket = shop_with_type()
    first = reserve(ticket, 2, client_key="form-key-1")
    again = reserve(ticket, 2, client_key="form-key-1")
    assert again.pk == first.pk
    assert Order.objects.count() == 1


def test_a_repeated_reservation_that_took_the_last_seats_gets_its_order_not_sold_out() -> None:
    _shop, ticket = shop_with_type(capacity=2)
    first = reserve(ticket, 2, client_key="double-click")
    again = reserve(ticket, 2, client_key="double-click")  # the shop is now sold out
    assert again.pk == first.pk
    with pytest.raises(DomainError, match="utsolgt"):
        reserve(ticket, 1, client_key="someone-else")
    assert Order.objects.count() == 1


def test_a_repeated_reservation_gets_its_order_after_the_shop_closed() -> None:
    shop, ticket = shop_with_type()
    first = reserve(ticket, 1, client_key="retry")
    shop.is_open = False
    shop.save()
    assert reserve(ticket, 1, client_key="retry").pk == first.pk
    with pytest.raises(DomainError):
        reserve(ticket, 1, client_key="new")


def test_capacity_per_type_and_per_event_is_never_exceeded() -> None:
    shop, ticket = shop_with_type(capacity=3)
    other = ticket_type(shop.event, name="Student", price=500_00, capacity=10)
    shop.capacity = 5
    shop.save()
    reserve(ticket, 3)
    with pytest.raises(DomainError, match="utsolgt"):
        reserve(ticket, 1)
    with pytest.raises(DomainError, match="2"):
        reserve(other, 3)  # only 2 seats left in the event
    reserve(other, 2)
    assert OrderLine.objects.count() == 2


def test_an_expired_reservation_frees_its_seats_and_cannot_be_checked_out() -> None:
    _shop, ticket = shop_with_type(capacity=2)
    order = reserve(ticket, 2)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    reserve(ticket, 2)  # the seats are free again
    with pytest.raises(DomainError, match="utløpt"):
        order_services.order_checkout(
            order=order, buyer=BUYER, attendees=attendees(2), method="invoice"
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.RESERVED
    assert order.buyer_email == ""
    assert not Invoice.objects.exists()
    assert order_services.orders_expire_due() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED


def test_more_than_the_most_per_order_is_refused() -> None:
    _shop, ticket = shop_with_type(max_per_order=4)
    with pytest.raises(DomainError, match="4"):
        reserve(ticket, 5)
    with pytest.raises(DomainError):
        reserve(ticket, 0)
    with pytest.raises(DomainError):
        reserve(ticket, -1)
    assert not Order.objects.exists()


def test_a_hidden_type_needs_its_voucher_and_a_used_up_voucher_is_refused() -> None:
    shop, _ticket = shop_with_type()
    press = ticket_type(shop.event, name="Presse", price=900_00, is_visible=False)
    Voucher.objects.create(event=shop.event, ticket_type=press, code="PRESSE", max_uses=2)
    with pytest.raises(DomainError, match="rabattkode"):
        reserve(press, 1)
    free = reserve(press, 2, voucher_code="presse")
    assert free.total == 0
    with pytest.raises(DomainError) as used_up:
        reserve(press, 1, voucher_code="PRESSE")
    assert "voucher" in used_up.value.message_dict
    assert Order.objects.count() == 1


def test_checkout_by_invoice_confirms_at_once_with_an_invoice() -> None:
    _shop, ticket = shop_with_type(price=2490_00)
    order = invoiced_order(ticket, 2)
    assert order.status == OrderStatus.INVOICED
    invoice = order.invoices.get()
    assert invoice.total == 4980_00
    assert invoice.vat == 996_00
    assert invoice.buyer["reference"] == "PO-4711"
    assert list(order.tickets.values_list("attendee_name", flat=True)) == [
        "Gjest 1 Ærlig",
        "Gjest 2 Ærlig",
    ]


def test_a_confirmation_by_invoice_stores_the_buyer_method_and_status() -> None:
    _shop, ticket = shop_with_type()
    order = reserve(ticket, 2)
    assert (
        order_services.order_checkout(
            order=order, buyer=BUYER, attendees=attendees(2), method="invoice"
        )
        is None
    )
    stored = Order.objects.get(pk=order.pk)
    for field in dataclasses.fields(order_services.Buyer):  # every detail the buyer gave
        column = field.name if field.name == "wants_ehf" else f"buyer_{field.name}"
        assert getattr(stored, column) == getattr(BUYER, field.name), field.name
    assert (stored.status, stored.payment_method) == (OrderStatus.INVOICED, "invoice")
    assert stored.confirmed_at is not None
    assert (stored.code, stored.secret, stored.total) == (order.code, order.secret, order.total)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"org_number": "988077918"}, "org_number"),
        ({"email": "kari@"}, "email"),
        ({"company": ""}, "company"),
    ],
)
def test_bad_buyer_details_are_refused_with_nothing_written(change: dict, field: str) -> None:
    _shop, ticket = shop_with_type()
    order = reserve(ticket, 2)
    buyer = order_services.Buyer(**{**BUYER.__dict__, **change})
    with pytest.raises(DomainError) as refused:
        order_services.order_checkout(
            order=order, buyer=buyer, attendees=attendees(2), method="invoice"
        )
    assert field in refused.value.message_dict
    order.refresh_from_db()
    assert (order.status, order.buyer_name) == (OrderStatus.RESERVED, "")
    assert not Invoice.objects.exists()


def test_each_ticket_needs_an_attendee() -> None:
    _shop, ticket = shop_with_type()
    order = reserve(ticket, 2)
    blank = [order_services.Attendee(name="Ola"), order_services.Attendee(name=" ")]
    with pytest.raises(DomainError) as refused:
        order_services.order_checkout(order=order, buyer=BUYER, attendees=blank, method="invoice")
    assert "attendee-2-name" in refused.value.message_dict
    assert not Ticket.objects.exclude(attendee_name="").exists()


def test_checkout_twice_confirms_once() -> None:
    _shop, ticket = shop_with_type()
    order = invoiced_order(ticket, 1)
    assert (
        order_services.order_checkout(
            order=order, buyer=BUYER, attendees=attendees(1), method="invoice"
        )
        is None
    )
    assert Invoice.objects.count() == 1


def test_cancelling_an_invoiced_order_issues_a_credit_note_and_frees_the_seats() -> None:
    _shop, ticket = shop_with_type(capacity=2)
    order = invoiced_order(ticket, 2)
    order_services.order_cancel(order=order, reason="Sykdom")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    invoice, credit = order.invoices.order_by("number")
    assert credit.credited_invoice == invoice
    assert credit.number == invoice.number + 1
    reserve(ticket, 2)
    with pytest.raises(DomainError):
        order_services.order_cancel(order=order)


def test_free_tickets_are_paid_at_once() -> None:
    shop, _ticket = shop_with_type()
    press = ticket_type(shop.event, name="Presse", price=900_00, is_visible=False)
    Voucher.objects.create(event=shop.event, ticket_type=press, code="PRESSE", max_uses=5)
    order = reserve(press, 1, voucher_code="PRESSE")
    order_services.order_checkout(
        order=order,
        buyer=order_services.Buyer(name="Pål Presse", email="pal@avis.no"),
        attendees=attendees(1),
        method="card",
    )
    order.refresh_from_db()
    assert (order.status, order.payment_method) == (OrderStatus.PAID, "free")
    assert not order.invoices.exists()


def test_freed_seats_go_to_the_waiting_list_in_order() -> None:
    _shop, ticket = shop_with_type(capacity=2)
    order = invoiced_order(ticket, 2)
    first = waiting_list_join(ticket_type=ticket, name="Først", email="a@x.no", quantity=2)
    second = waiting_list_join(ticket_type=ticket, name="Andre", email="b@x.no", quantity=1)
    assert waiting_list_offer(event=ticket.event) == []
    order_services.order_cancel(order=order)
    assert waiting_list_offer(event=ticket.event) == [first.pk]
    second.refresh_from_db()
    assert second.status == WaitingStatus.WAITING
    with pytest.raises(DomainError):
        reserve(ticket, 1)  # held for the offer
    first.refresh_from_db()
    redeemed = reserve(ticket, 2, offer=first)
    first.refresh_from_db()
    assert (first.status, first.order) == (WaitingStatus.REDEEMED, redeemed)


def test_joining_the_waiting_list_of_a_type_not_sold_out_is_refused() -> None:
    _shop, ticket = shop_with_type()
    with pytest.raises(DomainError, match="kjøpe"):
        waiting_list_join(ticket_type=ticket, name="X", email="x@x.no", quantity=1)
    assert not WaitingListEntry.objects.exists()


def test_buyers_change_attendees_until_the_cut_off_and_staff_after() -> None:
    shop, ticket_type = shop_with_type()
    ticket = invoiced_order(ticket_type, 1).tickets.get()
    new = order_services.Attendee(name="Nils Ny", email="nils@bedrift.no")
    order_services.attendee_change(ticket=ticket, attendee=new, by_buyer=True)
    ticket.refresh_from_db()
    assert ticket.attendee_name == "Nils Ny"
    shop.changes_until = timezone.now() - timedelta(minutes=1)
    shop.save()
    late = order_services.Attendee(name="For Sent")
    with pytest.raises(DomainError, match="arrangøren"):
        order_services.attendee_change(ticket=ticket, attendee=late, by_buyer=True)
    order_services.attendee_change(ticket=ticket, attendee=late)
    ticket.refresh_from_db()
    assert ticket.attendee_name == "For Sent"
    assert ticket.order.events.filter(kind="attendee_changed").count() == 2


def test_a_sold_out_type_is_refused_without_waiting_for_the_capacity_lock(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _shop, ticket = shop_with_type(capacity=1)
    locked = []
    real_lock = order_services.capacity_lock
    monkeypatch.setattr(
        order_services, "capacity_lock", lambda **kw: locked.append(kw) or real_lock(**kw)
    )
    reserve(ticket, 1)
    assert len(locked) == 1
    with pytest.raises(DomainError, match=r"Bedriftsbillett er utsolgt\.") as refused:
        reserve(ticket, 1)
    assert refused.value.status_code == 409
    assert len(locked) == 1  # refused from the snapshot: the lock was not taken
    assert Order.objects.count() == 1


def test_a_snapshot_with_seats_left_is_counted_again_under_the_lock() -> None:
    from awards.selectors import shop_state

    _shop, ticket = shop_with_type(capacity=1)
    stale = shop_state(event=ticket.event)  # read before the last seat went
    reserve(ticket, 1)
    with pytest.raises(DomainError, match="utsolgt"):
        reserve(ticket, 1, state=stale)
    assert Order.objects.count() == 1


def _after(statements: list[str], marker: str) -> list[str]:
    """The statements from the first one containing ``marker`` on (the test's savepoints, which
    stand in for BEGIN and COMMIT, left out)."""
    start = next(i for i, sql in enumerate(statements) if marker in sql)
    return [sql for sql in statements[start:] if "SAVEPOINT" not in sql]


@pytest.mark.postgres
def test_the_capacity_lock_is_held_only_to_count() -> None:
    """Every reservation of a shop waits for its capacity lock: under it a reservation counts
    what holds the seats and commits; its order is written before (a rush sold 100 seats in
    6 ms a seat with the four INSERTs under the lock)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shop, ticket = shop_with_type()
    with CaptureQueriesContext(connection) as captured:
        order = order_services.order_reserve(
            event=shop.event, quantities={ticket.pk: 2}, client_key="a"
        )
    locked = _after([q["sql"] for q in captured.captured_queries], "pg_advisory_xact_lock")
    assert len(locked) == 2, locked  # the lock, the count (then the commit)
    assert "SUM(l.quantity)" in locked[1]
    assert order.tickets.count() == 2


@pytest.mark.postgres
def test_an_invoice_number_is_taken_by_the_confirmations_last_statement() -> None:
    """Confirmations take consecutive invoice numbers one at a time: from the number to the
    commit, only the invoice is written."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from awards.models import Invoice, InvoiceCounter

    shop, ticket = shop_with_type()
    invoiced_order(ticket, quantity=1)  # the seller's series exists from its first invoice
    order = order_services.order_reserve(event=shop.event, quantities={ticket.pk: 1})
    with CaptureQueriesContext(connection) as captured:
        order_services.order_checkout(
            order=order, buyer=BUYER, attendees=attendees(1), method="invoice"
        )
    counter = InvoiceCounter._meta.db_table
    locked = _after([q["sql"] for q in captured.captured_queries], f'"{counter}"')
    assert len(locked) == 2, locked
    assert locked[0].startswith(f'UPDATE "{counter}"')
    assert "RETURNING" in locked[0]
    assert locked[1].startswith(f'INSERT INTO "{Invoice._meta.db_table}"')
    assert Invoice.objects.get(order=order).number == 2 == InvoiceCounter.objects.get().last_number
