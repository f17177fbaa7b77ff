"""Celery tasks for surveys: thin, take primary keys, safe to run twice."""

import logging
import smtplib
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from kundeservice.errors import DomainError
from kundeservice.jobs import job_advance, job_fail, job_finish, job_heartbeat, job_start
from kundeservice.models import Job, JobStatus
from kundeservice.tasks import enqueue
from surveys.models import (
    DeliveryStatus,
    EpisodeDelivery,
    Invitation,
    InvitationStatus,
    Wave,
    WaveStatus,
)
from surveys.services.exports import EXPORT_JOB, export_run
from surveys.services.mailing import (
    invitations_send_batch,
    reminders_send_batch,
    sending_lane_close,
    sending_lanes_open,
)

MAIL_ERRORS = (smtplib.SMTPException, OSError)
logger = logging.getLogger(__name__)


@shared_task(bind=True, name="surveys.tasks.send_invitations", max_retries=12, acks_late=True)
def send_invitations(self: Task, *, job_id: int, wave_id: int) -> dict[str, Any]:
    """Mail every pending invitation of a wave in batches, reporting progress on the job.

    The first run queues ``INVITATION_SEND_LANES - 1`` copies of itself: lanes that claim
    disjoint batches, so every worker process sends (an SMTP exchange is mostly waiting). A
    mail-server failure puts a lane's unsent invitations back and retries that lane with
    backoff; what was sent stays sent, so a retry never mails anyone twice. A lane that made
    progress before the failure starts over with fresh retries. A message refused for good
    (5xx) marks its invitation failed and is skipped. The last lane to end finishes the job."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status == JobStatus.DONE:
        return {"skipped": True}
    if job.status == JobStatus.QUEUED:
        pending = Invitation.objects.filter(
            wave_id=wave_id, status=InvitationStatus.PENDING
        ).count()
        job_start(job_id=job_id, total=pending)
        _open_lanes(job_id=job_id, wave_id=wave_id)
    sent = 0

    def on_sent(n: int) -> None:  # also hears what a batch sent before the server failed
        nonlocal sent
        sent += n
        job_advance(job_id=job_id, by=n)

    try:
        while True:
            batch = invitations_send_batch(wave_id=wave_id, on_sent=on_sent)
            if batch.remaining == 0 or batch.sent == 0:
                break
    except MAIL_ERRORS as exc:
        job_advance(
            job_id=job_id, by=0, message=_("Mail server unavailable; trying again shortly.")
        )
        # A lane that sent something before the server failed made progress: it starts again
        # as a new task whose retries count from zero. Only failures in a row use them up (a
        # server refusing now and then must not end a long job that keeps moving).
        if sent and enqueue(send_invitations, countdown=5, job_id=job_id, wave_id=wave_id):
            return {"sent": sent, "again": True}
        retries = self.request.retries or 0
        if retries >= (self.max_retries or 0):
            job_fail(job_id=job_id, message=_("The mail server kept failing: %(e)s") % {"e": exc})
            raise
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**retries)) from exc
    if sending_lane_close(job_id=job_id):
        done = Job.objects.values_list("done", flat=True).get(pk=job_id)
        refused = Invitation.objects.filter(
            wave_id=wave_id, status=InvitationStatus.FAILED, sent_at__isnull=True
        ).count()
        job_finish(job_id=job_id, result={"sent": done, "refused": refused})
    return {"sent": sent}


def _open_lanes(*, job_id: int, wave_id: int) -> None:
    lanes = max(1, settings.INVITATION_SEND_LANES)
    sending_lanes_open(job_id=job_id, lanes=lanes)
    for _lane in range(1, lanes):
        try:
            send_invitations.apply_async(kwargs={"job_id": job_id, "wave_id": wave_id})
        except (KombuOperationalError, RedisError):
            logger.exception("broker unavailable; job %s sends with fewer lanes", job_id)
            sending_lane_close(job_id=job_id)  # it never runs: count it out


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


@shared_task(name="surveys.tasks.plan_assignments", acks_late=True)
def plan_assignments(*, job_id: int, wave_id: int) -> dict[str, Any]:
    """Run the assignment planner for an observation wave (``default`` queue)."""
    from surveys.services.assignments import assignments_plan_run

    return assignments_plan_run(job_id=job_id, wave_id=wave_id)


@shared_task(name="surveys.tasks.export_wave", acks_late=True)
def export_wave(*, job_id: int, wave_id: int) -> dict[str, Any]:
    """Write a wave's export file for a job, with progress. Run again after a lost worker it
    starts over and replaces the file; a finished job is left alone. A failure marks the job
    failed with a message the staff console shows."""
    job = Job.objects.filter(pk=job_id, kind=EXPORT_JOB).first()
    if job is None or job.is_finished:
        return {"skipped": True}
    try:
        result = export_run(job_id=job_id, wave_id=wave_id)
    except DomainError as exc:
        job_fail(job_id=job_id, message=exc.messages[0])
        return {"failed": exc.messages[0]}
    except Wave.DoesNotExist:
        job_fail(job_id=job_id, message=_("The wave no longer exists."))
        return {"failed": "wave"}
    except OSError as exc:
        logger.exception("export job %s could not write its file", job_id)
        message = _("The export file could not be written: %(e)s") % {"e": exc.strerror or exc}
        job_fail(job_id=job_id, message=message)
        return {"failed": message}
    except Exception:
        job_fail(job_id=job_id, message=_("The export failed unexpectedly; the error is logged."))
        raise
    job_finish(job_id=job_id, result=result)
    return {"rows": result["rows"], "file": result["file"]}


@shared_task(
    name="surveys.tasks.mail_report_returned",
    acks_late=True,
    autoretry_for=MAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def mail_report_returned(*, event_id: int) -> dict[str, Any]:
    """Tell an observer their report was returned, with the reason (``mail`` queue). Skips a
    report resubmitted since; retries while the mail server is down."""
    from surveys.services.review import report_returned_mail

    return report_returned_mail(event_id=event_id)


@shared_task(bind=True, name="surveys.tasks.aggregate_wave", acks_late=True)
def aggregate_wave(self: Task, *, result_set_id: int) -> dict[str, Any]:
    """Build a result set and make it current (``aggregation`` queue), its job touched every
    ``AGGREGATION_HEARTBEAT`` seconds meanwhile (not when run eagerly, in the caller's
    transaction). Redelivered after a lost worker, it starts the set over; a complete set is
    left alone."""
    from surveys.models import ResultSet
    from surveys.services.aggregation import aggregation_run

    job_id = ResultSet.objects.filter(pk=result_set_id).values_list("job_id", flat=True).first()
    every = 0.0 if self.request.is_eager else settings.AGGREGATION_HEARTBEAT
    try:
        with job_heartbeat(job_id=job_id, every=every):
            return aggregation_run(result_set_id=result_set_id)
    except ResultSet.DoesNotExist:
        return {"skipped": True}
    except DomainError as exc:
        return {"failed": exc.messages[0]}


@shared_task(name="surveys.tasks.redeliver_stalled_aggregations")
def redeliver_stalled_aggregations() -> dict[str, list[int]]:
    """Beat, every minute: queue again each aggregation whose worker stopped beating."""
    from surveys.services.aggregation import aggregations_redeliver_stalled

    return {"redelivered": aggregations_redeliver_stalled()}


@shared_task(name="surveys.tasks.aggregate_stale_waves")
def aggregate_stale_waves() -> dict[str, int]:
    """Nightly (beat): aggregate every wave whose results are missing or stale."""
    from surveys.services.aggregation import aggregation_start, stale_waves

    started = {}
    for wave in stale_waves():
        try:
            started[wave.slug] = aggregation_start(wave=wave).pk
        except DomainError:
            logger.warning("wave %s not aggregated", wave.pk, exc_info=True)
    return started


@shared_task(name="surveys.tasks.expand_submissions", acks_late=True, ignore_result=True)
def expand_submissions() -> dict[str, int]:
    """Save the respondent API's accepted submissions as responses and answers, in bulk
    (``default`` queue). Queued after each accepted submission and run by beat every minute as
    a sweep; safe to run twice or in parallel."""
    from surveys.services.submissions import submissions_expand

    return submissions_expand()


#: A published episode's deliveries still pending this long were queued by a send that never
#: ran (the broker was down): beat queues the sending again.
EPISODE_SEND_SWEEP_AFTER = 120


@shared_task(name="surveys.tasks.publish_due_episodes")
def publish_due_episodes() -> dict[str, Any]:
    """Beat, every 30 s: publish scheduled temperature updates whose time has come, and queue
    again the mails of any published episode whose sending was lost. Safe to run twice."""
    from surveys.services.episodes import episodes_publish_due

    published = episodes_publish_due()
    stalled = timezone.now() - timedelta(seconds=EPISODE_SEND_SWEEP_AFTER)
    lost = set(
        EpisodeDelivery.objects.filter(
            status=DeliveryStatus.PENDING, created_at__lt=stalled
        ).values_list("episode_id", flat=True)
    )
    for episode_id in sorted(lost):
        enqueue(send_episode, episode_id=episode_id)
    return {"published": published, "resent": sorted(lost)}


@shared_task(bind=True, name="surveys.tasks.send_episode", max_retries=12, acks_late=True)
def send_episode(self: Task, *, episode_id: int) -> dict[str, int]:
    """Mail a published episode to its subscribers in batches (``mail`` queue), each at most
    once: a mail-server failure puts the unsent back and retries with backoff."""
    from surveys.services.subscriptions import episode_mails_send_batch

    sent = 0
    try:
        while True:
            batch = episode_mails_send_batch(episode_id=episode_id)
            sent += batch.sent
            if batch.remaining == 0 or batch.sent == 0:
                break
    except MAIL_ERRORS as exc:
        retries = self.request.retries or 0
        if retries >= (self.max_retries or 0):
            raise
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**retries)) from exc
    return {"sent": sent}


@shared_task(
    name="surveys.tasks.send_subscription_confirmation",
    acks_late=True,
    autoretry_for=MAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_subscription_confirmation(*, subscriber_id: int) -> dict[str, bool]:
    """Mail the confirmation link of a subscription (``mail`` queue); nothing once confirmed."""
    from surveys.services.subscriptions import confirmation_mail_send

    return {"sent": confirmation_mail_send(subscriber_id=subscriber_id)}
