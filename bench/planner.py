"""Planner benchmark (issue 4): 200 companies × 25 contacts over 16 weeks for 120 observers with
realistic conflicts, in ≤ 10 s, every rule verified by the independent checker.

    .venv/bin/python bench/planner.py [--seed N] [--repeat N]

No database: the planner is pure, so this times exactly the planning. Each observer does 2–4
channels, has capacity 3–5 a week, and is a customer of 0–6 companies (more often of the big
ones, as real observers are: banks, telecoms and electricity). Companies offer 2–4 channels.
Exit status 1 when a target is missed or the checker finds a violation.
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kundeservice.settings")
import django

django.setup()

from surveys.planning import CompanyIn, ObserverIn, PlanInput, plan  # noqa: E402
from surveys.planning_check import plan_violations  # noqa: E402

CHANNELS = ["phone", "chat", "email", "social"]
KEY = {"phone": 0.4, "chat": 0.2, "email": 0.2, "social": 0.2}
TARGET_SECONDS = 10.0


def workload(seed: int) -> PlanInput:
    rng = random.Random(seed)
    companies = []
    for i in range(1, 201):
        offered = ["phone", *rng.sample(CHANNELS[1:], rng.choice([1, 2, 3]))]
        companies.append(CompanyIn(i, f"Company {i}", frozenset(offered)))
    big = list(range(1, 41))  # customers of the biggest 40 companies are most common
    observers = []
    for j in range(120):
        channels = frozenset(rng.sample(CHANNELS, rng.choice([2, 3, 3, 4, 4])))
        n_conflicts = rng.choice([0, 1, 2, 3, 4, 5, 6])
        conflicts = {
            rng.choice(big) if rng.random() < 0.7 else rng.randint(1, 200)
            for _ in range(n_conflicts)
        }
        observers.append(
            ObserverIn(
                1000 + j, f"Observer {j}", rng.choice([3, 4, 5]), channels, frozenset(conflicts)
            )
        )
    return PlanInput(companies, observers, KEY, 25, 16, 2, seed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = workload(args.seed)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        slots = plan(data)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    violations = plan_violations(data, slots)
    check_s = time.perf_counter() - start
    load = Counter(s.observer for s in slots)
    cap = {o.id: o.weekly_capacity * data.weeks for o in data.observers}
    ratios = [load[o] / cap[o] for o in cap]
    print(f"contacts planned: {len(slots)} (expected {25 * 200})")
    print(
        f"planning time: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
        f"over {args.repeat} runs (target ≤ {TARGET_SECONDS:.0f} s)"
    )
    print(f"independent check: {len(violations)} violations ({check_s:.2f} s)")
    print(
        f"load / capacity per observer: min {min(ratios):.2f}, max {max(ratios):.2f}, "
        f"mean {statistics.mean(ratios):.2f}"
    )
    for v in violations[:10]:
        print("  ", v)
    ok = not violations and max(times) <= TARGET_SECONDS and len(slots) == 5000
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
