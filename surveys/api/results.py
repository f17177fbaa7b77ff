"""Results API: published result sets and their rows, with filters; aggregation for staff.

The public sees the current result set of each wave whose results are public; staff who run
results also see the rest. Suppressed rows carry their n and no figures.
"""

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kundeservice.api import StrictBooleanField
from kundeservice.roles import (
    PUBLIC,
    RESULTS_PREVIEW_ROLES,
    RESULTS_ROLES,
    RolePermission,
    user_has_role,
)
from surveys import result_selectors
from surveys.models import Channel, ResultRow, ResultSet, Scope, Wave
from surveys.models.results import Metric
from surveys.services.aggregation import aggregation_start
from surveys.services.publishing import wave_publish


class ResultSetSerializer(serializers.ModelSerializer[ResultSet]):
    study = serializers.CharField(source="wave.study.slug", read_only=True)
    wave = serializers.CharField(source="wave.slug", read_only=True)
    wave_name = serializers.CharField(source="wave.display_name", read_only=True)
    provisional = serializers.BooleanField(source="is_provisional", read_only=True)
    public = serializers.BooleanField(source="wave.is_public", read_only=True)

    class Meta:
        model = ResultSet
        fields = [
            "id",
            "study",
            "wave",
            "wave_name",
            "cutoff",
            "provisional",
            "is_current",
            "public",
            "responses",
            "completed_at",
        ]
        read_only_fields = fields


class ResultRowSerializer(serializers.ModelSerializer[ResultRow]):
    industry = serializers.CharField(source="industry.slug", allow_null=True)
    industry_group = serializers.CharField(source="industry_group.slug", allow_null=True)
    company = serializers.CharField(source="company.slug", allow_null=True)
    base = serializers.CharField(help_text="who the figure is counted over, in words")
    n_eff = serializers.FloatField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    statistically_tied = serializers.BooleanField()
    previous_value = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    change_low = serializers.FloatField(allow_null=True)
    change_high = serializers.FloatField(allow_null=True)
    significant = serializers.BooleanField()

    class Meta:
        model = ResultRow
        fields = [
            "scope",
            "measure",
            "metric",
            "base",
            "industry_group",
            "industry",
            "company",
            "channel",
            "option",
            *result_selectors.FIGURE_FIELDS,
        ]
        read_only_fields = fields

    def to_representation(self, instance: ResultRow) -> dict[str, Any]:
        data = {
            "scope": instance.scope,
            "measure": instance.measure,
            "metric": instance.metric,
            "base": self.context["bases"](instance.measure) if "bases" in self.context else "",
            "industry_group": instance.industry_group.slug if instance.industry_group else None,
            "industry": instance.industry.slug if instance.industry else None,
            "company": instance.company.slug if instance.company else None,
            "channel": instance.channel,
            "option": instance.option,
        }
        return data | result_selectors.public_value(instance)


class RowFilterSerializer(serializers.Serializer[Any]):
    """Filters of a result set's rows; an empty value means no filter."""

    scope = serializers.ChoiceField(choices=Scope.choices, required=False, allow_blank=True)
    measure = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=140,
        help_text=("score, area:<section>, q:<question>, q:<question>=<option> or ind:<indicator>"),
    )
    metric = serializers.ChoiceField(choices=Metric.choices, required=False, allow_blank=True)
    industry = serializers.SlugField(required=False, allow_blank=True, help_text="industry slug")
    group = serializers.SlugField(required=False, allow_blank=True, help_text="industry group slug")
    company = serializers.SlugField(required=False, allow_blank=True, help_text="company slug")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)


class ResultSetFilterSerializer(serializers.Serializer[Any]):
    study = serializers.SlugField(required=False, allow_blank=True, help_text="study slug")
    wave = serializers.SlugField(required=False, allow_blank=True, help_text="wave slug")


@extend_schema_view(list=extend_schema(parameters=[ResultSetFilterSerializer]))
class ResultSetViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ResultSet]
):
    """Published results: each wave's current result set, and its rows."""

    serializer_class = ResultSetSerializer
    permission_classes = [RolePermission]
    read_roles = PUBLIC
    write_roles = RESULTS_ROLES
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[ResultSet]:
        sets = ResultSet.objects.filter(is_current=True).select_related("wave__study")
        if not user_has_role(self.request.user, *RESULTS_PREVIEW_ROLES):
            sets = sets.filter(wave__is_public=True)
        if self.action == "list":
            params = ResultSetFilterSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            if params.validated_data.get("study"):
                sets = sets.filter(wave__study__slug=params.validated_data["study"])
            if params.validated_data.get("wave"):
                sets = sets.filter(wave__slug=params.validated_data["wave"])
        return sets.order_by("-wave__starts_on", "id")

    @extend_schema(parameters=[RowFilterSerializer], responses=ResultRowSerializer(many=True))
    @action(detail=True, methods=["get"])
    def rows(self, request: Request, pk: str | None = None) -> Response:
        """The figures of one result set, filtered; paginated."""
        result_set = self.get_object()
        params = RowFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        found = result_set.rows.select_related("industry", "company", "industry_group")
        filters = Q()
        for name in ("scope", "measure", "metric", "channel"):
            if data.get(name):
                filters &= Q(**{name: data[name]})
        if data.get("industry"):
            filters &= Q(industry__slug=data["industry"])
        if data.get("group"):
            filters &= Q(industry_group__slug=data["group"])
        if data.get("company"):
            filters &= Q(company__slug=data["company"])
        page = self.paginate_queryset(found.filter(filters).order_by("id"))  # type: ignore[arg-type]
        described = result_selectors.describe_set(result_set)
        return self.get_paginated_response(
            ResultRowSerializer(page, many=True, context={"bases": described.base}).data
        )


class AggregateRequestSerializer(serializers.Serializer[Any]):
    cutoff = serializers.DateField(
        required=False, help_text="results through this day; default today or the wave's end"
    )


class PublishSerializer(serializers.Serializer[Any]):
    public = StrictBooleanField(help_text="true publishes the results, false hides them")


class AggregationViewSet(viewsets.GenericViewSet[Wave]):
    """Aggregate a wave, and publish or hide its results (staff who run results)."""

    queryset = Wave.objects.select_related("study")
    permission_classes = [RolePermission]
    read_roles = RESULTS_ROLES
    write_roles = RESULTS_ROLES
    serializer_class = AggregateRequestSerializer
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        request=AggregateRequestSerializer,
        responses={
            202: inline_serializer(
                "AggregationStarted",
                {"result_set": serializers.IntegerField(), "job": serializers.IntegerField()},
            )
        },
    )
    @action(detail=True, methods=["post"])
    def aggregate(self, request: Request, pk: str | None = None) -> Response:
        """Build a new result set; it becomes current when complete. Follow the job."""
        params = AggregateRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        result_set = aggregation_start(
            wave=self.get_object(), cutoff=params.validated_data.get("cutoff"), by=request.user
        )
        return Response(
            {"result_set": result_set.pk, "job": result_set.job_id},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        request=PublishSerializer,
        responses={200: inline_serializer("Published", {"public": serializers.BooleanField()})},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Show the wave's current results to the public (or hide them); 400 without results."""
        params = PublishSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        wave = wave_publish(wave=self.get_object(), public=params.validated_data["public"])
        return Response({"public": wave.is_public})
