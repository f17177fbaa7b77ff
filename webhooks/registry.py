"""The one registry of webhook event types, and of the scopes an endpoint may filter on.

Each domain app registers its own events from its ``AppConfig.ready`` (``surveys/webhook_events.py``
for the survey events). An event type has a name (``thing.happened``, as Standard Webhooks
recommends), a version that changes when its payload changes incompatibly, a short
description for the staff console and the API, and a payload builder: a function from the
domain object to the event's ``data`` and the scopes it belongs to.

A scope is ``"<kind>:<id>"`` (``"study:3"``, ``"wave:12"``); an endpoint filtered on a scope
receives only the events that carry it. The app that owns a kind registers it with a label and
the choices the staff console offers, so this app never imports a domain app.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class EventData:
    """What a payload builder returns: the payload's ``data`` (ids, links, nothing personal
    beyond what the least role that reads the object through the API may see) and the scopes
    the event belongs to."""

    data: dict[str, Any]
    scopes: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    description: str | Promise
    build: Callable[[Any], EventData]


@dataclass(frozen=True)
class ScopeKind:
    kind: str
    label: str | Promise
    #: (id, label) pairs, for the staff console's filter and to validate a chosen scope.
    choices: Callable[[], Iterable[tuple[int, str]]]


EVENT_TYPES: dict[str, EventType] = {}
SCOPE_KINDS: dict[str, ScopeKind] = {}


def register_event(
    *, name: str, version: int, description: str | Promise, build: Callable[[Any], EventData]
) -> EventType:
    """Add an event type; registering a name twice is a programming error."""
    if name in EVENT_TYPES:
        raise ValueError(f"webhook event {name!r} is registered twice")
    event = EventType(name=name, version=version, description=description, build=build)
    EVENT_TYPES[name] = event
    return event


def register_scope(
    *, kind: str, label: str | Promise, choices: Callable[[], Iterable[tuple[int, str]]]
) -> ScopeKind:
    """Add a kind of scope endpoints may filter on (``study``, ``wave``, ``award_event``)."""
    if kind in SCOPE_KINDS:
        raise ValueError(f"webhook scope {kind!r} is registered twice")
    scope = ScopeKind(kind=kind, label=label, choices=choices)
    SCOPE_KINDS[kind] = scope
    return scope


def scope_key(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


def event_types() -> list[EventType]:
    """Every registered event type, by name (the test event aside: it is sent by hand)."""
    return sorted((e for e in EVENT_TYPES.values() if e.name != TEST_EVENT), key=lambda e: e.name)


#: The event "send test event" delivers to one endpoint; no endpoint subscribes to it.
TEST_EVENT = "webhook.test"
