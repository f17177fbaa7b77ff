"""The checkout's fast field tag writes the markup Django's field group writes: label for the
input's id, help text and errors tied by aria-describedby, aria-invalid on an error, the
widget's attributes; values are escaped."""

import re
from typing import Any

import pytest
from django.template.loader import render_to_string

from awards.templatetags.tickets import shop_field
from awards.views.shop import CheckoutForm
from tests.awards.ticketing import shop_with_type

pytestmark = pytest.mark.django_db


def _same(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def _tickets() -> list[Any]:
    from awards.services import orders as order_services

    _shop, ticket = shop_with_type()
    order = order_services.order_reserve(event=ticket.event, quantities={ticket.pk: 2})
    return list(order.tickets.order_by("position"))


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": 'Kari "K" <Nordmann> & co', "email": "x", "wants_ehf": "on"},
        {"name": "", "attendee-1-name": "Ola", "reference": "PO-1"},
    ],
)
def test_every_checkout_field_is_written_as_djangos_field_group(data: Any) -> None:
    form = CheckoutForm(data, tickets=_tickets(), card=True)
    if data is not None:
        form.is_valid()
        form.add_error("name", "Oppgi navnet.")
        form.add_error("reference", "For lang.")
    for name in form.fields:
        field = form[name]
        assert _same(shop_field(field)) == _same(
            render_to_string("partials/field.html", {"field": field})
        ), name


def test_an_error_is_tied_to_its_input_and_the_value_kept_escaped() -> None:
    form = CheckoutForm({"name": '"<Kari>"'}, tickets=_tickets(), card=False)
    form.is_valid()
    form.add_error("name", "Oppgi navnet.")
    html = shop_field(form["name"])
    assert html.startswith(
        '<div class="field has-error"><label for="id_name">Kontaktperson:</label>'
    )
    assert '<ul class="errorlist" id="id_name_error"><li>Oppgi navnet.</li></ul>' in html
    assert 'value="&quot;&lt;Kari&gt;&quot;"' in html
    assert 'aria-invalid="true" aria-describedby="id_name_error" id="id_name"' in html
    reference = shop_field(form["reference"])
    assert 'aria-describedby="id_reference_helptext"' in reference
    assert '<div class="helptext" id="id_reference_helptext">' in reference
    assert 'type="email"' in shop_field(form["email"])
    assert 'autocomplete="tel"' in shop_field(form["phone"])
    assert 'inputmode="numeric"' in shop_field(form["org_number"])
    assert "<fieldset>" in shop_field(form["method"])  # radio buttons: the shared partial
