"""Publications: temperature updates (episodes of a wave's results so far), their e-mail
subscribers and the one delivery of each episode to each subscriber.

An episode's figures are frozen into ``figures`` when it is published (see
``surveys.episode_figures`` for why they are stored with the episode rather than by pinning a
``ResultSet``); the public sees an episode only once it is published, and a withdrawn one only
as a notice saying why.
"""

from django.conf import settings
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kundeservice.i18n import localized
from surveys.models.results import ResultSet
from surveys.models.waves import Wave

#: Links editors give (webinar, recording) are web pages: no other scheme reaches a reader.
web_url = URLValidator(schemes=["https", "http"])


class EpisodeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: Statuses the public may see (a withdrawn episode as a notice only).
PUBLIC_STATUSES = (EpisodeStatus.PUBLISHED, EpisodeStatus.WITHDRAWN)


class TemperatureUpdate(models.Model):
    """One episode of a wave's temperature updates: results so far through ``cutoff``, with a
    narrative, figure blocks and the webinar's links."""

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="episodes")
    number = models.PositiveSmallIntegerField(_("episode"), validators=[MinValueValidator(1)])
    title = models.CharField(_("title (Norwegian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    lead = models.CharField(_("lead (Norwegian)"), max_length=600)
    lead_en = models.CharField(_("lead (English)"), max_length=600, blank=True)
    body = models.TextField(_("text (Norwegian, Markdown)"))
    body_en = models.TextField(_("text (English, Markdown)"), blank=True)
    cutoff = models.DateField(_("results through"))
    webinar_url = models.URLField(
        _("webinar registration"), max_length=500, blank=True, validators=[web_url]
    )
    recording_url = models.URLField(
        _("recording"), max_length=500, blank=True, validators=[web_url]
    )
    cover = models.FileField(_("cover image"), upload_to="episodes/covers/", blank=True)
    cover_alt = models.CharField(_("cover image description"), max_length=300, blank=True)
    # [{"number": 1, "kind": "channels", "measure": ""}, …]: what each figure block shows.
    blocks = models.JSONField(_("figure blocks"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EpisodeStatus.choices, default=EpisodeStatus.DRAFT
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Why beat has not published a due episode yet (waiting for its results), for the editor.
    publish_note = models.CharField(max_length=300, blank=True)
    figures = models.JSONField(_("frozen figures"), default=dict, blank=True)
    result_set = models.ForeignKey(
        ResultSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("why it was withdrawn"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["wave", "number"]
        verbose_name = _("temperature update")
        verbose_name_plural = _("temperature updates")
        constraints = [
            models.UniqueConstraint(fields=["wave", "number"], name="episode_number_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="scheduled") | models.Q(publish_at__isnull=False),
                name="episode_scheduled_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["published", "withdrawn"])
                | models.Q(published_at__isnull=False),
                name="episode_published_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "publish_at"])]

    def __str__(self) -> str:
        return f"{self.wave} ep. {self.number}: {self.title}"

    @property
    def display_title(self) -> str:
        return localized(self, "title")

    @property
    def display_lead(self) -> str:
        return localized(self, "lead")

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Subscriber(models.Model):
    """Someone who asked for temperature updates by e-mail (double opt-in: mailed only once
    they confirmed from the address itself)."""

    email = models.EmailField(_("e-mail"), unique=True)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SubscriberStatus.choices,
        default=SubscriberStatus.PENDING,
    )
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return self.email


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Not sent: unsubscribed")


class EpisodeDelivery(models.Model):
    """One episode to one subscriber: created when the episode is published, claimed
    (``sending``) in a committed update before its mail goes out, so no retry mails twice."""

    episode = models.ForeignKey(
        TemperatureUpdate, on_delete=models.CASCADE, related_name="deliveries"
    )
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("episode delivery")
        verbose_name_plural = _("episode deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "subscriber"], name="one_delivery_per_subscriber"
            )
        ]
        indexes = [models.Index(fields=["episode", "status"])]

    def __str__(self) -> str:
        return f"{self.episode_id} → {self.subscriber_id}: {self.status}"
