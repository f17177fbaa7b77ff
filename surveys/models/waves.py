"""Programmes and their measurement periods."""

import datetime

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models.catalog import IndustryGroup
from surveys.models.instruments import Questionnaire, localized


class StudyKind(models.TextChoices):
    PANEL = "panel", _("Panel survey")
    OBSERVATION = "observation", _("Mystery shopping")
    POLL = "poll", _("Open poll")


class Study(models.Model):
    """A programme, e.g. "KSIndeks" or "Kundeserviceprisen"."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name (Norwegian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=StudyKind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name = _("study")
        verbose_name_plural = _("studies")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localized(self, "name")


class WaveStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Collecting")
    CLOSED = "closed", _("Closed")


class Wave(models.Model):
    """One measurement period of a study, answered with one questionnaire version."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="waves")
    slug = models.SlugField(_("slug"), max_length=80)
    name = models.CharField(_("name (Norwegian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        related_name="waves",
        verbose_name=_("questionnaire"),
    )
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_waves",
        verbose_name=_("compared with"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=WaveStatus.choices, default=WaveStatus.DRAFT
    )
    minimum_n = models.PositiveIntegerField(
        _("minimum n"), default=50, help_text=_("Fewer respondents than this: no published score.")
    )
    invitation_valid_days = models.PositiveIntegerField(
        _("invitation valid (days)"), default=21, validators=[MinValueValidator(1)]
    )
    reminder_after_days = models.PositiveIntegerField(
        _("remind after (days)"), default=4, validators=[MinValueValidator(1)]
    )
    max_reminders = models.PositiveSmallIntegerField(_("reminders at most"), default=2)
    is_public = models.BooleanField(_("results public"), default=False)
    # Open polls (study kind "poll"): answered anonymously at /p/<open_slug>/.
    open_slug = models.SlugField(
        _("open link"),
        max_length=80,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Anyone with /p/<this>/ may answer once per browser."),
    )
    show_results = models.BooleanField(_("show the result after answering"), default=False)
    # Weighting of panel waves: target shares per dimension (gender, age_group, region), raked
    # to, then trimmed to [min, max] × the mean weight.
    weight_margins = models.JSONField(_("weighting targets"), default=dict, blank=True)
    weight_trim_min = models.FloatField(_("smallest weight (× mean)"), default=0.3)
    weight_trim_max = models.FloatField(_("largest weight (× mean)"), default=3.0)
    industry_groups = models.ManyToManyField(
        IndustryGroup,
        blank=True,
        related_name="waves",
        verbose_name=_("industry groups"),
        help_text=_("Groups of industries whose pooled results this wave publishes."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        constraints = [
            models.UniqueConstraint(fields=["study", "slug"], name="wave_slug_unique"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="wave_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localized(self, "name")

    @property
    def reference_date(self) -> datetime.date:
        """The day ages and other time-dependent panelist traits are counted on, for sampling
        and weighting alike: the wave's first day."""
        return self.starts_on
