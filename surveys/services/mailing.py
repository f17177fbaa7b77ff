"""Sending invitations and reminders: in batches, each mail at most once.

An invitation is claimed (status ``sending``) in a committed UPDATE before its mail goes out.
A batch goes over one SMTP connection; the invitations the server accepted are marked ``sent``
in one UPDATE when the batch ends, or when the server fails part-way: then the unsent claims go
back to ``pending`` and the task retries later. A message the server refuses for good (a 5xx
reply to it alone) marks its invitation ``failed`` with the reply, and the batch goes on. If a
worker dies in the middle of a batch, its claims stay ``sending``: they are shown to staff and
never mailed again by themselves.
"""

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from kundeservice.models import Job
from surveys.models import Invitation, InvitationStatus, Wave, WaveStatus
from surveys.services.responding import token_for

REMINDABLE = [InvitationStatus.SENT, InvitationStatus.OPENED, InvitationStatus.STARTED]


@dataclass
class BatchResult:
    sent: int
    remaining: int


def invitations_send_batch(
    *,
    wave_id: int,
    batch_size: int | None = None,
    on_sent: Callable[[int], None] | None = None,
) -> BatchResult:
    """Send one batch of pending invitations. Raises the SMTP error after putting unsent claims
    back, so the caller can retry. ``on_sent`` hears how many were sent, also on failure."""
    size = batch_size or settings.INVITATION_BATCH_SIZE
    claimed, _previous = _claim(
        Invitation.objects.filter(wave_id=wave_id, status=InvitationStatus.PENDING),
        size,
        update={"status": InvitationStatus.SENDING},
    )
    sent = _deliver(claimed, reminder=False, previous={}, on_sent=on_sent)
    remaining = Invitation.objects.filter(wave_id=wave_id, status=InvitationStatus.PENDING).count()
    return BatchResult(sent=sent, remaining=remaining)


def sending_lanes_open(*, job_id: int, lanes: int) -> None:
    """Record on the job how many lanes (parallel tasks) mail its invitations."""
    Job.objects.filter(pk=job_id).update(result={"lanes": lanes})


def sending_lane_close(*, job_id: int) -> bool:
    """Count one lane out under the job's row lock; True for the last one, which finishes the
    job (unless it failed)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return False
        lanes = int(job.result.get("lanes", 1)) - 1
        Job.objects.filter(pk=job_id).update(result={**job.result, "lanes": lanes})
    return lanes <= 0


def reminders_due(*, wave: Wave) -> QuerySet[Invitation]:
    """Invitations of an open wave that were mailed long enough ago, not finished (nor answered
    through the API), and not yet reminded as often as the wave allows."""
    cutoff = timezone.now() - timedelta(days=wave.reminder_after_days)
    return Invitation.objects.filter(
        wave=wave,
        status__in=REMINDABLE,
        reminder_count__lt=wave.max_reminders,
        expires_at__gt=timezone.now(),
        panelist__unsubscribed_at__isnull=True,
        panelist__erased_at__isnull=True,
        submission__isnull=True,  # answered through the API, being saved
    ).filter(Q(reminded_at__lt=cutoff) | Q(reminded_at__isnull=True, sent_at__lt=cutoff))


def reminders_send_batch(*, wave_id: int, batch_size: int | None = None) -> BatchResult:
    wave = Wave.objects.get(pk=wave_id)
    if wave.status != WaveStatus.OPEN:
        return BatchResult(sent=0, remaining=0)
    size = batch_size or settings.INVITATION_BATCH_SIZE
    claimed, previous = _claim(
        reminders_due(wave=wave),
        size,
        update={"reminder_count": F("reminder_count") + 1, "reminded_at": timezone.now()},
    )
    sent = _deliver(claimed, reminder=True, previous=previous)
    return BatchResult(sent=sent, remaining=reminders_due(wave=wave).count())


def _claim(
    candidates: QuerySet[Invitation], size: int, *, update: dict[str, object]
) -> tuple[list[Invitation], dict[int, datetime | None]]:
    """Take up to ``size`` candidates in a committed UPDATE (skipping rows another worker holds);
    returns them and their ``reminded_at`` from before, to put back if the mail fails."""
    with transaction.atomic():
        rows = list(
            candidates.filter(
                panelist__unsubscribed_at__isnull=True, panelist__erased_at__isnull=True
            )
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")
            .values_list("id", "reminded_at")[:size]
        )
        previous: dict[int, datetime | None] = dict(rows)
        Invitation.objects.filter(pk__in=list(previous)).update(**update)
    claimed = (
        Invitation.objects.filter(pk__in=list(previous))
        .select_related("panelist", "wave__questionnaire")
        .order_by("id")
    )
    return list(claimed), previous


def _deliver(
    invitations: list[Invitation],
    *,
    reminder: bool,
    previous: dict[int, datetime | None],
    on_sent: Callable[[int], None] | None = None,
) -> int:
    """Mail ``invitations`` over one SMTP connection. What the server accepted is recorded in one
    UPDATE (a row-by-row UPDATE cost more than the mail itself), also when it fails part-way."""
    accepted: list[int] = []
    refused: dict[int, str] = {}
    rendered: dict[tuple[Any, ...], tuple[str, str]] = {}
    connection = mail.get_connection()
    done = 0  # invitations handled: accepted or refused for good
    try:
        connection.open()
        for invitation in invitations:
            message = _message(invitation, reminder=reminder, rendered=rendered)
            try:
                connection.send_messages([message])
            except smtplib.SMTPException as exc:
                if not refused_for_good(exc):
                    raise
                refused[invitation.pk] = f"{type(exc).__name__}: {exc}"
            else:
                accepted.append(invitation.pk)
            done += 1
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        _mark_sent(accepted, reminder=reminder)
        _mark_refused(refused, reminder=reminder)
        _release(invitations[done:], reminder=reminder, previous=previous, error=error)
        raise
    else:
        _mark_sent(accepted, reminder=reminder)
        _mark_refused(refused, reminder=reminder)
    finally:
        if on_sent is not None:
            on_sent(len(accepted))
        connection.close()
    return len(accepted)


def refused_for_good(exc: smtplib.SMTPException) -> bool:
    """Did the mail server refuse this one message permanently (a 5xx reply: no such mailbox,
    rejected as spam)? Such a message is never retried; anything else (4xx, a dropped
    connection) is the server's trouble, and the message goes back to be retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


def _mark_refused(refused: dict[int, str], *, reminder: bool) -> None:
    """Record a permanent refusal on each invitation, where staff see it. An invitation is
    marked failed (never mailed again by itself); a refused reminder keeps its invitation's
    status and counts as the reminder it was."""
    for pk, error in refused.items():
        if reminder:
            Invitation.objects.filter(pk=pk).update(last_error=error[:300])
        else:
            Invitation.objects.filter(pk=pk).update(
                status=InvitationStatus.FAILED,
                send_attempts=F("send_attempts") + 1,
                last_error=error[:300],
            )


def _mark_sent(ids: list[int], *, reminder: bool) -> None:
    if not ids:
        return
    if reminder:
        Invitation.objects.filter(pk__in=ids).update(last_error="")
    else:
        Invitation.objects.filter(pk__in=ids).update(
            status=InvitationStatus.SENT,
            sent_at=timezone.now(),
            send_attempts=F("send_attempts") + 1,
            last_error="",
        )


def _release(
    unsent: list[Invitation], *, reminder: bool, previous: dict[int, datetime | None], error: str
) -> None:
    ids = [i.pk for i in unsent]
    if reminder:
        for invitation in unsent:
            Invitation.objects.filter(pk=invitation.pk).update(
                reminder_count=F("reminder_count") - 1,
                reminded_at=previous.get(invitation.pk),
                last_error=error[:300],
            )
    else:
        Invitation.objects.filter(pk__in=ids, status=InvitationStatus.SENDING).update(
            status=InvitationStatus.PENDING,
            send_attempts=F("send_attempts") + 1,
            last_error=error[:300],
        )


# Stand-ins for the personal links: each distinct mail text is rendered once per batch and the
# links are put in afterwards (rendering two templates per mail cost about as much as sending it).
LINK_MARK = "\x00link\x00"
UNSUBSCRIBE_MARK = "\x00unsubscribe\x00"


def _message(
    invitation: Invitation, *, reminder: bool, rendered: dict[tuple[Any, ...], tuple[str, str]]
) -> mail.EmailMultiAlternatives:
    token = token_for(wave_id=invitation.wave_id, panelist_id=invitation.panelist_id)
    link = f"{settings.SITE_URL}/s/{token}/"
    unsubscribe = f"{settings.SITE_URL}/u/{token}/"
    language = invitation.panelist.language or "nb"
    key = (invitation.wave_id, language, invitation.expires_at, reminder)
    if key not in rendered:
        rendered[key] = _render(invitation, language=language, reminder=reminder)
    subject, body = rendered[key]
    message = mail.EmailMultiAlternatives(
        subject=subject,
        body=body.replace(LINK_MARK, link).replace(UNSUBSCRIBE_MARK, unsubscribe),
        to=[invitation.panelist.email or ""],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return message


def _render(invitation: Invitation, *, language: str, reminder: bool) -> tuple[str, str]:
    """The subject and the body, with stand-ins where the personal links go."""
    context = {
        "wave": invitation.wave,
        "link": LINK_MARK,
        "unsubscribe": UNSUBSCRIBE_MARK,
        "reminder": reminder,
        "expires_at": invitation.expires_at,
        "SITE_NAME": settings.SITE_NAME,
    }
    with translation.override(language):
        subject = render_to_string("surveys/mail/invitation_subject.txt", context).strip()
        body = render_to_string("surveys/mail/invitation.txt", context)
    return subject, body
