"""Buying gala tickets on a phone, in Norwegian and English: two tickets by invoice, the
e-mail's PDF tickets scan to the tickets' secrets, one is checked in at the door (green) and
scanned again (red); and a reservation left to expire gives its seats back."""

import re
from datetime import timedelta
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from django.core import mail
from django.test import Client
from django.utils import timezone

from awards.models import Order, OrderStatus
from kundeservice.roles import Role
from tests.awards.ticketing import shop_with_type
from tests.e2e.conftest import assert_accessible, assert_fits_width
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = {
    "nb": {
        "prefix": "/prisutdeling/{slug}/billetter/",
        "quantity": "Antall billetter",
        "reserve": "Reserver billetter",
        "held": "Billettene dine holdes av i",
        "fields": {
            "Kontaktperson": "Kari Nordmann",
            "E-post": "kari@bedrift.no",
            "Virksomhet": "Bedrift AS",
            "Organisasjonsnummer": "988077917",
            "Fakturaadresse": "Storgata 2",
            "Postnummer": "0155",
            "Poststed": "Oslo",
        },
        "attendee": "Billett {n}: Bedriftsbillett",
        "name": "Navn",
        "invoice": "Faktura (med organisasjonsnummer)",
        "confirm": "Bekreft og betal",
        "done": "Bekreftet.",
        "expired": "Reservasjonen din har utløpt",
        "sold_out": "Utsolgt",
        "scan_input": "Eller skriv eller lim inn billettkoden",
        "check_in": "Sjekk inn",
        "welcome": "Velkommen!",
        "used": "Allerede brukt",
    },
    "en": {
        "prefix": "/en/award/{slug}/tickets/",
        "quantity": "Number of tickets",
        "reserve": "Reserve tickets",
        "held": "Your tickets are held for",
        "fields": {
            "Contact person": "Kari Nordmann",
            "E-mail": "kari@bedrift.no",
            "Company": "Bedrift AS",
            "Organisation number": "988077917",
            "Invoice address": "Storgata 2",
            "Postcode": "0155",
            "City": "Oslo",
        },
        "attendee": "Ticket {n}: Company ticket",
        "name": "Name",
        "invoice": "Invoice (with organisation number)",
        "confirm": "Confirm and pay",
        "done": "Confirmed.",
        "expired": "Your reservation has expired",
        "sold_out": "Sold out",
        "scan_input": "Or type or paste the ticket code",
        "check_in": "Check in",
        "welcome": "Welcome!",
        "used": "Already used",
    },
}


def exactly(label: str) -> re.Pattern[str]:
    """A form label as Django writes it (with its colon), and nothing longer."""
    return re.compile(rf"^{re.escape(label)}:?$")


def qr_codes(pdf: bytes) -> list[str]:
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    return [code.text for code in zxingcpp.read_barcodes(image)]


def log_in_as_door_staff(page: Any, base: str) -> None:
    client = Client()
    client.force_login(UserFactory(roles=[Role.DOOR_STAFF]))
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
@pytest.mark.parametrize("language", ["nb", "en"])
def test_buy_two_tickets_by_invoice_and_check_one_in(
    live_server: Any, page: Any, language: str
) -> None:
    text = TEXT[language]
    _shop, ticket = shop_with_type(capacity=10)
    shop_url = live_server.url + text["prefix"].format(slug=ticket.event.slug)
    page.goto(shop_url)
    assert page.locator("html").get_attribute("lang") == language
    assert_fits_width(page)
    assert_accessible(page)
    page.get_by_label(text["quantity"]).select_option("2")
    page.get_by_role("button", name=text["reserve"]).click()
    page.get_by_text(text["held"]).wait_for()
    assert_fits_width(page)
    assert_accessible(page)
    for label, value in text["fields"].items():
        page.get_by_label(exactly(label)).fill(value)
    for n in (1, 2):
        group = page.get_by_role("group", name=text["attendee"].format(n=n))
        group.get_by_label(exactly(text["name"])).fill(f"Gjest {n} Ærlig")
    page.get_by_label(text["invoice"]).check()
    page.get_by_role("button", name=text["confirm"]).click()
    page.get_by_text(text["done"]).wait_for()
    assert_fits_width(page)
    assert_accessible(page)

    order = Order.objects.get()
    assert order.status == OrderStatus.INVOICED
    assert order.language == language
    assert len(mail.outbox) == 1
    pdfs = [body for name, body, kind in mail.outbox[0].attachments if kind == "application/pdf"]
    codes = sorted(code for pdf in pdfs for code in qr_codes(pdf))
    assert codes == sorted(order.tickets.values_list("secret", flat=True))

    log_in_as_door_staff(page, live_server.url)
    prefix = "/en" if language == "en" else ""
    page.goto(f"{live_server.url}{prefix}/staff/checkin/{ticket.event_id}/")
    assert_fits_width(page)
    assert_accessible(page)
    result = page.locator("#scan-result")
    for expected in (text["welcome"], text["used"]):
        page.get_by_label(text["scan_input"]).fill(codes[0])
        page.get_by_role("button", name=text["check_in"], exact=True).click()
        result.get_by_text(expected).wait_for()
    assert "bad" in (result.get_attribute("class") or "")
    assert_accessible(page)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_an_expired_reservation_gives_its_seats_back(live_server: Any, page: Any) -> None:
    text = TEXT["nb"]
    _shop, ticket = shop_with_type(capacity=2)
    shop_url = live_server.url + text["prefix"].format(slug=ticket.event.slug)
    page.goto(shop_url)
    page.get_by_label(text["quantity"]).select_option("2")
    page.get_by_role("button", name=text["reserve"]).click()
    page.get_by_text(text["held"]).wait_for()
    order_url = page.url
    other = page.context.new_page()
    other.goto(shop_url)
    assert other.get_by_text(text["sold_out"], exact=True).is_visible()
    assert_accessible(other)
    Order.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    other.reload()
    assert other.get_by_label(text["quantity"]).is_visible()
    page.goto(order_url)
    page.get_by_text(text["expired"]).wait_for()
    assert_accessible(page)
