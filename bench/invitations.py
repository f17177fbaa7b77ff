"""Invitation-sending benchmark (issue 3): 30,000 invitations rendered and handed to a local SMTP
sink by a real Celery worker in <= 60 s; an SMTP outage mid-way is retried and nobody is mailed
twice. Exit status 1 when a target is missed.

    make bench-mail                                   # both scenarios
    python bench/invitations.py send --count 30000    # one scenario

Scenarios:
  send    the sink accepts everything; timed from starting the send to the last message received
  outage  after a third of the mails the sink answers 421, then refuses connections for
          --outage seconds, then recovers; every panelist must still get exactly one mail

Uses its own PostgreSQL database (kundeservice_bench_mail, created when missing) and Redis
database 7 as the broker; an aiosmtpd sink in this process counts messages and recipients.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller

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

DATABASE = "kundeservice_bench_mail"
REDIS_DB = 7
TARGET_SECONDS = 60


class Sink:
    """An SMTP server that accepts every message and counts it, or refuses on demand."""

    def __init__(self) -> None:
        self.port = free_port()
        self.controller: Controller | None = None
        self.reset(fail_after=None)

    def reset(self, *, fail_after: int | None) -> None:
        self.messages = 0
        self.with_link = 0
        self.recipients: Counter[str] = Counter()
        self.last_at = 0.0
        self.fail_after = fail_after
        self.refused = 0
        self.outage = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail_after is not None and self.messages >= self.fail_after:
            self.refused += 1
            self.outage.set()
            return "421 4.3.2 Service shutting down"
        self.messages += 1
        self.recipients.update(envelope.rcpt_tos)
        if b"/s/" in envelope.content:
            self.with_link += 1
        self.last_at = time.monotonic()
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@dataclass
class Result:
    scenario: str
    count: int
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", default=["send", "outage"])
    parser.add_argument("--count", type=int, default=30_000, help="panelists to invite")
    parser.add_argument("--outage", type=float, default=8.0, help="seconds the sink is down")
    parser.add_argument("--timeout", type=float, default=170.0, help="give up after (s)")
    parser.add_argument(
        "--lanes",
        type=int,
        default=2,
        help="INVITATION_SEND_LANES, and the worker's concurrency to match (default 2)",
    )
    args = parser.parse_args()
    if not answers("127.0.0.1", 6379):
        print(
            "bench/invitations.py needs Redis on 127.0.0.1:6379 (a real worker).", file=sys.stderr
        )
        return 2
    database_url = bench_database_url(DATABASE)
    try:
        ensure_database(database_url)
    except Exception as exc:  # psycopg's errors: the server is down or refuses us
        print(f"needs PostgreSQL ({exc}); set BENCH_DATABASE_URL.", file=sys.stderr)
        return 2
    sink = Sink()
    env = bench_env(
        database_url=database_url,
        redis_url=bench_redis_url(REDIS_DB),
        CELERY_TASK_ALWAYS_EAGER="0",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(sink.port),
        PYTHONUNBUFFERED="1",
        INVITATION_SEND_LANES=str(args.lanes),
    )
    migrate(env)
    os.environ.update(env)
    import django

    django.setup()
    from kundeservice.celery import app as celery_app

    celery_app.control.purge()  # leftovers of an interrupted run, in our own Redis database
    sink.start()
    log = Path(tempfile.mkstemp(prefix="bench-mail-worker-", suffix=".log")[1])
    worker = start_worker(env, log, concurrency=args.lanes)
    results: list[Result] = []
    try:
        for name in args.scenarios:
            results.append(run_scenario(name, args, sink))
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        sink.stop()
    ok = report(results)
    if not ok:
        print(f"worker log: {log}", file=sys.stderr)
    else:
        log.unlink(missing_ok=True)
    return 0 if ok else 1


def start_worker(env: dict[str, str], log: Path, *, concurrency: int) -> subprocess.Popen[bytes]:
    """`celery worker` on the mail queue, as `make worker` runs it; returns once it answers."""
    from kundeservice.celery import app as celery_app

    name = f"bench-mail-{os.getpid()}@{os.uname().nodename}"
    worker = subprocess.Popen(
        [
            *(PY, "-m", "celery", "-A", "kundeservice", "worker", "-Q", "mail", "-n", name),
            *("--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=INFO"),
            f"--concurrency={concurrency}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"celery worker exited at start; see {log}")
        if celery_app.control.ping(timeout=0.5, destination=[name]):
            return worker
    worker.terminate()
    raise SystemExit(f"celery worker did not answer within 60 s; see {log}")


def run_scenario(name: str, args: argparse.Namespace, sink: Sink) -> Result:
    from bench.seed import seed_mailing
    from kundeservice.models import Job, JobStatus
    from surveys.models import Invitation, InvitationStatus, Panelist, Wave
    from surveys.services.invitations import invitations_send_start

    if name not in {"send", "outage"}:
        raise SystemExit(f"unknown scenario {name!r}")
    result = Result(scenario=name, count=args.count)
    seeded = time.perf_counter()
    wave = Wave.objects.get(pk=seed_mailing(count=args.count))
    result.notes.append(f"seeded {args.count} invitations in {time.perf_counter() - seeded:.1f} s")
    result.notes.append(load_average() + " at the start")
    sink.reset(fail_after=args.count // 3 if name == "outage" else None)

    started = time.monotonic()
    job = invitations_send_start(wave=wave)
    deadline = started + args.timeout
    outage_over = name != "outage"
    while time.monotonic() < deadline:
        if not outage_over and sink.outage.is_set():
            sink.stop()  # connections are now refused
            time.sleep(args.outage)
            sink.fail_after = None
            sink.start()
            outage_over = True
            result.notes.append(
                f"outage after {sink.messages} messages: 421 on {sink.refused} DATA, then "
                f"connections refused for {args.outage:.0f} s"
            )
        job.refresh_from_db()
        if job.status in {JobStatus.DONE, JobStatus.FAILED} and outage_over:
            break
        time.sleep(0.1)
    result.seconds = (sink.last_at or time.monotonic()) - started

    emails = set(Panelist.objects.filter(invitations__wave=wave).values_list("email", flat=True))
    twice = sum(1 for n in sink.recipients.values() if n > 1)
    unsent = Invitation.objects.filter(wave=wave).exclude(status=InvitationStatus.SENT).count()
    retried = Invitation.objects.filter(wave=wave, send_attempts__gt=1).count()
    job = Job.objects.get(pk=job.pk)
    result.notes.append(
        f"{sink.messages} messages to {len(sink.recipients)} recipients; job {job.status}, "
        f"{job.done}/{job.total} done; {retried} invitations needed more than one attempt"
    )
    if job.status != JobStatus.DONE:
        result.problems.append(f"the job ended {job.status} ({job.message})")
    if sink.messages != args.count or set(sink.recipients) != emails:
        missing = len(emails - set(sink.recipients))
        result.problems.append(f"{sink.messages} messages for {args.count}; {missing} never mailed")
    if twice:
        result.problems.append(f"{twice} panelists were mailed more than once")
    if sink.with_link != sink.messages:
        result.problems.append(f"{sink.messages - sink.with_link} messages lack a survey link")
    if unsent:
        result.problems.append(f"{unsent} invitations are not marked sent")
    if name == "send" and result.seconds > TARGET_SECONDS:
        result.problems.append(f"took {result.seconds:.1f} s (target <= {TARGET_SECONDS} s)")
    if name == "outage" and not sink.refused:
        result.problems.append("the outage never happened")
    return result


def report(results: list[Result]) -> bool:
    print("\nscenario   invitations   seconds   mails/s   result")
    for r in results:
        rate = r.count / r.seconds if r.seconds else 0
        verdict = "PASS" if not r.problems else "FAIL: " + "; ".join(r.problems)
        print(f"{r.scenario:<10}{r.count:>12}{r.seconds:>10.1f}{rate:>10.0f}   {verdict}")
    for r in results:
        for note in r.notes:
            print(f"{r.scenario}: {note}")
    return all(not r.problems for r in results)


if __name__ == "__main__":
    sys.exit(main())
