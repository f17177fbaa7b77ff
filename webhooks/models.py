"""Webhook endpoints, the outbox of events, and each event's delivery to each endpoint with its
log of attempts."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEndpoint(models.Model):
    """A URL that receives the events it subscribes to, signed with its own secret."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("events"), default=list)
    #: ``"<kind>:<id>"`` (a study or a wave), or blank for every event of the chosen types.
    scope = models.CharField(_("only for"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    paused_reason = models.CharField(_("paused because"), max_length=300, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    #: Signing secrets in Standard Webhooks form (``whsec_`` + base64). Kept in clear: signing
    #: needs them. The previous one signs too until ``previous_secret_expires_at``.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    #: While set in the future, one delivery lane (a task) is sending to this endpoint.
    lane_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """The outbox: one row per event, written in the transaction of the change it reports.

    ``body`` is the JSON sent, byte for byte, on every attempt to every endpoint; ``webhook_id``
    is its Standard Webhooks id, the same on every attempt, so receivers can deduplicate."""

    webhook_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("event type"), max_length=60)
    version = models.PositiveSmallIntegerField(default=1)
    body = models.TextField()
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(_("happened"))
    #: False until the dispatcher has made its deliveries.
    dispatched = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(dispatched=False), name="webhook_undispatched"
            ),
            models.Index(fields=["created_at"], name="webhook_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.msg_id}"

    @property
    def msg_id(self) -> str:
        """The ``webhook-id`` header: no full stop, never user controlled (the spec asks both)."""
        return f"msg_{self.webhook_id.hex}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event to one endpoint: retried with backoff until delivered or given up."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    #: Failed attempts since it was (re)queued: what the backoff and giving up count.
    failures = models.PositiveSmallIntegerField(default=0)
    #: Every attempt ever made, redeliveries by hand included: the log's numbering.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")
        ]
        indexes = [
            # The delivery lane: an endpoint's waiting deliveries in event order.
            models.Index(
                fields=["endpoint", "event"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """The delivery log: one HTTP request and what came of it."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("sent"))
    url = models.CharField(max_length=500)
    request_headers = models.JSONField(default=dict)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    response_body = models.TextField(_("response"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
