"""Public results pages benchmark (issue 5): latency cached and uncached, queries, page weight.

    make bench-pages
    .venv/bin/python bench/pages.py --requests 300

It uses its own database, ``kundeservice_bench_pages`` (created, migrated and given the demo
data once: KSIndeks 2026 with 5,000 weighted responses and Kundeserviceprisen 2026, both
aggregated and published) and Redis database 8 for the cache. Two gunicorn servers (2 sync
workers each) serve the same database: one caching pages as production does, one with
``RESULTS_CACHE_SECONDS=0`` and its own Redis database (13), so every request renders the page.
One client asks each page ``--requests`` times in turn (service time, not queueing), after one
warm-up request.

Targets (issue 5): cached p95 < 20 ms; uncached p95 < 300 ms; HTML + CSS + JS < 300 KB. The
uncached query count (≤ 15) is asserted in tests/surveys/views/test_results_pages.py and is
printed here too. Exit status 1 when a target is missed.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PY,
    ROOT,
    bench_redis_url,
    child_setup,
    free_port,
    load_average,
    prepared_database,
    run_child,
)

DATABASE = "kundeservice_bench_pages"
REDIS_DB = 8
UNCACHED_REDIS_DB = 13
BIN = Path(PY).parent
TARGET_CACHED_P95_MS = 20
TARGET_UNCACHED_P95_MS = 300
TARGET_WEIGHT_KB = 300


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    figures = measure_pages(args.requests)
    if figures is None:
        return 2
    ok = True
    print(f"{'page':<44}{'mode':<10}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'KB':>7}")
    for line in figures["lines"]:
        target = TARGET_CACHED_P95_MS if line["mode"] == "cached" else TARGET_UNCACHED_P95_MS
        ok &= line["p95"] < target
        print(
            f"{line['path']:<44}{line['mode']:<10}{line['p50']:>8.1f}{line['p95']:>8.1f}"
            f"{line['max']:>8.1f}{line['kb']:>7.1f}"
            + ("" if line["p95"] < target else f"  MISSED (< {target} ms)")
        )
    print("queries per uncached page: " + json.dumps(figures["queries"]))
    heaviest = max(figures["weights"].values())
    light = heaviest < TARGET_WEIGHT_KB * 1024
    ok &= light
    print(
        "HTML + CSS + JS per page (KB): "
        + ", ".join(f"{p} {w / 1024:.0f}" for p, w in figures["weights"].items())
        + f"; target < {TARGET_WEIGHT_KB} KB {'met' if light else 'MISSED'}"
    )
    print("load after the run: " + load_average())
    return 0 if ok else 1


def measure_pages(requests: int) -> dict[str, Any] | None:
    """Every page's latency cached and uncached, its queries and weight; None without
    PostgreSQL."""
    env = prepared_database(DATABASE, redis_url=bench_redis_url(REDIS_DB))
    if env is None:
        return None
    # seed_demo aggregates at once (no worker here)
    info = run_child(__file__, {**env, "CELERY_TASK_ALWAYS_EAGER": "1"}, ["seed"])
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    servers = {
        "cached": start(env),
        # Its own Redis database too: it must not read the pages the other one caches.
        "uncached": start(
            {**env, "RESULTS_CACHE_SECONDS": "0", "REDIS_URL": bench_redis_url(UNCACHED_REDIS_DB)}
        ),
    }
    lines = []
    try:
        for path in info["pages"]:
            for mode, (_server, port) in servers.items():
                times, size = timed(port, path, requests)
                lines.append(
                    {
                        "path": path,
                        "mode": mode,
                        "p50": statistics.median(times),
                        "p95": percentile(times, 95),
                        "max": max(times),
                        "kb": size / 1024,
                    }
                )
    finally:
        for server, _port in servers.values():
            server.terminate()
            server.wait(timeout=20)
    return {"lines": lines, "queries": info["queries"], "weights": info["weights"]}


def measure(*, requests: int) -> list[Any]:
    """``make bench``'s rows: the slowest page's p95, cached and uncached, and the heaviest."""
    from bench import harness
    from bench.harness import Row

    load = harness.load_before()
    figures = measure_pages(requests)
    if figures is None:
        return [Row(target="results pages", note="not run: no PostgreSQL")]
    rows = []
    for mode, goal in [("cached", TARGET_CACHED_P95_MS), ("uncached", TARGET_UNCACHED_P95_MS)]:
        worst = max((line for line in figures["lines"] if line["mode"] == mode), key=p95_of)
        rows.append(
            Row(
                target=f"results pages, {mode} ({len(figures['weights'])})",
                figure=f"slowest p95 {worst['p95']:.1f} ms",
                goal=f"p95 < {goal} ms",
                met=worst["p95"] < goal,
                load=load,
                note=f"slowest {worst['path']}, {requests} requests a page, one client",
            )
        )
    heaviest = max(figures["weights"].values()) / 1024
    rows.append(
        Row(
            target="results pages, weight",
            figure=f"heaviest {heaviest:.0f} KB",
            goal=f"< {TARGET_WEIGHT_KB} KB",
            met=heaviest < TARGET_WEIGHT_KB,
        )
    )
    return rows


def p95_of(line: dict[str, Any]) -> float:
    return float(line["p95"])


def start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "bench.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server, port
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def timed(port: int, path: str, count: int) -> tuple[list[float], int]:
    url = f"http://127.0.0.1:{port}{path}"
    size = len(urllib.request.urlopen(url, timeout=10).read())
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
        times.append((time.perf_counter() - started) * 1000)
    return times, size


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# In the child process --------------------------------------------------------------------------


def child(argv: list[str]) -> int:
    child_setup()
    print(json.dumps(seed()))
    return 0


def seed() -> dict[str, Any]:
    """The demo data once; then the pages to time, their uncached query counts and weight."""
    import re

    from django.contrib.staticfiles import finders
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kundeservice.caching import visibility_bump
    from surveys.models import ResultSet

    if not ResultSet.objects.filter(is_current=True).exists():
        from django.core.management import call_command

        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    pages = ["/resultater/"]
    for result_set in ResultSet.objects.filter(is_current=True).select_related("wave__study"):
        wave = result_set.wave
        base = f"/resultater/{wave.study.slug}/{wave.slug}/"
        top = (
            result_set.rows.filter(scope="company", rank=1)
            .select_related("company__industry")
            .first()
        )
        pages += [base, f"{base}bransje/{top.company.industry.slug}/"]
        pages += [f"{base}virksomhet/{top.company.slug}/", f"{base}kanal/telefon/"]
    visibility_bump("results")  # so the first request of each page below renders it
    client = Client(HTTP_HOST="127.0.0.1")
    queries, weights = {}, {}
    for path in pages:
        with CaptureQueriesContext(connection) as captured:
            html = client.get(path).content
        queries[path] = len(captured)
        assets = re.findall(rb'(?:href|src)="/static/([^"]+)"', html)
        size = len(html)
        for asset in assets:
            name = re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", asset.decode())
            found = finders.find(name)
            if found:
                size += Path(found).stat().st_size
        weights[path] = size
    return {"pages": pages, "queries": queries, "weights": weights}


if __name__ == "__main__":
    sys.exit(main())
