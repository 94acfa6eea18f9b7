"""Webhooks: Standard Webhooks signing, and HTTP delivery that cannot be turned against us.

**SSRF.** A webhook URL is chosen by a tenant, and the worker that calls it sits inside the
operator's network. So a destination is refused when *any* address its name resolves to
is not a public unicast address: private, loopback, link-local (the cloud metadata service
at 169.254.169.254), shared, reserved, multicast and unspecified ranges, in IPv4 and IPv6,
including IPv4 hidden in IPv6 (mapped, 6to4, NAT64). Names are resolved by the system
resolver, which also reads the odd spellings of addresses (``2130706433``, ``0x7f.1``,
``0177.0.0.1``), so those are judged by what they mean. The check runs when a webhook is
saved *and* at every delivery and every redirect, and the connection goes to the address
that was checked (no second lookup for a rebinding name to change). An operator may allow
networks explicitly (``settings.WEBHOOK_ALLOWED_NETWORKS``), e.g. loopback for tests or an
internal receiver.

**Signing** follows https://www.standardwebhooks.com: headers ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>``
with a ``whsec_`` secret; the id is the outbox key, so a receiver drops a repeat.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 10
MAX_URL_LENGTH = 2000
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
REDIRECTS = {301, 302, 303, 307, 308}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeDestination(Exception):
    """The URL is malformed, or leads somewhere a webhook must not go."""


class DeliveryFailed(Exception):
    """The receiver did not accept the webhook (status, redirects, network)."""


def new_secret() -> str:
    """Return a new signing secret in the Standard Webhooks form (``whsec_`` + base64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``webhook-signature`` header value for a body."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Tell whether an address is public unicast (and so does the IPv4 inside it)."""
    if not address.is_global or address.is_multicast:
        return False
    inner = embedded_ipv4(address)
    return inner is None or is_public(inner)


def is_allowed_by_operator(address: IPAddress) -> bool:
    networks = getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", ())
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


@dataclass(frozen=True)
class Destination:
    """A checked URL: where to connect (the address that was judged) and what to ask for."""

    scheme: str
    host: str
    port: int
    target: str
    address: str


def check_url(url: str) -> Destination:
    """Resolve ``url`` and judge every address; return where to connect, or raise."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeDestination("the address is too long")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeDestination("the address is not a valid URL") from error
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination("use an http:// or https:// address")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("the address must not carry a user name or password")
    host = parts.hostname
    if not host:
        raise UnsafeDestination("the address has no host")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port)
    for address in addresses:
        if not is_public(address) and not is_allowed_by_operator(address):
            raise UnsafeDestination(f"{host} leads to a private or reserved address ({address})")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Destination(parts.scheme, host, port, target, str(addresses[0]))


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnsafeDestination(f"{host} cannot be resolved") from error
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeDestination(f"{host} cannot be resolved")
    return addresses


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, verifying the certificate against the URL's host name."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.address, destination.port, timeout=timeout)
        self._server_name = destination.host

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(sock, server_hostname=self._server_name)


def _connection(destination: Destination) -> http.client.HTTPConnection:
    if destination.scheme == "https":
        return _PinnedHTTPSConnection(destination, TIMEOUT_SECONDS)
    return http.client.HTTPConnection(
        destination.address, destination.port, timeout=TIMEOUT_SECONDS
    )


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url``, checking the destination at every hop; return the final status.

    Raise UnsafeDestination when a hop leads somewhere forbidden, DeliveryFailed when the
    receiver does not answer 2xx or redirects too often.
    """
    for _hop in range(MAX_REDIRECTS + 1):
        destination = check_url(url)
        connection = _connection(destination)
        host_header = destination.host if ":" not in destination.host else f"[{destination.host}]"
        try:
            connection.request(
                "POST",
                destination.target,
                body=body,
                headers={**headers, "Host": f"{host_header}:{destination.port}"},
            )
            response = connection.getresponse()
            location = response.getheader("Location")
            response.read(65536)
        except OSError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        finally:
            connection.close()
        if response.status in REDIRECTS and location:
            url = urljoin(url, location)
            continue
        if 200 <= response.status < 300:
            return response.status
        raise DeliveryFailed(f"the receiver answered {response.status}")
    raise DeliveryFailed(f"more than {MAX_REDIRECTS} redirects")
