"""Observer profiles: who may do fieldwork, how much, in which channels, and whom they must
never test."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError
from kundeservice.roles import Role, user_has_role
from surveys.models import Assignment, AssignmentStatus, Company, Observer
from surveys.models.catalog import validate_channels


@dataclass
class ObserverSaved:
    observer: Observer
    created: bool
    #: Planned (not started) contacts the profile now rules out: to move or plan again.
    broken: int


def observer_save(
    *,
    user: User,
    trained: bool,
    active: bool,
    weekly_capacity: int,
    channels: Iterable[str],
    conflicts: Iterable[Company],
    observer: Observer | None = None,
) -> ObserverSaved:
    """Create the observer profile of ``user``, or update ``observer``.

    The user must hold the observer role and have no other profile. Returns how many planned
    contacts the new profile rules out (a new conflict, a channel dropped), so staff can act."""
    channels = list(dict.fromkeys(channels))
    conflicts = list(conflicts)
    errors: dict[str, list[str]] = {}
    if not user_has_role(user, Role.OBSERVER) or not user.is_active:
        errors["user"] = [
            _("%(u)s is not an active user with the observer role.") % {"u": user.get_username()}
        ]
    other = Observer.objects.filter(user=user)
    if observer is not None:
        other = other.exclude(pk=observer.pk)
    if other.exists():
        errors.setdefault("user", []).append(
            _("%(u)s already has an observer profile.") % {"u": user.get_username()}
        )
    try:
        validate_channels(channels)
    except ValidationError as exc:
        errors["channels"] = exc.messages
    if not 0 <= weekly_capacity <= 100:
        errors["weekly_capacity"] = [_("Give a number of contacts from 0 to 100.")]
    if errors:
        raise DomainError(errors, code="observer")
    with transaction.atomic():
        created = observer is None
        profile = observer or Observer(user=user)
        profile.user = user
        profile.trained = trained
        profile.active = active
        profile.weekly_capacity = weekly_capacity
        profile.channels = channels
        profile.save()
        profile.conflicts.set(conflicts)
    planned = Assignment.objects.filter(observer=profile, status=AssignmentStatus.PLANNED)
    broken = planned.filter(company__in=conflicts).count()
    broken += planned.exclude(company__in=conflicts).exclude(channel__in=channels).count()
    if not (trained and active):
        broken = planned.count()
    return ObserverSaved(observer=profile, created=created, broken=broken)
