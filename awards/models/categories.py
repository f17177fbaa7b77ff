"""Award categories and their placements.

A *rule* category takes its finalists from a published wave's current results: a metric of a
measure, within a scope (companies within an industry, within all industries, or within a
channel), with a minimum n and a declared tie-break. A *jury* category is decided by the weighted
scores of a jury (``awards.models.jury``).

Placements are what the public sees: written when the award manager confirms a category, a
snapshot of the figures confirmed (so a later re-aggregation changes nothing public until the
manager confirms again). The winner is public only once the category is revealed.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from awards.models.events import AwardEvent
from kundeservice.i18n import localized


class CategoryKind(models.TextChoices):
    RULE = "rule", _("From published results")
    JURY = "jury", _("Decided by a jury")


class CategoryScope(models.TextChoices):
    INDUSTRY = "industry", _("Companies within an industry")
    ALL = "all", _("Companies within all industries")
    CHANNEL = "channel", _("Companies within a channel")


class CategoryMetric(models.TextChoices):
    SCORE = "score", _("Total score")
    AREA = "area", _("A performance area")
    QUESTION_MEAN = "question_mean", _("A question's mean")
    QUESTION_SHARE = "question_share", _("A question's share choosing an answer")
    NPS = "nps", _("Net Promoter Score")
    INDICATOR = "indicator", _("A derived indicator")


class TieBreak(models.TextChoices):
    HIGHER_N = "higher_n", _("Higher n")
    OTHER_METRIC = "other_metric", _("Another measure")
    JURY = "jury", _("The jury decides")


class AwardCategory(models.Model):
    event = models.ForeignKey(
        AwardEvent, on_delete=models.CASCADE, related_name="categories", verbose_name=_("event")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.CharField(_("name (Norwegian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description (Norwegian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    kind = models.CharField(
        _("decided by"), max_length=10, choices=CategoryKind.choices, default=CategoryKind.RULE
    )
    # A rule category: which figures decide it.
    wave = models.ForeignKey(
        "surveys.Wave",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="award_categories",
        verbose_name=_("wave"),
    )
    metric = models.CharField(
        _("metric"), max_length=20, choices=CategoryMetric.choices, blank=True
    )
    measure = models.CharField(
        _("measure"),
        max_length=140,
        blank=True,
        help_text=_("score, area:<key>, q:<key>, q:<key>=<option> or ind:<key>"),
    )
    scope = models.CharField(
        _("among"), max_length=10, choices=CategoryScope.choices, default=CategoryScope.INDUSTRY
    )
    industry = models.ForeignKey(
        "surveys.Industry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="award_categories",
        verbose_name=_("industry"),
    )
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    minimum_n = models.PositiveIntegerField(
        _("minimum n"), null=True, blank=True, help_text=_("Empty: the wave's minimum n.")
    )
    finalist_count = models.PositiveSmallIntegerField(_("finalists"), default=3)
    tie_break = models.CharField(
        _("tie-break"), max_length=20, choices=TieBreak.choices, default=TieBreak.HIGHER_N
    )
    tie_break_measure = models.CharField(
        _("tie-break measure"),
        max_length=140,
        blank=True,
        help_text=_("For a tie broken by another measure: its name, e.g. area:agent."),
    )
    # What the manager confirmed, and when the winner went public.
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_result_set = models.ForeignKey(
        "surveys.ResultSet", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.CharField(_("why the winner differs"), max_length=500, blank=True)
    revealed_at = models.DateTimeField(_("revealed"), null=True, blank=True)
    scoring_locked = models.BooleanField(_("jury scoring locked"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "position", "id"]
        verbose_name = _("award category")
        verbose_name_plural = _("award categories")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="jury")
                | (models.Q(wave__isnull=False) & ~models.Q(measure="")),
                name="rule_category_has_wave_and_measure",
            ),
            models.CheckConstraint(
                condition=models.Q(finalist_count__gte=1), name="category_has_finalists"
            ),
            models.CheckConstraint(
                condition=models.Q(revealed_at__isnull=True) | models.Q(confirmed_at__isnull=False),
                name="revealed_only_when_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localized(self, "name")

    @property
    def display_description(self) -> str:
        return localized(self, "description")

    @property
    def is_revealed(self) -> bool:
        return self.revealed_at is not None

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class Placement(models.Model):
    """A confirmed finalist, with the figures it was confirmed on; one of them the winner."""

    category = models.ForeignKey(AwardCategory, on_delete=models.CASCADE, related_name="placements")
    position = models.PositiveSmallIntegerField(_("place"))
    company = models.ForeignKey(
        "surveys.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements",
    )
    nominee = models.ForeignKey(
        "awards.JuryNominee",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements",
    )
    value = models.FloatField(null=True)
    n = models.PositiveIntegerField(null=True)
    ci_low = models.FloatField(null=True)
    ci_high = models.FloatField(null=True)
    statistically_tied = models.BooleanField(default=False)
    is_winner = models.BooleanField(default=False)

    class Meta:
        ordering = ["category", "position"]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [
            models.UniqueConstraint(
                fields=["category"], condition=models.Q(is_winner=True), name="one_winner"
            ),
            models.UniqueConstraint(fields=["category", "position"], name="placement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category} #{self.position}"

    @property
    def entrant_name(self) -> str:
        if self.company is not None:
            return self.company.name
        return self.nominee.display_name if self.nominee else ""
