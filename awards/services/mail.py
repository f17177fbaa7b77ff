"""E-mails to buyers and to those on the waiting list, each sent once.

The row that asks for a mail (an ``OrderEvent``, a ``WaitingListEntry``) is locked while its
mail is sent and marked sent in the same transaction: a task that runs twice, or two workers
running it at once, send it once (the second waits for the lock and finds it sent).
"""

from typing import Any

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from awards.models import (
    Order,
    OrderEvent,
    OrderMail,
    WaitingListEntry,
    WaitingStatus,
)
from awards.services.documents import (
    invoice_filename,
    invoice_pdf,
    order_ics,
    order_link,
    ticket_filename,
    ticket_pdf,
    when,
)
from awards.services.ehf import invoice_ehf


def order_event_mail(*, event_id: int) -> dict[str, Any]:
    """Send the mail an order event asks for: the confirmation with one PDF ticket per
    attendee, the calendar file, the invoice (and its EHF when asked), or a cancellation."""
    with transaction.atomic():
        event = OrderEvent.objects.select_for_update().filter(pk=event_id).exclude(mail="").first()
        if event is None:
            return {"skipped": "no such mail"}
        if event.mailed_at is not None:
            return {"skipped": "already sent"}
        order = (
            Order.objects.select_related("event")
            .prefetch_related("tickets__ticket_type", "tickets__order__event", "invoices")
            .get(pk=event.order_id)
        )
        if event.mail == OrderMail.CONFIRMATION and not order.is_valid:
            return {"skipped": f"order {order.status}"}
        if not order.buyer_email:
            return {"skipped": "no e-mail address"}
        with translation.override(order.language):
            message = _order_message(order, event.mail)
        message.send()
        event.mailed_at = timezone.now()
        event.save(update_fields=["mailed_at"])
    return {"sent": order.buyer_email, "attachments": len(message.attachments)}


def waiting_offer_mail(*, entry_id: int) -> dict[str, Any]:
    """Tell the next on the waiting list that seats are held for them, with the link."""
    with transaction.atomic():
        entry = (
            WaitingListEntry.objects.select_for_update(of=("self",))
            .select_related("event", "ticket_type")
            .filter(pk=entry_id, status=WaitingStatus.OFFERED)
            .first()
        )
        if entry is None:
            return {"skipped": "no open offer"}
        if entry.mailed_at is not None:
            return {"skipped": "already sent"}
        with translation.override(entry.language):
            path = reverse("ticket-offer", kwargs={"slug": entry.event.slug, "token": entry.token})
            context = {
                "entry": entry,
                "event": entry.event,
                "link": settings.SITE_URL + path,
                "until": when(entry.offer_expires_at) if entry.offer_expires_at else "",
                "SITE_NAME": settings.SITE_NAME,
            }
            subject = render_to_string("awards/mail/waiting_offer_subject.txt", context).strip()
            body = render_to_string("awards/mail/waiting_offer.txt", context)
        mail.EmailMessage(subject=subject, body=body, to=[entry.email]).send()
        entry.mailed_at = timezone.now()
        entry.save(update_fields=["mailed_at"])
    return {"sent": entry.email}


def _order_message(order: Order, kind: str) -> mail.EmailMessage:
    invoices = list(order.invoices.all())
    invoice = next((i for i in reversed(invoices) if not i.is_credit_note), None)
    credit_note = next((i for i in reversed(invoices) if i.is_credit_note), None)
    context = {
        "order": order,
        "event": order.event,
        "when": when(order.event.starts_at),
        "link": order_link(order),
        "tickets": order.tickets.all(),
        "invoice": invoice,
        "credit_note": credit_note,
        "SITE_NAME": settings.SITE_NAME,
    }
    template = "confirmation" if kind == OrderMail.CONFIRMATION else "cancellation"
    subject = render_to_string(f"awards/mail/{template}_subject.txt", context).strip()
    body = render_to_string(f"awards/mail/{template}.txt", context)
    message = mail.EmailMessage(subject=subject, body=body, to=[order.buyer_email])
    if kind == OrderMail.CONFIRMATION:
        for ticket in order.tickets.all():
            message.attach(ticket_filename(ticket), ticket_pdf(ticket), "application/pdf")
        message.attach(f"{order.event.slug}.ics", order_ics(order), "text/calendar")
    document = credit_note if kind == OrderMail.CANCELLATION else invoice
    if document is not None:
        message.attach(invoice_filename(document), invoice_pdf(document), "application/pdf")
        if order.wants_ehf:
            message.attach(
                invoice_filename(document, "xml"), invoice_ehf(document), "application/xml"
            )
    return message
