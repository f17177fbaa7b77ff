"""Webhook benchmark (issue 20). Exit status 1 when a target is missed.

    .venv/bin/python bench/webhooks.py                       # all three scenarios
    .venv/bin/python bench/webhooks.py deliver --count 10000
    .venv/bin/python bench/webhooks.py outage --down 600
    .venv/bin/python bench/webhooks.py emit --submits 300

Scenarios:
  deliver  --count response.saved events (the expansion's bulk emit, 1,000 per transaction)
           to one endpoint on a local receiver that answers 200 after 20 ms; a real Celery
           worker with two processes on the webhooks queue. Target: every event received
           exactly once (by webhook-id) within 60 s of the first commit.
  outage   the receiver refuses connections for --down seconds while events keep coming (a
           batch every 10 s), then is back. Target: every event received, in order (no request
           behind more than the rest of its lane's round of 64), exactly once; reports how long
           after its return the last one arrived. This process queues beat's sweep every
           minute, as beat would.
  emit     what emitting costs the submit paths: the browser submit (response_submit) and the
           API's worker (submissions_expand, 500 a batch) timed with the emit and with it
           replaced by nothing, alternately; the API request itself (submission_accept) never
           emits, which its statement count shows.

Uses its own PostgreSQL database (kundeservice_bench_webhooks) and Redis database 11.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PY,
    ROOT,
    answers,
    bench_redis_url,
    free_port,
    load_average,
    prepared_database,
)
from tests.webhooks.receiver import Receiver, Reply

DATABASE = "kundeservice_bench_webhooks"
REDIS_DB = 11
TARGET_SECONDS = 60.0
#: Deliveries a lane sends per round (ROUND × WEBHOOK_LANE_CONCURRENCY): rounds go in order,
#: and within one a slow request may be overtaken by the rest of its round.
WINDOW = 64


@dataclass
class Result:
    scenario: str
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", default=["deliver", "outage", "emit"])
    parser.add_argument("--count", type=int, default=10_000, help="deliver: events")
    parser.add_argument("--latency", type=float, default=0.02, help="receiver's answer time (s)")
    parser.add_argument("--down", type=float, default=600.0, help="outage: seconds down")
    parser.add_argument("--submits", type=int, default=300, help="emit: submits per variant")
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    if not answers("127.0.0.1", 6379):
        print("bench/webhooks.py needs Redis on 127.0.0.1:6379.", file=sys.stderr)
        return 2
    env = prepared_database(DATABASE, redis_url=bench_redis_url(REDIS_DB))
    if env is None:
        return 2
    env |= {"CELERY_TASK_ALWAYS_EAGER": "0", "PYTHONUNBUFFERED": "1"}
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    if "bench" not in str(connection.settings_dict["NAME"]):
        raise SystemExit("refusing to run on a database that is not a benchmark's")
    print(f"start: {load_average()}; /proc/loadavg {Path('/proc/loadavg').read_text().strip()}")
    results = []
    for name in args.scenarios:
        scenario = {"deliver": deliver, "outage": outage, "emit": emit}.get(name)
        if scenario is None:
            raise SystemExit(f"unknown scenario {name!r}")
        results.append(scenario(args, env))
    ok = True
    for result in results:
        print(f"\n== {result.scenario}")
        for line in result.lines:
            print(f"  {line}")
        for problem in result.problems:
            print(f"  MISSED: {problem}")
        ok = ok and not result.problems
    print(f"\nend: {load_average()}")
    return 0 if ok else 1


def deliver(args: argparse.Namespace, env: dict[str, str]) -> Result:
    result = Result(f"deliver {args.count} events, receiver {args.latency * 1000:.0f} ms")
    with Receiver(Reply(200, delay=args.latency)) as receiver, Worker(env, args.processes):
        endpoint = _fresh_endpoint(receiver.url)
        _bench_wave()  # made before the clock starts
        started = time.monotonic()
        ids = _emit_responses(args.count)
        committed = time.monotonic() - started
        done = _wait_for(receiver, len(ids), TARGET_SECONDS * 3)
        last = max((r.at for r in receiver.received), default=started) - started
        received = receiver.ids()
    result.lines += [
        f"emitted and committed in {committed:.1f} s",
        f"received {len(received)} requests, {len(set(received))} distinct ids; last at "
        f"{last:.1f} s after the first commit ({len(received) / max(last, 1e-9):.0f} events/s)",
    ]
    _check_once(result, received, ids)
    if not done or last > TARGET_SECONDS:
        result.problems.append(f"all delivered within {TARGET_SECONDS:.0f} s (took {last:.1f} s)")
    _summarise_endpoint(result, endpoint)
    return result


def outage(args: argparse.Namespace, env: dict[str, str]) -> Result:
    result = Result(f"outage: receiver down {args.down:.0f} s")
    port = free_port()
    ids: list[str] = []
    with Worker(env, args.processes):
        with Receiver(port=port) as receiver:
            endpoint = _fresh_endpoint(receiver.url)
            ids += _emit_responses(200)
            _wait_for(receiver, len(ids), 60)
            before = len(receiver.received)
        down_at = time.monotonic()
        stop = threading.Event()
        sweeper = threading.Thread(target=_sweep_every_minute, args=(stop,), daemon=True)
        sweeper.start()
        while time.monotonic() - down_at < args.down:
            ids += _emit_responses(50)
            time.sleep(10)
        with Receiver(port=port) as back:
            back_at = time.monotonic()
            done = _wait_for(back, len(ids) - before, 3 * 3600)
            stop.set()
            last = max((r.at for r in back.received), default=back_at) - back_at
            received = [*receiver.ids(), *back.ids()]
            order = [json.loads(r.body)["data"]["id"] for r in back.received]
    result.lines += [
        f"{len(ids)} events, {before} before the outage, {len(ids) - before} during it",
        f"after the receiver's return the first arrived at "
        f"{(min((r.at for r in back.received), default=back_at) - back_at):.0f} s and the last at "
        f"{last:.0f} s",
        f"most later events one arrived behind: {_disorder(order)} (a round is {WINDOW})",
    ]
    _check_once(result, received, ids)
    if not done:
        result.problems.append("every event delivered after the receiver came back")
    if _disorder(order) >= WINDOW:
        result.problems.append(f"in order, but for overtaking within a round of {WINDOW}")
    _summarise_endpoint(result, endpoint)
    return result


def emit(args: argparse.Namespace, env: dict[str, str]) -> Result:
    """Timed in this process, tasks eager but the dispatch left out, so only the emit is
    measured."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.seed import answers_path, seed_respondents
    from kundeservice.celery import app as celery_app
    from surveys.evaluation import clean_answers
    from surveys.models import SubmissionInbox, SubmissionStatus
    from surveys.selectors import questionnaire_structure
    from surveys.services import responding, submissions
    from surveys.services.responding import response_for_token, response_submit
    from surveys.services.submissions import submission_accept, submissions_expand
    from webhooks.services import events

    result = Result(f"emit: cost on the submit paths ({args.submits} submits per variant)")
    celery_app.conf.task_always_eager = True
    real_queue = events._queue_dispatch
    events._queue_dispatch = lambda: None  # the dispatch is the worker's, not the request's
    real_emit, real_bulk = responding.webhook_event_emit, submissions._emit_saved
    real_expansion = submissions._queue_expansion
    submissions._queue_expansion = lambda: None  # expanded below, timed
    tokens_file = Path(tempfile.mkstemp(prefix="bench-webhooks-", suffix=".tokens")[1])
    try:
        seed_respondents(count=4 * args.submits, tokens_path=tokens_file)
        tokens = tokens_file.read_text().split()
        api = json.loads(answers_path(tokens_file).read_text())["api"]
        browser: dict[bool, list[float]] = {True: [], False: []}
        statements: dict[bool, int] = {}
        for i, token in enumerate(tokens[: 2 * args.submits]):
            with_emit = i % 2 == 0
            responding.webhook_event_emit = real_emit if with_emit else _no_emit
            response = response_for_token(token=token)
            structure = questionnaire_structure(questionnaire=response.wave.questionnaire)
            cleaned, _errors = clean_answers(structure, api)
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response_submit(response_id=response.pk, structure=structure, answers=cleaned)
                browser[with_emit].append(time.perf_counter() - started)
            statements[with_emit] = len(queries.captured_queries)
        for with_emit in (True, False):
            times = browser[with_emit]
            result.lines.append(
                f"browser submit {'with' if with_emit else 'without'} emit: median "
                f"{statistics.median(times) * 1000:.2f} ms, mean "
                f"{statistics.fmean(times) * 1000:.2f} ms, {statements[with_emit]} statements"
            )
        difference = statistics.median(browser[True]) - statistics.median(browser[False])
        result.lines.append(f"  difference of medians {1000 * difference:+.2f} ms")
        rest = tokens[2 * args.submits :]
        with CaptureQueriesContext(connection) as queries:
            submission_accept(token=rest[0], answers=api)
        accept_sql = " ".join(q["sql"] for q in queries.captured_queries)
        result.lines.append(
            f"API request (submission_accept): {len(queries.captured_queries)} statement(s), "
            f"webhook tables touched: {'webhooks_' in accept_sql}"
        )
        for token in rest[1:]:
            submission_accept(token=token, answers=api)
        expand: dict[bool, list[float]] = {True: [], False: []}
        batch = 100
        waiting = list(
            SubmissionInbox.objects.filter(status=SubmissionStatus.PENDING)
            .order_by("id")
            .values_list("invitation_id", flat=True)
        )
        for number, start in enumerate(range(0, len(waiting), batch)):
            with_emit = number % 2 == 0
            submissions._emit_saved = real_bulk if with_emit else (lambda *a, **k: None)
            chunk = waiting[start : start + batch]
            started = time.perf_counter()
            done = submissions_expand(batch_size=batch, invitation_ids=chunk)
            expand[with_emit].append((time.perf_counter() - started) / max(sum(done.values()), 1))
        for with_emit in (True, False):
            per = expand[with_emit]
            result.lines.append(
                f"worker expansion {'with' if with_emit else 'without'} emit: "
                f"{statistics.median(per) * 1000:.3f} ms per response (median of {len(per)} "
                f"batches of {batch})"
            )
    finally:
        responding.webhook_event_emit, submissions._emit_saved = real_emit, real_bulk
        events._queue_dispatch = real_queue
        submissions._queue_expansion = real_expansion
        tokens_file.unlink(missing_ok=True)
        answers_path(tokens_file).unlink(missing_ok=True)
    return result


def _no_emit(**_kwargs: Any) -> None:
    return None


class Worker:
    """``celery worker`` on the webhooks queue with ``processes`` processes, as `make worker`
    runs it (prefork); stopped on exit."""

    def __init__(self, env: dict[str, str], processes: int) -> None:
        self.env, self.processes = env, processes
        self.log = Path(tempfile.mkstemp(prefix="bench-webhooks-worker-", suffix=".log")[1])

    def __enter__(self) -> "Worker":
        from kundeservice.celery import app as celery_app

        celery_app.control.purge()
        name = f"bench-webhooks-{os.getpid()}@{os.uname().nodename}"
        self.process = subprocess.Popen(
            [
                *(PY, "-m", "celery", "-A", "kundeservice", "worker", "-Q", "webhooks"),
                *("-n", name, f"--concurrency={self.processes}", "--loglevel=WARNING"),
                *("--without-heartbeat", "--without-mingle", "--without-gossip"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"celery worker exited at start; see {self.log}")
            if celery_app.control.ping(timeout=0.5, destination=[name]):
                return self
        raise SystemExit(f"celery worker did not answer within 60 s; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _fresh_endpoint(url: str) -> Any:
    """Earlier runs' events and endpoints go; one endpoint for response.saved at ``url``."""
    from django.db import connection

    from webhooks.services.endpoints import webhook_endpoint_create

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE webhooks_webhookattempt, webhooks_webhookdelivery, webhooks_webhookevent, "
            "webhooks_webhookendpoint RESTART IDENTITY CASCADE"
        )
    endpoint, _secret = webhook_endpoint_create(url=url, event_types=["response.saved"])
    return endpoint


def _emit_responses(count: int) -> list[str]:
    """``count`` submitted responses and their response.saved events, 1,000 per transaction as
    the expansion writes them; returns the events' webhook ids."""
    from django.db import transaction
    from django.utils import timezone

    from surveys.models import Company, Response, ResponseSource, ResponseStatus, Wave
    from surveys.webhook_events import RESPONSE_SAVED
    from webhooks.services.events import webhook_events_emit

    wave = _bench_wave()
    company = Company.objects.filter(is_active=True).order_by("pk").first()
    ids: list[str] = []
    for start in range(0, count, 1000):
        with transaction.atomic():
            responses = Response.objects.bulk_create(
                [
                    Response(
                        wave=wave,
                        source=ResponseSource.PANEL,
                        status=ResponseStatus.SUBMITTED,
                        company=company,
                        channel="phone",
                        submitted_at=timezone.now(),
                    )
                    for _ in range(min(1000, count - start))
                ]
            )
            rows = webhook_events_emit(event=RESPONSE_SAVED, subjects=responses)
            ids += [row.msg_id for row in rows]
    assert Wave.objects.filter(pk=wave.pk).exists()
    return ids


def _bench_wave() -> Any:
    from bench.seed import bench_spec
    from surveys.models import Company, Questionnaire, Study, StudyKind, Wave, WaveStatus
    from surveys.services.questionnaires import questionnaire_create

    if not Company.objects.filter(is_active=True).exists():
        from surveys.demo import seed as seed_catalog

        seed_catalog(stdout_lines=[])
    spec = bench_spec()
    questionnaire = Questionnaire.objects.filter(slug=spec["slug"]).order_by(
        "-version"
    ).first() or questionnaire_create(spec=spec)
    study, _created = Study.objects.get_or_create(
        slug="bench-webhooks", defaults={"name": "Benchmark webhooks", "kind": StudyKind.PANEL}
    )
    wave, _created = Wave.objects.get_or_create(
        study=study,
        slug="webhooks",
        defaults={
            "name": "Webhooks",
            "questionnaire": questionnaire,
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "status": WaveStatus.OPEN,
        },
    )
    return wave


def _wait_for(receiver: Receiver, count: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(set(receiver.ids())) >= count:
            return True
        time.sleep(0.1)
    return False


def _sweep_every_minute(stop: threading.Event) -> None:
    """What beat does for webhooks: queue the sweep every minute."""
    from webhooks.tasks import sweep

    while not stop.wait(60):
        sweep.delay()


def _check_once(result: Result, received: list[str], ids: list[str]) -> None:
    duplicates = len(received) - len(set(received))
    missing = set(ids) - set(received)
    strangers = set(received) - set(ids)
    result.lines.append(
        f"duplicates {duplicates}, missing {len(missing)}, unknown ids {len(strangers)}"
    )
    if missing or strangers:
        result.problems.append("every event received, under its own id")
    if duplicates:
        result.problems.append("each event received once")


def _disorder(order: list[int]) -> int:
    """How far back in event order any request went: 0 when strictly in order."""
    worst, highest = 0, -1
    for position, value in enumerate(order):
        if value < highest:
            earlier = [v for v in order[:position] if v > value]
            worst = max(worst, len(earlier))
        highest = max(highest, value)
    return worst


def _summarise_endpoint(result: Result, endpoint: Any) -> None:
    from django.db.models import Count

    from webhooks.models import WebhookAttempt, WebhookDelivery

    by_status = dict(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    attempts = WebhookAttempt.objects.filter(delivery__endpoint=endpoint).count()
    result.lines.append(f"deliveries by status {by_status}; attempts logged {attempts}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
