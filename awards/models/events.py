"""The award night: one gala where prizes are handed out, category by category."""

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundeservice.i18n import localized


class EventState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINALISTS_PUBLIC = "finalists_public", _("Finalists public")
    LIVE = "live", _("Live")
    CLOSED = "closed", _("Closed")


class AwardEvent(models.Model):
    """An award night. The public sees it once it leaves draft; its finalists from
    ``finalists_public_at``; each winner once its category is revealed on stage."""

    slug = models.SlugField(_("address"), max_length=80, unique=True)
    name = models.CharField(_("name (Norwegian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    venue = models.CharField(_("venue"), max_length=200)
    address = models.CharField(_("address of the venue"), max_length=300, blank=True)
    description = models.TextField(_("description (Norwegian, Markdown)"), blank=True)
    description_en = models.TextField(_("description (English, Markdown)"), blank=True)
    finalists_public_at = models.DateTimeField(
        _("finalists public from"),
        help_text=_("Until then only award managers see who the finalists are."),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=EventState.choices, default=EventState.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("award night")
        verbose_name_plural = _("award nights")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localized(self, "name")

    @property
    def display_description(self) -> str:
        return localized(self, "description")

    @property
    def is_public(self) -> bool:
        return self.state != EventState.DRAFT

    def finalists_public(self, now: datetime | None = None) -> bool:
        """Are the finalists public at ``now``? (Never while the event is a draft.)"""
        return self.is_public and (now or timezone.now()) >= self.finalists_public_at
