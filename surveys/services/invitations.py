"""Inviting panelists to a wave: one single-use link each, only its hash stored."""

import random
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError
from kundeservice.models import Job, JobStatus
from kundeservice.tasks import enqueue_on_commit
from surveys.models import Invitation, InvitationStatus, Panelist, Wave, WaveStatus
from surveys.services.responding import token_for, token_hash


def invitations_create(
    *, wave: Wave, panelists: Iterable[Panelist], sample_size: int | None = None, seed: int = 0
) -> int:
    """Invite ``panelists`` (or ``sample_size`` of them drawn at random with ``seed``) who are
    not yet invited, not unsubscribed and not erased. Returns how many invitations were made."""
    eligible = [
        p for p in panelists if p.unsubscribed_at is None and p.erased_at is None and p.email
    ]
    already = set(Invitation.objects.filter(wave=wave).values_list("panelist_id", flat=True))
    eligible = [p for p in eligible if p.pk not in already]
    if sample_size is not None and sample_size < len(eligible):
        eligible = random.Random(seed).sample(eligible, sample_size)
    expires = timezone.now() + timedelta(days=wave.invitation_valid_days)
    rows = [
        Invitation(
            wave=wave,
            panelist=p,
            token_hash=token_hash(token_for(wave_id=wave.pk, panelist_id=p.pk)),
            expires_at=expires,
        )
        for p in eligible
    ]
    with transaction.atomic():
        Invitation.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def invitation_link_path(*, invitation: Invitation) -> str:
    return f"/s/{token_for(wave_id=invitation.wave_id, panelist_id=invitation.panelist_id)}/"


def invitations_send_start(*, wave: Wave, user: Any = None) -> Job:
    """Start mailing a wave's pending invitations in the background; the job shows progress."""
    from surveys.tasks import send_invitations

    pending = Invitation.objects.filter(wave=wave, status=InvitationStatus.PENDING).count()
    if pending == 0:
        raise DomainError(
            _("There are no unsent invitations in this wave."), code="nothing_to_send"
        )
    if wave.status != WaveStatus.OPEN:
        raise DomainError(_("Open the wave before sending invitations."), code="wave_not_open")
    running = Job.objects.filter(
        kind="send_invitations",
        subject=f"wave:{wave.pk}",
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
    ).first()
    if running is not None:
        return running
    job = Job.objects.create(
        kind="send_invitations",
        subject=f"wave:{wave.pk}",
        total=pending,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    enqueue_on_commit(send_invitations, job_id=job.pk, wave_id=wave.pk)
    return job
