"""The weeks of a wave: week 1 is the calendar week (Monday to Sunday) the wave starts in."""

from datetime import date, timedelta

from django.utils import timezone


def week_bounds(*, starts_on: date, week: int) -> tuple[date, date]:
    """Monday and Sunday of a wave's ``week``."""
    monday = starts_on - timedelta(days=starts_on.weekday()) + timedelta(weeks=week - 1)
    return monday, monday + timedelta(days=6)


def current_week(*, starts_on: date, today: date | None = None) -> int:
    """The wave's week number that ``today`` falls in (0 or less before the wave starts)."""
    first_monday, _sunday = week_bounds(starts_on=starts_on, week=1)
    return ((today or timezone.localdate()) - first_monday).days // 7 + 1
