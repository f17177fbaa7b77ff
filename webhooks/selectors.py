"""Reads the staff console and the API share: endpoints with their delivery counts, an
endpoint's deliveries, a delivery with its log."""

from django.db.models import Count, Q, QuerySet

from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def endpoints_list() -> QuerySet[WebhookEndpoint]:
    """Every endpoint with how many deliveries wait and how many failed (one query)."""
    return (
        WebhookEndpoint.objects.select_related("owner")
        .annotate(
            waiting=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
            failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        )
        .order_by("id")
    )


def deliveries_list(
    *, endpoint_id: int | None = None, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    """Deliveries, newest first, with their event (its type and id; the body is deferred)."""
    deliveries = WebhookDelivery.objects.select_related("event").defer("event__body")
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-id")


def delivery_with_log(*, pk: int) -> WebhookDelivery:
    """A delivery with its endpoint, event and every attempt, newest first."""
    return (
        WebhookDelivery.objects.select_related("endpoint", "event")
        .prefetch_related("attempt_log")
        .get(pk=pk)
    )
