"""Invoices and credit notes: numbered without gaps per seller, never reused.

An invoice keeps a snapshot of the seller, the buyer and the lines as issued, so a later change
to the order or the shop never changes a document already sent. Cancelling an invoiced order
issues a credit note (its own number in the same series) that points at the invoice.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from awards.models.tickets import Order


class InvoiceCounter(models.Model):
    """The last number used in a seller's series; locked by the transaction that issues the next
    one, so two confirmations at once get consecutive numbers and a rolled-back one leaves no
    gap."""

    seller_org_number = models.CharField(max_length=9, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.seller_org_number}: {self.last_number}"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class Invoice(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(
        _("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    seller_org_number = models.CharField(max_length=9)
    number = models.PositiveIntegerField(_("number"))
    credited_invoice = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note"
    )
    issued_on = models.DateField(_("invoice date"))
    due_on = models.DateField(_("due date"), null=True, blank=True)
    kid = models.CharField(_("KID"), max_length=25, blank=True)
    seller = models.JSONField(default=dict)
    buyer = models.JSONField(default=dict)
    lines = models.JSONField(default=list)
    total = models.PositiveIntegerField(_("total incl. MVA (øre)"))
    vat = models.PositiveIntegerField(_("MVA (øre)"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seller_org_number", "number"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["seller_org_number", "number"], name="invoice_number_once"
            ),
            models.UniqueConstraint(
                fields=["seller_org_number", "kid"],
                condition=~models.Q(kid=""),
                name="invoice_kid_once",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="invoice", credited_invoice__isnull=True)
                | models.Q(kind="credit_note", credited_invoice__isnull=False),
                name="credit_note_credits_an_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def net(self) -> int:
        return self.total - self.vat
