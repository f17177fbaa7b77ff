"""Managing webhook endpoints: create, change, rotate the secret, pause and resume, send a
test event, redeliver by hand. Staff admins only (the views and the API check the role)."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kundeservice.errors import ConflictError, DomainError
from kundeservice.tasks import enqueue_on_commit
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.registry import EVENT_TYPES, SCOPE_KINDS, TEST_EVENT
from webhooks.services.events import event_row
from webhooks.signing import secret_new
from webhooks.transport import target_for

#: Longest a rotated-out secret may keep signing, in hours.
MAX_GRACE_HOURS = 24 * 7
DESCRIPTION_MAX = 200


def webhook_endpoint_create(
    *,
    url: str,
    event_types: Iterable[str],
    scope: str = "",
    description: str = "",
    owner: Any = None,
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint and return it with its signing secret, which is shown this once.
    Refuses (``DomainError`` per field) an unsafe URL, unknown events or an unknown scope."""
    fields = _checked(url=url, event_types=event_types, scope=scope, description=description)
    secret = secret_new()
    endpoint = WebhookEndpoint.objects.create(
        **fields, secret=secret, owner=owner if getattr(owner, "pk", None) else None
    )
    return endpoint, secret


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    scope: str | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """Change what an endpoint receives and where; a new URL is checked as a new one is."""
    fields = _checked(
        url=endpoint.url if url is None else url,
        event_types=endpoint.event_types if event_types is None else event_types,
        scope=endpoint.scope if scope is None else scope,
        description=endpoint.description if description is None else description,
    )
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.save(update_fields=[*fields, "updated_at"])
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, grace_hours: int) -> str:
    """Give the endpoint a new secret and return it (shown this once). For ``grace_hours`` the
    old one signs too, each in its own signature, so the receiver can switch without losing a
    delivery; 0 retires it at once."""
    if not 0 <= grace_hours <= MAX_GRACE_HOURS:
        raise DomainError(
            {
                "grace_hours": [
                    _("Keep the old secret for 0 to %(n)d hours.") % {"n": MAX_GRACE_HOURS}
                ]
            },
            code="grace",
        )
    secret = secret_new()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret = locked.secret if grace_hours else ""
        locked.previous_secret_expires_at = (
            timezone.now() + timedelta(hours=grace_hours) if grace_hours else None
        )
        locked.secret = secret
        locked.save(
            update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
        )
    endpoint.refresh_from_db()
    return secret


def webhook_endpoint_pause(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop sending to an endpoint by hand. Events meanwhile are not kept for it."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, paused_reason=_("Paused by hand."), paused_at=timezone.now()
    )
    endpoint.refresh_from_db()
    return endpoint


def webhook_endpoint_resume(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Start sending again: what was waiting goes now, in order, with its retries counted
    afresh (someone has looked at the receiver)."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=True, paused_reason="", paused_at=None
        )
        WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
            failures=0, next_attempt_at=timezone.now()
        )
        _start_lane_on_commit(endpoint.pk)
    endpoint.refresh_from_db()
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its deliveries and their log."""
    endpoint.delete()


def webhook_test_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to this endpoint alone, signed and logged like any other;
    it goes after whatever is waiting for the endpoint."""
    if not endpoint.is_active:
        raise ConflictError(
            _("The endpoint is paused: resume it to send it a test event."), code="paused"
        )
    with transaction.atomic():
        event = event_row(kind=EVENT_TYPES[TEST_EVENT], subject=endpoint, at=timezone.now())
        event.dispatched = True
        event.save()
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, next_attempt_at=timezone.now()
        )
        _start_lane_on_commit(endpoint.pk)
    return delivery


def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again by hand, now (delivered or failed ones included), with its event's
    same ``webhook-id``; its retries start afresh."""
    if not delivery.endpoint.is_active:
        raise ConflictError(
            _("The endpoint is paused: resume it before redelivering."), code="paused"
        )
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING,
            failures=0,
            next_attempt_at=timezone.now(),
            delivered_at=None,
        )
        _start_lane_on_commit(delivery.endpoint_id)
    delivery.refresh_from_db()
    return delivery


def webhook_endpoint_paused_mail(*, endpoint_id: int) -> dict[str, Any]:
    """Tell an endpoint's owner it was paused, why, and where to resume it. Skipped when it
    has been resumed since or the owner has no e-mail address."""
    endpoint = WebhookEndpoint.objects.select_related("owner").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.is_active:
        return {"skipped": "not paused"}
    owner = endpoint.owner
    if owner is None or not owner.email:
        return {"skipped": "no e-mail address"}
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "endpoint": endpoint,
            "name": owner.get_full_name() or owner.get_username(),
            "link": settings.SITE_URL + reverse("staff-webhook-detail", args=[endpoint.pk]),
            "SITE_NAME": settings.SITE_NAME,
        }
        subject = render_to_string("webhooks/mail/endpoint_paused_subject.txt", context).strip()
        body = render_to_string("webhooks/mail/endpoint_paused.txt", context)
    mail.EmailMessage(subject=subject, body=body, to=[owner.email]).send()
    return {"sent": owner.email}


def scope_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The filters an endpoint may choose, grouped by kind, for forms."""
    return [
        (str(kind.label), [(f"{kind.kind}:{pk}", label) for pk, label in kind.choices()])
        for kind in SCOPE_KINDS.values()
    ]


def _checked(
    *, url: str, event_types: Iterable[str], scope: str, description: str
) -> dict[str, Any]:
    """Validated fields, or a ``DomainError`` with a message per bad field (nothing saved)."""
    errors: dict[str, list[str]] = {}
    url = (url or "").strip()
    try:
        target_for(url)
    except DomainError as refused:
        errors["url"] = list(refused.messages)
    wanted = list(dict.fromkeys(event_types))
    known = set(EVENT_TYPES) - {TEST_EVENT}
    if not wanted:
        errors["event_types"] = [_("Choose at least one event.")]
    elif unknown := [name for name in wanted if name not in known]:
        errors["event_types"] = [_("Unknown event: %(e)s.") % {"e": ", ".join(unknown)}]
    scope = (scope or "").strip()
    if scope and not _scope_exists(scope):
        errors["scope"] = [_("Choose a filter from the list, or none.")]
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [
            _("Keep the description under %(n)d characters.") % {"n": DESCRIPTION_MAX}
        ]
    if errors:
        raise DomainError(errors, code="invalid")
    return {"url": url, "event_types": wanted, "scope": scope, "description": description}


def _scope_exists(scope: str) -> bool:
    kind, _sep, pk = scope.partition(":")
    if kind not in SCOPE_KINDS or not pk.isdigit():
        return False
    return any(str(choice) == pk for choice, _label in SCOPE_KINDS[kind].choices())


def _start_lane_on_commit(endpoint_id: int) -> None:
    from webhooks.tasks import deliver_endpoint

    enqueue_on_commit(deliver_endpoint, endpoint_id=endpoint_id)
