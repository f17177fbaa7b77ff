"""The award night's public data: events, their categories, the finalists once public and each
winner once revealed — exactly what the public pages show, never more."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from awards import selectors
from awards.models import AwardEvent, EventState, Placement
from kundeservice.roles import PUBLIC, RolePermission


class PlacementSerializer(serializers.Serializer[Placement]):
    place = serializers.IntegerField(source="position")
    entrant = serializers.CharField(source="entrant_name")
    company = serializers.CharField(source="company.slug", allow_null=True, default=None)
    value = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    statistically_tied = serializers.BooleanField()


class CategorySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="category.pk")
    name = serializers.CharField(source="category.display_name")
    decided_by = serializers.CharField(source="category.kind")
    revealed_at = serializers.DateTimeField(source="category.revealed_at", allow_null=True)
    finalists = PlacementSerializer(many=True, help_text="empty until the finalists are public")
    winner = PlacementSerializer(allow_null=True, help_text="null until revealed on stage")


class EventSerializer(serializers.ModelSerializer[AwardEvent]):
    name = serializers.CharField(source="display_name")

    class Meta:
        model = AwardEvent
        fields = ["slug", "name", "starts_at", "venue", "address", "state", "finalists_public_at"]
        read_only_fields = fields


class EventDetailSerializer(EventSerializer):
    finalists_public = serializers.BooleanField()
    categories = CategorySerializer(many=True)

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "finalists_public", "categories"]
        read_only_fields = fields


class AwardEventViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[AwardEvent]
):
    """Award nights the public may see, with their categories; embargoed facts are absent."""

    serializer_class = EventSerializer
    permission_classes = [RolePermission]
    read_roles = PUBLIC
    write_roles = ()
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self) -> QuerySet[AwardEvent]:
        return AwardEvent.objects.exclude(state=EventState.DRAFT).order_by("-starts_at")

    @extend_schema(responses=EventDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = self.get_object()
        shown = selectors.public_event(event, now=timezone.now())
        data = EventSerializer(event).data | {
            "finalists_public": shown.finalists_public,
            "categories": CategorySerializer(shown.categories, many=True).data,
        }
        return Response(data)
