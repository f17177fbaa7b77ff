"""``make bench``: every benchmark target in one run and one table — the bare baseline, the
figure, their ratio, the goal and met/missed, with the load before each target.

    make bench                                  # every target (≤ 10 min on a quiet machine)
    make bench ARGS="api award-live"            # some targets
    make bench ARGS="--quick"                   # shorter runs, smaller data: to check the harness
    make bench ARGS="--wait-quiet 300 --record bench/RESULTS.md"

Targets (bench/harness.py has the production shape, the bare baseline and the load gate):

  api         respondent API submit with the Celery worker running (issue 21): locust, 50 users,
              no wait, against the bare project in the same run; a survey counts when its
              Response and 20 Answers are saved by the worker; FAILS if any accepted submission
              is left unsaved. Goal ≥ 60 % of the bare req/s, p95 < 150 ms.
  browser     the browser survey at /s/<token>/ (issue 21): a plug-in, ``bench/browser_survey.py``
              (see PLUGINS below); goal ≥ 10 % of the api target's surveys/s in the same run.
  export      CSV ≤ 2× and XLSX ≤ 6× PostgreSQL's COPY of the same 50,000 × 20 answers
              (bench/export.py's seed and measure children).
  award-live  the award night's live page (issue 13): 2,000 phones polling the live feed every
              2 s through the production WSGI stack (304 shortcut); p95 < 50 ms, 0 errors, a
              reveal seen by every poller < 3 s; its req/s beside the bare baseline's.
  finalists   the finalists of every demo award category < 1 s (bench/award_finalists.py).
  rush        300 buyers for 100 seats (issue 14): exactly 100 sold, 0 errors, orders/s ≥ 25 %
              of the bare baseline's req/s with as many clients (bench/tickets.py).
  checkin     20 scanners, 1,000 tickets: p95 < 50 ms; 1,000 replayed nonces store nothing twice.
  invoices    invoice PDF + EHF for 500 orders < 30 s.
  pages       public results pages, cached p95 < 20 ms, uncached < 300 ms (bench/pages.py).

Every target samples the CPU for 3 s before it starts (nothing of the benchmark running); above
1.5 busy cores its figures are marked noisy. ``--record FILE`` appends the table to FILE as
Markdown and refuses noisy rows unless ``--keep-noisy`` (then they are written marked noisy).
Exit status 1 when a target that ran is missed.
"""

import argparse
import importlib
import json
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.common import (
    PY,
    ROOT,
    answers,
    bench_redis_url,
    prepared_database,
)
from bench.harness import Row, Stats

DATABASE = "kundeservice_bench"
REDIS_DB = 6
API_RATIO = 0.60
API_P95_MS = 150
QUESTIONS = 20
#: Scenario modules plugged in by name. Such a module defines
#:
#:     def measure(ctx: bench.run.Context) -> list[bench.harness.Row]: ...
#:
#: and may use everything on ``ctx`` (the API database's environment with Redis, the bare
#: baseline and the api target's figures of this run, and helpers that seed respondents, start
#: the subject with its worker, run locust and count what was saved). A missing module is
#: reported as "not run", not as a failure.
PLUGINS = {"browser": "bench.browser_survey"}


@dataclass
class Context:
    """What a target gets: the command line, the API database's environment, and what earlier
    targets of the same run measured (the bare baseline, the api target's surveys/s)."""

    args: argparse.Namespace
    env: dict[str, str]
    baseline: Stats | None = None
    api_surveys_per_s: float | None = None
    shared: dict[str, Any] = field(default_factory=dict)

    def bare_baseline(self) -> Stats:
        """The bare project under locust (``--users`` clients, no wait), once per run."""
        if self.baseline is None:
            self.baseline = harness.baseline_stats(
                self.env, users=self.args.users, seconds=self.args.seconds
            )
        return self.baseline

    def seed_respondents(self, count: int) -> tuple[Path, int]:
        """A fresh open wave of the 20-question survey with ``count`` invitations; the tokens
        file (one a line; ``.answers.json`` beside it holds the answers) and the wave's id."""
        tokens = Path(tempfile.mkdtemp(prefix="bench-")) / "tokens.txt"
        cmd = [PY, "-m", "bench.seed", "respond", "--count", str(count), "--tokens", str(tokens)]
        subprocess.run(cmd, check=True, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL)
        wave = json.loads(tokens.with_suffix(".answers.json").read_text())["wave"]
        return tokens, int(wave)

    def subject(self) -> Any:
        """Context manager: the production shape — gunicorn (``bench.wsgi``) and a Celery
        worker; yields the base URL."""
        return _subject(self.env)

    def saved(self, wave_id: int, *, wait: float = 120.0) -> dict[str, Any]:
        """Wait (up to ``wait`` s) until the worker has saved every accepted submission of the
        wave, then what the database holds: submitted responses, answers, submissions pending or
        failed, and the time (epoch s) the last response was saved."""
        return wait_saved(self.env, wave_id, wait=wait)

    def locust(self, user_class: str, host: str, **kwargs: Any) -> Stats:
        return harness.locust(user_class, host, self.env, **kwargs)


class _subject:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __enter__(self) -> str:
        self.worker = harness.celery_worker(self.env)
        self.worker.__enter__()
        self.server = harness.gunicorn("bench.wsgi", self.env)
        return self.server.__enter__()

    def __exit__(self, *exc: Any) -> None:
        try:
            self.server.__exit__(*exc)
        finally:
            self.worker.__exit__(*exc)


# --- api --------------------------------------------------------------------------------------


def target_api(ctx: Context) -> list[Row]:
    args = ctx.args
    tokens, wave_id = ctx.seed_respondents(args.respondents)
    load = harness.load_before()
    baseline = ctx.bare_baseline()
    with ctx.subject() as base:
        cpu = harness.CpuSplit().start()
        stats = harness.locust(
            "RespondApiUser",
            base,
            {**ctx.env, "BENCH_TOKENS": str(tokens)},
            users=args.users,
            seconds=args.seconds,
        )
        stored = ctx.saved(wave_id)
        stats.cpu = cpu.stop()  # the worker's draining after locust stopped is counted too
    accepted = stats.named("api: submit")
    accepted_n = accepted["num_requests"] - accepted["num_failures"]
    saved_n = stored["responses"]
    span = max(stored["last_saved"] - stats.started, stats.elapsed) if saved_n else 0.0
    per_s = saved_n / span if span else 0.0
    ctx.api_surveys_per_s = per_s
    ratio = per_s / baseline.rps if baseline.rps else 0.0
    # Requests still in flight when locust stops are saved but not counted by it.
    all_saved = (
        accepted_n <= saved_n <= accepted_n + args.users
        and stored["answers"] == saved_n * QUESTIONS
        and not stored["pending"]
        and not stored["failed"]
    )
    if accepted_n >= args.respondents:
        print("api: every seeded token was used; raise --respondents", file=sys.stderr)
    met = all_saved and not stats.failures and ratio >= API_RATIO and stats.p95 < API_P95_MS
    note = (
        f"{accepted_n} accepted (202) in {stats.elapsed:.1f} s, {saved_n} saved with "
        f"{stored['answers']} answers by {stored['last_saved'] - stats.started:.1f} s "
        f"(worker drained in {stored['waited']:.1f} s after locust stopped); pending "
        f"{stored['pending']}, failed {stored['failed']}; {stats.failures} failed requests; "
        f"p50/p95/p99 {stats.p50:.0f}/{stats.p95:.0f}/{stats.p99:.0f} ms; bare p95 "
        f"{baseline.p95:.0f} ms; CPU a saved survey: {stats.cpu_per(saved_n)}; CPU a bare "
        f"request: {baseline.cpu_per(baseline.requests)}"
    )
    if not all_saved:
        note = "FAIL: accepted submissions left unsaved. " + note
    return [
        Row(
            target="API submit, worker running",
            baseline=f"{baseline.rps:,.0f} req/s",
            figure=f"{per_s:,.0f} surveys/s saved, p95 {stats.p95:.0f} ms",
            ratio=f"{ratio:.0%}",
            goal="≥ 60 %, p95 < 150 ms, all saved",
            met=met,
            load=load,
            note=note,
            detail={"stored": stored, "accepted": accepted_n},
        )
    ]


def wait_saved(env: dict[str, str], wave_id: int, *, wait: float) -> dict[str, Any]:
    code = (
        "import json, time; from django.db.models import Max; "
        "from surveys.models import Answer, Response, SubmissionInbox; "
        f"w = {wave_id}; started = time.monotonic(); "
        "pending = lambda: SubmissionInbox.objects.filter(invitation__wave_id=w, "
        "status='pending').count(); "
        f"exec('while pending() and time.monotonic() - started < {wait}: time.sleep(0.5)'); "
        "last = Response.objects.filter(wave_id=w).aggregate(m=Max('submitted_at'))['m']; "
        "print(json.dumps({'responses': Response.objects.filter(wave_id=w, "
        "status='submitted').count(), 'answers': Answer.objects.filter(wave_id=w).count(), "
        "'pending': pending(), 'failed': SubmissionInbox.objects.filter(invitation__wave_id=w, "
        "status='failed').count(), 'last_saved': last.timestamp() if last else 0.0, "
        "'waited': time.monotonic() - started}))"
    )
    return harness.last_json(harness.manage_shell(env, code))


# --- browser (plug-in) ------------------------------------------------------------------------


def target_plugin(name: str) -> Callable[[Context], list[Row]]:
    def run(ctx: Context) -> list[Row]:
        module_name = PLUGINS[name]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            path = module_name.replace(".", "/") + ".py"
            return [Row(target=name, note=f"not run: {path} is not on this branch")]
        rows: list[Row] = module.measure(ctx)
        return rows

    return run


# --- export -----------------------------------------------------------------------------------


def target_export(ctx: Context) -> list[Row]:
    """Through bench/export.py's two children: ``seed N reseed`` → ``{wave, …}`` and
    ``measure KIND WAVE DIR`` → ``{seconds, peak_mb, …}``; rounds interleaved, medians."""
    from bench import export

    env = prepared_database(export.DATABASE)
    if env is None:
        return [Row(target="export", note="not run: no PostgreSQL")]
    responses = 5_000 if ctx.args.quick else 50_000
    seeded = export.run_child(env, ["seed", str(responses), "0"])
    kinds = ["copy", "csv", "xlsx"]
    load = harness.load_before()
    runs: dict[str, list[float]] = {kind: [] for kind in kinds}
    peaks: dict[str, float] = dict.fromkeys(kinds, 0.0)
    out = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        for _round in range(1 if ctx.args.quick else 3):
            for kind in kinds:
                done = export.run_child(env, ["measure", kind, str(seeded["wave"]), str(out)])
                runs[kind].append(done["seconds"])
                peaks[kind] = max(peaks[kind], done["peak_mb"])
    finally:
        for path in out.iterdir():
            path.unlink()
        out.rmdir()
    copy = export.median([{"seconds": s} for s in runs["copy"]])
    rows = []
    for kind, goal in [("csv", 2.0), ("xlsx", 6.0)]:
        med = export.median([{"seconds": s} for s in runs[kind]])
        ratio = med / copy if copy else 0.0
        rows.append(
            Row(
                target=f"{kind.upper()} export {responses // 1000}k × 20",
                baseline=f"COPY {copy:.2f} s",
                figure=f"{med:.2f} s, peak {peaks[kind]:.0f} MB",
                ratio=f"{ratio:.2f}×",
                goal=f"≤ {goal:g}× COPY, peak < 300 MB",
                met=ratio <= goal and peaks[kind] < 300,
                load=load,
                note="rounds (s): " + ", ".join(f"{s:.2f}" for s in runs[kind]),
            )
        )
    return rows


# --- award night ------------------------------------------------------------------------------


def target_award_live(ctx: Context) -> list[Row]:
    from bench import live

    return live.measure(ctx)


def target_finalists(ctx: Context) -> list[Row]:
    from bench import award_finalists
    from bench.common import run_child

    env = ctx.shared.get("award_env") or prepared_database(award_finalists.DATABASE)
    if env is None:
        return [Row(target="finalists", note="not run: no PostgreSQL")]
    env = {**env, "REDIS_URL": "", "CELERY_TASK_ALWAYS_EAGER": "1"}
    run_child(award_finalists.__file__, env, ["--repeat", "1"])  # seeds the demo once
    load = harness.load_before()
    got = run_child(award_finalists.__file__, env, ["--repeat", "3" if ctx.args.quick else "5"])
    return [
        Row(
            target=f"award finalists, {got['categories']} categories",
            figure=f"median {got['median_s']:.3f} s (max {got['max_s']:.3f})",
            goal="< 1 s",
            met=got["median_s"] < 1.0,
            load=load,
        )
    ]


# --- tickets, pages ---------------------------------------------------------------------------


def target_tickets(which: str) -> Callable[[Context], list[Row]]:
    def run(ctx: Context) -> list[Row]:
        from bench import tickets

        return tickets.measure(which, quick=ctx.args.quick)

    return run


def target_pages(ctx: Context) -> list[Row]:
    from bench import pages

    return pages.measure(requests=30 if ctx.args.quick else 100)


TARGETS: dict[str, Callable[[Context], list[Row]]] = {
    "api": target_api,
    "browser": target_plugin("browser"),
    "export": target_export,
    "award-live": target_award_live,
    "finalists": target_finalists,
    "rush": target_tickets("rush"),
    "checkin": target_tickets("checkin"),
    "invoices": target_tickets("invoices"),
    "pages": target_pages,
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("targets", nargs="*", default=list(TARGETS), help="targets to run")
    parser.add_argument("-u", "--users", type=int, default=50, help="api/baseline clients")
    parser.add_argument("-t", "--seconds", type=int, default=20, help="api/baseline duration")
    parser.add_argument("--respondents", type=int, default=40_000, help="api tokens seeded")
    parser.add_argument("--phones", type=int, default=2_000, help="award-live pollers")
    parser.add_argument("--quick", action="store_true", help="small runs to check the harness")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="S",
        help="before each target wait up to S seconds for the machine to be quiet",
    )
    parser.add_argument("--record", type=Path, help="append the table to this Markdown file")
    parser.add_argument("--keep-noisy", action="store_true", help="record noisy rows, marked")
    args = parser.parse_args()
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown target: {', '.join(sorted(unknown))}")
    if args.quick:
        args.seconds = min(args.seconds, 10)
        args.respondents = min(args.respondents, 15_000)
        args.phones = min(args.phones, 300)

    redis_url = bench_redis_url(REDIS_DB) if answers("127.0.0.1", 6379) else ""
    env = prepared_database(DATABASE, redis_url=redis_url)
    if env is None:
        return 2
    ctx = Context(args=args, env=env)
    rows: list[Row] = []
    started = time.monotonic()
    for name in args.targets:
        if args.wait_quiet:
            harness.wait_quiet(args.wait_quiet)
        began = time.monotonic()
        print(f"[{time.strftime('%H:%M:%S')}] {name} …", flush=True)
        try:
            got = TARGETS[name](ctx)
        except Exception as exc:  # one broken target must not hide the others' figures
            got = [Row(target=name, met=False, note=f"ERROR {type(exc).__name__}: {exc}")]
            import traceback

            traceback.print_exc()
        rows += got
        print(f"    {name}: {time.monotonic() - began:.0f} s", flush=True)
        for row in got:
            print(
                f"    {row.target}: {row.figure}; baseline {row.baseline}; ratio {row.ratio} "
                f"({row.verdict}; load before {row.load or '-'}) {row.note}",
                flush=True,
            )
    harness.print_table(rows)
    print(f"\nwhole run: {time.monotonic() - started:.0f} s")
    if args.record:
        command = "make bench" + (f' ARGS="{shlex.join(sys.argv[1:])}"' if sys.argv[1:] else "")
        text, refused = harness.markdown(rows, command, keep_noisy=args.keep_noisy)
        with args.record.open("a") as out:
            out.write("\n" + text)
        for row in refused:
            print(f"NOT RECORDED (noisy: {row.load}): {row.target}")
    return 1 if any(row.met is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
