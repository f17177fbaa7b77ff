"""Invoices: numbered without gaps, never reused, with a KID, paid by hand or by bank file.

The next number comes from the seller's ``InvoiceCounter`` row, locked (``SELECT … FOR
UPDATE``) in the transaction that confirms the order: concurrent confirmations take
consecutive numbers one after the other, and a confirmation that fails rolls its number back
with it, so the series has no gaps. A cancelled invoice keeps its number; a credit note, with
the next number, cancels it.

The KID (customer identification number on Norwegian payments) is the invoice number, seven
digits, and a MOD10 (Luhn) check digit, so the bank refuses a mistyped one.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import luhn

from awards.models import (
    AwardEvent,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    Order,
    OrderLine,
    OrderStatus,
    TicketShop,
)
from awards.services.money import net_of, vat_breakdown
from kundeservice.compiled import CompiledQuery
from kundeservice.errors import DomainError, ImportRejected, RowError
from kundeservice.numbers import ascii_digits

KID_DIGITS = 7
KID_COLUMNS = {"kid"}
AMOUNT_COLUMNS = {"beløp", "belop", "amount", "innbetalt", "sum", "inn"}


def kid_for(number: int) -> str:
    """The KID of invoice ``number``: seven digits and a MOD10 check digit."""
    base = f"{number:0{KID_DIGITS}d}"
    return base + luhn.calc_check_digit(base)


def kid_is_valid(kid: str) -> bool:
    return kid.isascii() and kid.isdigit() and len(kid) >= 2 and luhn.is_valid(kid)


#: An order's lines as its invoice names them (compiled once: one a confirmation).
_ORDER_LINES: CompiledQuery[OrderLine] = CompiledQuery(
    lambda order_id: OrderLine.objects.filter(order_id=order_id).select_related(
        "ticket_type", "voucher"
    ),
    order_id=int,
)


def invoice_issue(*, order: Order, today: date) -> Invoice:
    """Issue the order's invoice (inside the confirming transaction, order locked)."""
    if Order.event.is_cached(order) and AwardEvent.ticket_shop.is_cached(order.event):
        shop = order.event.ticket_shop
    else:
        shop = TicketShop.objects.get(event_id=order.event_id)
    lines: list[dict[str, Any]] = [
        {
            "description": _line_description(line),
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "vat_rate": line.vat_rate,
            "amount": line.amount,
            "net": net_of(line.amount, line.vat_rate),
        }
        for line in _ORDER_LINES.fetch(order_id=order.pk)
    ]
    invoice = Invoice(
        order=order,
        kind=InvoiceKind.INVOICE,
        seller_org_number=shop.seller_org_number,
        issued_on=today,
        due_on=today + timedelta(days=shop.payment_terms_days),
        seller=_seller(shop),
        buyer=_buyer(order),
        lines=lines,
        total=sum(line["amount"] for line in lines),
        vat=sum(group.vat for group in vat_breakdown((x["amount"], x["vat_rate"]) for x in lines)),
    )
    # The number last, written at once: from taking it the series is locked until commit.
    invoice.number = _next_number(shop.seller_org_number)
    invoice.kid = kid_for(invoice.number)
    invoice.save(force_insert=True)
    return invoice


def credit_note_issue(*, invoice: Invoice, today: date) -> Invoice:
    """Cancel ``invoice`` with a credit note for all of it (its own, next number)."""
    if invoice.is_credit_note or Invoice.objects.filter(credited_invoice=invoice).exists():
        raise DomainError(_("This invoice is already credited."), code="credited")
    return Invoice.objects.create(
        order=invoice.order,
        kind=InvoiceKind.CREDIT_NOTE,
        seller_org_number=invoice.seller_org_number,
        number=_next_number(invoice.seller_org_number),
        credited_invoice=invoice,
        issued_on=today,
        seller=invoice.seller,
        buyer=invoice.buyer,
        lines=invoice.lines,
        total=invoice.total,
        vat=invoice.vat,
    )


def invoice_mark_paid(*, invoice: Invoice, actor: Any = None, note: str = "") -> Invoice:
    """Record the invoice as paid; its order becomes paid."""
    from awards.services.orders import order_paid

    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=invoice.order_id)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.is_credit_note:
            raise DomainError(_("A credit note is not paid."), code="credit_note")
        if invoice.paid_at is not None:
            raise DomainError(_("This invoice is already paid."), code="already_paid")
        if order.status != OrderStatus.INVOICED:
            raise DomainError(
                _("The order is %(status)s; its invoice cannot be marked paid.")
                % {"status": order.get_status_display().lower()},
                code="not_invoiced",
            )
        invoice.paid_at = timezone.now()
        invoice.paid_by = actor if actor and actor.is_authenticated else None
        invoice.save(update_fields=["paid_at", "paid_by"])
        order_paid(
            order=order,
            actor=invoice.paid_by,
            note=note or _("Invoice %(n)s paid") % {"n": invoice.number},
        )
    return invoice


@dataclass(frozen=True)
class BankRow:
    row: int
    kid: str
    amount: int
    outcome: str
    invoice: Invoice | None = None


def bank_statement_import(*, event: AwardEvent, content: bytes, actor: Any = None) -> list[BankRow]:
    """Match a bank statement (CSV with a KID and an amount column) to the event's invoices:
    an invoice paid in full is marked paid. A row the file cannot be read at rejects the whole
    file and nothing is marked."""
    rows = _read_statement(content)
    results: list[BankRow] = []
    with transaction.atomic():
        for number, kid, amount in rows:
            invoice = (
                Invoice.objects.filter(order__event=event, kind=InvoiceKind.INVOICE, kid=kid)
                .select_related("order")
                .first()
            )
            if invoice is None:
                results.append(
                    BankRow(number, kid, amount, _("No invoice of this event has this KID."))
                )
            elif invoice.paid_at is not None:
                results.append(BankRow(number, kid, amount, _("Already paid."), invoice))
            elif invoice.order.status != OrderStatus.INVOICED:
                results.append(
                    BankRow(number, kid, amount, _("The order is cancelled: refund it."), invoice)
                )
            elif amount < invoice.total:
                results.append(
                    BankRow(
                        number,
                        kid,
                        amount,
                        _("Less than the invoice's total: not marked paid."),
                        invoice,
                    )
                )
            else:
                invoice_mark_paid(
                    invoice=invoice,
                    actor=actor,
                    note=_("Bank statement, KID %(kid)s") % {"kid": kid},
                )
                results.append(BankRow(number, kid, amount, _("Marked paid."), invoice))
    return results


def _read_statement(content: bytes) -> list[tuple[int, str, int]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252")
    lines = text.splitlines()
    if not lines:
        raise DomainError(_("The file is empty."), code="empty")
    delimiter = max(";,\t", key=lines[0].count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader)]
    kid_col = next((i for i, name in enumerate(header) if name in KID_COLUMNS), None)
    amount_col = next((i for i, name in enumerate(header) if name in AMOUNT_COLUMNS), None)
    if kid_col is None or amount_col is None:
        raise DomainError(
            _("The file needs a KID column and an amount column (Beløp or Amount)."),
            code="columns",
        )
    rows: list[tuple[int, str, int]] = []
    errors: list[RowError] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        kid = "".join(ascii_digits(cells[kid_col]).split()) if kid_col < len(cells) else ""
        if not kid:
            continue  # a payment without a KID is not one of ours to match
        amount = _ore(cells[amount_col]) if amount_col < len(cells) else None
        if not kid.isdigit() or not kid_is_valid(kid):
            errors.append(RowError(number, header[kid_col], _("Not a valid KID.")))
        elif amount is None:
            errors.append(RowError(number, header[amount_col], _("Not an amount.")))
        else:
            rows.append((number, kid, amount))
    if errors:
        raise ImportRejected(
            _("The bank file has rows that cannot be read; nothing was marked paid."), errors
        )
    return rows


def _ore(text: str) -> int | None:
    """An amount in kroner as written in Norwegian or English files ("1 234,50", "1,234.50")
    as øre; None if it is not one."""
    cleaned = re.sub(r"[\s\u00a0']", "", ascii_digits(text)).removeprefix("kr").removeprefix("NOK")
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if decimal_mark == "," else ",", "")
    cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned) * 100
    except InvalidOperation:
        return None
    if value != value.to_integral_value() or value < 0:
        return None
    return int(value)


def _next_number(seller_org_number: str) -> int:
    """The seller's next invoice number, its counter row locked until the transaction ends (so
    numbers have no gaps); the counter is created the first time, race-safe.

    One statement (an UPDATE that returns the number) takes the lock and the number: a
    confirmation holds the series for that, the invoice's INSERT and the commit, and every
    other confirmation of a rush waits that long."""
    table = connection.ops.quote_name(InvoiceCounter._meta.db_table)
    sql = (  # the table's name from the model, quoted; the value a parameter
        f"UPDATE {table} SET last_number = last_number + 1 "  # noqa: S608
        "WHERE seller_org_number = %s RETURNING last_number"
    )
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [seller_org_number])
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        InvoiceCounter.objects.get_or_create(seller_org_number=seller_org_number)
    raise RuntimeError(f"no invoice counter for {seller_org_number}")


def _line_description(line: Any) -> str:
    name = line.ticket_type.name
    if line.voucher is not None and line.unit_price != line.list_price:
        return f"{name} ({line.voucher.code}, −{line.voucher.discount_percent} %)"
    return name


def _seller(shop: TicketShop) -> dict[str, str]:
    return {
        "name": shop.seller_name,
        "org_number": shop.seller_org_number,
        "street": shop.seller_street,
        "postcode": shop.seller_postcode,
        "city": shop.seller_city,
        "account": shop.seller_account,
        "email": shop.seller_email,
    }


def _buyer(order: Order) -> dict[str, str]:
    return {
        "name": order.buyer_company or order.buyer_name,
        "contact": order.buyer_name,
        "org_number": order.buyer_org_number,
        "street": order.buyer_street,
        "postcode": order.buyer_postcode,
        "city": order.buyer_city,
        "reference": order.buyer_reference,
        "email": order.buyer_email,
        "order": order.code,
    }
