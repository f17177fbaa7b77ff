from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from surveys import answers as answer_values
from surveys.branching import NA, referenced_questions
from surveys.expressions import references
from surveys.question_markup import INPUT_TYPES, as_input, question_html, scale_points

register = template.Library()


@register.simple_tag
def question(
    view: Any, values: dict[str, Any], errors: dict[str, Any] | None, answers: Any, raw: Any = None
) -> str:
    """A question with its answer among ``values``, its error among ``errors`` and what was typed
    among ``raw`` (surveys/question_markup.py writes it)."""
    key = view.key
    return question_html(
        view, values.get(key), (errors or {}).get(key), answers, (raw or {}).get(key)
    )


@register.filter
def input_id(view: Any) -> str:
    """The id of the question's first input: where an error summary's link takes the focus."""
    info = view.info
    if info.type in INPUT_TYPES:
        return f"in-{view.key}"
    if info.type in {"rating", "nps"}:
        return f"in-{view.key}-{scale_points(view)[0]}"
    if info.options:
        return f"in-{view.key}-1"
    return f"in-{view.key}-na"


@dataclass(frozen=True)
class ErrorItem:
    anchor: str
    question: str
    message: str


@register.filter
def error_items(errors: dict[str, str], structure: Any) -> list[ErrorItem]:
    """Each error with the question it belongs to, in the questionnaire's order (GOV.UK's
    error summary: name the question, link to its input)."""
    views = structure.questions if structure is not None else {}
    items = [
        ErrorItem(input_id(view), view.question.display_text, errors[key])
        for key, view in views.items()
        if key in errors
    ]
    return items + [
        ErrorItem(f"q-{key}", "", message) for key, message in errors.items() if key not in views
    ]


@dataclass(frozen=True)
class ReviewRow:
    question: str
    answer: str


@dataclass(frozen=True)
class ReviewPage:
    index: int
    title: str
    rows: list[ReviewRow]


@register.filter
def review_pages(state: Any, structure: Any) -> list[ReviewPage]:
    """The answers on the "ready to submit" page, grouped by the pages they were given on."""
    answers = state.response.draft
    return [
        ReviewPage(
            index,
            section.section.display_title,
            [
                ReviewRow(view.question.display_text, answer_text(view, answers.get(view.key)))
                for view in structure.visible_questions(section, answers)
            ],
        )
        for index, section in enumerate(state.sections)
    ]


def answer_text(view: Any, value: Any) -> str:
    """A stored answer as the respondent reads it: option labels, numbers in the locale."""
    if value is None:
        return _("Not answered")
    if value == NA:
        return _("Not applicable")
    info = view.info
    labels = {option.value: option.label for option in info.options}
    if isinstance(value, list):
        return ", ".join(str(labels.get(v, v)) for v in value)
    if info.type == "datetime":
        try:
            return formats.date_format(datetime.fromisoformat(value), "SHORT_DATETIME_FORMAT")
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, str):
        other = answer_values.other_company_name(value)
        if other:
            return _("Other: %(name)s") % {"name": other}
        return labels.get(value, value)
    text = as_input(value)
    if info.type == "duration":
        return _("%(n)s minutes") % {"n": text}
    return text


@register.filter
def branching_keys(structure: Any) -> str:
    """The questions whose answers decide what else is shown: a change to one is saved at once,
    so the page can show or hide what depends on it, narrow a choice filter's options or fill in
    a piped label (respond.js). A calculated value stands for the answers it is computed from."""
    keys: set[str] = set()
    for section in structure.sections:
        keys |= referenced_questions(section.section.relevant)
        for view in section.questions:
            keys |= referenced_questions(view.question.relevant)
            keys |= references(view.info.choice_filter)
            for text in (view.question.display_text, view.question.display_help):
                keys |= set(answer_values.PIPED_REFERENCE.findall(text or ""))
    calculations = dict(structure.calculations)
    pending = [key for key in keys if key in calculations]
    while pending:
        for key in references(calculations[pending.pop()]) - keys:
            keys.add(key)
            if key in calculations:
                pending.append(key)
    return " ".join(sorted(keys - calculations.keys()))
