"""Ticket API: door check-ins, the payment provider's webhook, and staff access to ticket
types and orders."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from awards.models import AwardEvent, Invoice, Order, OrderStatus, TicketType
from awards.services import orders as order_services
from awards.services.checkin import ScanResult, checkin_scan
from awards.services.invoices import invoice_mark_paid
from awards.services.payments import provider_get
from awards.services.payments.base import WebhookRejected
from awards.services.tickets import ticket_type_save
from awards.views.checkin import DOOR_ROLES
from awards.views.staff_tickets import TICKET_ROLES
from kundeservice.api import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
)
from kundeservice.roles import PUBLIC, RolePermission

#: What a scan can answer (``awards.services.checkin.Outcome``).
CHECKIN_RESULTS = ["ok", "already_used", "unknown", "other_event", "cancelled", "unpaid"]


class CheckInRequestSerializer(serializers.Serializer):
    event = serializers.PrimaryKeyRelatedField(
        queryset=AwardEvent.objects.all(), help_text="the event's id"
    )
    secret = StrictCharField(max_length=200, allow_blank=True, help_text="the QR code's text")
    nonce = StrictCharField(
        max_length=64, help_text="made by the device for this scan; a replay sends it again"
    )
    device = StrictCharField(max_length=80, required=False, allow_blank=True)


class CheckInResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=CHECKIN_RESULTS)
    message = serializers.CharField()
    replay = serializers.BooleanField()
    name = serializers.CharField(allow_blank=True)
    company = serializers.CharField(allow_blank=True)
    ticket_type = serializers.CharField(allow_blank=True)
    ticket = serializers.CharField(allow_blank=True)
    checked_in_at = serializers.DateTimeField(allow_null=True)
    device = serializers.CharField(allow_blank=True)


def scan_body(result: ScanResult) -> dict[str, Any]:
    ticket, checkin = result.ticket, result.checkin
    return {
        "result": result.outcome,
        "message": result.message,
        "replay": result.replay,
        "name": ticket.attendee_name if ticket else "",
        "company": ticket.attendee_company if ticket else "",
        "ticket_type": ticket.ticket_type.display_name if ticket else "",
        "ticket": ticket.label if ticket else "",
        "checked_in_at": checkin.at if checkin else None,
        "device": checkin.device if checkin else "",
    }


class CheckInView(APIView):
    """Check a ticket in by its secret, idempotent by the device's nonce: 201 for a new
    check-in, 200 for a replayed one, 409 when the ticket was used (or cancelled, unpaid),
    404 for a code that is no ticket of this event."""

    permission_classes = [RolePermission]
    read_roles = DOOR_ROLES
    write_roles = DOOR_ROLES

    @extend_schema(
        request=CheckInRequestSerializer,
        responses={
            200: CheckInResultSerializer,
            201: CheckInResultSerializer,
            404: CheckInResultSerializer,
            409: CheckInResultSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        incoming = CheckInRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        result = checkin_scan(
            event=data["event"],
            secret=data["secret"],
            nonce=data["nonce"],
            device=data.get("device", ""),
            user=request.user,
        )
        code: int
        if result.ok:
            code = status.HTTP_200_OK if result.replay else status.HTTP_201_CREATED
        elif result.outcome in {"unknown", "other_event"}:
            code = status.HTTP_404_NOT_FOUND
        else:
            code = status.HTTP_409_CONFLICT
        return Response(scan_body(result), status=code)


class PaymentWebhookView(APIView):
    """The payment provider's messages. The signature is the credential: a message whose
    signature does not verify is refused (400) and changes nothing."""

    authentication_classes: list[Any] = []
    permission_classes = [RolePermission]
    # Anyone may ask; a GET is then told the method is not allowed (405), not forbidden.
    read_roles = PUBLIC
    write_roles = PUBLIC

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={
            200: inline_serializer("WebhookOutcome", {"outcome": serializers.CharField()}),
            400: OpenApiResponse(description="signature missing or wrong"),
        },
    )
    def post(self, request: Request, provider: str) -> Response:
        payments = provider_get(provider)
        if payments is None:
            return Response({"detail": "unknown provider"}, status=status.HTTP_404_NOT_FOUND)
        try:
            notice = payments.notice_parse(body=request.body, headers=request.headers)
        except WebhookRejected:
            return Response({"detail": "signature rejected"}, status=status.HTTP_400_BAD_REQUEST)
        outcome = order_services.payment_notice_apply(provider_name=payments.name, notice=notice)
        return Response({"outcome": outcome})


class TicketTypeSerializer(StrictModelSerializer):
    class Meta:
        model = TicketType
        fields = [
            "id",
            "event",
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
        ]


class TicketTypeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Ticket types (award managers and staff admins). Prices are in øre, including MVA."""

    serializer_class = TicketTypeSerializer
    permission_classes = [RolePermission]
    read_roles = TICKET_ROLES
    write_roles = TICKET_ROLES

    def get_queryset(self) -> QuerySet[TicketType]:
        return TicketType.objects.order_by("event", "position", "id")

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = ticket_type_save(event=data.pop("event"), data=data)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data.pop("event", None)
        serializer.instance = ticket_type_save(
            event=serializer.instance.event, data=data, ticket_type=serializer.instance
        )


class OrderSerializer(StrictModelSerializer):
    lines = serializers.SerializerMethodField()
    invoices = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "event",
            "code",
            "status",
            "payment_method",
            "buyer_name",
            "buyer_email",
            "buyer_company",
            "buyer_org_number",
            "buyer_reference",
            "total",
            "created_at",
            "confirmed_at",
            "paid_at",
            "cancelled_at",
            "lines",
            "invoices",
        ]
        read_only_fields = fields

    def get_lines(self, order: Order) -> list[dict[str, Any]]:
        return [
            {
                "ticket_type": line.ticket_type_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
            }
            for line in order.lines.all()
        ]

    def get_invoices(self, order: Order) -> list[dict[str, Any]]:
        return [
            {
                "id": i.pk,
                "number": i.number,
                "kind": i.kind,
                "kid": i.kid,
                "paid": i.paid_at is not None,
            }
            for i in order.invoices.all()
        ]


class CancelSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, required=False, allow_blank=True)
    refund = StrictBooleanField(required=False, default=False)


class MarkPaidSerializer(serializers.Serializer):
    invoice = StrictIntegerField()


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders (award managers and staff admins): read them, mark an invoice paid, cancel
    (with a credit note, or a refund of a card payment)."""

    serializer_class = OrderSerializer
    permission_classes = [RolePermission]
    read_roles = TICKET_ROLES
    write_roles = TICKET_ROLES

    def get_queryset(self) -> QuerySet[Order]:
        orders = Order.objects.exclude(status=OrderStatus.RESERVED).prefetch_related(
            "lines", "invoices"
        )
        event = self.request.query_params.get("event", "")
        if event.isdigit():
            orders = orders.filter(event_id=int(event))
        return orders.order_by("-created_at", "-id")

    @extend_schema(request=MarkPaidSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        incoming = MarkPaidSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        invoice = get_object_or_404(Invoice, order=order, pk=incoming.validated_data["invoice"])
        invoice_mark_paid(invoice=invoice, actor=request.user)
        return Response(OrderSerializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(request=CancelSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        incoming = CancelSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order_services.order_cancel(
            order=order,
            actor=request.user,
            reason=incoming.validated_data.get("reason", ""),
            refund=incoming.validated_data["refund"],
        )
        return Response(OrderSerializer(self.get_queryset().get(pk=order.pk)).data)
