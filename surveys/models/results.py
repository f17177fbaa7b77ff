"""Results: a ``ResultSet`` is one aggregation of a wave through a cutoff date, and its rows.

A result set is built by a Celery task and becomes the wave's current one in one transaction
only when it is complete; a failed or killed run leaves the previous one current. A frozen set
(one a temperature update shows) is never changed or deleted.
"""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kundeservice.models import Job
from surveys.models.catalog import Company, Industry, IndustryGroup
from surveys.models.instruments import Question, Section
from surveys.models.waves import Wave


class ResultSetStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    COMPLETE = "complete", _("Complete")
    FAILED = "failed", _("Failed")


class ResultSet(models.Model):
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="result_sets")
    cutoff = models.DateField(_("results through"))
    is_final = models.BooleanField(
        _("final"), default=False, help_text=_("Cut off at or after the wave's end.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ResultSetStatus.choices, default="running"
    )
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_current = models.BooleanField(_("current"), default=False)
    # A run for a temperature update's cutoff only supplies that episode's figures: it never
    # replaces what the results pages show.
    becomes_current = models.BooleanField(_("becomes current"), default=True)
    frozen = models.BooleanField(
        _("frozen"), default=False, help_text=_("Shown in a publication: never changed.")
    )
    responses = models.PositiveIntegerField(_("responses counted"), default=0)
    weighting = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("result set")
        verbose_name_plural = _("result sets")
        constraints = [
            models.UniqueConstraint(
                fields=["wave"], condition=models.Q(is_current=True), name="one_current_result_set"
            )
        ]

    def __str__(self) -> str:
        return f"{self.wave} ≤ {self.cutoff} (#{self.pk})"

    @property
    def is_provisional(self) -> bool:
        return not self.is_final


class Scope(models.TextChoices):
    OVERALL = "overall", _("Overall")
    INDUSTRY = "industry", _("Industry")
    COMPANY = "company", _("Company")
    CHANNEL = "channel", _("Channel")
    COMPANY_CHANNEL = "company_channel", _("Company × channel")
    INDUSTRY_CHANNEL = "industry_channel", _("Industry × channel")
    GROUP = "group", _("Industry group")
    GROUP_CHANNEL = "group_channel", _("Industry group × channel")


class Metric(models.TextChoices):
    MEAN = "mean", _("Mean (0–100)")
    SHARE = "share", _("Share (%)")
    NPS = "nps", _("NPS")


def _dimension(
    to: type[models.Model], on_delete: Any = models.CASCADE
) -> "models.ForeignKey[Any, Any]":
    """A result row's optional pointer to what it describes (see ResultRow on the missing
    constraint and index)."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=on_delete,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )


class ResultRow(models.Model):
    """One figure: a metric of one measure within one scope, with n and its interval.

    ``measure`` names what is measured, stable across waves so a row can be compared with the
    previous wave's: ``score`` (a contact's score), ``area:<section key>``, ``q:<question key>``,
    for the share choosing one option ``q:<question key>=<option>``, and for a derived indicator
    ``ind:<indicator key>``."""

    # A set holds thousands of rows written at once with COPY. Its dimensions are read from the
    # rows they point at in the same run, and Django still applies on_delete, so they carry no
    # database constraint or index of their own: checking 4 keys and updating 5 indexes per row
    # was 40 % of writing a set. The composite indexes below serve every read.
    result_set = models.ForeignKey(
        ResultSet, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    scope = models.CharField(max_length=20, choices=Scope.choices)
    measure = models.CharField(max_length=140)
    metric = models.CharField(max_length=10, choices=Metric.choices)
    industry = _dimension(Industry)
    company = _dimension(Company)
    # A group that published figures name cannot be deleted (its service says so).
    industry_group = _dimension(IndustryGroup, on_delete=models.PROTECT)
    channel = models.CharField(max_length=20, blank=True)
    section = _dimension(Section)
    question = _dimension(Question)
    option = models.CharField(max_length=60, blank=True)
    n = models.PositiveIntegerField()
    n_eff = models.FloatField()
    value = models.FloatField(null=True)
    sd = models.FloatField(null=True)
    se = models.FloatField(null=True)
    ci_low = models.FloatField(null=True)
    ci_high = models.FloatField(null=True)
    suppressed = models.BooleanField(default=False)
    rank = models.PositiveIntegerField(null=True)
    tied = models.BooleanField(default=False)
    previous_value = models.FloatField(null=True)
    change = models.FloatField(null=True)
    change_low = models.FloatField(null=True)
    change_high = models.FloatField(null=True)
    significant = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("result row")
        verbose_name_plural = _("result rows")
        indexes = [
            models.Index(fields=["result_set", "scope", "measure"]),
            models.Index(fields=["result_set", "company"]),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.measure} {self.metric} = {self.value}"
