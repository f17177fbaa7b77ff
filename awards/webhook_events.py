"""The webhook events of the award night, registered in the one registry
(``webhooks.registry``). A payload carries what the public award API shows once the winner is
revealed (``/api/v1/awards/events/<slug>/``), never more, and is written in the reveal's own
transaction."""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from awards.models import AwardCategory, AwardEvent
from webhooks.registry import EventData, register_event, register_scope, scope_key

WINNER_REVEALED = "award.winner_revealed"
REVEAL_UNDONE = "award.reveal_undone"


def winner_data(category: AwardCategory) -> EventData:
    """The category and, once revealed, its winner as the public API shows them."""
    winner = category.placements.filter(is_winner=True).select_related("company").first()
    event = category.event
    return EventData(
        data={
            "event": event.slug,
            "category": {"id": category.pk, "name": category.name, "name_en": category.name_en},
            "revealed_at": category.revealed_at.isoformat() if category.revealed_at else None,
            "winner": None
            if winner is None or category.revealed_at is None
            else {
                "entrant": winner.entrant_name,
                "company": winner.company.slug if winner.company else None,
                "value": winner.value,
                "n": winner.n,
                "ci_low": winner.ci_low,
                "ci_high": winner.ci_high,
                "statistically_tied": winner.statistically_tied,
            },
            "links": {
                "event": settings.SITE_URL + reverse("award-event-api-detail", args=[event.slug]),
            },
        },
        scopes=frozenset({scope_key("award_event", event.pk)}),
    )


def _events() -> list[tuple[int, str]]:
    return [(e.pk, e.display_name) for e in AwardEvent.objects.order_by("-starts_at")]


register_event(
    name=WINNER_REVEALED,
    version=1,
    description=gettext_lazy("A category's winner was revealed on stage."),
    build=winner_data,
)
register_event(
    name=REVEAL_UNDONE,
    version=1,
    description=gettext_lazy("A mistaken reveal was taken back (within its minute)."),
    build=winner_data,
)
register_scope(kind="award_event", label=gettext_lazy("Award night"), choices=_events)


ORDER_PAID = "order.paid"
ORDER_CANCELLED = "order.cancelled"
TICKET_CHECKED_IN = "ticket.checked_in"


def order_data(order: Any) -> EventData:
    """An order as the orders API shows it, without the buyer's personal details (name,
    e-mail): the venue needs what was bought and by which company."""
    return EventData(
        data={
            "id": order.pk,
            "event": order.event_id,
            "code": order.code,
            "status": order.status,
            "payment_method": order.payment_method,
            "buyer_company": order.buyer_company,
            "buyer_org_number": order.buyer_org_number,
            "total": order.total,
            "paid_at": _moment(order.paid_at),
            "cancelled_at": _moment(order.cancelled_at),
            "lines": [
                {"ticket_type": line.ticket_type_id, "quantity": line.quantity}
                for line in order.lines.all()
            ],
            "links": {"order": settings.SITE_URL + reverse("award-order-detail", args=[order.pk])},
        },
        scopes=frozenset({scope_key("award_event", order.event_id)}),
    )


def checkin_data(checkin: Any) -> EventData:
    """A ticket let in at the door: which ticket of which order and type, when; never its
    secret or the attendee."""
    ticket = checkin.ticket
    return EventData(
        data={
            "ticket": ticket.pk,
            "order": ticket.order.code,
            "ticket_type": ticket.ticket_type_id,
            "event": ticket.order.event_id,
            "at": _moment(checkin.at),
            "links": {
                "order": settings.SITE_URL + reverse("award-order-detail", args=[ticket.order_id])
            },
        },
        scopes=frozenset({scope_key("award_event", ticket.order.event_id)}),
    )


def _moment(value: Any) -> str | None:
    return None if value is None else serializers.DateTimeField().to_representation(value)


register_event(
    name=ORDER_PAID,
    version=1,
    description=gettext_lazy("A gala order was paid (by card, by invoice, or free)."),
    build=order_data,
)
register_event(
    name=ORDER_CANCELLED,
    version=1,
    description=gettext_lazy("A gala order was cancelled: its seats are free again."),
    build=order_data,
)
register_event(
    name=TICKET_CHECKED_IN,
    version=1,
    description=gettext_lazy("A ticket was checked in at the door."),
    build=checkin_data,
)
