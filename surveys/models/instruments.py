"""Instruments: a questionnaire of sections (performance areas) and questions with options.

A questionnaire is versioned: once any response uses a version it is locked, and editing makes a
new version. Texts come in bokmål and English side by side.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kundeservice.i18n import localized


class QuestionType(models.TextChoices):
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    RATING = "rating", _("Rating scale")
    NPS = "nps", _("Net Promoter Score (0–10)")
    YES_NO = "yes_no", _("Yes / no")
    NUMBER = "number", _("Number")
    DURATION = "duration", _("Duration (minutes)")
    DATETIME = "datetime", _("Date and time")
    DATE = "date", _("Date")
    TIME = "time", _("Time")
    NOTE = "note", _("Note (text shown between questions)")
    TEXT = "text", _("Free text")
    COMPANY = "company", _("Company picker")
    CHANNEL = "channel", _("Channel picker")


class QuestionRole(models.TextChoices):
    """What a question measures, so aggregation knows how to use it."""

    NONE = "", _("None")
    SCREENING = "screening", _("Screening (contacted customer service?)")
    COMPANY = "company", _("Company contacted")
    CHANNEL = "channel", _("Channel of last contact")
    RESOLVED = "resolved", _("Issue resolved")
    CONTACTED_BEFORE = "contacted_before", _("Contacted before about the same")
    MUST_CONTACT_AGAIN = "must_contact_again", _("Must contact again")
    SATISFACTION = "satisfaction", _("Satisfaction")
    NPS = "nps", _("Net Promoter Score")
    PREFERRED_CHANNEL = "preferred_channel", _("Preferred channel")
    WAIT_TIME = "wait_time", _("Wait time")
    CX = "cx", _("Customer-experience item (reported, never scored)")


class QuestionnaireKind(models.TextChoices):
    SURVEY = "survey", _("Customer survey")
    EVALUATION = "evaluation", _("Observer evaluation form")
    POLL = "poll", _("Quick poll")


#: Rating scales the instrument supports (DOMAIN.md): 1–5, 1–6, 1–7, 1–10.
RATING_SCALES = {(1, 5), (1, 6), (1, 7), (1, 10)}


class Questionnaire(models.Model):
    slug = models.SlugField(_("key"), max_length=80)
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=QuestionnaireKind.choices,
        default=QuestionnaireKind.SURVEY,
    )
    title = models.CharField(_("title (Norwegian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    intro = models.TextField(_("introduction (Norwegian)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    translations = models.JSONField(
        _("other texts"),
        default=dict,
        blank=True,
        help_text=_(
            "Texts kept from an XLSForm and exported back: other languages, messages, guidance "
            "({column: {language: text}})."
        ),
    )
    previous_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_versions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug", "-version"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="questionnaire_slug_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def display_title(self) -> str:
        return localized(self, "title")


class Section(models.Model):
    """A page of the questionnaire; in an evaluation form, a weighted performance area."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="sections"
    )
    key = models.SlugField(_("key"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title (Norwegian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description = models.TextField(_("description (Norwegian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=3,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
    )
    relevant = models.JSONField(_("shown when"), null=True, blank=True)
    translations = models.JSONField(
        _("other texts"),
        default=dict,
        blank=True,
        help_text=_(
            "Texts kept from an XLSForm and exported back: other languages, messages, guidance "
            "({column: {language: text}})."
        ),
    )

    class Meta:
        ordering = ["questionnaire", "position", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="section_key_unique")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return localized(self, "title")

    @property
    def display_description(self) -> str:
        return localized(self, "description")


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(_("variable name"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)
    type = models.CharField(_("type"), max_length=20, choices=QuestionType.choices)
    role = models.CharField(
        _("role"), max_length=30, choices=QuestionRole.choices, blank=True, default=""
    )
    text = models.TextField(_("question (Norwegian)"))
    text_en = models.TextField(_("question (English)"), blank=True)
    help_text = models.TextField(_("help (Norwegian)"), blank=True)
    help_text_en = models.TextField(_("help (English)"), blank=True)
    required = models.BooleanField(_("required"), default=True)
    allow_na = models.BooleanField(_("N/A allowed"), default=False)
    scale_min = models.SmallIntegerField(_("scale from"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("scale to"), null=True, blank=True)
    scale_min_label = models.CharField(
        _("label at scale start (Norwegian)"), max_length=80, blank=True
    )
    scale_min_label_en = models.CharField(
        _("label at scale start (English)"), max_length=80, blank=True
    )
    scale_max_label = models.CharField(
        _("label at scale end (Norwegian)"), max_length=80, blank=True
    )
    scale_max_label_en = models.CharField(
        _("label at scale end (English)"), max_length=80, blank=True
    )
    scored = models.BooleanField(_("counts towards the score"), default=False)
    weight = models.DecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=3,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
    )
    relevant = models.JSONField(_("shown when"), null=True, blank=True)
    constraint = models.JSONField(
        _("valid when"),
        null=True,
        blank=True,
        help_text=_("A condition the answer must meet, in the grammar of “shown when”."),
    )
    calculation = models.JSONField(
        _("calculated as"),
        null=True,
        blank=True,
        help_text=_(
            "An XLSForm calculation (surveys/expressions.py): the question is never shown and "
            "its value is computed from the answers, for conditions and labels."
        ),
    )
    choice_filter = models.JSONField(
        _("options shown when"),
        null=True,
        blank=True,
        help_text=_(
            "An XLSForm choice_filter (surveys/expressions.py): only the options it holds for "
            "are shown and accepted."
        ),
    )
    translations = models.JSONField(
        _("other texts"),
        default=dict,
        blank=True,
        help_text=_(
            "Texts kept from an XLSForm and exported back: other languages, messages, guidance "
            "({column: {language: text}})."
        ),
    )

    class Meta:
        ordering = ["questionnaire", "section__position", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="question_key_unique"),
            models.CheckConstraint(
                condition=models.Q(scale_min__isnull=True)
                | models.Q(scale_max__gt=models.F("scale_min")),
                name="question_scale_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def display_text(self) -> str:
        return localized(self, "text")

    @property
    def display_help(self) -> str:
        return localized(self, "help_text")

    @property
    def has_options(self) -> bool:
        return self.type in {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE}


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    value = models.CharField(_("code"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)
    label = models.CharField(_("label (Norwegian)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300, blank=True)
    points = models.DecimalField(
        _("points"),
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Points for a scored question; observers never see them."),
    )
    translations = models.JSONField(
        _("other texts"),
        default=dict,
        blank=True,
        help_text=_(
            "Texts kept from an XLSForm and exported back: other languages, messages, guidance "
            "({column: {language: text}})."
        ),
    )
    columns = models.JSONField(
        _("choice columns"),
        default=dict,
        blank=True,
        help_text=_("Other columns of the XLSForm choices sheet that a choice_filter reads."),
    )

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name = _("option")
        verbose_name_plural = _("options")
        constraints = [
            models.UniqueConstraint(fields=["question", "value"], name="option_value_unique")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def display_label(self) -> str:
        return localized(self, "label")
