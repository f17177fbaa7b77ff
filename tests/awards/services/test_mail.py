"""The confirmation: sent once even if its task runs twice, with a PDF ticket per attendee
whose QR code decodes to the ticket's secret, the calendar file and the invoice."""

from typing import Any

import pypdfium2
import pytest
import zxingcpp
from django.core import mail
from icalendar import Calendar

from awards.models import OrderEvent
from awards.services.mail import order_event_mail
from tests.awards.ticketing import invoiced_order, shop_with_type

pytestmark = pytest.mark.django_db


def qr_codes(pdf: bytes) -> list[str]:
    """The QR codes on a PDF's first page, rendered at 150 dpi."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=150 / 72).to_pil()
    return [code.text for code in zxingcpp.read_barcodes(image)]


def pdf_text(pdf: bytes) -> str:
    return pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()


def test_confirmation_is_sent_once_with_tickets_that_scan(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _shop, ticket_type = shop_with_type(price=2490_00)
    with django_capture_on_commit_callbacks(execute=True):
        order = invoiced_order(ticket_type, 2)
    assert len(mail.outbox) == 1
    event = OrderEvent.objects.get(order=order, mail="confirmation")
    assert order_event_mail(event_id=event.pk) == {"skipped": "already sent"}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kari@bedrift.no"]
    assert order.code in message.subject
    assert order.code in message.body
    pdfs = [a for a in message.attachments if a[0].startswith("billett-")]
    secrets = sorted(order.tickets.values_list("secret", flat=True))
    assert sorted(code for _name, pdf, _type in pdfs for code in qr_codes(pdf)) == secrets
    text = pdf_text(pdfs[0][1])
    assert "Gjest 1 Ærlig" in text
    assert "Oslo Konserthus" in text
    calendar = next(a for a in message.attachments if a[0].endswith(".ics"))
    entry = Calendar.from_ical(calendar[1]).walk("VEVENT")[0]
    assert str(entry["LOCATION"]).startswith("Oslo Konserthus")
    invoice = next(a for a in message.attachments if a[0].startswith("faktura-"))
    invoice_text = pdf_text(invoice[1])
    number = order.invoices.get()
    for expected in ("Faktura", "974 760 673 MVA", number.kid, "PO-4711", "25 %", "4 980,00"):
        assert expected in invoice_text
