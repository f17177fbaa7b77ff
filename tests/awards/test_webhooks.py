"""The award's webhook events: one per reveal (and per undo), written in its transaction,
carrying no more than the public award API shows once the winner is revealed."""

import json

import pytest
from rest_framework.test import APIClient

from awards.models import EventState
from awards.services.categories import category_reveal, category_unreveal
from awards.services.events import event_state_set
from kundeservice.roles import Role
from tests.awards.test_embargo import confirmed_night
from tests.factories import UserFactory
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


def test_a_reveal_is_one_event_with_what_the_public_api_shows() -> None:
    category = confirmed_night()
    manager = UserFactory(roles=[Role.AWARD_MANAGER])
    event_state_set(event=category.event, state=EventState.LIVE, by=manager)
    assert not WebhookEvent.objects.exists()
    category_reveal(category=category, by=manager)
    category_reveal(category=category, by=manager)  # pressed twice: revealed, and told, once
    (event,) = WebhookEvent.objects.filter(type="award.winner_revealed")
    data = json.loads(event.body)["data"]
    public = APIClient().get(f"/api/v1/awards/events/{category.event.slug}/").json()
    shown = public["categories"][0]["winner"]
    assert data["winner"]["entrant"] == shown["entrant"] == "Beta"
    for field in ("company", "value", "n", "ci_low", "ci_high", "statistically_tied"):
        assert data["winner"][field] == shown[field]
    assert event.scopes == [f"award_event:{category.event_id}"]
    category_unreveal(category=category, by=manager)
    undone = WebhookEvent.objects.get(type="award.reveal_undone")
    assert json.loads(undone.body)["data"]["winner"] is None


def test_orders_paid_cancelled_and_tickets_let_in_are_told_once_without_personal_data() -> None:
    from awards.services.checkin import checkin_scan
    from awards.services.orders import order_cancel, order_paid
    from tests.awards.ticketing import invoiced_order, shop_with_type

    _shop, ticket_type = shop_with_type()
    order = invoiced_order(ticket_type)
    order_paid(order=order)
    (paid,) = WebhookEvent.objects.filter(type="order.paid")
    body = paid.body
    assert order.code in body
    assert order.buyer_email not in body
    assert order.buyer_name not in body
    ticket = order.tickets.first()
    for _attempt in range(2):  # a replayed scan is one check-in, one event
        checkin_scan(event=ticket_type.event, secret=ticket.secret, nonce="door-1-00000001")
    (entered,) = WebhookEvent.objects.filter(type="ticket.checked_in")
    assert ticket.secret not in entered.body
    assert ticket.attendee_name not in entered.body
    order_cancel(order=order, reason="Syk")
    assert WebhookEvent.objects.filter(type="order.cancelled").count() == 1
