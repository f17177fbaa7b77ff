"""Derived indicators: a share computed from conditions on answers.

"No to both 'felt valued' and 'would buy'", loyalty as top-box (6 on a 1–6 scale), first-contact
resolution: a condition on one or more questions (``surveys.indicators`` holds its grammar),
counted as a share of its base. An indicator belongs to a questionnaire (all its versions, by its
key) or to one wave; the aggregation publishes it as ``ind:<key>`` in every scope.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models.instruments import localized
from surveys.models.waves import Wave


class IndicatorBase(models.TextChoices):
    """Who counts in the denominator."""

    COUNTED = "counted", _("All counted responses")
    ANSWERED = "answered", _("Those who answered every question involved")


class Indicator(models.Model):
    key = models.SlugField(
        _("key"), max_length=60, help_text=_("Published as ind:<key>; stable across waves.")
    )
    name = models.CharField(_("name (Norwegian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description (Norwegian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    questionnaire_slug = models.SlugField(
        _("questionnaire"),
        max_length=80,
        blank=True,
        help_text=_("Every wave answered with any version of this questionnaire."),
    )
    wave = models.ForeignKey(
        Wave,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="indicators",
        verbose_name=_("wave"),
    )
    condition = models.JSONField(_("condition"))
    base = models.CharField(
        _("base"), max_length=20, choices=IndicatorBase.choices, default=IndicatorBase.ANSWERED
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("derived indicator")
        verbose_name_plural = _("derived indicators")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(wave__isnull=True) & ~models.Q(questionnaire_slug=""))
                | (models.Q(wave__isnull=False) & models.Q(questionnaire_slug="")),
                name="indicator_for_a_questionnaire_or_a_wave",
            ),
            models.UniqueConstraint(
                fields=["questionnaire_slug", "key"],
                condition=models.Q(wave__isnull=True),
                name="indicator_key_per_questionnaire",
            ),
            models.UniqueConstraint(
                fields=["wave", "key"],
                condition=models.Q(wave__isnull=False),
                name="indicator_key_per_wave",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def measure(self) -> str:
        return f"ind:{self.key}"

    @property
    def display_name(self) -> str:
        return localized(self, "name")

    @property
    def display_description(self) -> str:
        return localized(self, "description")
