"""The ticket API's routes, included under /api/v1/ by the project's urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from awards.api.tickets import CheckInView, OrderViewSet, PaymentWebhookView, TicketTypeViewSet

router = SimpleRouter()
router.register("awards/ticket-types", TicketTypeViewSet, basename="ticket-type")
router.register("awards/orders", OrderViewSet, basename="award-order")

urlpatterns = [
    path("checkins/", CheckInView.as_view(), name="api-checkin"),
    path(
        "awards/payments/<slug:provider>/webhook/",
        PaymentWebhookView.as_view(),
        name="api-payment-webhook",
    ),
    *router.urls,
]
