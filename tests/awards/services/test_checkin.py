"""Door check-in: once per ticket, idempotent per nonce, clear reasons for every refusal."""

import pytest

from awards.models import CheckIn
from awards.services.checkin import Outcome, checkin_scan
from awards.services.orders import order_cancel, order_reserve
from kundeservice.errors import DomainError
from tests.awards.ticketing import award_event, invoiced_order, shop_with_type

pytestmark = pytest.mark.django_db


def test_a_ticket_gets_in_once_and_a_replayed_nonce_answers_as_before() -> None:
    _shop, ticket_type = shop_with_type()
    ticket = invoiced_order(ticket_type, 1).tickets.get()
    event = ticket_type.event
    first = checkin_scan(event=event, secret=ticket.secret, nonce="device-a-0001", device="Dør 1")
    assert (first.outcome, first.replay) == (Outcome.OK, False)
    replay = checkin_scan(event=event, secret=ticket.secret, nonce="device-a-0001", device="Dør 1")
    assert (replay.outcome, replay.replay) == (Outcome.OK, True)
    other = checkin_scan(event=event, secret=ticket.secret, nonce="device-b-0001", device="Dør 2")
    assert other.outcome == Outcome.ALREADY_USED
    assert "Dør 1" in other.message
    assert CheckIn.objects.count() == 1


@pytest.mark.parametrize(
    "forge", [lambda s: s[:-1], lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"), lambda s: "x"]
)
def test_a_forged_or_truncated_secret_is_unknown(forge) -> None:  # type: ignore[no-untyped-def]
    _shop, ticket_type = shop_with_type()
    ticket = invoiced_order(ticket_type, 1).tickets.get()
    result = checkin_scan(event=ticket_type.event, secret=forge(ticket.secret), nonce="nonce-0001")
    assert result.outcome == Outcome.UNKNOWN
    assert not CheckIn.objects.exists()


def test_cancelled_unpaid_and_other_events_tickets_are_refused_with_why() -> None:
    _shop, ticket_type = shop_with_type()
    cancelled = invoiced_order(ticket_type, 1)
    order_cancel(order=cancelled)
    reserved = order_reserve(event=ticket_type.event, quantities={ticket_type.pk: 1})
    elsewhere = award_event()
    cases = [
        (cancelled.tickets.get().secret, ticket_type.event, Outcome.CANCELLED),
        (reserved.tickets.get().secret, ticket_type.event, Outcome.UNPAID),
        (invoiced_order(ticket_type, 1).tickets.get().secret, elsewhere, Outcome.OTHER_EVENT),
    ]
    for number, (secret, event, outcome) in enumerate(cases):
        result = checkin_scan(event=event, secret=secret, nonce=f"nonce-000{number}")
        assert result.outcome == outcome
        assert result.message
    assert not CheckIn.objects.exists()


def test_a_nonce_cannot_be_reused_for_another_ticket() -> None:
    _shop, ticket_type = shop_with_type()
    one, two = invoiced_order(ticket_type, 2).tickets.all()
    checkin_scan(event=ticket_type.event, secret=one.secret, nonce="nonce-same")
    with pytest.raises(DomainError):
        checkin_scan(event=ticket_type.event, secret=two.secret, nonce="nonce-same")
    with pytest.raises(DomainError):
        checkin_scan(event=ticket_type.event, secret=two.secret, nonce="short")
    assert CheckIn.objects.count() == 1
