"""Celery tasks for surveys: thin, take primary keys, safe to run twice."""

import logging
import smtplib
from typing import Any

from celery import Task, shared_task
from django.utils.translation import gettext as _

from kundeservice.jobs import job_advance, job_fail, job_finish, job_start
from kundeservice.models import Job, JobStatus
from surveys.models import Invitation, InvitationStatus, Wave, WaveStatus
from surveys.services.mailing import invitations_send_batch, reminders_send_batch

MAIL_ERRORS = (smtplib.SMTPException, OSError)
logger = logging.getLogger(__name__)


@shared_task(bind=True, name="surveys.tasks.send_invitations", max_retries=12, acks_late=True)
def send_invitations(self: Task, *, job_id: int, wave_id: int) -> dict[str, Any]:
    """Mail every pending invitation of a wave in batches, reporting progress on the job.

    A mail-server failure puts the unsent invitations back and retries with backoff; what was
    sent stays sent, so a retry never mails anyone twice."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status == JobStatus.DONE:
        return {"skipped": True}
    if job.status == JobStatus.QUEUED:
        pending = Invitation.objects.filter(
            wave_id=wave_id, status=InvitationStatus.PENDING
        ).count()
        job_start(job_id=job_id, total=pending)
    sent = 0
    try:
        while True:
            batch = invitations_send_batch(wave_id=wave_id)
            sent += batch.sent
            job_advance(job_id=job_id, by=batch.sent)
            if batch.remaining == 0 or batch.sent == 0:
                break
    except MAIL_ERRORS as exc:
        retries = self.request.retries or 0
        if retries >= (self.max_retries or 0):
            job_fail(job_id=job_id, message=_("The mail server kept failing: %(e)s") % {"e": exc})
            raise
        job_advance(
            job_id=job_id, by=0, message=_("Mail server unavailable; trying again shortly.")
        )
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**retries)) from exc
    job_finish(job_id=job_id, result={"sent": sent})
    return {"sent": sent}


@shared_task(name="surveys.tasks.send_due_reminders")
def send_due_reminders() -> dict[str, int]:
    """Periodic (beat): remind those who have not finished, as each open wave's settings say."""
    reminded: dict[str, int] = {}
    for wave in Wave.objects.filter(status=WaveStatus.OPEN):
        total = 0
        try:
            while True:
                batch = reminders_send_batch(wave_id=wave.pk)
                total += batch.sent
                if batch.remaining == 0 or batch.sent == 0:
                    break
        except MAIL_ERRORS:
            # Unsent reminders were put back; the next hourly run sends what is still due.
            logger.warning("mail server failed while reminding wave %s", wave.pk, exc_info=True)
        reminded[wave.slug] = total
    return reminded
