"""Staff API for exports of a wave's responses: the jobs, their progress and their files.

``POST /waves/{id}/export/`` (on the wave viewset) starts one and answers 202 with the job;
``GET /exports/{id}/`` follows it; ``GET /exports/{id}/download/`` fetches the finished file.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.reverse import reverse

from kundeservice.models import Job
from kundeservice.roles import Role, RolePermission
from surveys.models import Wave
from surveys.services.exports import (
    CONTENT_TYPES,
    EXPORT_JOB,
    ExportFormat,
    export_file,
    export_start,
)

PANEL_ROLES = (Role.STAFF_ADMIN, Role.PANEL_MANAGER)


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false``, not a string or number that looks like one."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class ExportRequestSerializer(serializers.Serializer[Any]):
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    include_screened_out = StrictBooleanField(default=False)


class ExportJobSerializer(serializers.ModelSerializer[Job]):
    wave = serializers.SerializerMethodField()
    format = serializers.SerializerMethodField()
    include_screened_out = serializers.SerializerMethodField()
    rows = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "wave",
            "format",
            "include_screened_out",
            "status",
            "done",
            "total",
            "percent",
            "message",
            "rows",
            "download",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_wave(self, job: Job) -> int | None:
        _prefix, _sep, pk = job.subject.partition(":")
        return int(pk) if pk.isdigit() else None

    @extend_schema_field(serializers.ChoiceField(choices=ExportFormat.choices))
    def get_format(self, job: Job) -> str:
        return str(job.result.get("format", ""))

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_include_screened_out(self, job: Job) -> bool:
        return bool(job.result.get("include_screened_out"))

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_rows(self, job: Job) -> int | None:
        rows = job.result.get("rows")
        return rows if isinstance(rows, int) else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download(self, job: Job) -> str | None:
        if export_file(job=job) is None:
            return None
        return reverse("export-download", args=[job.pk], request=self.context.get("request"))


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Job]):
    """Export jobs, newest first; ``?wave=`` narrows them to one wave."""

    permission_classes = [RolePermission]
    read_roles = PANEL_ROLES
    write_roles = PANEL_ROLES
    serializer_class = ExportJobSerializer

    def get_queryset(self) -> QuerySet[Job]:
        qs = Job.objects.filter(kind=EXPORT_JOB).order_by("-pk")
        wave = self.request.query_params.get("wave")
        if wave is not None:
            if not (wave.isascii() and wave.isdigit()):
                raise ValidationError({"wave": [_("A wave is given by its number.")]})
            qs = qs.filter(subject=f"wave:{int(wave)}")
        return qs

    @extend_schema(
        parameters=[OpenApiParameter("wave", OpenApiTypes.INT, description="A wave's id")]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        responses={
            # As the file is served: each format with its own media type.
            (200, media_type.split(";")[0]): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file (CSV, XLSX or SPSS .sav)."
            )
            for media_type in CONTENT_TYPES.values()
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """The finished export's file; 404 while it runs, when it failed or is gone."""
        found = export_file(job=self.get_object())
        if found is None:
            raise Http404(_("There is no finished export with that number."))
        return FileResponse(
            found.path.open("rb"),
            as_attachment=True,
            filename=found.filename,
            content_type=found.content_type,
        )


def start_wave_export(request: Request, wave: Wave) -> ApiResponse:
    """The body of ``POST /waves/{id}/export/``: validate, start, answer 202 with the job."""
    params = ExportRequestSerializer(data=request.data)
    params.is_valid(raise_exception=True)
    job = export_start(
        wave=wave,
        file_format=params.validated_data["format"],
        include_screened_out=params.validated_data["include_screened_out"],
        user=request.user,
    )
    body = ExportJobSerializer(job, context={"request": request}).data
    location = reverse("export-detail", args=[job.pk], request=request)
    return ApiResponse(body, status=202, headers={"Location": location})
