import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import formats
from django.utils.translation import gettext as _

from kundeservice.i18n import localized
from surveys import answers as answer_values
from surveys.branching import NA, referenced_questions
from surveys.expressions import references

register = template.Library()

INPUT_TYPES = {"number", "duration", "datetime", "text", "company"}


@register.filter
def answer_of(answers: dict[str, Any], key: str) -> Any:
    return answers.get(key)


@register.filter
def is_chosen(value: Any, option: str) -> bool:
    if isinstance(value, list):
        return option in value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value is not None and str(value) == str(option)


@register.filter
def is_na(value: Any) -> bool:
    return value == NA


@register.filter
def scale_points(view: Any) -> range:
    info = view.info
    low, high = (0, 10) if info.type == "nps" else (info.scale_min or 1, info.scale_max or 5)
    return range(low, high + 1)


@dataclass(frozen=True)
class ScalePoint:
    value: int
    end_label: str


@register.filter
def scale_labelled_points(view: Any) -> list[ScalePoint]:
    """The scale's points, the first and last with their end label (for the radio's name)."""
    low_label, high_label = scale_end_labels(view)
    points = list(scale_points(view))
    return [
        ScalePoint(
            point,
            low_label if point == points[0] else high_label if point == points[-1] else "",
        )
        for point in points
    ]


@register.filter
def scale_end_labels(view: Any) -> tuple[str, str]:
    if view.info.type == "nps":
        return _("Not at all likely"), _("Extremely likely")
    question = view.question
    return localized(question, "scale_min_label"), localized(question, "scale_max_label")


@register.filter
def as_input(value: Any) -> str:
    """A stored value as the respondent reads and types it: numbers in the active locale
    ("1,5" in bokmål)."""
    if value is None or value == NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return formats.number_format(value, use_l10n=True)
    return str(value)


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
def other_company_name(value: Any) -> str:
    return answer_values.other_company_name(value)


@register.simple_tag
def other_company() -> str:
    return answer_values.OTHER_COMPANY


@register.simple_tag
def na_value() -> str:
    return NA


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


@register.filter
def shown_options(info: Any, answers: dict[str, Any] | None) -> tuple[Any, ...]:
    """The options of a question that its choice filter holds for, given the answers."""
    return answer_values.shown_options(info, answers or {})


@register.simple_tag
def shown_version(view: Any, answers: dict[str, Any] | None) -> str:
    """What of a question depends on other answers on the same page (``data-shown``)."""
    return answer_values.shown_version(view, answers)


@register.filter
def piped(text: str, answers: dict[str, Any] | None) -> str:
    """XLSForm piping: ``${key}`` in a label or hint shows the answer given to ``key``."""
    return answer_values.piped(text, answers)


@register.filter
def constraint_json(view: Any) -> str:
    """The question's constraint as JSON, for the page to check as the respondent leaves the
    field (constraints.js); the same condition the server checks with ``is_shown``."""
    return json.dumps(view.info.constraint, cls=DjangoJSONEncoder)


@register.filter
def constraint_answers(view: Any, answers: dict[str, Any] | None) -> str:
    """The saved answers the question's constraint reads, as JSON: those given on earlier pages
    are not on the page for the browser to read."""
    keys = referenced_questions(view.info.constraint) - {view.key}
    saved = {key: (answers or {})[key] for key in sorted(keys) if key in (answers or {})}
    return json.dumps(saved, cls=DjangoJSONEncoder)
