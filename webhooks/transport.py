"""Sending one webhook request safely: check where a URL leads, then connect to that address.

Server-side request forgery is the risk of any feature that lets people type a URL the server
will call. In production a receiver must resolve only to public addresses: loopback, private,
link-local (the cloud metadata service at 169.254.169.254 among them), shared, reserved and
multicast ranges are refused, in IPv4 and IPv6, including IPv4 addresses carried inside IPv6
ones (mapped, NAT64, 6to4, Teredo). The check runs when an endpoint is saved and again before
every request; the request then goes to the address that was checked (urllib3 connects to the
IP, while TLS still verifies the certificate for the host name), so a DNS answer that changes in
between (DNS rebinding) cannot redirect it. Redirects are never followed.

``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` (on in development and tests, never in production) lets
receivers on this machine be used.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from threading import Lock
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

from kundeservice.errors import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: How much of a receiver's answer the delivery log keeps.
RESPONSE_KEEP = 2000
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(DomainError):
    """A receiver URL that is malformed, not HTTPS where that is required, or leads somewhere
    the platform must not call."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to ask for there."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class Answer:
    status: int | None
    body: str
    error: str
    duration_ms: int
    #: Seconds the receiver asked us to wait (``Retry-After``), when it said so in seconds.
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def target_for(url: str) -> Target:
    """Parse, resolve and check ``url``; raise ``UnsafeURL`` saying why it cannot be used."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeURL(_("Give a full web address starting with https://."), code="url")
    if scheme != "https" and settings.WEBHOOK_REQUIRE_HTTPS:
        raise UnsafeURL(_("The address must start with https://."), code="https")
    if parts.username or parts.password:
        raise UnsafeURL(
            _("Leave user names and passwords out of the address; requests are signed."),
            code="credentials",
        )
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL(_("The address has an invalid port."), code="url") from exc
    host = parts.hostname
    addresses = resolve(host, port)
    if not addresses:
        raise UnsafeURL(
            _("The host name %(host)s could not be resolved.") % {"host": host}, code="dns"
        )
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise UnsafeURL(
                _(
                    "%(host)s leads to %(address)s, an internal address; webhooks go only "
                    "to public addresses."
                )
                % {"host": host, "address": refused[0]},
                code="address",
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal is its own), in resolver order."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet; IPv4 addresses inside IPv6 ones are judged
    as themselves."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not address.is_multicast


def post(*, target: Target, headers: dict[str, str], body: bytes) -> Answer:
    """POST ``body`` to the checked ``target``: no redirects, no retries here, a timeout of
    ``WEBHOOK_TIMEOUT`` seconds; what the receiver answered (the start of it) or why it did not."""
    started = time.monotonic()
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_TIMEOUT, read=settings.WEBHOOK_TIMEOUT)
    shown = f"[{target.host}]" if ":" in target.host else target.host
    default_port = 443 if target.scheme == "https" else 80
    host_header = shown if target.port == default_port else f"{shown}:{target.port}"
    try:
        response = _pool(target).urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            timeout=timeout,
            preload_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        return Answer(None, "", _describe(exc), _elapsed(started))
    try:
        text = response.read(RESPONSE_KEEP).decode("utf-8", errors="replace")
        if response.length_remaining is not None and response.length_remaining <= 65536:
            response.drain_conn()
            response.release_conn()
        else:  # unread or endless: do not put the connection back
            response.close()
    except urllib3.exceptions.HTTPError as exc:
        response.close()
        return Answer(response.status, "", _describe(exc), _elapsed(started))
    return Answer(
        response.status, text, "", _elapsed(started), _seconds(response.headers.get("Retry-After"))
    )


def _elapsed(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _seconds(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def _describe(exc: Exception) -> str:
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return _("No answer within %(s)s seconds.") % {"s": settings.WEBHOOK_TIMEOUT}
    reason = getattr(exc, "reason", None) or exc
    return str(reason)[:300]


_pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
_pools_lock = Lock()


def _pool(target: Target) -> urllib3.HTTPConnectionPool:
    """A keep-alive pool per (checked address, host name): a delivery lane's requests reuse
    connections, and only ever to an address that passed the check."""
    key = (target.scheme, target.address, target.port, target.host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            if len(_pools) >= 64:
                for old in _pools.values():
                    old.close()
                _pools.clear()
            size = settings.WEBHOOK_LANE_CONCURRENCY
            if target.scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    target.address,
                    target.port,
                    maxsize=size,
                    server_hostname=target.host,
                    assert_hostname=target.host,
                    cert_reqs="CERT_REQUIRED",
                )
            else:
                pool = urllib3.HTTPConnectionPool(target.address, target.port, maxsize=size)
            _pools[key] = pool
        return pool
