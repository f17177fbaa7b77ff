"""EHF: invoices and credit notes as Peppol BIS Billing 3.0 (UBL 2.1 XML), which Norwegian
public-sector buyers require.

Built with the standard library's ElementTree from the invoice's snapshot, in the element order
the UBL schema prescribes. Parties are identified by organisation number (ICD 0192), the seller
also as registered for MVA and in Foretaksregisteret (the Norwegian rules NO-R-001/002). Amounts
have two decimals; each line's net amount is the one on the invoice PDF, and each rate's MVA is
its gross less its net, so the document adds up exactly (BR-CO-10, BR-CO-13..16, BR-S-08).
"""

import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

from awards.models import Invoice
from awards.services.money import kroner, vat_breakdown

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
ORG_SCHEME = "0192"  # Enhetsregisteret, the Norwegian organisation number
CURRENCY = "NOK"
EXEMPT_REASON = "Unntatt fra merverdiavgift"

ET.register_namespace("cac", NS["cac"])
ET.register_namespace("cbc", NS["cbc"])


def invoice_ehf(invoice: Invoice) -> bytes:
    """The invoice (or credit note) as an EHF/Peppol BIS 3.0 UBL document."""
    credit = invoice.is_credit_note
    root = ET.Element(f"{{{NS['cn' if credit else 'inv']}}}{'CreditNote' if credit else 'Invoice'}")
    _text(root, "cbc:CustomizationID", CUSTOMIZATION)
    _text(root, "cbc:ProfileID", PROFILE)
    _text(root, "cbc:ID", str(invoice.number))
    _text(root, "cbc:IssueDate", invoice.issued_on.isoformat())
    if not credit and invoice.due_on:
        _text(root, "cbc:DueDate", invoice.due_on.isoformat())
    _text(
        root,
        "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode",
        "381" if credit else "380",
    )
    _text(root, "cbc:DocumentCurrencyCode", CURRENCY)
    _text(
        root, "cbc:BuyerReference", invoice.buyer.get("reference") or invoice.buyer.get("order", "")
    )
    if credit and invoice.credited_invoice is not None:
        billing = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _text(billing, "cbc:ID", str(invoice.credited_invoice.number))
        _text(billing, "cbc:IssueDate", invoice.credited_invoice.issued_on.isoformat())
    _supplier(root, invoice.seller)
    _customer(root, invoice.buyer)
    if not credit:
        means = _sub(root, "cac:PaymentMeans")
        _text(means, "cbc:PaymentMeansCode", "30")
        _text(means, "cbc:PaymentID", invoice.kid)
        _text(_sub(means, "cac:PayeeFinancialAccount"), "cbc:ID", invoice.seller["account"])
        _text(
            _sub(root, "cac:PaymentTerms"),
            "cbc:Note",
            f"Forfall {invoice.due_on.isoformat() if invoice.due_on else ''}, KID {invoice.kid}",
        )
    groups = vat_breakdown((line["amount"], line["vat_rate"]) for line in invoice.lines)
    tax_total = _sub(root, "cac:TaxTotal")
    _amount(tax_total, "cbc:TaxAmount", sum(g.vat for g in groups))
    for group in groups:
        subtotal = _sub(tax_total, "cac:TaxSubtotal")
        _amount(subtotal, "cbc:TaxableAmount", group.net)
        _amount(subtotal, "cbc:TaxAmount", group.vat)
        _category(subtotal, "cac:TaxCategory", group.rate, reason=True)
    net = sum(g.net for g in groups)
    gross = sum(g.gross for g in groups)
    totals = _sub(root, "cac:LegalMonetaryTotal")
    _amount(totals, "cbc:LineExtensionAmount", net)
    _amount(totals, "cbc:TaxExclusiveAmount", net)
    _amount(totals, "cbc:TaxInclusiveAmount", gross)
    _amount(totals, "cbc:PayableAmount", gross)
    for number, line in enumerate(invoice.lines, start=1):
        _line(root, number, line, credit=credit)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _line(root: ET.Element, number: int, line: dict[str, Any], *, credit: bool) -> None:
    element = _sub(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
    _text(element, "cbc:ID", str(number))
    quantity = _text(
        element, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity", str(line["quantity"])
    )
    quantity.set("unitCode", "EA")
    _amount(element, "cbc:LineExtensionAmount", line["net"])
    item = _sub(element, "cac:Item")
    _text(item, "cbc:Name", line["description"])
    _category(item, "cac:ClassifiedTaxCategory", line["vat_rate"], reason=False)
    price = (Decimal(line["net"]) / 100 / line["quantity"]).quantize(Decimal("0.0001"))
    _text(_sub(element, "cac:Price"), "cbc:PriceAmount", f"{price.normalize():f}").set(
        "currencyID", CURRENCY
    )


def _supplier(root: ET.Element, seller: dict[str, str]) -> None:
    party = _sub(_sub(root, "cac:AccountingSupplierParty"), "cac:Party")
    _text(party, "cbc:EndpointID", seller["org_number"]).set("schemeID", ORG_SCHEME)
    _text(_sub(party, "cac:PartyName"), "cbc:Name", seller["name"])
    _address(party, seller)
    for company_id, scheme in (
        (f"NO{seller['org_number']}MVA", "VAT"),
        ("Foretaksregisteret", "TAX"),
    ):
        tax = _sub(party, "cac:PartyTaxScheme")
        _text(tax, "cbc:CompanyID", company_id)
        _text(_sub(tax, "cac:TaxScheme"), "cbc:ID", scheme)
    legal = _sub(party, "cac:PartyLegalEntity")
    _text(legal, "cbc:RegistrationName", seller["name"])
    _text(legal, "cbc:CompanyID", seller["org_number"]).set("schemeID", ORG_SCHEME)
    _text(_sub(party, "cac:Contact"), "cbc:ElectronicMail", seller["email"])


def _customer(root: ET.Element, buyer: dict[str, str]) -> None:
    party = _sub(_sub(root, "cac:AccountingCustomerParty"), "cac:Party")
    if buyer.get("org_number"):
        _text(party, "cbc:EndpointID", buyer["org_number"]).set("schemeID", ORG_SCHEME)
    else:
        _text(party, "cbc:EndpointID", buyer["email"]).set("schemeID", "EM")
    _text(_sub(party, "cac:PartyName"), "cbc:Name", buyer["name"])
    _address(party, buyer)
    legal = _sub(party, "cac:PartyLegalEntity")
    _text(legal, "cbc:RegistrationName", buyer["name"])
    if buyer.get("org_number"):
        _text(legal, "cbc:CompanyID", buyer["org_number"]).set("schemeID", ORG_SCHEME)
    contact = _sub(party, "cac:Contact")
    if buyer.get("contact"):
        _text(contact, "cbc:Name", buyer["contact"])
    _text(contact, "cbc:ElectronicMail", buyer["email"])


def _address(party: ET.Element, who: dict[str, str]) -> None:
    address = _sub(party, "cac:PostalAddress")
    if who.get("street"):
        _text(address, "cbc:StreetName", who["street"])
    if who.get("city"):
        _text(address, "cbc:CityName", who["city"])
    if who.get("postcode"):
        _text(address, "cbc:PostalZone", who["postcode"])
    _text(_sub(address, "cac:Country"), "cbc:IdentificationCode", "NO")


def _category(parent: ET.Element, tag: str, rate: int, *, reason: bool) -> None:
    category = _sub(parent, tag)
    _text(category, "cbc:ID", "S" if rate else "E")
    _text(category, "cbc:Percent", str(rate))
    if reason and not rate:
        _text(category, "cbc:TaxExemptionReason", EXEMPT_REASON)
    _text(_sub(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _amount(parent: ET.Element, tag: str, ore: int) -> None:
    _text(parent, tag, f"{kroner(ore):f}").set("currencyID", CURRENCY)


def _sub(parent: ET.Element, tag: str) -> ET.Element:
    prefix, name = tag.split(":")
    return ET.SubElement(parent, f"{{{NS[prefix]}}}{name}")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = _sub(parent, tag)
    element.text = text
    return element
