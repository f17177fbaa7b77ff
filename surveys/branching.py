"""Branching conditions: when a question or section is shown, given earlier answers.

A condition is JSON, so it can be stored on the question and evaluated in the browser too:

    {"q": "contacted", "in": ["yes"]}          the answer to ``contacted`` is one of the values
    {"q": "channels", "has": "chat"}           a multiple-choice answer includes the value
    {"q": "age", "cmp": ">=", "value": 18}     a number answer compared with a number
    {"all": [cond, ...]}, {"any": [cond, ...]}, {"not": cond}

No condition (``None``) means always shown. A condition on an unanswered or N/A question is false.

The respondent's page checks a constraint with a copy of ``is_shown`` in JavaScript
(surveys/static/surveys/conditions.js); tests/surveys/condition_table.json holds cases both must
answer alike. Values are compared as JSON carries them: 18 and 18.0 are one value.
"""

from collections.abc import Iterable, Mapping
from typing import Any

NA = "__na__"


class ConditionError(ValueError):
    """The condition is not in the grammar above."""


def is_shown(condition: Any, answers: Mapping[str, Any]) -> bool:
    if condition is None:
        return True
    if not isinstance(condition, dict) or len(condition) == 0:
        raise ConditionError(f"not a condition: {condition!r}")
    if "all" in condition:
        return all(is_shown(c, answers) for c in _list(condition["all"]))
    if "any" in condition:
        return any(is_shown(c, answers) for c in _list(condition["any"]))
    if "not" in condition:
        return not is_shown(condition["not"], answers)
    key = condition.get("q")
    if not isinstance(key, str):
        raise ConditionError(f"condition without a question: {condition!r}")
    value = answers.get(key)
    if value is None or value == NA:
        return False
    if "in" in condition:
        allowed = {_text(v) for v in _list(condition["in"])}
        if isinstance(value, list):
            return any(_text(v) in allowed for v in value)
        return _text(value) in allowed
    if "has" in condition:
        return isinstance(value, list) and _text(condition["has"]) in {_text(v) for v in value}
    if "cmp" in condition:
        return _compare(value, condition["cmp"], condition.get("value"))
    raise ConditionError(f"condition without 'in' or 'has': {condition!r}")


COMPARISONS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _compare(value: Any, operator: Any, bound: Any) -> bool:
    if operator not in COMPARISONS:
        raise ConditionError(f"unknown comparison {operator!r}")
    try:
        return bool(COMPARISONS[operator](float(value), float(bound)))
    except (TypeError, ValueError):
        return False


def referenced_questions(condition: Any) -> set[str]:
    """Every question key a condition reads (to check they come earlier in the form)."""
    return {leaf["q"] for leaf in condition_leaves(condition)}


def condition_leaves(condition: Any) -> list[dict[str, Any]]:
    """The simple conditions (``q`` with ``in`` or ``has``) that ``condition`` combines; raises
    ``ConditionError`` when it is not in the grammar above."""
    if condition is None:
        return []
    if not isinstance(condition, dict):
        raise ConditionError(f"not a condition: {condition!r}")
    for combinator in ("all", "any"):
        if combinator in condition:
            return [leaf for c in _list(condition[combinator]) for leaf in condition_leaves(c)]
    if "not" in condition:
        return condition_leaves(condition["not"])
    if not isinstance(condition.get("q"), str):
        raise ConditionError(f"condition without a question: {condition!r}")
    if "in" in condition:
        _list(condition["in"])
    elif "cmp" in condition:
        if condition["cmp"] not in COMPARISONS or not isinstance(
            condition.get("value"), int | float
        ):
            raise ConditionError(f"not a comparison: {condition!r}")
    elif "has" not in condition:
        raise ConditionError(f"condition without 'in' or 'has': {condition!r}")
    return [condition]


def _list(value: Any) -> Iterable[Any]:
    if not isinstance(value, list):
        raise ConditionError(f"expected a list, got {value!r}")
    return value


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
