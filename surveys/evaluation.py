"""What an evaluation's answers are worth: points per answer, and the report lines QA reads.

Observers never see points; these are for scoring at submit and for the QA reviewer.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from surveys import scoring
from surveys.answers import (
    CHOICE_TYPES,
    AnswerError,
    QuestionInfo,
    check_constraint,
    check_required,
    clean,
    score_0_100,
    shown_options,
)
from surveys.branching import NA
from surveys.models import Answer, QuestionRole
from surveys.selectors import QuestionView, SectionView, Structure

#: Question roles that never count among the performance areas: CX items are reported only, and
#: waiting time enters through the answered attempt and the wave's wait share.
UNSCORED_ROLES = {QuestionRole.CX, QuestionRole.WAIT_TIME}
#: Answers to a screening question that end a survey: no contact to tell about.
SCREENED_OUT_VALUES = frozenset({"no"})


def scored_item(section: str, view: QuestionView, value: Any) -> scoring.ScoredItem | None:
    """Points earned and possible (× the question's weight) for one answer, or None when the
    question does not count: not scored, a CX or wait-time item, unanswered or N/A."""
    if value is None or value == NA or not _counts(view):
        return None
    weight = float(view.question.weight)
    points = _points(view)
    if points:
        if isinstance(value, list):
            earned = sum(points.get(str(v), 0.0) for v in value)
        else:
            earned = points.get(str(value), 0.0)
        possible = _possible(points, ticked=isinstance(value, list))
    else:
        on_scale = score_0_100(view.info, value)
        if on_scale is None:
            return None
        earned, possible = on_scale / 100.0, 1.0
    if possible <= 0:
        return None
    return scoring.ScoredItem(section=section, earned=earned * weight, possible=possible * weight)


def unanswered_items(structure: Structure) -> list[scoring.ScoredItem]:
    """What a contact never answered is scored on: each scored question that applies to it
    (shown when nothing was answered), earning none of the points it could have."""
    items = []
    for section in structure.visible_sections({}):
        for view in structure.visible_questions(section, {}):
            if not _counts(view):
                continue
            points = _points(view)
            ticked = view.info.type == "multiple_choice"
            possible = _possible(points, ticked=ticked) if points else 1.0
            if possible > 0:
                weight = float(view.question.weight)
                items.append(scoring.ScoredItem(section.section.key, 0.0, possible * weight))
    return items


def _counts(view: QuestionView) -> bool:
    return view.question.scored and view.question.role not in UNSCORED_ROLES


def _points(view: QuestionView) -> dict[str, float]:
    return {o.value: o.points for o in view.info.options if o.points is not None}


def _possible(points: dict[str, float], *, ticked: bool) -> float:
    """The most a question's options can earn: every positive one, when several may be
    ticked, else the best one."""
    if ticked:
        return sum(p for p in points.values() if p > 0)
    return max(points.values())


@dataclass
class ReportLine:
    view: QuestionView
    answer: str
    item: scoring.ScoredItem | None


@dataclass
class ReportSection:
    section: SectionView
    lines: list[ReportLine]
    score: float | None


def report_lines(
    *, structure: Structure, answers: dict[str, Any], section_scores: dict[str, Any]
) -> list[ReportSection]:
    """The shown questions by area, each with the answer in words and its points."""
    report = []
    for section in structure.visible_sections(answers):
        key = section.section.key
        lines = [
            ReportLine(
                view=view,
                answer=answer_text(view, answers.get(view.key)),
                item=scored_item(key, view, answers.get(view.key)),
            )
            for view in structure.visible_questions(section, answers)
        ]
        score = section_scores.get(key)
        report.append(
            ReportSection(
                section=section,
                lines=lines,
                score=float(score) if isinstance(score, int | float) else None,
            )
        )
    return report


@dataclass
class AnswerLine:
    """One stored answer as staff read it: the question, the answer in words (or the number,
    which the template formats in the reader's locale) and its 0–100 score."""

    question: str
    answer: str
    number: float | None
    score: float | None


def answer_lines(*, structure: Structure, answers: Iterable[Answer]) -> list[AnswerLine]:
    """Stored answers with option, company and channel labels instead of their codes."""
    lines = []
    for row in answers:
        view = structure.questions.get(row.question.key)
        number = row.value_number if not row.is_na and not row.value_choices else None
        if number is not None and row.question.type not in CHOICE_TYPES:
            text = ""
        elif view is None:
            text = _stored_value_text(row)
        else:
            text = answer_text(view, _stored_value(row))
        lines.append(
            AnswerLine(
                question=row.question.display_text, answer=text, number=number, score=row.score
            )
        )
    return lines


def _stored_value(row: Answer) -> Any:
    if row.is_na:
        return NA
    if row.value_choices:
        return list(row.value_choices)
    if row.value_number is not None:
        return row.value_number
    return row.value_text


def _stored_value_text(row: Answer) -> str:
    value = _stored_value(row)
    if value == NA:
        return _("Not applicable")
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def answer_text(view: QuestionView, value: Any) -> str:
    """An answer as the observer chose it: option labels, not codes."""
    if value is None:
        return "–"
    if value == NA:
        return _("Not applicable")
    labels = {o.value: o.label for o in view.info.options}
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if view.info.type in CHOICE_TYPES:
        return labels.get(str(value), str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean_answers(
    structure: Structure, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every answer cleaned by its question's rules, and a message per key that failed."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in answers.items():
        view = structure.questions.get(key)
        if view is None:
            errors[str(key)[:60]] = _("There is no such question.")
            continue
        values = raw if isinstance(raw, list) else [raw]
        if not all(
            isinstance(v, str | int | float) and not isinstance(v, bool)
            for v in values
            if v is not None
        ):
            errors[key] = _("Give the answer as text, a number or a list of them.")
            continue
        try:
            value = clean(view.info, [str(v) for v in values if v is not None])
        except AnswerError as exc:
            errors[key] = str(exc)
            continue
        if value is not None:
            cleaned[key] = value
    with_calculated = structure.with_calculated(cleaned)
    for key, value in list(cleaned.items()):
        try:
            check_constraint(structure.questions[key].info, value, with_calculated)
        except AnswerError as exc:
            errors[key] = str(exc)
            del cleaned[key]
    return cleaned, errors


def shown_only(structure: Structure, answers: dict[str, Any]) -> dict[str, Any]:
    """Drop answers to hidden questions, and choices a choice filter no longer offers (an earlier
    answer changed), until nothing changes (hiding one can hide another)."""
    while True:
        shown = {
            view.key
            for section in structure.visible_sections(answers)
            for view in structure.visible_questions(section, answers)
        }
        calculated = structure.with_calculated(answers)
        kept = {
            k: v
            for k, v in answers.items()
            if k in shown and _offered(structure.questions[k].info, v, calculated)
        }
        if kept == answers:
            return kept
        answers = kept


def _offered(info: QuestionInfo, value: Any, answers: dict[str, Any]) -> bool:
    if info.choice_filter is None or value == NA:
        return True
    offered = {o.value for o in shown_options(info, answers)}
    return all(str(v) in offered for v in (value if isinstance(value, list) else [value]))


def missing_answers(structure: Structure, answers: dict[str, Any]) -> dict[str, str]:
    """A message for each required question that is shown but not answered; a screened-out
    respondent answers nothing after the page that screened them out."""
    errors: dict[str, str] = {}
    for section in required_sections(structure, answers):
        for view in structure.visible_questions(section, answers):
            try:
                check_required(view.info, answers.get(view.key))
            except AnswerError as exc:
                errors[view.key] = str(exc)
    return errors


def screening_page(structure: Structure, answers: dict[str, Any]) -> int | None:
    """The index, among the pages shown, of the page whose screening answer ends the survey;
    None when the answers do not screen the respondent out."""
    for index, section in enumerate(structure.visible_sections(answers)):
        for view in structure.visible_questions(section, answers):
            if (
                view.question.role == QuestionRole.SCREENING
                and answers.get(view.key) in SCREENED_OUT_VALUES
            ):
                return index
    return None


def required_sections(structure: Structure, answers: dict[str, Any]) -> list[SectionView]:
    """The pages a respondent must complete: all shown, or those up to the one that screened
    them out (in the browser, "Next" on that page ends the survey)."""
    sections = structure.visible_sections(answers)
    stop = screening_page(structure, answers)
    return sections if stop is None else sections[: stop + 1]


def through_screening(structure: Structure, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers a screened-out respondent gave up to and including the page that screened
    them out (later ones are not part of their answer); others' answers unchanged."""
    if screening_page(structure, answers) is None:
        return answers
    keys = {
        view.key
        for section in required_sections(structure, answers)
        for view in structure.visible_questions(section, answers)
    }
    return {k: v for k, v in answers.items() if k in keys}
