"""Answer values: clean what a respondent typed into a typed value, and put it on 0–100.

Pure functions over a ``QuestionInfo`` snapshot, so the respondent flow, the API and the scoring
share one set of rules and need no database.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.utils.translation import gettext as _

from kundeservice.numbers import ascii_digits
from surveys.branching import NA, is_shown
from surveys.expressions import as_boolean, evaluate

CHOICE_TYPES = {"single_choice", "yes_no", "company", "channel"}
NUMBER_TYPES = {"rating", "nps", "number", "duration"}
MAX_TEXT = 5000
#: A company picker's "other / not listed" answer: this prefix and the name the respondent wrote.
#: The response then has no company, so it counts in no company's figures (issue 17).
OTHER_COMPANY = "__other__"
OTHER_COMPANY_PREFIX = OTHER_COMPANY + ":"
#: The form field beside a company picker where that name is written (``<key>__other``).
OTHER_NAME_SUFFIX = "__other"
MAX_OTHER_NAME = 200


@dataclass(frozen=True)
class OptionInfo:
    value: str
    label: str
    points: float | None = None
    #: The choices sheet's other columns, which a choice filter reads.
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QuestionInfo:
    key: str
    type: str
    required: bool = True
    allow_na: bool = False
    scale_min: int | None = None
    scale_max: int | None = None
    options: tuple[OptionInfo, ...] = field(default_factory=tuple)
    scored: bool = False
    #: A condition (surveys/branching.py) the answer must meet, and what to say when it does not.
    constraint: Any = None
    constraint_message: str = ""
    required_message: str = ""
    #: An expression (surveys/expressions.py) an option must meet to be shown and accepted.
    choice_filter: Any = None

    @property
    def option_values(self) -> set[str]:
        return {o.value for o in self.options}


class AnswerError(ValueError):
    """A value the question does not accept; the message is for the respondent."""


def clean(question: QuestionInfo, raw: list[str]) -> Any:
    """Turn submitted strings into the stored value, or ``None`` when unanswered.

    Raises ``AnswerError`` with a message in the active language.
    """
    if question.type == "note":
        return None  # a note is read, not answered
    values = [v.strip() for v in raw if v is not None and v.strip() != ""]
    if question.allow_na and NA in values:
        return NA
    if not values:
        return None
    if question.type == "multiple_choice":
        unknown = [v for v in values if v not in question.option_values]
        if unknown:
            raise AnswerError(_("Choose among the options shown."))
        return sorted(set(values), key=[o.value for o in question.options].index)
    if len(values) > 1:
        raise AnswerError(_("Give one answer."))
    value = values[0]
    if question.type == "company" and value.startswith(OTHER_COMPANY):
        name = value.removeprefix(OTHER_COMPANY).removeprefix(":").strip()
        if not name:
            raise AnswerError(_("Write the name of the company, or choose it in the list."))
        if len(name) > MAX_OTHER_NAME:
            raise AnswerError(_("Keep the answer under %(n)d characters.") % {"n": MAX_OTHER_NAME})
        return OTHER_COMPANY_PREFIX + name
    if question.type in CHOICE_TYPES:
        if value not in question.option_values:
            raise AnswerError(_("Choose one of the options shown."))
        return value
    if question.type in NUMBER_TYPES:
        return _clean_number(question, value)
    if question.type == "datetime":
        try:
            return datetime.fromisoformat(value).isoformat(timespec="minutes")
        except ValueError:
            raise AnswerError(_("Enter a date and time, e.g. 2026-03-14 10:30.")) from None
    if question.type == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise AnswerError(_("Enter a date, e.g. 2026-03-14.")) from None
    if question.type == "time":
        try:
            return time.fromisoformat(value).isoformat(timespec="minutes")
        except ValueError:
            raise AnswerError(_("Enter a time, e.g. 10:30.")) from None
    if len(value) > MAX_TEXT:
        raise AnswerError(_("Keep the answer under %(n)d characters.") % {"n": MAX_TEXT})
    return value


def form_values(question: QuestionInfo, data: dict[str, list[str]]) -> list[str]:
    """What a page's form posted for ``question``, as ``clean`` takes it: a company picker's
    "other" choice (or an empty choice with a name written beside it) becomes the other-company
    answer with that name."""
    values = data.get(question.key, [])
    if question.type != "company":
        return values
    name = " ".join(data.get(question.key + OTHER_NAME_SUFFIX, [])).strip()
    chosen = [v for v in values if v.strip()]
    if chosen == [OTHER_COMPANY] or (not chosen and name):
        return [OTHER_COMPANY_PREFIX + name]
    return values


def other_company_name(value: Any) -> str:
    """The name written for an "other" company answer; "" for any other value."""
    if isinstance(value, str) and value.startswith(OTHER_COMPANY_PREFIX):
        return value.removeprefix(OTHER_COMPANY_PREFIX)
    return ""


def check_required(question: QuestionInfo, value: Any) -> None:
    if question.required and value is None and question.type != "note":
        raise AnswerError(question.required_message or _("This question needs an answer."))


def check_constraint(question: QuestionInfo, value: Any, answers: dict[str, Any]) -> None:
    """An answer given must meet the question's constraint (an XLSForm ``constraint``) and be
    among the options its choice filter shows. ``answers`` include calculated values."""
    if value is None or value == NA:
        return
    if question.choice_filter is not None:
        shown = {o.value for o in shown_options(question, answers)}
        chosen = value if isinstance(value, list) else [value]
        if any(str(v) not in shown for v in chosen):
            raise AnswerError(
                _("Choose among the options shown: they depend on your earlier answers.")
            )
    if question.constraint is None:
        return
    if not is_shown(question.constraint, {**answers, question.key: value}):
        raise AnswerError(question.constraint_message or _("This answer is not accepted."))


def shown_options(question: QuestionInfo, answers: dict[str, Any]) -> tuple[OptionInfo, ...]:
    """The options a respondent sees: those the question's choice filter holds for, given the
    answers (with calculated values)."""
    if question.choice_filter is None:
        return question.options
    return tuple(
        option
        for option in question.options
        if as_boolean(
            evaluate(
                question.choice_filter,
                answers,
                choice={**option.columns, "name": option.value, "label": option.label},
            )
        )
    )


def score_0_100(question: QuestionInfo, value: Any) -> float | None:
    """The value on the 0–100 scale: scales linearly, NPS ×10, options by their points."""
    if value is None or value == NA:
        return None
    if question.type in {"rating", "nps"} and isinstance(value, int | float):
        low, high = (0, 10) if question.type == "nps" else (question.scale_min, question.scale_max)
        if low is None or high is None or high <= low:
            return None
        return (float(value) - low) / (high - low) * 100.0
    if question.type in CHOICE_TYPES and question.options:
        points = {o.value: o.points for o in question.options}
        possible = [p for p in points.values() if p is not None]
        earned = points.get(value)
        if earned is None or not possible or max(possible) <= 0:
            return None
        return float(earned) / max(possible) * 100.0
    return None


def _clean_number(question: QuestionInfo, value: str) -> int | float:
    try:
        number = float("".join(ascii_digits(value).replace(",", ".").split()))
    except ValueError:
        raise AnswerError(_("Enter a number.")) from None
    if not math.isfinite(number):
        raise AnswerError(_("Enter a number."))
    if question.type in {"rating", "nps"}:
        low, high = (0, 10) if question.type == "nps" else (question.scale_min, question.scale_max)
        if not number.is_integer() or low is None or high is None or not low <= number <= high:
            raise AnswerError(
                _("Choose a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            )
        return int(number)
    if number < 0:
        raise AnswerError(_("Enter zero or more."))
    if number > 1_000_000:
        raise AnswerError(_("That number is too large."))
    return int(number) if number.is_integer() else number


# --- What of a page depends on the answers -------------------------------------------------------

#: ``${key}`` in a label or hint (XLSForm piping).
PIPED_REFERENCE = re.compile(r"\$\{\s*([A-Za-z_][\w.-]*)\s*\}")


def piped(text: str, answers: dict[str, Any] | None) -> str:
    """XLSForm piping: ``${key}`` in a label or hint shows the answer given to ``key``."""
    if "${" not in (text or ""):
        return text

    def answer(match: re.Match[str]) -> str:
        value = (answers or {}).get(match.group(1))
        if value is None or value == NA:
            return "…"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)

    return PIPED_REFERENCE.sub(answer, text)


def shown_version(view: Any, answers: dict[str, Any] | None) -> str:
    """What of a question (a ``QuestionView``) depends on other answers on the same page: the
    options a choice filter leaves and the piped texts. The page carries it as ``data-shown``,
    and respond.js replaces the question when it changes."""
    question = view.question
    texts = [question.display_text or "", question.display_help or ""]
    if view.info.choice_filter is None and not any("${" in text for text in texts):
        return ""
    options = " ".join(o.value for o in shown_options(view.info, answers or {}))
    return "|".join([options, *(piped(text, answers) for text in texts)])


def shown_on_page(views: Any, answers: dict[str, Any] | None) -> str:
    """What of a page depends on the answers, as respond.js reads it from the page: each shown
    question's id and ``data-shown``, a line each. When an autosave's answers leave it as the
    browser has it, the reply needs no page."""
    return "\n".join(f"q-{view.key}={shown_version(view, answers)}" for view in views)
