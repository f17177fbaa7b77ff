"""Setting up an event's ticket sales: the shop (capacity, seller), ticket types, vouchers."""

from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.no import kontonr, orgnr

from awards.models import AwardEvent, OrderLine, TicketShop, TicketType, Voucher
from awards.selectors import holding_orders
from awards.services.locking import capacity_lock
from kundeservice.errors import DomainError

SHOP_FIELDS = (
    "is_open",
    "capacity",
    "seller_name",
    "seller_org_number",
    "seller_street",
    "seller_postcode",
    "seller_city",
    "seller_account",
    "seller_email",
    "payment_terms_days",
    "changes_until",
)
TYPE_FIELDS = (
    "name",
    "name_en",
    "price",
    "vat_rate",
    "seats",
    "capacity",
    "sales_start",
    "sales_end",
    "max_per_order",
    "is_visible",
    "position",
)


def ticket_shop_save(*, event: AwardEvent, data: dict[str, Any]) -> TicketShop:
    """Create or change the event's shop; the seller's numbers must be valid Norwegian ones."""
    errors: dict[str, list[str]] = {}
    org = str(data.get("seller_org_number", "")).replace(" ", "")
    account = str(data.get("seller_account", "")).replace(" ", "").replace(".", "")
    if not orgnr.is_valid(org):
        errors["seller_org_number"] = [_("This is not a valid organisation number.")]
    if not kontonr.is_valid(account):
        errors["seller_account"] = [_("This is not a valid Norwegian bank account number.")]
    if errors:
        raise DomainError(errors, code="shop")
    values = {name: data[name] for name in SHOP_FIELDS if name in data}
    values.update(seller_org_number=org, seller_account=account)
    with transaction.atomic():
        capacity_lock(event_id=event.pk)
        shop = TicketShop.objects.filter(event=event).first() or TicketShop(event=event)
        for name, value in values.items():
            setattr(shop, name, value)
        shop.full_clean()
        shop.save()
    return shop


def ticket_type_save(
    *, event: AwardEvent, data: dict[str, Any], ticket_type: TicketType | None = None
) -> TicketType:
    """Create or change a ticket type; its capacity cannot go below the tickets it holds."""
    with transaction.atomic():
        ids = [ticket_type.pk] if ticket_type else []
        capacity_lock(event_id=event.pk, ticket_type_ids=ids)
        ticket_type = ticket_type or TicketType(event=event)
        for name in TYPE_FIELDS:
            if name in data:
                setattr(ticket_type, name, data[name])
        if ticket_type.pk:
            held = (
                OrderLine.objects.filter(
                    holding_orders(now=timezone.now()), ticket_type=ticket_type
                ).aggregate(n=Sum("quantity"))["n"]
                or 0
            )
            if ticket_type.capacity < held:
                raise DomainError(
                    {"capacity": [_("%(n)s tickets of this type are sold or held.") % {"n": held}]},
                    code="capacity",
                )
        ticket_type.full_clean()
        ticket_type.save()
    return ticket_type


def voucher_save(
    *, event: AwardEvent, data: dict[str, Any], voucher: Voucher | None = None
) -> Voucher:
    """Create or change a voucher; codes are kept in capitals and unique in the event."""
    code = str(data.get("code", "")).strip().upper()
    ticket_type = data.get("ticket_type")
    if ticket_type is None or ticket_type.event_id != event.pk:
        raise DomainError(
            {"ticket_type": [_("Choose a ticket type of this event.")]}, code="voucher"
        )
    clash = Voucher.objects.filter(event=event, code=code)
    if voucher is not None:
        clash = clash.exclude(pk=voucher.pk)
    if clash.exists():
        raise DomainError(
            {"code": [_("This event already has a voucher with this code.")]}, code="voucher"
        )
    voucher = voucher or Voucher(event=event)
    voucher.code = code
    voucher.ticket_type = ticket_type
    for name in ("discount_percent", "max_uses", "valid_until"):
        if name in data:
            setattr(voucher, name, data[name])
    voucher.full_clean()
    voucher.save()
    return voucher
