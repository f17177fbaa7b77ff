"""The catalog: industries, companies and the channels customer service is reached through."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.no import orgnr


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    CHATBOT = "chatbot", _("Chatbot")
    EMAIL = "email", _("E-mail")
    CONTACT_FORM = "contact_form", _("Contact form")
    SOCIAL = "social", _("Messenger / social media")
    SELF_SERVICE = "self_service", _("Self-service")


def validate_org_number(value: str) -> None:
    """A Norwegian organisation number: nine digits whose last is the mod-11 check digit."""
    # ASCII only: services fold full-width digits first (kundeservice.numbers.ascii_digits), so
    # one number has one spelling in the database.
    if not isinstance(value, str) or len(value) != 9 or not (value.isascii() and value.isdigit()):
        raise ValidationError(
            _("An organisation number has exactly nine digits."), code="org_number_format"
        )
    try:
        orgnr.validate(value)
    except StdnumValidationError:
        raise ValidationError(
            _("%(value)s is not a valid organisation number (the check digit is wrong)."),
            code="org_number_checksum",
            params={"value": value},
        ) from None


def validate_channels(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Channels must be a list of channel codes."), code="channels")
    unknown = [v for v in value if v not in Channel.values]
    if unknown:
        raise ValidationError(
            _("Unknown channel: %(channels)s."),
            code="channel_unknown",
            params={"channels": ", ".join(unknown)},
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("A channel is listed twice."), code="channel_duplicate")


class Industry(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name (Norwegian)"), max_length=120, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "nb").startswith("en") else self.name


class IndustryGroup(models.Model):
    """Industries reported together ("tele" = telefoni + bredbånd + kabel-TV): a scope of its own
    in the results of the waves that use it, pooled from its members' answers."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name (Norwegian)"), max_length=120, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    industries = models.ManyToManyField(
        Industry, related_name="groups", verbose_name=_("industries")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("industry group")
        verbose_name_plural = _("industry groups")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if (get_language() or "nb").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    org_number = models.CharField(
        _("organisation number"),
        max_length=9,
        unique=True,
        validators=[validate_org_number],
        error_messages={"unique": _("A company with this organisation number already exists.")},
    )
    industry = models.ForeignKey(
        Industry, on_delete=models.PROTECT, related_name="companies", verbose_name=_("industry")
    )
    channels = models.JSONField(
        _("channels offered"), default=list, blank=True, validators=[validate_channels]
    )
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [models.Index(fields=["industry", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def channel_labels(self) -> list[str]:
        return [str(Channel(c).label) for c in self.channels if c in Channel.values]

    def offers(self, channel: str) -> bool:
        return channel in self.channels


class FormerCompanySlug(models.Model):
    """A slug a company's pages had before (``blge-mobil`` before it became ``bolge-mobil``):
    old links and bookmarks are redirected to the current one."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="former_slugs", verbose_name=_("company")
    )

    class Meta:
        verbose_name = _("former company slug")
        verbose_name_plural = _("former company slugs")

    def __str__(self) -> str:
        return self.slug
