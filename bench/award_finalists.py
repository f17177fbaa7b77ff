"""How long computing the finalists of every category of the demo award night takes (issue 13:
< 1 s for the night's 45 categories on the demo results).

    .venv/bin/python bench/award_finalists.py [--repeat 5]

Runs on its own PostgreSQL database (kundeservice_bench_award), seeded once with seed_demo
(tasks run eagerly, so the results and the night are built in the seeding process). Times the
same call the console and confirmation make, ``awards.selectors.computed_finalists``, for every
rule category in turn, warm (the first pass shown apart), and prints the load average.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import child_setup, load_average, prepared_database, run_child

DATABASE = "kundeservice_bench_award"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.repeat)
    env = prepared_database(DATABASE)
    if env is None:
        return 2
    env = {**env, "REDIS_URL": "", "CELERY_TASK_ALWAYS_EAGER": "1"}
    print(load_average())
    figures = run_child(__file__, env, ["--repeat", str(args.repeat)])
    print(json.dumps(figures, indent=1))
    target = figures["median_s"] < 1.0
    print(
        f"finalists of {figures['categories']} categories: median {figures['median_s']:.3f} s "
        f"(target < 1 s: {'met' if target else 'MISSED'})"
    )
    return 0 if target else 1


def child(repeat: int) -> int:
    child_setup()
    from django.core.management import call_command
    from django.test import TestCase

    from awards.models import AwardCategory, CategoryKind
    from awards.selectors import computed_finalists

    if not AwardCategory.objects.exists():
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    categories = list(AwardCategory.objects.filter(kind=CategoryKind.RULE).select_related("event"))
    timings = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        finalists = [computed_finalists(category) for category in categories]
        timings.append(time.perf_counter() - started)
    first, warm = timings[0], timings[1:]
    print(
        json.dumps(
            {
                "categories": len(categories) + AwardCategory.objects.filter(kind="jury").count(),
                "rule_categories": len(categories),
                "with_finalists": sum(1 for f in finalists if f.finalists),
                "first_s": round(first, 3),
                "median_s": round(statistics.median(warm), 3),
                "max_s": round(max(warm), 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
