"""Aggregation benchmark (issue 5): a panel wave of N responses × 20 answers on PostgreSQL,
aggregated into a ResultSet, against one bare ``GROUP BY`` pass over the same answers.

    make bench-aggregate                               # 100 k, 1 M and 5 M answers, 3 rounds
    make bench-aggregate ARGS="--responses 50000"      # one size
    .venv/bin/python bench/aggregate.py --responses 5000 50000 250000 --repeat 3
    .venv/bin/python bench/aggregate.py --responses 50000 --queries   # + the pass's parts

It uses its own database, ``kundeservice_bench_aggregate`` (created when missing, migrated), and
seeds each size with the export benchmark's generator (20 questions, every one answered; COPY),
then weights the wave by raking to gender × age group × county targets. Each measurement runs
in a fresh process, so its peak resident memory is that run's alone:

  groupby   ``SELECT question_id, company_id, channel, count(*), sum(score),
            sum(score * score) FROM surveys_answer WHERE wave_id = … GROUP BY 1, 2, 3``:
            one bare pass over the wave's answers, rows fetched (the target's baseline)
  counted   the same pass over the answers that count: joined to their responses to keep
            the submitted, valid ones through the cutoff (which the aggregation must do too)
  aggregate ``aggregation_run`` of a new ResultSet, as the worker runs it: weights (raking),
            the grouped passes over answers and responses, intervals, ranks, changes, bulk
            insert of the rows, and the swap that makes the set current

Each is run twice in its process, as a worker runs task after task: the second time is the
one measured ("median s"); the first, which also pays the process's first connection and
Django's and gettext's lazy loading, is shown as "first run s".

Rounds are interleaved. Targets (issue 5): at 1 M answers the aggregation's median ≤ 2 × the
bare pass's median and its peak memory < 500 MB; from the smallest size to each larger one the
time grows no worse than 1.3 × linearly. Exit status 1 when one is missed. Record what it prints
in bench/RESULTS.md with the command.
"""

import argparse
import datetime
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    child_setup,
    load_average,
    prepared_database,
)
from bench.common import run_child as common_run_child

DATABASE = "kundeservice_bench_aggregate"
KINDS = ["groupby", "counted", "aggregate"]
TARGET_RATIO = 2.0
TARGET_PEAK_MB = 500
TARGET_GROWTH = 1.3
HEADLINE_ANSWERS = 1_000_000
MARGINS = {
    "gender": {"female": 50, "male": 50},
    "age_group": {"18-29": 20, "30-44": 26, "45-59": 25, "60+": 29},
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--responses", type=int, nargs="+", default=[5_000, 50_000, 250_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--phases", action="store_true", help="also time the aggregation's phases at each size"
    )
    parser.add_argument(
        "--queries",
        action="store_true",
        help="also time the grouped pass's parts as bare queries at each size (QUERIES)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    env = prepared_database(DATABASE)
    if env is None:
        return 2
    results: dict[int, dict[str, Any]] = {}
    for responses in sorted(args.responses):
        started = time.perf_counter()
        seeded = run_child(env, ["seed", str(responses)])
        print(
            f"wave {seeded['wave']}: {seeded['responses']:,} responses, "
            f"{seeded['answers']:,} answers (seeded in {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
        loads = []
        for _round in range(args.repeat):
            for kind in KINDS:
                runs[kind].append(run_child(env, ["measure", kind, str(seeded["wave"])]))
            loads.append(load_average())
        results[seeded["answers"]] = {"runs": runs, "loads": loads}
        print_size(seeded["answers"], runs, loads)
        if args.phases:
            found = run_child(env, ["phases", str(seeded["wave"])])
            print(
                "phases (s, a worker's second run): "
                + ", ".join(f"{k} {v:.3f}" for k, v in found.items())
            )
        if args.queries:
            found = run_child(env, ["queries", str(seeded["wave"]), str(args.repeat)])
            bare = found["bare"]
            for label, seconds in found.items():
                print(f"query {label:<46} {seconds:6.2f} s  {seconds / bare:5.2f}×")
    return 0 if check_targets(results) else 1


def run_child(env: dict[str, str], argv: list[str]) -> dict[str, Any]:
    return common_run_child(__file__, env, argv)


def median(runs: list[dict[str, Any]], key: str = "seconds") -> float:
    return statistics.median(r[key] for r in runs)


def print_size(answers: int, runs: dict[str, list[dict[str, Any]]], loads: list[str]) -> None:
    base = median(runs["groupby"])
    print(
        f"{'kind':<10}{'median s':>10}{'best s':>9}{'vs GROUP BY':>28}{'first run s':>13}"
        f"{'peak MB':>9}{'rows':>9}"
    )
    for kind, found in runs.items():
        med = median(found)
        ratio = f"{med / base:.2f}×" if kind != "groupby" else "-"
        if kind == "aggregate":
            ratio += f" ({med / median(runs['counted']):.2f}× counted)"
        print(
            f"{kind:<10}{med:>10.2f}{min(r['seconds'] for r in found):>9.2f}{ratio:>28}"
            f"{median(found, 'cold_seconds'):>13.2f}"
            f"{max(r['peak_mb'] for r in found):>9.0f}{found[0]['rows']:>9,}"
        )
    print(
        "rounds (s): "
        + "; ".join(f"{k} " + ", ".join(f"{r['seconds']:.2f}" for r in v) for k, v in runs.items())
    )
    print(f"{answers:,} answers; load after each round: " + " | ".join(loads), flush=True)


def check_targets(results: dict[int, dict[str, Any]]) -> bool:
    ok = True
    sizes = sorted(results)
    headline = min(sizes, key=lambda n: abs(n - HEADLINE_ANSWERS))
    runs = results[headline]["runs"]
    ratio = median(runs["aggregate"]) / median(runs["groupby"])
    met = ratio <= TARGET_RATIO
    ok &= met
    counted = median(runs["aggregate"]) / median(runs["counted"])
    print(
        f"target at {headline:,} answers: aggregation ≤ {TARGET_RATIO:g}× GROUP BY: "
        f"{ratio:.2f}× {'met' if met else 'MISSED'} ({counted:.2f}× the pass over the "
        "counted answers)"
    )
    peak = max(r["peak_mb"] for r in runs["aggregate"])
    met = peak < TARGET_PEAK_MB
    ok &= met
    print(f"target peak < {TARGET_PEAK_MB} MB: {peak:.0f} MB {'met' if met else 'MISSED'}")
    smallest = sizes[0]
    base = median(results[smallest]["runs"]["aggregate"])
    for size in sizes[1:]:
        growth = median(results[size]["runs"]["aggregate"]) / base
        linear = size / smallest
        met = growth <= TARGET_GROWTH * linear
        ok &= met
        print(
            f"target growth {smallest:,} → {size:,} answers (×{linear:.0f}): time ×{growth:.1f}, "
            f"{growth / linear:.2f}× linear (≤ {TARGET_GROWTH}) {'met' if met else 'MISSED'}"
        )
    return ok


# In the child processes ----------------------------------------------------------------------


def child(argv: list[str]) -> int:
    child_setup()
    # Prepared as a Celery worker process is once it has started (the aggregation runs in one).
    from kundeservice.celery import prepare_worker_process

    prepare_worker_process()
    if argv[0] == "seed":
        result = seed(responses=int(argv[1]))
    elif argv[0] == "phases":
        result = phases(wave_id=int(argv[1]))
    elif argv[0] == "queries":
        result = queries(wave_id=int(argv[1]), repeat=int(argv[2]))
    else:
        result = measure(kind=argv[1], wave_id=int(argv[2]))
    print(json.dumps(result))
    return 0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def seed(*, responses: int) -> dict[str, Any]:
    from bench.export import seed as seed_wave
    from surveys.models import ResultSet, Wave

    seeded = seed_wave(responses=responses, reseed=False)
    wave = Wave.objects.get(pk=seeded["wave"])
    wave.weight_margins = MARGINS
    wave.save(update_fields=["weight_margins"])
    ResultSet.objects.filter(wave=wave).delete()
    return seeded


def measure(*, kind: str, wave_id: int) -> dict[str, Any]:
    from surveys.models import Wave

    wave = Wave.objects.select_related("study").get(pk=wave_id)
    # A worker process is long-lived: it imports the raking library (and pandas under it) once,
    # not per run, so that import (0.2 s) is not part of a run's time here either.
    import ipfn  # noqa: F401

    # Twice in the process: the first run pays what only a worker's first task pays (the
    # connection, translation catalogues, Django's lazy caches); the second is every later
    # task's. Both are reported; the targets use the second, for every kind alike.
    first = once(kind, wave)
    second = once(kind, wave)
    return {**second, "cold_seconds": first["seconds"], "peak_mb": peak_mb()}


PHASES = {
    "weights": "cell_weights",
    "pass": "_rolled_up",
    "pass+unpack": "_answer_sums",
    "figures": "_question_rows",
    "ranks": "_rank",
    "changes": "_compare_with_previous",
    "compute (all)": "compute_rows",
    "copy": "save_rows",
    "swap": "_make_current",
}


def phases(*, wave_id: int) -> dict[str, float]:
    """Seconds spent in each phase of a worker's second run (the module's functions wrapped
    in timers; they nest: "compute (all)" holds the ones before it)."""
    import functools

    from surveys.models import Wave
    from surveys.services import aggregation

    spent: dict[str, float] = dict.fromkeys(PHASES, 0.0)

    def timed(label: str, function: Any) -> Any:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started

        return wrapper

    wave = Wave.objects.select_related("study").get(pk=wave_id)
    once("aggregate", wave)  # the first run, untimed
    for label, name in PHASES.items():
        setattr(aggregation, name, timed(label, getattr(aggregation, name)))
    total = once("aggregate", wave)["seconds"]
    return {"total": total, **spent}


#: What the grouped pass costs beyond the bare one, part by part: each query is fetched whole
#: (a ``count(*)`` over it would let PostgreSQL skip the sums nobody reads).
QUERIES = {
    "bare": "the baseline: 3 keys, count and 2 sums",
    "3 keys, the pass's 10 sums": "the sums alone",
    "4 keys (+ option), 10 sums": "the pass without weights or the response join",
    "4 keys, 10 sums, responses joined, weighted": "the pass as aggregation runs it",
    "4 keys, 3 sums, responses joined, weighted": (
        "the floor: the fewest sums a weighted mean needs (n, Σw, Σwx)"
    ),
    "as run, JIT forced": "the pass as run with PostgreSQL's JIT on at any cost",
}


def queries(*, wave_id: int, repeat: int) -> dict[str, float]:
    """Median seconds of each of ``QUERIES`` over the wave's answers, fetched in binary."""
    import psycopg
    from django.conf import settings
    from django.db import connection, transaction

    from surveys.models import Wave
    from surveys.services import aggregation as ag

    wave = Wave.objects.select_related("study").get(pk=wave_id)
    weights, _summary = ag.cell_weights(
        wave=wave, responses=ag.counted_responses(wave, wave.ends_on)
    )
    cte, cte_params, join, w = ag._weight_cte(weights)
    with_cte = f"WITH {cte} " if cte else ""
    counted, counted_params = ag._counted_where("r", wave, wave.ends_on)
    option = "COALESCE(CAST(a.value_choices AS TEXT), a.value_text)"
    keys4 = f"a.question_id, {option}, a.company_id, a.channel"
    one = "CAST(1 AS DOUBLE PRECISION)"
    unweighted = ag._sums_sql(one, "a.score", nps="a.value_number")
    answers = "FROM surveys_answer a WHERE a.wave_id = %s AND NOT a.is_na"
    joined = (
        f"FROM surveys_answer a JOIN surveys_response r ON r.id = a.response_id{join} "
        f"WHERE a.wave_id = %s AND NOT a.is_na AND {counted} GROUP BY {keys4}"
    )
    as_run = (
        f"{with_cte}SELECT {keys4}, {ag._sums_sql(w, 'a.score', nps='a.value_number')} {joined}",
        [*cte_params, wave.pk, *counted_params],
    )
    sql = {
        "bare": (
            "SELECT question_id, company_id, channel, count(*), sum(score), sum(score * score) "
            "FROM surveys_answer WHERE wave_id = %s GROUP BY 1, 2, 3",
            [wave.pk],
        ),
        "3 keys, the pass's 10 sums": (
            f"SELECT a.question_id, a.company_id, a.channel, {unweighted} {answers} "
            "GROUP BY 1, 2, 3",
            [wave.pk],
        ),
        "4 keys (+ option), 10 sums": (
            f"SELECT {keys4}, {unweighted} {answers} GROUP BY {keys4}",
            [wave.pk],
        ),
        "4 keys, 10 sums, responses joined, weighted": as_run,
        "4 keys, 3 sums, responses joined, weighted": (
            f"{with_cte}SELECT {keys4}, COUNT(*), SUM({w}), SUM({w} * a.score) {joined}",
            [*cte_params, wave.pk, *counted_params],
        ),
        "as run, JIT forced": as_run,
    }
    #: Statements run before a query, and reset after it.
    setup = {"as run, JIT forced": "SET LOCAL jit = on; SET LOCAL jit_above_cost = 0"}
    spent: dict[str, list[float]] = {label: [] for label in QUERIES}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = %s", [settings.AGGREGATION_WORK_MEM])
        with psycopg.Cursor(cursor.connection) as binary:
            for _round in range(repeat):
                for label, (query, params) in sql.items():
                    if label in setup:
                        binary.execute(setup[label])
                    started = time.perf_counter()
                    binary.execute(query, params, binary=True)
                    binary.fetchall()
                    spent[label].append(time.perf_counter() - started)
                    if label in setup:
                        binary.execute("RESET jit; RESET jit_above_cost")
    return {label: statistics.median(times) for label, times in spent.items()}


def once(kind: str, wave: Any) -> dict[str, Any]:
    from django.db import connection

    from surveys.models import ResultSet
    from surveys.services.aggregation import aggregation_run

    started = time.perf_counter()
    if kind == "groupby":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT question_id, company_id, channel, count(*), sum(score), "
                "sum(score * score) FROM surveys_answer WHERE wave_id = %s GROUP BY 1, 2, 3",
                [wave.pk],
            )
            rows = len(cursor.fetchall())
    elif kind == "counted":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.question_id, a.company_id, a.channel, count(*), sum(a.score), "
                "sum(a.score * a.score) FROM surveys_answer a JOIN surveys_response r "
                "ON r.id = a.response_id WHERE a.wave_id = %s AND r.wave_id = %s "
                "AND r.status IN ('submitted', 'approved') AND r.invalidated_at IS NULL "
                "AND r.submitted_at < %s GROUP BY 1, 2, 3",
                [
                    wave.pk,
                    wave.pk,
                    datetime.datetime(wave.ends_on.year + 1, 1, 1, tzinfo=datetime.UTC),
                ],
            )
            rows = len(cursor.fetchall())
    else:
        result_set = ResultSet.objects.create(wave=wave, cutoff=wave.ends_on, is_final=True)
        aggregation_run(result_set_id=result_set.pk)
        seconds = time.perf_counter() - started
        result_set.refresh_from_db()
        if result_set.status != "complete":
            raise SystemExit(f"aggregation failed: {result_set.error}")
        rows = result_set.rows.count()
        # Keep the database the same size for every round: the next run replaces this one.
        ResultSet.objects.exclude(pk=result_set.pk).filter(wave=wave).delete()
        return {"kind": kind, "seconds": seconds, "rows": rows}
    return {"kind": kind, "seconds": time.perf_counter() - started, "rows": rows}


if __name__ == "__main__":
    sys.exit(main())
