"""The public shop and the buyer's order pages."""

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from awards.models import EventState, InvoiceCounter, Order, OrderStatus
from tests.awards.ticketing import checkout_form, invoiced_order, shop_with_type, ticket_type

pytestmark = pytest.mark.django_db


def test_the_shop_shows_prices_with_mva_within_its_query_budget(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    shop, _company = shop_with_type(price=2490_00)
    ticket_type(shop.event, name="Bord for ti", price=22900_00, seats=10, capacity=2)
    ticket_type(shop.event, name="Presse", is_visible=False)
    url = reverse("ticket-shop", kwargs={"slug": shop.event.slug})
    with django_assert_max_num_queries(3):
        page = client.get(url).content.decode()
    assert "2\xa0490,00 kr" in page
    assert "inkl. 498,00 kr mva (25 %)" in page
    assert "Bord for ti" in page
    assert "Presse" not in page


def test_a_draft_event_sells_nothing(client: Any) -> None:
    shop, _ticket = shop_with_type()
    shop.event.state = EventState.DRAFT
    shop.event.save()
    assert client.get(reverse("ticket-shop", kwargs={"slug": shop.event.slug})).status_code == 404


def test_buying_by_invoice_through_the_pages(
    client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _shop, ticket = shop_with_type()
    url = reverse("ticket-shop", kwargs={"slug": ticket.event.slug})
    reserved = client.post(url, {f"qty-{ticket.pk}": "2", "client_key": "k1"})
    again = client.post(url, {f"qty-{ticket.pk}": "2", "client_key": "k1"})
    assert reserved["Location"] == again["Location"]
    order_url = reserved["Location"]
    details = checkout_form(org_number="988077918", **{"attendee-2-name": ""})
    refused = client.post(order_url, details)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Dette er ikke et gyldig organisasjonsnummer" in text
    assert "Oppgi deltakerens navn." in text
    assert 'value="Kari"' in text  # what was typed is kept
    details.update({"org_number": "988077917", "attendee-2-name": "Kari"})
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(order_url, details)
    assert done["Location"] == order_url
    page = client.get(order_url).content.decode()
    assert "Bekreftet." in page
    assert Order.objects.get().status == OrderStatus.INVOICED
    assert len(mail.outbox) == 1


def test_more_tickets_than_left_gets_a_clear_message_and_no_order(client: Any) -> None:
    _shop, ticket = shop_with_type(capacity=1)
    url = reverse("ticket-shop", kwargs={"slug": ticket.event.slug})
    answer = client.post(url, {f"qty-{ticket.pk}": "2"})
    assert answer.status_code == 409
    assert "Bare 1 av Bedriftsbillett er igjen." in answer.content.decode()
    assert client.post(url, {f"qty-{ticket.pk}": "x"}).status_code == 400
    assert not Order.objects.exists()


def test_order_lookup_finds_by_code_and_email_and_is_rate_limited(
    client: Any, settings: Any
) -> None:
    settings.ORDER_LOOKUP_RATE = "3/h"
    _shop, ticket = shop_with_type()
    order = invoiced_order(ticket, 1)
    url = reverse("ticket-lookup", kwargs={"slug": ticket.event.slug})
    wrong = client.post(url, {"code": order.code, "email": "annen@bedrift.no"})
    assert wrong.status_code == 404
    found = client.post(url, {"code": order.code.lower(), "email": "KARI@bedrift.no"})
    assert found.status_code == 302
    assert order.secret in found["Location"]
    client.post(url, {"code": order.code, "email": "x@x.no"})
    limited = client.post(url, {"code": order.code, "email": "kari@bedrift.no"})
    assert limited.status_code == 429
    assert "For mange forsøk" in limited.content.decode()


def test_the_buyer_downloads_tickets_and_invoice_and_asks_to_cancel(client: Any) -> None:
    _shop, ticket = shop_with_type()
    order = invoiced_order(ticket, 1)
    link = {"slug": order.event.slug, "code": order.code, "secret": order.secret}
    pdf = client.get(reverse("ticket-pdf", kwargs={**link, "position": 1}))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    number = order.invoices.get().number
    assert (
        client.get(reverse("ticket-invoice", kwargs={**link, "number": number})).status_code == 200
    )
    assert b"BEGIN:VCALENDAR" in client.get(reverse("ticket-ics", kwargs=link)).content
    wrong = {**link, "secret": "x" * 32}
    assert client.get(reverse("ticket-order", kwargs=wrong)).status_code == 404
    client.post(reverse("ticket-cancel-request", kwargs=link), {"note": "Syk"})
    assert order.events.filter(kind="cancellation_requested", note="Syk").exists()


def test_sold_out_is_a_409_with_the_message_and_the_shop_within_its_query_budget(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    _shop, ticket = shop_with_type(capacity=1)
    url = reverse("ticket-shop", kwargs={"slug": ticket.event.slug})
    assert client.post(url, {f"qty-{ticket.pk}": "1", "client_key": "a"}).status_code == 302
    with django_assert_max_num_queries(4):  # event, types, holdings, client key
        answer = client.post(url, {f"qty-{ticket.pk}": "1", "client_key": "b"})
    assert answer.status_code == 409
    page = answer.content.decode()
    assert 'role="alert"' in page
    assert "Bedriftsbillett er utsolgt." in page
    assert f'name="qty-{ticket.pk}"' not in page  # the page shows what is left now: none
    assert Order.objects.count() == 1


def test_a_confirmed_checkout_reads_only_what_it_writes_and_a_refused_one_shows_the_page(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    shop, ticket = shop_with_type()
    url = reverse("ticket-shop", kwargs={"slug": ticket.event.slug})
    order_url = client.post(url, {f"qty-{ticket.pk}": "1", "client_key": "k"})["Location"]
    details = checkout_form(**{"attendee-1-name": ""})
    refused = client.post(order_url, details)
    assert refused.status_code == 400
    assert "Oppgi deltakerens navn." in refused.content.decode()
    assert "Bedriftsbillett" in refused.content.decode()  # the tickets and lines are shown
    details["attendee-1-name"] = "Ola"
    # The seller has invoiced before: its invoice counter exists (the first invoice creates it).
    InvoiceCounter.objects.create(seller_org_number=shop.seller_org_number, last_number=41)
    with django_assert_max_num_queries(16):  # 23 when the POST prefetched the whole page
        assert client.post(order_url, details)["Location"] == order_url
    assert Order.objects.get().status == OrderStatus.INVOICED


def test_the_checkout_page_reads_the_order_lines_and_tickets_only(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    """A reserved order's page is the checkout: no invoices or cancellation to look up."""
    _shop, ticket = shop_with_type()
    url = reverse("ticket-shop", kwargs={"slug": ticket.event.slug})
    order_url = client.post(url, {f"qty-{ticket.pk}": "2", "client_key": "k"})["Location"]
    with django_assert_max_num_queries(3):  # the order (with event and shop), lines, tickets
        page = client.get(order_url).content.decode()
    assert page.count('name="attendee-') >= 2
    assert "Bedriftsbillett" in page


def test_the_order_page_reads_its_lines_tickets_and_check_ins_in_five_queries(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    """Each relation joined to what it shows: eight queries before, whatever the order held."""
    from awards.services.checkin import checkin_scan

    _shop, ticket = shop_with_type()
    order = invoiced_order(ticket, quantity=3)
    first = order.tickets.order_by("pk").first()
    assert first is not None
    checkin_scan(event=order.event, secret=first.secret, nonce="n" * 16)
    link = {"slug": order.event.slug, "code": order.code, "secret": order.secret}
    url = reverse("ticket-order", kwargs=link)
    # The order (with event and shop), lines, tickets, invoices, a cancellation request.
    with django_assert_max_num_queries(5):
        page = client.get(url).content.decode()
    assert page.count("Bedriftsbillett") >= 3
    # The ticket checked in can no longer change attendee; the other two can.
    assert page.count('name="dietary"') == 2
