"""Check-ins at the door: one per ticket, and one per client nonce.

Both are unique in the database, so two devices scanning the same ticket at once end with one
check-in (the other is told "already used"), and a device replaying its offline queue sends
nonces already seen, which answer as they did the first time.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awards.models.tickets import Ticket


class CheckIn(models.Model):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="checkin")
    nonce = models.CharField(max_length=64, unique=True)
    device = models.CharField(_("device"), max_length=80, blank=True)
    at = models.DateTimeField(_("checked in"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self) -> str:
        return f"{self.ticket} {self.at:%H:%M:%S}"
