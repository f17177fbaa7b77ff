"""Finalists from a golden result set, computed by hand.

Bank, measure "score", minimum n of the category 20:

========  =======  ===  ===========  ===================================
company   score    n    interval     why
========  =======  ===  ===========  ===================================
Alfa      80.04    40   75–85        rounds to 80.0, like Beta: shared rank 1
Beta      79.96    60   76–84        … higher n: Beta first under "higher n"
Gamma     70.0     30   60–80        overlaps Beta's interval: statistically tied
Delta     90.0      5   —            suppressed (below the wave's minimum n): never qualifies
Epsilon   65.0     12   62–68        below the category's minimum n of 20: excluded
Zeta      50.0    100   48–52        fourth: not a finalist
========  =======  ===  ===========  ===================================
"""

import pytest

from awards.models import TieBreak
from awards.selectors import computed_finalists
from tests.awards.factories import AwardEventFactory, published_league, rule_category

pytestmark = pytest.mark.django_db

GOLDEN = [
    {"name": "Alfa", "value": 80.04, "n": 40, "ci": (75, 85), "extra": {"area:agent": 90}},
    {"name": "Beta", "value": 79.96, "n": 60, "ci": (76, 84), "extra": {"area:agent": 70}},
    {"name": "Gamma", "value": 70.0, "n": 30, "ci": (60, 80)},
    {"name": "Delta", "value": 90.0, "n": 5, "ci": (50, 100), "suppressed": True},
    {"name": "Epsilon", "value": 65.0, "n": 12, "ci": (62, 68)},
    {"name": "Zeta", "value": 50.0, "n": 100, "ci": (48, 52)},
]


def category(**kwargs):
    wave, industry, _companies = published_league(GOLDEN)
    return rule_category(AwardEventFactory(), wave, industry, **{"minimum_n": 20, **kwargs})


def names(candidates):
    return [c.company.name for c in candidates]


def test_a_tie_broken_by_higher_n_a_suppressed_and_a_too_small_company() -> None:
    computed = computed_finalists(category(tie_break=TieBreak.HIGHER_N))
    assert names(computed.finalists) == ["Beta", "Alfa", "Gamma"]
    assert [c.rank for c in computed.finalists] == [1, 1, 3]
    assert computed.winner.company.name == "Beta"
    assert not computed.needs_decision
    assert {x.company.name for x in computed.excluded} == {"Delta", "Epsilon"}
    tied = {c.company.name for c in computed.finalists if c.statistically_tied}
    assert tied == {"Beta", "Alfa", "Gamma"}  # Beta's 76–84 overlaps both


def test_another_measure_decides_the_tie_instead() -> None:
    computed = computed_finalists(
        category(tie_break=TieBreak.OTHER_METRIC, tie_break_measure="area:agent")
    )
    assert names(computed.finalists)[:2] == ["Alfa", "Beta"]
    assert computed.winner.company.name == "Alfa"


def test_a_tie_the_rule_leaves_to_the_jury_needs_the_managers_choice() -> None:
    computed = computed_finalists(category(tie_break=TieBreak.JURY))
    assert computed.winner is None
    assert computed.needs_decision
    assert set(names(computed.finalists)[:2]) == {"Alfa", "Beta"}


def test_the_minimum_n_can_exclude_more_and_the_cut_follows() -> None:
    computed = computed_finalists(category(minimum_n=50, finalist_count=2))
    assert names(computed.finalists) == ["Beta", "Zeta"]
    assert {x.company.name for x in computed.excluded} == {"Alfa", "Gamma", "Delta", "Epsilon"}


def test_an_unpublished_wave_gives_no_finalists() -> None:
    chosen = category()
    chosen.wave.is_public = False
    chosen.wave.save()
    computed = computed_finalists(chosen)
    assert computed.finalists == []
    assert computed.problem
