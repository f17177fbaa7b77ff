"""Recording a job's progress from inside a task, in its own short transactions, and telling
staff what became of a job they started."""

from typing import Any

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kundeservice.models import Job, JobStatus


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
