"""The waiting list: freed seats go to those waiting, in the order they joined.

While anyone waits for a type, the public shop counts what they want as taken (as pretix
does), so a freed seat cannot be bought by someone arriving later. The sweep offers it to
the first in line whose tickets fit; the offer holds the seats for ``OFFER_HOURS`` and is
mailed with a link that reserves them. Nobody is skipped: if the first in line wants more
than is free, those behind wait too.
"""

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from awards.models import (
    AwardEvent,
    TicketShop,
    TicketType,
    WaitingListEntry,
    WaitingStatus,
)
from awards.selectors import capacity_holdings, tickets_left
from awards.services.locking import capacity_lock
from kundeservice.errors import DomainError
from kundeservice.tasks import enqueue_on_commit

OFFER_HOURS = 48


def waiting_list_join(
    *,
    ticket_type: TicketType,
    name: str,
    email: str,
    quantity: int,
    language: str = "nb",
    now: datetime | None = None,
) -> WaitingListEntry:
    """Join the waiting list of a sold-out ticket type."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    name, email = name.strip()[:200], email.strip()[:254]
    if not name:
        errors["name"] = [_("Give your name.")]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Give a valid e-mail address.")]
    if not 1 <= quantity <= ticket_type.max_per_order:
        errors["quantity"] = [
            _("Choose from 1 to %(n)s tickets.") % {"n": ticket_type.max_per_order}
        ]
    if errors:
        raise DomainError(errors, code="waiting_list")
    shop = TicketShop.objects.select_related("event").get(event_id=ticket_type.event_id)
    types = {t.pk: t for t in TicketType.objects.filter(event_id=shop.event_id)}
    holdings = capacity_holdings(event=shop.event, types=types, now=now)
    if tickets_left(shop=shop, ticket_type=ticket_type, holdings=holdings) > 0:
        raise DomainError(
            _("%(type)s is not sold out: you can buy it now.") % {"type": ticket_type.display_name},
            code="not_sold_out",
        )
    return WaitingListEntry.objects.create(
        event_id=ticket_type.event_id,
        ticket_type=ticket_type,
        name=name,
        email=email,
        quantity=quantity,
        language=language,
        token=secrets.token_urlsafe(24),
        created_at=now,
    )


def waiting_list_offer(*, event: AwardEvent, now: datetime | None = None) -> list[int]:
    """Offer the event's free seats to those waiting, in order; the ids of the new offers."""
    from awards.tasks import mail_waiting_offer

    now = now or timezone.now()
    shop = TicketShop.objects.filter(event=event).first()
    if shop is None:
        return []
    types = {t.pk: t for t in TicketType.objects.filter(event=event)}
    offered: list[int] = []
    with transaction.atomic():
        capacity_lock(event_id=event.pk, ticket_type_ids=types)
        WaitingListEntry.objects.filter(
            event=event, status=WaitingStatus.OFFERED, offer_expires_at__lte=now
        ).update(status=WaitingStatus.EXPIRED)
        holdings = capacity_holdings(event=event, types=types, now=now)
        blocked: set[int] = set()
        for entry in WaitingListEntry.objects.filter(event=event, status=WaitingStatus.WAITING):
            ticket_type = types[entry.ticket_type_id]
            if ticket_type.pk in blocked:
                continue
            free = tickets_left(shop=shop, ticket_type=ticket_type, holdings=holdings, public=False)
            if entry.quantity > free:
                blocked.add(ticket_type.pk)  # nobody behind this entry jumps the line
                continue
            entry.status = WaitingStatus.OFFERED
            entry.offered_at = now
            entry.offer_expires_at = now + timedelta(hours=OFFER_HOURS)
            entry.save(update_fields=["status", "offered_at", "offer_expires_at"])
            holdings.held[ticket_type.pk] = holdings.held.get(ticket_type.pk, 0) + entry.quantity
            holdings.seats_held += entry.quantity * ticket_type.seats
            offered.append(entry.pk)
            enqueue_on_commit(mail_waiting_offer, entry_id=entry.pk)
    return offered


def offer_for_token(*, event: AwardEvent, token: str) -> WaitingListEntry | None:
    return (
        WaitingListEntry.objects.select_related("ticket_type", "event", "order")
        .filter(event=event, token=token[:64])
        .first()
    )
