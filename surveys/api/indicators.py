"""Industry groups and derived indicators: what the results publish besides industries and
questions. Everyone reads groups (results name them); catalog staff define them. Indicators are
defined and read by the staff who run results; their figures are public with the results."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kundeservice.api import SlugLookupField, StrictCharField, StrictModelSerializer
from kundeservice.roles import CATALOG_ROLES, PUBLIC, RESULTS_ROLES, RolePermission
from surveys import indicators as conditions
from surveys.models import Indicator, IndicatorBase, Industry, IndustryGroup, Wave
from surveys.selectors import indicator_question_facts
from surveys.services.groups import industry_group_delete, industry_group_save
from surveys.services.indicators import indicator_delete, indicator_save


class IndustryGroupSerializer(StrictModelSerializer):
    industries = SlugLookupField(slug_field="slug", queryset=Industry.objects.all(), many=True)

    class Meta:
        model = IndustryGroup
        fields = ["id", "slug", "name", "name_en", "industries", "position"]
        read_only_fields = ["id"]
        # Uniqueness is the service's to report (409), in the user's language.
        extra_kwargs: dict[str, Any] = {"slug": {"validators": []}, "name": {"validators": []}}


class IndustryGroupViewSet(viewsets.ModelViewSet[IndustryGroup]):
    """Industry groups (e.g. tele = telefoni + bredbånd + kabel-TV), a scope of the results of
    the waves that use them. A group that results name cannot be deleted (409)."""

    queryset = IndustryGroup.objects.prefetch_related("industries").order_by("position", "name")
    serializer_class = IndustryGroupSerializer
    permission_classes = [RolePermission]
    read_roles = PUBLIC
    write_roles = CATALOG_ROLES
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = industry_group_save(**serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        data = {
            "slug": serializer.instance.slug,
            "name": serializer.instance.name,
            "name_en": serializer.instance.name_en,
            "position": serializer.instance.position,
            "industries": list(serializer.instance.industries.all()),
            **serializer.validated_data,
        }
        serializer.instance = industry_group_save(group=serializer.instance, **data)

    def perform_destroy(self, instance: IndustryGroup) -> None:
        industry_group_delete(group=instance)


class IndicatorSerializer(StrictModelSerializer):
    questionnaire = serializers.SlugField(
        source="questionnaire_slug",
        required=False,
        allow_blank=True,
        help_text="the questionnaire's key: every wave answered with any of its versions",
    )
    wave = serializers.PrimaryKeyRelatedField(
        queryset=Wave.objects.all(), required=False, allow_null=True, help_text="or one wave"
    )
    condition = serializers.JSONField(
        help_text=(
            'e.g. {"all": [{"q": "valued", "in": ["no"]}, {"q": "would_buy", "in": ["no"]}]}; '
            'leaves test "in", "has", "min"/"max" or "answered"; combine with all, any, not'
        )
    )
    base = serializers.ChoiceField(choices=IndicatorBase.choices, default=IndicatorBase.ANSWERED)
    measure = StrictCharField(read_only=True, help_text="the results' measure: ind:<key>")
    in_words = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = [
            "id",
            "key",
            "measure",
            "name",
            "name_en",
            "description",
            "description_en",
            "questionnaire",
            "wave",
            "condition",
            "in_words",
            "base",
            "position",
        ]
        read_only_fields = ["id"]
        # Uniqueness is the service's to report (409); DRF's own validators for the model's
        # conditional constraints would also make ``wave`` required.
        validators: list[Any] = []

    def get_in_words(self, indicator: Indicator) -> str:
        questionnaire = indicator.wave.questionnaire if indicator.wave else None
        if questionnaire is None:
            from surveys.models import Questionnaire

            questionnaire = (
                Questionnaire.objects.filter(slug=indicator.questionnaire_slug)
                .order_by("-version")
                .first()
            )
        facts = indicator_question_facts(questionnaire=questionnaire) if questionnaire else {}
        if conditions.validate(indicator.condition, facts):
            return _("(refers to questions this questionnaire does not have)")
        return conditions.describe(indicator.condition, facts)


class IndicatorViewSet(viewsets.ModelViewSet[Indicator]):
    """Derived indicators: a share of responses meeting a condition on their answers, computed
    in every scope by the next aggregation (``ind:<key>`` in the results)."""

    serializer_class = IndicatorSerializer
    permission_classes = [RolePermission]
    read_roles = RESULTS_ROLES
    write_roles = RESULTS_ROLES

    def get_queryset(self) -> QuerySet[Indicator]:
        return Indicator.objects.select_related("wave__questionnaire").order_by(
            "questionnaire_slug", "wave_id", "position", "key"
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        indicator = indicator_save(**serializer.validated_data)
        return Response(self.get_serializer(indicator).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        indicator = self.get_object()
        serializer = self.get_serializer(
            indicator, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = {
            "key": indicator.key,
            "name": indicator.name,
            "name_en": indicator.name_en,
            "description": indicator.description,
            "description_en": indicator.description_en,
            "questionnaire_slug": indicator.questionnaire_slug,
            "wave": indicator.wave,
            "condition": indicator.condition,
            "base": indicator.base,
            "position": indicator.position,
            **serializer.validated_data,
        }
        indicator = indicator_save(indicator=indicator, **data)
        return Response(self.get_serializer(indicator).data)

    def perform_destroy(self, instance: Indicator) -> None:
        indicator_delete(indicator=instance)
