"""Scoring of an observed contact: one pure function, and the waiting rules of DOMAIN.md.

A contact's score is the weighted mean of its performance areas, each area being points earned
over points possible (× 100) across the scored questions that apply; a question answered N/A is
left out of both. A question's weight multiplies its points. Waiting time contributes its share
(default 5 %) of the total; the rest comes from the areas. **A contact never answered scores 0**,
in total and in every area where something scored applies to it (an area with nothing scored
gets no score at all, as for an answered contact). CX items (CSAT, CES, NPS) and unscored
questions never reach this function.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np


@dataclass(frozen=True)
class ScoredItem:
    """One applicable scored question: its area, and points earned and possible (× weight)."""

    section: str
    earned: float
    possible: float


@dataclass(frozen=True)
class ContactScore:
    total: float | None
    sections: dict[str, float]


def contact_score(
    *,
    answered: bool,
    items: Iterable[ScoredItem],
    section_weights: Mapping[str, float],
    wait_score: float | None = None,
    wait_share: float = 0.05,
) -> ContactScore:
    """The contact's score on 0–100 and each area's; ``total`` is None when nothing applies.

    For a contact never answered, ``items`` are the scored questions that apply to it (what it
    could have earned): it scores 0 in total and in each of their areas."""
    if not answered:
        applicable = {item.section for item in items if item.possible > 0}
        return ContactScore(total=0.0, sections=dict.fromkeys(sorted(applicable), 0.0))
    earned: dict[str, float] = {}
    possible: dict[str, float] = {}
    for item in items:
        earned[item.section] = earned.get(item.section, 0.0) + item.earned
        possible[item.section] = possible.get(item.section, 0.0) + item.possible
    sections = {s: earned[s] / possible[s] * 100.0 for s in possible if possible[s] > 0}
    weighted = [(float(section_weights.get(s, 1.0)), v) for s, v in sections.items()]
    weight_sum = sum(w for w, _v in weighted)
    areas = sum(w * v for w, v in weighted) / weight_sum if weight_sum > 0 else None
    if wait_score is None or wait_share <= 0:
        return ContactScore(total=areas, sections=sections)
    if areas is None:
        return ContactScore(total=wait_score, sections=sections)
    return ContactScore(
        total=(1.0 - wait_share) * areas + wait_share * wait_score, sections=sections
    )


#: Waiting limits per channel (DOMAIN.md). E-mail and contact forms count working days.
WAIT_LIMIT_MINUTES = {"phone": 5, "chat": 5, "chatbot": 5, "social": 30}
WAIT_LIMIT_WORKING_DAYS = {"email": 3, "contact_form": 3}


def wait_minutes(channel: str, started: datetime, answered: datetime) -> float:
    """Minutes waited; for channels with a limit in working days, weekend time does not count."""
    if channel not in WAIT_LIMIT_WORKING_DAYS:
        return (answered - started).total_seconds() / 60
    minutes = int(np.busday_count(started.date(), answered.date())) * 1440.0
    if np.is_busday(started.date()):
        minutes -= _minutes_into_day(started)
    if np.is_busday(answered.date()):
        minutes += _minutes_into_day(answered)
    return max(0.0, minutes)


def _minutes_into_day(moment: datetime) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


def wait_limit_minutes(channel: str) -> float:
    if channel in WAIT_LIMIT_WORKING_DAYS:
        return WAIT_LIMIT_WORKING_DAYS[channel] * 1440.0
    return float(WAIT_LIMIT_MINUTES.get(channel, 5))


def within_limit(channel: str, started: datetime, answered: datetime) -> bool:
    """Was the answer inside the channel's waiting limit? Later than that is no answer."""
    return wait_minutes(channel, started, answered) <= wait_limit_minutes(channel)


def wait_score(channel: str, minutes: float) -> float:
    """Waiting time on 0–100: 100 when answered at once, falling linearly to 0 at the limit."""
    limit = wait_limit_minutes(channel)
    return max(0.0, 100.0 * (1.0 - minutes / limit))
