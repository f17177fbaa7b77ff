"""Webhook tests: a local receiver, endpoints pointing at it, deliveries run here and now, and
a test-only event type whose subject is a number."""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import UserFactory
from tests.webhooks.receiver import Receiver
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.registry import EVENT_TYPES, EventData, EventType
from webhooks.services.delivery import webhook_events_dispatch
from webhooks.services.endpoints import webhook_endpoint_create
from webhooks.services.events import webhook_events_emit

THING = "thing.happened"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(autouse=True)
def _webhook_settings(settings: Any, monkeypatch: Any) -> None:
    """A short timeout, receivers on 127.0.0.1 allowed, and ``thing.happened``: ``{"n": n}``
    in scope ``wave:<n>``."""
    settings.WEBHOOK_TIMEOUT = 1.0
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    monkeypatch.setitem(
        EVENT_TYPES,
        THING,
        EventType(
            name=THING,
            version=1,
            description="Something happened.",
            build=lambda n: EventData(data={"n": n}, scopes=frozenset({f"wave:{n}"})),
        ),
    )


def endpoint_for(
    url: str, *, events: tuple[str, ...] = (THING,), scope: str = "", owner: Any = None
) -> tuple[WebhookEndpoint, str]:
    """An endpoint (and its secret) owned by a staff admin with an e-mail address."""
    owner = owner or UserFactory(roles=["staff_admin"], email="eier@example.no")
    return webhook_endpoint_create(url=url, event_types=events, scope=scope, owner=owner)


def emit(*numbers: int) -> None:
    webhook_events_emit(event=THING, subjects=numbers)


def deliver(endpoint: WebhookEndpoint) -> dict[str, int]:
    """Dispatch what the outbox holds; the lanes run here and now (tasks are eager in tests).
    Returns how many of the endpoint's deliveries are in each status."""
    webhook_events_dispatch()
    return statuses(endpoint)


def statuses(endpoint: WebhookEndpoint) -> dict[str, int]:
    return dict(
        Counter(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("status", flat=True))
    )
