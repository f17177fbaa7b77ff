"""The condition of a derived indicator: JSON, stored as the API takes it.

    {"q": "valued", "in": ["no"]}                the answer is one of the values (for a multiple-
                                                 choice question: one of them is ticked)
    {"q": "channels", "has": "chat"}             a multiple-choice answer ticks the value
    {"q": "satisfaction", "min": 6, "max": 6}    a number or scale answer within the range
                                                 (either end may be left out; both included)
    {"q": "would_buy", "answered": true}         answered (N/A is no answer), or not answered
    {"all": [c, ...]}, {"any": [c, ...]}, {"not": c}

A condition on a question not answered, or answered N/A, is false (``answered: false`` is the
way to count those). The grammar extends the branching conditions' (``surveys.branching``) with
ranges and ``answered``; these functions are pure, so the aggregation, the API and the console
share them.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from surveys.branching import NA

#: How deeply conditions may nest, and how many leaves one may have: a condition is written by
#: a person, and the API must refuse a crafted one before walking it.
MAX_DEPTH = 8
MAX_LEAVES = 50
NUMBER_TYPES = {"rating", "nps", "number", "duration"}
OPERATORS = ("in", "has", "min", "max", "answered")


@dataclass(frozen=True)
class QuestionFacts:
    """What validating a condition needs to know of a question."""

    key: str
    type: str
    options: frozenset[str] = frozenset()
    scale: tuple[int, int] | None = None
    label: str = ""
    option_labels: tuple[tuple[str, str], ...] = ()

    def option_label(self, value: Any) -> str:
        return dict(self.option_labels).get(_text(value), _text(value))


def validate(condition: Any, questions: Mapping[str, QuestionFacts]) -> list[str]:
    """Every problem with ``condition`` as a message for staff; an empty list when it is good."""
    problems: list[str] = []
    leaves = _check(condition, questions, problems, depth=0)
    if leaves > MAX_LEAVES:
        problems.append(
            _("A condition may combine at most %(n)d questions' tests.") % {"n": MAX_LEAVES}
        )
    return problems


def involved(condition: Any) -> list[str]:
    """The keys of the questions a (valid) condition reads, in order, each once."""
    keys: list[str] = []
    for leaf in _leaves(condition):
        if leaf["q"] not in keys:
            keys.append(leaf["q"])
    return keys


def holds(condition: Any, answers: Mapping[str, Any]) -> bool:
    """Does a (valid) condition hold for one response's answers (key → value, N/A as ``NA``)?"""
    if "all" in condition:
        return all(holds(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(holds(c, answers) for c in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], answers)
    value = answers.get(condition["q"])
    answered = value is not None and value != NA
    if "answered" in condition:
        return answered == bool(condition["answered"])
    if not answered:
        return False
    if "in" in condition:
        allowed = {_text(v) for v in condition["in"]}
        if isinstance(value, list):
            return any(_text(v) in allowed for v in value)
        return _text(value) in allowed
    if "has" in condition:
        return isinstance(value, list) and _text(condition["has"]) in {_text(v) for v in value}
    number = _number(value)
    if number is None:
        return False
    low, high = condition.get("min"), condition.get("max")
    return (low is None or number >= float(low)) and (high is None or number <= float(high))


def describe(condition: Any, questions: Mapping[str, QuestionFacts]) -> str:
    """A (valid) condition in words, for the console and the results pages."""
    if "all" in condition:
        return _(" and ").join(_grouped(c, questions) for c in condition["all"])
    if "any" in condition:
        return _(" or ").join(_grouped(c, questions) for c in condition["any"])
    if "not" in condition:
        return _("not (%(c)s)") % {"c": describe(condition["not"], questions)}
    facts = questions.get(condition["q"])
    name = f"«{facts.label}»" if facts and facts.label else condition["q"]
    if "answered" in condition:
        if condition["answered"]:
            return _("%(q)s answered") % {"q": name}
        return _("%(q)s not answered") % {"q": name}
    if "in" in condition:
        values = [facts.option_label(v) if facts else _text(v) for v in condition["in"]]
        return _("%(q)s is %(v)s") % {"q": name, "v": _(" or ").join(values)}
    if "has" in condition:
        value = facts.option_label(condition["has"]) if facts else _text(condition["has"])
        return _("%(q)s includes %(v)s") % {"q": name, "v": value}
    low, high = condition.get("min"), condition.get("max")
    if low is not None and high is not None:
        if float(low) == float(high):
            return _("%(q)s is %(v)s") % {"q": name, "v": _text(low)}
        return _("%(q)s from %(low)s to %(high)s") % {
            "q": name,
            "low": _text(low),
            "high": _text(high),
        }
    if low is not None:
        return _("%(q)s at least %(v)s") % {"q": name, "v": _text(low)}
    return _("%(q)s at most %(v)s") % {"q": name, "v": _text(high)}


def _grouped(condition: Any, questions: Mapping[str, QuestionFacts]) -> str:
    text = describe(condition, questions)
    return f"({text})" if ("all" in condition or "any" in condition) else text


def _check(
    condition: Any, questions: Mapping[str, QuestionFacts], problems: list[str], *, depth: int
) -> int:
    """Append the problems of one node; return how many leaves it has."""
    if depth > MAX_DEPTH:
        problems.append(_("The condition nests too deeply."))
        return 0
    if not isinstance(condition, dict) or not condition:
        problems.append(_('Each part of a condition must be an object such as {"q": …}.'))
        return 0
    combinators = [k for k in ("all", "any", "not") if k in condition]
    if combinators:
        if len(condition) != 1:
            problems.append(
                _("Combine with one of all, any or not at a time: %(keys)s.")
                % {"keys": ", ".join(sorted(condition))}
            )
            return 0
        inner = condition[combinators[0]]
        if combinators[0] == "not":
            return _check(inner, questions, problems, depth=depth + 1)
        if not isinstance(inner, list) or not inner:
            problems.append(
                _("%(c)s needs a list of one or more conditions.") % {"c": combinators[0]}
            )
            return 0
        return sum(_check(c, questions, problems, depth=depth + 1) for c in inner)
    _check_leaf(condition, questions, problems)
    return 1


def _check_leaf(
    condition: dict[str, Any], questions: Mapping[str, QuestionFacts], problems: list[str]
) -> None:
    key = condition.get("q")
    if not isinstance(key, str) or not key:
        problems.append(_('A test needs the question it reads, as "q".'))
        return
    facts = questions.get(key)
    if facts is None:
        problems.append(_("There is no question %(q)s in the questionnaire.") % {"q": key})
        return
    unknown = sorted(set(condition) - {"q", *OPERATORS})
    if unknown:
        problems.append(
            _("%(q)s: unknown part(s) %(keys)s.") % {"q": key, "keys": ", ".join(unknown)}
        )
    operators = [op for op in OPERATORS if op in condition]
    is_range = set(operators) <= {"min", "max"} and operators
    if not operators or (len(operators) > 1 and not is_range):
        problems.append(_("%(q)s: test one thing: in, has, min/max or answered.") % {"q": key})
        return
    if "answered" in condition:
        if not isinstance(condition["answered"], bool):
            problems.append(_("%(q)s: answered must be true or false.") % {"q": key})
    elif "in" in condition:
        _check_values(key, facts, condition["in"], problems)
    elif "has" in condition:
        if facts.type != "multiple_choice":
            problems.append(_("%(q)s: has is for multiple-choice questions; use in.") % {"q": key})
        else:
            _check_values(key, facts, [condition["has"]], problems)
    else:
        _check_range(key, facts, condition, problems)


def _check_values(key: str, facts: QuestionFacts, values: Any, problems: list[str]) -> None:
    if not isinstance(values, list) or not values:
        problems.append(_("%(q)s: give a list of one or more values.") % {"q": key})
        return
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        problems.append(_("%(q)s: values are texts or numbers.") % {"q": key})
        return
    if facts.options:
        unknown = [_text(v) for v in values if _text(v) not in facts.options]
        if unknown:
            problems.append(
                _("%(q)s has no option %(v)s (it has %(options)s).")
                % {
                    "q": key,
                    "v": ", ".join(unknown),
                    "options": ", ".join(sorted(facts.options)),
                }
            )
    elif facts.type in NUMBER_TYPES:
        for value in values:
            _check_number(key, facts, value, problems)


def _check_range(
    key: str, facts: QuestionFacts, condition: dict[str, Any], problems: list[str]
) -> None:
    if facts.type not in NUMBER_TYPES:
        problems.append(_("%(q)s: a range needs a number or scale question.") % {"q": key})
        return
    ends = [condition[end] for end in ("min", "max") if end in condition]
    numbers = [_check_number(key, facts, end, problems) for end in ends]
    if len(numbers) == 2 and None not in numbers and numbers[0] > numbers[1]:  # type: ignore[operator]
        problems.append(_("%(q)s: min is above max.") % {"q": key})


def _check_number(key: str, facts: QuestionFacts, value: Any, problems: list[str]) -> float | None:
    number = _number(value) if not isinstance(value, bool) else None
    if number is None:
        problems.append(_("%(q)s: %(v)s is not a number.") % {"q": key, "v": value})
        return None
    if facts.scale and not facts.scale[0] <= number <= facts.scale[1]:
        problems.append(
            _("%(q)s: %(v)s is outside its scale, %(low)d–%(high)d.")
            % {"q": key, "v": _text(value), "low": facts.scale[0], "high": facts.scale[1]}
        )
    return number


def _leaves(condition: Any) -> Iterable[dict[str, Any]]:
    for combinator in ("all", "any"):
        if combinator in condition:
            for c in condition[combinator]:
                yield from _leaves(c)
            return
    if "not" in condition:
        yield from _leaves(condition["not"])
        return
    yield condition


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
