"""The mystery-shopping programme: observers, the distribution key, assignments, QA, calibration.

An observation wave has one ``ObservationSetup`` (which companies take part, how many contacts
each gets and how they split over channels and weeks). The planner turns it into ``Assignment``
rows, one per contact an observer must make. Each contact is tried at most twice
(``ContactAttempt``); the observer's report is a ``Response`` (source *observer*) linked to the
assignment, and every status change is logged as a ``ReviewEvent``.
"""

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models.catalog import Channel, Company
from surveys.models.instruments import Questionnaire
from surveys.models.waves import Wave

#: The distribution key used when staff have not set one (shares of a company's contacts).
DEFAULT_CHANNEL_SHARES = {
    Channel.PHONE.value: 0.4,
    Channel.CHAT.value: 0.2,
    Channel.EMAIL.value: 0.2,
    Channel.SOCIAL.value: 0.2,
}


def default_channel_shares() -> dict[str, float]:
    return dict(DEFAULT_CHANNEL_SHARES)


class ObservationSetup(models.Model):
    """The distribution key and planning rules of one observation wave."""

    wave = models.OneToOneField(
        Wave, on_delete=models.CASCADE, primary_key=True, related_name="observation_setup"
    )
    companies = models.ManyToManyField(
        Company, related_name="observation_setups", verbose_name=_("companies taking part")
    )
    contacts_per_company = models.PositiveSmallIntegerField(
        _("contacts per company"), default=25, validators=[MinValueValidator(1)]
    )
    channel_shares = models.JSONField(
        _("distribution key"),
        default=default_channel_shares,
        help_text=_('Share of each company\'s contacts per channel, e.g. {"phone": 0.4}.'),
    )
    weeks = models.PositiveSmallIntegerField(
        _("period (weeks)"), default=16, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    window_start = models.TimeField(_("contact window from"), default=time(9, 0))
    window_end = models.TimeField(_("contact window to"), default=time(15, 0))
    wait_time_share = models.DecimalField(
        _("share of the score from waiting time"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.050"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    max_per_observer_company = models.PositiveSmallIntegerField(
        _("contacts per observer and company at most"), default=2
    )
    seed = models.PositiveIntegerField(_("planning seed"), default=1)
    scenario = models.TextField(
        _("scenario brief"),
        blank=True,
        help_text=_("What observers ask about; copied into each planned assignment."),
    )

    class Meta:
        verbose_name = _("observation setup")
        verbose_name_plural = _("observation setups")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="observation_window_ordered",
            )
        ]

    def __str__(self) -> str:
        return str(self.wave)


class Observer(models.Model):
    """A trained mystery shopper: what they can do, how much, and whom they must never test."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="observer"
    )
    trained = models.BooleanField(_("trained"), default=False)
    active = models.BooleanField(_("active"), default=True)
    weekly_capacity = models.PositiveSmallIntegerField(
        _("contacts per week at most"), default=5, validators=[MaxValueValidator(100)]
    )
    channels = models.JSONField(_("channels"), default=list, blank=True)
    conflicts = models.ManyToManyField(
        Company,
        blank=True,
        related_name="conflicted_observers",
        verbose_name=_("must never test (customer of)"),
    )

    class Meta:
        ordering = ["user__last_name", "user__first_name", "user__username"]
        verbose_name = _("observer")
        verbose_name_plural = _("observers")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class AssignmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    APPROVED = "approved", _("Approved")


#: Statuses the planner must keep when it plans a wave again.
STARTED_STATUSES = (
    AssignmentStatus.IN_PROGRESS,
    AssignmentStatus.SUBMITTED,
    AssignmentStatus.RETURNED,
    AssignmentStatus.APPROVED,
)


class ContactOutcome(models.TextChoices):
    PENDING = "", _("Not yet contacted")
    ANSWERED = "answered", _("Answered")
    NOT_ANSWERED = "not_answered", _("Not answered")


class Assignment(models.Model):
    """One contact an observer must make: a company, in a channel, in a week of the wave."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="assignments")
    observer = models.ForeignKey(
        Observer, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("observer")
    )
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("company")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    week = models.PositiveSmallIntegerField(_("week"), validators=[MinValueValidator(1)])
    scenario = models.TextField(_("scenario"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.PLANNED,
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=ContactOutcome.choices, blank=True, default=""
    )
    return_reason = models.TextField(_("returned because"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["wave", "week", "company__name", "channel"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            # DOMAIN.md: an observer never tests the same company twice in one channel a season.
            models.UniqueConstraint(
                fields=["wave", "observer", "company", "channel"],
                name="assignment_once_per_observer_company_channel",
            ),
            models.CheckConstraint(condition=models.Q(week__gte=1), name="assignment_week_1"),
        ]
        indexes = [
            models.Index(fields=["observer", "wave", "week"]),
            models.Index(fields=["wave", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.get_channel_display()} · {self.week}"


class AttemptResult(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    NO_ANSWER = "no_answer", _("No answer within the waiting limit")
    AUTO_REPLY = "auto_reply", _("Only an automatic reply")


class ContactAttempt(models.Model):
    """One try at reaching the company; two failed tries close the contact as not answered."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(
        _("attempt"), validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    started_at = models.DateTimeField(_("contacted at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=20, choices=AttemptResult.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assignment", "number"]
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "number"], name="attempt_number_unique"),
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True)
                | models.Q(answered_at__gte=models.F("started_at")),
                name="attempt_answered_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} #{self.number}"

    @property
    def wait_minutes(self) -> float | None:
        if self.answered_at is None:
            return None
        return (self.answered_at - self.started_at).total_seconds() / 60


class ReviewEvent(models.Model):
    """A status change of an assignment: who, when, why. Never edited."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=AssignmentStatus.choices)
    to_status = models.CharField(max_length=20, choices=AssignmentStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assignment", "at", "id"]
        verbose_name = _("review event")
        verbose_name_plural = _("review events")

    def __str__(self) -> str:
        return f"{self.assignment}: {self.from_status} → {self.to_status}"


class CalibrationExercise(models.Model):
    """Several observers score the same dialogue, to measure how well they agree."""

    title = models.CharField(_("title"), max_length=200)
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        related_name="calibrations",
        verbose_name=_("evaluation form"),
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("company")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    transcript = models.TextField(_("transcript"), blank=True)
    recording = models.FileField(_("recording"), upload_to="calibration/", blank=True)
    observers = models.ManyToManyField(
        Observer, related_name="calibrations", verbose_name=_("observers")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("calibration exercise")
        verbose_name_plural = _("calibration exercises")

    def __str__(self) -> str:
        return self.title


class CalibrationRating(models.Model):
    """One observer's scoring of a calibration dialogue: answers keyed by question key."""

    exercise = models.ForeignKey(
        CalibrationExercise, on_delete=models.CASCADE, related_name="ratings"
    )
    observer = models.ForeignKey(Observer, on_delete=models.CASCADE, related_name="+")
    answers = models.JSONField(default=dict)
    score = models.FloatField(null=True, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["exercise", "observer"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "observer"], name="calibration_once_per_observer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.exercise} · {self.observer}"
