"""The gala's last seats, invoice numbers and door scans under real concurrent clients on
PostgreSQL (gunicorn, 32 requests at once). Each race is run with a pause between counting and
writing (``TICKETS_CAPACITY_DELAY``) so that requests overlap; the control run without the
capacity lock shows the oversold seats the lock prevents."""

import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from awards.models import Invoice, Order, OrderLine
from awards.services.orders import order_reserve
from kundeservice.roles import Role
from tests.awards.ticketing import checkout_form, invoiced_order, shop_with_type
from tests.concurrency.conftest import gunicorn
from tests.concurrency.test_submit_race import NoRedirect
from tests.factories import UserFactory

BUYERS = 40
SEATS = 10


class Browser:
    """One buyer's browser: its own cookies and CSRF token."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def get(self, url: str) -> str:
        with self.opener.open(url, timeout=60) as answer:
            return answer.read().decode()

    def post(self, url: str, fields: dict[str, str], csrf: str) -> int:
        return self.post_for_location(url, fields, csrf)[0]

    def post_for_location(
        self, url: str, fields: dict[str, str], csrf: str
    ) -> tuple[int, str | None]:
        """The answer's status and where it redirects."""
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, **fields}).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        try:
            with self.opener.open(request, timeout=120) as answer:
                return answer.status, answer.headers.get("Location")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def rush(url: str, type_id: int) -> Counter[int]:
    """``BUYERS`` browsers load the shop, then all ask for a seat at the same moment."""
    browsers = [Browser() for _ in range(BUYERS)]
    tokens = [csrf_of(b.get(url)) for b in browsers]
    start = threading.Barrier(BUYERS)

    def buy(i: int) -> int:
        start.wait()
        return browsers[i].post(url, {f"qty-{type_id}": "1", "client_key": f"buyer-{i}"}, tokens[i])

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        return Counter(pool.map(buy, range(BUYERS)))


def test_the_last_seats_are_sold_once(transactional_db: None) -> None:
    shop, ticket = shop_with_type(capacity=SEATS)
    with gunicorn(TICKETS_CAPACITY_DELAY="0.05") as server:
        statuses = rush(f"{server}/prisutdeling/{shop.event.slug}/billetter/", ticket.pk)
    assert statuses == {302: SEATS, 409: BUYERS - SEATS}
    assert OrderLine.objects.count() == SEATS


def test_one_client_key_sent_at_once_by_many_requests_makes_one_order(
    transactional_db: None,
) -> None:
    """A double (or tenfold) click: the requests reach the server together with the form's one
    client key. The order is written before the capacity lock is taken, so the key's unique
    constraint, not a lookup under the lock, keeps it to one order, which every request gets."""
    shop, ticket = shop_with_type(capacity=SEATS)
    clicks = 12
    with gunicorn(TICKETS_CAPACITY_DELAY="0.05") as server:
        url = f"{server}/prisutdeling/{shop.event.slug}/billetter/"
        browser = Browser()
        token = csrf_of(browser.get(url))
        start = threading.Barrier(clicks)

        def click(_i: int) -> tuple[int, str | None]:
            start.wait()
            fields = {f"qty-{ticket.pk}": "2", "client_key": "one-form"}
            return browser.post_for_location(url, fields, token)

        with ThreadPoolExecutor(max_workers=clicks) as pool:
            answers = list(pool.map(click, range(clicks)))
    order = Order.objects.get()
    assert {status for status, _ in answers} == {302}
    assert {location for _, location in answers} == {
        f"/prisutdeling/{shop.event.slug}/billetter/{order.code}/{order.secret}/"
    }
    assert OrderLine.objects.get().quantity == 2
    assert order.tickets.count() == 2


def test_control_without_the_lock_the_same_rush_oversells(transactional_db: None) -> None:
    shop, ticket = shop_with_type(capacity=SEATS)
    # Every request pauses between counting what is left and writing its order: without the lock,
    # all that counted in the same 0.3 s see the same seats left.
    with gunicorn(TICKETS_CAPACITY_DELAY="0.3", TICKETS_CAPACITY_LOCKING="0") as server:
        statuses = rush(f"{server}/prisutdeling/{shop.event.slug}/billetter/", ticket.pk)
    sold = OrderLine.objects.count()
    assert sold > SEATS, f"the race did not show this time: {statuses}"
    assert statuses[302] == sold


def test_concurrent_invoice_confirmations_get_numbers_without_gaps(transactional_db: None) -> None:
    shop, ticket = shop_with_type(capacity=50)
    orders = [order_reserve(event=shop.event, quantities={ticket.pk: 1}) for _ in range(24)]
    details = checkout_form()
    with gunicorn() as server:
        urls = [
            f"{server}/prisutdeling/{shop.event.slug}/billetter/{o.code}/{o.secret}/"
            for o in orders
        ]
        browsers = [Browser() for _ in orders]
        tokens = [csrf_of(b.get(u)) for b, u in zip(browsers, urls, strict=True)]
        start = threading.Barrier(len(orders))

        def confirm(i: int) -> int:
            start.wait()
            return browsers[i].post(urls[i], details, tokens[i])

        with ThreadPoolExecutor(max_workers=len(orders)) as pool:
            statuses = Counter(pool.map(confirm, range(len(orders))))
    assert statuses == {302: len(orders)}
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(orders) + 1))
    assert Order.objects.filter(status="invoiced").count() == len(orders)


def test_two_devices_scanning_one_ticket_at_once_check_it_in_once(transactional_db: None) -> None:
    _shop, ticket_type = shop_with_type()
    ticket = invoiced_order(ticket_type, 1).tickets.get()
    token = Token.objects.create(user=UserFactory(roles=[Role.DOOR_STAFF])).key
    devices = 12
    start = threading.Barrier(devices)

    def scan(url: str, i: int) -> tuple[int, Any]:
        body = json.dumps(
            {"event": ticket_type.event_id, "secret": ticket.secret, "nonce": f"device-{i:04d}"}
        ).encode()
        request = urllib.request.Request(
            f"{url}/api/v1/checkins/",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.loads(answer.read())["result"]
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())["result"]

    with gunicorn() as server, ThreadPoolExecutor(max_workers=devices) as pool:
        results = Counter(pool.map(lambda i: scan(server, i), range(devices)))
    assert results == {(201, "ok"): 1, (409, "already_used"): devices - 1}


pytestmark = pytest.mark.postgres
