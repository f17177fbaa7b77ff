"""Tickets for the award night: the shop's settings, ticket types, vouchers, orders, their
lines and tickets, the order's history and the waiting list.

Money is kept in øre as integers and every price includes MVA; the VAT is derived from the
gross amount and its rate where it is shown (``awards.services.money``).

Capacity is held by the orders that count (``Order.COUNTING``: paid, confirmed invoice, pending
card payment, and reservations until they expire) and by waiting-list offers until theirs do;
``awards.services.orders`` counts them under the event's lock.
"""

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awards.models.events import AwardEvent
from kundeservice.i18n import localized


class TicketShop(models.Model):
    """What the event's shop needs beyond the event: its total capacity and the seller whose
    invoices it issues."""

    event = models.OneToOneField(
        AwardEvent, on_delete=models.CASCADE, related_name="ticket_shop", verbose_name=_("event")
    )
    is_open = models.BooleanField(
        _("sales open"), default=False, help_text=_("The public can buy once the event is public.")
    )
    capacity = models.PositiveIntegerField(
        _("seats in all"), help_text=_("The most seats sold across every ticket type.")
    )
    seller_name = models.CharField(_("seller"), max_length=200)
    seller_org_number = models.CharField(_("seller's organisation number"), max_length=9)
    seller_street = models.CharField(_("seller's street address"), max_length=200)
    seller_postcode = models.CharField(_("seller's postcode"), max_length=10)
    seller_city = models.CharField(_("seller's city"), max_length=100)
    seller_account = models.CharField(_("bank account"), max_length=11)
    seller_email = models.EmailField(_("seller's e-mail"))
    payment_terms_days = models.PositiveSmallIntegerField(
        _("days to pay an invoice"), default=14, validators=[MaxValueValidator(90)]
    )
    changes_until = models.DateTimeField(
        _("attendees can be changed until"),
        null=True,
        blank=True,
        help_text=_("Empty: until the event starts."),
    )

    class Meta:
        verbose_name = _("ticket shop")
        verbose_name_plural = _("ticket shops")

    def __str__(self) -> str:
        return str(self.event)

    @property
    def changes_deadline(self) -> datetime:
        return self.changes_until or self.event.starts_at


class VatRate(models.IntegerChoices):
    STANDARD = 25, _("25 % (standard)")
    FOOD = 15, _("15 % (food)")
    LOW = 12, _("12 % (transport, cinema, hotel)")
    EXEMPT = 0, _("0 % (exempt)")


class TicketType(models.Model):
    event = models.ForeignKey(
        AwardEvent, on_delete=models.CASCADE, related_name="ticket_types", verbose_name=_("event")
    )
    name = models.CharField(_("name (Norwegian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    price = models.PositiveIntegerField(_("price incl. MVA (øre)"))
    vat_rate = models.PositiveSmallIntegerField(
        _("MVA rate"), choices=VatRate.choices, default=VatRate.STANDARD
    )
    seats = models.PositiveSmallIntegerField(
        _("seats per ticket"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("A table of ten is one ticket with ten seats, each with its attendee."),
    )
    capacity = models.PositiveIntegerField(_("capacity"), help_text=_("Tickets of this type."))
    sales_start = models.DateTimeField(_("on sale from"), null=True, blank=True)
    sales_end = models.DateTimeField(_("on sale until"), null=True, blank=True)
    max_per_order = models.PositiveSmallIntegerField(
        _("most per order"), default=10, validators=[MinValueValidator(1)]
    )
    is_visible = models.BooleanField(
        _("visible"), default=True, help_text=_("A hidden type is sold only with a voucher.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["event", "position", "id"]
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        constraints = [
            models.CheckConstraint(condition=models.Q(seats__gte=1), name="ticket_type_seats"),
            models.CheckConstraint(
                condition=models.Q(max_per_order__gte=1), name="ticket_type_max_per_order"
            ),
            models.CheckConstraint(
                condition=models.Q(sales_start__isnull=True)
                | models.Q(sales_end__isnull=True)
                | models.Q(sales_end__gt=models.F("sales_start")),
                name="ticket_type_sales_window",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localized(self, "name")

    def on_sale(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (self.sales_start is None or self.sales_start <= now) and (
            self.sales_end is None or now < self.sales_end
        )


class Voucher(models.Model):
    """A code that unlocks a (hidden) ticket type, at a discount or free, a number of times."""

    event = models.ForeignKey(AwardEvent, on_delete=models.CASCADE, related_name="vouchers")
    ticket_type = models.ForeignKey(
        TicketType, on_delete=models.CASCADE, related_name="vouchers", verbose_name=_("ticket type")
    )
    code = models.CharField(_("code"), max_length=40)
    discount_percent = models.PositiveSmallIntegerField(
        _("discount (%)"),
        default=100,
        validators=[MaxValueValidator(100)],
        help_text=_("100 makes the ticket free."),
    )
    max_uses = models.PositiveIntegerField(
        _("uses"), default=1, validators=[MinValueValidator(1)], help_text=_("Tickets it covers.")
    )
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "code"]
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        constraints = [
            models.UniqueConstraint(fields=["event", "code"], name="voucher_code_once"),
            models.CheckConstraint(
                condition=models.Q(discount_percent__lte=100), name="voucher_discount"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class OrderStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    PENDING = "pending", _("Awaiting card payment")
    INVOICED = "invoiced", _("Confirmed, invoice sent")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class PaymentMethod(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CARD = "card", _("Card")
    FREE = "free", _("Free")


class Order(models.Model):
    #: Statuses whose tickets hold seats (a reservation only until it expires).
    COUNTING = (
        OrderStatus.RESERVED,
        OrderStatus.PENDING,
        OrderStatus.INVOICED,
        OrderStatus.PAID,
    )
    #: Statuses whose tickets get in at the door.
    VALID = (OrderStatus.INVOICED, OrderStatus.PAID)

    event = models.ForeignKey(AwardEvent, on_delete=models.PROTECT, related_name="orders")
    code = models.CharField(_("order code"), max_length=12, unique=True)
    secret = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.RESERVED
    )
    payment_method = models.CharField(
        _("payment"), max_length=10, choices=PaymentMethod.choices, blank=True
    )
    client_key = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(_("held until"), null=True, blank=True)
    buyer_name = models.CharField(_("contact person"), max_length=200, blank=True)
    buyer_email = models.EmailField(_("e-mail"), blank=True)
    buyer_phone = models.CharField(_("phone"), max_length=30, blank=True)
    buyer_company = models.CharField(_("company"), max_length=200, blank=True)
    buyer_org_number = models.CharField(_("organisation number"), max_length=9, blank=True)
    buyer_street = models.CharField(_("street address"), max_length=200, blank=True)
    buyer_postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    buyer_city = models.CharField(_("city"), max_length=100, blank=True)
    buyer_reference = models.CharField(_("your reference"), max_length=100, blank=True)
    wants_ehf = models.BooleanField(_("EHF invoice"), default=False)
    language = models.CharField(max_length=8, default="nb")
    total = models.PositiveIntegerField(_("total incl. MVA (øre)"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "client_key"],
                condition=~models.Q(client_key=""),
                name="order_client_key_once",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status"], name="order_event_status"),
            models.Index(fields=["status", "expires_at"], name="order_status_expiry"),
        ]

    def __str__(self) -> str:
        return self.code

    def holds_seats(self, now: datetime | None = None) -> bool:
        if self.status == OrderStatus.RESERVED:
            return self.expires_at is not None and self.expires_at > (now or timezone.now())
        return self.status in self.COUNTING

    @property
    def is_valid(self) -> bool:
        return self.status in self.VALID


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.PROTECT, related_name="lines")
    quantity = models.PositiveSmallIntegerField()
    list_price = models.PositiveIntegerField()
    unit_price = models.PositiveIntegerField()
    vat_rate = models.PositiveSmallIntegerField()
    voucher = models.ForeignKey(
        Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="line_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.ticket_type}"

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


class Ticket(models.Model):
    """One seat with its attendee. The secret in its QR code is the only thing the door needs."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tickets")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="tickets")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.PROTECT, related_name="tickets")
    position = models.PositiveSmallIntegerField()
    secret = models.CharField(max_length=64, unique=True)
    attendee_name = models.CharField(_("name"), max_length=200, blank=True)
    attendee_email = models.EmailField(_("e-mail"), blank=True)
    attendee_company = models.CharField(_("company"), max_length=200, blank=True)
    dietary = models.CharField(_("dietary needs"), max_length=300, blank=True)

    class Meta:
        ordering = ["order", "position"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="ticket_position_once")
        ]

    def __str__(self) -> str:
        return f"{self.order.code}-{self.position}"

    @property
    def label(self) -> str:
        return f"{self.order.code}-{self.position}"


class OrderEventKind(models.TextChoices):
    RESERVED = "reserved", _("Tickets reserved")
    CONFIRMED = "confirmed", _("Confirmed with invoice")
    CARD_STARTED = "card_started", _("Card payment started")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired")
    CANCELLATION_REQUESTED = "cancellation_requested", _("Buyer asked to cancel")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")
    ATTENDEE_CHANGED = "attendee_changed", _("Attendee changed")
    RESENT = "resent", _("E-mail sent again")


class OrderMail(models.TextChoices):
    CONFIRMATION = "confirmation", _("Order confirmation with tickets")
    CANCELLATION = "cancellation", _("Cancellation")


class OrderEvent(models.Model):
    """The order's history. An event that asks for an e-mail is mailed once: ``mailed_at`` is set
    in the transaction that sends it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=30, choices=OrderEventKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("who"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    mail = models.CharField(max_length=20, choices=OrderMail.choices, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order.code}: {self.get_kind_display()}"


class WaitingStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered seats")
    REDEEMED = "redeemed", _("Bought")
    EXPIRED = "expired", _("Offer expired")


class WaitingListEntry(models.Model):
    """Someone waiting for a sold-out ticket type. Freed seats are offered in order of joining;
    an offer holds its seats until ``offer_expires_at``."""

    event = models.ForeignKey(AwardEvent, on_delete=models.CASCADE, related_name="waiting_list")
    ticket_type = models.ForeignKey(
        TicketType, on_delete=models.CASCADE, related_name="waiting_list"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    quantity = models.PositiveSmallIntegerField(_("tickets"), default=1)
    language = models.CharField(max_length=8, default="nb")
    status = models.CharField(
        max_length=10, choices=WaitingStatus.choices, default=WaitingStatus.WAITING
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)
    order = models.OneToOneField(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="waiting_entry"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting list")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="waiting_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.ticket_type})"
