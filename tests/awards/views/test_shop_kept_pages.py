"""The shop page as a rush serves it: rendered once a process and kept while nothing it shows
changes (``kundeservice.pagecache``), with each buyer's own CSRF token and client key."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from awards.models import Order
from tests.awards.ticketing import shop_with_type

pytestmark = pytest.mark.django_db


def _client_key(page: str) -> str:
    found = re.search(r'name="client_key" value="([^"]+)"', page)
    assert found, "the shop's form carries a client key"
    return found.group(1)


def _without_holes(page: str) -> str:
    page = re.sub(r'name="client_key" value="[^"]+"', "", page)
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", page)


def test_a_second_buyer_gets_the_kept_page_with_a_token_and_key_of_their_own() -> None:
    _shop, ticket = shop_with_type(capacity=50)
    url = reverse("ticket-shop", kwargs={"slug": ticket.event.slug})
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    rendered = first.get(url)
    kept = second.get(url)
    assert [t.name for t in rendered.templates][:1] == ["awards/shop/shop.html"]
    assert kept.templates == []  # no template rendered: the kept page
    assert _without_holes(kept.content.decode()) == _without_holes(rendered.content.decode())
    assert _client_key(kept.content.decode()) != _client_key(rendered.content.decode())
    page = kept.content.decode()
    assert "csrfhole" not in page
    assert "clientkeyhole" not in page
    # The kept page's token is the second buyer's own: their reservation passes the CSRF check.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    reserved = second.post(
        url,
        {f"qty-{ticket.pk}": "1", "client_key": _client_key(page), "csrfmiddlewaretoken": token[1]},
    )
    assert reserved.status_code == 302
    assert Order.objects.get().client_key == _client_key(page)


def test_a_sale_changes_the_page_only_where_it_shows() -> None:
    _shop, ticket = shop_with_type(capacity=22, max_per_order=2)
    url = reverse("ticket-shop", kwargs={"slug": ticket.event.slug})
    buyer = Client()
    assert "igjen" not in buyer.get(url).content.decode()  # 22 left: not said
    assert buyer.post(url, {f"qty-{ticket.pk}": "1", "client_key": "a"}).status_code == 302
    assert buyer.get(url).templates == []  # 21 left shows the same page
    assert buyer.post(url, {f"qty-{ticket.pk}": "1", "client_key": "b"}).status_code == 302
    twenty = buyer.get(url)
    assert twenty.templates != []
    assert "20 igjen" in twenty.content.decode()
    assert buyer.post(url, {f"qty-{ticket.pk}": "2", "client_key": "c"}).status_code == 302
    assert "18 igjen" in buyer.get(url).content.decode()


def test_an_edited_ticket_type_language_and_sold_out_refusal_are_pages_of_their_own() -> None:
    _shop, ticket = shop_with_type(capacity=1, price=1000_00)
    url = reverse("ticket-shop", kwargs={"slug": ticket.event.slug})
    buyer = Client()
    assert "1\xa0000,00 kr" in buyer.get(url).content.decode()
    ticket.price = 1200_00
    ticket.save()
    page = buyer.get(url).content.decode()
    assert "1\xa0200,00 kr" in page
    assert "1\xa0000,00 kr" not in page
    with translation.override("en"):
        english = buyer.get(reverse("ticket-shop", kwargs={"slug": ticket.event.slug}))
    assert "1,200.00 kr" in english.content.decode()
    assert english.templates != []  # not the Norwegian page kept under the same event
    assert buyer.post(url, {f"qty-{ticket.pk}": "1", "client_key": "a"}).status_code == 302
    refusals = [buyer.post(url, {f"qty-{ticket.pk}": "1", "client_key": key}) for key in ("b", "c")]
    assert [r.status_code for r in refusals] == [409, 409]
    assert refusals[1].templates == []
    for refusal in refusals:
        assert "Bedriftsbillett er utsolgt." in refusal.content.decode()
    assert "error-summary" not in buyer.get(url).content.decode()  # the shop itself: no alert
    assert Order.objects.count() == 1


def test_a_signed_in_user_and_a_waiting_message_get_a_page_rendered_for_them() -> None:
    _shop, ticket = shop_with_type()
    url = reverse("ticket-shop", kwargs={"slug": ticket.event.slug})
    Client().get(url)  # kept
    member = Client()
    member.force_login(get_user_model().objects.create_user("ola", password="x" * 12))
    page = member.get(url)
    assert page.templates != []
    assert "Logg ut" in page.content.decode()
    joined = Client().get(url + "?joined=1")
    assert "venteliste" in joined.content.decode().lower()
    assert joined.templates != []
