import re
from typing import Any

from django import template

from surveys.branching import NA

register = template.Library()


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


@register.filter
def as_input(value: Any) -> str:
    if value is None or value == NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@register.simple_tag
def na_value() -> str:
    return NA


_REFERENCE = re.compile(r"\$\{\s*([A-Za-z_][\w.-]*)\s*\}")


@register.filter
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

    return _REFERENCE.sub(answer, text)
