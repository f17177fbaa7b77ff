"""Documents for buyers: one PDF ticket per attendee, the invoice PDF and an ``.ics`` file.

PDFs are drawn with reportlab's built-in Helvetica (which covers æ, ø and å); a ticket's QR code
is drawn as vector squares from segno's matrix, so it scans at any zoom. Text is in the order's
language; invoices are always in Norwegian.
"""

import io
from datetime import date, datetime, timedelta

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from icalendar import Calendar, Event
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from awards.models import Invoice, Order, Ticket
from awards.services.money import vat_breakdown

#: The gala's length, for calendars (the event has a start only).
EVENT_HOURS = 5
WIDTH, HEIGHT = A4


def when(moment: datetime) -> str:
    """A moment as people read it in the active language: "27. april 2026 kl. 18:00"."""
    local = timezone.localtime(moment)
    return _("%(date)s at %(time)s") % {
        "date": date_format(local, "DATE_FORMAT"),
        "time": time_format(local, "TIME_FORMAT"),
    }


def ticket_pdf(ticket: Ticket) -> bytes:
    """The attendee's ticket: event, time, venue, name, and the QR code of its secret."""
    order = ticket.order
    event = order.event
    with translation.override(order.language):
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=A4, invariant=True)
        canvas.setTitle(f"{event.display_name} – {ticket.label}")
        top = HEIGHT - 25 * mm
        canvas.setFont("Helvetica-Bold", 22)
        canvas.drawString(20 * mm, top, event.display_name[:60])
        canvas.setFont("Helvetica", 13)
        canvas.drawString(20 * mm, top - 10 * mm, when(event.starts_at))
        canvas.drawString(20 * mm, top - 17 * mm, event.venue)
        if event.address:
            canvas.drawString(20 * mm, top - 24 * mm, event.address)
        canvas.setFont("Helvetica-Bold", 18)
        canvas.drawString(20 * mm, top - 45 * mm, ticket.attendee_name or _("Attendee not named"))
        canvas.setFont("Helvetica", 13)
        if ticket.attendee_company:
            canvas.drawString(20 * mm, top - 53 * mm, ticket.attendee_company)
        canvas.drawString(20 * mm, top - 63 * mm, ticket.ticket_type.display_name)
        canvas.drawString(20 * mm, top - 70 * mm, _("Ticket %(label)s") % {"label": ticket.label})
        _qr(canvas, ticket.secret, x=20 * mm, y=top - 150 * mm, size=70 * mm)
        canvas.setFont("Helvetica", 10)
        canvas.drawString(
            20 * mm, top - 158 * mm, _("Show this code at the door. It lets one person in once.")
        )
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def ticket_filename(ticket: Ticket) -> str:
    return f"{_('ticket')}-{ticket.label}.pdf"


def order_ics(order: Order) -> bytes:
    """The event as a calendar entry, with the order's code and its management link."""
    event = order.event
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.SITE_NAME}//tickets//NB")
    calendar.add("version", "2.0")
    entry = Event()
    entry.add("uid", f"{order.code}@{settings.SITE_URL.split('//')[-1]}")
    entry.add("dtstamp", timezone.now())
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.starts_at + timedelta(hours=EVENT_HOURS))
    entry.add("summary", event.display_name)
    entry.add("location", ", ".join(part for part in (event.venue, event.address) if part))
    link = order_link(order)
    entry.add("description", _("Order %(code)s: %(link)s") % {"code": order.code, "link": link})
    entry.add("url", link)
    calendar.add_component(entry)
    return calendar.to_ical()


def order_link(order: Order) -> str:
    """Where the buyer manages the order (the address holds its secret)."""
    with translation.override(order.language):
        path = reverse(
            "ticket-order",
            kwargs={"slug": order.event.slug, "code": order.code, "secret": order.secret},
        )
    return settings.SITE_URL + path


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice or credit note in Norwegian: seller with organisation number and MVA,
    number, dates, KID, the buyer's reference, lines and MVA per rate."""
    with translation.override("nb"):
        return _invoice_pdf(invoice)


def invoice_filename(invoice: Invoice, extension: str = "pdf") -> str:
    with translation.override("nb"):
        kind = _("credit-note") if invoice.is_credit_note else _("invoice")
    return f"{kind}-{invoice.number}.{extension}"


def _invoice_pdf(invoice: Invoice) -> bytes:
    seller, buyer = invoice.seller, invoice.buyer
    sign = -1 if invoice.is_credit_note else 1
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    title = _("Credit note") if invoice.is_credit_note else _("Invoice")
    canvas.setTitle(f"{title} {invoice.number}")
    left, right = 20 * mm, WIDTH - 20 * mm
    y = HEIGHT - 25 * mm
    canvas.setFont("Helvetica-Bold", 20)
    canvas.drawString(left, y, title)
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawRightString(right, y, seller["name"])
    canvas.setFont("Helvetica", 10)
    for offset, text in enumerate(
        (
            seller["street"],
            f"{seller['postcode']} {seller['city']}",
            _("Org. no. %(number)s MVA") % {"number": _spaced_org(seller["org_number"])},
            seller["email"],
        ),
        start=1,
    ):
        canvas.drawRightString(right, y - offset * 5 * mm, text)
    y -= 35 * mm
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(left, y, buyer["name"])
    canvas.setFont("Helvetica", 10)
    buyer_lines = [
        buyer.get("contact", "") if buyer.get("contact") != buyer["name"] else "",
        buyer.get("street", ""),
        f"{buyer.get('postcode', '')} {buyer.get('city', '')}".strip(),
        _("Org. no. %(number)s") % {"number": _spaced_org(buyer["org_number"])}
        if buyer.get("org_number")
        else "",
    ]
    for offset, text in enumerate([line for line in buyer_lines if line], start=1):
        canvas.drawString(left, y - offset * 5 * mm, text)
    facts = [
        (_("Invoice number"), str(invoice.number)),
        (_("Invoice date"), _day(invoice.issued_on)),
    ]
    if invoice.is_credit_note and invoice.credited_invoice is not None:
        facts.append((_("Credits invoice"), str(invoice.credited_invoice.number)))
    else:
        facts += [
            (_("Due date"), _day(invoice.due_on) if invoice.due_on else ""),
            (_("KID"), invoice.kid),
        ]
    facts += [
        (_("Your reference"), buyer.get("reference") or "–"),
        (_("Order"), buyer.get("order", "")),
    ]
    for offset, (label, value) in enumerate(facts):
        canvas.drawString(WIDTH / 2 + 10 * mm, y - offset * 5 * mm, label)
        canvas.drawRightString(right, y - offset * 5 * mm, value)
    y -= 45 * mm
    columns = [
        (left, _("Description"), "l"),
        (left + 95 * mm, _("Qty"), "r"),
        (left + 120 * mm, _("Price incl. MVA"), "r"),
        (left + 137 * mm, _("MVA"), "r"),
        (right, _("Amount incl. MVA"), "r"),
    ]
    canvas.setFont("Helvetica-Bold", 9)
    for x, label, align in columns:
        (canvas.drawString if align == "l" else canvas.drawRightString)(x, y, label)
    canvas.setStrokeColor(colors.black)
    canvas.line(left, y - 2 * mm, right, y - 2 * mm)
    canvas.setFont("Helvetica", 9)
    for line in invoice.lines:
        y -= 7 * mm
        canvas.drawString(left, y, line["description"][:60])
        canvas.drawRightString(columns[1][0], y, str(line["quantity"]))
        canvas.drawRightString(columns[2][0], y, _kr(sign * line["unit_price"]))
        canvas.drawRightString(columns[3][0], y, f"{line['vat_rate']} %")
        canvas.drawRightString(right, y, _kr(sign * line["amount"]))
    y -= 12 * mm
    groups = vat_breakdown((line["amount"], line["vat_rate"]) for line in invoice.lines)
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(left + 80 * mm, y, _("MVA rate"))
    canvas.drawRightString(left + 125 * mm, y, _("Basis"))
    canvas.drawRightString(right, y, _("MVA"))
    canvas.setFont("Helvetica", 9)
    for group in groups:
        y -= 6 * mm
        canvas.drawString(left + 80 * mm, y, f"{group.rate} %")
        canvas.drawRightString(left + 125 * mm, y, _kr(sign * group.net))
        canvas.drawRightString(right, y, _kr(sign * group.vat))
    y -= 10 * mm
    for label, amount, bold in (
        (_("Total excl. MVA"), invoice.net, False),
        (_("MVA"), invoice.vat, False),
        (_("To be credited") if invoice.is_credit_note else _("To pay"), invoice.total, True),
    ):
        canvas.setFont("Helvetica-Bold" if bold else "Helvetica", 11 if bold else 10)
        canvas.drawString(left + 80 * mm, y, label)
        canvas.drawRightString(right, y, _kr(sign * amount) + " kr")
        y -= 6 * mm
    if not invoice.is_credit_note:
        y -= 8 * mm
        canvas.setFont("Helvetica", 10)
        canvas.drawString(
            left,
            y,
            _("Pay to account %(account)s by %(due)s and mark the payment with KID %(kid)s.")
            % {
                "account": _spaced_account(seller["account"]),
                "due": _day(invoice.due_on) if invoice.due_on else "",
                "kid": invoice.kid,
            },
        )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _qr(canvas: Canvas, data: str, *, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``data`` with its quiet zone, ``size`` wide, lower left at x, y."""
    rows = [list(row) for row in segno.make_qr(data, error="m").matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    for r, row in enumerate(rows):
        top = y + size - (r + 1) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                canvas.rect(x + start * module, top, (c - start) * module, module, stroke=0, fill=1)
            else:
                c += 1


def _kr(ore: int) -> str:
    """Øre as Norwegian kroner: "1 234,50", "-500,00"."""
    sign = "-" if ore < 0 else ""
    kroner, rest = divmod(abs(ore), 100)
    return f"{sign}{kroner:,}".replace(",", " ") + f",{rest:02d}"


def _day(day: date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _spaced_org(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 9 else number


def _spaced_account(number: str) -> str:
    return f"{number[:4]}.{number[4:6]}.{number[6:]}" if len(number) == 11 else number
