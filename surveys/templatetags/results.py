"""Figures as the public reads them: localised numbers (70,3 % in bokmål), intervals, changes,
and the small interval chart drawn beside a table row (decorative: the row's cells carry the
numbers)."""

from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from surveys.models import ResultRow
from surveys.models.results import Metric
from surveys.result_selectors import channel_label, channel_slug
from surveys.stats import round_half_up

register = template.Library()

NBSP = "\u00a0"
MINUS = "\u2212"


def _number(value: float, decimals: int = 1, signed: bool = False) -> str:
    """Rounded half up (as ranks are) and localised: Django's number_format truncates."""
    rounded = round_half_up(value, decimals)
    text = number_format(abs(rounded), decimals)
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if signed and rounded > 0 else text


@register.filter
def figure(row: ResultRow | None) -> str:
    """The row's value with its unit, or a dash; never a suppressed row's value."""
    if row is None or row.suppressed or row.value is None:
        return "–"
    if row.metric == Metric.SHARE:
        return f"{_number(row.value)}{NBSP}%"
    if row.metric == Metric.NPS:
        return _number(row.value, 0, signed=True)
    return _number(row.value)


@register.filter
def interval(row: ResultRow | None) -> str:
    if row is None or row.suppressed or row.ci_low is None or row.ci_high is None:
        return "–"
    decimals = 0 if row.metric == Metric.NPS else 1
    low, high = _bounded(row)
    # In words: "−12–−7" reads as a subtraction.
    return _("%(low)s to %(high)s") % {
        "low": _number(low, decimals),
        "high": _number(high, decimals),
    }


def _bounded(row: ResultRow) -> tuple[float, float]:
    """The interval within the scale (a t-interval near 0 or 100 can reach past it)."""
    low_end, high_end = (-100.0, 100.0) if row.metric == Metric.NPS else (0.0, 100.0)
    return max(low_end, row.ci_low or 0.0), min(high_end, row.ci_high or 0.0)


@register.filter
def change(row: ResultRow | None) -> str:
    if row is None or row.suppressed or row.change is None:
        return "–"
    decimals = 0 if row.metric == Metric.NPS else 1
    text = _number(row.change, decimals, signed=True)
    return f"{text}{NBSP}*" if row.significant else text


@register.filter
def number(value: Any, decimals: int = 0) -> str:
    return "–" if value is None else _number(float(value), decimals)


@register.simple_tag
def interval_bar(row: ResultRow | None) -> SafeString:
    """A 0–100 (NPS: −100–100) scale with the value as a dot and its interval as a line."""
    if row is None or row.suppressed or row.value is None:
        return SafeString("")
    low_end, high_end = (-100.0, 100.0) if row.metric == Metric.NPS else (0.0, 100.0)

    def x(v: float) -> float:
        return round(2 + 196 * (min(max(v, low_end), high_end) - low_end) / (high_end - low_end), 1)

    low, high = _bounded(row) if row.ci_low is not None else (row.value, row.value)
    return format_html(
        '<svg class="ci-bar" viewBox="0 0 200 16" width="200" height="16" aria-hidden="true" '
        'focusable="false"><line class="ci-axis" x1="2" y1="8" x2="198" y2="8"/>'
        '<line class="ci-range" x1="{}" y1="8" x2="{}" y2="8"/>'
        '<circle class="ci-dot" cx="{}" cy="8" r="4"/></svg>',
        x(low),
        x(high),
        x(row.value),
    )


@register.simple_tag(takes_context=True)
def results_url(context: dict[str, Any], kind: str, target: Any = None) -> str:
    """Links between the results pages of the wave being shown."""
    wave = context["wave"]
    args: list[Any] = [wave.study.slug, wave.slug]
    if kind == "channel":
        args.append(channel_slug(target))
    elif kind in {"industry", "company", "group"}:
        args.append(target.slug)
    return reverse(f"results-{kind}", args=args)


@register.filter
def channel_name(code: str) -> str:
    return channel_label(code)


@register.simple_tag
def suppressed_note(row: ResultRow, minimum: int) -> str:
    return _("Not published: %(n)d answers, fewer than %(min)d.") % {"n": row.n, "min": minimum}


@register.filter
def measure_label(row: ResultRow, labels: dict[str, str]) -> str:
    """What a row measures. A question's own figures say which they are: the NPS question is
    published both as NPS (−100 to 100) and as an average on the 0–100 scale."""
    return row_label(row, labels)


def row_label(row: ResultRow, labels: dict[str, str]) -> str:
    label = labels.get(row.measure, row.measure)
    if row.metric == Metric.NPS:
        return _("%(question)s – NPS (−100 to 100)") % {"question": label}
    if row.metric == Metric.MEAN and row.measure.startswith("q:"):
        return _("%(question)s – average (0–100)") % {"question": label}
    return label


@register.simple_tag(takes_context=True)
def figure_base(context: dict[str, Any], rows: Any) -> str:
    """Who the figures are counted over ("of all contacts", "of respondents who answered"),
    when every row shares one base; else nothing (the rows then say it one by one)."""
    published = context.get("published")
    bases = {published.base(r.measure) for r in rows or []} if published else set()
    if len(bases) != 1:
        return ""
    return _("Base: %(base)s.") % {"base": bases.pop()}


@register.simple_tag(takes_context=True)
def row_base(context: dict[str, Any], row: ResultRow) -> str:
    published = context.get("published")
    return published.base(row.measure) if published else ""


@register.simple_tag
def bar_chart(found: list[ResultRow], title: str, labels: list[str] | None = None) -> SafeString:
    """Horizontal bars with interval whiskers, one per row, named by ``labels`` (by default
    the rows' channels); an image whose figures the table beside it carries (``role="img"``
    with a label saying so)."""
    names = labels if labels is not None else [channel_label(r.channel) for r in found]
    shown = [
        (row, name)
        for row, name in zip(found, names, strict=True)
        if not row.suppressed and row.value is not None
    ]
    if not shown:
        return SafeString("")
    # Each name on its own line above its bar: a long name ("Messenger / sosiale medier")
    # is never clipped behind the bars, and the chart is narrow enough (260 units) that its
    # text stays readable when a phone scales it down.
    row_height, scale, value_room = 44, 2.0, 60
    height = row_height * len(shown) + 4
    parts = []
    for i, (row, name) in enumerate(shown):
        y = i * row_height + 4
        bar_y = y + 20
        width = round(max(0.0, min(100.0, row.value or 0.0)) * scale, 1)
        low, high = _bounded(row) if row.ci_low is not None else (row.value, row.value)
        parts.append(
            format_html(
                '<text x="0" y="{}" class="bar-label">{}</text>'
                '<rect x="0" y="{}" width="{}" height="16" class="bar"/>'
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="whisker"/>'
                '<text x="{}" y="{}" class="bar-value">{}</text>',
                y + 14,
                name,
                bar_y,
                width,
                round((low or 0.0) * scale, 1),
                round((high or 0.0) * scale, 1),
                bar_y + 8,
                bar_y + 8,
                100 * scale + 8,
                bar_y + 13,
                figure(row),
            )
        )
    return format_html(
        '<figure class="chart"><svg viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>'
        "<figcaption>{}</figcaption></figure>",
        round(100 * scale) + value_room,
        height,
        _("%(title)s: a chart; the table below gives the same figures.") % {"title": title},
        SafeString("".join(parts)),
        _("Bars show the average, lines the 95 % interval."),
    )
