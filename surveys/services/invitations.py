"""Inviting panelists to a wave: one single-use link each, only its hash stored."""

import random
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError
from kundeservice.models import Job, JobStatus
from kundeservice.tasks import enqueue_on_commit
from surveys.models import Invitation, InvitationStatus, Panelist, Wave, WaveStatus
from surveys.services.responding import age_group, token_for, token_hash


def invitations_create(
    *,
    wave: Wave,
    panelists: Iterable[Panelist],
    sample_size: int | None = None,
    stratify_by: Sequence[str] = (),
    seed: int = 0,
) -> int:
    """Invite ``panelists`` who are not yet invited, unsubscribed or erased: all of them, or
    ``sample_size`` drawn at random with ``seed``, in proportion to the strata ``stratify_by``
    (``region``, ``age_group``, ``gender``) when given. Returns how many were invited."""
    unknown = set(stratify_by) - set(STRATA)
    if unknown:
        raise DomainError(_("Unknown stratum: %(s)s.") % {"s": ", ".join(sorted(unknown))})
    if sample_size is not None and sample_size < 1:
        raise DomainError(_("The sample must be at least one person."), code="sample_size")
    already = set(Invitation.objects.filter(wave=wave).values_list("panelist_id", flat=True))
    eligible = [
        p
        for p in panelists
        if p.unsubscribed_at is None and p.erased_at is None and p.email and p.pk not in already
    ]
    rng = random.Random(seed)
    strata: dict[str, list[Panelist]] = {}
    for panelist in eligible:
        strata.setdefault(_stratum(panelist, stratify_by, wave), []).append(panelist)
    chosen: list[tuple[Panelist, str]] = []
    if sample_size is None or sample_size >= len(eligible):
        chosen = [(p, key) for key, members in strata.items() for p in members]
    else:
        for key, count in _allocate(strata, sample_size).items():
            chosen += [(p, key) for p in rng.sample(strata[key], count)]
    expires = timezone.now() + timedelta(days=wave.invitation_valid_days)
    rows = [
        Invitation(
            wave=wave,
            panelist=p,
            stratum=key,
            token_hash=token_hash(token_for(wave_id=wave.pk, panelist_id=p.pk)),
            expires_at=expires,
        )
        for p, key in chosen
    ]
    with transaction.atomic():
        Invitation.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


STRATA = ("region", "age_group", "gender")


def _stratum(panelist: Panelist, stratify_by: Sequence[str], wave: Wave) -> str:
    parts = []
    for name in stratify_by:
        if name == "age_group":
            value = age_group(panelist.birth_year, on=wave.reference_date)
        else:
            value = getattr(panelist, name)
        parts.append(f"{name}={value or '?'}")
    return "|".join(parts)


def _allocate(strata: dict[str, list[Panelist]], total: int) -> dict[str, int]:
    """Proportional allocation by largest remainder, never more than a stratum holds."""
    population = sum(len(m) for m in strata.values())
    exact = {k: total * len(m) / population for k, m in strata.items()}
    counts = {k: min(int(v), len(strata[k])) for k, v in exact.items()}
    by_remainder = sorted(strata, key=lambda k: (exact[k] - int(exact[k]), k), reverse=True)
    while sum(counts.values()) < total:
        for key in by_remainder:
            if sum(counts.values()) >= total:
                break
            if counts[key] < len(strata[key]):
                counts[key] += 1
    return counts


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
