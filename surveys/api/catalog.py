"""Catalog API: everyone may read industries and companies; catalog staff may write."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from kundeservice.api import SlugLookupField, StrictModelSerializer
from kundeservice.roles import CATALOG_ROLES, PUBLIC, RolePermission
from surveys import selectors
from surveys.models import Channel, Company, Industry
from surveys.services import catalog as catalog_services


class IndustrySerializer(StrictModelSerializer):
    class Meta:
        model = Industry
        fields = ["id", "slug", "name", "name_en", "position"]


class CompanySerializer(StrictModelSerializer):
    industry = SlugLookupField(slug_field="slug", queryset=Industry.objects.all())
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), allow_empty=True, required=False
    )

    class Meta:
        model = Company
        fields = [
            "id",
            "slug",
            "name",
            "org_number",
            "industry",
            "channels",
            "website",
            "is_active",
        ]
        read_only_fields = ["id", "slug"]
        # Uniqueness is checked by the service, which reports it in the user's language.
        extra_kwargs: dict[str, Any] = {"org_number": {"validators": []}}

    def validate_channels(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("A channel is listed twice."))
        return value


class ImportResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class IndustryViewSet(viewsets.ModelViewSet[Industry]):
    """Industries (bransjer)."""

    queryset = Industry.objects.order_by("position", "name")
    serializer_class = IndustrySerializer
    permission_classes = [RolePermission]
    read_roles = PUBLIC
    write_roles = CATALOG_ROLES
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"


class CompanyFilterSerializer(serializers.Serializer[Any]):
    """Query parameters of the company list; an unknown channel is a 400, not an empty list."""

    # An empty value means "no filter", as an HTML form sends it.
    industry = serializers.SlugField(required=False, allow_blank=True, help_text="industry slug")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="name, or the start of an organisation number",
    )


@extend_schema_view(list=extend_schema(parameters=[CompanyFilterSerializer]))
class CompanyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Company],
):
    """Companies (virksomheter). Deactivate rather than delete: results refer to them."""

    serializer_class = CompanySerializer
    permission_classes = [RolePermission]
    read_roles = PUBLIC
    write_roles = CATALOG_ROLES
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self) -> QuerySet[Company]:
        if self.action != "list":
            return selectors.companies_list(include_inactive=True)
        params = CompanyFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.companies_list(
            industry=params.validated_data.get("industry") or None,
            channel=params.validated_data.get("channel") or None,
            search=params.validated_data.get("search") or None,
        )

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = catalog_services.company_create(**serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = catalog_services.company_update(
            company=serializer.instance, **serializer.validated_data
        )

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "CompanyImportUpload", fields={"file": serializers.FileField()}
            )
        },
        responses={201: ImportResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_file(self, request: Request) -> Response:
        """Create or update companies from CSV/XLSX; any bad row rejects the whole file."""
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"detail": _("Choose a file to upload.")}, status=400)
        summary = catalog_services.companies_import(file=upload, filename=upload.name or "")
        return Response(
            ImportResultSerializer({"created": summary.created, "updated": summary.updated}).data,
            status=status.HTTP_201_CREATED,
        )
