"""The assignment planner: every rule holds on random feasible inputs; infeasible ones are
refused with the rule named; the same seed gives the same plan; re-planning keeps what started."""

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.planning import CompanyIn, Infeasible, ObserverIn, PlanInput, Slot, plan
from surveys.planning_check import expected_quotas, plan_violations

CHANNELS = ["phone", "chat", "email", "social"]
KEY = {"phone": 0.4, "chat": 0.2, "email": 0.2, "social": 0.2}


def workload(seed: int, companies: int, observers: int, weeks: int, per: int) -> PlanInput:
    """Random companies and observers with conflicts, and enough slack to be feasible."""
    rng = random.Random(seed)
    comps = [
        CompanyIn(i, f"Company {i}", frozenset(rng.sample(CHANNELS, rng.choice([1, 2, 3, 4]))))
        for i in range(1, companies + 1)
    ]
    obs = []
    for j in range(observers):
        conflicts = frozenset(
            rng.sample(range(1, companies + 1), min(companies, rng.randint(0, 2)))
        )
        obs.append(
            ObserverIn(
                100 + j,
                f"Observer {j}",
                rng.choice([2, 3, 4]),
                frozenset(rng.sample(CHANNELS, rng.choice([3, 4]))),
                conflicts,
            )
        )
    return PlanInput(comps, obs, KEY, per, weeks, 2, seed)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    companies=st.integers(1, 12),
    weeks=st.integers(1, 8),
    per=st.integers(1, 12),
)
def test_every_rule_holds_or_the_planner_names_what_fails(seed, companies, weeks, per):
    data = workload(seed, companies, observers=30, weeks=weeks, per=per)
    outcome = plan_or_problems(data)
    if isinstance(outcome, Infeasible):
        assert outcome.problems
        assert all(p.message and p.rule for p in outcome.problems)
    else:
        assert plan_violations(data, outcome) == []


def plan_or_problems(data: PlanInput) -> list[Slot] | Infeasible:
    try:
        return plan(data)
    except Infeasible as exc:
        return exc


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), weeks=st.integers(2, 8))
def test_ample_capacity_is_always_planned(seed, weeks):
    """With 40 observers who all do every channel and room to spare, a plan must exist."""
    rng = random.Random(seed)
    comps = [
        CompanyIn(i, f"C{i}", frozenset(rng.sample(CHANNELS, rng.randint(1, 4))))
        for i in range(1, 9)
    ]
    obs = [
        ObserverIn(100 + j, f"O{j}", 3, frozenset(CHANNELS), frozenset(rng.sample(range(1, 9), 1)))
        for j in range(40)
    ]
    data = PlanInput(comps, obs, KEY, 10, weeks, 2, seed)
    slots = plan(data)
    assert len(slots) == 80
    assert plan_violations(data, slots) == []


def test_a_company_lacking_a_channel_keeps_its_total():
    observers = [ObserverIn(100 + j, f"O{j}", 4, frozenset(CHANNELS)) for j in range(20)]
    full = CompanyIn(1, "Alle kanaler", frozenset(CHANNELS))
    no_chat = CompanyIn(99, "Uten chat", frozenset({"phone", "email", "social"}))
    data = PlanInput([full, no_chat], observers, KEY, 25, 5, 2, 1)
    quotas = expected_quotas(data)
    assert sum(n for (c, _ch), n in quotas.items() if c == 99) == 25
    assert (99, "chat") not in quotas
    # 0.4/0.8 × 25 = 12.5 → 13 phone (largest remainder, first in the key), 6 and 6
    assert quotas[(99, "phone")] == 13
    assert quotas[(99, "email")] + quotas[(99, "social")] == 12
    slots = plan(data)
    assert Counter(s.company for s in slots)[99] == 25


def test_the_same_seed_gives_the_same_plan_and_another_seed_may_differ():
    data = workload(7, companies=10, observers=30, weeks=6, per=12)
    assert plan(data) == plan(data)


def test_contacts_spread_evenly_and_load_balanced():
    data = workload(3, companies=20, observers=30, weeks=8, per=16)
    slots = plan(data)
    per_week = Counter((s.company, s.week) for s in slots)
    for company in data.companies:
        counts = [per_week[(company.id, w)] for w in range(1, 9)]
        assert counts == [2] * 8
    capacity = {o.id: o.weekly_capacity * 8 for o in data.observers}
    load = Counter(s.observer for s in slots)
    ratios = [load[o] / capacity[o] for o in capacity]
    # 320 contacts over ~720 places: nobody is loaded far above the average share.
    assert max(ratios) - min(ratios) < 0.35


def test_infeasible_names_the_company_and_the_rule():
    comps = [CompanyIn(1, "Telenor", frozenset({"chat"}))]
    obs = [
        ObserverIn(10, "Kari", 5, frozenset({"chat"})),
        ObserverIn(11, "Ola", 5, frozenset({"chat"})),
    ]
    data = PlanInput(comps, obs, KEY, 5, 4, 2, 1)
    with pytest.raises(Infeasible) as exc:
        plan(data)
    messages = " ".join(p.message for p in exc.value.problems)
    assert "Telenor" in messages
    assert {p.rule for p in exc.value.problems} >= {"one_per_channel"}


def test_conflicts_are_never_planned_even_when_that_makes_it_infeasible():
    comps = [CompanyIn(1, "DNB", frozenset({"phone"}))]
    obs = [ObserverIn(10 + i, f"O{i}", 5, frozenset({"phone"}), frozenset({1})) for i in range(10)]
    with pytest.raises(Infeasible) as exc:
        plan(PlanInput(comps, obs, KEY, 3, 3, 2, 1))
    assert "DNB" in str(exc.value)


def test_too_little_capacity_is_refused():
    comps = [CompanyIn(i, f"C{i}", frozenset({"phone"})) for i in range(1, 11)]
    obs = [ObserverIn(100 + j, f"O{j}", 1, frozenset({"phone"})) for j in range(20)]
    with pytest.raises(Infeasible) as exc:
        plan(PlanInput(comps, obs, KEY, 5, 2, 2, 1))  # 50 contacts, room for 40
    assert any(p.rule == "capacity" for p in exc.value.problems)


def test_no_observers_or_companies_is_refused_with_a_message():
    with pytest.raises(Infeasible) as exc:
        plan(PlanInput([], [], KEY))
    assert {p.rule for p in exc.value.problems} == {"companies", "observers"}


def test_replanning_keeps_started_contacts_and_still_meets_every_rule():
    data = workload(11, companies=8, observers=30, weeks=6, per=12)
    first = plan(data)
    kept = [s for s in first if s.week <= 2]
    again = PlanInput(data.companies, data.observers, KEY, 12, 6, 2, seed=99, kept=kept)
    new = plan(again)
    assert not set(new) & set(kept)
    assert len(new) + len(kept) == len(first)
    assert plan_violations(again, new) == []


def test_checker_catches_a_broken_plan():
    """The independent checker is not a rubber stamp: each kind of breakage is reported."""
    data = workload(5, companies=4, observers=30, weeks=4, per=8)
    slots = plan(data)
    s = slots[0]
    conflicted = next(o for o in data.observers if o.conflicts)
    broken = [
        [*slots[1:]],  # quota short
        [*slots, s],  # same observer/company/channel twice, quota over
        [Slot(s.week, s.company, s.channel, 999), *slots[1:]],  # unknown observer
        [Slot(s.week, next(iter(conflicted.conflicts)), s.channel, conflicted.id), *slots[1:]],
        [Slot(data.weeks + 1, s.company, s.channel, s.observer), *slots[1:]],
    ]
    for plan_ in broken:
        assert plan_violations(data, plan_), plan_[:2]
