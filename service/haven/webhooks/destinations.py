"""Where webhooks may go.

Never to cloud metadata services (by address or by name), link-local, multicast or
reserved addresses; to loopback and private networks only when the operator allows
it (HAVEN_WEBHOOK_ALLOW_PRIVATE_NETWORKS). A subscription is checked when it is made
(`subscription_refusal`: the URL's host as written, including the numeric IPv4 forms
resolvers accept such as `2130706433`, `0x7f000001` or `0`), and every delivery
again (`resolve_destination`): the name is resolved, every address it resolves to is
checked, and the delivery connects to the checked address, so a name that changes
its answer between check and connection (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The instance metadata services of the big clouds: AWS (and its IPv6 and ECS task
# endpoints), GCP, Azure, Oracle, Alibaba, OpenStack.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
METADATA_NAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)


class DestinationRefused(Exception):
    """Haven will not send there; no retry changes that."""


@dataclass(frozen=True)
class Destination:
    """A URL and the checked address its delivery connects to."""

    url: str
    host: str
    address: str


def _address_refusal(ip: IPAddress, allow_private: bool) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    private = f"{ip} is a loopback or private address (HAVEN_WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)"
    # Before the reserved check: Python counts ::1 in ::/8, which is reserved.
    if ip.is_loopback:
        return None if allow_private else private
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"{ip} is a link-local, multicast or reserved address"
    if not allow_private and (ip.is_private or not ip.is_global):
        return private
    return None


def _parse_host(url: str) -> tuple[str, IPAddress | None]:
    """The URL's host (IDNA-encoded) and its address when it is one; raises DestinationRefused."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        raise DestinationRefused("the URL's host does not parse") from None
    if not host:
        raise DestinationRefused("the URL has no host")
    try:
        return host, ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise DestinationRefused("the host name cannot be encoded (a label is empty or over 63 characters)") from None
    try:
        socket.inet_aton(encoded)
    except OSError:
        pass
    else:
        # A resolver reads `2130706433`, `0x7f000001`, `0177.1` or `0` as an IPv4 address.
        raise DestinationRefused("the host is an IPv4 address in a non-standard form; write it as a.b.c.d")
    if encoded.rstrip(".").lower() in METADATA_NAMES:
        raise DestinationRefused(f"{host} is a cloud metadata service")
    return encoded, None


def subscription_refusal(url: str, *, allow_private: bool) -> str | None:
    """Why a URL may not be subscribed, from what it says; host names are resolved at delivery."""
    try:
        _, ip = _parse_host(url)
    except DestinationRefused as exc:
        return str(exc)
    return None if ip is None else _address_refusal(ip, allow_private)


def resolve_destination(url: str, *, allow_private: bool) -> Destination:
    """The address to connect to for this delivery, every address of the name checked.

    Raises DestinationRefused, or OSError when the name does not resolve (worth a retry)."""
    host, ip = _parse_host(url)
    if ip is not None:
        addresses = [ip]
    else:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for address in addresses:
        reason = _address_refusal(address, allow_private)
        if reason is not None:
            raise DestinationRefused(reason)
    return Destination(url=url, host=host, address=str(addresses[0]))
