"""Panelists and their single-use invitations. Personal data lives here, apart from answers."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models.waves import Wave


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / not stated")


class Region(models.TextChoices):
    """Norway's counties (fylker) from 2024."""

    OSLO = "oslo", "Oslo"
    ROGALAND = "rogaland", "Rogaland"
    MORE_OG_ROMSDAL = "more_og_romsdal", "Møre og Romsdal"
    NORDLAND = "nordland", "Nordland"
    OSTFOLD = "ostfold", "Østfold"
    AKERSHUS = "akershus", "Akershus"
    BUSKERUD = "buskerud", "Buskerud"
    INNLANDET = "innlandet", "Innlandet"
    VESTFOLD = "vestfold", "Vestfold"
    TELEMARK = "telemark", "Telemark"
    AGDER = "agder", "Agder"
    VESTLAND = "vestland", "Vestland"
    TRONDELAG = "trondelag", "Trøndelag"
    TROMS = "troms", "Troms"
    FINNMARK = "finnmark", "Finnmark"


class Panelist(models.Model):
    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    region = models.CharField(_("county"), max_length=30, choices=Region.choices, blank=True)
    language = models.CharField(_("language"), max_length=5, default="nb")
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("panelist")
        verbose_name_plural = _("panelists")

    def __str__(self) -> str:
        return self.email or f"#{self.pk}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Not sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    STARTED = "started", _("Started")
    SCREENED_OUT = "screened_out", _("Screened out")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Could not be delivered")


class Invitation(models.Model):
    """One panelist's single-use link to one wave. Only a hash of the token is stored."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    panelist = models.ForeignKey(Panelist, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    stratum = models.CharField(_("stratum"), max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    send_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["wave", "panelist"], name="invitation_once_per_wave")
        ]
        indexes = [models.Index(fields=["wave", "status"])]

    def __str__(self) -> str:
        return f"{self.wave} → {self.panelist}"

    @property
    def is_finished(self) -> bool:
        return self.status in {InvitationStatus.COMPLETED, InvitationStatus.SCREENED_OUT}
