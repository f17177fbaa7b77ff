"""POST /api/v1/checkins/: what a scanning device is told."""

from typing import Any

import pytest

from awards.models import CheckIn
from kundeservice.roles import Role
from tests.awards.ticketing import invoiced_order, shop_with_type
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/checkins/"


def scan(client: Any, event: int, secret: str, nonce: str, device: str = "Dør 1") -> Any:
    body = {"event": event, "secret": secret, "nonce": nonce, "device": device}
    return client.post(URL, body, content_type="application/json")


def test_scan_green_then_red_and_a_replay_is_its_first_answer(client: Any) -> None:
    client.force_login(UserFactory(roles=[Role.DOOR_STAFF]))
    _shop, ticket_type = shop_with_type()
    ticket = invoiced_order(ticket_type, 1).tickets.get()
    event = ticket_type.event_id
    first = scan(client, event, ticket.secret, "nonce-first")
    assert first.status_code == 201
    assert first.json()["result"] == "ok"
    assert first.json()["name"] == "Gjest 1 Ærlig"
    replay = scan(client, event, ticket.secret, "nonce-first")
    assert (replay.status_code, replay.json()["replay"]) == (200, True)
    second = scan(client, event, ticket.secret, "nonce-second", device="Dør 2")
    assert second.status_code == 409
    assert second.json()["result"] == "already_used"
    assert second.json()["device"] == "Dør 1"
    assert "Dør 1" in second.json()["message"]
    unknown = scan(client, event, ticket.secret[:-3], "nonce-third")
    assert (unknown.status_code, unknown.json()["result"]) == (404, "unknown")
    assert CheckIn.objects.count() == 1


def test_bad_requests_say_why(client: Any) -> None:
    client.force_login(UserFactory(roles=[Role.DOOR_STAFF]))
    _shop, ticket_type = shop_with_type()
    answer = client.post(
        URL,
        {"event": ticket_type.event_id, "secret": 5, "nonce": "x"},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "secret" in answer.json()
    short = scan(client, ticket_type.event_id, "abc", "x")
    assert short.status_code == 400
    assert "nonce" in short.json()
