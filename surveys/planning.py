"""The assignment planner: who contacts which company, in which channel and week.

Pure: it takes plain data and returns plain data, so it is tested and benchmarked without a
database. The service ``surveys.services.assignments`` feeds it and saves what it returns.

How it plans, in three steps that each keep every rule exactly:

1. **Quotas.** A company's contacts split over channels by the distribution key, restricted to the
   channels it offers (the shares are renormalised, so its total stays the same) and rounded by
   largest remainders. Assignments kept from an earlier plan count against the quotas.
2. **Who.** One min-cost flow over (company, channel) → (observer, company) → observer decides
   which observer makes each contact. Arc capacities enforce the rules: one contact per observer,
   company and channel; at most ``max_per_observer_company`` per observer and company; no more
   than weekly capacity × weeks per observer; only channels the observer does; never a company
   the observer is a customer of. Convex costs on each observer's load balance the work, relative
   to capacity.
3. **When.** The contacts now form a bipartite multigraph between companies and observers.
   Week by week, a flow with lower and upper bounds picks each week's contacts so every company
   gets ⌊r/k⌋ or ⌈r/k⌉ of its r remaining contacts over the k remaining weeks (an even spread),
   and no observer exceeds their weekly capacity. Bipartite graphs always admit such an
   equitable colouring (de Werra), so a plan that passed step 2 gets its weeks.

Min-cost flow is OR-Tools' (``SimpleMinCostFlow``), deterministic for the same input; the seed
only orders ties. Anything that cannot be met raises ``Infeasible`` listing each rule broken and
for whom, and nothing is planned.
"""

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from ortools.graph.python import min_cost_flow


@dataclass(frozen=True)
class CompanyIn:
    id: int
    name: str
    channels: frozenset[str]


@dataclass(frozen=True)
class ObserverIn:
    id: int
    name: str
    weekly_capacity: int
    channels: frozenset[str]
    conflicts: frozenset[int] = frozenset()


@dataclass(frozen=True, order=True)
class Slot:
    """One planned contact."""

    week: int
    company: int
    channel: str
    observer: int


@dataclass(frozen=True)
class PlanInput:
    companies: Sequence[CompanyIn]
    observers: Sequence[ObserverIn]
    shares: dict[str, float]
    contacts_per_company: int = 25
    weeks: int = 16
    max_per_observer_company: int = 2
    seed: int = 1
    kept: Sequence[Slot] = ()


@dataclass(frozen=True)
class Problem:
    """One rule that cannot be met, with a message in the active language."""

    rule: str
    message: str


@dataclass
class Infeasible(Exception):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(p.message for p in self.problems)


def plan(data: PlanInput) -> list[Slot]:
    """Every new slot for ``data`` (kept slots are not repeated), or raise ``Infeasible``."""
    _check_input(data)
    quotas = company_quotas(data)
    demand = _remaining_demand(data, quotas)
    _precheck(data, demand)
    pairs = _choose_observers(data, demand)
    slots = _choose_weeks(data, pairs)
    return sorted(slots)


def company_quotas(data: PlanInput) -> dict[tuple[int, str], int]:
    """Contacts per (company, channel): the key over the channels each company offers."""
    quotas: dict[tuple[int, str], int] = {}
    problems = []
    key_order = [ch for ch, share in data.shares.items() if share > 0]
    for company in data.companies:
        offered = [ch for ch in key_order if ch in company.channels]
        if not offered:
            problems.append(
                Problem(
                    "channels",
                    _("%(company)s offers none of the channels in the distribution key.")
                    % {"company": company.name},
                )
            )
            continue
        total_share = sum(data.shares[ch] for ch in offered)
        exact = {ch: data.contacts_per_company * data.shares[ch] / total_share for ch in offered}
        counts = {ch: math.floor(v) for ch, v in exact.items()}
        left = data.contacts_per_company - sum(counts.values())
        # Largest remainders; ties go to the channel listed first in the key.
        for ch in sorted(offered, key=lambda c: (-(exact[c] - counts[c]), key_order.index(c)))[
            :left
        ]:
            counts[ch] += 1
        for ch, n in counts.items():
            if n:
                quotas[(company.id, ch)] = n
    if problems:
        raise Infeasible(problems)
    return quotas


# Step 0: input and quick necessary conditions, each named for the people it concerns.


def _check_input(data: PlanInput) -> None:
    problems = []
    if data.weeks < 1:
        problems.append(Problem("weeks", _("The period must be at least one week.")))
    if not data.companies:
        problems.append(Problem("companies", _("No companies take part in this wave.")))
    if not any(share > 0 for share in data.shares.values()):
        problems.append(Problem("channels", _("The distribution key gives no channel a share.")))
    if not data.observers:
        problems.append(Problem("observers", _("There are no active, trained observers.")))
    if problems:
        raise Infeasible(problems)


def _remaining_demand(data: PlanInput, quotas: dict[tuple[int, str], int]) -> dict:
    kept = Counter((s.company, s.channel) for s in data.kept)
    return {k: max(0, n - kept[k]) for k, n in quotas.items() if n - kept[k] > 0}


def _eligible(data: PlanInput, company: int, channel: str) -> list[ObserverIn]:
    used = {(s.observer, s.company, s.channel) for s in data.kept}
    return [
        o
        for o in data.observers
        if channel in o.channels
        and company not in o.conflicts
        and (o.id, company, channel) not in used
    ]


def _precheck(data: PlanInput, demand: dict[tuple[int, str], int]) -> None:
    names = {c.id: c.name for c in data.companies}
    problems = []
    kept_pair = Counter((s.observer, s.company) for s in data.kept)
    kept_load = Counter(s.observer for s in data.kept)
    per_company: dict[int, int] = defaultdict(int)
    for (company, channel), n in sorted(demand.items()):
        per_company[company] += n
        eligible = _eligible(data, company, channel)
        if len(eligible) < n:
            problems.append(
                Problem(
                    "one_per_channel",
                    _(
                        "%(company)s needs %(n)s %(channel)s contacts, but only %(m)s observers "
                        "can do %(channel)s, are not its customers and have not tested it there "
                        "(each may make one)."
                    )
                    % {"company": names[company], "n": n, "channel": channel, "m": len(eligible)},
                )
            )
    for company, n in sorted(per_company.items()):
        room = sum(
            max(0, data.max_per_observer_company - kept_pair[(o.id, company)])
            for o in data.observers
            if company not in o.conflicts
        )
        if room < n:
            problems.append(
                Problem(
                    "per_company",
                    _(
                        "%(company)s needs %(n)s more contacts, but observers who are not its "
                        "customers can make only %(m)s (at most %(max)s each)."
                    )
                    % {
                        "company": names[company],
                        "n": n,
                        "m": room,
                        "max": data.max_per_observer_company,
                    },
                )
            )
    channel_demand: dict[str, int] = defaultdict(int)
    for (_company, channel), n in demand.items():
        channel_demand[channel] += n
    for channel, n in sorted(channel_demand.items()):
        capacity = sum(
            max(0, o.weekly_capacity * data.weeks - kept_load[o.id])
            for o in data.observers
            if channel in o.channels
        )
        if capacity < n:
            problems.append(
                Problem(
                    "capacity",
                    _(
                        "%(n)s %(channel)s contacts are needed, but the observers who do "
                        "%(channel)s have room for %(m)s over the period."
                    )
                    % {"n": n, "channel": channel, "m": capacity},
                )
            )
    total = sum(demand.values())
    room = sum(max(0, o.weekly_capacity * data.weeks - kept_load[o.id]) for o in data.observers)
    if total > room:
        problems.append(
            Problem(
                "capacity",
                _("%(n)s contacts are needed, but the observers have room for %(m)s in all.")
                % {"n": total, "m": room},
            )
        )
    if problems:
        raise Infeasible(problems)


# Step 1: who makes each contact.


def _choose_observers(
    data: PlanInput, demand: dict[tuple[int, str], int]
) -> list[tuple[int, str, int]]:
    """(company, channel, observer) for each contact still to plan."""
    rng = random.Random(data.seed)
    observers = list(data.observers)
    rng.shuffle(observers)  # the seed orders ties between otherwise equal observers
    kept_pair = Counter((s.observer, s.company) for s in data.kept)
    kept_load = Counter(s.observer for s in data.kept)

    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    next_node = 2
    demand_node: dict[tuple[int, str], int] = {}
    for key in sorted(demand):
        demand_node[key] = next_node
        next_node += 1
    observer_node: dict[int, int] = {}
    for o in observers:
        observer_node[o.id] = next_node
        next_node += 1
    pair_node: dict[tuple[int, int], int] = {}
    contact_arcs: list[tuple[int, tuple[int, str], int]] = []

    for key, node in demand_node.items():
        flow.add_arc_with_capacity_and_unit_cost(source, node, demand[key], 0)
        company, channel = key
        for o in _eligible(data, company, channel):
            room = data.max_per_observer_company - kept_pair[(o.id, company)]
            if room <= 0:
                continue
            pair = (o.id, company)
            if pair not in pair_node:
                pair_node[pair] = next_node
                next_node += 1
                # The second contact with the same company costs a little more: spread companies.
                for k in range(room):
                    flow.add_arc_with_capacity_and_unit_cost(
                        pair_node[pair], observer_node[o.id], 1, 5 * (kept_pair[pair] + k)
                    )
            arc = flow.add_arc_with_capacity_and_unit_cost(node, pair_node[pair], 1, 0)
            contact_arcs.append((arc, key, o.id))
    for o in observers:
        total = o.weekly_capacity * data.weeks
        start = kept_load[o.id]
        # Convex cost in load relative to capacity: the k-th contact costs more than the first.
        for k in range(start, total):
            flow.add_arc_with_capacity_and_unit_cost(
                observer_node[o.id], sink, 1, (1000 * (k + 1)) // max(total, 1)
            )

    need = sum(demand.values())
    flow.set_node_supply(source, need)
    flow.set_node_supply(sink, -need)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise Infeasible([Problem("solver", _("The planner could not solve this wave."))])
    placed: Counter[tuple[int, str]] = Counter()
    result = []
    for arc, key, observer in contact_arcs:
        if flow.flow(arc):
            placed[key] += 1
            result.append((key[0], key[1], observer))
    missing = {k: n - placed[k] for k, n in demand.items() if placed[k] < n}
    if missing:
        names = {c.id: c.name for c in data.companies}
        raise Infeasible(
            [
                Problem(
                    "assignment",
                    _(
                        "%(company)s, %(channel)s: %(n)s contacts find no observer with room "
                        "left who may test it."
                    )
                    % {"company": names[c], "channel": ch, "n": n},
                )
                for (c, ch), n in sorted(missing.items())
            ]
        )
    return result


# Step 2: when.


def _choose_weeks(data: PlanInput, pairs: list[tuple[int, str, int]]) -> list[Slot]:
    weeks = data.weeks
    kept_company_week = Counter((s.company, s.week) for s in data.kept)
    kept_observer_week = Counter((s.observer, s.week) for s in data.kept)
    capacity = {o.id: o.weekly_capacity for o in data.observers}
    # (company, observer) → the channels of the contacts that pair still has to place
    remaining: dict[tuple[int, int], list[str]] = defaultdict(list)
    for company, channel, observer in pairs:
        remaining[(company, observer)].append(channel)
    for channels in remaining.values():
        channels.sort()
    company_left = Counter(c for c, _ch, _o in pairs)
    observer_left = Counter(o for _c, _ch, o in pairs)
    # A company's whole programme, kept contacts included, is spread evenly: every week gets
    # ⌊T/W⌋ or ⌈T/W⌉ of its T contacts.
    programme = Counter(company_left)
    programme.update(s.company for s in data.kept)
    kept_later = Counter(s.company for s in data.kept)
    slots: list[Slot] = []
    channel_count: Counter[tuple[int, str]] = Counter()

    for week in range(1, weeks + 1):
        k = weeks - week + 1
        company_bounds = {}
        for company, left in company_left.items():
            base, extra = divmod(programme[company], weeks)
            top = base + (1 if extra else 0)
            still = left + kept_later[company]
            kept_now = kept_company_week[(company, week)]
            low = max(base, still - top * (k - 1)) - kept_now
            high = min(top, still - base * (k - 1)) - kept_now
            company_bounds[company] = (max(0, min(low, left)), max(0, min(high, left)))
        observer_bounds = {}
        for observer, left in observer_left.items():
            room_now = max(0, capacity[observer] - kept_observer_week[(observer, week)])
            room_later = sum(
                max(0, capacity[observer] - kept_observer_week[(observer, w)])
                for w in range(week + 1, weeks + 1)
            )
            low = max(0, left - room_later)
            observer_bounds[observer] = (min(low, room_now, left), min(room_now, left))
        chosen = _week_flow(remaining, company_bounds, observer_bounds)
        if chosen is None:
            raise Infeasible(
                [
                    Problem(
                        "weeks",
                        _(
                            "Week %(week)s cannot be planned: the contacts cannot be spread "
                            "evenly within the observers' weekly capacity."
                        )
                        % {"week": week},
                    )
                ]
            )
        for (company, observer), n in sorted(chosen.items()):
            for _i in range(n):
                # Of the pair's channels, take the one this company has used least so far.
                channels = remaining[(company, observer)]
                channel = min(channels, key=lambda ch: (channel_count[(company, ch)], ch))
                channels.remove(channel)
                channel_count[(company, channel)] += 1
                slots.append(Slot(week=week, company=company, channel=channel, observer=observer))
            company_left[company] -= n
            observer_left[observer] -= n
        for company in list(kept_later):
            kept_later[company] -= kept_company_week[(company, week)]
        for pair in [pair for pair, v in remaining.items() if not v]:
            del remaining[pair]
        for counter in (company_left, observer_left):
            for done in [done for done, v in counter.items() if v <= 0]:
                del counter[done]

    if company_left:
        raise Infeasible([Problem("weeks", _("Some contacts could not be given a week."))])
    return slots


def _week_flow(
    remaining: dict[tuple[int, int], list[str]],
    company_bounds: dict[int, tuple[int, int]],
    observer_bounds: dict[int, tuple[int, int]],
) -> dict[tuple[int, int], int] | None:
    """How many contacts of each (company, observer) pair to make this week, or None.

    A circulation with lower bounds: source → company [lo, hi] → observer [0, pair count] →
    observer [lo, hi] → sink → source. Lower bounds become node supplies (the standard reduction).
    Placing a contact earns −1, so each week takes as many as its bounds allow.
    """
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    nodes: dict[tuple[str, int], int] = {}

    def node(kind: str, key: int) -> int:
        if (kind, key) not in nodes:
            nodes[(kind, key)] = len(nodes) + 2
        return nodes[(kind, key)]

    supply: Counter[int] = Counter()

    def arc(tail: int, head: int, low: int, high: int, cost: int) -> int:
        supply[tail] -= low
        supply[head] += low
        return flow.add_arc_with_capacity_and_unit_cost(tail, head, high - low, cost)

    for company, (low, high) in company_bounds.items():
        arc(source, node("c", company), low, high, -1)
    pair_arcs = {}
    for (company, observer), channels in remaining.items():
        if company in company_bounds and observer in observer_bounds:
            pair_arcs[(company, observer)] = arc(
                node("c", company), node("o", observer), 0, len(channels), 0
            )
    for observer, (low, high) in observer_bounds.items():
        arc(node("o", observer), sink, low, high, 0)
    arc(sink, source, 0, sum(len(v) for v in remaining.values()), 0)
    for n in range(2 + len(nodes)):
        flow.set_node_supply(n, supply[n])
    if flow.solve() != flow.OPTIMAL:
        return None
    return {pair: flow.flow(a) for pair, a in pair_arcs.items() if flow.flow(a)}


def load_by_observer(slots: Iterable[Slot]) -> Counter[int]:
    return Counter(s.observer for s in slots)
