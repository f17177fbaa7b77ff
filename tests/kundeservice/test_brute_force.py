"""Guessing passwords, order e-mails and invitation links is stopped per account and per client
address with a 429 that says how long to wait; the right secret is not even checked meanwhile."""

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from surveys.models import SubmissionInbox
from tests.awards.ticketing import invoiced_order, shop_with_type
from tests.factories import TEST_PASSWORD, UserFactory, WaveFactory, invite

pytestmark = pytest.mark.django_db

LOGIN = "/konto/logg-inn/"
TOKEN = "/api/v1/auth/token/"
PASSWORD = TEST_PASSWORD


@pytest.fixture
def limits(settings: Any) -> Any:
    settings.LOGIN_ACCOUNT_RATE = "3/15m"
    settings.LOGIN_ADDRESS_RATE = "5/15m"
    return settings


def login(client: Any, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def token(username: str, password: str, address: str = "10.0.0.1", **extra: Any) -> Any:
    return APIClient().post(
        TOKEN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def test_the_login_form_locks_an_account_after_failures_from_any_address(
    client: Any, limits: Any
) -> None:
    UserFactory(username="kari")
    for n in range(3):
        assert login(client, "kari", "feil", address=f"10.0.0.{n}").status_code == 200
    refused = login(client, "kari", PASSWORD, address="10.0.0.9")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    # django-ratelimit counts in fixed 15-minute windows: the wait is what is left of this one.
    assert re.search(
        r"For mange forsøk\. Vent \d+ minutt(er)? og prøv igjen\.", refused.content.decode()
    )
    assert "_auth_user_id" not in client.session
    # Another account from another address is not affected.
    UserFactory(username="ola")
    assert login(client, "ola", PASSWORD, address="10.0.0.8").status_code == 302


def test_the_login_form_stops_one_address_trying_many_accounts(client: Any, limits: Any) -> None:
    UserFactory(username="kari")
    for n in range(5):
        assert login(client, f"bruker{n}", "feil").status_code == 200
    assert login(client, "kari", PASSWORD).status_code == 429
    assert login(client, "kari", PASSWORD, address="10.0.0.2").status_code == 302


def test_successful_logins_cost_nothing(client: Any, limits: Any) -> None:
    UserFactory(username="kari")
    for _n in range(8):
        assert login(client, "kari", PASSWORD).status_code == 302
        client.logout()


def test_the_window_passes(client: Any, limits: Any) -> None:
    UserFactory(username="kari")
    for _n in range(3):
        login(client, "kari", "feil")
    assert login(client, "kari", PASSWORD).status_code == 429
    cache.clear()  # what the end of the 15-minute window does
    assert login(client, "kari", PASSWORD).status_code == 302


def test_the_token_endpoint_shares_the_count_and_answers_429_in_the_clients_language(
    client: Any, limits: Any
) -> None:
    UserFactory(username="kari")
    login(client, "kari", "feil")
    assert token("kari", "feil").status_code == 400
    assert token("KARI ", "feil").status_code == 400  # the same account, however typed
    refused = token("kari", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert re.fullmatch(
        r"Too many attempts\. Please wait \d+ minutes? and try again\.", refused.json()["detail"]
    )
    assert int(refused["Retry-After"]) > 0
    assert token("ola", "feil", address="10.0.0.7").status_code == 400


def test_the_admin_login_is_limited_too(client: Any, limits: Any) -> None:
    UserFactory(username="sjef", is_staff=True, is_superuser=True)
    for _n in range(3):
        client.post("/admin/login/", {"username": "sjef", "password": "feil"})
    client.post("/admin/login/", {"username": "sjef", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_order_look_ups_are_limited_per_order_code_across_addresses(
    client: Any, settings: Any
) -> None:
    settings.ORDER_LOOKUP_RATE = "100/h"
    settings.ORDER_LOOKUP_ACCOUNT_RATE = "3/h"
    _shop, ticket = shop_with_type()
    order = invoiced_order(ticket, 1)
    url = reverse("ticket-lookup", kwargs={"slug": ticket.event.slug})
    for n in range(3):
        wrong = client.post(
            url, {"code": order.code, "email": f"gjett{n}@x.no"}, REMOTE_ADDR=f"10.1.0.{n}"
        )
        assert wrong.status_code == 404
    right = client.post(
        url, {"code": order.code, "email": "kari@bedrift.no"}, REMOTE_ADDR="10.1.0.9"
    )
    assert right.status_code == 429
    assert "For mange forsøk" in right.content.decode()
    assert int(right["Retry-After"]) > 0


def test_guessing_invitation_links_is_limited_per_address(client: Any, settings: Any) -> None:
    settings.INVITATION_LOOKUP_RATE = "3/h"
    real = invite(WaveFactory())
    for n in range(2):
        assert client.get(f"/s/gjettet-{n}/").status_code == 404
    assert client.get(f"/s/{real}/").status_code == 200  # a real link never counts
    assert client.get(f"/s/{real}/").status_code == 200
    submit = APIClient().post("/api/v1/respond/gjettet-3/submit/", {"answers": {}}, format="json")
    assert submit.status_code == 404
    limited = client.get(f"/s/{real}/")
    assert limited.status_code == 429
    assert "For mange forsøk" in limited.content.decode()
    api = APIClient().post(f"/api/v1/respond/{real}/submit/", {"answers": {}}, format="json")
    assert (api.status_code, api.json()["code"]) == (429, "throttled")
    assert client.get("/u/gjettet/").status_code == 429
    assert client.get(f"/s/{real}/", REMOTE_ADDR="10.2.0.1").status_code == 200
    assert not SubmissionInbox.objects.exists()


def test_api_requests_are_throttled_per_address_and_per_account(settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "user": "4/min"},
    }
    from rest_framework.throttling import SimpleRateThrottle

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        anonymous = APIClient()
        for _n in range(3):
            assert anonymous.get("/api/v1/industries/").status_code == 200
        limited = anonymous.get("/api/v1/industries/", HTTP_ACCEPT_LANGUAGE="en")
        assert limited.status_code == 429
        assert limited.json()["detail"].startswith("Too many attempts.")
        assert int(limited["Retry-After"]) > 0

        signed_in = APIClient()
        signed_in.force_authenticate(UserFactory())
        for _n in range(4):
            assert signed_in.get("/api/v1/industries/").status_code == 200
        assert signed_in.get("/api/v1/industries/").status_code == 429
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original


def test_a_cache_that_does_not_answer_lets_logins_and_api_calls_through(
    client: Any, limits: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    UserFactory(username="kari")

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache down")

    for name in ("add", "get", "incr", "set", "get_many"):
        monkeypatch.setattr(cache, name, down)
    assert login(client, "kari", "feil").status_code == 200
    assert login(client, "kari", PASSWORD).status_code == 302
    assert APIClient().get("/api/v1/industries/").status_code == 200


def test_checking_a_limit_reads_django_ratelimits_counters_in_one_round_trip_and_writes_none(
    rf: Any, limits: Any
) -> None:
    """``failures_wait`` runs before every respondent page: it reads the counters
    django-ratelimit keeps (the same keys and counts as its ``get_usage``) with one
    ``get_many``, and writes nothing to the cache."""
    from unittest import mock

    from django_ratelimit.core import get_usage

    from kundeservice import ratelimits

    request = rf.post(LOGIN, REMOTE_ADDR="10.0.0.7")
    limits_of = {"group": "login", "account": "Kari", "account_rate": "3/15m"}
    for _ in range(2):
        ratelimits.failure_count(request, address_rate="5/15m", **limits_of)
    peeked = ratelimits._peek(request, "login", "Kari", "3/15m", "5/15m")
    digest = ratelimits._counters("login", "Kari", "3/15m", None)[0][0]
    account = get_usage(request, group="login:account", key=lambda _g, _r: digest, rate="3/15m")
    address = get_usage(request, group="login:address", key="ip", rate="5/15m")
    assert [(u["count"], u["limit"]) for u in peeked] == [(2, 3), (2, 5)]
    assert [(u["count"], u["limit"]) for u in peeked] == [
        (account["count"], account["limit"]),
        (address["count"], address["limit"]),
    ]
    with (
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
        mock.patch.object(cache, "add", wraps=cache.add) as add,
        mock.patch.object(cache, "get", wraps=cache.get) as get,
    ):
        assert ratelimits.failures_wait(request, address_rate="5/15m", **limits_of) == 0
        ratelimits.failure_count(request, address_rate="5/15m", **limits_of)
        wait = ratelimits.failures_wait(request, address_rate="5/15m", **limits_of)
    assert 0 < wait <= 15 * 60  # the account's third failure: wait out the window
    assert get_many.call_count == 2
    assert add.call_count == 2  # only by failure_count, which counts
    assert get.call_count == 0
