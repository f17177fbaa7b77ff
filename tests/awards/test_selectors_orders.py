"""The order behind a buyer's link: read with what its pages show, by SQL compiled once."""

from unittest import mock

import pytest
from django.db.models.sql.compiler import SQLCompiler

from awards.selectors import CHECKOUT_PREFETCH, ORDER_PAGE_PREFETCH, order_for_buyer
from awards.services import orders as order_services
from tests.awards.ticketing import shop_with_type

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("prefetch", [ORDER_PAGE_PREFETCH, CHECKOUT_PREFETCH])
def test_a_buyers_order_and_its_relations_compile_no_sql_after_the_first(prefetch: tuple) -> None:
    _shop, kind = shop_with_type()
    first = order_services.order_reserve(event=kind.event, quantities={kind.pk: 2}, client_key="a")
    order_for_buyer(code=first.code, secret=first.secret, prefetch=prefetch)  # compiles
    second = order_services.order_reserve(event=kind.event, quantities={kind.pk: 1}, client_key="b")
    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled again")):
        order = order_for_buyer(code=second.code.lower(), secret=second.secret, prefetch=prefetch)
    assert order is not None
    assert order.pk == second.pk
    with mock.patch.object(SQLCompiler, "execute_sql", side_effect=AssertionError("a query")):
        assert [t.position for t in order.tickets.all()] == [1]
        assert order.event.ticket_shop.event_id == kind.event_id
        if "lines" in [p.prefetch_to for p in prefetch]:
            assert [(line.quantity, line.ticket_type.pk) for line in order.lines.all()] == [
                (1, kind.pk)
            ]
    assert order_for_buyer(code=second.code, secret="feil", prefetch=prefetch) is None
