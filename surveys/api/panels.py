"""Staff API for studies, waves, panelists, invitations and responses; the respondent's submit."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from kundeservice.api import SlugLookupField, StrictIntegerField, StrictModelSerializer
from kundeservice.errors import DomainError
from kundeservice.parsers import BoundedJSONParser, JSONTooDeep, json_body_load
from kundeservice.roles import PUBLIC, Role, RolePermission
from surveys.api.exports import ExportJobSerializer, ExportRequestSerializer, start_wave_export
from surveys.models import (
    Answer,
    IndustryGroup,
    Invitation,
    Panelist,
    Questionnaire,
    Response,
    Study,
    StudyKind,
    Wave,
)
from surveys.services import invitations as invitation_services
from surveys.services import panels as panel_services
from surveys.services import responding, submissions
from surveys.services.polls import wave_open_link_check
from surveys.services.questionnaires import questionnaire_create
from surveys.services.waves import wave_questionnaire_check
from surveys.services.xlsform import (
    questionnaire_export_xlsform,
    questionnaire_import_xlsform_warned,
    questionnaire_xlsform_filename,
)
from surveys.xlsform import XLSX_MEDIA_TYPE

PANEL_ROLES = (Role.STAFF_ADMIN, Role.PANEL_MANAGER)


class QuestionnaireSerializer(StrictModelSerializer):
    class Meta:
        model = Questionnaire
        fields = ["id", "slug", "version", "kind", "title", "title_en", "created_at"]


class XLSFormWarningSerializer(serializers.Serializer[Any]):
    sheet = serializers.CharField(help_text="The workbook's sheet: survey, choices or settings.")
    row = serializers.IntegerField(help_text="The row as a spreadsheet numbers it (header = 1).")
    column = serializers.CharField(help_text="The column's header; empty for the whole row.")
    message = serializers.CharField(
        help_text="What was imported but is not shown, in the request's language "
        "(Accept-Language: nb or en)."
    )


class XLSFormImportSerializer(QuestionnaireSerializer):
    """The questionnaire an XLSForm created, and what it keeps without showing."""

    warnings = XLSFormWarningSerializer(
        many=True,
        read_only=True,
        help_text="What the workbook holds that web surveys do not show or check (questions "
        "such as geopoint kept but never shown, appearance ignored, …), as the console's review "
        "page lists them; empty when everything is shown.",
    )

    class Meta(QuestionnaireSerializer.Meta):
        fields = [*QuestionnaireSerializer.Meta.fields, "warnings"]


class StudySerializer(StrictModelSerializer):
    class Meta:
        model = Study
        fields = ["id", "slug", "name", "name_en", "kind"]


class WaveSerializer(StrictModelSerializer):
    study = SlugLookupField(slug_field="slug", queryset=Study.objects.all())
    industry_groups = SlugLookupField(
        slug_field="slug",
        queryset=IndustryGroup.objects.all(),
        many=True,
        required=False,
        help_text="industry groups whose pooled results the wave publishes (slugs)",
    )

    class Meta:
        model = Wave
        fields = [
            "id",
            "study",
            "slug",
            "name",
            "name_en",
            "questionnaire",
            "starts_on",
            "ends_on",
            "previous",
            "status",
            "minimum_n",
            "invitation_valid_days",
            "reminder_after_days",
            "max_reminders",
            "is_public",
            "open_slug",
            "show_results",
            "industry_groups",
        ]
        # Publishing goes through /api/v1/results/waves/<id>/publish/, which checks that there
        # are results and refreshes the cached public pages.
        read_only_fields = ["is_public"]

    def validate_open_slug(self, value: str | None) -> str | None:
        return value or None  # blank means no open link (the column is unique, NULLs are not)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        starts = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError(
                {"ends_on": _("The wave cannot end before it starts.")}
            )
        wave_open_link_check(  # a DomainError here is a 400 on open_slug
            study=attrs.get("study", getattr(self.instance, "study", None)),
            open_slug=attrs.get("open_slug", getattr(self.instance, "open_slug", None)),
        )
        wave_questionnaire_check(wave=self.instance, questionnaire=attrs.get("questionnaire"))
        study = attrs.get("study")
        if self.instance is None and "minimum_n" not in attrs and study is not None:
            # DOMAIN.md: 50 respondents for the index; 10 contacts for an observed company.
            attrs["minimum_n"] = 10 if study.kind == StudyKind.OBSERVATION else 50
        return attrs


class PanelistSerializer(StrictModelSerializer):
    class Meta:
        model = Panelist
        fields = [
            "id",
            "email",
            "external_id",
            "gender",
            "birth_year",
            "region",
            "language",
            "unsubscribed_at",
            "erased_at",
        ]
        read_only_fields = ["unsubscribed_at", "erased_at"]
        # Uniqueness (case-insensitive) is the service's to check, as a 409.
        extra_kwargs: dict[str, Any] = {"email": {"validators": []}}


class InvitationSerializer(StrictModelSerializer):
    class Meta:
        model = Invitation
        fields = [
            "id",
            "wave",
            "panelist",
            "status",
            "stratum",
            "sent_at",
            "reminded_at",
            "reminder_count",
            "opened_at",
            "started_at",
            "completed_at",
            "expires_at",
        ]


class AnswerSerializer(StrictModelSerializer):
    question = serializers.CharField(source="question.key")

    class Meta:
        model = Answer
        fields = ["question", "value_text", "value_number", "value_choices", "is_na", "score"]


class ResponseSerializer(StrictModelSerializer):
    answers = AnswerSerializer(many=True, read_only=True)
    company = serializers.CharField(source="company.slug", read_only=True, allow_null=True)

    class Meta:
        model = Response
        fields = [
            "id",
            "wave",
            "source",
            "status",
            "language",
            "company",
            "channel",
            "score",
            "weight",
            "submitted_at",
            "invalid_reason",
            "invalidated_at",
            "answers",
        ]


class InvalidateSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


class SampleSerializer(serializers.Serializer[Any]):
    sample_size = StrictIntegerField(min_value=1, required=False, allow_null=True)
    stratify_by = serializers.ListField(
        child=serializers.ChoiceField(choices=["region", "age_group", "gender"]), required=False
    )
    seed = StrictIntegerField(min_value=0, default=0)


class StaffOnly(APIView):
    """Mixin: panel managers and staff admins only, for reads and writes."""

    permission_classes = [RolePermission]
    read_roles = PANEL_ROLES
    write_roles = PANEL_ROLES


class QuestionnaireViewSet(
    StaffOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Questionnaire],
):
    """Questionnaire versions. POST a specification to create a new version."""

    queryset = Questionnaire.objects.order_by("slug", "-version")
    serializer_class = QuestionnaireSerializer

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # DRF does not render the workbook, so a client accepting only .xlsx must not get a 406;
        # errors on that route are JSON whatever it accepts.
        return super().perform_content_negotiation(request, force=force or self.action == "xlsform")

    @extend_schema(
        request=inline_serializer(
            "QuestionnaireSpec",
            fields={
                "slug": serializers.SlugField(),
                "title": serializers.CharField(),
                "sections": serializers.ListField(child=serializers.DictField()),
            },
        ),
        responses={201: QuestionnaireSerializer},
    )
    def create(self, request: Request) -> ApiResponse:
        if not isinstance(request.data, dict):
            raise DomainError(_("Send the questionnaire as a JSON object."))
        questionnaire = questionnaire_create(spec=dict(request.data))
        return ApiResponse(
            QuestionnaireSerializer(questionnaire).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "XLSFormUpload", {"file": serializers.FileField()}
            )
        },
        responses={201: XLSFormImportSerializer},
    )
    @action(
        detail=False, methods=["post"], url_path="import-xlsform", parser_classes=[MultiPartParser]
    )
    def import_xlsform(self, request: Request) -> ApiResponse:
        """Create a questionnaire (a new version of a known form_id) from an XLSForm workbook;
        any problem rejects the whole file, listed by sheet, row and column. The answer lists
        what was imported but is not shown in web surveys (warnings)."""
        upload = request.FILES.get("file")
        if upload is None:
            return ApiResponse({"detail": _("Choose a file to upload.")}, status=400)
        imported = questionnaire_import_xlsform_warned(file=upload, filename=upload.name or "")
        body = {
            **QuestionnaireSerializer(imported.questionnaire).data,
            "warnings": [warning.as_dict() for warning in imported.warnings],
        }
        return ApiResponse(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, XLSX_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The questionnaire as an XLSForm workbook."
            )
        }
    )
    @action(detail=True, methods=["get"])
    def xlsform(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The questionnaire as an XLSForm workbook (.xlsx), for KoboToolbox, ODK or Excel."""
        questionnaire = self.get_object()
        response = HttpResponse(
            questionnaire_export_xlsform(questionnaire=questionnaire),
            content_type=XLSX_MEDIA_TYPE,
        )
        filename = questionnaire_xlsform_filename(questionnaire=questionnaire)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class StudyViewSet(StaffOnly, viewsets.ModelViewSet[Study]):
    queryset = Study.objects.order_by("name")
    serializer_class = StudySerializer


class WaveViewSet(StaffOnly, viewsets.ModelViewSet[Wave]):
    queryset = Wave.objects.select_related("study").order_by("-starts_on")
    serializer_class = WaveSerializer

    @extend_schema(
        request=SampleSerializer,
        responses={201: inline_serializer("Invited", {"invited": serializers.IntegerField()})},
    )
    @action(detail=True, methods=["post"])
    def invite(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Invite the panel, or a (stratified) random sample of it."""
        params = SampleSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        count = invitation_services.invitations_create(
            wave=self.get_object(),
            panelists=Panelist.objects.all().iterator(chunk_size=5000),
            sample_size=params.validated_data.get("sample_size"),
            stratify_by=params.validated_data.get("stratify_by", []),
            seed=params.validated_data["seed"],
        )
        return ApiResponse({"invited": count}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={202: inline_serializer("JobStarted", {"job": serializers.IntegerField()})},
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Start mailing the wave's unsent invitations; follow the job for progress."""
        job = invitation_services.invitations_send_start(wave=self.get_object(), user=request.user)
        return ApiResponse({"job": job.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportJobSerializer})
    @action(detail=True, methods=["post"])
    def export(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Start exporting the wave's responses; follow the job at ``/exports/{id}/``."""
        return start_wave_export(request, self.get_object())


class PanelistViewSet(
    StaffOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Panelist],
):
    queryset = Panelist.objects.order_by("id")
    serializer_class = PanelistSerializer

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = panel_services.panelist_create(**serializer.validated_data)

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "PanelUpload", {"file": serializers.FileField()}
            )
        },
        responses={
            201: inline_serializer(
                "PanelImported",
                {
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "merged_rows": serializers.IntegerField(),
                },
            )
        },
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_file(self, request: Request) -> ApiResponse:
        """Create or update panelists from CSV/XLSX; any bad row rejects the whole file."""
        upload = request.FILES.get("file")
        if upload is None:
            return ApiResponse({"detail": _("Choose a file to upload.")}, status=400)
        summary = panel_services.panelists_import(file=upload, filename=upload.name or "")
        return ApiResponse(
            {
                "created": summary.created,
                "updated": summary.updated,
                "merged_rows": summary.merged_rows,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={200: PanelistSerializer})
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str | None = None) -> ApiResponse:
        """GDPR erasure: personal data removed, answers kept anonymised."""
        panelist = panel_services.panelist_erase(panelist=self.get_object())
        return ApiResponse(PanelistSerializer(panelist).data)

    @extend_schema(
        responses={
            200: inline_serializer(
                "PanelistExport",
                {
                    "panelist": serializers.DictField(),
                    "invitations": serializers.ListField(child=serializers.DictField()),
                },
            )
        }
    )
    @action(detail=True, methods=["get"], url_path="export")
    def export_data(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Everything held about this person (GDPR access request)."""
        return ApiResponse(panel_services.panelist_export(panelist=self.get_object()))


class InvitationViewSet(
    StaffOnly, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Invitation]
):
    serializer_class = InvitationSerializer

    def get_queryset(self) -> QuerySet[Invitation]:
        return Invitation.objects.order_by("id")


class ResponseViewSet(
    StaffOnly, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Response]
):
    serializer_class = ResponseSerializer

    def get_queryset(self) -> QuerySet[Response]:
        return (
            Response.objects.select_related("company")
            .prefetch_related("answers__question")
            .order_by("-id")
        )

    @extend_schema(request=InvalidateSerializer, responses={200: ResponseSerializer})
    @action(detail=True, methods=["post"])
    def invalidate(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Exclude from results, with a reason; logged with who and when."""
        params = InvalidateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        response = responding.response_invalidate(
            response=self.get_object(), by=request.user, reason=params.validated_data["reason"]
        )
        return ApiResponse(ResponseSerializer(response).data)


class RespondSubmitSerializer(serializers.Serializer[Any]):
    answers = serializers.DictField(help_text="question key → value (a list for multiple choice)")


class RespondSubmitView(APIView):
    """Submit a whole questionnaire with the invitation's token. The answers are checked at once
    and stored, to be saved as a response moments later (202); a repeat is answered the same
    way, and a token whose response is saved returns its status (200)."""

    permission_classes = [RolePermission]
    read_roles = PUBLIC  # there is no GET: other methods answer 405
    write_roles = PUBLIC
    authentication_classes: list[Any] = []
    parser_classes = [BoundedJSONParser]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """POST is answered in plain Django, without DRF's request wrapping, negotiation and
        rendering: they cost a quarter of a millisecond of CPU a submit, as much as checking the
        answers (bench/RESULTS.md). The schema still comes from ``post``; other methods get
        DRF's answers."""
        if request.method == "POST":
            return self.post(request, token=kwargs["token"])
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        request=RespondSubmitSerializer,
        responses={
            202: inline_serializer("Received", {"status": serializers.CharField()}),
            200: inline_serializer("AlreadySubmitted", {"status": serializers.CharField()}),
        },
    )
    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        answers = _submitted_answers(request)
        if isinstance(answers, HttpResponse):
            return answers
        try:
            result = submissions.submission_accept(token=token[:100], answers=answers)
        except responding.LinkProblem as problem:
            return JsonResponse(
                {"detail": problem.messages[0], "code": problem.reason},
                status=404 if problem.reason == "unknown" else 409,
            )
        except responding.IncompleteResponse as incomplete:
            return JsonResponse({"detail": incomplete.messages[0], **incomplete.errors}, status=400)
        return JsonResponse(
            {"status": result}, status=202 if result == submissions.RECEIVED else 200
        )


def _submitted_answers(request: HttpRequest) -> dict[str, Any] | HttpResponse:
    """The ``answers`` object of a JSON body, or the error DRF's parser and serializer give."""
    if request.content_type != "application/json":
        detail = UnsupportedMediaType(request.content_type or "").detail
        return JsonResponse({"detail": str(detail)}, status=415)
    try:
        body = json_body_load(request.body)
    except JSONTooDeep as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    except ValueError:
        return JsonResponse({"detail": str(ParseError.default_detail)}, status=400)
    answers = body.get("answers") if isinstance(body, dict) else None
    if not isinstance(answers, dict):
        field = serializers.DictField()
        message = (
            field.error_messages["required"]
            if answers is None
            else field.error_messages["not_a_dict"].format(input_type=type(answers).__name__)
        )
        return JsonResponse({"answers": [str(message)]}, status=400)
    return answers
