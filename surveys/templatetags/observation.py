"""Template helpers for the observer programme's staff pages."""

from functools import lru_cache
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from surveys.models import AssignmentStatus, Channel, Wave
from surveys.weeks import week_label

register = template.Library()

#: Short channel names for the plan grid's cells.
CHANNEL_SHORT = {
    Channel.PHONE.value: gettext_lazy("Tel"),
    Channel.CHAT.value: gettext_lazy("Chat"),
    Channel.CHATBOT.value: gettext_lazy("Bot"),
    Channel.EMAIL.value: gettext_lazy("Mail"),
    Channel.CONTACT_FORM.value: gettext_lazy("Form"),
    Channel.SOCIAL.value: gettext_lazy("Msgr"),
    Channel.SELF_SERVICE.value: gettext_lazy("Self"),
}


@register.simple_tag
def wave_week(wave: Wave, week: int) -> str:
    """ "week 16 of the wave (calendar week 49)"; ``|capfirst`` it to start a sentence."""
    return week_label(starts_on=wave.starts_on, week=week)


@register.simple_tag
def plan_cell(items: list[Any], move_url: str) -> SafeString:
    """A plan-grid cell's contacts: links to move those not yet started, plain text for the
    rest. Built here rather than in template loops: a big plan has thousands of them."""
    short, channels, statuses, move = _labels(get_language() or "nb")
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(
                    '<a class="plan-item" href="{}" aria-label="{}, {}: {}">{} {}</a>',
                    move_url.format(item.pk),
                    channels.get(item.channel, item.channel),
                    item.observer_name,
                    move,
                    short.get(item.channel, item.channel),
                    item.initials,
                )
                if item.movable
                else format_html(
                    '<span class="plan-item done">{} {}<span class="visually-hidden"> ({}, {})'
                    "</span></span>",
                    short.get(item.channel, item.channel),
                    item.initials,
                    item.observer_name,
                    statuses.get(item.status, item.status),
                ),
            )
            for item in items
        ),
    )


@lru_cache(maxsize=8)
def _labels(language: str) -> tuple[dict[str, str], dict[str, str], dict[str, str], str]:
    """The grid's labels in ``language``, resolved once (not once per cell)."""
    return (
        {value: str(label) for value, label in CHANNEL_SHORT.items()},
        {value: str(label) for value, label in Channel.choices},
        {value: str(label) for value, label in AssignmentStatus.choices},
        _("move"),
    )
