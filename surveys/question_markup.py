"""A question's markup on the respondent's page and the observer's form, written in Python.

It was a template (``question.html`` with ``scale.html`` and ``company_picker.html``); rendering
it took two thirds of a respondent's "Next" (a page of five questions is some 180 variables
and 40 tags through Django's template engine: about 5 ms of the web process's CPU). This writes
the same elements and attributes, every value escaped as the template's autoescaping did
(``conditional_escape``), every text translated with the same message ids.
"""

import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kundeservice.i18n import localized
from surveys import answers as answer_values
from surveys.branching import NA, referenced_questions

#: Question types answered in a single input (a text field, a date, the company picker).
INPUT_TYPES = {"number", "duration", "datetime", "text", "company", "date", "time"}
#: A company picker longer than this gets a search box that filters it.
PICKER_SEARCH_FROM = 16


def esc(value: Any) -> str:
    return str(conditional_escape(value))


def question_html(
    view: Any, value: Any, error: Any, answers: dict[str, Any] | None, raw: Any = None
) -> SafeString:
    """The question ``view`` (a ``QuestionView``) with the answer ``value`` (or what was typed,
    ``raw``, when it was not accepted), its ``error`` and the answers it may pipe or filter by."""
    info = view.info
    key = esc(view.key)
    parts = [_opening(view, key, error, answers), "\n"]
    if info.type == "note":
        parts += _note(view, answers)
    elif info.type in INPUT_TYPES:
        parts += _input(view, key, value, error, answers, raw)
    else:
        parts += _choices(view, key, value, error, answers)
    parts.append("\n</div>")
    return mark_safe("".join(parts))  # noqa: S308 - every value in it escaped by esc()


def _opening(view: Any, key: str, error: Any, answers: dict[str, Any] | None) -> str:
    info = view.info
    shown = answer_values.shown_version(view, answers)
    attrs = [
        f'<div class="question{" has-error" if error else ""}" id="q-{key}" data-key="{key}"',
        f' data-type="{esc(info.type)}"',
    ]
    if shown:
        attrs.append(f' data-shown="{esc(shown)}"')
    if info.constraint is not None:
        # The template wrote its own message unescaped (a translated literal), as here.
        message = info.constraint_message or mark_safe(_("This answer is not accepted."))  # noqa: S308
        attrs += [
            f' data-constraint="{esc(constraint_json(view))}"',
            f' data-constraint-answers="{esc(constraint_answers(view, answers))}"',
            f' data-constraint-message="{esc(message)}"',
        ]
    attrs.append(">")
    return "".join(attrs)


def _note(view: Any, answers: dict[str, Any] | None) -> list[str]:
    question = view.question
    parts = [f'<p class="question-text note">{esc(_piped(question.display_text, answers))}</p>']
    if question.display_help:
        parts.append(f'\n<p class="help">{esc(_piped(question.display_help, answers))}</p>')
    return parts


def _input(
    view: Any, key: str, value: Any, error: Any, answers: dict[str, Any] | None, raw: Any
) -> list[str]:
    info = view.info
    question = view.question
    typed = esc(raw or as_input(value))
    invalid = f' aria-invalid="true" aria-describedby="err-{key}"' if error else ""
    text = esc(_piped(question.display_text, answers))
    parts = [
        f'<label class="question-text" for="in-{key}">{text}',
        _optional(question),
        "</label>",
    ]
    if question.display_help:
        help_text = esc(_piped(question.display_help, answers))
        parts.append(f'\n<p class="help" id="help-{key}">{help_text}</p>')
    if error:
        parts.append(f'\n<p class="field-error" id="err-{key}">{esc(error)}</p>')
    parts.append("\n")
    if info.type == "text":
        described = (f"err-{key} " if error else "") + (
            f"help-{key}" if question.display_help else ""
        )
        marked = ' aria-invalid="true"' if error else ""
        parts.append(
            f'<textarea id="in-{key}" name="{key}" rows="4" maxlength="5000"{marked}'
            f' aria-describedby="{described}">{typed}</textarea>'
        )
    elif info.type == "company":
        parts += _company_picker(view, key, value, error)
    elif info.type in {"date", "time"}:
        parts.append(
            f'<input type="{info.type}" id="in-{key}" name="{key}" value="{typed}"{invalid}>'
        )
    elif info.type == "datetime":
        parts.append(
            f'<input type="datetime-local" id="in-{key}" name="{key}" value="{typed}"{invalid}>'
        )
    else:
        parts.append(
            f'<input type="text" inputmode="decimal" autocomplete="off" id="in-{key}" name="{key}"'
            f' value="{typed}" class="short"{invalid}>'
        )
        if info.type == "duration":
            parts.append(f" <span>{_('minutes')}</span>")
    if info.allow_na:
        checked = " checked" if value == NA else ""
        parts.append(
            f'\n<label class="choice"><input type="checkbox" id="in-{key}-na" name="{key}"'
            f' value="{esc(NA)}"{checked}> {_("Not applicable")}</label>'
        )
    return parts


def _choices(
    view: Any, key: str, value: Any, error: Any, answers: dict[str, Any] | None
) -> list[str]:
    info = view.info
    question = view.question
    described = f' aria-describedby="err-{key}"' if error else ""
    parts = [
        f"<fieldset{described}>\n",
        f'<legend class="question-text">{esc(_piped(question.display_text, answers))}',
        _optional(question),
        "</legend>",
    ]
    if question.display_help:
        parts.append(f'\n<p class="help">{esc(_piped(question.display_help, answers))}</p>')
    if error:
        parts.append(f'\n<p class="field-error" id="err-{key}">{esc(error)}</p>')
    kind = "checkbox" if info.type == "multiple_choice" else "radio"
    if info.type in {"rating", "nps"}:
        parts += _scale(view, key, value)
    else:
        for number, option in enumerate(answer_values.shown_options(info, answers or {}), 1):
            checked = " checked" if is_chosen(value, option.value) else ""
            parts.append(
                f'\n<label class="choice"><input type="{kind}" id="in-{key}-{number}" name="{key}"'
                f' value="{esc(option.value)}"{checked}> {esc(option.label)}</label>'
            )
    if info.allow_na:
        checked = " checked" if value == NA else ""
        parts.append(
            f'\n<label class="choice"><input type="{kind}" id="in-{key}-na" name="{key}"'
            f' value="{esc(NA)}"{checked}> {_("Not applicable")}</label>'
        )
    parts.append("\n</fieldset>")
    return parts


def _scale(view: Any, key: str, value: Any) -> list[str]:
    """A rating or NPS scale: every point in one row down to 360 px; the end labels are part of
    the first and last radio's name."""
    low_label, high_label = scale_end_labels(view)
    points = scale_points(view)
    nps = " scale-11" if view.info.type == "nps" else ""
    parts = [f'\n<div class="scale{nps}">']
    for point in points:
        checked = " checked" if is_chosen(value, str(point)) else ""
        end = low_label if point == points[0] else high_label if point == points[-1] else ""
        hidden = f'<span class="visually-hidden"> – {esc(end)}</span>' if end else ""
        parts.append(
            f'\n<label class="scale-point"><input type="radio" id="in-{key}-{point}" name="{key}"'
            f' value="{point}"{checked}><span>{point}</span>{hidden}</label>'
        )
    parts.append("\n</div>")
    if low_label or high_label:
        parts.append(
            f'\n<div class="scale-ends" aria-hidden="true"><span>{esc(low_label)}</span>'
            f"<span>{esc(high_label)}</span></div>"
        )
    return parts


def _company_picker(view: Any, key: str, value: Any, error: Any) -> list[str]:
    """A native select (a search box filters a long list, respond.js), and "Other / company not
    listed" with the name written beside it."""
    options = view.info.options
    other = answer_values.other_company_name(value)
    parts = []
    if len(options) >= PICKER_SEARCH_FROM:
        parts.append(
            f'<div class="picker-search" data-picker-search="in-{key}" hidden>\n'
            f'<label for="in-{key}-search">{_("Search the list")}</label>\n'
            f'<input type="search" id="in-{key}-search" autocomplete="off"'
            f' aria-controls="in-{key}">\n</div>\n'
        )
    invalid = f' aria-invalid="true" aria-describedby="err-{key}"' if error else ""
    parts.append(
        f'<select id="in-{key}" name="{key}"{invalid}>\n'
        f'<option value="">{_("Choose company")}</option>\n'
    )
    for option in options:
        selected = " selected" if is_chosen(value, option.value) else ""
        parts.append(f'<option value="{esc(option.value)}"{selected}>{esc(option.label)}</option>')
    write_name = _("Not in the list? Write the company's name")
    parts.append(
        f'\n<option value="{esc(answer_values.OTHER_COMPANY)}" data-keep'
        f"{' selected' if other else ''}>{_('Other / company not listed')}</option>\n</select>\n"
        f'<p class="picker-other">\n'
        f'<label for="in-{key}-other">{write_name}</label>\n'
        f'<input type="text" id="in-{key}-other" name="{key}__other" value="{esc(other)}"'
        f' maxlength="200" autocomplete="organization">\n</p>'
    )
    return parts


def _optional(question: Any) -> str:
    return "" if question.required else f' <span class="optional">({_("optional")})</span>'


def _piped(text: str, answers: dict[str, Any] | None) -> str:
    return answer_values.piped(text, answers)


# --- Shared with the page's template tags (surveys/templatetags/respond.py) --------------------


def is_chosen(value: Any, option: str) -> bool:
    if isinstance(value, list):
        return option in value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value is not None and str(value) == str(option)


def scale_points(view: Any) -> range:
    info = view.info
    low, high = (0, 10) if info.type == "nps" else (info.scale_min or 1, info.scale_max or 5)
    return range(low, high + 1)


def scale_end_labels(view: Any) -> tuple[str, str]:
    if view.info.type == "nps":
        return _("Not at all likely"), _("Extremely likely")
    question = view.question
    return localized(question, "scale_min_label"), localized(question, "scale_max_label")


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


def constraint_json(view: Any) -> str:
    """The question's constraint as JSON, for the page to check as the respondent leaves the
    field (constraints.js); the same condition the server checks with ``is_shown``."""
    return json.dumps(view.info.constraint, cls=DjangoJSONEncoder)


def constraint_answers(view: Any, answers: dict[str, Any] | None) -> str:
    """The saved answers the question's constraint reads, as JSON: those given on earlier pages
    are not on the page for the browser to read."""
    keys = referenced_questions(view.info.constraint) - {view.key}
    saved = {key: (answers or {})[key] for key in sorted(keys) if key in (answers or {})}
    return json.dumps(saved, cls=DjangoJSONEncoder)


def questions_html(
    views: Iterable[Any],
    values: dict[str, Any],
    errors: dict[str, Any] | None,
    answers: dict[str, Any] | None,
    raw: dict[str, Any] | None = None,
) -> SafeString:
    """Each question of a page, with its answer, error and typed value."""
    errors = errors or {}
    raw = raw or {}
    return mark_safe(  # noqa: S308 - question_html's, each safe
        "\n".join(
            question_html(
                view, values.get(view.key), errors.get(view.key), answers, raw.get(view.key)
            )
            for view in views
        )
    )
