"""The demo night's ticket sales: something for the sales and door pages to show."""

from collections import Counter
from typing import Any

import pytest
from django.core import mail

from awards.demo_tickets import seed_tickets
from awards.models import CheckIn, Order, ProviderEvent
from tests.awards.ticketing import award_event

pytestmark = pytest.mark.django_db


def test_demo_tickets_have_orders_in_every_state_and_check_ins(
    django_capture_on_commit_callbacks: Any,
) -> None:
    event = award_event()
    with django_capture_on_commit_callbacks(execute=True):
        shop = seed_tickets(event=event)
    assert shop.is_open
    assert set(event.ticket_types.values_list("name", flat=True)) == {
        "Bedriftsbillett",
        "Bord for ti",
        "Pressebillett",
    }
    orders = Order.objects.filter(event=event)
    assert Counter(orders.values_list("status", "payment_method")) == {
        ("paid", "invoice"): 2,
        ("invoiced", "invoice"): 1,
        ("paid", "card"): 1,
        ("paid", "free"): 1,
    }
    assert ProviderEvent.objects.get().outcome == "paid"  # the recorded webhook, verified
    assert CheckIn.objects.filter(ticket__order__event=event).count() == 3
    assert mail.outbox == []
