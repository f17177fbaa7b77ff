"""API for the observer programme: an observer's own assignments (for a future mobile app) and
the QA reviewer's queue.

Observers see and change only their own assignments; anyone else's is a 404. Observers never
see points or scores. Reviewers may read any report but never review one they made as observer.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse

from kundeservice.api import StrictCharField
from kundeservice.roles import Role, RolePermission
from surveys import selectors
from surveys.evaluation import report_lines
from surveys.models import (
    Assignment,
    AssignmentStatus,
    AttemptResult,
    ContactAttempt,
    ContactOutcome,
    Response,
    ReviewEvent,
)
from surveys.services import fieldwork, review
from surveys.weeks import week_bounds

OBSERVER_ROLES = (Role.OBSERVER,)
REVIEW_ROLES = (Role.QA_REVIEWER, Role.STAFF_ADMIN)
NA_HELP = "question key → value, or a list of values for multiple choice; `__na__` is N/A"


class AttemptSerializer(serializers.ModelSerializer[ContactAttempt]):
    wait_minutes = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = ContactAttempt
        fields = ["number", "started_at", "answered_at", "result", "note", "wait_minutes"]
        read_only_fields = fields


class AttemptInSerializer(serializers.Serializer[Any]):
    started_at = serializers.DateTimeField(help_text="When the observer called, chatted or wrote.")
    result = serializers.ChoiceField(choices=AttemptResult.choices)
    answered_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Required when the result is `answered`."
    )
    # Not trimmed here (the service trims), so the length checked is the length the schema means.
    note = StrictCharField(
        required=False, allow_blank=True, max_length=2000, default="", trim_whitespace=False
    )


class FieldworkAssignmentSerializer(serializers.ModelSerializer[Assignment]):
    company = serializers.CharField(source="company.slug", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    wave_name = serializers.CharField(source="wave.display_name", read_only=True)
    week_starts = serializers.SerializerMethodField()
    week_ends = serializers.SerializerMethodField()
    wait_limit = serializers.SerializerMethodField()
    attempts = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "wave",
            "wave_name",
            "company",
            "company_name",
            "channel",
            "week",
            "week_starts",
            "week_ends",
            "wait_limit",
            "scenario",
            "status",
            "outcome",
            "return_reason",
            "attempts",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATE)
    def get_week_starts(self, assignment: Assignment) -> str:
        return week_bounds(starts_on=assignment.wave.starts_on, week=assignment.week)[0].isoformat()

    @extend_schema_field(OpenApiTypes.DATE)
    def get_week_ends(self, assignment: Assignment) -> str:
        return week_bounds(starts_on=assignment.wave.starts_on, week=assignment.week)[1].isoformat()

    @extend_schema_field(OpenApiTypes.STR)
    def get_wait_limit(self, assignment: Assignment) -> str:
        return fieldwork.wait_limit_text(assignment.channel)


# Built with inline_serializer: "label" and "required" are attributes of a serializer itself.
FORM_OPTION = inline_serializer(
    "FormOption", fields={"value": serializers.CharField(), "label": serializers.CharField()}
)
FORM_QUESTION = inline_serializer(
    "FormQuestion",
    fields={
        "key": serializers.CharField(),
        "type": serializers.CharField(),
        "text": serializers.CharField(),
        "help": serializers.CharField(allow_blank=True),
        "required": serializers.BooleanField(),
        "allow_na": serializers.BooleanField(),
        "scale_min": serializers.IntegerField(allow_null=True),
        "scale_max": serializers.IntegerField(allow_null=True),
        "relevant": serializers.JSONField(allow_null=True),
        "options": serializers.ListField(child=FORM_OPTION),
    },
)


class FormSectionSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    relevant = serializers.JSONField(allow_null=True)
    questions = serializers.ListField(child=FORM_QUESTION)


class EvaluationSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=AssignmentStatus.choices)
    editable = serializers.BooleanField()
    answers = serializers.DictField(help_text=NA_HELP)
    form = FormSectionSerializer(many=True, help_text="The evaluation form, without points.")


class EvaluationInSerializer(serializers.Serializer[Any]):
    answers = serializers.DictField(help_text=NA_HELP)


class SubmitInSerializer(serializers.Serializer[Any]):
    answers = serializers.DictField(
        required=False, help_text=NA_HELP + "; when left out, the saved draft is submitted"
    )


class ReportHandedInSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=AssignmentStatus.choices)


class FieldworkAssignmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Assignment]
):
    """My assignments as observer: record attempts, fill the evaluation, submit it to QA."""

    permission_classes = [RolePermission]
    read_roles = OBSERVER_ROLES
    write_roles = OBSERVER_ROLES
    serializer_class = FieldworkAssignmentSerializer

    def get_queryset(self) -> QuerySet[Assignment]:
        qs = (
            Assignment.objects.filter(observer__user_id=self.request.user.pk or 0)
            .select_related("wave__questionnaire", "company")
            .prefetch_related("attempts")
            .order_by("wave__starts_on", "week", "pk")
        )
        wanted = self.request.query_params.get("status")
        if self.action == "list" and wanted is not None:
            if wanted not in AssignmentStatus.values:
                raise ValidationError({"status": [_("Unknown status.")]})
            qs = qs.filter(status=wanted)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=AssignmentStatus.values, description="Only these"
            )
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AttemptInSerializer, responses={201: FieldworkAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def attempts(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Record an attempt to reach the company, under the channel's waiting rules."""
        assignment = self.get_object()
        params = AttemptInSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        fieldwork.attempt_record(
            assignment=assignment,
            user=request.user,
            started_at=params.validated_data["started_at"],
            answered_at=params.validated_data.get("answered_at"),
            result=params.validated_data["result"],
            note=params.validated_data.get("note", ""),
        )
        return ApiResponse(
            FieldworkAssignmentSerializer(self.get_object()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(methods=["GET"], responses=EvaluationSerializer)
    @extend_schema(methods=["PUT"], request=EvaluationInSerializer, responses=EvaluationSerializer)
    @action(detail=True, methods=["get", "put"])
    def evaluation(self, request: Request, pk: str | None = None) -> ApiResponse:
        """The evaluation form and its saved draft; PUT replaces the draft (all answers valid, or
        nothing is saved)."""
        assignment = self.get_object()
        if request.method == "PUT":
            params = EvaluationInSerializer(data=request.data)
            params.is_valid(raise_exception=True)
            try:
                fieldwork.evaluation_save(
                    assignment=assignment,
                    user=request.user,
                    answers=params.validated_data["answers"],
                    strict=True,
                )
            except fieldwork.IncompleteEvaluation as incomplete:
                return _incomplete(incomplete)
            assignment = self.get_object()
        return ApiResponse(_evaluation(assignment))

    @extend_schema(request=SubmitInSerializer, responses={200: ReportHandedInSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Hand the evaluation in to QA. Safe to repeat: a report already handed in stays as it
        is."""
        assignment = self.get_object()
        params = SubmitInSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            fieldwork.evaluation_submit(
                assignment=assignment,
                user=request.user,
                answers=params.validated_data.get("answers"),
            )
        except fieldwork.IncompleteEvaluation as incomplete:
            return _incomplete(incomplete)
        return ApiResponse({"status": assignment.status})


def _incomplete(incomplete: fieldwork.IncompleteEvaluation) -> ApiResponse:
    body: dict[str, Any] = {
        key: [message]
        for key, message in incomplete.errors.items()
        if key not in {"detail", "code", "errors"}
    }
    return ApiResponse({**body, "detail": incomplete.messages[0], "code": "incomplete"}, status=400)


def _evaluation(assignment: Assignment) -> dict[str, Any]:
    report: Response | None = Response.objects.filter(assignment=assignment).first()
    structure = selectors.questionnaire_structure(questionnaire=assignment.wave.questionnaire)
    return {
        "status": assignment.status,
        "editable": report is not None
        and assignment.outcome == ContactOutcome.ANSWERED
        and assignment.status in fieldwork.EDITABLE_STATUSES,
        "answers": report.draft if report else {},
        "form": [
            {
                "key": s.section.key,
                "title": s.section.display_title,
                "relevant": s.section.relevant,
                "questions": [
                    {
                        "key": q.key,
                        "type": q.info.type,
                        "text": q.question.display_text,
                        "help": q.question.display_help,
                        "required": q.info.required,
                        "allow_na": q.info.allow_na,
                        "scale_min": q.info.scale_min,
                        "scale_max": q.info.scale_max,
                        "relevant": q.question.relevant,
                        "options": [{"value": o.value, "label": o.label} for o in q.info.options],
                    }
                    for q in s.questions
                ],
            }
            for s in structure.sections
        ],
    }


class ReviewEventSerializer(serializers.ModelSerializer[ReviewEvent]):
    actor = serializers.CharField(source="actor.get_username", read_only=True, allow_null=True)

    class Meta:
        model = ReviewEvent
        fields = ["from_status", "to_status", "actor", "reason", "at"]
        read_only_fields = fields


class ReviewAnswerSerializer(serializers.Serializer[Any]):
    section = serializers.CharField()
    question = serializers.CharField()
    text = serializers.CharField()
    answer = serializers.CharField()
    points_earned = serializers.FloatField(allow_null=True)
    points_possible = serializers.FloatField(allow_null=True)


class ReviewSerializer(serializers.ModelSerializer[Assignment]):
    company = serializers.CharField(source="company.slug", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    observer = serializers.CharField(source="observer.__str__", read_only=True)
    submitted_at = serializers.DateTimeField(source="response.submitted_at", read_only=True)
    score = serializers.FloatField(source="response.score", read_only=True, allow_null=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "wave",
            "company",
            "company_name",
            "channel",
            "week",
            "observer",
            "status",
            "outcome",
            "submitted_at",
            "score",
        ]
        read_only_fields = fields


class ReviewDetailSerializer(ReviewSerializer):
    section_scores = serializers.DictField(
        source="response.section_scores", read_only=True, child=serializers.FloatField()
    )
    attempts = AttemptSerializer(many=True, read_only=True)
    events = ReviewEventSerializer(many=True, read_only=True)
    answers = serializers.SerializerMethodField()

    class Meta(ReviewSerializer.Meta):
        fields = [
            *ReviewSerializer.Meta.fields,
            "scenario",
            "return_reason",
            "section_scores",
            "attempts",
            "events",
            "answers",
        ]
        read_only_fields = fields

    @extend_schema_field(ReviewAnswerSerializer(many=True))
    def get_answers(self, assignment: Assignment) -> list[dict[str, Any]]:
        report = assignment.response
        structure = selectors.questionnaire_structure(questionnaire=assignment.wave.questionnaire)
        areas = report_lines(
            structure=structure, answers=report.draft, section_scores=report.section_scores
        )
        return [
            {
                "section": area.section.section.key,
                "question": line.view.key,
                "text": line.view.question.display_text,
                "answer": line.answer,
                "points_earned": line.item.earned if line.item else None,
                "points_possible": line.item.possible if line.item else None,
            }
            for area in areas
            for line in area.lines
        ]


class ReturnInSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=review.MAX_REASON, trim_whitespace=False)


class ReviewViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Assignment]
):
    """QA: submitted observer reports, oldest first (without your own); approve or return."""

    permission_classes = [RolePermission]
    read_roles = REVIEW_ROLES
    write_roles = REVIEW_ROLES

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Assignment]]:
        return ReviewSerializer if self.action == "list" else ReviewDetailSerializer

    def get_queryset(self) -> QuerySet[Assignment]:
        if self.action != "list":
            return selectors.report_for_review()
        wave = self.request.query_params.get("wave")
        if wave is not None and not (wave.isascii() and wave.isdigit() and len(wave) < 10):
            raise ValidationError({"wave": [_("A wave is given by its number.")]})
        return selectors.review_queue(
            reviewer=self.request.user, wave_id=int(wave) if wave is not None else None
        )

    @extend_schema(
        parameters=[OpenApiParameter("wave", OpenApiTypes.INT, description="A wave's id")]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: ReviewDetailSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Approve the report: the contact counts in results from now on."""
        review.report_approve(assignment=self.get_object(), reviewer=request.user)
        return ApiResponse(ReviewDetailSerializer(self.get_object()).data)

    @extend_schema(request=ReturnInSerializer, responses={200: ReviewDetailSerializer})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_report(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Return the report to its observer with a reason; they are told by e-mail."""
        params = ReturnInSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        review.report_return(
            assignment=self.get_object(),
            reviewer=request.user,
            reason=params.validated_data["reason"],
        )
        return ApiResponse(ReviewDetailSerializer(self.get_object()).data)
