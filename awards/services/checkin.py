"""Check-in at the door, idempotent by the scanning device's nonce.

A scan sends the ticket's secret and a nonce the device made for that scan. The first time a
nonce is seen its answer is decided and, if the ticket gets in, stored with the check-in; a
nonce seen before answers as it did (so a device replaying its offline queue, or retrying a
request whose answer it lost, never checks in twice or is told its own scan was "already
used"). The database allows one check-in per ticket: two devices scanning the same ticket at
once end with one check-in, and the other is told when and by which device.

The one place a ticket is checked in is ``checkin_scan``.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from awards.models import AwardEvent, CheckIn, OrderStatus, Ticket
from awards.webhook_events import TICKET_CHECKED_IN
from kundeservice.errors import DomainError
from webhooks.services.events import webhook_event_emit

#: What a ticket secret looks like (``orders.ticket_secret``): URL-safe base64, 27 characters.
SECRET = re.compile(r"[A-Za-z0-9_-]{27}")
NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")


class Outcome:
    OK = "ok"
    ALREADY_USED = "already_used"
    UNKNOWN = "unknown"
    OTHER_EVENT = "other_event"
    CANCELLED = "cancelled"
    UNPAID = "unpaid"


@dataclass(frozen=True)
class ScanResult:
    outcome: str
    ticket: Ticket | None = None
    checkin: CheckIn | None = None
    replay: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.OK

    @property
    def message(self) -> str:
        if self.outcome == Outcome.OK:
            return _("Welcome!")
        if self.outcome == Outcome.ALREADY_USED and self.checkin is not None:
            return _("Already used: checked in %(when)s on %(device)s.") % {
                "when": timezone.localtime(self.checkin.at).strftime("%H:%M:%S"),
                "device": self.checkin.device or _("an unnamed device"),
            }
        return {
            Outcome.UNKNOWN: _("Unknown code: this is not a ticket."),
            Outcome.OTHER_EVENT: _("This ticket is for another event."),
            Outcome.CANCELLED: _("This ticket's order is cancelled."),
            Outcome.UNPAID: _("This ticket is not paid or confirmed."),
        }.get(self.outcome, "")


def checkin_scan(
    *,
    event: AwardEvent,
    secret: str,
    nonce: str,
    device: str = "",
    user: Any = None,
    now: datetime | None = None,
) -> ScanResult:
    """Check the ticket with ``secret`` in at ``event``, once; see the module's docstring."""
    if not NONCE.fullmatch(nonce or ""):
        raise DomainError(
            {"nonce": [_("A nonce is 8 to 64 letters, digits, - or _.")]}, code="nonce"
        )
    secret = (secret or "").strip()
    previous = (
        CheckIn.objects.select_related("ticket__order", "ticket__ticket_type")
        .filter(nonce=nonce)
        .first()
    )
    if previous is not None:
        if previous.ticket.secret != secret:
            raise DomainError(
                {"nonce": [_("This nonce was used for another ticket.")]}, code="nonce_reused"
            )
        return ScanResult(Outcome.OK, previous.ticket, previous, replay=True)
    if not SECRET.fullmatch(secret):
        return ScanResult(Outcome.UNKNOWN)
    ticket = Ticket.objects.select_related("order", "ticket_type").filter(secret=secret).first()
    if ticket is None:
        return ScanResult(Outcome.UNKNOWN)
    if ticket.order.event_id != event.pk:
        return ScanResult(Outcome.OTHER_EVENT, ticket)
    if ticket.order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
        return ScanResult(Outcome.CANCELLED, ticket)
    if not ticket.order.is_valid:
        return ScanResult(Outcome.UNPAID, ticket)
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                ticket=ticket,
                nonce=nonce,
                device=device.strip()[:80],
                at=now or timezone.now(),
                by=user if user is not None and user.is_authenticated else None,
            )
            webhook_event_emit(event=TICKET_CHECKED_IN, subject=checkin)
    except IntegrityError:
        # Another request got there first: the same nonce (a retry racing its original) is
        # this scan's own check-in; another nonce is another device's.
        winner = CheckIn.objects.select_related("ticket").filter(ticket=ticket).first()
        if winner is None:
            return checkin_scan(
                event=event, secret=secret, nonce=nonce, device=device, user=user, now=now
            )
        if winner.nonce == nonce:
            return ScanResult(Outcome.OK, ticket, winner, replay=True)
        return ScanResult(Outcome.ALREADY_USED, ticket, winner)
    return ScanResult(Outcome.OK, ticket, checkin)
