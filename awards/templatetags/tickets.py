"""Template filters for the ticket pages."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def kr(ore: int | None) -> str:
    """Øre as kroner in the active language: "1 234,50 kr" / "1,234.50 kr"."""
    if ore is None:
        return ""
    return f"{number_format(Decimal(ore) / 100, 2, force_grouping=True)} kr"
