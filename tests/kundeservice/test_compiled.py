"""Lookups compiled once a process (``kundeservice.compiled``): the same rows, related objects
and prefetches as the queryset they stand for, the SQL compiled once, and builders whose values
would not reach the SQL as given refused."""

import threading
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Prefetch
from django.db.models.sql.compiler import SQLCompiler

from awards.models import AwardEvent, Order, Ticket, TicketType
from awards.services import orders as order_services
from kundeservice.compiled import CompiledQuery, CompiledUpdate
from tests.awards.ticketing import award_event, ticket_shop, ticket_type

pytestmark = pytest.mark.django_db


def _event_with_shop() -> CompiledQuery[AwardEvent]:
    return CompiledQuery(
        lambda slug: AwardEvent.objects.filter(slug=slug).select_related("ticket_shop")[:1],
        slug=str,
    )


def _orders_by_key() -> CompiledQuery[Order]:
    return CompiledQuery(
        lambda event_id, client_key: Order.objects.prefetch_related("tickets").filter(
            event_id=event_id, client_key=client_key
        ),
        event_id=int,
        client_key=str,
    )


def test_rows_and_related_objects_are_the_querysets():
    shop = ticket_shop()
    without = award_event(slug="uten-butikk")
    query = _event_with_shop()
    for slug in (shop.event.slug, without.slug, "finnes-ikke", "o'brien%_\\", "Ærlig-ø"):
        expected = list(AwardEvent.objects.filter(slug=slug).select_related("ticket_shop")[:1])
        got = query.fetch(slug=slug)
        assert [(e.pk, e.slug, e.name, e.starts_at) for e in got] == [
            (e.pk, e.slug, e.name, e.starts_at) for e in expected
        ]
    event = query.first(slug=shop.event.slug)
    with mock.patch.object(SQLCompiler, "execute_sql", side_effect=AssertionError("a query")):
        assert event.ticket_shop.pk == shop.pk  # read with the event, no query
    assert getattr(query.first(slug=without.slug), "ticket_shop", None) is None
    assert query.first(slug="finnes-ikke") is None


def test_prefetches_and_several_values_and_ordering():
    kind = ticket_type(ticket_shop().event)
    other = ticket_type(ticket_shop().event)
    first = order_services.order_reserve(
        event=kind.event, quantities={kind.pk: 2}, client_key="nøkkel"
    )
    order_services.order_reserve(event=other.event, quantities={other.pk: 1}, client_key="nøkkel")
    query = _orders_by_key()
    got = query.fetch(event_id=kind.event_id, client_key="nøkkel")
    assert [o.pk for o in got] == [first.pk]
    with mock.patch.object(SQLCompiler, "execute_sql", side_effect=AssertionError("a query")):
        assert sorted(t.position for t in got[0].tickets.all()) == [1, 2]
    assert query.fetch(event_id=kind.event_id, client_key="annen") == []
    assert query.fetch(event_id=other.event_id + 1000, client_key="nøkkel") == []
    types = CompiledQuery(
        lambda event_id: TicketType.objects.filter(event_id=event_id), event_id=int
    )
    ticket_type(kind.event, position=0, name="Først")
    assert [t.pk for t in types.fetch(event_id=kind.event_id)] == [
        t.pk for t in TicketType.objects.filter(event_id=kind.event_id)
    ]


def test_the_sql_is_compiled_once():
    shop = ticket_shop()
    query = _event_with_shop()
    query.first(slug=shop.event.slug)  # compiled here
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True) as compile_sql:
        for _ in range(3):
            assert query.first(slug=shop.event.slug).pk == shop.event.pk
            assert query.first(slug="finnes-ikke") is None
    compile_sql.assert_not_called()


@pytest.mark.django_db(transaction=True)
def test_another_thread_runs_it_on_its_own_connection():
    shop = ticket_shop()
    query = _event_with_shop()
    assert query.first(slug=shop.event.slug).pk == shop.event.pk  # compiled in this thread
    found: list[object] = []
    ran_on_theirs: list[str] = []

    def record(execute, sql, params, many, context):
        ran_on_theirs.append(sql)
        return execute(sql, params, many, context)

    def other() -> None:
        theirs = connections["default"]
        try:
            with theirs.execute_wrapper(record):
                found.append(query.first(slug=shop.event.slug).pk)
        finally:
            theirs.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert found == [shop.event.pk]
    assert len(ran_on_theirs) == 1  # on the thread's own connection, not the compiling one


@pytest.mark.parametrize(
    "build",
    [
        lambda slug: AwardEvent.objects.filter(slug=slug.upper()),  # changed by the builder
        lambda slug: AwardEvent.objects.filter(slug__icontains=slug),  # wrapped by the lookup
        lambda slug: AwardEvent.objects.filter(name="x"),  # the value is not used at all
    ],
)
def test_a_value_that_does_not_reach_the_sql_as_given_is_refused(build):
    query = CompiledQuery(build, slug=str)
    with pytest.raises(ImproperlyConfigured):
        query.fetch(slug="gallaen")


def test_values_of_the_wrong_name_or_type_are_refused():
    query = _orders_by_key()
    with pytest.raises(TypeError):
        query.fetch(event_id="1", client_key="x")
    with pytest.raises(TypeError):
        query.fetch(event_id=1)
    with pytest.raises(ImproperlyConfigured):
        CompiledQuery(lambda at: Order.objects.filter(created_at=at), at=float).fetch(at=1.0)


def test_fetch_into_keeps_the_rows_as_prefetch_related_keeps_them():
    kind = ticket_type(ticket_shop().event)
    mine = order_services.order_reserve(event=kind.event, quantities={kind.pk: 3}, client_key="a")
    theirs = order_services.order_reserve(event=kind.event, quantities={kind.pk: 1}, client_key="b")
    tickets = CompiledQuery(
        lambda order_id: Ticket.objects.select_related("ticket_type").filter(order_id=order_id),
        order_id=int,
    )
    expected = Order.objects.prefetch_related(
        Prefetch("tickets", queryset=Ticket.objects.select_related("ticket_type"))
    ).get(pk=mine.pk)
    order = Order.objects.get(pk=mine.pk)
    rows = tickets.fetch_into(order, "tickets", order_id=order.pk)
    with mock.patch.object(SQLCompiler, "execute_sql", side_effect=AssertionError("a query")):
        got = list(order.tickets.all())
        assert got == rows
        assert [(t.pk, t.position, t.ticket_type.name) for t in got] == [
            (t.pk, t.position, t.ticket_type.name) for t in expected.tickets.all()
        ]
        assert all(t.order is order for t in got)  # the foreign key holds the instance
        assert order.tickets.count() == 3  # counted from the kept rows, as Django does
    with pytest.raises(ValueError, match="is not one of"):
        tickets.fetch_into(order, "tickets", order_id=theirs.pk)


def test_compiled_update_writes_the_fields_of_each_row_by_its_key():
    kind = ticket_type(ticket_shop().event)
    order = order_services.order_reserve(event=kind.event, quantities={kind.pk: 3})
    tickets = list(order.tickets.order_by("position"))
    write = CompiledUpdate(Ticket, ("attendee_name", "dietary"))
    tickets[0].attendee_name, tickets[0].dietary = "O'Brien; DROP TABLE x --", "Ingen %s"
    tickets[2].attendee_name = "Kari"
    tickets[2].attendee_email = "ikke@skrevet.no"  # not one of the fields: not written
    write.run([tickets[0], tickets[2]])
    stored = {t.position: t for t in Ticket.objects.filter(order=order)}
    assert (stored[1].attendee_name, stored[1].dietary) == ("O'Brien; DROP TABLE x --", "Ingen %s")
    assert stored[2].attendee_name == ""
    assert (stored[3].attendee_name, stored[3].attendee_email) == ("Kari", "")
    tickets[1].attendee_name = "Én"
    write.run([tickets[1]])
    assert Ticket.objects.get(pk=tickets[1].pk).attendee_name == "Én"
    write.run([])  # nothing to write, no statement


@pytest.mark.parametrize(("model", "field"), [(Ticket, "id"), (AwardEvent, "updated_at")])
def test_compiled_update_refuses_what_it_cannot_write(model: type, field: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="cannot write"):
        CompiledUpdate(model, (field,))
