"""Recording a job's progress from inside a task, in its own short transactions, and telling
staff what became of a job they started."""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib import messages
from django.db import connections
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kundeservice.models import Job, JobStatus

logger = logging.getLogger(__name__)


def job_start(*, job_id: int, total: int) -> None:
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING, total=total, updated_at=timezone.now()
    )


def job_advance(*, job_id: int, by: int, message: str = "") -> None:
    Job.objects.filter(pk=job_id).update(
        done=F("done") + by, message=message[:500], updated_at=timezone.now()
    )


def job_finish(*, job_id: int, result: dict[str, Any] | None = None, message: str = "") -> None:
    now = timezone.now()
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.DONE,
        result=result or {},
        message=message[:500],
        finished_at=now,
        updated_at=now,
    )


def job_fail(*, job_id: int, message: str) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED, message=message[:500], finished_at=now, updated_at=now
    )


@contextmanager
def job_heartbeat(*, job_id: int | None, every: float) -> Iterator[None]:
    """Touch the job's ``updated_at`` every ``every`` seconds while the block runs, from a
    helper thread (with its own database connection), so a job whose worker died is told apart
    from one whose step is merely long: a job not touched for a few beats has lost its worker.
    Nothing when ``job_id`` is None or ``every`` is 0."""
    if not job_id or every <= 0:
        yield
        return
    stopped = threading.Event()

    def beat() -> None:
        try:
            while not stopped.wait(every):
                try:
                    Job.objects.filter(pk=job_id, finished_at__isnull=True).update(
                        updated_at=timezone.now()
                    )
                except Exception:  # a missed beat only makes the job look idle sooner
                    logger.warning("heartbeat of job %s failed", job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat job {job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        thread.join(timeout=every + 5)


def job_announce(request: HttpRequest, job: Job | None, *, started: str, finished: str) -> None:
    """Tell staff what became of the job they just started. With a worker it has started; run
    eagerly (no Redis, the default in development) it finished inside this request, so say
    that, with its outcome, rather than "started" for something nobody will see move."""
    if job is None:
        messages.success(request, started)
        return
    job.refresh_from_db()
    if job.status == JobStatus.DONE:
        text = f"{finished} {job.message}".strip()
        messages.success(request, text)
    elif job.status == JobStatus.FAILED:
        messages.error(request, _("It failed: %(message)s") % {"message": job.message})
    else:
        messages.success(request, started)
