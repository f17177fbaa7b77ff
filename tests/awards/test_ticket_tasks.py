"""Beat's sweep: expired reservations give their seats to the waiting list, whose offer is
mailed once however often the task runs."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from awards.models import Order, OrderStatus, WaitingStatus
from awards.services.mail import waiting_offer_mail
from awards.services.orders import order_reserve
from awards.services.waitinglist import waiting_list_join
from awards.tasks import release_expired
from tests.awards.ticketing import shop_with_type

pytestmark = pytest.mark.django_db


def test_the_sweep_expires_and_offers_the_seats_by_mail_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _shop, ticket = shop_with_type(capacity=2)
    held = order_reserve(event=ticket.event, quantities={ticket.pk: 2})
    waiting = waiting_list_join(ticket_type=ticket, name="Vera", email="vera@x.no", quantity=2)
    Order.objects.filter(pk=held.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = release_expired()
    assert result["expired"] == 1
    held.refresh_from_db()
    waiting.refresh_from_db()
    assert held.status == OrderStatus.EXPIRED
    assert waiting.status == WaitingStatus.OFFERED
    assert timedelta(hours=47) < waiting.offer_expires_at - timezone.now() <= timedelta(hours=48)
    assert len(mail.outbox) == 1
    assert waiting.token in mail.outbox[0].body
    assert waiting_offer_mail(entry_id=waiting.pk) == {"skipped": "already sent"}
    with django_capture_on_commit_callbacks(execute=True):
        assert release_expired() == {"expired": 0, "offered": {}}
    assert len(mail.outbox) == 1
