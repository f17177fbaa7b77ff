"""Sending invitations and reminders: in batches, each mail at most once.

An invitation is claimed (status ``sending``) in a committed UPDATE before its mail goes out and
marked ``sent`` right after the SMTP server accepts it. If the SMTP server fails, the unsent
claims go back to ``pending`` and the task retries later. If a worker dies between the two
updates, the invitation stays ``sending``: it is shown to staff and never mailed again by itself.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from surveys.models import Invitation, InvitationStatus, Wave, WaveStatus
from surveys.services.responding import token_for

REMINDABLE = [InvitationStatus.SENT, InvitationStatus.OPENED, InvitationStatus.STARTED]


@dataclass
class BatchResult:
    sent: int
    remaining: int


def invitations_send_batch(*, wave_id: int, batch_size: int | None = None) -> BatchResult:
    """Send one batch of pending invitations. Raises the SMTP error after putting unsent claims
    back, so the caller can retry."""
    size = batch_size or settings.INVITATION_BATCH_SIZE
    claimed, _previous = _claim(
        Invitation.objects.filter(wave_id=wave_id, status=InvitationStatus.PENDING),
        size,
        update={"status": InvitationStatus.SENDING},
    )
    sent = _deliver(claimed, reminder=False, previous={})
    remaining = Invitation.objects.filter(wave_id=wave_id, status=InvitationStatus.PENDING).count()
    return BatchResult(sent=sent, remaining=remaining)


def reminders_due(*, wave: Wave) -> QuerySet[Invitation]:
    """Invitations of an open wave that were mailed long enough ago, not finished, and not yet
    reminded as often as the wave allows."""
    cutoff = timezone.now() - timedelta(days=wave.reminder_after_days)
    return Invitation.objects.filter(
        wave=wave,
        status__in=REMINDABLE,
        reminder_count__lt=wave.max_reminders,
        expires_at__gt=timezone.now(),
        panelist__unsubscribed_at__isnull=True,
        panelist__erased_at__isnull=True,
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
    invitations: list[Invitation], *, reminder: bool, previous: dict[int, datetime | None]
) -> int:
    sent = 0
    connection = mail.get_connection()
    try:
        connection.open()
        for invitation in invitations:
            connection.send_messages([_message(invitation, reminder=reminder)])
            now = timezone.now()
            if reminder:
                Invitation.objects.filter(pk=invitation.pk).update(last_error="")
            else:
                Invitation.objects.filter(pk=invitation.pk).update(
                    status=InvitationStatus.SENT,
                    sent_at=now,
                    send_attempts=F("send_attempts") + 1,
                    last_error="",
                )
            sent += 1
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        _release(invitations[sent:], reminder=reminder, previous=previous, error=error)
        raise
    finally:
        connection.close()
    return sent


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


def _message(invitation: Invitation, *, reminder: bool) -> mail.EmailMultiAlternatives:
    token = token_for(wave_id=invitation.wave_id, panelist_id=invitation.panelist_id)
    link = f"{settings.SITE_URL}/s/{token}/"
    unsubscribe = f"{settings.SITE_URL}/u/{token}/"
    context = {
        "wave": invitation.wave,
        "link": link,
        "unsubscribe": unsubscribe,
        "reminder": reminder,
        "expires_at": invitation.expires_at,
        "SITE_NAME": settings.SITE_NAME,
    }
    with translation.override(invitation.panelist.language or "nb"):
        subject = render_to_string("surveys/mail/invitation_subject.txt", context).strip()
        body = render_to_string("surveys/mail/invitation.txt", context)
    message = mail.EmailMultiAlternatives(
        subject=subject,
        body=body,
        to=[invitation.panelist.email or ""],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return message
