"""Recording a job's progress from inside a task, in its own short transactions."""

from typing import Any

from django.db.models import F
from django.utils import timezone

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
