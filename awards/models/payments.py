"""Card payments through a provider (``awards.services.payments``), and every message the
provider sent, once: a message seen before is recognised by its id and changes nothing."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awards.models.tickets import Order


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Started")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired")
    REFUNDED = "refunded", _("Refunded")


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=30)
    reference = models.CharField(
        _("provider's reference"), max_length=255, help_text=_("The checkout session.")
    )
    charge_reference = models.CharField(max_length=255, blank=True)
    refund_reference = models.CharField(max_length=255, blank=True)
    amount = models.PositiveIntegerField(_("amount (øre)"))
    status = models.CharField(
        max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    checkout_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "reference"],
                condition=~models.Q(reference=""),
                name="payment_reference_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.reference}"


class ProviderEvent(models.Model):
    """A verified webhook message from a payment provider and what it did."""

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    outcome = models.CharField(max_length=200)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}: {self.outcome}"
