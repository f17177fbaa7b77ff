"""Staff: orders, exports, bank statements, sales; the door's pages."""

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from awards.models import Order, OrderStatus
from awards.services.checkin import checkin_scan
from awards.services.orders import Attendee, attendee_change
from kundeservice.roles import Role
from tests.awards.ticketing import invoiced_order, shop_with_type
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client: Any) -> Any:
    client.force_login(UserFactory(roles=[Role.AWARD_MANAGER]))
    return client


def test_orders_are_searched_and_filtered(manager: Any, django_assert_max_num_queries: Any) -> None:
    _shop, ticket = shop_with_type()
    first, second = invoiced_order(ticket, 1), invoiced_order(ticket, 2)
    attendee_change(ticket=second.tickets.first(), attendee=Attendee(name="Solveig Særnavn"))
    url = reverse("staff-order-list", kwargs={"event_pk": ticket.event_id})
    with django_assert_max_num_queries(12):
        page = manager.get(url, {"q": "Særnavn"}).content.decode()
    assert second.code in page
    assert first.code not in page
    from awards.services.invoices import invoice_mark_paid

    invoice_mark_paid(invoice=first.invoices.get())
    paid = manager.get(url, {"show": "paid"}).content.decode()
    assert first.code in paid
    assert second.code not in paid


def test_exports_are_formula_safe(manager: Any) -> None:
    _shop, ticket = shop_with_type()
    order = invoiced_order(ticket, 1)
    attendee_change(ticket=order.tickets.get(), attendee=Attendee(name='=HYPERLINK("x")'))
    url = reverse("staff-order-export", kwargs={"event_pk": ticket.event_id})
    text = manager.get(url, {"what": "attendees", "format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][2] == '\'=HYPERLINK("x")'
    workbook = load_workbook(
        io.BytesIO(manager.get(url, {"what": "attendees", "format": "xlsx"}).content)
    )
    assert workbook.active.cell(row=2, column=3).value == '\'=HYPERLINK("x")'
    orders = manager.get(url, {"what": "orders", "format": "csv"}).content.decode("utf-8-sig")
    assert order.code in orders


def test_bank_statement_upload_marks_paid(manager: Any) -> None:
    _shop, ticket = shop_with_type(price=1000_00)
    order = invoiced_order(ticket, 1)
    kid = order.invoices.get().kid
    upload = SimpleUploadedFile("bank.csv", f"KID;Beløp\n{kid};1000,00\n".encode())
    url = reverse("staff-bank-import", kwargs={"event_pk": ticket.event_id})
    page = manager.post(url, {"file": upload}).content.decode()
    assert "Merket som betalt." in page
    assert Order.objects.get().status == OrderStatus.PAID


def test_staff_cancel_an_invoiced_order_with_a_credit_note(manager: Any) -> None:
    _shop, ticket = shop_with_type()
    order = invoiced_order(ticket, 1)
    url = reverse("staff-order-detail", kwargs={"event_pk": ticket.event_id, "code": order.code})
    manager.post(url, {"action": "cancel", "reason": "Dobbeltbestilling"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.invoices.filter(kind="credit_note").exists()
    page = manager.get(url).content.decode()
    assert "Dobbeltbestilling" in page
    ehf = manager.get(
        reverse(
            "staff-invoice-document",
            kwargs={
                "event_pk": ticket.event_id,
                "code": order.code,
                "number": order.invoices.get(kind="credit_note").number,
                "format": "xml",
            },
        )
    )
    assert b"CreditNote" in ehf.content


def test_the_sales_dashboard_counts_sold_revenue_and_check_ins(manager: Any) -> None:
    _shop, ticket = shop_with_type(price=1250_00)
    order = invoiced_order(ticket, 2)
    checkin_scan(event=ticket.event, secret=order.tickets.first().secret, nonce="nonce-dash")
    page = manager.get(
        reverse("staff-sales-dashboard", kwargs={"event_pk": ticket.event_id})
    ).content.decode()
    assert "2\xa0500,00 kr inkl. mva, 2\xa0000,00 kr ekskl. mva" in page
    assert "1 (2\xa0500,00 kr), av dem 0 forfalt" in page


def test_the_door_searches_by_name_and_counts(client: Any) -> None:
    client.force_login(UserFactory(roles=[Role.DOOR_STAFF]))
    _shop, ticket = shop_with_type()
    order = invoiced_order(ticket, 2)
    event = {"event_pk": ticket.event_id}
    found = client.get(reverse("checkin-search", kwargs=event), {"q": "gjest 2"}).content.decode()
    assert order.tickets.get(position=2).secret in found
    assert order.tickets.get(position=1).secret not in found
    scanner = client.get(reverse("checkin-scanner", kwargs=event)).content.decode()
    assert "0</span>av 2 sjekket inn" in scanner
    assert "<script>" not in scanner
    assert " onclick=" not in scanner
