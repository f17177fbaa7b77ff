"""Webhooks API: endpoints, their deliveries and log, the event types. Staff admins only."""

import json
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from kundeservice.api import StrictCharField, StrictIntegerField
from kundeservice.roles import Role, RolePermission
from webhooks import selectors
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.registry import event_types
from webhooks.services import endpoints as endpoint_services

WEBHOOK_ROLES = (Role.STAFF_ADMIN,)


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    url = StrictCharField(max_length=500)
    description = StrictCharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(child=StrictCharField(max_length=60), allow_empty=True)
    scope = StrictCharField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text='"study:<id>" or "wave:<id>" to receive only its events; blank for all',
    )
    owner = serializers.CharField(source="owner.get_username", read_only=True, allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "scope",
            "is_active",
            "paused_reason",
            "paused_at",
            "previous_secret_expires_at",
            "owner",
            "created_at",
        ]
        read_only_fields = [
            "is_active",
            "paused_reason",
            "paused_at",
            "previous_secret_expires_at",
            "created_at",
        ]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret (whsec_…): shown this once."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookRotateSerializer(serializers.Serializer[Any]):
    grace_hours = StrictIntegerField(
        min_value=0,
        max_value=endpoint_services.MAX_GRACE_HOURS,
        default=24,
        help_text="hours the old secret keeps signing beside the new one",
    )


class WebhookAttemptSerializer(serializers.ModelSerializer[WebhookAttempt]):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "at",
            "url",
            "request_headers",
            "status_code",
            "response_body",
            "error",
            "duration_ms",
        ]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    event = serializers.CharField(source="event.type", read_only=True)
    webhook_id = serializers.CharField(source="event.msg_id", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "webhook_id",
            "status",
            "attempts",
            "failures",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    payload = serializers.SerializerMethodField()
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "payload", "attempt_log"]
        read_only_fields = fields

    def get_payload(self, delivery: WebhookDelivery) -> dict[str, Any]:
        return dict(json.loads(delivery.event.body))


class WebhookDeliveryFilterSerializer(serializers.Serializer[Any]):
    endpoint = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(
        choices=DeliveryStatus.choices, required=False, allow_blank=True
    )


class AdminsOnly(APIView):
    """Mixin: staff admins only, for reads and writes."""

    permission_classes = [RolePermission]
    read_roles = WEBHOOK_ROLES
    write_roles = WEBHOOK_ROLES


class WebhookEndpointViewSet(AdminsOnly, viewsets.ModelViewSet[WebhookEndpoint]):
    """Webhook endpoints. The secret is returned once, when an endpoint is created or its secret
    rotated. Receivers verify requests with any Standard Webhooks library."""

    serializer_class = WebhookEndpointSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return selectors.endpoints_list()

    @extend_schema(responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = WebhookEndpointSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        endpoint, secret = endpoint_services.webhook_endpoint_create(
            **_fields(params.validated_data), owner=request.user
        )
        body = WebhookEndpointCreatedSerializer(endpoint).data | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = endpoint_services.webhook_endpoint_update(
            endpoint=serializer.instance, **_fields(serializer.validated_data)
        )

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        endpoint_services.webhook_endpoint_delete(endpoint=instance)

    @extend_schema(
        request=WebhookRotateSerializer,
        responses={
            200: inline_serializer(
                "WebhookRotatedSecret",
                {
                    "secret": serializers.CharField(),
                    "previous_secret_expires_at": serializers.DateTimeField(allow_null=True),
                },
            )
        },
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new signing secret, shown this once; the old one signs too for ``grace_hours``."""
        params = WebhookRotateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        endpoint = self.get_object()
        secret = endpoint_services.webhook_endpoint_rotate_secret(
            endpoint=endpoint, grace_hours=params.validated_data["grace_hours"]
        )
        return Response(
            {
                "secret": secret,
                "previous_secret_expires_at": serializers.DateTimeField().to_representation(
                    endpoint.previous_secret_expires_at
                )
                if endpoint.previous_secret_expires_at
                else None,
            }
        )

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Send a ``webhook.test`` event to this endpoint; follow its delivery for the result."""
        delivery = endpoint_services.webhook_test_send(endpoint=self.get_object())
        delivery = selectors.deliveries_list().get(pk=delivery.pk)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: WebhookEndpointSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        """Stop sending to this endpoint."""
        endpoint = endpoint_services.webhook_endpoint_pause(endpoint=self.get_object())
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses={200: WebhookEndpointSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        """Send again: what waits goes now, in order."""
        endpoint = endpoint_services.webhook_endpoint_resume(endpoint=self.get_object())
        return Response(WebhookEndpointSerializer(endpoint).data)


@extend_schema_view(list=extend_schema(parameters=[WebhookDeliveryFilterSerializer]))
class WebhookDeliveryViewSet(
    AdminsOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[WebhookDelivery],
):
    """The delivery log: each event to each endpoint, with every attempt."""

    lookup_value_regex = r"[0-9]+"

    def get_serializer_class(self) -> Any:
        return (
            WebhookDeliverySerializer if self.action == "list" else WebhookDeliveryDetailSerializer
        )

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        if self.action != "list":
            return WebhookDelivery.objects.select_related("event", "endpoint").prefetch_related(
                "attempt_log"
            )
        params = WebhookDeliveryFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.deliveries_list(
            endpoint_id=params.validated_data.get("endpoint"),
            status=params.validated_data.get("status") or None,
        )

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str | None = None) -> Response:
        """Send this delivery again now, with the same ``webhook-id``."""
        delivery = endpoint_services.webhook_delivery_redeliver(delivery=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookEventTypeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    version = serializers.IntegerField()
    description = serializers.CharField()


class WebhookEventTypeViewSet(AdminsOnly, viewsets.ViewSet):
    """The events endpoints can subscribe to, with their payload versions."""

    @extend_schema(responses=WebhookEventTypeSerializer(many=True))
    def list(self, request: Request) -> Response:
        rows = [
            {"name": e.name, "version": e.version, "description": str(e.description)}
            for e in event_types()
        ]
        return Response(WebhookEventTypeSerializer(rows, many=True).data)


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    names = ("url", "event_types", "scope", "description")
    return {name: data[name] for name in names if name in data}


router = SimpleRouter()
router.register("webhooks/endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhooks/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("webhooks/event-types", WebhookEventTypeViewSet, basename="webhook-event-type")
