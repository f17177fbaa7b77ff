"""Writes to award nights: the event itself and its state."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from awards.models import AwardDecision, AwardEvent, DecisionAction, EventState
from awards.selectors import AWARDS_NAMESPACE
from kundeservice.caching import visibility_bump
from kundeservice.errors import ConflictError, DomainError

#: The order an event goes through; a step back is allowed (a mistake), a skip is not.
STATE_ORDER: list[str] = [
    EventState.DRAFT,
    EventState.FINALISTS_PUBLIC,
    EventState.LIVE,
    EventState.CLOSED,
]


def event_save(
    *,
    event: AwardEvent | None = None,
    slug: str,
    name: str,
    starts_at: datetime,
    venue: str,
    finalists_public_at: datetime,
    name_en: str = "",
    address: str = "",
    description: str = "",
    description_en: str = "",
) -> AwardEvent:
    """Create or change an award night (not its state: ``event_state_set``)."""
    event = event or AwardEvent()
    fields: dict[str, Any] = {
        "slug": slug.strip(),
        "name": name.strip(),
        "name_en": name_en.strip(),
        "starts_at": starts_at,
        "venue": venue.strip(),
        "address": address.strip(),
        "description": description,
        "description_en": description_en,
        "finalists_public_at": finalists_public_at,
    }
    for key, value in fields.items():
        setattr(event, key, value)
    if finalists_public_at > starts_at:
        raise DomainError(
            {"finalists_public_at": [_("The finalists must be public before the night starts.")]},
            code="finalists_after_start",
        )
    try:
        event.full_clean(exclude=["state"])
    except ValidationError as exc:
        raise DomainError(exc.message_dict, code="invalid") from None
    try:
        with transaction.atomic():
            event.save()
            visibility_bump(AWARDS_NAMESPACE)
    except IntegrityError:
        raise ConflictError(
            {"slug": [_("Another award night has this address.")]}, code="duplicate"
        ) from None
    return event


def event_state_set(*, event: AwardEvent, state: str, by: Any) -> AwardEvent:
    """Move the event one step on (or back): draft → finalists public → live → closed."""
    if state not in STATE_ORDER:
        raise DomainError(_("Unknown state."), code="state")
    with transaction.atomic():
        locked = AwardEvent.objects.select_for_update().get(pk=event.pk)
        step = STATE_ORDER.index(state) - STATE_ORDER.index(locked.state)
        if abs(step) != 1:
            raise ConflictError(
                _("The event is %(now)s: it can only move one step at a time.")
                % {"now": locked.get_state_display()},
                code="state_step",
            )
        previous = locked.state
        locked.state = state
        locked.save(update_fields=["state", "updated_at"])
        AwardDecision.objects.create(
            event=locked,
            action=DecisionAction.STATE_CHANGED,
            actor=by if getattr(by, "is_authenticated", False) else None,
            details={"from": previous, "to": state},
        )
        visibility_bump(AWARDS_NAMESPACE)
    return locked
