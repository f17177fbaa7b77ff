"""Creating a wave and choosing the questionnaire version it is answered with."""

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError
from surveys.models import (
    Questionnaire,
    QuestionnaireKind,
    Response,
    Study,
    StudyKind,
    Wave,
    WaveStatus,
)
from surveys.services.polls import wave_open_link_check

#: DOMAIN.md: 50 respondents for the index; 10 contacts for an observed company.
DEFAULT_MINIMUM_N = {StudyKind.OBSERVATION: 10}
INDEX_MINIMUM_N = 50


def wave_save(
    *,
    wave: Wave | None = None,
    study: Study,
    slug: str,
    name: str,
    name_en: str = "",
    questionnaire: Questionnaire,
    starts_on: datetime.date,
    ends_on: datetime.date,
    status: str = WaveStatus.DRAFT,
    previous: Wave | None = None,
    minimum_n: int | None = None,
) -> Wave:
    """Create a wave (``wave`` None) or change one, attaching ``questionnaire``. A wave that has
    responses keeps its questionnaire version: its answers were given to that one. Raises a
    ``DomainError`` keyed by field for anything that cannot be saved; nothing changes then."""
    errors: dict[str, str] = {}
    if status not in WaveStatus.values:
        errors["status"] = _("Unknown status.")
    if ends_on < starts_on:
        errors["ends_on"] = _("The wave cannot end before it starts.")
    evaluation = questionnaire.kind == QuestionnaireKind.EVALUATION
    if (study.kind == StudyKind.OBSERVATION) != evaluation:
        errors["questionnaire"] = (
            _("A mystery-shopping wave is answered with an observer evaluation form.")
            if study.kind == StudyKind.OBSERVATION
            else _("An observer evaluation form is for mystery-shopping waves only.")
        )
    if wave is not None and wave.study_id != study.pk:
        errors["study"] = _("A wave stays in the study it was made in.")
    if wave is not None and _keeps_its_version(wave, questionnaire):
        errors["questionnaire"] = _kept_version_message(wave)
    if previous is not None and (
        previous.study_id != study.pk
        or (wave is not None and previous.pk == wave.pk)
        or previous.starts_on >= starts_on
    ):
        errors["previous"] = _("Compare with an earlier wave of the same study.")
    same_address = Wave.objects.filter(study=study, slug=slug)
    if wave is not None:
        same_address = same_address.exclude(pk=wave.pk)
    if same_address.exists():
        errors["slug"] = _("The study already has a wave with this address.")
    if errors:
        raise DomainError(errors, code="invalid_wave")
    wave_open_link_check(study=study, open_slug=getattr(wave, "open_slug", None))
    fields: dict[str, Any] = {
        "study": study,
        "slug": slug,
        "name": name,
        "name_en": name_en,
        "questionnaire": questionnaire,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "status": status,
        "previous": previous,
    }
    if minimum_n is not None:
        fields["minimum_n"] = minimum_n
    elif wave is None:
        fields["minimum_n"] = DEFAULT_MINIMUM_N.get(StudyKind(study.kind), INDEX_MINIMUM_N)
    target = wave or Wave()
    for name_, value in fields.items():
        setattr(target, name_, value)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:  # a wave with the same address saved at the same moment
        raise DomainError(
            {"slug": _("The study already has a wave with this address.")}, code="invalid_wave"
        ) from None
    return target


def wave_questionnaire_check(*, wave: Wave | None, questionnaire: Questionnaire | None) -> None:
    """Refuse another questionnaire version for a wave that has responses (the API asks this
    too): its answers were given to the version it has."""
    if wave is not None and questionnaire is not None and _keeps_its_version(wave, questionnaire):
        raise DomainError({"questionnaire": _kept_version_message(wave)}, code="version_in_use")


def _keeps_its_version(wave: Wave, questionnaire: Questionnaire) -> bool:
    return wave.questionnaire_id != questionnaire.pk and Response.objects.filter(wave=wave).exists()


def _kept_version_message(wave: Wave) -> str:
    return _(
        "The wave has responses to %(version)s: they were given to that version, so it "
        "stays. Make a new wave for the new version."
    ) % {"version": wave.questionnaire}
