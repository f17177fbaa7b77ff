"""The weeks of a wave: week 1 is the calendar week (Monday to Sunday) the wave starts in."""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _


def week_bounds(*, starts_on: date, week: int) -> tuple[date, date]:
    """Monday and Sunday of a wave's ``week``."""
    monday = starts_on - timedelta(days=starts_on.weekday()) + timedelta(weeks=week - 1)
    return monday, monday + timedelta(days=6)


def current_week(*, starts_on: date, today: date | None = None) -> int:
    """The wave's week number that ``today`` falls in (0 or less before the wave starts)."""
    first_monday, _sunday = week_bounds(starts_on=starts_on, week=1)
    return ((today or timezone.localdate()) - first_monday).days // 7 + 1


def calendar_week(*, starts_on: date, week: int) -> int:
    """The ISO week (what a Norwegian calendar shows) of a wave's ``week``."""
    return week_bounds(starts_on=starts_on, week=week)[0].isocalendar().week


def week_label(*, starts_on: date, week: int) -> str:
    """ "week 16 of the wave (calendar week 49)": a wave's own week number alone reads like a
    calendar week, which it is not."""
    return _("week %(week)s of the wave (calendar week %(iso)s)") % {
        "week": week,
        "iso": calendar_week(starts_on=starts_on, week=week),
    }
