"""Questionnaires in and out as XLSForm workbooks (the format of KoboToolbox and ODK).

The conversion itself is in ``surveys/xlsform.py``; this module reads and writes the database.
"""

import re
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import Prefetch

from kundeservice.errors import DomainError, ImportRejected
from surveys.models import Option, Question, Questionnaire
from surveys.services.questionnaires import question_spec, questionnaire_create, spec_problems
from surveys.xlsform import (
    SETTINGS,
    SURVEY,
    ParsedForm,
    SheetRowError,
    read_xlsform,
    reject_if_errors,
    write_xlsform,
)


@dataclass(frozen=True)
class XLSFormImport:
    """A questionnaire imported from an XLSForm, and what it kept without showing (warnings, as
    the review page lists them)."""

    questionnaire: Questionnaire
    warnings: list[SheetRowError]


def questionnaire_import_xlsform(*, file: IO[bytes], filename: str = "") -> Questionnaire:
    """Create a questionnaire (a new version when its form_id is known) from an XLSForm.

    All or nothing: every problem is reported by sheet, row and column, and nothing is written
    unless the whole workbook is valid.
    """
    return questionnaire_import_xlsform_warned(file=file, filename=filename).questionnaire


def questionnaire_import_xlsform_warned(*, file: IO[bytes], filename: str = "") -> XLSFormImport:
    """``questionnaire_import_xlsform``, with the warnings (in the active language) about what
    was imported but is not shown in web surveys."""
    parsed = read_xlsform(file=file, filename=filename)
    try:
        with transaction.atomic():
            questionnaire = questionnaire_create(spec=parsed.spec)
    except ImportRejected:
        raise
    except DomainError as exc:
        reject_if_errors([_row_error(message, parsed) for message in exc.messages])
        raise
    return XLSFormImport(questionnaire=questionnaire, warnings=parsed.warnings)


def questionnaire_review_xlsform(*, file: IO[bytes], filename: str = "") -> ParsedForm:
    """Read and check an XLSForm without writing anything: its specification and warnings (what
    is imported but not shown), or ``ImportRejected`` listing every problem."""
    parsed = read_xlsform(file=file, filename=filename)
    problems = spec_problems(parsed.spec)
    if problems:
        reject_if_errors([_row_error(problem.message, parsed) for problem in problems])
    return parsed


def questionnaire_import_reviewed(*, spec: dict[str, Any]) -> Questionnaire:
    """Create the questionnaire a reviewed XLSForm describes (checked again: all or nothing)."""
    return questionnaire_create(spec=spec)


def questionnaire_export_xlsform(*, questionnaire: Questionnaire) -> bytes:
    """The questionnaire as an XLSForm workbook (.xlsx bytes)."""
    return write_xlsform(
        questionnaire_spec(questionnaire=questionnaire), version=questionnaire.version
    )


def questionnaire_xlsform_filename(*, questionnaire: Questionnaire) -> str:
    """The download's file name: key and version."""
    return f"{questionnaire.slug}-v{questionnaire.version}.xlsx"


def questionnaire_spec(*, questionnaire: Questionnaire) -> dict[str, Any]:
    """The specification ``questionnaire_create`` would build this questionnaire from."""
    questions = Question.objects.order_by("position", "id").prefetch_related(
        Prefetch("options", queryset=Option.objects.order_by("position", "id"))
    )
    sections = questionnaire.sections.order_by("position", "id").prefetch_related(
        Prefetch("questions", queryset=questions)
    )
    return {
        "slug": questionnaire.slug,
        "kind": questionnaire.kind,
        "title": questionnaire.title,
        "title_en": questionnaire.title_en,
        "intro": questionnaire.intro,
        "intro_en": questionnaire.intro_en,
        "translations": questionnaire.translations,
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "title_en": section.title_en,
                "description": section.description,
                "description_en": section.description_en,
                "weight": section.weight,
                "relevant": section.relevant,
                "translations": section.translations,
                "questions": [question_spec(question=q) for q in section.questions.all()],
            }
            for section in sections
        ],
    }


def _row_error(message: str, parsed: ParsedForm) -> SheetRowError:
    """Put a message of ``questionnaire_create`` on the survey row of what it names."""
    quoted = set(re.findall(r"[“«\"']([^”»\"']+)[”»\"']", message))
    for key, row in parsed.question_rows.items():
        if key in quoted:
            return SheetRowError(row=row, column="", message=message, sheet=SURVEY)
    for key, row in parsed.section_rows.items():
        if key in quoted and row:
            return SheetRowError(row=row, column="", message=message, sheet=SURVEY)
    return SheetRowError(row=2, column="", message=message, sheet=SETTINGS)
