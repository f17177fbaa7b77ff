"""Benchmark runner (`make bench`): starts gunicorn on its own PostgreSQL database
(`kundeservice_bench`), drives it with locust, prints a table of figures and checks the targets.
Record what it prints in bench/RESULTS.md with the command.

    make bench                                # baseline, respond-api, respond-pages
    make bench ARGS="baseline -t 20"          # one scenario, 20 s
    make bench ARGS="baseline respond-api"    # the submission target alone

Scenarios:
  baseline       the bare one-INSERT view (bench/urls.py)
  respond-api    each virtual respondent takes a fresh token and submits the 20-question
                 survey in one JSON POST (api-respond-submit): one request = one completion
  respond-pages  each virtual respondent completes it in the browser flow at /s/<token>/:
                 5 page loads, 20 htmx autosaves, 5 "Next", "Submit", the thank-you page

The issue 3 target (completed surveys/s >= 60 % of the baseline's requests/s in the same run,
p95 < 150 ms) is checked on respond-api when baseline runs too; the exit status is 1 when it is
missed or when the database does not hold exactly the completions locust counted.

What "completed" means for respond-api: the API's 202, which it sends only once the whole,
validated questionnaire is committed to the submission inbox (write-behind; no worker runs during
the measurement). After locust stops, the runner saves what is still in the inbox as responses
and answers with the worker's own service (``submissions_expand``), reports how long that took,
and only then checks the database.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PY,
    ROOT,
    answers,
    bench_database_url,
    bench_env,
    bench_redis_url,
    ensure_database,
    free_port,
    load_average,
    migrate,
)

BIN = Path(PY).parent
DATABASE = "kundeservice_bench"
REDIS_DB = 6
BASELINE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_ping (id bigserial PRIMARY KEY, at timestamptz NOT NULL)"
)
# Scenario name (a locust tag) and the user class that runs it.
SCENARIOS = {
    "baseline": "BaselineUser",
    "respond-api": "RespondApiUser",
    "respond-pages": "RespondPagesUser",
}
# The request whose success is one completed survey, per respondent scenario.
COMPLETION = {"respond-api": "api: submit", "respond-pages": "pages: submit"}
RESPONDENTS = {"respond-api": 40_000, "respond-pages": 5_000}
QUESTIONS = 20
TARGET_RATIO = 0.60
TARGET_P95_MS = 150
COLUMNS = [("scenario", 16), ("requests", 10), ("failures", 10), ("req/s", 9)]
COLUMNS += [("surveys/s", 11), ("p50 ms", 8), ("p95 ms", 8), ("p99 ms", 8), ("vs baseline", 13)]


@dataclass
class Figure:
    scenario: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    completions: int = 0
    completions_per_s: float = 0.0
    stored: dict[str, int] = field(default_factory=dict)
    load: str = ""
    drain: dict[str, float] = field(default_factory=dict)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS), help="scenarios to run")
    parser.add_argument("-u", "--users", type=int, default=50)
    parser.add_argument("-t", "--seconds", type=int, default=30)
    parser.add_argument("-w", "--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--respondents",
        type=int,
        help="tokens seeded per respondent scenario (default: 40,000 for respond-api, "
        "5,000 for respond-pages, which takes 33 requests a survey)",
    )
    args = parser.parse_args()
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario: {', '.join(sorted(unknown))}")

    database_url = bench_database_url(DATABASE)
    try:
        ensure_database(database_url)
    except Exception as exc:  # psycopg's errors: the server is down or refuses us
        print(f"bench needs PostgreSQL ({exc}); set BENCH_DATABASE_URL.", file=sys.stderr)
        return 2
    redis_url = bench_redis_url(REDIS_DB) if answers("127.0.0.1", 6379) else ""
    env = bench_env(database_url=database_url, redis_url=redis_url)
    migrate(env)
    manage_shell(env, f"c = connection.cursor(); c.execute('{BASELINE_TABLE}')")

    figures = [run_scenario(name, args, env) for name in args.scenarios]
    print_table(figures, args, database_url, redis_url)
    return 0 if check_targets(figures, args.users) else 1


def run_scenario(name: str, args: argparse.Namespace, env: dict[str, str]) -> Figure:
    out = Path(tempfile.mkdtemp(prefix="bench-"))
    tokens = out / "tokens.txt"
    wave_id = None
    respondents = args.respondents or RESPONDENTS.get(name, 0)
    if name in COMPLETION:
        subprocess.run(
            [
                PY,
                "-m",
                "bench.seed",
                "respond",
                "--count",
                str(respondents),
                "--tokens",
                tokens,
            ],
            check=True,
            env=env,
            cwd=ROOT,
        )
        wave_id = json.loads(tokens.with_suffix(".answers.json").read_text())["wave"]
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "bench.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--preload",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        load = load_average()
        log = (out / "locust.log").open("w")
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                SCENARIOS[name],
                "--headless",
                "--host",
                f"http://127.0.0.1:{port}",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.users),
                "--run-time",
                f"{args.seconds}s",
                "--tags",
                name,
                "--json-file",
                str(out / "stats"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            check=False,
            cwd=ROOT,
            env={**env, "BENCH_TOKENS": str(tokens)},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        figure = read_figure(name, out / "stats.json")
        figure.load = load
        if figure.failures:
            print((out / "locust.log").read_text()[-3000:], file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=20)
    if wave_id is not None:
        figure.drain = drain_inbox(env)
        figure.stored = stored_counts(env, wave_id)
        if figure.completions >= respondents:
            print(f"{name}: every seeded token was used; raise --respondents", file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)
    return figure


def read_figure(name: str, path: Path) -> Figure:
    """Figures from locust's final statistics (its CSV files are written on a timer and can miss
    the last second)."""
    entries = json.loads(path.read_text())
    times: Counter[int] = Counter()
    for entry in entries:
        times.update({int(ms): n for ms, n in entry["response_times"].items()})
    requests = sum(e["num_requests"] for e in entries)
    elapsed = max(e["last_request_timestamp"] for e in entries) - min(
        e["start_time"] for e in entries
    )
    elapsed = max(elapsed, 1e-9)
    figure = Figure(
        scenario=name,
        requests=requests,
        failures=sum(e["num_failures"] for e in entries),
        rps=requests / elapsed,
        p50=percentile(times, 0.50),
        p95=percentile(times, 0.95),
        p99=percentile(times, 0.99),
    )
    completion = next((e for e in entries if e["name"] == COMPLETION.get(name)), None)
    if completion is not None:
        figure.completions = completion["num_requests"] - completion["num_failures"]
        figure.completions_per_s = figure.completions / elapsed
    return figure


def percentile(times: Counter[int], share: float) -> float:
    """The response time (ms, as locust rounds it) below which ``share`` of requests fall."""
    total = sum(times.values())
    seen = 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= share * total:
            return float(ms)
    return 0.0


def drain_inbox(env: dict[str, str]) -> dict[str, float]:
    """Save the submissions the API accepted but no worker expanded during the run, as the
    ``expand_submissions`` task does; returns how many and how long it took. The tasks the web
    processes queued (no worker runs here) are purged from the benchmark's Redis database."""
    purge = "from kundeservice.celery import app; app.control.purge(); " if env["REDIS_URL"] else ""
    output = manage_shell(
        env,
        f"{purge}import json, time; from surveys.services.submissions import submissions_expand; "
        "started = time.perf_counter(); done = submissions_expand(); "
        "print(json.dumps({'saved': done.get('saved', 0), 'other': sum(done.values()) - "
        "done.get('saved', 0), 'seconds': time.perf_counter() - started}))",
    )
    return dict(json.loads(output.strip().splitlines()[-1]))


def stored_counts(env: dict[str, str], wave_id: int) -> dict[str, int]:
    """What the database holds for the scenario's wave: submitted responses and their answers,
    and submissions still waiting in the inbox (none once it is drained)."""
    output = manage_shell(
        env,
        "import json; from surveys.models import Answer, Response, SubmissionInbox; "
        f"print(json.dumps({{'responses': Response.objects.filter(wave_id={wave_id}, "
        "status='submitted').count(), "
        f"'answers': Answer.objects.filter(wave_id={wave_id}).count(), "
        f"'pending': SubmissionInbox.objects.filter(invitation__wave_id={wave_id}, "
        "status='pending').count()}))",
    )
    return dict(json.loads(output.strip().splitlines()[-1]))


def manage_shell(env: dict[str, str], code: str) -> str:
    return subprocess.run(
        [PY, str(ROOT / "manage.py"), "shell", "-c", f"from django.db import connection; {code}"],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout


def print_table(
    figures: list[Figure], args: argparse.Namespace, database_url: str, redis_url: str
) -> None:
    baseline = next((f for f in figures if f.scenario == "baseline"), None)
    print(f"\nlocust: {args.users} users, no wait, {args.seconds} s each; ", end="")
    print(
        f"gunicorn {args.workers} sync workers; PostgreSQL {database_url.rsplit('@', 1)[-1]}",
        end="",
    )
    print(f"; cache {redis_url.rsplit('@', 1)[-1] or 'local memory'}")
    print(
        "".join(f"{name:<{w}}" if i == 0 else f"{name:>{w}}" for i, (name, w) in enumerate(COLUMNS))
    )
    for f in figures:
        rate = f.completions_per_s if f.scenario in COMPLETION else f.rps
        ratio = f"{rate / baseline.rps:.0%}" if baseline and baseline.rps else "-"
        surveys = f"{f.completions_per_s:.1f}" if f.scenario in COMPLETION else "-"
        print(
            f"{f.scenario:<16}{f.requests:>10}{f.failures:>10}{f.rps:>9.1f}{surveys:>11}"
            f"{f.p50:>8.0f}{f.p95:>8.0f}{f.p99:>8.0f}{ratio:>13}"
        )
    print()
    for f in figures:
        if f.scenario in COMPLETION:
            print(
                f"{f.scenario}: {f.completions} surveys completed in {f.requests} requests "
                f"(counting surveys still in progress at the end); the database holds "
                f"{f.stored.get('responses')} submitted responses with "
                f"{f.stored.get('answers')} answers"
            )
            if f.drain.get("saved"):
                seconds = f.drain["seconds"]
                print(
                    f"{f.scenario}: after the run, {f.drain['saved']:.0f} accepted submissions "
                    f"were saved from the inbox in {seconds:.1f} s "
                    f"({f.drain['saved'] / max(seconds, 1e-9):.0f}/s, one process)"
                )
    for f in figures:
        print(f"{f.scenario}: {f.load} when it started")


def check_targets(figures: list[Figure], users: int) -> bool:
    ok = True
    for f in figures:
        if f.scenario in COMPLETION:
            # Requests still in flight when locust stops are stored but not counted by it.
            stored = f.stored.get("responses", -1)
            counted = f.completions <= stored <= f.completions + users
            complete = f.stored.get("answers") == stored * QUESTIONS and not f.stored.get("pending")
            if not counted or not complete or f.failures:
                print(
                    f"FAIL {f.scenario}: {f.failures} failed requests; "
                    f"database holds {f.stored} for {f.completions} completions counted"
                )
                ok = False
    baseline = next((f for f in figures if f.scenario == "baseline"), None)
    api = next((f for f in figures if f.scenario == "respond-api"), None)
    if baseline and api and baseline.rps:
        ratio = api.completions_per_s / baseline.rps
        met = ratio >= TARGET_RATIO and api.p95 < TARGET_P95_MS
        print(
            f"{'PASS' if met else 'FAIL'} target (issue 3): respond-api completes "
            f"{api.completions_per_s:.1f} surveys/s = {ratio:.0%} of the baseline's "
            f"{baseline.rps:.1f} req/s (needs >= {TARGET_RATIO:.0%}), p95 {api.p95:.0f} ms "
            f"(needs < {TARGET_P95_MS} ms)"
        )
        ok = ok and met
    return ok


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url}")


if __name__ == "__main__":
    sys.exit(main())
