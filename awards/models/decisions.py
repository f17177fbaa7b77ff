"""The award's audit trail: every decision, who made it, when and why."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from awards.models.categories import AwardCategory
from awards.models.events import AwardEvent


class DecisionAction(models.TextChoices):
    COMPUTED = "computed", _("Finalists computed")
    CONFIRMED = "confirmed", _("Finalists and winner confirmed")
    OVERRIDDEN = "overridden", _("Winner chosen by hand")
    REVEALED = "revealed", _("Winner revealed")
    UNREVEALED = "unrevealed", _("Reveal undone")
    SCORING_LOCKED = "scoring_locked", _("Jury scoring locked")
    SCORING_UNLOCKED = "scoring_unlocked", _("Jury scoring reopened")
    STATE_CHANGED = "state_changed", _("Event state changed")


class AwardDecision(models.Model):
    event = models.ForeignKey(AwardEvent, on_delete=models.CASCADE, related_name="decisions")
    category = models.ForeignKey(
        AwardCategory, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    action = models.CharField(_("what"), max_length=20, choices=DecisionAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("who"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    reason = models.CharField(_("why"), max_length=500, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("award decision")
        verbose_name_plural = _("award decisions")

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"
