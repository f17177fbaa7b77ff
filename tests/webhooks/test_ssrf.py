"""SSRF: internal addresses are refused when an endpoint is saved and again before each
request (DNS rebinding); redirects are never followed; HTTPS only in production.

No test here may open a connection anywhere but 127.0.0.1: where a check could let one
through, the connection pool is replaced by one that fails the test instead."""

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from kundeservice.errors import DomainError
from tests.webhooks.conftest import deliver, emit, endpoint_for
from webhooks import transport
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services.endpoints import webhook_endpoint_create, webhook_endpoint_update

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

REFUSED_URLS = [
    "http://127.0.0.1/hooks",
    "http://127.9.9.9:8080/hooks",
    "http://localhost/hooks",
    "http://10.1.2.3/hooks",
    "http://172.16.0.5/hooks",
    "http://192.168.1.10/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.100.100.200/",  # a cloud metadata address in the shared range
    "http://0.0.0.0/hooks",
    "http://[::1]/hooks",
    "http://[fe80::1]/hooks",
    "http://[fd00:ec2::254]/",  # the IPv6 metadata service
    "http://[::ffff:127.0.0.1]/hooks",  # IPv4-mapped
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a01:203]/",  # NAT64 of 10.1.2.3
    "http://[2002:a01:203::1]/",  # 6to4 of 10.1.2.3
    "http://224.0.0.1/",
]


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def production_rules(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False


@pytest.fixture
def no_connections(monkeypatch: Any) -> list[transport.Target]:
    """Replace the connection pool: a request that passed the checks is recorded, never sent."""
    tried: list[transport.Target] = []

    def refuse(target: transport.Target) -> Any:
        tried.append(target)
        raise AssertionError(f"a connection to {target.address} was attempted")

    monkeypatch.setattr(transport, "_pool", refuse)
    return tried


def resolving(monkeypatch: Any, answers: dict[str, list[str]]) -> None:
    """Make host names resolve as ``answers`` says (and nothing else resolve)."""

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            raise socket.gaierror("unknown host")
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port),
            )
            for a in answers[host]
        ]

    monkeypatch.setattr(transport.socket, "getaddrinfo", getaddrinfo)


@pytest.mark.usefixtures("production_rules", "no_connections")
@pytest.mark.parametrize("url", REFUSED_URLS)
def test_internal_addresses_are_refused_when_saved(url: str) -> None:
    with pytest.raises(DomainError) as refused:
        endpoint_for(url)
    assert "url" in refused.value.message_dict
    assert "internal address" in refused.value.message_dict["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.usefixtures("production_rules", "no_connections")
def test_a_host_name_resolving_to_a_private_address_is_refused(monkeypatch: Any) -> None:
    resolving(monkeypatch, {"intranett.example": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(DomainError, match=r"10\.0\.0\.7"):
        endpoint_for("https://intranett.example/hooks")
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.usefixtures("production_rules")
def test_dns_rebinding_is_refused_at_delivery_time(
    monkeypatch: Any, no_connections: list[transport.Target]
) -> None:
    """Public when saved, private when sent: the request is not made, and the attempt says
    why; a host that resolves publicly again is connected to at the address checked."""
    resolving(monkeypatch, {"crm.example": ["93.184.216.34"]})
    endpoint, _ = endpoint_for("https://crm.example/hooks")
    resolving(monkeypatch, {"crm.example": ["169.254.169.254"]})
    emit(1)
    deliver(endpoint)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "169.254.169.254" in attempt.error
    assert no_connections == []
    assert WebhookDelivery.objects.get().failures == 1

    resolving(monkeypatch, {"crm.example": ["93.184.216.34"]})
    target = transport.target_for(endpoint.url)
    assert (target.address, target.host, target.port) == ("93.184.216.34", "crm.example", 443)
    with pytest.raises(AssertionError, match=r"93\.184\.216\.34"):
        transport.post(target=target, headers={}, body=b"{}")


@pytest.mark.usefixtures("production_rules", "no_connections")
def test_a_changed_url_is_checked_again(monkeypatch: Any) -> None:
    resolving(monkeypatch, {"crm.example": ["93.184.216.34"]})
    endpoint, _ = endpoint_for("https://crm.example/hooks")
    with pytest.raises(DomainError, match="internal address"):
        webhook_endpoint_update(endpoint=endpoint, url="http://[::1]:8000/")
    endpoint.refresh_from_db()
    assert endpoint.url == "https://crm.example/hooks"


@pytest.mark.usefixtures("no_connections")
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.no/x", "https://"),
        ("crm.example.no/hooks", "https://"),
        ("https://user:pass@crm.example.no/", "passwords"),
        ("https://crm.example.no:99999/", "port"),
        ("https://ingen-slik-vert.invalid/", "could not be resolved"),
    ],
)
def test_malformed_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        endpoint_for(url)


@pytest.mark.usefixtures("no_connections")
def test_production_takes_https_only(settings: Any, monkeypatch: Any) -> None:
    settings.WEBHOOK_REQUIRE_HTTPS = True
    resolving(monkeypatch, {"crm.example": ["93.184.216.34"]})
    with pytest.raises(DomainError, match="must start with https://"):
        endpoint_for("http://crm.example/hooks")
    assert endpoint_for("https://crm.example/hooks")[0].pk


def test_the_allowance_for_this_machine_is_never_on_in_production() -> None:
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_ENV']='production'; "
        "os.environ['SECRET_KEY']='x'*60; os.environ['SITE_URL']='https://example.org'; "
        "os.environ['WEBHOOK_ALLOW_PRIVATE_ADDRESSES']='1'; "
        "from django.conf import settings; "
        "print(settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES, settings.WEBHOOK_REQUIRE_HTTPS)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "kundeservice.settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("64:ff9b::a9fe:a9fe", False),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo of 10.0.0.1
        ("ff02::1", False),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert transport.is_public(ipaddress.ip_address(address)) is public


def test_create_with_a_refused_url_saves_nothing_and_names_the_field(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(DomainError) as refused:
        webhook_endpoint_create(
            url="http://10.0.0.1/", event_types=["nope"], scope="wave:999999", description="x"
        )
    assert set(refused.value.message_dict) == {"url", "event_types", "scope"}
    assert not WebhookEndpoint.objects.exists()
