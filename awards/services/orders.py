"""Orders: reserve seats, check out by invoice, card or for free, get paid, cancel, expire.

A reservation is made under the event's capacity lock (``awards.services.locking``): the seats
held are counted and the order written in one transaction, so the shop never sells more than
the event's or a type's capacity. It holds the seats for ``RESERVATION_MINUTES``; the buyer then
gives their details and one attendee per ticket, and pays:

- by invoice: the order is confirmed at once and an invoice issued (``awards.services.invoices``);
- by card: a hosted checkout at the provider; the order is paid only by the provider's verified
  webhook (``payment_notice_apply``), once however often the message comes;
- free (a voucher covering everything): confirmed and paid at once.

Where the outside world hears of it: an order becomes paid only in ``order_paid``, is cancelled
only in ``order_cancel``; a ticket is checked in only in ``awards.services.checkin``.
"""

import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.no import orgnr

from awards.models import (
    AwardEvent,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderMail,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderEvent,
    Ticket,
    TicketShop,
    TicketType,
    Voucher,
    WaitingListEntry,
    WaitingStatus,
)
from awards.selectors import (
    Holdings,
    ShopState,
    capacity_holdings,
    holding_orders,
    seats_left,
    shop_state,
    tickets_left,
)
from awards.services.locking import capacity_lock, counted_pause
from awards.services.money import discounted
from awards.services.payments import card_provider, provider_get
from awards.services.payments.base import (
    NoticeKind,
    PaymentNotice,
    PaymentProvider,
    PaymentUnavailable,
)
from awards.webhook_events import ORDER_CANCELLED, ORDER_PAID
from kundeservice.compiled import CompiledQuery, CompiledUpdate
from kundeservice.errors import ConflictError, DomainError
from kundeservice.numbers import ascii_digits
from kundeservice.tasks import enqueue_on_commit
from webhooks.services.events import webhook_event_emit

logger = logging.getLogger(__name__)

RESERVATION_MINUTES = 15
#: A card order whose checkout ended this long ago without word from the provider expires.
CARD_GRACE = timedelta(minutes=15)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
PHONE = re.compile(r"\+?[0-9 ]{8,20}")


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    phone: str = ""
    company: str = ""
    org_number: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    reference: str = ""
    wants_ehf: bool = False


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str = ""
    company: str = ""
    dietary: str = ""


def order_reserve(
    *,
    event: AwardEvent,
    quantities: Mapping[int, int],
    voucher_code: str = "",
    client_key: str = "",
    language: str = "nb",
    offer: WaitingListEntry | None = None,
    now: datetime | None = None,
    state: ShopState | None = None,
) -> Order:
    """Hold seats for ``quantities`` (ticket type id → tickets) for ``RESERVATION_MINUTES``.

    The same ``client_key`` (the form's or an API client's idempotency key) returns the order
    it made the first time. ``offer`` redeems a waiting-list offer: its seats, held for it.

    ``state`` is the shop as the caller read it (``shop_state``; read here if not given). A
    public reservation that wants more than it says is left is refused without waiting for the
    capacity lock: the holdings are one statement's snapshot, so "sold out" was true at that
    instant (as true as an answer under the lock, which is also out of date once sent). What is
    left is counted again under the lock before the order is committed, so no snapshot can let
    the shop oversell."""
    client_key = client_key.strip()[:64]
    try:
        if AwardEvent.ticket_shop.is_cached(event):
            shop = getattr(event, "ticket_shop", None)
        else:
            shop = TicketShop.objects.filter(event=event).first()
        if shop is None or (offer is None and not (shop.is_open and event.is_public)):
            raise DomainError(_("Tickets for this event are not on sale."), code="not_on_sale")
        if state is None:
            state = shop_state(event=event, now=now)
        now = now or state.now
        types = state.types
        wanted = _wanted(quantities=quantities, types=types)
        voucher = (
            _voucher(event=event, code=voucher_code, now=now) if voucher_code.strip() else None
        )
        _check_types(wanted=wanted, voucher=voucher, offer=offer, now=now)
        if offer is None:
            _check_left(shop=shop, wanted=wanted, holdings=state.holdings, public=True)
    except DomainError:
        # Refused, unless this is a repeat (a double click, a retry) of a reservation that was
        # made: it gets its order, even when that order took the last seats. A first attempt,
        # the common case, is not looked up: its order is written below.
        existing = _order_for_key(event=event, client_key=client_key)
        if existing is not None:
            return existing
        raise
    code = _new_code()
    try:
        with transaction.atomic():
            # The order is written first and the capacity locked after, so the lock, which
            # every reservation of the shop waits for, is held only to count what holds the
            # seats (this order excepted, itself not yet committed) and to commit. Refused,
            # the transaction takes the order with it. A repeat of the same client key (a
            # double click, a retry) stops at the key's unique constraint before the lock,
            # and gets the order the key made.
            order = _order_create(
                code=code,
                event=event,
                wanted=wanted,
                voucher=voucher,
                client_key=client_key,
                language=language,
                now=now,
            )
            capacity_lock(event_id=event.pk, ticket_type_ids=[t.pk for t in wanted])
            if offer is not None:
                offer = WaitingListEntry.objects.select_for_update().get(pk=offer.pk)
                if (
                    offer.status != WaitingStatus.OFFERED
                    or not offer.offer_expires_at
                    or (offer.offer_expires_at <= now)
                ):
                    raise DomainError(_("This offer has expired."), code="offer_expired")
            holdings = capacity_holdings(
                event=event,
                types=types,
                now=now,
                except_offer=offer.pk if offer else None,
                except_order=order.pk,
            )
            _check_left(shop=shop, wanted=wanted, holdings=holdings, public=offer is None)
            if voucher is not None:
                _check_voucher_uses(voucher=voucher, wanted=wanted, now=now, order=order)
            counted_pause()
            if offer is not None:
                offer.status = WaitingStatus.REDEEMED
                offer.order = order
                offer.save(update_fields=["status", "order"])
    except IntegrityError:
        existing = _order_for_key(event=event, client_key=client_key)
        if existing is None:
            raise
        return existing
    return order


#: The order a reservation's client key made (looked up on every reservation of a rush).
_ORDER_FOR_KEY: CompiledQuery[Order] = CompiledQuery(
    lambda event_id, client_key: Order.objects.filter(event_id=event_id, client_key=client_key)[:1],
    event_id=int,
    client_key=str,
)
#: An order being checked out, locked, with its event and shop.
_ORDER_LOCKED: CompiledQuery[Order] = CompiledQuery(
    lambda pk: (
        Order.objects.select_for_update(of=("self",))
        .select_related("event", "event__ticket_shop")
        .filter(pk=pk)
    ),
    pk=int,
)


def _order_for_key(*, event: AwardEvent, client_key: str) -> Order | None:
    """The order a reservation with ``client_key`` made, if any (none without a key)."""
    if not client_key:
        return None
    return _ORDER_FOR_KEY.first(event_id=event.pk, client_key=client_key)


def order_checkout(
    *,
    order: Order,
    buyer: Buyer,
    attendees: Sequence[Attendee],
    method: str,
    success_url: str = "",
    cancel_url: str = "",
    provider: PaymentProvider | None = None,
    now: datetime | None = None,
) -> str | None:
    """Complete a reservation with the buyer's details and its attendees, and pay: by invoice
    (confirmed at once), by card (the checkout page's address is returned) or for free.

    Sent twice (a double click), the second finds the order done and changes nothing."""
    now = now or timezone.now()
    if order.total == 0:
        method = PaymentMethod.FREE
    errors: dict[str, list[str]] = {}  # every field's message at once, not the buyer's first
    try:
        buyer = _clean_buyer(buyer=buyer, method=method)
    except DomainError as exc:
        errors.update(exc.message_dict)
    try:
        attendees = _clean_attendees(attendees)
    except DomainError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise DomainError(errors, code="details")
    if method == PaymentMethod.CARD:
        provider = provider or card_provider()
        if provider is None:
            raise DomainError(
                {"method": [_("Card payment is not available. Please choose invoice.")]},
                code="no_card",
            )
    # The tickets of a reservation do not change while it is one (checked under the lock
    # below), so those the caller read with the order (its prefetch) are the ones to name.
    read = order
    with transaction.atomic():
        locked = _ORDER_LOCKED.first(pk=order.pk)
        if locked is None:
            raise Order.DoesNotExist(f"order {order.pk} is gone")
        order = locked
        if order.status == OrderStatus.PENDING:
            payment = order.payments.filter(status=PaymentStatus.CREATED).last()
            return payment.checkout_url if payment else None
        if order.status in Order.VALID:
            return None
        if order.status != OrderStatus.RESERVED or not order.holds_seats(now):
            raise DomainError(
                _(
                    "Your reservation has expired and its seats were released. Please choose your "
                    "tickets again."
                ),
                code="expired",
            )
        tickets = sorted(read.tickets.all(), key=lambda ticket: ticket.position)
        if len(attendees) != len(tickets):
            raise DomainError(_("Give one attendee for each ticket."), code="attendees")
        _save_details(order=order, buyer=buyer, tickets=tickets, attendees=attendees)
        order.payment_method = method
        if method == PaymentMethod.FREE:
            order.confirmed_at = now
            order.save()
            order_paid(order=order, note=_("Free tickets"), now=now)
            return None
        if method == PaymentMethod.INVOICE:
            from awards.services.invoices import invoice_issue

            order.status = OrderStatus.INVOICED
            order.confirmed_at = now
            _CONFIRMED_WRITE.run([order])
            _event(order, OrderEventKind.CONFIRMED, mail=OrderMail.CONFIRMATION)
            # Last: from taking its number the seller's invoice series is locked until commit.
            invoice_issue(order=order, today=timezone.localdate(now))
            return None
        assert provider is not None
        payment = Payment.objects.create(
            order=order, provider=provider.name, reference="", amount=order.total
        )
        try:
            session = provider.checkout_start(
                order=order, payment=payment, success_url=success_url, cancel_url=cancel_url
            )
        except PaymentUnavailable as exc:
            logger.warning("checkout for order %s failed: %s", order.code, exc)
            raise DomainError(
                _("Card payment is not answering right now. Try again, or choose invoice."),
                code="card_unavailable",
            ) from exc
        payment.reference = session.reference
        payment.checkout_url = session.url
        payment.save(update_fields=["reference", "checkout_url"])
        order.status = OrderStatus.PENDING
        order.expires_at = max(order.expires_at or now, session.expires_at)
        order.save()
        _event(order, OrderEventKind.CARD_STARTED)
        return session.url


def order_paid(
    *, order: Order, actor: Any = None, note: str = "", now: datetime | None = None
) -> None:
    """The one place an order becomes paid (card webhook, invoice paid, free): its tickets are
    mailed unless an invoice confirmation already did. Call with the order locked."""
    now = now or timezone.now()
    mailed = order.status == OrderStatus.INVOICED
    order.status = OrderStatus.PAID
    order.paid_at = now
    order.confirmed_at = order.confirmed_at or now
    order.save(update_fields=["status", "paid_at", "confirmed_at", "payment_method"])
    webhook_event_emit(event=ORDER_PAID, subject=order)
    _event(
        order,
        OrderEventKind.PAID,
        actor=actor,
        note=note,
        mail="" if mailed else OrderMail.CONFIRMATION,
    )


def payment_notice_apply(*, provider_name: str, notice: PaymentNotice) -> str:
    """Apply a verified provider message, once: a message id seen before changes nothing.

    A payment for an unknown checkout, or for an order no longer awaiting it (expired,
    cancelled), is logged with what it was and changes no order: staff refund it."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ProviderEvent.objects.create(
                    provider=provider_name,
                    event_id=notice.event_id[:255],
                    kind=notice.provider_type[:100],
                    outcome="received",
                )
        except IntegrityError:
            return "duplicate"
        payment = None
        if notice.kind == NoticeKind.OTHER:
            outcome = "not used"
        else:
            payment = (
                Payment.objects.filter(provider=provider_name, reference=notice.reference)
                .exclude(reference="")
                .first()
            )
            if payment is None:
                logger.warning(
                    "%s %s for unknown checkout %r",
                    provider_name,
                    notice.provider_type,
                    notice.reference,
                )
                outcome = "unknown checkout"
            else:
                outcome = _apply_to_payment(payment=payment, notice=notice)
        record.payment = payment
        record.outcome = outcome
        record.save(update_fields=["payment", "outcome"])
    return outcome


def order_cancel(
    *,
    order: Order,
    actor: Any = None,
    reason: str = "",
    refund: bool = False,
    now: datetime | None = None,
) -> Order:
    """The one place an order is cancelled: its seats are freed, an invoice is credited (a
    credit note, never a reused number), and with ``refund`` a card payment is refunded through
    its provider. The buyer of a confirmed order is told by e-mail."""
    now = now or timezone.now()
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",)).select_related("event").get(pk=order.pk)
        )
        if order.status not in Order.COUNTING:
            raise DomainError(_("This order is already cancelled or expired."), code="cancelled")
        confirmed = order.status in Order.VALID
        if refund:
            _refund(order=order, actor=actor, now=now)
        from awards.services.invoices import credit_note_issue

        for invoice in order.invoices.filter(kind="invoice", credit_note__isnull=True):
            credit_note_issue(invoice=invoice, today=timezone.localdate(now))
        order.payments.filter(status=PaymentStatus.CREATED).update(status=PaymentStatus.EXPIRED)
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = now
        order.save(update_fields=["status", "cancelled_at"])
        webhook_event_emit(event=ORDER_CANCELLED, subject=order)
        _event(
            order,
            OrderEventKind.CANCELLED,
            actor=actor,
            note=reason[:500],
            mail=OrderMail.CANCELLATION if confirmed else "",
        )
        _offer_freed_seats(order.event_id)
    return order


def order_request_cancellation(*, order: Order, note: str = "") -> None:
    """The buyer asks to cancel; staff decide (and credit or refund)."""
    if order.status not in Order.VALID:
        raise DomainError(_("Only a confirmed order can be cancelled."), code="not_confirmed")
    if order.events.filter(kind=OrderEventKind.CANCELLATION_REQUESTED).exists():
        raise DomainError(_("You have already asked to cancel this order."), code="requested")
    _event(order, OrderEventKind.CANCELLATION_REQUESTED, note=note.strip()[:500])


def order_resend(*, order: Order, actor: Any = None) -> None:
    """Mail the confirmation with the tickets again."""
    if order.status not in Order.VALID:
        raise DomainError(_("Only a confirmed order has tickets to send."), code="not_confirmed")
    with transaction.atomic():
        _event(order, OrderEventKind.RESENT, actor=actor, mail=OrderMail.CONFIRMATION)


def attendee_change(
    *,
    ticket: Ticket,
    attendee: Attendee,
    actor: Any = None,
    by_buyer: bool = False,
    now: datetime | None = None,
) -> Ticket:
    """Put another name (and details) on a ticket; buyers may until the shop's cut-off."""
    now = now or timezone.now()
    attendee = _clean_attendees([attendee], numbered=False)[0]
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("event__ticket_shop")
            .get(pk=ticket.order_id)
        )
        if order.status not in Order.VALID:
            raise DomainError(
                _("Only tickets of a confirmed order can be changed."), code="not_confirmed"
            )
        if by_buyer and now >= order.event.ticket_shop.changes_deadline:
            raise DomainError(
                _("Attendees can no longer be changed here. Please contact the organiser."),
                code="too_late",
            )
        ticket = Ticket.objects.select_related("checkin").get(pk=ticket.pk)
        if hasattr(ticket, "checkin"):
            raise DomainError(_("This ticket has been checked in."), code="checked_in")
        before = ticket.attendee_name
        ticket.attendee_name = attendee.name
        ticket.attendee_email = attendee.email
        ticket.attendee_company = attendee.company
        ticket.dietary = attendee.dietary
        ticket.save()
        _event(
            order,
            OrderEventKind.ATTENDEE_CHANGED,
            actor=actor,
            note=f"{ticket.label}: {before} → {attendee.name}"[:500],
        )
    return ticket


def orders_expire_due(*, now: datetime | None = None) -> int:
    """Expire reservations past their time and card orders whose checkout ended without
    payment (beat, every minute); their seats are offered to the waiting list."""
    now = now or timezone.now()
    due = Order.objects.filter(
        Q(status=OrderStatus.RESERVED, expires_at__lte=now)
        | Q(status=OrderStatus.PENDING, expires_at__lte=now - CARD_GRACE)
    )
    expired = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            order = due.select_for_update().filter(pk=pk).first()
            if order is not None:  # not paid or expired by a webhook meanwhile
                _expire(order)
                expired += 1
    return expired


def _apply_to_payment(*, payment: Payment, notice: PaymentNotice) -> str:
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    payment.refresh_from_db()
    if notice.kind == NoticeKind.PAID:
        if payment.status == PaymentStatus.PAID:
            return "already paid"
        if order.status != OrderStatus.PENDING or payment.status != PaymentStatus.CREATED:
            logger.warning(
                "payment %s for order %s, which is %s: nothing changed; refund it",
                payment.reference,
                order.code,
                order.status,
            )
            return f"order {order.status}: nothing changed"
        if notice.amount != payment.amount or notice.currency != "NOK":
            logger.error(
                "payment %s: %s %s paid, %s NOK due: nothing changed",
                payment.reference,
                notice.amount,
                notice.currency,
                payment.amount,
            )
            return "amount differs: nothing changed"
        payment.status = PaymentStatus.PAID
        payment.paid_at = timezone.now()
        payment.charge_reference = notice.charge_reference[:255]
        payment.save(update_fields=["status", "paid_at", "charge_reference"])
        order_paid(order=order, note=payment.provider)
        return "paid"
    if payment.status == PaymentStatus.CREATED and order.status == OrderStatus.PENDING:
        payment.status = PaymentStatus.EXPIRED
        payment.save(update_fields=["status"])
        _expire(order)
        return "expired"
    return "nothing to expire"


def _expire(order: Order) -> None:
    order.payments.filter(status=PaymentStatus.CREATED).update(status=PaymentStatus.EXPIRED)
    order.status = OrderStatus.EXPIRED
    order.save(update_fields=["status"])
    _event(order, OrderEventKind.EXPIRED)
    _offer_freed_seats(order.event_id)


def _refund(*, order: Order, actor: Any, now: datetime) -> None:
    payment = order.payments.filter(status=PaymentStatus.PAID).first()
    if payment is None:
        raise DomainError(_("This order has no card payment to refund."), code="no_payment")
    provider = provider_get(payment.provider)
    if provider is None:
        raise DomainError(_("The payment provider is not configured."), code="no_provider")
    try:
        payment.refund_reference = provider.refund(payment=payment)[:255]
    except PaymentUnavailable as exc:
        logger.warning("refund of %s failed: %s", payment.reference, exc)
        raise DomainError(
            _("The payment provider did not refund: %(e)s") % {"e": str(exc)[:200]},
            code="refund_failed",
        ) from exc
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = now
    payment.save(update_fields=["status", "refunded_at", "refund_reference"])
    _event(order, OrderEventKind.REFUNDED, actor=actor, note=payment.refund_reference)


def _offer_freed_seats(event_id: int) -> None:
    from awards.tasks import offer_freed_seats

    enqueue_on_commit(offer_freed_seats, event_id=event_id)


def _event(
    order: Order, kind: str, *, actor: Any = None, note: str = "", mail: str = ""
) -> OrderEvent:
    event = OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor if actor and actor.is_authenticated else None,
        note=note,
        mail=mail,
    )
    if mail:
        from awards.tasks import mail_order_event

        enqueue_on_commit(mail_order_event, event_id=event.pk)
    return event


def _wanted(
    *, quantities: Mapping[int, int], types: dict[int, TicketType]
) -> dict[TicketType, int]:
    wanted: dict[TicketType, int] = {}
    for type_id, quantity in quantities.items():
        ticket_type = types.get(type_id)
        if ticket_type is None:
            raise DomainError(_("Unknown ticket type."), code="unknown_type")
        if quantity < 0:
            raise DomainError(_("A quantity cannot be negative."), code="quantity")
        if quantity > ticket_type.max_per_order:
            raise DomainError(
                _("At most %(n)s of %(type)s per order.")
                % {"n": ticket_type.max_per_order, "type": ticket_type.display_name},
                code="over_limit",
            )
        if quantity:
            wanted[ticket_type] = quantity
    if not wanted:
        raise DomainError(_("Choose at least one ticket."), code="nothing_chosen")
    return wanted


def _voucher(*, event: AwardEvent, code: str, now: datetime) -> Voucher:
    voucher = (
        Voucher.objects.filter(event=event, code__iexact=code.strip()[:40])
        .select_related("ticket_type")
        .first()
    )
    if voucher is None:
        raise DomainError({"voucher": [_("This voucher code is not valid.")]}, code="voucher")
    if voucher.valid_until is not None and voucher.valid_until <= now:
        raise DomainError({"voucher": [_("This voucher has expired.")]}, code="voucher")
    return voucher


def _check_types(
    *,
    wanted: dict[TicketType, int],
    voucher: Voucher | None,
    offer: WaitingListEntry | None,
    now: datetime,
) -> None:
    for ticket_type in wanted:
        covered = voucher is not None and voucher.ticket_type_id == ticket_type.pk
        if offer is None and not ticket_type.on_sale(now):
            raise DomainError(
                _("%(type)s is not on sale now.") % {"type": ticket_type.display_name},
                code="not_on_sale",
            )
        if not ticket_type.is_visible and not covered:
            raise DomainError(
                _("%(type)s needs a voucher code.") % {"type": ticket_type.display_name},
                code="voucher_needed",
            )
    if voucher is not None and voucher.ticket_type not in wanted:
        raise DomainError(
            {
                "voucher": [
                    _("This voucher is for %(type)s: choose at least one.")
                    % {"type": voucher.ticket_type.display_name}
                ]
            },
            code="voucher",
        )


def _check_voucher_uses(
    *, voucher: Voucher, wanted: dict[TicketType, int], now: datetime, order: Order
) -> None:
    """Refuse (409) a voucher used up by the orders holding seats (``order``, being made,
    excepted)."""
    used = (
        OrderLine.objects.filter(holding_orders(now=now), voucher=voucher)
        .exclude(order=order)
        .aggregate(n=Sum("quantity"))["n"]
        or 0
    )
    left = voucher.max_uses - used
    if wanted[voucher.ticket_type] > left:
        message = (
            _("This voucher has been used up.")
            if left <= 0
            else _("This voucher covers only %(n)s more tickets.") % {"n": left}
        )
        raise ConflictError({"voucher": [message]}, code="voucher_used_up")


def _check_left(
    *, shop: TicketShop, wanted: dict[TicketType, int], holdings: Holdings, public: bool
) -> None:
    """Refuse (409) more tickets of a type, or more seats in the event, than are left."""
    for ticket_type, quantity in wanted.items():
        left = tickets_left(shop=shop, ticket_type=ticket_type, holdings=holdings, public=public)
        if quantity > left:
            raise ConflictError(_sold_out_message(ticket_type, left), code="sold_out")
    seats = sum(t.seats * q for t, q in wanted.items())
    left_in_event = seats_left(shop=shop, holdings=holdings, public=public)
    if seats > left_in_event:
        raise ConflictError(
            _("Only %(n)s seats are left for this event.") % {"n": left_in_event},
            code="sold_out",
        )


def _sold_out_message(ticket_type: TicketType, left: int) -> str:
    if left <= 0:
        return _("%(type)s is sold out.") % {"type": ticket_type.display_name}
    return _("Only %(n)s of %(type)s are left.") % {"n": left, "type": ticket_type.display_name}


def _order_create(
    *,
    code: str,
    event: AwardEvent,
    wanted: dict[TicketType, int],
    voucher: Voucher | None,
    client_key: str,
    language: str,
    now: datetime,
) -> Order:
    priced = []
    for ticket_type, quantity in sorted(wanted.items(), key=lambda item: item[0].position):
        covered = voucher if voucher and voucher.ticket_type_id == ticket_type.pk else None
        unit = (
            discounted(ticket_type.price, covered.discount_percent)
            if covered
            else ticket_type.price
        )
        priced.append((ticket_type, quantity, covered, unit))
    order = Order.objects.create(
        event=event,
        code=code,
        secret=secrets.token_urlsafe(24),
        client_key=client_key,
        language=language,
        expires_at=now + timedelta(minutes=RESERVATION_MINUTES),
        created_at=now,
        total=sum(quantity * unit for _type, quantity, _covered, unit in priced),
    )
    tickets: list[Ticket] = []
    for ticket_type, quantity, covered, unit in priced:
        line = OrderLine.objects.create(
            order=order,
            ticket_type=ticket_type,
            quantity=quantity,
            list_price=ticket_type.price,
            unit_price=unit,
            vat_rate=ticket_type.vat_rate,
            voucher=covered,
        )
        for _seat in range(quantity * ticket_type.seats):
            tickets.append(
                Ticket(
                    order=order,
                    line=line,
                    ticket_type=ticket_type,
                    position=len(tickets) + 1,
                    secret=ticket_secret(),
                )
            )
    Ticket.objects.bulk_create(tickets)
    _event(order, OrderEventKind.RESERVED)
    return order


def ticket_secret() -> str:
    """A ticket's secret: 160 random bits, URL-safe (27 characters)."""
    return secrets.token_urlsafe(20)


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if not Order.objects.filter(code=code).exists():
            return code


def _clean_buyer(*, buyer: Buyer, method: str) -> Buyer:
    errors: dict[str, list[str]] = {}
    cleaned = Buyer(
        name=buyer.name.strip()[:200],
        email=buyer.email.strip()[:254],
        phone=ascii_digits(buyer.phone).strip()[:30],
        company=buyer.company.strip()[:200],
        org_number=re.sub(r"[\s.]", "", ascii_digits(buyer.org_number))[:20],
        street=buyer.street.strip()[:200],
        postcode=ascii_digits(buyer.postcode).strip()[:10],
        city=buyer.city.strip()[:100],
        reference=buyer.reference.strip()[:100],
        wants_ehf=buyer.wants_ehf,
    )
    if method not in PaymentMethod.values:
        errors["method"] = [_("Choose how to pay.")]
    if not cleaned.name:
        errors["name"] = [_("Give the name of a contact person.")]
    try:
        validate_email(cleaned.email)
    except ValidationError:
        errors["email"] = [_("Give a valid e-mail address.")]
    if cleaned.phone and not PHONE.fullmatch(cleaned.phone):
        errors["phone"] = [_("Give a phone number of at least 8 digits.")]
    if cleaned.org_number and not orgnr.is_valid(cleaned.org_number):
        errors["org_number"] = [
            _("This is not a valid organisation number (9 digits with a check digit).")
        ]
    if method == PaymentMethod.INVOICE:
        for name, message in (
            ("company", _("Give the company to invoice.")),
            ("org_number", _("Give the company's organisation number.")),
            ("street", _("Give the invoice address.")),
            ("postcode", _("Give the postcode.")),
            ("city", _("Give the city.")),
        ):
            if not getattr(cleaned, name):
                errors.setdefault(name, [message])
    if cleaned.wants_ehf and not cleaned.org_number:
        errors.setdefault("org_number", [_("An EHF invoice needs the organisation number.")])
    if errors:
        raise DomainError(errors, code="buyer")
    return cleaned


def _clean_attendees(attendees: Sequence[Attendee], *, numbered: bool = True) -> list[Attendee]:
    """Trimmed attendees; errors keyed ``attendee-<n>-<field>`` (or ``<field>`` for one)."""
    errors: dict[str, list[str]] = {}
    cleaned = []
    for number, attendee in enumerate(attendees, start=1):
        item = Attendee(
            name=attendee.name.strip()[:200],
            email=attendee.email.strip()[:254],
            company=attendee.company.strip()[:200],
            dietary=attendee.dietary.strip()[:300],
        )
        key = f"attendee-{number}-" if numbered else ""
        if not item.name:
            errors[f"{key}name"] = [_("Give the attendee's name.")]
        if item.email:
            try:
                validate_email(item.email)
            except ValidationError:
                errors[f"{key}email"] = [_("Give a valid e-mail address.")]
        cleaned.append(item)
    if errors:
        raise DomainError(errors, code="attendees")
    return cleaned


#: A ticket's attendee, as a checkout writes it (built once: every confirmation writes it).
_ATTENDEES_WRITE = CompiledUpdate(
    Ticket, ("attendee_name", "attendee_email", "attendee_company", "dietary")
)
#: What a confirmation by invoice changes of its order: the buyer (``_save_details``), the
#: payment method and the status.
_CONFIRMED_WRITE = CompiledUpdate(
    Order,
    (
        "buyer_name",
        "buyer_email",
        "buyer_phone",
        "buyer_company",
        "buyer_org_number",
        "buyer_street",
        "buyer_postcode",
        "buyer_city",
        "buyer_reference",
        "wants_ehf",
        "payment_method",
        "status",
        "confirmed_at",
    ),
)


def _save_details(
    *, order: Order, buyer: Buyer, tickets: list[Ticket], attendees: Sequence[Attendee]
) -> None:
    order.buyer_name = buyer.name
    order.buyer_email = buyer.email
    order.buyer_phone = buyer.phone
    order.buyer_company = buyer.company
    order.buyer_org_number = buyer.org_number
    order.buyer_street = buyer.street
    order.buyer_postcode = buyer.postcode
    order.buyer_city = buyer.city
    order.buyer_reference = buyer.reference
    order.wants_ehf = buyer.wants_ehf
    for ticket, attendee in zip(tickets, attendees, strict=True):
        ticket.attendee_name = attendee.name
        ticket.attendee_email = attendee.email
        ticket.attendee_company = attendee.company
        ticket.dietary = attendee.dietary
    _ATTENDEES_WRITE.run(tickets)
