"""Invoice numbers, KID, credit notes, bank statements and the EHF document."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from stdnum import luhn

from awards.models import Invoice, OrderStatus
from awards.services.ehf import CUSTOMIZATION, NS, PROFILE, invoice_ehf
from awards.services.invoices import bank_statement_import, invoice_mark_paid, kid_for
from awards.services.orders import order_cancel
from kundeservice.errors import DomainError, ImportRejected
from tests.awards.ticketing import (
    BUYER_ORG,
    SELLER_ORG,
    invoiced_order,
    shop_with_type,
    ticket_type,
)

pytestmark = pytest.mark.django_db


def test_kid_is_the_invoice_number_with_a_mod10_check_digit() -> None:
    assert kid_for(1) == "00000018"
    assert kid_for(4711) == "00047118"  # 1·2 + 1 + (7·2 → 5) + 4 = 12 → 8
    for number in (1, 42, 4711, 9_999_999):
        kid = kid_for(number)
        assert luhn.is_valid(kid)
        assert not luhn.is_valid(kid[:-1] + str((int(kid[-1]) + 1) % 10))


def test_invoice_numbers_follow_each_other_and_a_cancelled_one_is_never_reused() -> None:
    _shop, ticket = shop_with_type()
    first = invoiced_order(ticket, 1)
    order_cancel(order=first)
    second = invoiced_order(ticket, 1)
    numbers = list(Invoice.objects.order_by("number").values_list("number", "kind"))
    assert numbers == [(1, "invoice"), (2, "credit_note"), (3, "invoice")]
    assert second.invoices.get().kid == kid_for(3)


def test_marking_paid_pays_the_order_once() -> None:
    _shop, ticket = shop_with_type()
    order = invoiced_order(ticket, 1)
    invoice = order.invoices.get()
    invoice_mark_paid(invoice=invoice)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    with pytest.raises(DomainError):
        invoice_mark_paid(invoice=invoice)


def test_a_bank_statement_marks_invoices_paid_in_full_by_kid() -> None:
    _shop, ticket = shop_with_type(price=1000_00)
    paid, short = invoiced_order(ticket, 1), invoiced_order(ticket, 2)
    kid_paid, kid_short = paid.invoices.get().kid, short.invoices.get().kid
    statement = (
        "Dato;Forklaring;KID;Beløp\n"
        f"01.03.2026;Innbetaling;{kid_paid};1 000,00\n"
        f"01.03.2026;Innbetaling;{kid_short};1000,00\n"
        "02.03.2026;Husleie;;-12 000,00\n"
        f"03.03.2026;Innbetaling;{kid_for(999)};500,00\n"
    ).encode()
    rows = bank_statement_import(event=ticket.event, content=statement)
    assert [r.row for r in rows] == [2, 3, 5]
    paid.refresh_from_db()
    short.refresh_from_db()
    assert (paid.status, short.status) == (OrderStatus.PAID, OrderStatus.INVOICED)


def test_a_bank_statement_with_an_unreadable_row_marks_nothing() -> None:
    _shop, ticket = shop_with_type(price=1000_00)
    order = invoiced_order(ticket, 1)
    kid = order.invoices.get().kid
    statement = f"KID,Amount\n{kid},1000.00\n12345678,abc\n".encode()
    with pytest.raises(ImportRejected) as rejected:
        bank_statement_import(event=ticket.event, content=statement)
    assert [e.row for e in rejected.value.row_errors] == [3]
    order.refresh_from_db()
    assert order.status == OrderStatus.INVOICED


def _find(element: ET.Element, path: str) -> ET.Element:
    found = element.find(path, NS)
    assert found is not None, f"missing {path}"
    return found


def _amount(element: ET.Element, path: str) -> Decimal:
    found = _find(element, path)
    assert found.get("currencyID") == "NOK", path
    return Decimal(found.text or "")


MANDATORY = [
    "cbc:CustomizationID",
    "cbc:ProfileID",
    "cbc:ID",
    "cbc:IssueDate",
    "cbc:DueDate",
    "cbc:InvoiceTypeCode",
    "cbc:DocumentCurrencyCode",
    "cbc:BuyerReference",
    "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID",
    "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
    "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID",
    "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
    "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID",
    "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID",
    "cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
    "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
    "cac:PaymentMeans/cbc:PaymentMeansCode",
    "cac:PaymentMeans/cbc:PaymentID",
    "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",
    "cac:TaxTotal/cbc:TaxAmount",
    "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount",
    "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount",
    "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID",
    "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent",
    "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID",
    "cac:LegalMonetaryTotal/cbc:LineExtensionAmount",
    "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",
    "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
    "cac:LegalMonetaryTotal/cbc:PayableAmount",
    "cac:InvoiceLine/cbc:ID",
    "cac:InvoiceLine/cbc:InvoicedQuantity",
    "cac:InvoiceLine/cbc:LineExtensionAmount",
    "cac:InvoiceLine/cac:Item/cbc:Name",
    "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID",
    "cac:InvoiceLine/cac:Price/cbc:PriceAmount",
]


def test_the_ehf_invoice_has_every_mandatory_peppol_element_and_adds_up() -> None:
    shop, ticket = shop_with_type(price=3333_33)
    ticket_type(shop.event, name="Middag", price=1000_00, vat_rate=15)
    order = invoiced_order(ticket, 3)
    root = ET.fromstring(invoice_ehf(order.invoices.get()))  # noqa: S314 - our own document
    assert root.tag == f"{{{NS['inv']}}}Invoice"
    for path in MANDATORY:
        assert (_find(root, path).text or "").strip(), f"{path} is empty"
    assert _find(root, "cbc:CustomizationID").text == CUSTOMIZATION
    assert _find(root, "cbc:ProfileID").text == PROFILE
    assert _find(root, "cbc:InvoiceTypeCode").text == "380"
    assert _find(root, "cbc:BuyerReference").text == "PO-4711"
    supplier = _find(root, "cac:AccountingSupplierParty/cac:Party")
    assert _find(supplier, "cbc:EndpointID").get("schemeID") == "0192"
    assert _find(supplier, "cbc:EndpointID").text == SELLER_ORG
    tax_ids = [e.text for e in supplier.findall("cac:PartyTaxScheme/cbc:CompanyID", NS)]
    assert tax_ids == [f"NO{SELLER_ORG}MVA", "Foretaksregisteret"]
    customer = _find(root, "cac:AccountingCustomerParty/cac:Party")
    assert _find(customer, "cbc:EndpointID").text == BUYER_ORG
    assert _find(root, "cac:PaymentMeans/cbc:PaymentID").text == order.invoices.get().kid
    lines = root.findall("cac:InvoiceLine", NS)
    line_total = sum(_amount(line, "cbc:LineExtensionAmount") for line in lines)
    totals = _find(root, "cac:LegalMonetaryTotal")
    subtotals = root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    taxable = sum(_amount(s, "cbc:TaxableAmount") for s in subtotals)
    tax = sum(_amount(s, "cbc:TaxAmount") for s in subtotals)
    assert line_total == _amount(totals, "cbc:LineExtensionAmount") == taxable  # BR-CO-10
    assert _amount(totals, "cbc:TaxExclusiveAmount") == line_total
    assert _amount(root, "cac:TaxTotal/cbc:TaxAmount") == tax  # BR-CO-14
    assert _amount(totals, "cbc:TaxInclusiveAmount") == line_total + tax  # BR-CO-15
    assert _amount(totals, "cbc:PayableAmount") == Decimal("9999.99")
    for subtotal in subtotals:  # BR-CO-17: within the rounding allowance
        rate = Decimal(_find(subtotal, "cac:TaxCategory/cbc:Percent").text or "0")
        expected = _amount(subtotal, "cbc:TaxableAmount") * rate / 100
        assert abs(_amount(subtotal, "cbc:TaxAmount") - expected) <= 1
    for line in lines:  # PEPPOL-EN16931-R120: net = quantity × price
        quantity = Decimal(_find(line, "cbc:InvoicedQuantity").text or "0")
        price = Decimal(_find(line, "cac:Price/cbc:PriceAmount").text or "0")
        assert abs(quantity * price - _amount(line, "cbc:LineExtensionAmount")) <= Decimal("0.02")


def test_the_ehf_credit_note_points_at_the_invoice_it_cancels() -> None:
    _shop, ticket = shop_with_type()
    order = invoiced_order(ticket, 1)
    order_cancel(order=order)
    invoice, credit = order.invoices.order_by("number")
    root = ET.fromstring(invoice_ehf(credit))  # noqa: S314 - our own document
    assert root.tag == f"{{{NS['cn']}}}CreditNote"
    assert _find(root, "cbc:CreditNoteTypeCode").text == "381"
    reference = "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
    assert _find(root, reference).text == str(invoice.number)
    assert _find(root, "cac:CreditNoteLine/cbc:CreditedQuantity").text == "1"
    assert _amount(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == Decimal("2490.00")
