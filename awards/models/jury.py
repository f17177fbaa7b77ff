"""Jury categories: nominees, weighted criteria, members, conflicts of interest and scores.

A member scores every nominee they have no conflict with on every criterion. A nominee's result
is the mean, over the members who scored it completely, of each member's weighted mean of the
criteria (each score put on 0–100 by its scale); a conflicted member's scores never count and the
member cannot open that nominee.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from awards.models.categories import AwardCategory
from kundeservice.i18n import localized


class JuryNominee(models.Model):
    category = models.ForeignKey(AwardCategory, on_delete=models.CASCADE, related_name="nominees")
    company = models.ForeignKey(
        "surveys.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nominations",
        verbose_name=_("company"),
    )
    name = models.CharField(
        _("entrant"), max_length=200, blank=True, help_text=_("When the entrant is no company.")
    )
    justification = models.TextField(_("justification (Norwegian)"), blank=True)
    justification_en = models.TextField(_("justification (English)"), blank=True)
    document = models.FileField(_("document"), upload_to="jury/", blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["category", "position", "id"]
        verbose_name = _("nominee")
        verbose_name_plural = _("nominees")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(company__isnull=False) | ~models.Q(name=""),
                name="nominee_is_a_company_or_named",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.company.name if self.company_id and self.company else self.name

    @property
    def display_justification(self) -> str:
        return localized(self, "justification")


class JuryCriterion(models.Model):
    category = models.ForeignKey(AwardCategory, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name (Norwegian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    scale_min = models.SmallIntegerField(_("scale from"), default=1)
    scale_max = models.SmallIntegerField(_("scale to"), default=10)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["category", "position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scale_max__gt=models.F("scale_min")),
                name="criterion_scale_ordered",
            ),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="criterion_weight"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized(self, "name")


class JuryMember(models.Model):
    category = models.ForeignKey(AwardCategory, on_delete=models.CASCADE, related_name="jury")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jury_memberships"
    )

    class Meta:
        ordering = ["category", "user__username"]
        verbose_name = _("jury member")
        verbose_name_plural = _("jury members")
        constraints = [
            models.UniqueConstraint(fields=["category", "user"], name="jury_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.category})"


class ConflictOfInterest(models.Model):
    """A member who must not see or score a nominee (a customer, an employee, a relative)."""

    member = models.ForeignKey(JuryMember, on_delete=models.CASCADE, related_name="conflicts")
    nominee = models.ForeignKey(JuryNominee, on_delete=models.CASCADE, related_name="conflicts")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [models.UniqueConstraint(fields=["member", "nominee"], name="conflict_once")]

    def __str__(self) -> str:
        return f"{self.member} × {self.nominee}"


class JuryScore(models.Model):
    member = models.ForeignKey(JuryMember, on_delete=models.CASCADE, related_name="scores")
    nominee = models.ForeignKey(JuryNominee, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(JuryCriterion, on_delete=models.CASCADE, related_name="scores")
    score = models.SmallIntegerField(_("score"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("jury score")
        verbose_name_plural = _("jury scores")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "nominee", "criterion"], name="jury_score_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.nominee} {self.criterion}: {self.score}"
