"""Reads that the shop, the staff console, the door and the API share."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from awards.models import (
    AwardEvent,
    CheckIn,
    Invoice,
    InvoiceKind,
    Order,
    OrderLine,
    OrderStatus,
    Ticket,
    TicketShop,
    TicketType,
    WaitingListEntry,
    WaitingStatus,
)
from awards.services.money import vat_in


@dataclass
class Holdings:
    """Tickets (units of each type) and seats held, and wanted by those waiting."""

    held: dict[int, int] = field(default_factory=dict)
    queued: dict[int, int] = field(default_factory=dict)
    seats_held: int = 0
    seats_queued: int = 0


def holding_orders(*, now: datetime) -> Q:
    """Orders whose tickets hold seats at ``now``: paid, invoiced, awaiting card payment, and
    reservations not yet expired."""
    return Q(order__status__in=[OrderStatus.PENDING, OrderStatus.INVOICED, OrderStatus.PAID]) | Q(
        order__status=OrderStatus.RESERVED, order__expires_at__gt=now
    )


def capacity_holdings(
    *,
    event: AwardEvent,
    types: dict[int, TicketType],
    now: datetime,
    except_offer: int | None = None,
) -> Holdings:
    """What holds the event's seats at ``now``: counting orders and open waiting-list offers
    (but ``except_offer``), and what the waiting list wants. Two queries."""
    holdings = Holdings()
    lines = (
        OrderLine.objects.filter(holding_orders(now=now), order__event=event)
        .values_list("ticket_type_id")
        .annotate(units=Sum("quantity"))
    )
    entries = (
        WaitingListEntry.objects.filter(event=event)
        .filter(
            Q(status=WaitingStatus.WAITING)
            | Q(status=WaitingStatus.OFFERED, offer_expires_at__gt=now)
        )
        .exclude(pk__in=[except_offer] if except_offer else [])
        .values_list("ticket_type_id", "status")
        .annotate(units=Sum("quantity"))
    )
    for type_id, units in lines:
        holdings.held[type_id] = holdings.held.get(type_id, 0) + units
        holdings.seats_held += units * types[type_id].seats
    for type_id, status, units in entries:
        seats = units * types[type_id].seats
        if status == WaitingStatus.WAITING:
            holdings.queued[type_id] = holdings.queued.get(type_id, 0) + units
            holdings.seats_queued += seats
        else:
            holdings.held[type_id] = holdings.held.get(type_id, 0) + units
            holdings.seats_held += seats
    return holdings


def seats_left(*, shop: TicketShop, holdings: Holdings, public: bool = True) -> int:
    """Seats left in the event; for the public, after those the waiting list wants."""
    queued = holdings.seats_queued if public else 0
    return max(0, shop.capacity - holdings.seats_held - queued)


def tickets_left(
    *, shop: TicketShop, ticket_type: TicketType, holdings: Holdings, public: bool = True
) -> int:
    """Tickets of a type that can still be sold: within its own capacity and the event's."""
    queued = holdings.queued.get(ticket_type.pk, 0) if public else 0
    own = ticket_type.capacity - holdings.held.get(ticket_type.pk, 0) - queued
    in_event = seats_left(shop=shop, holdings=holdings, public=public) // ticket_type.seats
    return max(0, min(own, in_event))


@dataclass(frozen=True)
class ShopRow:
    ticket_type: TicketType
    left: int
    vat: int
    on_sale: bool

    @property
    def choices(self) -> range:
        """The quantities a buyer may choose: 0 up to the most per order or what is left."""
        return range(min(self.ticket_type.max_per_order, self.left) + 1)


def shop_for_event(*, event: AwardEvent) -> TicketShop | None:
    return TicketShop.objects.filter(event=event).select_related("event").first()


def shop_rows(
    *, shop: TicketShop, now: datetime | None = None, include_hidden: bool = False
) -> list[ShopRow]:
    """The ticket types the shop shows, with what is left of each and the MVA in the price."""
    now = now or timezone.now()
    types = {t.pk: t for t in TicketType.objects.filter(event_id=shop.event_id)}
    holdings = capacity_holdings(event=shop.event, types=types, now=now)
    return [
        ShopRow(
            ticket_type=t,
            left=tickets_left(shop=shop, ticket_type=t, holdings=holdings),
            vat=vat_in(t.price, t.vat_rate),
            on_sale=t.on_sale(now),
        )
        for t in types.values()
        if t.is_visible or include_hidden
    ]


def order_for_buyer(*, code: str, secret: str) -> Order | None:
    """The order behind a buyer's link, with what its pages show."""
    return (
        Order.objects.select_related("event", "event__ticket_shop")
        .prefetch_related(
            "lines__ticket_type", "tickets__ticket_type", "tickets__checkin", "invoices"
        )
        .filter(code=code.upper()[:12], secret=secret[:64])
        .first()
    )


def order_by_code_and_email(*, event: AwardEvent, code: str, email: str) -> Order | None:
    """An order found by its code and the buyer's e-mail (any case); reservations never made
    into orders are not found."""
    return (
        Order.objects.filter(event=event, code=code.strip().upper()[:12])
        .filter(buyer_email__iexact=email.strip()[:254])
        .exclude(status=OrderStatus.RESERVED)
        .first()
    )


ORDER_FILTERS = ("paid", "pending", "overdue", "cancelled")


def orders_for_staff(
    *, event: AwardEvent, search: str = "", show: str = "", today: datetime | None = None
) -> QuerySet[Order]:
    """The event's orders (not bare reservations), newest first, searched by code, buyer,
    company or attendee, and filtered: paid, pending (card or invoice not yet paid), invoice
    overdue, cancelled (and expired)."""
    orders = Order.objects.filter(event=event).exclude(status=OrderStatus.RESERVED)
    search = search.strip()[:100]
    if search:
        attendee = Ticket.objects.filter(order=OuterRef("pk")).filter(
            Q(attendee_name__icontains=search) | Q(attendee_company__icontains=search)
        )
        orders = orders.filter(
            Q(code__iexact=search)
            | Q(buyer_name__icontains=search)
            | Q(buyer_email__icontains=search)
            | Q(buyer_company__icontains=search)
            | Q(buyer_org_number=search.replace(" ", ""))
            | Exists(attendee)
        )
    today_date = (today or timezone.now()).date()
    if show == "paid":
        orders = orders.filter(status=OrderStatus.PAID)
    elif show == "pending":
        orders = orders.filter(status__in=[OrderStatus.PENDING, OrderStatus.INVOICED])
    elif show == "overdue":
        orders = orders.filter(status=OrderStatus.INVOICED).filter(
            Exists(
                Invoice.objects.filter(
                    order=OuterRef("pk"),
                    kind=InvoiceKind.INVOICE,
                    paid_at__isnull=True,
                    due_on__lt=today_date,
                )
            )
        )
    elif show == "cancelled":
        orders = orders.filter(status__in=[OrderStatus.CANCELLED, OrderStatus.EXPIRED])
    return orders.annotate(ticket_count=Count("tickets")).order_by("-created_at", "-id")


def order_for_staff(*, event: AwardEvent, code: str) -> Order | None:
    return (
        Order.objects.filter(event=event, code=code.upper()[:12])
        .select_related("event", "event__ticket_shop")
        .prefetch_related(
            "lines__ticket_type",
            "lines__voucher",
            "tickets__ticket_type",
            "tickets__checkin",
            "invoices",
            "payments__events",
            "events__actor",
        )
        .first()
    )


def tickets_for_export(*, event: AwardEvent) -> QuerySet[Ticket]:
    """Every ticket of a confirmed order, with its order, type and check-in."""
    return (
        Ticket.objects.filter(order__event=event, order__status__in=Order.VALID)
        .select_related("order", "ticket_type", "checkin")
        .order_by("order__code", "position")
    )


def tickets_search(*, event: AwardEvent, query: str, limit: int = 20) -> list[Ticket]:
    """Door search: tickets of confirmed orders whose attendee, company or buyer matches."""
    query = query.strip()[:100]
    if len(query) < 2:
        return []
    return list(
        Ticket.objects.filter(order__event=event, order__status__in=Order.VALID)
        .filter(
            Q(attendee_name__icontains=query)
            | Q(attendee_company__icontains=query)
            | Q(order__buyer_company__icontains=query)
            | Q(order__code__iexact=query)
        )
        .select_related("order", "ticket_type", "checkin")
        .order_by("attendee_name", "id")[:limit]
    )


@dataclass(frozen=True)
class CheckInCount:
    checked_in: int
    sold: int


def checkin_count(*, event: AwardEvent) -> CheckInCount:
    """Tickets checked in, of tickets sold (confirmed orders)."""
    sold = Ticket.objects.filter(order__event=event, order__status__in=Order.VALID).count()
    checked_in = CheckIn.objects.filter(ticket__order__event=event).count()
    return CheckInCount(checked_in=checked_in, sold=sold)


@dataclass(frozen=True)
class TypeSales:
    ticket_type: TicketType
    sold: int
    reserved: int
    revenue: int
    vat: int


@dataclass(frozen=True)
class SalesSummary:
    rows: list[TypeSales]
    seats_sold: int
    capacity: int
    revenue: int
    vat: int
    unpaid_invoices: int
    unpaid_amount: int
    overdue_invoices: int
    checkins: CheckInCount

    @property
    def revenue_net(self) -> int:
        return self.revenue - self.vat


def sales_summary(*, shop: TicketShop, now: datetime | None = None) -> SalesSummary:
    """Sold per type against capacity, revenue incl. and excl. MVA (confirmed orders),
    unpaid and overdue invoices, and check-ins."""
    now = now or timezone.now()
    types = list(TicketType.objects.filter(event_id=shop.event_id))
    confirmed = dict(
        OrderLine.objects.filter(order__event_id=shop.event_id, order__status__in=Order.VALID)
        .values_list("ticket_type_id")
        .annotate(units=Sum("quantity"))
    )
    holding = dict(
        OrderLine.objects.filter(
            holding_orders(now=now),
            order__event_id=shop.event_id,
            order__status__in=[OrderStatus.RESERVED, OrderStatus.PENDING],
        )
        .values_list("ticket_type_id")
        .annotate(units=Sum("quantity"))
    )
    money: dict[int, tuple[int, int]] = {}
    for type_id, quantity, price, rate in OrderLine.objects.filter(
        order__event_id=shop.event_id, order__status__in=Order.VALID
    ).values_list("ticket_type_id", "quantity", "unit_price", "vat_rate"):
        gross, vat = money.get(type_id, (0, 0))
        money[type_id] = (gross + quantity * price, vat + vat_in(quantity * price, rate))
    rows = [
        TypeSales(
            ticket_type=t,
            sold=confirmed.get(t.pk, 0),
            reserved=holding.get(t.pk, 0),
            revenue=money.get(t.pk, (0, 0))[0],
            vat=money.get(t.pk, (0, 0))[1],
        )
        for t in types
    ]
    unpaid = Invoice.objects.filter(
        order__event_id=shop.event_id,
        order__status=OrderStatus.INVOICED,
        kind=InvoiceKind.INVOICE,
        paid_at__isnull=True,
    )
    unpaid_totals = unpaid.aggregate(n=Count("id"), amount=Sum("total"))
    return SalesSummary(
        rows=rows,
        seats_sold=sum(r.sold * r.ticket_type.seats for r in rows),
        capacity=shop.capacity,
        revenue=sum(r.revenue for r in rows),
        vat=sum(r.vat for r in rows),
        unpaid_invoices=unpaid_totals["n"] or 0,
        unpaid_amount=unpaid_totals["amount"] or 0,
        overdue_invoices=unpaid.filter(due_on__lt=now.date()).count(),
        checkins=checkin_count(event=shop.event),
    )


def events_with_shops() -> QuerySet[AwardEvent]:
    return AwardEvent.objects.filter(ticket_shop__isnull=False).order_by("-starts_at")


def events_with_waiting() -> list[int]:
    """Events someone is waiting for: freed seats there may be offered."""
    return list(
        WaitingListEntry.objects.filter(status=WaitingStatus.WAITING)
        .values_list("event_id", flat=True)
        .distinct()
    )
