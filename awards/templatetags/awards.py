"""How the award pages write figures: as the results pages do (localised, rounded half up),
with intervals written out ("70,1 til 74,3")."""

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()
MINUS = "\u2212"


def _number(value: float, decimals: int = 1) -> str:
    from decimal import ROUND_HALF_UP, Decimal

    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = number_format(abs(rounded), decimals)
    return MINUS + text if rounded < 0 else text


@register.filter
def award_figure(value: Any) -> str:
    return "–" if value is None else _number(float(value))


@register.filter
def award_interval(placement: Any) -> str:
    if placement is None or placement.ci_low is None or placement.ci_high is None:
        return "–"
    low, high = max(0.0, placement.ci_low), min(100.0, placement.ci_high)
    return _("%(low)s to %(high)s") % {"low": _number(low), "high": _number(high)}
