"""Floors: what the machine and the server give a scenario with nothing of the project behind
it, beside the subject, each under the same gunicorn configurations and the same locust users.

    .venv/bin/python bench/floor.py live                     # 2,000 phones polling every 2 s
    .venv/bin/python bench/floor.py live --phones 1000 --servers sync4 gthread4x8

``door``: 20 check-in scanners sending one after another with no pause (the replay pass of
  ``bench/tickets.py checkin``) against the bare project's one INSERT: its p95 is what any
  check-in endpoint could at best give 20 zero-pause clients on this machine and server.

``rush``: ``bench/tickets.py rush``'s buyers and their request pattern (a page before the start,
  then reserve; the first ``--seats`` to reserve load their order and confirm) against the bare
  project, every request its one INSERT; orders/s over the bare baseline's req/s with the same
  clients is the most any design of that flow could reach here.

``browser``: the browser survey's respondents (bench/browser_survey.py's ``BrowserSurveyUser``,
  ``--users`` of them) against ``bench/bare/respond.py``, a bare WSGI callable answering each of
  their requests as ``/s/<token>/`` does (a page, or 204), under the subject's gunicorn
  settings: with no pause (surveys/s: the most any design of the path could complete here) and
  at the national peak (``PACED_THINK_S`` pauses: the request p95 any design could give).

``live``: the award night's feed (bench/live.py's ``LivePhoneUser``) against
  - ``floor``: ``bench/bare/poll.py``, a bare WSGI callable answering 304/200 as the live feed's
    shortcut does (no Django, no database, no cache), and
  - ``subject``: ``bench.wsgi`` (the project's WSGI stack with the 304 shortcut) on the award
    benchmark's database, the demo night live;
each under every server configuration named (``SERVERS``). A row per (app, server): polls/s,
p50/p95/p99, failures, and the load before. No reveal is made here (bench/live.py measures it).

Why: the live page's goal (p95 < 50 ms at 2,000 phones) is a latency under a fixed offered load
(1,000 polls/s on two cores shared with locust). If the floor under a server configuration
misses it, no change to the project can meet it under that configuration.
"""

import argparse
import os
import sys
import time
from pathlib import Path

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.common import ROOT, bench_redis_url, load_average, prepared_database, run_child

SERVERS: dict[str, list[str]] = {
    # The subject's configuration (harness.GUNICORN_ARGS): sync workers, no keep-alive.
    "sync4": list(harness.GUNICORN_ARGS),
    # Threads and keep-alive: a phone's connection stays open between its polls.
    "gthread4x8": [
        "--workers",
        "4",
        "--worker-class",
        "gthread",
        "--threads",
        "8",
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
        "--preload",
    ],
    "gthread2x16": [
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "16",
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
        "--preload",
    ],
}


def live(args: argparse.Namespace) -> int:
    from bench import live as live_bench

    env = prepared_database(live_bench.DATABASE, redis_url=bench_redis_url(live_bench.REDIS_DB))
    if env is None:
        return 2
    setup = run_child(live_bench.__file__, {**env, "CELERY_TASK_ALWAYS_EAGER": "1"}, ["setup"])
    phones = args.phones
    spawn_rate = max(50.0, phones / 10)
    seconds = int(phones / spawn_rate + args.seconds)
    locust_env = {
        **env,
        "BENCH_LIVE_PATH": setup["feed"],
        "BENCH_LIVE_ETAG": setup["etag"],
        "BENCH_REVEAL_FILE": "/dev/null",
    }
    apps = {"floor": ("bench.bare.poll", ""), "subject": ("bench.wsgi", "/healthz")}
    print(
        "| app | server | phones | polls/s | p50 | p95 | p99 | failures | load before "
        "| CPU a poll |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for server in args.servers:
        for app_name in args.apps:
            module, probe = apps[app_name]
            load = harness.load_before()
            with harness.gunicorn(module, locust_env, probe=probe, args=SERVERS[server]) as base:
                cpu = harness.CpuSplit().start()
                stats = harness.locust(
                    "LivePhoneUser",
                    base,
                    locust_env,
                    users=phones,
                    seconds=seconds,
                    spawn_rate=spawn_rate,
                    reset_stats=True,
                    exclude=(live_bench.SEEN,),
                )
                stats.cpu = cpu.stop()
            print(
                f"| {app_name} | {server} | {phones:,} | {stats.rps:,.0f} | {stats.p50:.0f} ms "
                f"| {stats.p95:.0f} ms | {stats.p99:.0f} ms | {stats.failures} | {load} "
                f"| {stats.cpu_per(stats.requests)} |",
                flush=True,
            )
    print(load_average())
    return 0


def door(args: argparse.Namespace) -> int:
    import statistics
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from bench import tickets

    env = prepared_database(tickets.DATABASE, redis_url=bench_redis_url(tickets.REDIS_DB))
    if env is None:
        return 2
    load = harness.load_before()
    times: list[float] = []
    lock = threading.Lock()
    with harness.bare(env) as base:
        url = f"{base}/bench/insert"

        def scanner(k: int) -> None:
            session = requests.Session()
            for _ in range(args.tickets // 20):
                began = time.perf_counter()
                session.post(url, timeout=60).raise_for_status()
                with lock:
                    times.append((time.perf_counter() - began) * 1000)

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=20) as pool:
            list(pool.map(scanner, range(20)))
        elapsed = time.perf_counter() - began
    p95 = statistics.quantiles(times, n=20)[-1]
    print("| floor | scanners | scans | scans/s | p50 | p95 | load before |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| bare INSERT, no pause | 20 | {len(times)} | {len(times) / elapsed:,.0f} "
        f"| {statistics.median(times):.1f} ms | {p95:.1f} ms | {load} |"
    )
    print(load_average())
    return 0


def rush(args: argparse.Namespace) -> int:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from bench import tickets

    env = prepared_database(tickets.DATABASE, redis_url=bench_redis_url(tickets.REDIS_DB))
    if env is None:
        return 2
    load = harness.load_before()
    with harness.bare(env) as base:
        url = f"{base}/bench/insert"
        baseline = tickets.hammer(url, clients=args.buyers, seconds=10)
        start = threading.Barrier(args.buyers + 1)
        lock = threading.Lock()
        sold: list[float] = []
        seats = [args.seats]

        def buyer(_: int) -> None:
            session = requests.Session()
            session.post(url, timeout=120)  # the shop page, before the sale opens
            start.wait()
            session.post(url, timeout=120)  # reserve
            with lock:
                won = seats[0] > 0
                seats[0] -= 1
            if won:
                session.post(url, timeout=120)  # the order page
                session.post(url, timeout=120)  # confirm
                with lock:
                    sold.append(time.perf_counter())

        with ThreadPoolExecutor(max_workers=args.buyers) as pool:
            futures = [pool.submit(buyer, i) for i in range(args.buyers)]
            start.wait()
            began = time.perf_counter()
            for future in futures:
                future.result()
    per_second = len(sold) / (max(sold) - began)
    print("| floor | buyers / seats | baseline (bare, same clients) | orders/s | ratio | load |")
    print("|---|---|---|---|---|---|")
    print(
        f"| bare INSERT for every request of the flow | {args.buyers} / {args.seats} "
        f"| {baseline:,.0f} req/s | {per_second:,.1f} | {per_second / baseline:.1%} | {load} |"
    )
    print(load_average())
    return 0


#: bench/browser_survey.py's PACED_THINK_S (the national peak's pauses); not imported from there,
#: as importing it loads locust, which patches this process with gevent.
PACED_THINK_S = 0.5


def browser(args: argparse.Namespace) -> int:
    import json
    import tempfile

    out = Path(tempfile.mkdtemp(prefix="bench-floor-browser-"))
    tokens = out / "tokens.txt"
    tokens.write_text("".join(f"floor{i}\n" for i in range(100_000)))
    pages = [{f"q{p}_{k}": str(k + 1) for k in range(4)} for p in range(5)]
    tokens.with_suffix(".answers.json").write_text(json.dumps({"pages": pages}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_TOKENS": str(tokens)}
    print(
        "| floor | respondents | pauses | surveys/s | requests/s | p50 | p95 | p99 | failures "
        "| load before | CPU a request |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for think in (0.0, PACED_THINK_S):
        load = harness.load_before()
        with harness.gunicorn("bench.bare.respond", env, probe="/") as base:
            cpu = harness.CpuSplit().start()
            stats = harness.locust(
                "BrowserSurveyUser",
                base,
                {**env, "BROWSER_THINK": str(think)},
                users=args.users,
                seconds=args.seconds,
                locustfile=ROOT / "bench" / "browser_survey.py",
            )
            stats.cpu = cpu.stop()
        surveys = stats.named("browser: submit")["num_requests"] / stats.elapsed
        print(
            f"| bare WSGI callable | {args.users} | {think:g} s | {surveys:,.1f} "
            f"| {stats.rps:,.0f} | {stats.p50:.0f} ms | {stats.p95:.0f} ms | {stats.p99:.0f} ms "
            f"| {stats.failures} | {load} | {stats.cpu_per(stats.requests)} |",
            flush=True,
        )
    print(load_average())
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["live", "door", "rush", "browser"])
    parser.add_argument("--tickets", type=int, default=1000, help="door: scans")
    parser.add_argument("--buyers", type=int, default=300, help="rush: buyers")
    parser.add_argument("--seats", type=int, default=100, help="rush: seats")
    parser.add_argument("--phones", type=int, default=2_000)
    parser.add_argument("--users", type=int, default=50, help="browser: respondents")
    parser.add_argument("--seconds", type=int, default=20, help="after all phones poll")
    parser.add_argument("--servers", nargs="+", default=list(SERVERS), choices=list(SERVERS))
    parser.add_argument("--apps", nargs="+", default=["floor", "subject"])
    args = parser.parse_args()
    os.chdir(ROOT)
    scenarios = {"live": live, "door": door, "rush": rush, "browser": browser}
    return scenarios[args.scenario](args)


if __name__ == "__main__":
    sys.exit(main())
