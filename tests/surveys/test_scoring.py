"""Scoring of an observed contact against an independent reference and hand-computed cases."""

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.scoring import (
    ScoredItem,
    contact_score,
    wait_minutes,
    wait_score,
    within_limit,
)

SECTIONS = ["availability", "agent", "solution", "overall"]


def reference(items, weights, wait, share):
    """The formula written another way: matrices of earned and possible per area."""
    earned = np.zeros(len(SECTIONS))
    possible = np.zeros(len(SECTIONS))
    for it in items:
        i = SECTIONS.index(it.section)
        earned[i] += it.earned
        possible[i] += it.possible
    w = np.array([weights[s] for s in SECTIONS], dtype=float)
    mask = (possible > 0) & (w > 0)
    if not mask.any():
        areas = None
    else:
        areas = float(np.dot(w[mask], earned[mask] / possible[mask] * 100) / w[mask].sum())
    if wait is None or share <= 0:
        return areas
    if areas is None:
        return wait
    return areas * (1 - share) + wait * share


item = st.builds(
    lambda s, possible, frac, weight: ScoredItem(s, possible * weight * frac, possible * weight),
    st.sampled_from(SECTIONS),
    st.sampled_from([1.0, 2.0, 3.0, 5.0]),
    st.floats(0, 1),
    st.sampled_from([1.0, 1.5, 2.0]),
)


@given(
    items=st.lists(item, max_size=20),
    weights=st.fixed_dictionaries({s: st.sampled_from([0.5, 1.0, 2.0, 3.0]) for s in SECTIONS}),
    wait=st.none() | st.floats(0, 100),
    share=st.sampled_from([0.0, 0.05, 0.1]),
)
def test_matches_the_reference_formula(items, weights, wait, share):
    got = contact_score(
        answered=True, items=items, section_weights=weights, wait_score=wait, wait_share=share
    ).total
    want = reference(items, weights, wait, share)
    if want is None:
        assert got is None
    else:
        assert got == pytest.approx(want, abs=1e-9)
        assert 0 <= got <= 100 + 1e-9


@given(items=st.lists(item, max_size=10), wait=st.none() | st.floats(0, 100))
def test_a_contact_never_answered_scores_zero_everywhere(items, wait):
    score = contact_score(
        answered=False, items=items, section_weights=dict.fromkeys(SECTIONS, 1.0), wait_score=wait
    )
    assert score.total == 0
    # 0 in each area something scored applies to; no score for an area with nothing to earn.
    assert score.sections == dict.fromkeys({i.section for i in items if i.possible > 0}, 0.0)


def test_hand_computed_contact():
    # availability: 2 of 3 points; agent: 4 of 4 (one question weighted ×2: 2×2 of 2×2);
    # overall: "would buy" N/A is simply absent; weights availability 1, agent 2.
    items = [
        ScoredItem("availability", 2, 3),
        ScoredItem("agent", 4, 4),
    ]
    score = contact_score(
        answered=True,
        items=items,
        section_weights={"availability": 1, "agent": 2, "overall": 1},
        wait_score=40.0,
        wait_share=0.05,
    )
    areas = (1 * 200 / 3 + 2 * 100) / 3  # 88.888…
    assert score.sections == pytest.approx({"availability": 200 / 3, "agent": 100.0})
    assert score.total == pytest.approx(0.95 * areas + 0.05 * 40)  # 86.444…
    assert round(score.total, 3) == 86.444


def test_na_drops_out_of_earned_and_possible():
    with_na = contact_score(
        answered=True, items=[ScoredItem("overall", 1, 1)], section_weights={"overall": 1}
    )
    with_zero = contact_score(
        answered=True,
        items=[ScoredItem("overall", 1, 1), ScoredItem("overall", 0, 1)],
        section_weights={"overall": 1},
    )
    assert with_na.total == 100
    assert with_zero.total == 50


def test_waiting_rules():
    t0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # a Friday afternoon
    assert within_limit("phone", t0, t0.replace(minute=5))
    assert not within_limit("phone", t0, t0.replace(minute=6))
    assert within_limit("social", t0, t0.replace(minute=30))
    assert not within_limit("social", t0, t0.replace(minute=31))
    # E-mail: Friday 14:00 → Monday 10:00 is 20 working hours, not 68 hours.
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert wait_minutes("email", t0, monday) == 20 * 60
    assert within_limit("email", t0, datetime(2026, 11, 25, 14, 0, tzinfo=UTC))
    assert not within_limit("email", t0, datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    assert wait_score("phone", 0) == 100
    assert wait_score("phone", 2.5) == 50
    assert wait_score("phone", 9) == 0
