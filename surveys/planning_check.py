"""An independent check of a plan against every planning rule.

Written apart from ``surveys.planning`` (it shares only the input types and recomputes the quotas
from first principles), so the tests, the benchmark and the planning service can each confirm a
plan before trusting it. Returns the violations found; an empty list means the plan is sound.
"""

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from surveys.planning import PlanInput, Slot


def expected_quotas(data: PlanInput) -> dict[tuple[int, str], int]:
    """Quotas by Hamilton's method in exact fractions, over the channels each company offers."""
    result: dict[tuple[int, str], int] = {}
    order = [ch for ch, share in data.shares.items() if share > 0]
    for company in data.companies:
        offered = [ch for ch in order if ch in company.channels]
        if not offered:
            continue
        shares = {ch: Fraction(data.shares[ch]) for ch in offered}
        whole = sum(shares.values())
        exact = {ch: data.contacts_per_company * shares[ch] / whole for ch in offered}
        floor = {ch: int(exact[ch]) for ch in offered}
        short = data.contacts_per_company - sum(floor.values())
        ranked = sorted(offered, key=lambda ch: (floor[ch] - exact[ch], order.index(ch)))
        for ch in ranked[:short]:
            floor[ch] += 1
        result.update({(company.id, ch): n for ch, n in floor.items() if n})
    return result


def plan_violations(data: PlanInput, new: Sequence[Slot]) -> list[str]:
    slots = [*data.kept, *new]
    problems: list[str] = []
    observers = {o.id: o for o in data.observers}
    companies = {c.id: c for c in data.companies}

    got = Counter((s.company, s.channel) for s in slots)
    want = expected_quotas(data)
    for key in sorted(set(got) | set(want)):
        if got[key] != want.get(key, 0):
            problems.append(f"quota {key}: planned {got[key]}, expected {want.get(key, 0)}")

    for s in slots:
        if not 1 <= s.week <= data.weeks:
            problems.append(f"{s}: week outside 1..{data.weeks}")
        if s.observer not in observers:
            problems.append(f"{s}: unknown or inactive observer")
            continue
        if s.company not in companies:
            problems.append(f"{s}: company not in the wave")
            continue
        if s.channel not in companies[s.company].channels:
            problems.append(f"{s}: company does not offer {s.channel}")
        if s.channel not in observers[s.observer].channels:
            problems.append(f"{s}: observer does not do {s.channel}")
        if s.company in observers[s.observer].conflicts:
            problems.append(f"{s}: observer is a customer of the company")

    for (observer, week), n in Counter((s.observer, s.week) for s in slots).items():
        if observer in observers and n > observers[observer].weekly_capacity:
            problems.append(f"observer {observer} week {week}: {n} > capacity")
    for (observer, company), n in Counter((s.observer, s.company) for s in slots).items():
        if n > data.max_per_observer_company:
            problems.append(f"observer {observer} company {company}: {n} contacts")
    for triple, n in Counter((s.observer, s.company, s.channel) for s in slots).items():
        if n > 1:
            problems.append(f"observer/company/channel {triple}: {n} contacts")

    per_company_week = Counter((s.company, s.week) for s in slots)
    for company in companies:
        counts = [per_company_week[(company, w)] for w in range(1, data.weeks + 1)]
        if counts and max(counts) - min(counts) > 1:
            problems.append(f"company {company}: uneven weeks {counts}")
    return problems
