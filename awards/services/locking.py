"""Locks that keep the ticket shop from overselling, after pretix's ``locking.py``.

Every write that takes seats (a reservation, a waiting-list offer) first locks the event and
then each ticket type involved, in that fixed order (types by primary key), inside the
transaction that counts and writes; the locks end with it. Two buyers of the last seat are
thus served one after the other, and the second counts the first's seat.

On PostgreSQL the locks are transaction-scoped advisory locks, so nothing else that touches
the rows (staff editing the event) waits; a lock not had within ``LOCK_TIMEOUT_SECONDS`` fails
the purchase with a message to try again instead of holding a web worker. On SQLite a
transaction that writes starts with ``BEGIN IMMEDIATE`` (settings), which takes the whole
database's write lock before the first count: slower, and as correct.

``settings.TICKETS_CAPACITY_LOCKING`` turns the locks off for the control run of the
concurrency test and benchmark, which shows what they prevent.
"""

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from kundeservice.errors import ConflictError

LOCK_TIMEOUT_SECONDS = 3
#: Each kind of locked object has its own key space in PostgreSQL's one bigint space.
KEY_SPACES = {"event": 1, "ticket_type": 2}


def capacity_lock(*, event_id: int, ticket_type_ids: Iterable[int] = ()) -> None:
    """Lock the event's capacity, then its ``ticket_type_ids``, for the current transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("capacity_lock needs a transaction: the lock ends with it")
    if settings.TICKETS_CAPACITY_LOCKING:
        if connection.vendor == "postgresql":
            keys = [lock_key("event", event_id)]
            keys += [lock_key("ticket_type", pk) for pk in sorted(set(ticket_type_ids))]
            _advisory_locks(keys)
        elif connection.vendor == "sqlite":
            if connection.settings_dict["OPTIONS"].get("transaction_mode") != "IMMEDIATE":
                raise ImproperlyConfigured(
                    "SQLite must start transactions with BEGIN IMMEDIATE for ticket sales"
                )
        else:
            raise ImproperlyConfigured(f"No capacity lock for {connection.vendor}")


def counted_pause() -> None:
    """Fault injection for the concurrency test and benchmark, called between counting what is
    left and committing the order: ``settings.TICKETS_CAPACITY_DELAY`` seconds widen that window,
    so the control run without locks oversells every time rather than now and then (with the
    locks, the pause only holds them longer). Nothing in production sets it."""
    if settings.TICKETS_CAPACITY_DELAY:
        time.sleep(settings.TICKETS_CAPACITY_DELAY)


def lock_key(space: str, pk: int) -> int:
    """A bigint key for an object: its primary key shifted past the key space."""
    return (pk << 8) | KEY_SPACES[space]


def _advisory_locks(keys: list[int]) -> None:
    calls = ", ".join(["pg_advisory_xact_lock(%s)"] * len(keys))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)", [f"{LOCK_TIMEOUT_SECONDS}s"]
            )
            cursor.execute(f"SELECT {calls}", keys)
    except OperationalError as exc:
        raise ConflictError(
            _("Very many are buying tickets right now. Please try again in a moment."),
            code="busy",
        ) from exc
