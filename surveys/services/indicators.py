"""Derived indicators: defined by staff on a questionnaire (every version) or on one wave, and
computed by the next aggregation (``surveys.services.aggregation``)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kundeservice.errors import ConflictError, DomainError
from surveys import indicators as conditions
from surveys.models import Indicator, Questionnaire, Wave
from surveys.selectors import indicator_question_facts


def indicator_save(
    *,
    indicator: Indicator | None = None,
    key: str,
    name: str,
    condition: Any,
    base: str,
    wave: Wave | None = None,
    questionnaire_slug: str = "",
    name_en: str = "",
    description: str = "",
    description_en: str = "",
    position: int = 0,
) -> Indicator:
    """Create or change an indicator, for ``wave`` or for every wave answered with a version of
    the questionnaire ``questionnaire_slug``. The condition is checked against that
    questionnaire's questions (its newest version), and every problem is named at once."""
    if (wave is None) == (not questionnaire_slug):
        raise DomainError(
            _("An indicator belongs either to a questionnaire or to one wave."), code="owner"
        )
    questionnaire = (
        wave.questionnaire
        if wave is not None
        else Questionnaire.objects.filter(slug=questionnaire_slug).order_by("-version").first()
    )
    if questionnaire is None:
        raise DomainError(
            {"questionnaire_slug": [_("There is no questionnaire with this key.")]},
            code="questionnaire",
        )
    problems = conditions.validate(condition, indicator_question_facts(questionnaire=questionnaire))
    if problems:
        raise DomainError({"condition": problems}, code="condition")
    indicator = indicator or Indicator()
    indicator.key, indicator.name, indicator.name_en = key.strip(), name.strip(), name_en.strip()
    indicator.description, indicator.description_en = description.strip(), description_en.strip()
    indicator.wave, indicator.questionnaire_slug = wave, questionnaire_slug if wave is None else ""
    indicator.condition, indicator.base, indicator.position = condition, base, position
    try:
        indicator.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise DomainError(exc.message_dict, code="invalid") from None
    try:
        with transaction.atomic():
            indicator.save()
    except IntegrityError:
        raise ConflictError(
            {"key": [_("An indicator with this key already exists here.")]}, code="duplicate"
        ) from None
    return indicator


def indicator_delete(*, indicator: Indicator) -> None:
    """Stop computing an indicator; figures already published keep it."""
    indicator.delete()
