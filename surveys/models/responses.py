"""Responses from every source, and their typed answers.

A response keeps its draft as JSON while the respondent works (autosave is one UPDATE). On submit
the answers are validated once and written as ``Answer`` rows with ``bulk_create``, each carrying
what aggregation groups by (wave, section, company, channel) and, for scored or scaled items, a
value on the 0–100 scale.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from surveys.models.catalog import Channel, Company
from surveys.models.instruments import Question, Section
from surveys.models.observations import Assignment
from surveys.models.panels import Invitation
from surveys.models.waves import Wave


class ResponseSource(models.TextChoices):
    PANEL = "panel", _("Panel invitation")
    OPEN_LINK = "open_link", _("Open link")
    OBSERVER = "observer", _("Observer assignment")


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCREENED_OUT = "screened_out", _("Screened out")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    APPROVED = "approved", _("Approved")


class Response(models.Model):
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses")
    source = models.CharField(_("source"), max_length=20, choices=ResponseSource.choices)
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.PROTECT, related_name="response"
    )
    assignment = models.OneToOneField(
        Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="response"
    )
    browser_key = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT
    )
    language = models.CharField(_("language"), max_length=5, default="nb")
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    draft = models.JSONField(default=dict, blank=True)
    page = models.PositiveSmallIntegerField(default=0)
    score = models.FloatField(_("score"), null=True, blank=True)
    section_scores = models.JSONField(default=dict, blank=True)
    weight = models.FloatField(_("weight"), default=1.0)
    # The weighting cell, copied from the panelist at submit so erasure does not change results.
    gender = models.CharField(max_length=10, blank=True)
    age_group = models.CharField(max_length=10, blank=True)
    region = models.CharField(max_length=30, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    invalid_reason = models.CharField(_("invalid because"), max_length=300, blank=True)
    invalidated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invalidated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "browser_key"],
                condition=models.Q(source="open_link"),
                name="response_once_per_browser",
            ),
        ]
        indexes = [models.Index(fields=["wave", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in {
            ResponseStatus.SUBMITTED,
            ResponseStatus.APPROVED,
            ResponseStatus.SCREENED_OUT,
        }


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    # Copied in at submit: what aggregation groups by.
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="+")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(Company, null=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=20, blank=True)
    value_text = models.TextField(blank=True)
    value_number = models.FloatField(null=True)
    value_choices = models.JSONField(null=True)
    is_na = models.BooleanField(default=False)
    score = models.FloatField(null=True, help_text="0–100 for scaled or scored items")

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="answer_once_per_question"
            )
        ]
        indexes = [models.Index(fields=["wave", "question"])]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value_text or self.value_number or self.value_choices}"


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be saved")
    SAVED = "saved", _("Saved")
    ALREADY_ANSWERED = "already_answered", _("Already answered")
    FAILED = "failed", _("Could not be saved")


class SubmissionInbox(models.Model):
    """A whole questionnaire accepted from the respondent API, before it becomes a ``Response``
    with its ``Answer`` rows.

    Write-behind: the request validates the answers and stores them here with one INSERT; a
    Celery task expands many at a time in bulk (``surveys.services.submissions``). One row per
    invitation, so a repeated submit stores nothing twice."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, related_name="submission"
    )
    answers = models.JSONField(help_text="cleaned values, only the questions branching shows")
    received_at = models.DateTimeField(_("received"), db_default=Now())
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.PENDING,
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("received submission")
        verbose_name_plural = _("received submissions")
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(status="pending"),
                name="submission_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id} ({self.get_status_display()})"
